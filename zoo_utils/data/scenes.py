"""Digit scenes: a few `mnist-mini` digits on one crop of a shipped photo, blended the MNIST-M
way (|photo - digit| per channel), with the labels a dense task needs. The pages on dense
pre-training (DenseCL), on choosing crops (ContrastiveCrop) and on instance segmentation
(QueryInst) all use them.

Each digit sits in its own cell of a square grid on the canvas, at a random offset inside the
cell, so digits never overlap and every digit has one mask. A pixel belongs to a digit where
the digit's stroke is brighter than `stroke`.
"""

from dataclasses import dataclass

import numpy as np
import torch

from .. import timing
from . import offline
from .registry import offline_indices

DIGIT = 28   # the side of an mnist-mini digit, in pixels


@dataclass
class Scenes:
    """`images` (n, 3, S, S) in [0, 1]; `semantic` (n, S, S): 0 for background, 1 + the digit's
    class on its strokes; per digit: `masks` (n, k, S, S) bool, `classes` (n, k) and `boxes`
    (n, k, 4) as (top, left, bottom, right) in pixels, the square the digit was pasted in."""
    images: torch.Tensor
    semantic: torch.Tensor
    masks: torch.Tensor
    classes: torch.Tensor
    boxes: torch.Tensor
    num_classes: int = 11            # of the semantic labels: background and ten digits

    def __len__(self):
        return len(self.images)

    def __repr__(self):
        n, k, size = self.masks.shape[:3]
        return f"Scenes({n} images of {size} x {size} pixels, {k} digits each)"

    def one_class(self):
        """The same scenes with every digit of one class, "digit": for tasks about finding and
        outlining objects rather than naming them."""
        return Scenes(self.images, (self.semantic > 0).long(), self.masks, torch.zeros_like(self.classes),
                      self.boxes, num_classes=2)


@timing.timed("data preparation", sealed=True)
def digit_scenes(n, split="train", canvas=64, k=2, cell=32, stroke=0.5, seed=0):
    """`n` scenes of `canvas` pixels with `k` digits from `split` of mnist-mini (the training
    and test scenes never share a digit), each in one of the (canvas // cell)^2 grid cells."""
    grid = canvas // cell
    if cell < DIGIT or k > grid * grid:
        raise ValueError(f"{k} digits of {DIGIT} pixels need {k} cells of at least {DIGIT} pixels; "
                         f"a {canvas}-pixel canvas has {grid * grid} cells of {cell}")
    rng = np.random.default_rng(seed)
    digits, labels = offline.mnist_mini()
    pool = offline_indices("mnist-mini", split)
    photos = offline.photo_crops(n, canvas, seed=seed)
    strokes = torch.zeros(n, k, canvas, canvas)
    classes = torch.zeros(n, k, dtype=torch.long)
    boxes = torch.zeros(n, k, 4)
    for i in range(n):
        for j, c in enumerate(rng.choice(grid * grid, size=k, replace=False)):
            top = c // grid * cell + rng.integers(cell - DIGIT + 1)
            left = c % grid * cell + rng.integers(cell - DIGIT + 1)
            which = pool[rng.integers(len(pool))]
            strokes[i, j, top:top + DIGIT, left:left + DIGIT] = torch.from_numpy(digits[which, 0] / 255.0)
            classes[i, j] = int(labels[which])
            boxes[i, j] = torch.tensor([top, left, top + DIGIT, left + DIGIT])
    images = (photos - strokes.amax(1, keepdim=True)).abs()
    masks = strokes > stroke
    semantic = (masks * (classes[..., None, None] + 1)).amax(1)
    return Scenes(images, semantic, masks, classes, boxes)
