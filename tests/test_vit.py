"""ViT against torchvision's with copied weights, and the mean attention distance on attention
maps whose answer is known."""

import itertools
import math

import pytest
import torch
import torchvision

from zoo_utils.models import count_parameters
from zoo_utils.models import vit as V

torch.manual_seed(0)
SMALL = V.ViTConfig(image_size=16, patch_size=4, classes=5, d_model=32, layers=2, heads=4, d_mlp=64)


def test_patchify_cuts_raster_order_patches_and_unpatchify_inverts_it():
    images = torch.randn(2, 3, 8, 8)
    patches = V.patchify(images, 4)
    assert patches.shape == (2, 4, 48)
    # patch 1 is the top-right 4 x 4 block, pixels in raster order, channels last
    torch.testing.assert_close(patches[0, 1], images[0, :, :4, 4:].permute(1, 2, 0).flatten())
    torch.testing.assert_close(V.unpatchify(patches, 4, 3), images)
    with pytest.raises(ValueError, match="multiple of the patch size"):
        V.patchify(torch.randn(1, 3, 10, 10), 4)


def test_vit_b16_has_torchvisions_parameter_count_and_logits_with_copied_weights():
    reference = torchvision.models.vit_b_16().eval()
    torch.nn.init.normal_(reference.heads.head.weight, std=0.02)   # torchvision starts it at zero
    ours = V.ViT(V.VIT_B16).eval()
    assert count_parameters(ours) == count_parameters(reference) == 86_567_656
    V.torchvision_vit_weights(ours, reference)
    images = torch.rand(2, 3, 224, 224)
    with torch.no_grad():
        expected = reference(images)
        torch.testing.assert_close(ours(images), expected, atol=1e-4, rtol=1e-4)
    assert expected.std() > 0.1        # the comparison is not between two near-zero outputs


def test_mean_pooling_drops_the_class_token_and_unknown_pooling_is_refused():
    model = V.ViT(V.ViTConfig(**{**SMALL.__dict__, "pool": "mean"}))
    assert model.cls_token is None and model.position_embedding.shape[1] == 16
    assert model(torch.rand(3, 3, 16, 16)).shape == (3, 5)
    with pytest.raises(ValueError, match="unknown pool"):
        V.ViT(V.ViTConfig(**{**SMALL.__dict__, "pool": "max"}))


def test_attention_maps_are_distributions_for_every_layer_and_head():
    maps = V.ViT(SMALL).eval().attention_maps(torch.rand(2, 3, 16, 16))
    assert maps.shape == (2, 2, 4, 17, 17)
    torch.testing.assert_close(maps.sum(-1), torch.ones(2, 2, 4, 17))


def closed_form_mean_distance(grid, patch_size):
    """Mean distance between two patches drawn independently and uniformly from the grid: the
    row and column offsets are independent, |offset| = k with probability (2 - [k=0])(g - k)/g^2."""
    p = [(2 - (k == 0)) * (grid - k) / grid ** 2 for k in range(grid)]
    return patch_size * sum(p[a] * p[b] * math.hypot(a, b)
                            for a, b in itertools.product(range(grid), repeat=2))


@pytest.mark.parametrize("cls_token", [True, False])
def test_mean_attention_distance_is_zero_for_self_attention_and_the_grid_mean_for_uniform(cls_token):
    grid, patch, heads = 5, 4, 3
    n = grid ** 2 + cls_token
    uniform = torch.full((2, heads, n, n), 1 / n)
    expected = closed_form_mean_distance(grid, patch)
    torch.testing.assert_close(V.mean_attention_distance(uniform, grid, patch, cls_token),
                               torch.full((heads,), expected))
    itself = torch.eye(n).expand(2, heads, n, n)
    assert (V.mean_attention_distance(itself, grid, patch, cls_token) == 0).all()


def test_mean_attention_distance_of_a_right_neighbour_head_is_one_patch():
    grid, patch = 4, 8
    weights = torch.zeros(1, 1, 16, 16)
    for q in range(16):      # each patch looks at its right neighbour, the last column at its left
        weights[0, 0, q, q + 1 if q % grid < grid - 1 else q - 1] = 1
    assert V.mean_attention_distance(weights, grid, patch, cls_token=False).item() == patch


def test_gpu_profile_models_take_a_step_on_cifar_shapes():
    """The page's gpu ViTs (main and side experiments) and its MAE-shaped encoder, one step each."""
    from zoo_utils import profiles, train
    from zoo_utils.models import mae as M
    cfg = profiles.get("vit", "gpu")
    images, labels = torch.rand(2, 3, 32, 32), torch.tensor([0, 1])
    for d_model, layers in [(cfg.d_model, cfg.layers), (cfg.side_d_model, cfg.side_layers)]:
        for pool in ("cls", "mean"):
            model = V.ViT(V.ViTConfig(image_size=32, patch_size=cfg.patch_size, classes=10,
                                      d_model=d_model, layers=layers, heads=cfg.heads,
                                      d_mlp=4 * d_model, pool=pool))
            optimizer, schedule = train.adamw_cosine(model, cfg.lr, 1, 10)
            loss = train.classification_step(model, (images, labels))["loss"]
            loss.backward()
            optimizer.step()
            schedule.step()
            assert torch.isfinite(loss)
    mae = M.MAE(M.MAEConfig(image_size=32, patch_size=cfg.patch_size, d_model=cfg.d_model,
                            layers=cfg.layers, heads=cfg.heads, decoder_d_model=cfg.d_model // 2,
                            decoder_layers=2, decoder_heads=cfg.heads // 2))
    M.mae_step(mae, (images,))["loss"].backward()
