"""Profiles of the Rethinking ImageNet Pre-training (He, Girshick and Dollár 2019) notebook."""

from dataclasses import dataclass


@dataclass(frozen=True)
class RethinkingPageConfig:
    seeds: tuple
    dataset: str = "mnist-mini"           # source and target: disjoint classes of one dataset
    source_classes: tuple = (0, 1, 2, 3, 4)
    target_classes: tuple = (5, 6, 7, 8, 9)
    n_target: int | None = None           # the target's training images (None: all)
    n_test: int | None = None
    depth: int = 8                        # the CIFAR ResNet-8
    width: int = 16
    norm: str = "group"                   # the paper's choice for training from scratch
    batch_size: int = 64
    lr: float = 0.05                      # SGD, momentum 0.9, cosine, weight decay 5e-4
    pretrain_steps: int = 300
    schedule: int = 50                    # steps of the 1x schedule (1.6 epochs of the full target)
    multiples: tuple = (1, 2, 4)          # the schedules compared
    fractions: tuple = (1.0, 0.1)         # of the target's training images
    images_per_device: int = 4            # GroupNorm against BatchNorm: images each norm sees
    norm_steps: int = 100                 # that comparison's budget, at the full batch
    minutes: str = ""


PROFILES = {
    "smoke": RethinkingPageConfig(seeds=(0, 1), n_target=100, n_test=100, width=8, pretrain_steps=4,
                                  schedule=2, multiples=(1, 2), fractions=(1.0, 0.2),
                                  norm_steps=3, minutes="under a minute"),
    "cpu": RethinkingPageConfig(seeds=(0, 1, 2), minutes="about 4 minutes"),
    # The paper: ImageNet pre-training, COCO detection with Mask R-CNN at 1x to 6x schedules.
    # At GPU scale here: CIFAR-100's first 50 classes as the source, the other 50 as the target.
    "gpu": RethinkingPageConfig(seeds=(0, 1, 2), dataset="cifar100",
                                source_classes=tuple(range(50)), target_classes=tuple(range(50, 100)),
                                depth=20, width=16, batch_size=128, lr=0.1, pretrain_steps=20_000,
                                schedule=5_000, multiples=(1, 2, 4, 6), norm_steps=10_000,
                                minutes="about an hour on one GPU (an estimate)"),
}
