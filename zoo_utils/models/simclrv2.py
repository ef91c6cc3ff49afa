"""SimCLR v2 (Chen, Kornblith, Swersky, Norouzi and Hinton, NeurIPS 2020): big self-supervised
models are strong semi-supervised learners. Three steps: pre-train with SimCLR, with a deeper
projection head; fine-tune on the few labelled images from a *middle* layer of that head, not
from the features under it; then distil the fine-tuned network into a student on the unlabelled
images, the teacher's softened predictions as targets.

Here: the deeper head, the fine-tuned classifier that keeps the first layers of the head, and
the distillation loss and step. Pre-training is `zoo_utils.models.simclr.SimCLR`'s NT-Xent."""

import copy

import torch
import torch.nn.functional as F
from torch import nn

from zoo_utils.models.simclr import SimCLR


def deep_head(in_dim, out_dim, depth=3):
    """`depth` layers, each linear then BatchNorm, with a ReLU after every layer but the last
    (SimCLR v2's head: three layers, hidden layers as wide as the features)."""
    layers = []
    for i in range(depth):
        last = i == depth - 1
        width = out_dim if last else in_dim
        layers.append(nn.Sequential(nn.Linear(in_dim, width), nn.BatchNorm1d(width),
                                    *([] if last else [nn.ReLU()])))
    return nn.Sequential(*layers)


class SimCLRv2(SimCLR):
    """SimCLR with the deeper head; `features` (h) and `projections` (z) as in SimCLR."""

    def __init__(self, encoder, depth=3, dim=128, temperature=0.5):
        super().__init__(encoder, "none", dim, temperature)
        self.head = deep_head(encoder.fc.in_features, dim, depth)


class FineTuned(nn.Module):
    """A classifier made from a pre-trained SimCLR v2 model: a copy of its encoder and of the
    first `from_layer` layers of its head (0: from h, as in SimCLR; 1: from the head's first
    layer, SimCLR v2's choice), then a new linear layer to `classes`. Every part is trained."""

    def __init__(self, pretrained, from_layer, classes):
        super().__init__()
        self.encoder = copy.deepcopy(pretrained.encoder)
        self.head = copy.deepcopy(pretrained.head[:from_layer])
        width = pretrained.encoder.fc.in_features
        self.fc = nn.Linear(width, classes)

    def forward(self, images):
        return self.fc(self.head(self.encoder.features(images)))


def distillation_loss(student_logits, teacher_logits, tau=1.0):
    """The cross-entropy of the student's predictions against the teacher's, both softened by
    the temperature `tau`, averaged over the batch (the teacher is fixed)."""
    targets = F.softmax(teacher_logits.detach() / tau, dim=1)
    return -(targets * F.log_softmax(student_logits / tau, dim=1)).sum(1).mean()


def distillation_step(teacher, tau=1.0):
    """A training step for `zoo_utils.train.fit` on unlabelled images (augmented by `fit`): the
    student learns the fixed teacher's predictions for the same view."""
    teacher.eval()

    def step(student, batch):
        images = batch[0]
        with torch.no_grad():
            teacher_logits = teacher(images)
        student_logits = student(images)
        agree = (student_logits.argmax(1) == teacher_logits.argmax(1)).float().mean()
        return {"loss": distillation_loss(student_logits, teacher_logits, tau), "agreement": agree}
    return step
