"""Profiles of the ResNet (He et al. 2016) notebook."""

from dataclasses import dataclass


@dataclass(frozen=True)
class ResNetConfig:
    dataset: str
    n_train: int | None
    n_test: int | None
    seeds: tuple                        # the degradation runs and the shortcut comparison
    epochs: int
    side_seeds: int = 3                 # the first few of them for the recipe and bottleneck runs
    shortcut_sizes: tuple = ()          # training-set sizes for option A against B (default n_train)
    depths: tuple = (20, 56)            # the degradation runs: each depth plain and residual
    width: int = 8                      # 16 in the paper
    batch_size: int = 32                # 128 in the paper
    lr: float = 0.05                    # 0.1 in the paper
    warmup_epochs: int = 1
    milestones: tuple = ()              # iterations at which the rate is divided by 10
    weight_decay: float = 1e-4
    augment: bool = False
    compare_paper_recipe: bool = True   # also train the residual nets with the paper's recipe
    minutes: str = ""


PROFILES = {
    "smoke": ResNetConfig(dataset="mnistm-mini", n_train=128, n_test=64, seeds=(0, 1), epochs=1,
                          side_seeds=2, shortcut_sizes=(128, 96), depths=(8, 14), width=4,
                          minutes="under a minute"),
    # five seeds where the claim is close and a run is cheap; A against B at two data sizes,
    # since its sign flipped between them while this page was built
    "cpu": ResNetConfig(dataset="mnistm-mini", n_train=1600, n_test=None, seeds=(0, 1, 2, 3, 4),
                        epochs=5, milestones=(4 * 50,), shortcut_sizes=(1600, 2000),
                        minutes="about 15 minutes on 2 cores"),
    # the paper's recipe (§4.2): 45k/5k split, batch 128, lr 0.1 (/10 at 32k and 48k iterations,
    # stop at 64k = 182 epochs), weight decay 1e-4, pad-4 crop and flip
    "gpu": ResNetConfig(dataset="cifar10", n_train=45000, n_test=None, seeds=(0, 1, 2), epochs=182,
                        depths=(20, 32, 44, 56, 110), width=16, batch_size=128, lr=0.1,
                        milestones=(32000, 48000), augment=True, compare_paper_recipe=False,
                        minutes="about 12 GPU-hours (an estimate, not measured)"),
}
