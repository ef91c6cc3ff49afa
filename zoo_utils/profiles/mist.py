"""Profiles of the MIST (Angles et al. 2021) notebook."""

from dataclasses import dataclass


@dataclass(frozen=True)
class MistPageConfig:
    seeds: tuple
    dataset: str = "mnist-mini"       # the digits placed on the canvases
    digit_size: int = 14              # digits shrunk from 28 pixels (the paper: 28 on 80)
    canvas: int = 40
    k: int = 3                        # digits per canvas, and patches (the paper: 9)
    n_train: int = 2000               # training canvases
    n_test: int = 500
    width: int = 32                   # the heatmap network
    depth: int = 4
    code: int = 16                    # the patch autoencoder's code
    lr: float = 1e-3                  # Adam, both networks
    epochs: int = 4
    batch_size: int = 32
    location_steps: int = 8           # gradient steps on the locations per batch, one pixel each
    nms_kernel: int = 13              # non-maximum suppression, about the size of a digit
    sigma: float = 1.5                # the target heatmap's Gaussians
    radius: float = 3.0               # a patch lands on a digit if its centre is this close
    minutes: str = ""


PROFILES = {
    "smoke": MistPageConfig(seeds=(0, 1), digit_size=7, canvas=24, k=2, n_train=64, n_test=32,
                            width=8, depth=2, code=4, epochs=1, location_steps=2, nms_kernel=5,
                            radius=2.0, minutes="under a minute"),
    # cpu trials, seed 0, 4 epochs: a 5-pixel suppression window (the authors' code, for 20-pixel
    # boxes on 80-pixel canvases) let two peaks sit on one digit and found 54% of the digits
    # within 3 pixels (3 location steps: 49%; 2-pixel steps: 23%); 9 pixels 92%; 13 pixels,
    # about a digit's width, 99.7%. Random placement: 4.7%.
    "cpu": MistPageConfig(seeds=(0, 1, 2), minutes="about 3 minutes"),
    "gpu": MistPageConfig(seeds=(0, 1, 2), digit_size=28, canvas=112, k=9, n_train=50_000,
                          n_test=5_000, width=64, depth=6, code=32, epochs=20, nms_kernel=25,
                          radius=4.0, minutes="about an hour on one GPU (an estimate)"),
}
