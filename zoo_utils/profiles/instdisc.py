"""Profiles of the InstDisc (Wu et al. 2018) notebook."""

from dataclasses import dataclass, field

from zoo_utils.profiles._survey import SURVEY, SurveyConfig


@dataclass(frozen=True)
class InstDiscPageConfig:
    seeds: tuple
    survey: SurveyConfig = field(default_factory=SurveyConfig)   # the first stage's budget
    T: float = 0.07                  # temperature (the paper's 0.07)
    m: int = 1024                    # NCE noise samples of the headline model
    noise_samples: tuple = (1, 16, 256, 1024)   # Table 1: NCE as m grows, against the softmax
    proximal: float = 50.0           # lambda of §3.4 (0 in the runs without it)
    bank_momentum: float = 0.5       # the official code's memory-bank update
    minutes: str = ""


PROFILES = {
    "smoke": InstDiscPageConfig(seeds=(0, 1), survey=SURVEY["smoke"], m=32,
                                noise_samples=(1, 32), minutes="under a minute"),
    "cpu": InstDiscPageConfig(seeds=(0, 1, 2), survey=SURVEY["cpu"],
                              minutes="not yet sized"),
    "gpu": InstDiscPageConfig(seeds=(0, 1, 2), survey=SURVEY["gpu"], m=4096,
                              noise_samples=(1, 16, 512, 4096),
                              minutes="about an hour per pre-training on one GPU (an estimate)"),
}
