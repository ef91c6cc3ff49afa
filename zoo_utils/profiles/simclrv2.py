"""Profiles of the SimCLR v2 (Chen et al. 2020) notebook."""

from dataclasses import dataclass, field

from zoo_utils.profiles._survey import SURVEY, SurveyConfig


@dataclass(frozen=True)
class SimCLRv2PageConfig:
    seeds: tuple
    survey: SurveyConfig = field(default_factory=SurveyConfig)   # the survey's budget and judges
    temperature: float = 0.5         # SimCLR's CIFAR-10 setting, as on the SimCLR page
    depth: int = 3                   # the deeper projection head
    label_fractions: tuple = (0.01, 0.1)   # the paper's 1% and 10% of the labels
    from_layers: tuple = (0, 1)      # fine-tune from h (SimCLR) or from the head's first layer (v2)
    fine_tune_steps: int = 100       # SGD, momentum 0.9, cosine, on the labelled images
    fine_tune_batch: int = 32
    fine_tune_lr: float = 0.05
    distill_epochs: int = 6          # on every training image, labels unused; the survey's epochs
    tau: float = 1.0                 # the distillation temperature
    minutes: str = ""


PROFILES = {
    "smoke": SimCLRv2PageConfig(seeds=(0, 1), survey=SURVEY["smoke"], label_fractions=(0.1, 0.5),
                                fine_tune_steps=4, fine_tune_batch=16, distill_epochs=1,
                                minutes="under a minute"),
    # cpu, SEED=0 (6.5 min, beside a test run) and SEED=20 (5.1 min): test accuracy with 1% / 10%
    # of the labels, from scratch 12.1 / 21.4 and 11.7 / 21.1, from h 13.9 / 20.0 and 13.4 / 22.4,
    # from the head's first layer 13.5 / 23.6 and 13.4 / 23.0, distilled student 13.0 / 21.4 and
    # 12.7 / 21.3; the encoder's linear probe 31.0 at both. Settings chosen before the runs and
    # kept (no tuning after them).
    "cpu": SimCLRv2PageConfig(seeds=(0, 1, 2), survey=SURVEY["cpu"], minutes="about 5 minutes on 2 cores"),
    # gpu: CIFAR-10 with the CIFAR ResNet-18 for the survey's 200 epochs, then 1% (500 images)
    # and 10% of the labels; fine-tuning and distillation lengths scaled up accordingly.
    "gpu": SimCLRv2PageConfig(seeds=(0, 1, 2), survey=SURVEY["gpu"], fine_tune_steps=2000,
                              fine_tune_batch=128, distill_epochs=100,
                              minutes="about an hour per pre-training on one GPU (an estimate)"),
}
