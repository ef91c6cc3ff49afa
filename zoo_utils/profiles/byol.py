"""Profiles of the BYOL (Grill et al. 2020) notebook, with SimSiam (Chen and He 2021)."""

from dataclasses import dataclass, field

from zoo_utils.profiles._survey import SURVEY, SurveyConfig


@dataclass(frozen=True)
class BYOLPageConfig:
    seeds: tuple
    survey: SurveyConfig = field(default_factory=SurveyConfig)   # the survey's budget and judges
    tau: float = 0.99                # the target's moving average (BYOL's 0.996, for a short run)
    hidden: int | None = None        # projector and predictor width (None: twice the features)
    minutes: str = ""


PROFILES = {
    "smoke": BYOLPageConfig(seeds=(0, 1), survey=SURVEY["smoke"], minutes="under a minute"),
    # cpu, SEED=0 / SEED=20 (10.1 / 10.9 min, 12 pre-trainings of about 48 s): linear probe BYOL
    # 30.4 / 27.1, without the predictor 29.0 / 27.2, SimSiam 31.9 / 28.4, SimSiam without the
    # stop-gradient 20.4 / 20.1 (untrained 27.8 / 30.7); spread 0.068, 0.032, 0.068, 0.004 /
    # 0.066, 0.028, 0.065, 0.002. Settings chosen before the runs and kept.
    "cpu": BYOLPageConfig(seeds=(0, 1, 2), survey=SURVEY["cpu"], minutes="about 10 minutes on 2 cores"),
    # gpu: CIFAR-10 with the CIFAR ResNet-18 for the survey's 200 epochs, a 4096-wide MLP as
    # in the paper, the paper's tau.
    "gpu": BYOLPageConfig(seeds=(0, 1, 2), survey=SURVEY["gpu"], tau=0.996, hidden=4096,
                          minutes="about an hour per pre-training on one GPU (an estimate)"),
}
