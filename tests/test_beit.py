"""BEiT's pieces: the k-means patch tokenizer, blockwise masking (Algorithm 1) against random
masking, the [M] embedding, and the masked-image-modelling step for both kinds of target."""

import math

import numpy as np
import torch
from sklearn.metrics import pairwise_distances_argmin

from zoo_utils.models import beit as B
from zoo_utils.models.vit import ViTConfig, patchify

torch.manual_seed(0)
TINY = ViTConfig(image_size=16, patch_size=4, channels=3, classes=10, d_model=32, layers=2,
                 heads=4, d_mlp=64)


def test_tokenizer_codes_each_patch_by_its_nearest_centroid():
    images = torch.rand(40, 3, 16, 16)
    tokenizer = B.PatchTokenizer(4, 12).fit(images)
    codes = tokenizer.encode(images)
    assert codes.shape == (40, 16) and codes.max() < 12
    patches = patchify(images, 4).reshape(-1, 48)
    assert torch.equal(codes.flatten(), torch.as_tensor(pairwise_distances_argmin(patches, tokenizer.codebook)))
    decoded = tokenizer.decode(codes)
    assert decoded.shape == images.shape
    assert torch.equal(tokenizer.encode(decoded), codes)
    assert len(codes.unique()) == 12                      # every code is some patch's nearest


def neighbour_share(mask, grid):
    """Of the masked patches with a right-hand neighbour, the share whose neighbour is masked."""
    m = mask.reshape(grid, grid)
    return (m[:, :-1] & m[:, 1:]).sum().item() / max(1, m[:, :-1].sum().item())


def test_block_masking_reaches_the_ratio_without_overshooting_and_masks_in_blocks():
    rng = np.random.default_rng(0)
    grid, target = 14, round(0.4 * 196)
    blocks = [B.block_masking(grid, 0.4, 16, rng=rng) for _ in range(200)]
    randoms = [B.random_masking(grid, 0.4, rng=rng) for _ in range(200)]
    counts = np.array([m.sum().item() for m in blocks])
    assert counts.max() <= target and counts.mean() > 0.95 * target
    assert all(m.sum().item() == target for m in randoms)
    block_share = np.mean([neighbour_share(m, grid) for m in blocks])
    random_share = np.mean([neighbour_share(m, grid) for m in randoms])
    assert block_share > 0.75 and abs(random_share - 0.4) < 0.05, (block_share, random_share)


def test_masked_patches_are_hidden_from_the_network():
    model = B.BEiT(TINY, vocabulary=20).eval()
    images = torch.rand(2, 3, 16, 16)
    masked = torch.zeros(2, 16, dtype=torch.bool)
    masked[:, :5] = True
    changed = images.clone()
    changed[:, :, :4, :] = torch.rand(2, 3, 4, 16)        # the first row of patches: 0..3
    with torch.no_grad():
        torch.testing.assert_close(model.patch_states(changed, masked), model.patch_states(images, masked))
        assert not torch.allclose(model.patch_states(changed), model.patch_states(images))
        assert model(images).shape == (2, 10)             # the ViT classifier on mean-pooled states


def test_mim_step_for_tokens_and_for_pixels():
    images = torch.rand(32, 3, 16, 16)
    tokens = torch.randint(0, 20, (32, 16))
    masking = lambda grid, rng: B.block_masking(grid, 0.4, 2, rng=rng)
    token_model, pixel_model = B.BEiT(TINY, vocabulary=20), B.BEiT(TINY, vocabulary=None)
    out = B.mim_step(token_model, (images, tokens), masking)
    assert abs(out["loss"].item() - math.log(20)) < 0.5 and 0 <= out["token_accuracy"] <= 1
    assert torch.isfinite(B.mim_step(pixel_model, (images, tokens), masking)["loss"])
    optimizer = torch.optim.Adam(token_model.parameters(), lr=3e-3)
    constant = torch.full_like(tokens, 7)                 # a target the model can learn
    for _ in range(40):
        loss = B.mim_step(token_model, (images, constant), masking)["loss"]
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert loss.item() < 0.1


def test_gpu_profile_models_take_a_step_on_cifar_shapes():
    """The page's gpu BEiT on 32 x 32 images, with token and with pixel targets, one step each."""
    from zoo_utils import profiles, train
    cfg = profiles.get("beit", "gpu")
    config = ViTConfig(image_size=32, patch_size=cfg.patch_size, channels=3, classes=10,
                       d_model=cfg.d_model, layers=cfg.layers, heads=cfg.heads, d_mlp=4 * cfg.d_model)
    grid = 32 // cfg.patch_size
    images, tokens = torch.rand(2, 3, 32, 32), torch.randint(0, cfg.vocabulary, (2, grid * grid))
    masking = lambda g, rng: B.block_masking(g, cfg.mask_ratio, cfg.min_block, rng=rng)
    for vocabulary in (cfg.vocabulary, None):
        model = B.BEiT(config, vocabulary=vocabulary)
        optimizer, schedule = train.adamw_cosine(model, cfg.lr, 1, 10)
        loss = B.mim_step(model, (images, tokens), masking)["loss"]
        loss.backward()
        optimizer.step()
        schedule.step()
        assert torch.isfinite(loss)
