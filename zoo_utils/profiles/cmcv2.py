"""Profiles of the InfoMin (CMC v2, Tian et al. 2020) notebook."""

from dataclasses import dataclass, field

from zoo_utils.profiles._survey import SURVEY, SurveyConfig


@dataclass(frozen=True)
class InfoMinPageConfig:
    seeds: tuple
    survey: SurveyConfig = field(default_factory=SurveyConfig)   # the survey's budget and judges
    crop: int = 16                   # each view: a crop of half the image's side
    distances: tuple = (0, 4, 8, 12, 16)   # pixels between the two crops' centres
    temperature: float = 0.5         # NT-Xent over the pairs, SimCLR's setting
    minutes: str = ""


PROFILES = {
    "smoke": InfoMinPageConfig(seeds=(0, 1), survey=SURVEY["smoke"], distances=(0, 8, 16),
                               minutes="under a minute"),
    # cpu, SEED=0 / SEED=20 (3.9 / 3.8 min): linear probe at distances 0, 4, 8, 12, 16 px:
    # 44.0, 32.3, 29.0, 29.5, 28.6 / 43.0, 34.6, 28.1, 27.7, 29.1 (untrained 27.8 / 30.7); falling
    # from distance 0, no peak between. Settings chosen before the runs and kept.
    "cpu": InfoMinPageConfig(seeds=(0, 1, 2), survey=SURVEY["cpu"], minutes="about 4 minutes on 2 cores"),
    # gpu: CIFAR-10 with the CIFAR ResNet-18 for the survey's 200 epochs, the same crops.
    "gpu": InfoMinPageConfig(seeds=(0, 1, 2), survey=SURVEY["gpu"],
                             minutes="about an hour per pre-training on one GPU (an estimate)"),
}
