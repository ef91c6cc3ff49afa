"""Contrastive predictive coding (van den Oord, Li and Vinyals, 2018): an encoder maps each
piece of the input (a window of a signal, a patch of an image) to a latent z_t, an
autoregressive network summarises the latents so far into a context c_t, and c_t must pick out
the true latent k steps ahead, z_{t+k}, from other latents through the score
z^T W_k c_t (InfoNCE, one linear map W_k per step k).

`CPC1D` is the sequence version (a strided convolution and a GRU, §2 and §3.1); `CPCImage`
is §3.2's version for images: a grid of overlapping patches, each encoded on its own, and a
context built from the rows above (a stack of convolutions that never look down) predicting
the latents of the rows below."""

import torch
import torch.nn.functional as F
from torch import nn


def cpc_loss(predictions, targets, chunk=None):
    """InfoNCE for one step k: prediction i (N, D) must pick target i (N, D) out of the others
    by the score z^T W_k c (no normalisation, no temperature, as in the paper): the toolkit's
    in-batch InfoNCE, written here as one cross-entropy over score matrices for speed. The
    candidates are all N targets, or, with `chunk`, the targets of consecutive groups of
    `chunk` pairs (neighbours in the same inputs among them), which keeps the cost linear in N;
    a last group of one pair is dropped. Returns the loss and the accuracy of that choice."""
    chunk = min(chunk or len(predictions), len(predictions))
    whole = len(predictions) // chunk * chunk
    groups = [(predictions[:whole], targets[:whole], chunk)]
    rest = len(predictions) % chunk
    if rest >= 2:
        groups.append((predictions[-rest:], targets[-rest:], rest))
    losses, hits, n = [], [], 0
    for p, t, size in groups:
        scores = torch.bmm(p.view(-1, size, p.shape[1]),
                           t.view(-1, size, t.shape[1]).transpose(1, 2))
        own = torch.arange(size, device=p.device).repeat(len(scores))
        scores = scores.flatten(0, 1)
        losses.append(F.cross_entropy(scores, own, reduction="sum"))
        hits.append((scores.argmax(1) == own).sum())
        n += len(p)
    return torch.stack(losses).sum() / n, torch.stack(hits).sum().float() / n


def k_step_accuracy(predictions, targets, n_candidates, generator=None):
    """The share of predictions whose own target scores highest among `n_candidates` targets:
    itself and n_candidates - 1 others drawn at random, the same number at every k so that
    accuracies at different k can be compared (chance: 1 / n_candidates)."""
    n = len(predictions)
    others = torch.randint(n - 1, (n, n_candidates - 1), generator=generator).to(targets.device)
    others += (others >= torch.arange(n, device=targets.device)[:, None]).long()   # never itself
    candidates = torch.cat([torch.arange(n, device=targets.device)[:, None], others], 1)
    scores = torch.einsum("nd,ncd->nc", predictions, targets[candidates])
    return (scores.argmax(1) == 0).float().mean().item()


class PredictiveCoding(nn.Module):
    """What both CPC models share: `predictions(x)` gives one (W_k c, z_{t+k}) pair of tensors
    per step k, and the loss is the mean of the K InfoNCE terms; `accuracy` keeps each step's
    accuracy of the last batch."""

    def forward(self, x):
        terms = [cpc_loss(p, t, self.chunk) for p, t in self.predictions(x)]
        self.accuracy = torch.stack([a for _, a in terms])
        return torch.stack([loss for loss, _ in terms]).mean()


class CPC1D(PredictiveCoding):
    """CPC on a 1-D signal (B, 1, L): a strided convolutional encoder gives one latent per
    `stride` samples, a GRU gives the context, and W_1..W_K predict the next K latents."""

    def __init__(self, dim=64, context=64, K=8, stride=8, chunk=None):
        super().__init__()
        self.chunk = chunk
        self.encoder = nn.Sequential(
            nn.Conv1d(1, dim, 2 * stride, stride=stride, padding=stride // 2), nn.ReLU(),
            nn.Conv1d(dim, dim, 3, padding=1), nn.ReLU(), nn.Conv1d(dim, dim, 1))
        self.gru = nn.GRU(dim, context, batch_first=True)
        self.W = nn.ModuleList(nn.Linear(context, dim, bias=False) for _ in range(K))
        self.K = K

    def latents(self, x):
        return self.encoder(x).transpose(1, 2)                # (B, T, dim)

    def contexts(self, z):
        return self.gru(z)[0]                                 # (B, T, context)

    def predictions(self, x):
        """For each k = 1..K: (W_k c_t, z_{t+k}) over every batch element and every t with a
        target, flattened to (N_k, dim) pairs."""
        z = self.latents(x)
        c = self.contexts(z)
        return [(self.W[k - 1](c[:, :-k]).flatten(0, 1), z[:, k:].flatten(0, 1))
                for k in range(1, self.K + 1)]


class RowCausalConv(nn.Conv2d):
    """A convolution over a grid that sees only its own row and the rows above: the grid is
    padded on top by kernel_height - 1 rows, and nothing below."""

    def __init__(self, channels, kernel_height=2):
        super().__init__(channels, channels, (kernel_height, 3))
        self.top = kernel_height - 1

    def forward(self, x):
        return super().forward(F.pad(x, (1, 1, self.top, 0)))


class CPCImage(PredictiveCoding):
    """§3.2: the image is cut into a grid of `patch`-pixel patches, `stride` pixels apart
    (half a patch, the paper's overlap, unless given); `encoder` (with `features` for the
    pooled vector before its last layer) maps each patch to a latent; a stack of row-causal
    convolutions gives the context of each grid cell from the rows above and its own; W_k
    predicts the latent k rows below, k = 1..K."""

    def __init__(self, encoder, dim, patch=8, K=3, context_layers=3, chunk=None, stride=None):
        super().__init__()
        self.chunk, self.stride = chunk, stride or patch // 2
        self.encoder, self.patch, self.K = encoder, patch, K
        self.context = nn.Sequential(*[m for _ in range(context_layers)
                                       for m in (RowCausalConv(dim), nn.ReLU())])
        self.W = nn.ModuleList(nn.Conv2d(dim, dim, 1, bias=False) for _ in range(K))

    def patches(self, x):
        """(B, C, H, W) -> (B, g, g, C, patch, patch)."""
        p = x.unfold(2, self.patch, self.stride).unfold(3, self.patch, self.stride)   # B C g g p p
        return p.permute(0, 2, 3, 1, 4, 5)

    def latents(self, x):
        p = self.patches(x)
        b, g = p.shape[:2]
        return self.encoder(p.flatten(0, 2)).view(b, g, g, -1).permute(0, 3, 1, 2)   # B D g g

    def predictions(self, x):
        """For each k: (W_k c at rows 0..g-k-1, z at rows k..g-1), flattened to (N_k, dim)."""
        return self.grid_predictions(self.latents(x))

    def grid_predictions(self, z):
        """`predictions` from a grid of latents (B, D, g, g) already computed."""
        c = self.context(z)
        pairs = []
        for k in range(1, self.K + 1):
            p = self.W[k - 1](c)[:, :, :-k]
            pairs.append((p.permute(0, 2, 3, 1).flatten(0, 2),
                          z[:, :, k:].permute(0, 2, 3, 1).flatten(0, 2)))
        return pairs

    def features(self, x):
        """The image's representation: its patches' pooled encoder features, averaged."""
        p = self.patches(x)
        b, g = p.shape[:2]
        return self.encoder.features(p.flatten(0, 2)).view(b, g * g, -1).mean(1)


def image_step(augment):
    """A training step for `zoo_utils.train.fit`: an image CPC model's loss on a view of the
    batch's images, with its accuracy one step ahead as the pretext accuracy."""
    def step(model, batch):
        loss = model(augment(batch[0]))
        return {"loss": loss, "pretext accuracy": model.accuracy[0]}
    return step


@torch.no_grad()
def accuracy_by_step(model, inputs, n_candidates, batch_size=250, seed=0):
    """On held-out `inputs`: for each k = 1..K, the k-step accuracy (`k_step_accuracy`) over
    every prediction of every input, the candidates drawn from all of that k's targets."""
    model.eval()
    device = next(model.parameters()).device
    chunks = [model.predictions(inputs[s:s + batch_size].to(device))
              for s in range(0, len(inputs), batch_size)]
    g = torch.Generator().manual_seed(seed)
    return [k_step_accuracy(torch.cat([c[k][0] for c in chunks]).cpu(),
                            torch.cat([c[k][1] for c in chunks]).cpu(), n_candidates, g)
            for k in range(model.K)]

