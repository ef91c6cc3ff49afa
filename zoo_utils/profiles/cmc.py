"""Profiles of the CMC (Tian et al. 2019) notebook."""

from dataclasses import dataclass, field

from zoo_utils.profiles._survey import SURVEY, SurveyConfig


@dataclass(frozen=True)
class CMCPageConfig:
    seeds: tuple
    survey: SurveyConfig = field(default_factory=SurveyConfig)   # the first stage's budget
    recipe: str = "crop"             # crop and flip only: colour is a view, not a nuisance
    T: float = 0.1                   # the survey's temperature (the paper's NCE uses 0.07)
    views: tuple = ("L", "ab")       # the paper's ImageNet setting
    more_views: tuple = ("L", "ab", "edges")   # the third view: edge strength (a stand-in)
    minutes: str = ""


PROFILES = {
    "smoke": CMCPageConfig(seeds=(0, 1), survey=SURVEY["smoke"], minutes="under a minute"),
    "cpu": CMCPageConfig(seeds=(0, 1, 2), survey=SURVEY["cpu"], minutes="about 6 minutes"),
    "gpu": CMCPageConfig(seeds=(0, 1, 2), survey=SURVEY["gpu"],
                         minutes="about an hour per pre-training on one GPU (an estimate)"),
}
