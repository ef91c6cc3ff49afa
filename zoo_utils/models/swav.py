"""SwAV (Caron, Misra, Mairal, Goyal, Bojanowski and Joulin, NeurIPS 2020): contrast views
through clusters instead of through each other. Each view's projection z is scored against K
learnable prototypes; the scores of one view are turned into a *code*, a soft assignment to
the prototypes in which every prototype gets an equal share of the batch (the equipartition,
solved by a few Sinkhorn-Knopp iterations); the other view must predict that code (the swapped
prediction). Multi-crop adds several small, cheap crops that predict the codes of the two
full-size ones.

Here: the Sinkhorn-Knopp codes, the swapped-prediction loss over any number of crops, the model
(with its equipartition switchable, to show what it prevents), multi-crop views, and SimCLR's
NT-Xent over the same crops, for the paper's comparison at equal compute."""

import torch
import torch.nn.functional as F
from torch import nn

from zoo_utils import contrastive
from zoo_utils.models.simclr import SimCLR, nt_xent, projection_head


@torch.no_grad()
def sinkhorn(scores, epsilon=0.05, iterations=3):
    """Codes Q (B, K) for a batch's prototype scores (B, K): exp(scores / epsilon), scaled in
    turn so that each prototype holds 1/K of the mass and each sample 1/B, `iterations` times;
    returned so that each sample's code sums to 1."""
    Q = torch.exp(scores / epsilon).T           # (K, B)
    Q /= Q.sum()
    K, B = Q.shape
    for _ in range(iterations):
        Q /= Q.sum(dim=1, keepdim=True) * K     # each prototype: 1/K
        Q /= Q.sum(dim=0, keepdim=True) * B     # each sample: 1/B
    return (Q * B).T


def swapped_prediction(scores, n_global=2, temperature=0.1, codes=sinkhorn):
    """The SwAV loss for a list of prototype scores, one (B, K) tensor per crop, the `n_global`
    full-size crops first: each full-size crop's code is predicted, by a softmax at
    `temperature`, from every other crop; the mean of those cross-entropies."""
    total, terms = 0.0, 0
    for i in range(n_global):
        q = codes(scores[i].detach())
        for j, s in enumerate(scores):
            if j != i:
                total = total - (q * F.log_softmax(s / temperature, dim=1)).sum(1).mean()
                terms += 1
    return total / terms


def softmax_codes(scores, epsilon=0.05):
    """The codes without the equipartition: each sample's own softmax at `epsilon`, so nothing
    stops every sample from choosing the same prototype."""
    return F.softmax(scores / epsilon, dim=1)


class SwAV(nn.Module):
    """An encoder (with `features`), SimCLR's non-linear projection head to `dim`, and
    `n_prototypes` prototypes, kept on the unit sphere. `forward(crops)` takes a list of
    batches, the `n_global` full-size crops first, and returns the loss and the first crop's
    scores (for monitoring how the codes spread over the prototypes)."""

    def __init__(self, encoder, dim=128, n_prototypes=100, temperature=0.1, epsilon=0.05,
                 iterations=3, equipartition=True, n_global=2):
        super().__init__()
        self.encoder = encoder
        self.head = projection_head("nonlinear", encoder.fc.in_features, dim)
        self.prototypes = nn.Linear(dim, n_prototypes, bias=False)
        self.temperature, self.n_global = temperature, n_global
        self.codes = ((lambda s: sinkhorn(s, epsilon, iterations)) if equipartition
                      else (lambda s: softmax_codes(s, epsilon)))

    def features(self, images):
        return self.encoder.features(images)

    def scores(self, images):
        """Each image's scores against the prototypes: its normalised projection times each."""
        return self.prototypes(F.normalize(self.head(self.features(images)), dim=1))

    def forward(self, crops):
        with torch.no_grad():
            self.prototypes.weight.copy_(F.normalize(self.prototypes.weight, dim=1))
        scores = [self.scores(c) for c in crops]
        loss = swapped_prediction(scores, self.n_global, self.temperature, self.codes)
        return loss, scores[0]


class MultiCropSimCLR(SimCLR):
    """SimCLR over several crops: NT-Xent between each full-size crop and every other crop of
    the same images, averaged (the two full-size crops alone: SimCLR)."""

    def __init__(self, encoder, dim=128, temperature=0.5, n_global=2):
        super().__init__(encoder, "nonlinear", dim, temperature)
        self.n_global = n_global

    def forward(self, crops):
        z = [self.projections(c) for c in crops]
        pairs = [(i, j) for i in range(self.n_global) for j in range(i + 1, len(z))]
        losses = [nt_xent(z[i], z[j], self.temperature) for i, j in pairs]
        return sum(loss for loss, _ in losses) / len(pairs), losses[0][1]


def multi_crop(global_size, global_scale, n_local=0, local_size=None, local_scale=None,
               recipe="mocov1"):
    """The views of multi-crop: two crops of `global_size` pixels covering `global_scale` of
    the image, then `n_local` crops of `local_size` covering `local_scale`; each a
    `zoo_utils.contrastive.view_augmentation` with the same colour recipe."""
    big = contrastive.view_augmentation(global_size, recipe, crop_scale=global_scale)
    small = (contrastive.view_augmentation(local_size, recipe, crop_scale=local_scale)
             if n_local else None)
    return lambda images: [big(images), big(images)] + [small(images) for _ in range(n_local)]


def multi_crop_step(views):
    """A training step for `zoo_utils.train.fit`: the crops of each image from `views`, then a
    model that takes the list of crops and returns (loss, scores or logits)."""
    def step(model, batch):
        loss, _ = model(views(batch[0]))
        return {"loss": loss}
    return step


def prototype_usage(model, images, batch_size=500):
    """How the codes spread over the prototypes, on `images`: the perplexity of the mean
    assignment (exp of its entropy; K when every prototype is used equally, 1 when one takes
    all) and the number of prototypes that are some image's top choice."""
    model.eval()
    with torch.no_grad():
        scores = torch.cat([model.scores(x) for x in images.split(batch_size)])
    mean = F.softmax(scores / model.temperature, dim=1).mean(0)
    perplexity = torch.exp(-(mean * mean.clamp_min(1e-12).log()).sum()).item()
    return {"perplexity": perplexity, "prototypes chosen": scores.argmax(1).unique().numel()}
