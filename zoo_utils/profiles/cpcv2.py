"""Profiles of the CPC v2 (Hénaff et al. 2020) notebook."""

from dataclasses import dataclass, field

from zoo_utils.profiles._survey import SURVEY, SurveyConfig


@dataclass(frozen=True)
class CPCv2PageConfig:
    seeds: tuple
    survey: SurveyConfig = field(default_factory=SurveyConfig)   # the survey's budget and judges
    patch: int = 10                  # bigger than the CPC page's 8 pixels ...
    stride: int = 7                  # ... still a 4 x 4 grid over 32 pixels
    K: int = 3                       # rows ahead
    directions: tuple = ("down", "up")
    context_layers: int = 3
    chunk: int = 256                 # predictions per InfoNCE group (the CPC page's)
    patch_crop: tuple = (0.6, 1.0)   # each patch cropped, flipped and colour-jittered on its own
    label_fractions: tuple = (0.01, 0.1, 1.0)
    supervised_steps: int = 200      # the network trained from scratch on the labelled images
    supervised_batch: int = 64
    supervised_lr: float = 0.05
    minutes: str = ""


PROFILES = {
    "smoke": CPCv2PageConfig(seeds=(0, 1), survey=SURVEY["smoke"], K=2, chunk=128,
                             label_fractions=(0.1, 1.0), supervised_steps=4, supervised_batch=16,
                             minutes="under a minute"),
    # cpu, SEED=0 / SEED=20 (7.5 / 7.8 min; a pre-training is about 54 s): linear probe with
    # LayerNorm 30.5 / 32.6, BatchNorm 31.0 / 29.4 (untrained 27.8 / 30.7); with 1%, 10%, all of
    # the labels, linear on CPC v2 12.9, 20.4, 30.5 / 14.4, 21.7, 32.6 against from scratch 12.1,
    # 43.2, 45.0 / 11.0, 33.8, 43.4. Settings chosen before the runs and kept.
    "cpu": CPCv2PageConfig(seeds=(0, 1, 2), survey=SURVEY["cpu"], minutes="about 8 minutes on 2 cores"),
    # gpu: CIFAR-10 with the CIFAR ResNet-18 as the patch encoder, the paper's overlapping grid
    # (16-pixel patches 8 apart, 3 x 3) and four directions.
    "gpu": CPCv2PageConfig(seeds=(0, 1, 2), survey=SURVEY["gpu"], patch=16, stride=8, K=2,
                           directions=("down", "up", "right", "left"), chunk=2048,
                           supervised_steps=20000, supervised_batch=128,
                           minutes="about an hour per pre-training on one GPU (an estimate)"),
}
