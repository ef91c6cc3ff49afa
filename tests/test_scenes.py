"""Digit scenes (zoo_utils.data.scenes), the data of the DenseCL, ContrastiveCrop and QueryInst
pages: labels that follow the strokes, digits that never overlap, seeded, split by digits."""

import pytest
import torch

from zoo_utils.data.scenes import digit_scenes


def test_digit_scenes_label_every_stroke_pixel_with_its_digit():
    scenes = digit_scenes(6, "train", canvas=64, k=3, seed=0)
    assert scenes.images.shape == (6, 3, 64, 64) and scenes.masks.shape == (6, 3, 64, 64)
    assert scenes.masks.sum(1).max() <= 1                          # digits never overlap
    for i in range(6):
        for j in range(3):
            assert (scenes.semantic[i][scenes.masks[i, j]] == scenes.classes[i, j] + 1).all()
            top, left, bottom, right = scenes.boxes[i, j].long()
            assert scenes.masks[i, j].sum() == scenes.masks[i, j, top:bottom, left:right].sum() > 0
    assert (scenes.semantic[~scenes.masks.any(1)] == 0).all()
    again = digit_scenes(6, "train", canvas=64, k=3, seed=0)
    assert torch.equal(scenes.images, again.images)
    assert not torch.equal(digit_scenes(6, "test", canvas=64, k=3, seed=0).images, scenes.images)


def test_digit_scenes_refuse_more_digits_than_cells():
    with pytest.raises(ValueError, match="cells"):
        digit_scenes(2, canvas=64, k=5, cell=32)


def test_one_class_scenes_keep_the_masks_and_forget_the_digits_names():
    scenes = digit_scenes(4, k=3, seed=0)
    one = scenes.one_class()
    assert one.num_classes == 2 and scenes.num_classes == 11
    assert (one.classes == 0).all() and torch.equal(one.masks, scenes.masks)
    assert torch.equal(one.semantic, (scenes.semantic > 0).long())
