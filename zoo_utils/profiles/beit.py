"""Profiles of the BEiT (Bao et al. 2022) notebook."""

from dataclasses import dataclass


@dataclass(frozen=True)
class BEiTPageConfig:
    seeds: tuple
    dataset: str = "mnist-mini"      # pre-training images (labels unused), then its labels
    n_train: int | None = None
    n_test: int | None = None
    patch_size: int = 4              # 7 x 7 patches of a 28 x 28 digit
    vocabulary: int = 64             # visual tokens (the paper: 8,192 from DALL-E's dVAE)
    mask_ratio: float = 0.4
    min_block: int = 4               # patches per masked block (the paper: 16 of 14 x 14)
    d_model: int = 128
    layers: int = 4
    heads: int = 4
    epochs: int = 10
    batch_size: int = 128
    lr: float = 1e-3                 # AdamW (0.9, 0.999), weight decay 0.05, warm-up then cosine
    warmup_epochs: int = 1
    probe_epochs: int = 50
    knn_k: int = 200
    finetune_labels: int = 500       # Table 4's judge: fine-tuning, here on a few labelled images
    finetune_epochs: int = 30
    finetune_lr: float = 1e-3        # AdamW, 10% warm-up then cosine
    minutes: str = ""


PROFILES = {
    "smoke": BEiTPageConfig(seeds=(0, 1), n_train=128, n_test=64, vocabulary=16, d_model=32,
                            layers=1, heads=2, epochs=1, batch_size=64, warmup_epochs=0,
                            probe_epochs=2, knn_k=10, finetune_labels=64, finetune_epochs=1,
                            minutes="under a minute"),
    # cpu: ViT of width 128 and 4 blocks on 28 x 28 grey digits (7 x 7 patches), 10 epochs,
    # fine-tuned on 500 labels: 23.9 min at SEED=0, 23.0 at SEED=20. Tokens beat pixels at both;
    # blocks and pre-training helped at SEED=0 only. (On mnistm-mini, judged by the linear
    # probe, every pre-trained encoder had probed below an untrained one.)
    "cpu": BEiTPageConfig(seeds=(0, 1, 2), minutes="about 24 minutes on 2 cores"),
    "gpu": BEiTPageConfig(seeds=(0, 1, 2), dataset="cifar10", vocabulary=1024, min_block=8,
                          d_model=384, layers=12, heads=6, epochs=200, batch_size=256,
                          lr=1.5e-3, warmup_epochs=10, probe_epochs=90, finetune_labels=5000,
                          finetune_epochs=50,
                          minutes="about 4 hours on one GPU (an estimate)"),
}
