"""Profiles of the MoCo v2 (Chen et al. 2020) notebook."""

from dataclasses import dataclass, field

from zoo_utils.profiles._survey import SURVEY, SurveyConfig


@dataclass(frozen=True)
class MoCoV2PageConfig:
    seeds: tuple
    survey: SurveyConfig = field(default_factory=SurveyConfig)   # the survey's budget and judges
    K: int = 1024                    # the queue (the MoCo page's, at the survey's 4,000 images)
    m: float = 0.99                  # key-encoder momentum
    bn_splits: int = 2               # shuffled BatchNorm over two groups, as on two GPUs
    minutes: str = ""


PROFILES = {
    "smoke": MoCoV2PageConfig(seeds=(0, 1), survey=SURVEY["smoke"], K=64, minutes="under a minute"),
    # cpu: one pre-training takes about 37 s on 2 cores (190 steps of 128 images, the MoCo
    # step 0.17 s, the views 0.01 s); Table 1's five rows at three seeds are 15 of them.
    # SEED=0 (9.8 min, idle): linear probe v1 32.6, MLP 31.5, aug+ 31.9, MLP + aug+ 31.9, all
    # 31.1 (untrained 27.8); SEED=20 (15.5 min, beside test runs): 26.3, 30.2, 26.6, 27.5, 28.6
    # (untrained 30.7). No verdict held at both sets: MoCo has barely started in six epochs.
    "cpu": MoCoV2PageConfig(seeds=(0, 1, 2), survey=SURVEY["cpu"], minutes="about 10 minutes on 2 cores"),
    # gpu: CIFAR-10 with the CIFAR ResNet-18 for 200 epochs, K = 4096, m = 0.99, as the
    # community's CIFAR MoCo reproductions run it, BatchNorm shuffled over 8 groups.
    "gpu": MoCoV2PageConfig(seeds=(0, 1, 2), survey=SURVEY["gpu"], K=4096, bn_splits=8,
                            minutes="about an hour per pre-training on one GPU, 15 of them (an estimate)"),
}
