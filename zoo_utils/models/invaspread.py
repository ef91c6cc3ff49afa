"""Invariant and spreading instance features (Ye, Zhang, Yuen and Chang, CVPR 2019): instance
discrimination end to end, with no memory bank. Two views of each image in the batch are
encoded by the same network; each view must recognise the other view of its image (invariance)
among the 2N - 2 views of the other images, which it must not (spreading). The other images of
the batch are the only negatives, so their number is tied to the batch size."""

import torch
import torch.nn.functional as F
from torch import nn

from zoo_utils.contrastive import two_view_logits


def invariance_spreading_loss(f, f_hat, T):
    """The paper's loss for N images and their views' normalised features `f`, `f_hat` (N, d).
    Each of the 2N views is an anchor whose positive is its image's other view; with
    P(j | anchor) a softmax over the 2N - 1 other views, the loss per anchor is
    -log P(positive) - sum over the 2N - 2 negatives of log(1 - P(negative)), averaged over
    the anchors. As in the official code, the views compared against are detached.
    Returns the loss and the logits (positive in column 0, then the negatives)."""
    logits = two_view_logits(f, f_hat, T, detach_keys=True)
    p = logits.softmax(1)
    loss = -(p[:, 0].log() + torch.log1p(-p[:, 1:]).sum(1)).mean()
    return loss, logits


class InvaSpread(nn.Module):
    """An encoder trained with `invariance_spreading_loss` on two views of each batch image;
    `forward(x, x_hat)` returns (loss, logits) like the other mechanisms of the toolkit, so
    `zoo_utils.contrastive.contrastive_step` trains it."""

    def __init__(self, encoder, T=0.1):
        super().__init__()
        self.encoder, self.T = encoder, T

    def forward(self, x, x_hat):
        f = F.normalize(self.encoder(x), dim=1)
        f_hat = F.normalize(self.encoder(x_hat), dim=1)
        return invariance_spreading_loss(f, f_hat, self.T)

    def features(self, images):
        return self.encoder.features(images)
