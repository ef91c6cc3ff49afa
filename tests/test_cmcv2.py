"""InfoMin (CMC v2): crops a set distance apart, and the InfoNCE estimate."""

import math

import pytest
import torch
from torch.utils.data import TensorDataset

from zoo_utils import contrastive as C
from zoo_utils.data.augment import crop_at
from zoo_utils.models import cmcv2
from zoo_utils.models.simclr import SimCLR


def coordinates(h=32, w=32):
    """Images whose two channels hold each pixel's row and column, so a crop tells its place."""
    rows, cols = torch.meshgrid(torch.arange(h), torch.arange(w), indexing="ij")
    return torch.stack([rows, cols]).float()[None]


@pytest.mark.parametrize("distance", [0, 5, 12, 16])
def test_crops_are_inside_the_image_and_their_centres_the_distance_apart(distance):
    images = coordinates().expand(200, -1, -1, -1)
    a, b = cmcv2.crops_at_distance(images, 16, distance, torch.Generator().manual_seed(0))
    assert a.shape == b.shape == (200, 2, 16, 16)
    centre = lambda crop: crop.mean((2, 3))                          # (row, column) of the centre
    apart = (centre(a) - centre(b)).norm(dim=1)
    assert (apart - distance).abs().max() <= 0.75                    # rounded to whole pixels
    assert a[:, :, 0, 0].min() >= 0 and b[:, :, -1, -1].max() <= 31
    if distance == 0:
        assert torch.equal(a, b)


def test_crops_that_cannot_fit_are_refused():
    with pytest.raises(ValueError, match="do not fit"):
        cmcv2.crops_at_distance(torch.rand(4, 3, 32, 32), 16, 20)


def test_crop_at_cuts_each_image_at_its_own_corner():
    images = torch.rand(6, 3, 10, 10)
    g = torch.Generator().manual_seed(3)
    top, left = torch.randint(0, 5, (6,), generator=g), torch.randint(0, 5, (6,), generator=g)
    ours = crop_at(images, top, left, 6)
    by_hand = torch.stack([images[i, :, t:t + 6, l:l + 6] for i, (t, l) in enumerate(zip(top, left))])
    assert torch.equal(ours, by_hand)


def test_the_infonce_estimate_and_a_training_step():
    assert cmcv2.info_nce_estimate(math.log(255), 255) == pytest.approx(0.0)
    model = SimCLR(C.make_encoder("resnet8", 4, 3, 16, seed=0), dim=16)
    views = lambda x: cmcv2.crops_at_distance(x, 16, 4)
    _, history = C.pretrain(model, TensorDataset(torch.rand(32, 3, 32, 32)), None, epochs=2,
                            lr=0.05, batch_size=16, step=cmcv2.pair_step(views), device="cpu", seed=0)
    assert history["train_loss"].notna().all() and "train_pretext accuracy" in history
