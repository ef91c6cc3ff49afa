"""Profiles of the SwAV (Caron et al. 2020) notebook."""

from dataclasses import dataclass, field

from zoo_utils.profiles._survey import SURVEY, SurveyConfig


@dataclass(frozen=True)
class SwAVPageConfig:
    seeds: tuple
    survey: SurveyConfig = field(default_factory=SurveyConfig)   # the survey's budget and judges
    n_prototypes: int = 30           # three per class, the paper's 3,000 for 1,000 classes
    temperature: float = 0.1         # of the prediction's softmax
    epsilon: float = 0.05            # of the codes
    iterations: int = 3              # Sinkhorn-Knopp
    simclr_temperature: float = 0.5  # as on the SimCLR page
    # multi-crop at about the compute of two full crops: 2 x 24^2 + 4 x 16^2 = 2,176 pixels
    # against 2 x 32^2 = 2,048 (the paper: 2 x 160^2 + 4 x 96^2 against 2 x 224^2)
    global_size: int = 24
    n_local: int = 4
    local_size: int = 16
    local_scale: tuple = (0.2, 0.5)  # below the survey's full crops (0.5, 1)
    minutes: str = ""


PROFILES = {
    "smoke": SwAVPageConfig(seeds=(0, 1), survey=SURVEY["smoke"], n_prototypes=10, n_local=2,
                            minutes="under a minute"),
    # cpu, SEED=0 / SEED=20 (13.0 / 13.0 min, 15 pre-trainings of about 50 s): linear probe
    # SimCLR 37.7 / 35.2 (the SimCLR page's numbers exactly), with multi-crop 29.6 / 32.0; SwAV
    # 33.0 / 29.5, with multi-crop 26.7 / 26.3, without the equipartition 25.4 / 23.2 (one
    # prototype of 30 in use). Settings chosen before the runs and kept.
    "cpu": SwAVPageConfig(seeds=(0, 1, 2), survey=SURVEY["cpu"], minutes="about 13 minutes on 2 cores"),
    # gpu: CIFAR-10 with the CIFAR ResNet-18 for the survey's 200 epochs; the paper's 3,000
    # prototypes, and our scaling of its crops to 32-pixel images with six small crops.
    "gpu": SwAVPageConfig(seeds=(0, 1, 2), survey=SURVEY["gpu"], n_prototypes=3000, n_local=6,
                          local_scale=(0.14, 0.5),
                          minutes="about an hour per pre-training on one GPU (an estimate)"),
}
