"""Profiles of the DeepCluster (Caron et al. 2018) notebook."""

from dataclasses import dataclass


@dataclass(frozen=True)
class DeepClusterPageConfig:
    seeds: tuple
    dataset: str = "mnist-mini"
    n_train: int | None = None
    n_test: int | None = None
    channels: int = 1
    size: int = 28
    widths: tuple = (32, 64, 128, 128)    # the convolutional blocks (the paper: AlexNet's five)
    feature_dim: int = 128                # the clustered features (the paper: 4,096)
    k: int = 100                          # clusters, ten per class (the paper: 10,000 for 1,000)
    pca_dim: int = 32                     # the paper: 256
    epochs: int = 12
    batch_size: int = 128
    lr: float = 0.05                      # SGD, momentum 0.9, weight decay 1e-5 (the paper's)
    probe_epochs: int = 30
    minutes: str = ""


PROFILES = {
    "smoke": DeepClusterPageConfig(seeds=(0, 1), n_train=200, n_test=100, widths=(8, 16, 16, 16),
                                   feature_dim=16, k=10, pca_dim=8, epochs=2, batch_size=64,
                                   probe_epochs=2, minutes="under a minute"),
    "cpu": DeepClusterPageConfig(seeds=(0, 1, 2), minutes="about 3 minutes"),
    "gpu": DeepClusterPageConfig(seeds=(0, 1, 2), dataset="cifar10", channels=3, size=32,
                                 widths=(96, 256, 384, 384), feature_dim=1024, k=1000, pca_dim=128,
                                 epochs=200, batch_size=256, probe_epochs=100,
                                 minutes="about two hours on one GPU (an estimate)"),
}
