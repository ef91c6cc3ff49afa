"""Profiles of the Neural ODEs (Chen et al. 2018) notebook."""

from dataclasses import dataclass


@dataclass(frozen=True)
class NeuralODEPageConfig:
    seeds: tuple
    dataset: str = "mnist-mini"      # the paper's MNIST experiment, offline
    n_train: int | None = None
    n_test: int | None = None
    width: int = 32                  # channels of the stem and the middle (the paper: 64)
    n_blocks: int = 6                # residual blocks of the ResNet (the paper's six)
    tol: float = 1e-3                # the solver's tolerance while training
    adjoint: bool = True             # the ODE-Net's gradients (the paper's choice)
    epochs: int = 3
    batch_size: int = 64
    optimizer: str = "adam"          # "adam" (warm-up then cosine) or "sgd" (momentum 0.9, cosine)
    lr: float = 3e-3
    depths: tuple = (1, 2, 4, 8, 16, 32)    # RK4 steps in the memory measurement
    flow_size: int = 8               # planar layers K and CNF units M (Fig 4)
    flow_iterations: int = 300
    flow_batch: int = 256
    flow_lr: float = 1e-2            # Adam
    minutes: str = ""


PROFILES = {
    "smoke": NeuralODEPageConfig(seeds=(0, 1), n_train=256, n_test=128, width=8, epochs=1,
                                 batch_size=64, depths=(1, 2, 4), flow_iterations=5,
                                 flow_batch=32, minutes="under a minute"),
    # cpu: the paper's recipe (SGD, lr 0.1, batch 128) left both classifiers near chance after the
    # 94 updates that 3 epochs of 4,000 digits give (test error ResNet 40 +- 5%, ODE-Net 48 +- 13%).
    # Trials, ResNet, seed 0, 3 epochs: SGD 0.1 at batch 64 12.7%; Adam 3e-3 at batch 64 with a
    # 10% warm-up 4.1% (seed 1: 5.9%); the ODE-Net with it 7.2% (60 s with the adjoint, 34 s
    # without). Groups of two channels (16 at width 32) were no better (5.9%) and unstable with SGD.
    "cpu": NeuralODEPageConfig(seeds=(0, 1, 2), minutes="about 5 minutes"),
    "gpu": NeuralODEPageConfig(seeds=(0, 1, 2), dataset="mnist", width=64, epochs=160,
                               batch_size=128, optimizer="sgd", lr=0.1,
                               depths=(1, 2, 4, 8, 16, 32, 64, 128), flow_size=32,
                               flow_iterations=10_000,
                               minutes="about two hours for the classifiers on one GPU (an estimate)"),
}
