"""MoCo v2 (Chen, Fan, Girshick and He, 2020): MoCo with three ingredients taken from SimCLR,
each measured alone and together in the paper's Table 1. The MoCo machinery (the queue, the
momentum encoder, shuffled BatchNorm) is `zoo_utils.models.moco.MoCo`, unchanged.

- an MLP head: the encoder's last linear layer becomes a hidden layer, a ReLU and a linear
  layer (2048-d hidden on a ResNet-50), with the temperature raised from 0.07 to 0.2;
- stronger views ("aug+"): Gaussian blur added and the colour jitter made SimCLR's
  (`zoo_utils.contrastive.RECIPES["mocov2"]` against `["mocov1"]`);
- a cosine learning-rate schedule in place of MoCo v1's steps.

Here: the head, and the ingredients as data, so a page can build every row of Table 1."""

from dataclasses import dataclass

from torch import nn

from zoo_utils.models.moco import MoCo


def mlp_head(encoder):
    """Replace the encoder's last layer `fc` (features -> dim) by the MLP head, features ->
    features -> ReLU -> dim; `encoder.features` (what is kept after training) is unchanged."""
    width, dim = encoder.fc.in_features, encoder.fc.out_features
    encoder.fc = nn.Sequential(nn.Linear(width, width), nn.ReLU(), nn.Linear(width, dim))
    return encoder


@dataclass(frozen=True)
class Ingredients:
    """One row of Table 1: which of MoCo v2's three changes to MoCo v1 are on."""
    mlp: bool = False
    aug_plus: bool = False
    cosine: bool = False

    @property
    def name(self):
        added = [name for name, on in [("MLP", self.mlp), ("aug+", self.aug_plus),
                                       ("cos", self.cosine)] if on]
        return "MoCo v1" if not added else " + ".join(added)

    @property
    def recipe(self):
        return "mocov2" if self.aug_plus else "mocov1"

    @property
    def schedule(self):
        return "cosine" if self.cosine else "step"

    @property
    def temperature(self):
        return 0.2 if self.mlp else 0.07


TABLE_1 = (Ingredients(), Ingredients(mlp=True), Ingredients(aug_plus=True),
           Ingredients(mlp=True, aug_plus=True), Ingredients(mlp=True, aug_plus=True, cosine=True))


def moco(encoder, ingredients, *, K, m, bn_splits=1):
    """MoCo with the encoder's head and the temperature that `ingredients` call for (the views
    and the schedule are the training recipe's)."""
    dim = encoder.fc.out_features
    if ingredients.mlp:
        encoder = mlp_head(encoder)
    return MoCo(encoder, dim=dim, K=K, m=m, T=ingredients.temperature, bn_splits=bn_splits)
