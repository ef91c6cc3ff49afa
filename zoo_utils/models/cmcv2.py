"""InfoMin, the survey's CMC v2 (Tian, Sun, Poole, Krishnan, Schmid and Isola, NeurIPS 2020):
what makes for good views for contrastive learning. Two views should share the information
the downstream task needs and as little else as possible. If they share too much, the
contrastive task is solved by nuisances; if too little, the task's information is lost too.
Varying how much the views share, the downstream accuracy traces a reverse U (Fig 1).

Here: views that are two crops of one image a set distance apart (the paper's patch-distance
experiment), the training step that contrasts them, and the InfoNCE estimate of the
information they share."""

import math

import torch

from zoo_utils.data.augment import crop_at


def crops_at_distance(images, size, distance, generator=None):
    """Two `size`-pixel crops of each image whose centres are `distance` pixels apart, in a
    random direction, both inside the image; the pair's position is random too."""
    b, _, h, w = images.shape
    angle = 2 * math.pi * torch.rand(b, generator=generator)
    dy, dx = (distance * angle.sin()).round().long(), (distance * angle.cos()).round().long()
    if (dy.abs() > h - size).any() or (dx.abs() > w - size).any():
        raise ValueError(f"{size}-pixel crops {distance} pixels apart do not fit in {h} x {w} images")
    # the first corner ranges so that the second, shifted by (dy, dx), stays inside the image
    low_y, high_y = (-dy).clamp(min=0), h - size - dy.clamp(min=0)
    low_x, high_x = (-dx).clamp(min=0), w - size - dx.clamp(min=0)
    top = low_y + (torch.rand(b, generator=generator) * (high_y - low_y + 1)).long()
    left = low_x + (torch.rand(b, generator=generator) * (high_x - low_x + 1)).long()
    return crop_at(images, top, left, size), crop_at(images, top + dy, left + dx, size)


def pair_step(views):
    """A training step for `zoo_utils.train.fit`: a pair of views of the batch's images from
    `views(images)`, a model that returns (loss, logits) with the positive in column 0."""
    def step(model, batch):
        loss, logits = model(*views(batch[0]))
        return {"loss": loss, "pretext accuracy": (logits.argmax(1) == 0).float().mean()}
    return step


def info_nce_estimate(loss, candidates):
    """The InfoNCE lower bound on the information two views share, in nats: log(candidates)
    minus the loss (each view picks its partner among `candidates`)."""
    return math.log(candidates) - loss
