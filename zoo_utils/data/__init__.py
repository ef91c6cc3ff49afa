"""One registry of datasets, offline and real.

`load(name, split, root)` returns an `ImageDataset`: images as float tensors C x H x W in
[0, 1] held in memory, integer labels, and the class names. Offline names read data shipped
inside installed packages and always work; the papers' datasets come through torchvision and
raise `DatasetUnavailable` with instructions when they are neither on disk nor downloadable.
Text lives in `text` (an offline English corpus, BPE and character tokenizers, language-model
blocks) and `sequences` (synthetic tasks with exact answers).
"""

from . import sequences, text
from .core import DatasetUnavailable, ImageDataset, default_root, stratified_split
from .offline import photo_crops
from .registry import OFFLINE, REAL, describe, load, names

__all__ = [
    "DatasetUnavailable",
    "ImageDataset",
    "OFFLINE",
    "REAL",
    "default_root",
    "describe",
    "load",
    "names",
    "photo_crops",
    "sequences",
    "stratified_split",
    "text",
]
