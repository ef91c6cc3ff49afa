"""CPC v2 (Hénaff, Srinivas, De Fauw, Razavi, Doersch, Eslami and van den Oord, ICML 2020):
data-efficient image recognition with contrastive predictive coding. The model is CPC's on a
grid of patches (`zoo_utils.models.cpc.CPCImage`), with the paper's changes for images:

- LayerNorm in place of BatchNorm in the patch encoder: BatchNorm's statistics mix the patches
  of one image, which lets the encoder pass information between the patches it must predict;
- bigger patches, and predictions in more directions than top to bottom (here: up as well);
- each patch augmented on its own before it is encoded.

The page then measures the paper's claim: a classifier on CPC v2's features needs fewer labels
than a network trained from scratch on the same labels."""

from torch import nn

from zoo_utils.models.cpc import CPCImage, PredictiveCoding


def orient(z, direction):
    """Turn a grid of latents (B, D, g, g) so that predicting "down" its rows predicts in
    `direction` on the original grid."""
    if direction == "down":
        return z
    if direction == "up":
        return z.flip(2)
    if direction == "right":
        return z.transpose(2, 3)
    if direction == "left":
        return z.transpose(2, 3).flip(2)
    raise ValueError(f"unknown direction {direction!r}; choose down, up, right or left")


class CPCv2(PredictiveCoding):
    """One patch `encoder` shared by every direction, and a context network with its own W_k
    for each of `directions`; `patch_augment`, if given, transforms every patch on its own
    while training. The loss is the mean of every direction's K InfoNCE terms."""

    def __init__(self, encoder, dim, patch=8, K=3, directions=("down", "up"), context_layers=3,
                 chunk=None, stride=None, patch_augment=None):
        super().__init__()
        self.directions, self.chunk, self.patch_augment = directions, chunk, patch_augment
        self.predictors = nn.ModuleList(
            CPCImage(encoder, dim, patch, K, context_layers, chunk, stride) for _ in directions)
        self.encoder = encoder

    def latents(self, x):
        grid = self.predictors[0]
        p = grid.patches(x)
        b, g = p.shape[:2]
        p = p.flatten(0, 2)
        if self.patch_augment is not None and self.training:
            p = self.patch_augment(p)
        return self.encoder(p).view(b, g, g, -1).permute(0, 3, 1, 2)

    def predictions(self, x):
        z = self.latents(x)
        return [pair for direction, predictor in zip(self.directions, self.predictors)
                for pair in predictor.grid_predictions(orient(z, direction))]

    def features(self, x):
        return self.predictors[0].features(x)
