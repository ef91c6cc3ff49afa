"""Contrastive multiview coding (Tian, Krishnan and Isola, 2019): different views of the same
scene (here the lightness L and the colour ab of an image in Lab colour, and optionally a third
view) each get their own encoder, and the encoders are trained so that the views of one image
recognise each other among the views of other images. With more than two views, every view is
contrasted with a core view (the "core view" paradigm, §3.3) or every pair with each other
(the "full graph").

The contrast itself is InfoNCE with the other images of the batch as negatives, from the
toolkit, in both directions of each pair; the paper's own runs draw negatives from a memory
bank (InstDisc's), which at this book's laptop budget does not learn (see the InstDisc page)."""

import itertools

import kornia
import torch
import torch.nn.functional as F
from torch import nn

from zoo_utils.contrastive import info_nce_in_batch


def lab_views(rgb):
    """L (B, 1, H, W) and ab (B, 2, H, W) of RGB images in [0, 1], scaled to about [0, 1] and
    [-1, 1]."""
    lab = kornia.color.rgb_to_lab(rgb)
    return lab[:, :1] / 100, lab[:, 1:] / 110


def edge_view(rgb):
    """A third view: the strength of the edges in each colour channel (Sobel magnitude), which
    sees both lightness and colour boundaries but neither the flat colours nor the shading."""
    return kornia.filters.sobel(rgb)


CHANNELS = {"L": 1, "ab": 2, "edges": 3}


def make_views(rgb, names):
    """The named views of a batch of RGB images, {name: tensor}, Lab computed once."""
    views = dict(zip(("L", "ab"), lab_views(rgb))) if {"L", "ab"} & set(names) else {}
    if "edges" in names:
        views["edges"] = edge_view(rgb)
    return {name: views[name] for name in names}


def pairs(views, paradigm="core"):
    """The contrasted pairs: the first view with each other ("core"), or every pair ("full")."""
    if paradigm == "core":
        return [(views[0], other) for other in views[1:]]
    if paradigm == "full":
        return list(itertools.combinations(views, 2))
    raise ValueError(f"unknown paradigm {paradigm!r}; choose 'core' or 'full'")


class CMC(nn.Module):
    """One encoder per view (`make_encoder(channels)` builds each), the views' vectors
    normalised, and two-way InfoNCE at temperature `T` summed over the contrasted pairs."""

    def __init__(self, make_encoder, views=("L", "ab"), T=0.1, paradigm="core"):
        super().__init__()
        unknown = set(views) - set(CHANNELS)
        if unknown:
            raise ValueError(f"unknown views {sorted(unknown)}; choose from {sorted(CHANNELS)}")
        self.views, self.T, self.pairs = tuple(views), T, pairs(tuple(views), paradigm)
        self.encoders = nn.ModuleDict({v: make_encoder(CHANNELS[v]) for v in views})

    def forward(self, rgb):
        """One view of each kind from the same (augmented) images: the loss and the logits of
        the first pair (the positive in column 0)."""
        z = {v: F.normalize(self.encoders[v](x), dim=1)
             for v, x in make_views(rgb, self.views).items()}
        losses, first = [], None
        for a, b in self.pairs:
            loss_ab, logits = info_nce_in_batch(z[a], z[b], self.T)
            loss_ba, _ = info_nce_in_batch(z[b], z[a], self.T)
            losses += [loss_ab, loss_ba]
            first = logits if first is None else first
        return torch.stack(losses).sum(), first

    def features(self, rgb, views=("L", "ab")):
        """The representation judged: the pooled features of the given views' encoders,
        concatenated (the paper's evaluation concatenates L's and ab's)."""
        views = make_views(rgb, views)
        return torch.cat([self.encoders[v].features(x) for v, x in views.items()], 1)
