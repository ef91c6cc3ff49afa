"""Profiles of the Image GPT (Chen et al. 2020) notebook."""

from dataclasses import dataclass


@dataclass(frozen=True)
class IGPTPageConfig:
    seeds: tuple
    dataset: str = "mnist-mini"      # pre-training images (labels unused) and probe labels
    n_train: int | None = None
    n_test: int | None = None
    size: int = 16                   # images resized to size x size: sequences of size² pixels
    colours: int = 16                # the palette (the paper: 512)
    layers: int = 8
    d_model: int = 64
    heads: int = 4
    epochs: int = 10
    batch_size: int = 64
    lr: float = 1e-3                 # AdamW, linear warm-up then cosine decay
    warmup_epochs: int = 1
    objectives: tuple = ("autoregressive", "bert")
    probe_epochs: int = 30
    minutes: str = ""


PROFILES = {
    "smoke": IGPTPageConfig(seeds=(0, 1), n_train=128, n_test=64, size=8, colours=8, layers=2,
                            d_model=16, heads=2, epochs=1, warmup_epochs=0, probe_epochs=2,
                            minutes="under a minute"),
    # cpu: 12 x 12 grey digits (144 pixels) in 8 grey levels, 8 blocks of width 64, 5 epochs
    # (about 35 s an epoch). On mnistm-mini (16 colours, 6 epochs) no layer of any model,
    # untrained too, probed above 15%, so the page moved to mnist-mini
    "cpu": IGPTPageConfig(seeds=(0, 1, 2), size=12, colours=8, epochs=5,
                          minutes="about 18 minutes on 2 cores"),
    "gpu": IGPTPageConfig(seeds=(0, 1, 2), dataset="cifar10", size=32, colours=512, layers=24,
                          d_model=512, heads=8, epochs=30, batch_size=128, lr=3e-4,
                          warmup_epochs=2, probe_epochs=90,
                          minutes="about 6 hours on one GPU (an estimate)"),
}
