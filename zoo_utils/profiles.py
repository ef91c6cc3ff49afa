"""The three profiles of every notebook, as data.

`get(notebook, profile)` returns that notebook's config at `smoke` (CI: every code path, tiny
data), `cpu` (a laptop: the offline datasets, about 5 minutes on 2 cores) or `gpu` (the paper's
dataset and scale). `profile=None` reads $ZOO_PROFILE and falls back to `cpu`.
"""

import os
from dataclasses import dataclass, replace

PROFILE_NAMES = ("smoke", "cpu", "gpu")
DEFAULT_PROFILE = "cpu"


@dataclass(frozen=True)
class AlexNetConfig:
    dataset: str
    n_train: int | None          # None: the whole training split
    n_test: int | None
    seeds: tuple
    batch_size: int = 128
    # Fig 1: the four-layer CNN, ReLU against tanh, each at its own best learning rate, under
    # each (label, init, input scale, learning-rate grid) condition
    fig1_widths: tuple = (12, 12, 24)
    fig1_conditions: tuple = (
        ("PyTorch default init, inputs in [0, 1]", "default", "unit", (0.01, 0.03, 0.1)),
        ("cuda-convnet init, centred 0-255 inputs", "convnet", "centred", (0.003, 0.01, 0.03)),
    )
    fig1_sweep_epochs: int = 5
    fig1_epochs: int = 10
    fig1_threshold: float = 0.25
    # overlapping pooling, dropout and Fig 3's neighbours: a small AlexNet
    small_width: int = 12
    small_hidden: int = 256
    small_lr: float = 0.03
    small_weight_decay: float = 5e-4
    small_epochs: int = 8
    augment: bool = False
    n_queries: int = 6
    n_neighbours: int = 7
    minutes: str = ""                # expected running time, stated at the top of the page


ALEXNET = {
    "smoke": AlexNetConfig(dataset="mnistm-mini", n_train=256, n_test=128, seeds=(0, 1),
                           fig1_widths=(4, 4, 8), fig1_sweep_epochs=1, fig1_epochs=2,
                           fig1_conditions=(("default init", "default", "unit", (0.03, 0.1)),
                                            ("cuda-convnet init", "convnet", "centred", (0.01,))),
                           small_width=4, small_hidden=16, small_epochs=2, n_queries=2,
                           n_neighbours=3, minutes="under a minute"),
    "cpu": AlexNetConfig(dataset="mnistm-mini", n_train=None, n_test=None, seeds=(0, 1, 2),
                         minutes="about 5 minutes on 2 cores"),
    "gpu": AlexNetConfig(dataset="cifar10", n_train=None, n_test=None, seeds=(0, 1, 2),
                         fig1_widths=(32, 32, 64), fig1_sweep_epochs=15, fig1_epochs=40,
                         fig1_conditions=(
                             ("PyTorch default init, inputs in [0, 1]", "default", "unit",
                              (0.003, 0.01, 0.03, 0.1)),
                             ("cuda-convnet init, centred 0-255 inputs", "convnet", "centred",
                              (0.001, 0.003, 0.01, 0.03))),
                         small_width=64, small_hidden=1024, small_lr=0.01, small_epochs=40,
                         augment=True,
                         minutes="about 1 GPU-hour"),
}

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


VGG = {
    "smoke": VGGConfig(dataset="mnistm-mini", n_train=256, n_test=128, seeds=(0, 1), epochs=1,
                       stack_widths=(4, 8, 8), width=4, hidden=16, minutes="under a minute"),
    "cpu": VGGConfig(dataset="mnistm-mini", n_train=None, n_test=None, seeds=(0, 1, 2), epochs=8,
                     milestones=(6 * 32,), minutes="about 5 minutes on 2 cores"),
    "gpu": VGGConfig(dataset="cifar10", n_train=None, n_test=None, seeds=(0, 1, 2), epochs=40,
                     lr=0.02, milestones=(30 * 391,), stack_widths=(64, 128, 256), width=64,
                     hidden=512, augment=True,
                     minutes="about 1 GPU-hour"),
}

@dataclass(frozen=True)
class ResNetConfig:
    dataset: str
    n_train: int | None
    n_test: int | None
    seeds: tuple
    epochs: int
    depths: tuple = (20, 56)            # the degradation runs: each depth plain and residual
    width: int = 8                      # 16 in the paper
    batch_size: int = 32                # 128 in the paper
    lr: float = 0.05                    # 0.1 in the paper
    warmup_epochs: int = 1
    milestones: tuple = ()              # iterations at which the rate is divided by 10
    weight_decay: float = 1e-4
    augment: bool = False
    compare_paper_recipe: bool = True   # also train the residual nets with the paper's recipe
    minutes: str = ""


RESNET = {
    "smoke": ResNetConfig(dataset="mnistm-mini", n_train=128, n_test=64, seeds=(0, 1), epochs=1,
                          depths=(8, 14), width=4, minutes="under a minute"),
    "cpu": ResNetConfig(dataset="mnistm-mini", n_train=1600, n_test=None, seeds=(0, 1, 2),
                        epochs=5, milestones=(4 * 50,), minutes="about 8 minutes on 2 cores"),
    # the paper's recipe (§4.2): 45k/5k split, batch 128, lr 0.1 (/10 at 32k and 48k iterations,
    # stop at 64k = 182 epochs), weight decay 1e-4, pad-4 crop and flip
    "gpu": ResNetConfig(dataset="cifar10", n_train=45000, n_test=None, seeds=(0, 1, 2), epochs=182,
                        depths=(20, 32, 44, 56, 110), width=16, batch_size=128, lr=0.1,
                        milestones=(32000, 48000), augment=True, compare_paper_recipe=False,
                        minutes="about 12 GPU-hours (an estimate, not measured)"),
}

REGISTRY = {"alexnet": ALEXNET, "vgg": VGG, "resnet": RESNET}


def resolve(profile=None):
    """The profile name to use: the argument, else $ZOO_PROFILE, else `cpu`; checked."""
    name = profile or os.environ.get("ZOO_PROFILE") or DEFAULT_PROFILE
    if name not in PROFILE_NAMES:
        raise ValueError(f"unknown profile {name!r}; valid profiles: {', '.join(PROFILE_NAMES)}")
    return name


def get(notebook, profile=None, **overrides):
    """`notebook`'s config at `profile`, with any fields overridden by keyword."""
    if notebook not in REGISTRY:
        raise ValueError(f"no profiles for notebook {notebook!r}; known: {', '.join(REGISTRY)}")
    return replace(REGISTRY[notebook][resolve(profile)], **overrides)


__all__ = ["PROFILE_NAMES", "get", "resolve", "AlexNetConfig"]
