"""Profiles of the MoCo (He et al. 2020) notebook."""

from dataclasses import dataclass


@dataclass(frozen=True)
class MoCoPageConfig:
    seeds: tuple
    dataset: str = "mnistm-mini"     # pre-training images (labels unused) and monitor labels
    n_train: int | None = None
    n_test: int | None = None
    recipe: str = "mocov2"           # the views: zoo_utils.contrastive.RECIPES
    crop_scale: tuple | None = None  # None: the recipe's crop; (0.5, 1): keep the digit in view
    encoder: str = "resnet8"         # "resnet8" (CIFAR ResNet-8) or "resnet18" (CIFAR variant)
    width: int = 16
    dim: int = 128                   # the encoder's output: MoCo v1's 128-d FC
    K: int = 1024                    # negatives in the queue
    m: float = 0.99                  # key-encoder momentum
    T: float = 0.1                   # temperature
    bn_splits: int = 8               # BatchNorm groups, as if on 8 GPUs
    epochs: int = 8
    batch_size: int = 256
    lr: float = 0.06                 # SGD, momentum 0.9, weight decay 5e-4, cosine
    weight_decay: float = 5e-4
    momenta: tuple = (0.0, 0.9, 0.99, 0.999)   # the headline ablation
    queue_sizes: tuple = (256, 1024, 4096)      # Fig 3: MoCo's K
    bank_sizes: tuple = (256, 1024, 4096)       # Fig 3: the memory bank's K
    end_to_end_batches: tuple = (64, 128, 256)  # Fig 3: end-to-end, K = batch - 1
    knn_k: int = 200
    probe_epochs: int = 50
    minutes: str = ""


PROFILES = {
    "smoke": MoCoPageConfig(seeds=(0, 1), n_train=256, n_test=128, width=4, dim=16, K=64,
                            bn_splits=4, epochs=1, batch_size=64, momenta=(0.0, 0.99),
                            queue_sizes=(64, 128), bank_sizes=(64, 128), end_to_end_batches=(16, 32),
                            knn_k=10, probe_epochs=2, minutes="under a minute"),
    "cpu": MoCoPageConfig(seeds=(0, 1, 2), crop_scale=(0.5, 1.0), bn_splits=2, epochs=16,
                          batch_size=128, queue_sizes=(1024, 4096), bank_sizes=(4096,),
                          end_to_end_batches=(128,),
                          minutes="about 47 minutes on 2 cores"),
    "gpu": MoCoPageConfig(seeds=(0, 1, 2), dataset="cifar10", encoder="resnet18", width=64,
                          K=4096, epochs=200, batch_size=512, momenta=(0.0, 0.9, 0.99, 0.999),
                          queue_sizes=(1024, 4096, 16384), bank_sizes=(1024, 4096, 16384),
                          end_to_end_batches=(128, 256, 512, 1024), probe_epochs=100,
                          minutes="about an hour per pre-training on one GPU, 42 of them (an estimate)"),
}
