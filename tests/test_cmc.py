"""CMC (Tian et al. 2019): the Lab views, the pairs contrasted, and the two-way loss."""

import pytest
import torch
import torch.nn.functional as F
from skimage import color

from zoo_utils import contrastive as C
from zoo_utils.models import cmc


def test_lab_views_match_scikit_image():
    rgb = torch.rand(2, 3, 6, 6, generator=torch.Generator().manual_seed(0))
    L, ab = cmc.lab_views(rgb)
    expected = torch.tensor(color.rgb2lab(rgb.permute(0, 2, 3, 1).numpy()), dtype=torch.float)
    torch.testing.assert_close(L[:, 0] * 100, expected[..., 0], atol=1e-2, rtol=0)
    torch.testing.assert_close(ab.permute(0, 2, 3, 1) * 110, expected[..., 1:], atol=5e-2, rtol=0)


def test_a_grey_image_has_no_colour_view_and_a_flat_one_no_edges():
    grey = torch.rand(1, 1, 8, 8).expand(1, 3, 8, 8)
    _, ab = cmc.lab_views(grey)
    assert ab.abs().max() < 1e-3
    assert cmc.edge_view(torch.full((1, 3, 8, 8), 0.3)).max() < 2e-3     # kornia's sqrt(eps)
    step = torch.zeros(1, 3, 8, 8)
    step[..., 4:] = 1.0
    edges = cmc.edge_view(step)[0, 0]
    assert edges[:, 3:5].min() > 0.5 and edges[:, :2].max() < 2e-3


def test_core_view_contrasts_the_first_view_with_each_other_and_full_every_pair():
    assert cmc.pairs(("L", "ab", "edges"), "core") == [("L", "ab"), ("L", "edges")]
    assert cmc.pairs(("L", "ab", "edges"), "full") == [("L", "ab"), ("L", "edges"), ("ab", "edges")]
    with pytest.raises(ValueError, match="paradigm"):
        cmc.pairs(("L", "ab"), "star")


def test_cmc_loss_is_two_way_infonce_over_the_pairs():
    torch.manual_seed(0)
    model = cmc.CMC(lambda c: C.make_encoder("resnet8", 4, channels=c, dim=8, seed=c), T=0.2)
    rgb = torch.rand(6, 3, 16, 16)
    loss, logits = model(rgb)
    zL = F.normalize(model.encoders["L"](cmc.lab_views(rgb)[0]), dim=1)
    zab = F.normalize(model.encoders["ab"](cmc.lab_views(rgb)[1]), dim=1)
    scores = zL @ zab.T / 0.2
    expected = F.cross_entropy(scores, torch.arange(6)) + F.cross_entropy(scores.T, torch.arange(6))
    torch.testing.assert_close(loss, expected)
    assert logits.shape == (6, 6)
    assert model.features(rgb).shape == (6, 2 * 16)
    with pytest.raises(ValueError, match="views"):
        cmc.CMC(lambda c: None, views=("L", "depth"))
