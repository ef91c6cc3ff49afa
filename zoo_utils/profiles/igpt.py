"""Profiles of the Image GPT (Chen et al. 2020) notebook."""

from dataclasses import dataclass


@dataclass(frozen=True)
class IGPTPageConfig:
    seeds: tuple
    dataset: str = "mnistm-mini"     # pre-training images (labels unused) and probe labels
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
    # cpu: 12 x 12 (144 pixels), 8 blocks of width 64, 6 epochs (about 30 s an epoch); at
    # 16 x 16 an epoch took twice as long. One run (SEED=0, 26 min): every layer of every model,
    # untrained too, probes at 13-15% on mnistm-mini; the dataset is to change (see the page)
    "cpu": IGPTPageConfig(seeds=(0, 1, 2), size=12, epochs=6,
                          minutes="about 25 minutes on 2 cores"),
    "gpu": IGPTPageConfig(seeds=(0, 1, 2), dataset="cifar10", size=32, colours=512, layers=24,
                          d_model=512, heads=8, epochs=30, batch_size=128, lr=3e-4,
                          warmup_epochs=2, probe_epochs=90,
                          minutes="about 6 hours on one GPU (an estimate)"),
}
