"""Profiles of the ViT (Dosovitskiy et al. 2021) notebook."""

from dataclasses import dataclass


@dataclass(frozen=True)
class ViTPageConfig:
    seeds: tuple
    dataset: str = "mnistm-mini"
    n_train: int | None = None
    n_test: int | None = None
    patch_size: int = 4
    d_model: int = 64
    layers: int = 6
    heads: int = 4
    epochs: int = 10                 # supervised training on the whole training set
    batch_size: int = 128
    lr: float = 1e-3                 # AdamW, weight decay 0.05, warm-up then cosine
    # self-supervised pre-training of the same encoder (MAE) on more images: photo crops added
    mae_epochs: int = 10
    mae_photo_crops: int = 4000
    # Figs 3-4 in spirit: ViT against a ResNet as the training set grows, same number of steps
    sizes: tuple = (500, 1000, 2000, 4000)
    scale_steps: int = 150
    resnet_width: int = 16
    # Appendix D.3: [CLS] against global average pooling at several learning rates
    pool_lrs: tuple = (3e-4, 1e-3, 3e-3)
    pool_steps: int = 120
    minutes: str = ""


PROFILES = {
    "smoke": ViTPageConfig(seeds=(0, 1), n_train=128, n_test=64, d_model=16, layers=2, heads=2, epochs=1,
                           batch_size=64, mae_epochs=1, mae_photo_crops=64, sizes=(64, 128),
                           scale_steps=2, resnet_width=4, pool_lrs=(1e-3, 3e-3), pool_steps=2,
                           minutes="under a minute"),
    "cpu": ViTPageConfig(seeds=(0, 1, 2), minutes="over 30 minutes on 2 cores (being trimmed; not yet in the book)"),
    "gpu": ViTPageConfig(seeds=(0, 1, 2), dataset="cifar10", d_model=384, layers=12, heads=6,
                         epochs=200, batch_size=256, mae_epochs=200, mae_photo_crops=0,
                         sizes=(2500, 5000, 10000, 25000, 50000), scale_steps=10000,
                         resnet_width=64, pool_steps=10000,
                         minutes="about 4 hours on one GPU (an estimate)"),
}
