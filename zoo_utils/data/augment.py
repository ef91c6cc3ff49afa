"""Augmentation on whole tensor batches, so it runs wherever the batch lives (CPU or GPU)."""

import torch
import torch.nn.functional as F


def to_device(values, device):
    """Random parameters drawn on the CPU, sent to `device`: through pinned memory without
    waiting on a GPU (a plain copy from pageable memory would wait for the GPU's queued work
    every step), and untouched on the CPU."""
    device = torch.device(device)
    if device.type != "cuda":
        return values.to(device)
    return values.pin_memory().to(device, non_blocking=True)


def crop_at(images, top, left, height, width=None):
    """For each image, the `height` x `width` window (square by default) whose corner is at
    (`top`, `left`), given as tensors of one integer per image."""
    rows = to_device(top[:, None], images.device) + torch.arange(height, device=images.device)
    cols = to_device(left[:, None], images.device) + torch.arange(width or height,
                                                                  device=images.device)
    batch = torch.arange(len(images), device=images.device)[:, None, None]
    return images.permute(0, 2, 3, 1)[batch, rows[:, :, None], cols[:, None, :]].permute(0, 3, 1, 2)


def random_crop(images, padding, generator=None):
    """Zero-pad each side by `padding`, then cut a random crop of the original size per image."""
    b, _, h, w = images.shape
    padded = F.pad(images, (padding,) * 4)
    offsets = torch.randint(0, 2 * padding + 1, (2, b), generator=generator)
    return crop_at(padded, offsets[0], offsets[1], h, w)


def random_flip(images, generator=None):
    """Mirror each image left-right with probability 1/2."""
    flip = to_device(torch.rand(len(images), generator=generator), images.device) < 0.5
    return torch.where(flip[:, None, None, None], images.flip(-1), images)


def crop_and_flip(padding=4, flip=True):
    """The standard CIFAR augmentation (pad-4 random crop, random flip) as a batch function;
    `flip=False` keeps the crop only (for digits, whose mirror images are not digits)."""
    def augment(images, generator=None):
        images = random_crop(images, padding, generator)
        return random_flip(images, generator) if flip else images
    return augment
