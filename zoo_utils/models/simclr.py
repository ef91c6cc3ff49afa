"""SimCLR (Chen, Kornblith, Norouzi and Hinton, ICML 2020): a simple framework for contrastive
learning. Two random views of each of N images give 2N views; a base encoder f and a small
projection head g map each to z = g(f(x)); each view must pick its partner out of the other
2N - 1 views with the NT-Xent loss (normalised temperature-scaled cross-entropy). After
training, the head is thrown away and the features h = f(x) *before* it are used (Fig 8:
the representation before the head is the better one).

Here: the NT-Xent loss, the three heads the paper compares (none, linear, non-linear), and the
model, with `features` (before the head) and `projections` (after it) for the probes."""

import torch
import torch.nn.functional as F
from torch import nn

from zoo_utils.contrastive import two_view_logits

HEADS = ("none", "linear", "nonlinear")


def nt_xent(z1, z2, temperature):
    """The NT-Xent loss of N pairs of L2-normalised projections `z1`, `z2` (N, d): each of the
    2N views is an anchor, its positive is its pair's other view and its negatives are the 2N - 2
    other views; the mean of the 2N cross-entropies. Returns the loss and the logits (positive
    in column 0, then the negatives)."""
    logits = two_view_logits(z1, z2, temperature)
    labels = torch.zeros(len(logits), dtype=torch.long, device=logits.device)
    return F.cross_entropy(logits, labels), logits


def projection_head(kind, in_dim, out_dim, hidden=None):
    """g: nothing ("none", z = h), one linear layer, or the paper's non-linear head, a hidden
    layer (as wide as the input unless `hidden` says) with a ReLU (Linear, BatchNorm, ReLU,
    Linear, as in the official code)."""
    if kind == "none":
        return nn.Identity()
    if kind == "linear":
        return nn.Linear(in_dim, out_dim)
    if kind == "nonlinear":
        hidden = hidden or in_dim
        return nn.Sequential(nn.Linear(in_dim, hidden), nn.BatchNorm1d(hidden), nn.ReLU(),
                             nn.Linear(hidden, out_dim))
    raise ValueError(f"unknown head {kind!r}; choose one of {HEADS}")


class SimCLR(nn.Module):
    """A base encoder with a `features` method (the survey's ResNet; its own classifier layer is
    unused) and a projection head of `kind`; `forward(x1, x2)` returns NT-Xent's (loss, logits),
    so `zoo_utils.contrastive.contrastive_step` trains it."""

    def __init__(self, encoder, head="nonlinear", dim=128, temperature=0.5):
        super().__init__()
        self.encoder, self.temperature = encoder, temperature
        self.head = projection_head(head, encoder.fc.in_features, dim)

    def projections(self, images):
        return F.normalize(self.head(self.encoder.features(images)), dim=1)

    def forward(self, x1, x2):
        return nt_xent(self.projections(x1), self.projections(x2), self.temperature)

    def features(self, images):
        """h = f(x), the representation kept after training."""
        return self.encoder.features(images)
