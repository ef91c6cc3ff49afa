"""BYOL (Grill et al., NeurIPS 2020): bootstrap your own latent. No negatives: an online network
(encoder, projector, predictor) learns to predict, from one view, a target network's projection
of the other view. The target is a moving average of the online network's weights and gets no
gradient. Nothing in the loss forbids a constant output; the paper finds that the predictor and
the moving average are what keep the representation from collapsing (Table 5).

SimSiam (Chen and He, CVPR 2021), where the survey's third stage ends, shows that the moving
average is not needed: with the predictor, a stop-gradient on the target branch is enough, and
without the stop-gradient the representation collapses.

Here: the regression loss, one model with the three switches (predictor, moving average,
stop-gradient), and the spread of the outputs that shows a collapse."""

import copy

import torch
import torch.nn.functional as F
from torch import nn

from zoo_utils.contrastive import momentum_update
from zoo_utils.models.simclr import projection_head


def regression_loss(p, z):
    """2 - 2 cos(p, z) per pair, averaged: the squared distance of the two unit vectors."""
    return (2 - 2 * F.cosine_similarity(p, z, dim=-1)).mean()


class BYOL(nn.Module):
    """An online encoder (with `features`), projector and predictor, and a target copy of the
    encoder and projector. `tau` is the target's moving-average rate (0: the target is the
    online network itself, as in SimSiam); `predictor=False` drops the predictor;
    `stop_gradient=False` lets the gradient flow into the target branch too (meaningful only
    with `tau=0`, where the target is the online network). `forward(x1, x2)` returns the
    symmetric loss and the online projections of the first view."""

    def __init__(self, encoder, dim=128, hidden=None, tau=0.99, predictor=True, stop_gradient=True):
        super().__init__()
        width = encoder.fc.in_features
        hidden = hidden or 2 * width
        self.encoder, self.projector = encoder, projection_head("nonlinear", width, dim, hidden)
        self.predictor = projection_head("nonlinear", dim, dim, hidden) if predictor else nn.Identity()
        self.tau, self.stop_gradient = tau, stop_gradient
        if tau > 0:
            self.target = nn.ModuleList([copy.deepcopy(self.encoder), copy.deepcopy(self.projector)])
            self.target.requires_grad_(False)

    def features(self, images):
        return self.encoder.features(images)

    def projections(self, images):
        return self.projector(self.features(images))

    def targets(self, images):
        """The target network's projections (no gradient)."""
        with torch.no_grad():
            encoder, projector = self.target
            return projector(encoder.features(images))

    def forward(self, x1, x2):
        z1, z2 = self.projections(x1), self.projections(x2)
        if self.tau > 0:
            with torch.no_grad():
                momentum_update(self.target[0], self.encoder, self.tau)
                momentum_update(self.target[1], self.projector, self.tau)
            t1, t2 = self.targets(x1), self.targets(x2)
        else:                                    # the online network is its own target
            t1, t2 = (z1.detach(), z2.detach()) if self.stop_gradient else (z1, z2)
        loss = regression_loss(self.predictor(z1), t2) + regression_loss(self.predictor(z2), t1)
        return loss, z1


def output_spread(model, images, batch_size=500):
    """The collapse measure: the standard deviation over images of each dimension of the
    L2-normalised online projection, averaged over dimensions (about 1/sqrt(dim) for outputs
    spread over the sphere, 0 when every image gets the same output)."""
    model.eval()
    with torch.no_grad():
        z = torch.cat([F.normalize(model.projections(x), dim=1) for x in images.split(batch_size)])
    return z.std(0).mean().item()


def byol_step(augment):
    """A training step for `zoo_utils.train.fit`: two views, the model's loss, and the spread of
    this batch's normalised projections (watching for a collapse as it happens)."""
    def step(model, batch):
        loss, z = model(augment(batch[0]), augment(batch[0]))
        return {"loss": loss, "spread": F.normalize(z.detach(), dim=1).std(0).mean()}
    return step
