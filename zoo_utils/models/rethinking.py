"""Rethinking ImageNet Pre-training (He, Girshick and Dollár, ICCV 2019): a network trained from
random initialisation on the target task, for long enough and with normalisation that does not
depend on a large batch (GroupNorm), reaches the accuracy of one pre-trained on another task and
fine-tuned; pre-training mostly makes the early part of training faster, and matters when the
target data are few.

Here: a source and a target task made of disjoint classes of one dataset, the transfer of a
pre-trained network to a new classifier, and the one recipe every run shares, a budget counted in
optimisation steps (the paper's schedules: 1x, 2x, 4x)."""

import copy

import torch
from torch import nn

from zoo_utils import train
from zoo_utils.data import ImageDataset


def class_split(dataset, classes):
    """The images of `classes` only, relabelled 0, 1, ... in that order: one task of a dataset."""
    keep = torch.isin(dataset.labels, torch.tensor(classes))
    relabel = {c: i for i, c in enumerate(classes)}
    labels = torch.tensor([relabel[int(y)] for y in dataset.labels[keep]])
    return ImageDataset(dataset.images[keep], labels, [dataset.classes[c] for c in classes],
                        f"{dataset.name} classes {list(classes)}")


def transfer(pretrained, num_classes):
    """A copy of `pretrained` with a new, randomly initialised classifier: every layer is then
    fine-tuned, as the paper fine-tunes its detectors."""
    model = copy.deepcopy(pretrained)
    model.fc = nn.Linear(model.fc.in_features, num_classes)
    return model


def per_device_step(images_per_device):
    """The classification step as if each batch were spread over several devices that each
    normalise their own `images_per_device` images (the paper's detectors hold two per GPU):
    BatchNorm's statistics then come from that few, while the gradient is still the whole
    batch's. GroupNorm, which normalises each image alone, gives the same result either way."""
    def step(model, batch):
        images, labels = batch
        return train.classification_step(
            lambda x: torch.cat([model(part) for part in x.split(images_per_device)]), (images, labels))
    return step


def train_steps(model, train_set, steps, *, lr, batch_size, seed, test_set=None, augment=None,
                step=train.classification_step, weight_decay=5e-4, device=None, desc="train"):
    """`steps` updates of SGD with momentum and a cosine decay, however many epochs that takes:
    the same budget whether the target set is large or small. Returns the per-epoch history
    (with the test error after each epoch if `test_set` is given)."""
    return train.fit_steps(model, train_set, steps, lr=lr, batch_size=batch_size,
                           test_set=test_set, weight_decay=weight_decay, step=step,
                           augment=augment, seed=seed, device=device, desc=desc)


def test_error(model, test_set, device=None):
    """Top-1 error on `test_set`, in %."""
    return 100 * train.evaluate(model, test_set, device=device)["error"]
