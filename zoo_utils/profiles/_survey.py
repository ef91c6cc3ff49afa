"""The budget and evaluation that every page of the contrastive survey's first stage shares
(InstDisc, InvaSpread, CPC, CMC), so that their numbers go on one table: the same images, the
same encoder, the same pre-training budget, judged by the same k-NN and linear probe."""

from dataclasses import dataclass


@dataclass(frozen=True)
class SurveyConfig:
    dataset: str = "mnistm-mini"     # pre-training images (labels unused), then their labels
    n_train: int | None = None
    n_test: int | None = None
    encoder: str = "resnet8"         # zoo_utils.contrastive.make_encoder
    width: int = 16
    dim: int = 128                   # the compared vector (InstDisc's 128-d embedding)
    recipe: str = "mocov1"           # the views: zoo_utils.contrastive.RECIPES
    crop_scale: tuple | None = (0.5, 1.0)   # keep most of the digit in view
    epochs: int = 8
    batch_size: int = 128
    lr: float = 0.06                 # SGD, momentum 0.9, cosine
    weight_decay: float = 5e-4
    knn_k: int = 200                 # the weighted k-NN of InstDisc (temperature 0.1)
    probe_epochs: int = 50


SURVEY = {
    "smoke": SurveyConfig(n_train=256, n_test=128, width=4, dim=16, epochs=1, batch_size=64,
                          knn_k=10, probe_epochs=2),
    "cpu": SurveyConfig(epochs=6),             # about 5 s an epoch on 2 cores
    "gpu": SurveyConfig(dataset="cifar10", encoder="resnet18", width=64, crop_scale=None,
                        epochs=200, batch_size=256, lr=0.03, probe_epochs=100),
}
