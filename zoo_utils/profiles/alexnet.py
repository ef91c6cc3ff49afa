"""Profiles of the AlexNet (Krizhevsky et al. 2012) notebook."""

from dataclasses import dataclass


@dataclass(frozen=True)
class AlexNetConfig:
    dataset: str
    n_train: int | None          # None: the whole training split
    n_test: int | None
    seeds: tuple                     # the small AlexNets (pooling, dropout, Fig 3)
    fig1_seeds: tuple = (0, 1, 2)    # Fig 1's runs at the chosen rates; its gap is wide
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


PROFILES = {
    "smoke": AlexNetConfig(dataset="mnistm-mini", n_train=256, n_test=128, seeds=(0, 1),
                           fig1_seeds=(0, 1),
                           fig1_widths=(4, 4, 8), fig1_sweep_epochs=1, fig1_epochs=2,
                           fig1_conditions=(("default init", "default", "unit", (0.03, 0.1)),
                                            ("cuda-convnet init", "convnet", "centred", (0.01,))),
                           small_width=4, small_hidden=16, small_epochs=2, n_queries=2,
                           n_neighbours=3, minutes="under a minute"),
    # five seeds for the small nets, whose differences (pooling, dropout) are close
    "cpu": AlexNetConfig(dataset="mnistm-mini", n_train=None, n_test=None, seeds=(0, 1, 2, 3, 4),
                         minutes="about 6 minutes on 2 cores"),
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
