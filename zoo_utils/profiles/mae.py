"""Profiles of the MAE (He et al. 2022) notebook."""

from dataclasses import dataclass


@dataclass(frozen=True)
class MAEPageConfig:
    seeds: tuple
    dataset: str = "mnistm-mini"       # pre-training images (labels unused) and probe labels
    n_train: int | None = None
    n_test: int | None = None
    patch_size: int = 4
    d_model: int = 128
    layers: int = 4
    heads: int = 4
    decoder_d_model: int = 64
    decoder_layers: int = 2
    decoder_heads: int = 4
    epochs: int = 20
    batch_size: int = 128
    lr: float = 1e-3                   # AdamW (0.9, 0.95), weight decay 0.05, cosine after warm-up
    warmup_epochs: int = 3
    ratios: tuple = (0.25, 0.75, 0.9)  # Fig 5, with normalised targets
    decoder_depths: tuple = (1, 2)     # Table 1a, at 75% with normalised targets
    probe_epochs: int = 50
    knn_k: int = 200
    minutes: str = ""


PROFILES = {
    "smoke": MAEPageConfig(seeds=(0, 1), n_train=128, n_test=64, d_model=32, layers=1, heads=2,
                           decoder_d_model=16, decoder_layers=1, decoder_heads=2, epochs=1,
                           batch_size=64, warmup_epochs=0, ratios=(0.5, 0.75), decoder_depths=(1, 2),
                           probe_epochs=2, knn_k=10, minutes="under a minute"),
    "cpu": MAEPageConfig(seeds=(0, 1, 2), epochs=12, warmup_epochs=2,
                         minutes="about 27 minutes on 2 cores"),
    "gpu": MAEPageConfig(seeds=(0, 1, 2), dataset="cifar10", d_model=384, layers=12, heads=6,
                         decoder_d_model=256, decoder_layers=4, decoder_heads=8, epochs=200,
                         ratios=(0.25, 0.5, 0.75, 0.9), decoder_depths=(1, 2, 4, 8),
                         batch_size=256, lr=1.5e-3, warmup_epochs=20, probe_epochs=90,
                         minutes="about 3 hours on one GPU (an estimate)"),
}
