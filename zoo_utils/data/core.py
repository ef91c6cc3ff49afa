"""The in-memory dataset type, stratified splits and the data root."""

import os
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset


class DatasetUnavailable(RuntimeError):
    """A dataset is neither on disk nor downloadable; the message says what to put where."""


class ImageDataset(Dataset):
    """Images (N, C, H, W) float32 in [0, 1] and labels (N,) int64, all in memory."""

    def __init__(self, images, labels, classes, name=""):
        if images.ndim != 4 or len(images) != len(labels):
            raise ValueError(f"expected images (N, C, H, W) and N labels, got "
                             f"{tuple(images.shape)} and {tuple(labels.shape)}")
        self.images = images.float()
        self.labels = labels.long()
        self.classes = list(classes)
        self.name = name

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        return self.images[i], self.labels[i]

    def __repr__(self):
        c, h, w = self.images.shape[1:]
        return (f"ImageDataset({self.name!r}, {len(self)} images of {c}x{h}x{w}, "
                f"{len(self.classes)} classes)")

    def centred(self, mean, scale=255.0):
        """The paper's only preprocessing: raw pixel values minus the training set's mean image."""
        return ImageDataset((self.images - mean) * scale, self.labels, self.classes, self.name)

    def subset(self, n, seed=0):
        """A stratified subset of `n` images, the same for the same seed."""
        if n is None or n >= len(self):
            return self
        keep, _ = stratified_split(self.labels.numpy(), n, seed)
        return ImageDataset(self.images[keep], self.labels[keep], self.classes, self.name)


def stratified_split(labels, n_first, seed):
    """Split indices into (first, rest) with `n_first` in the first part, classes balanced."""
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    first = []
    for c in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == c))
        first.append(members[: round(n_first * len(members) / len(labels))])
    first = np.concatenate(first)
    # rounding per class can miss the total by a few: fix it from the remaining pool
    rest = np.setdiff1d(np.arange(len(labels)), first)
    rest = rng.permutation(rest)
    if len(first) < n_first:
        first, rest = np.concatenate([first, rest[: n_first - len(first)]]), rest[n_first - len(first):]
    elif len(first) > n_first:
        first, rest = first[:n_first], np.concatenate([rest, first[n_first:]])
    return np.sort(first), np.sort(rest)


def default_root():
    """Where real datasets live: $ZOO_DATA_DIR, else the checkout's `data/` folder."""
    if "ZOO_DATA_DIR" in os.environ:
        return Path(os.environ["ZOO_DATA_DIR"])
    checkout = Path(__file__).resolve().parents[2]
    if (checkout / "_toc.yml").exists():
        return checkout / "data"
    return Path.home() / ".cache" / "zoo_utils" / "data"
