"""Profiles of the CPC (van den Oord et al. 2018) notebook."""

from dataclasses import dataclass, field

from zoo_utils.profiles._survey import SURVEY, SurveyConfig


@dataclass(frozen=True)
class CPCPageConfig:
    seeds: tuple
    survey: SurveyConfig = field(default_factory=SurveyConfig)   # the first stage's budget
    patch: int = 8                   # 8-pixel patches
    stride: int = 8                  # 8 apart: a 4 x 4 grid (4: the paper's half overlap, 7 x 7)
    K: int = 3                       # rows ahead predicted from each context
    context_layers: int = 3          # row-causal convolutions
    chunk: int = 256                 # predictions per InfoNCE group (the others are negatives)
    n_candidates: int = 32           # candidates when measuring accuracy k steps ahead
    # the 1-D task: a tone switching between frequencies (zoo_utils.data.signals)
    n_sequences: int = 1000
    n_test_sequences: int = 500
    steps: int = 64                  # latents per sequence
    samples_per_step: int = 8
    n_tones: int = 8
    switch_p: float = 0.1            # chance the tone switches at a step
    noise: float = 0.5
    K_1d: int = 12                   # steps ahead predicted
    dim_1d: int = 64
    epochs_1d: int = 6
    batch_1d: int = 64
    lr_1d: float = 2e-3              # Adam (the paper's optimiser)
    minutes: str = ""


PROFILES = {
    "smoke": CPCPageConfig(seeds=(0, 1), survey=SURVEY["smoke"], K=2, chunk=128, n_candidates=8,
                           n_sequences=64, n_test_sequences=32, steps=32, K_1d=4, dim_1d=16,
                           epochs_1d=1, batch_1d=16, minutes="under a minute"),
    # cpu, first run (SEED=0, 13.5 min): a 7 x 7 grid of overlapping patches, 2,000 sequences for
    # 10 epochs. 1-D accuracy k = 1 minus k = 12: +73.6 +- 0.4 points; images, k = 1 minus 3:
    # +23.6 +- 5.4; tone probe on c_t: CPC 82.5 +- 4.7%, untrained 83.9 +- 1.4; patch features'
    # k-NN 13.3 +- 0.5% against 17.5 untrained. Resized for time to the settings below.
    "cpu": CPCPageConfig(seeds=(0, 1, 2), survey=SURVEY["cpu"], minutes="about 4 minutes"),
    "gpu": CPCPageConfig(seeds=(0, 1, 2), survey=SURVEY["gpu"], stride=4, K=5, chunk=2048,
                         n_sequences=20000, n_test_sequences=2000, steps=128, K_1d=12,
                         dim_1d=256, epochs_1d=50, batch_1d=128,
                         minutes="about an hour per pre-training on one GPU (an estimate)"),
}
