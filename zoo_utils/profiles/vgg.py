"""Profiles of the VGG (Simonyan and Zisserman 2015) notebook."""

from dataclasses import dataclass


@dataclass(frozen=True)
class VGGConfig:
    dataset: str
    n_train: int | None
    n_test: int | None
    seeds: tuple
    epochs: int
    batch_size: int = 128
    lr: float = 0.05
    milestones: tuple = ()               # iterations at which the rate is divided by 10
    weight_decay: float = 5e-4
    batch_norm: bool = True              # trains the small nets fast; the paper had none
    stack_widths: tuple = (8, 16, 32)    # 3x3-stack against 7x7 nets
    width: int = 8                       # VGG A/D/A-LRN: 8 gives 8-16-32-64-64 channels
    hidden: int = 128                    # their FC width (4096 in the paper)
    augment: bool = False
    minutes: str = ""


PROFILES = {
    "smoke": VGGConfig(dataset="mnistm-mini", n_train=256, n_test=128, seeds=(0, 1), epochs=1,
                       stack_widths=(4, 8, 8), width=4, hidden=16, minutes="under a minute"),
    # five seeds: the depth and LRN differences are close
    "cpu": VGGConfig(dataset="mnistm-mini", n_train=None, n_test=None, seeds=(0, 1, 2, 3, 4),
                     epochs=8, milestones=(6 * 32,), minutes="about 6 minutes on 2 cores"),
    "gpu": VGGConfig(dataset="cifar10", n_train=None, n_test=None, seeds=(0, 1, 2), epochs=40,
                     lr=0.02, milestones=(30 * 391,), stack_widths=(64, 128, 256), width=64,
                     hidden=512, augment=True,
                     minutes="about 1 GPU-hour"),
}
