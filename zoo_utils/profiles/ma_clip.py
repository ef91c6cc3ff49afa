"""Profiles of the modality-agnostic CLIP (MA-CLIP / MS-CLIP) notebook."""

from dataclasses import dataclass


@dataclass(frozen=True)
class MAClipPageConfig:
    seeds: tuple
    n_train: int | None = None        # image-caption pairs of mnistm-mini's training split
    n_test: int | None = None
    dim: int = 32                     # the Transformer's width (MS-CLIP: ViT-B/32's 768)
    depth: int = 4
    heads: int = 4
    embed_dim: int = 32
    patch: int = 8                    # 32-pixel images, 16 tokens
    stem: str = "conv"                # MS-CLIP's early specialisation; "patch": ViT's linear embedding
    epochs: int = 15
    batch_size: int = 128
    lr: float = 1e-3                  # AdamW, weight decay 0.1, warm-up then cosine
    warmup_fraction: float = 0.1
    minutes: str = ""


PROFILES = {
    "smoke": MAClipPageConfig(seeds=(0, 1), n_train=256, n_test=128, dim=16, depth=1, heads=2,
                              embed_dim=16, epochs=1, batch_size=64, minutes="under a minute"),
    # cpu trials, separate towers, seed 0 (zero-shot digit accuracy on the test pairs, chance 10%):
    # width 64 with ViT's linear patches, 15 epochs, 18.8% (three seeds; the shared encoders 15%);
    # the same at lr 3e-3, 10 epochs, 10.0%; a convolutional stem, 10 epochs, 20.5% (lr 3e-3:
    # 13.0%); width 32 with the stem, 20 epochs, 28.1% in 44 s. ViTs learn slowly from 4,000
    # images; the width-32 stem model is the most accuracy for the time.
    "cpu": MAClipPageConfig(seeds=(0, 1, 2), minutes="about 5 minutes"),
    # At GPU scale the page still has only the offline pairs; the model grows to a ViT-S-sized
    # encoder. Real image-text data (YFCC, CC3M) would need a loader this book does not have.
    "gpu": MAClipPageConfig(seeds=(0, 1, 2), dim=384, depth=12, heads=6, embed_dim=256,
                            epochs=100, batch_size=512, lr=5e-4,
                            minutes="about 30 minutes on one GPU (an estimate)"),
}
