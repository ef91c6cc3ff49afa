"""The registry: every dataset name, how to load it and how to split it."""

from pathlib import Path

import numpy as np
import torch

from .. import timing
from . import offline, real, text
from .core import ImageDataset, default_root, stratified_split

DIGIT_CLASSES = [str(d) for d in range(10)]

# name -> (loader returning (images, labels), number of training images in the fixed split)
OFFLINE = {
    "mnist-mini": (offline.mnist_mini, 4000),
    "mnistm-mini": (offline.mnistm_mini, 4000),
    "digits": (offline.digits, 1437),
}
REAL = tuple(real.SPECS)
SPLITS = ("train", "test")


def names():
    """All dataset names: offline ones first, then the real image sets, then text corpora."""
    return list(OFFLINE) + list(REAL) + list(text.CORPORA)


def describe():
    """One line per dataset, for error messages and the README."""
    return "\n".join([f"  {n} (offline)" for n in OFFLINE] +
                     [f"  {n} (torchvision; needs {real.SPECS[n].folder} under the data root)"
                      for n in REAL] +
                     [f"  {n} (offline text: zoo_utils.data.text)" for n in text.CORPORA])


@timing.timed("data preparation", sealed=True)
def load(name, split="train", root=None, split_seed=0):
    """The `split` ("train" or "test") of dataset `name` as an `ImageDataset`.

    Offline sets are split once, stratified, with `split_seed`; real sets use their official
    splits and are read from `root` (default: `default_root()`).
    """
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; choose one of {SPLITS}")
    if name in OFFLINE:
        return _load_offline(name, split, split_seed)
    if name in text.CORPORA:
        raise ValueError(f"{name!r} is a text corpus: use zoo_utils.data.text.split({name!r}) or "
                         f"text.encode(text.tokenizer(...), {name!r})")
    if name in REAL:
        images, labels, classes = real.load_arrays(name, split, Path(root or default_root()))
        return ImageDataset(torch.from_numpy(images).float().div_(255), torch.from_numpy(labels),
                            classes, name)
    raise ValueError(f"unknown dataset {name!r}; the registry has:\n{describe()}")


def offline_indices(name, split, split_seed=0):
    """Which of offline dataset `name`'s images (in its loader's order) make up `split`."""
    _, n_train = OFFLINE[name]
    train, test = stratified_split(OFFLINE[name][0]()[1], n_train, split_seed)
    return train if split == "train" else test


def _load_offline(name, split, split_seed):
    images, labels = OFFLINE[name][0]()
    keep = offline_indices(name, split, split_seed)
    images = images[keep]
    if images.dtype == np.uint8:
        images = images.astype(np.float32) / 255.0
    return ImageDataset(torch.from_numpy(images), torch.from_numpy(labels[keep]), DIGIT_CLASSES,
                        name)

