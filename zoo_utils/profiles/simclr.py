"""Profiles of the SimCLR (Chen et al. 2020) notebook."""

from dataclasses import dataclass, field

from zoo_utils.profiles._survey import SURVEY, SurveyConfig


@dataclass(frozen=True)
class SimCLRPageConfig:
    seeds: tuple
    survey: SurveyConfig = field(default_factory=SurveyConfig)   # the survey's budget and judges
    temperature: float = 0.5         # the paper's CIFAR-10 setting
    heads: tuple = ("none", "linear", "nonlinear")               # Fig 8
    batch_sizes: tuple = (64, 128, 256)                          # Fig 9, at the survey's epochs
    minutes: str = ""


PROFILES = {
    "smoke": SimCLRPageConfig(seeds=(0, 1), survey=SURVEY["smoke"], batch_sizes=(32, 64),
                              minutes="under a minute"),
    # cpu, first run (SEED=0, 16.7 min: 21 pre-trainings of about 30 s and 33 judgements; over the
    # 5-minute budget). Linear probe on h: heads none 17.0 +- 0.5, linear 35.0 +- 5.5, non-linear
    # 37.7 +- 2.4 (untrained encoder 27.8 +- 1.5); on z: 16.7, 33.3, 27.9 (h minus z for the
    # non-linear head came out 9.8 at every seed: rerun by hand, 36.1 - 26.3 and 36.6 - 26.8 at
    # seeds 0 and 1, a coincidence of the 0.1-point grid of 1,000 test images). Views: crop
    # alone 16.5, colour alone 40.6, both 37.7. Batch 64 / 128 / 256: 37.2, 37.7, 35.5. Then a
    # second seed set, below.
    # SEED=20 (16.9 min): non-linear minus linear +1.3 +- 1.1, linear minus none +16.2 +- 2.3,
    # h minus z +8.8 +- 1.6, both views minus the better alone -3.5 +- 6.4, batch 256 minus 64
    # -2.0 +- 4.7; the shared evaluation k-NN 18.2 +- 0.8, linear probe 35.2 +- 2.8.
    # Kept whole as the stage's headline page rather than trimmed: the issue asks for all three
    # studies, and any one of them alone at three seeds is 5-7 minutes.
    "cpu": SimCLRPageConfig(seeds=(0, 1, 2), survey=SURVEY["cpu"], minutes="about 17 minutes, the stage's headline page"),
    "gpu": SimCLRPageConfig(seeds=(0, 1, 2), survey=SURVEY["gpu"], batch_sizes=(256, 512, 1024),
                            minutes="about an hour per pre-training on one GPU (an estimate)"),
}
