"""Profiles of the InvaSpread (Ye et al. 2019) notebook."""

from dataclasses import dataclass, field

from zoo_utils.profiles._survey import SURVEY, SurveyConfig


@dataclass(frozen=True)
class InvaSpreadPageConfig:
    seeds: tuple
    survey: SurveyConfig = field(default_factory=SurveyConfig)   # the first stage's budget
    T: float = 0.1                   # temperature (the paper's CIFAR code)
    batch_sizes: tuple = (32, 128, 512)   # the batch-size limit, at the survey's epochs
    monitor_every: int = 2           # k-NN every this many epochs for the learning curves
    minutes: str = ""


PROFILES = {
    "smoke": InvaSpreadPageConfig(seeds=(0, 1), survey=SURVEY["smoke"], batch_sizes=(16, 64),
                                  monitor_every=1, minutes="under a minute"),
    "cpu": InvaSpreadPageConfig(seeds=(0, 1, 2), survey=SURVEY["cpu"], minutes="about 10 minutes"),
    "gpu": InvaSpreadPageConfig(seeds=(0, 1, 2), survey=SURVEY["gpu"], batch_sizes=(64, 128, 256, 512),
                                monitor_every=10,
                                minutes="about an hour per pre-training on one GPU (an estimate)"),
}
