"""The steps of MAE: masking keeps the requested fraction and can be undone, the loss reads only
the masked patches, and the model runs in both of Table 1c's designs."""

import pytest
import torch

from zoo_utils.models import mae as M

torch.manual_seed(0)
SMALL = M.MAEConfig(image_size=16, patch_size=4, d_model=32, layers=2, heads=4, decoder_d_model=16,
                    decoder_layers=1, decoder_heads=2)


@pytest.mark.parametrize("ratio", [0.25, 0.5, 0.75, 0.9])
def test_random_masking_keeps_exactly_the_requested_fraction(ratio):
    x = torch.randn(6, 40, 8)
    kept, mask, ids_restore = M.random_masking(x, ratio)
    n_masked = round(40 * ratio)
    assert kept.shape == (6, 40 - n_masked, 8)
    assert (mask.sum(1) == n_masked).all()
    # the kept tokens are exactly the unmasked ones, and differ from sample to sample
    for xi, ki, mi in zip(x, kept, mask):
        assert set(map(tuple, ki.tolist())) == set(map(tuple, xi[mi == 0].tolist()))
    assert not torch.equal(mask[0], mask[1])


def test_unshuffle_restores_patch_order():
    x = torch.randn(4, 16, 3)
    kept, mask, ids_restore = M.random_masking(x, 0.75)
    # the masked tokens in shuffled order are the ones the shuffle put last
    ids_shuffle = ids_restore.argsort(1)
    dropped = x.gather(1, ids_shuffle[:, 4:, None].expand(-1, -1, 3))
    torch.testing.assert_close(M.unshuffle(torch.cat([kept, dropped], 1), ids_restore), x)


def test_loss_ignores_the_visible_patches():
    prediction, target = torch.randn(2, 10, 6), torch.randn(2, 10, 6)
    mask = torch.zeros(2, 10)
    mask[:, :3] = 1
    changed = prediction.clone()
    changed[:, 3:] += 100.0                    # only visible patches change
    assert M.masked_mse(changed, target, mask) == M.masked_mse(prediction, target, mask)
    expected = ((prediction[:, :3] - target[:, :3]) ** 2).mean()
    torch.testing.assert_close(M.masked_mse(prediction, target, mask), expected)


def test_normalised_targets_have_zero_mean_and_unit_variance_per_patch():
    target = M.patch_targets(torch.rand(2, 3, 16, 16), 4, normalise=True)
    torch.testing.assert_close(target.mean(-1), torch.zeros(2, 16), atol=1e-5, rtol=0)
    torch.testing.assert_close(target.var(-1), torch.ones(2, 16), atol=1e-3, rtol=0)


def test_mean_fill_keeps_visible_patches_and_fills_the_rest_with_their_mean():
    images = torch.rand(2, 3, 16, 16)
    _, mask, _ = M.random_masking(torch.zeros(2, 16, 1), 0.75)
    filled, patches = M.mean_fill(images, mask, 4), M.patchify(images, 4)
    visible = mask[0] == 0
    torch.testing.assert_close(filled[0, visible], patches[0, visible])
    torch.testing.assert_close(filled[0, ~visible], patches[0, visible].mean(0).expand(12, -1))


@pytest.mark.parametrize("in_encoder", [False, True])
def test_both_designs_reconstruct_every_patch_and_the_encoder_sees_what_it_should(in_encoder):
    model = M.MAE(M.MAEConfig(**{**SMALL.__dict__, "mask_tokens_in_encoder": in_encoder}))
    images = torch.rand(3, 3, 16, 16)
    latent, mask, _ = model.encode(images, 0.75)
    assert latent.shape[1] == 1 + (16 if in_encoder else 4)
    loss, prediction, mask = model(images)
    assert prediction.shape == (3, 16, 48) and loss.item() > 0
    loss.backward()
    reconstruction, pasted, mask_image = model.reconstruct(images)
    assert reconstruction.shape == pasted.shape == mask_image.shape == images.shape
    torch.testing.assert_close(pasted * (1 - mask_image), images * (1 - mask_image))


def test_a_trained_mae_beats_the_mean_fill_baseline_on_a_learnable_pattern():
    """Images made of a few smooth gradients: three hundred steps suffice to beat the baseline."""
    torch.manual_seed(0)
    config = M.MAEConfig(**{**SMALL.__dict__, "norm_pix_loss": False})
    model = M.MAE(config)
    ramp = torch.linspace(0, 1, 16)
    def images(n):
        a, b = torch.rand(2, n, 3, 1, 1)
        return (a * ramp[None, None, :, None] + b * ramp[None, None, None, :]) / 2
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    for _ in range(300):
        loss, _, _ = model(images(32))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    test = images(64)
    generator = torch.Generator().manual_seed(1)
    with torch.no_grad():
        loss, prediction, mask = model(test, generator=generator)
    baseline = M.masked_mse(M.mean_fill(test, mask, 4), M.patchify(test, 4), mask)
    assert loss < baseline / 2


def test_gpu_profile_model_takes_a_step_on_cifar_shapes():
    from zoo_utils import profiles, train
    cfg = profiles.get("mae", "gpu")
    model = M.MAE(M.MAEConfig(image_size=32, patch_size=cfg.patch_size, d_model=cfg.d_model,
                              layers=cfg.layers, heads=cfg.heads, decoder_d_model=cfg.decoder_d_model,
                              decoder_layers=cfg.decoder_layers, decoder_heads=cfg.decoder_heads))
    optimizer, schedule = train.adamw_cosine(model, cfg.lr, 1, 10, betas=(0.9, 0.95))
    loss = M.mae_step(model, (torch.rand(2, 3, 32, 32),))["loss"]
    loss.backward()
    optimizer.step()
    schedule.step()
    assert torch.isfinite(loss)
