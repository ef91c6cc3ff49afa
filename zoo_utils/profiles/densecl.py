"""Profiles of the DenseCL (Wang et al. 2021) notebook."""

from dataclasses import dataclass, field

from zoo_utils.profiles._survey import SURVEY, SurveyConfig


@dataclass(frozen=True)
class DenseCLPageConfig:
    seeds: tuple
    survey: SurveyConfig = field(default_factory=SurveyConfig)   # the survey's budget and judges
    K: int = 1024                    # MoCo v2's queue and momentum, as on the MoCo v2 page
    m: float = 0.99
    bn_splits: int = 2
    lam: float = 0.5                 # the dense loss's weight
    grid: int | None = None          # S: the backbone's map as it is (8 x 8 on 32-pixel views)
    n_scenes: tuple = (1000, 500)    # digit scenes for the dense probe: training, test
    canvas: int = 64                 # two digits on a 64-pixel photo crop
    probe_steps: int = 300
    minutes: str = ""


PROFILES = {
    "smoke": DenseCLPageConfig(seeds=(0, 1), survey=SURVEY["smoke"], K=64, n_scenes=(64, 32),
                               probe_steps=5, minutes="under a minute"),
    # cpu, SEED=0 (7.5 min idle; six pre-trainings of about 50 s, nine dense probes of 11 s) /
    # SEED=20 (beside other runs): linear probe MoCo v2 (lambda = 0) 32.9 / 28.3, DenseCL 32.5 /
    # 29.3; dense probe mean IoU untrained 9.3 / 8.9, MoCo v2 10.1 / 10.1, DenseCL 10.2 / 10.0;
    # correspondence found 47.6 / 50.0, 53.1 / 56.7, 43.2 / 47.3 (%). Settings chosen before
    # the runs and kept.
    "cpu": DenseCLPageConfig(seeds=(0, 1, 2), survey=SURVEY["cpu"], minutes="about 8 minutes on 2 cores"),
    # gpu: CIFAR-10 with the CIFAR ResNet-18 for the survey's 200 epochs, K = 4096 as on the
    # MoCo v2 page; the dense probe stays on the offline digit scenes, with more of them.
    "gpu": DenseCLPageConfig(seeds=(0, 1, 2), survey=SURVEY["gpu"], K=4096, bn_splits=8,
                             n_scenes=(4000, 1000), probe_steps=1000,
                             minutes="about an hour per pre-training on one GPU, 6 of them (an estimate)"),
}
