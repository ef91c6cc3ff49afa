"""MIST: canvases, peaks, the spatial transformers (checked against plain crops), the target
heatmap, the alternation and the hit score."""

import pytest
import torch

from zoo_utils import profiles
from zoo_utils.models import mist as M


def canvases(n=4, seed=0):
    digits = torch.rand(20, 1, 6, 6)
    return M.digit_canvases(digits, n, canvas=20, k=2, seed=seed)


def test_canvases_hold_k_digits_apart_and_inside():
    images, centres = canvases()
    assert images.shape == (4, 1, 20, 20) and centres.shape == (4, 2, 2)
    assert ((centres >= 2.5) & (centres <= 16.5)).all()
    assert (torch.cdist(centres, centres)[:, 0, 1] >= 6).all()


def test_extract_is_a_crop_and_place_puts_it_back():
    images, centres = canvases()
    patches = M.extract(images, centres, 6)
    r, c = (centres[1, 0] - 2.5).long().tolist()
    assert torch.allclose(patches[1, 0, 0], images[1, 0, r:r + 6, c:c + 6], atol=1e-5)
    assert torch.allclose(M.place(patches, centres, 20).clamp(0, 1), images, atol=1e-5)


def test_extract_is_differentiable_in_the_centres():
    images, centres = canvases()
    centres = centres.clone().requires_grad_(True)
    M.extract(images, centres + 0.3, 6).sum().backward()
    assert centres.grad.abs().sum() > 0


def test_top_k_peaks_finds_separate_maxima_of_the_target_heatmap():
    _, centres = canvases()
    heatmap = M.target_heatmap(centres, 20)
    assert torch.allclose(heatmap.sum((1, 2, 3)), torch.ones(4))
    found = M.top_k_peaks(heatmap, 2, nms_kernel=5)
    assert M.hits(found, centres, radius=1) == 1.0
    assert (torch.cdist(found, found)[:, 0, 1] > 2).all()      # no two peaks from one bump


def test_hits_matches_one_to_one():
    centres = torch.tensor([[[5.0, 5.0], [15.0, 15.0]]])
    both_on_one = torch.tensor([[[5.0, 5.0], [5.0, 6.0]]])
    assert M.hits(both_on_one, centres, radius=2) == 0.5
    assert M.hits(centres.flip(1), centres, radius=0) == 1.0


def test_a_step_moves_every_network():
    torch.manual_seed(0)
    images, _ = canvases(8)
    heatmap_net, autoencoder = M.HeatmapNet(width=4, depth=2), M.PatchAutoencoder(patch=6, code=4, width=4)
    before = [p.clone() for p in [*heatmap_net.parameters(), *autoencoder.parameters()]]
    optimizers = (torch.optim.Adam(autoencoder.parameters(), 1e-2), torch.optim.Adam(heatmap_net.parameters(), 1e-2))
    reconstruction, heatmap_loss = M.mist_step(heatmap_net, autoencoder, optimizers, images, 2)
    after = [*heatmap_net.parameters(), *autoencoder.parameters()]
    assert all(not torch.equal(a, b) for a, b in zip(before, after))
    assert reconstruction > 0 and heatmap_loss > 0


@pytest.mark.parametrize("profile", ["smoke", "cpu", "gpu"])
def test_every_profile_builds_its_networks_and_takes_a_step(profile):
    cfg = profiles.get("mist", profile)
    digits = torch.rand(10, 1, cfg.digit_size, cfg.digit_size)
    images, _ = M.digit_canvases(digits, 2, cfg.canvas, cfg.k)
    heatmap_net, autoencoder = M.HeatmapNet(cfg.width, cfg.depth), M.PatchAutoencoder(cfg.digit_size, cfg.code)
    optimizers = (torch.optim.Adam(autoencoder.parameters(), cfg.lr), torch.optim.Adam(heatmap_net.parameters(), cfg.lr))
    losses = M.mist_step(heatmap_net, autoencoder, optimizers, images, cfg.k,
                         location_steps=cfg.location_steps, sigma=cfg.sigma)
    assert all(torch.isfinite(torch.tensor(losses)))
