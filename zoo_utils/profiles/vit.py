"""Profiles of the ViT (Dosovitskiy et al. 2021) notebook."""

from dataclasses import dataclass


@dataclass(frozen=True)
class ViTPageConfig:
    seeds: tuple
    dataset: str = "mnistm-mini"
    n_train: int | None = None
    n_test: int | None = None
    crop_padding: int = 2            # random crops of the padded image ...
    flip: bool = False               # ... not mirrored: a mirrored digit is not a digit
    patch_size: int = 4
    d_model: int = 64
    layers: int = 6
    heads: int = 4
    epochs: int = 20                 # supervised training on the whole training set
    batch_size: int = 128
    lr: float = 1e-3                 # AdamW, weight decay 0.05, warm-up then cosine
    # self-supervised pre-training of the same encoder (MAE) on more images: photo crops added
    mae_epochs: int = 10
    mae_photo_crops: int = 4000
    # the side experiments train many models, so they use a smaller ViT
    side_d_model: int = 32
    side_layers: int = 4
    # Figs 3-4 in spirit: ViT against a ResNet of similar cost as the training set grows
    sizes: tuple = (500, 1000, 2000, 4000)
    scale_steps: int = 150
    # Appendix D.3: [CLS] against global average pooling at several learning rates
    pool_lrs: tuple = (1e-3, 3e-3)
    pool_steps: int = 300
    minutes: str = ""


PROFILES = {
    "smoke": ViTPageConfig(seeds=(0, 1), n_train=128, n_test=64, d_model=16, layers=2, heads=2, epochs=1,
                           batch_size=64, mae_epochs=1, mae_photo_crops=64, side_d_model=16,
                           side_layers=1, sizes=(64, 128), scale_steps=2, pool_lrs=(1e-3, 3e-3),
                           pool_steps=2, minutes="under a minute"),
    "cpu": ViTPageConfig(seeds=(0, 1, 2), minutes="about 25 minutes on 2 cores"),
    "gpu": ViTPageConfig(seeds=(0, 1, 2), dataset="cifar10", crop_padding=4, flip=True, d_model=384, layers=12,
                         heads=6, epochs=200, batch_size=256, mae_epochs=200, mae_photo_crops=0,
                         side_d_model=192, side_layers=6, sizes=(2500, 5000, 10000, 25000, 50000),
                         scale_steps=10000, pool_steps=10000,
                         minutes="about 4 hours on one GPU (an estimate)"),
}
