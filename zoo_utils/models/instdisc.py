"""Instance discrimination (Wu, Xiong, Yu and Lin, CVPR 2018): every training image is a class
of its own. The class weights of an n-way classifier are replaced by a memory bank of each
image's last 128-d feature (a non-parametric softmax), and the softmax over n classes by
noise-contrastive estimation against m entries drawn from the bank. Proximal regularisation
keeps each image's feature close to its previous value, which smooths training.

The memory bank is `zoo_utils.contrastive.MemoryBank`, shared with the MoCo page's Fig 2b."""

import math

import torch
import torch.nn.functional as F
from torch import nn

from zoo_utils.contrastive import MemoryBank, one_view_step


def non_parametric_softmax(v, bank, indices, T):
    """Eq. 2 with every image as a class: -log P(i | v), P(i | v) = exp(v_i . v / T) / sum_j
    exp(v_j . v / T) over all n entries v_j of the bank. Returns the loss and the (N, n) logits."""
    logits = v @ bank.T / T
    return F.cross_entropy(logits, indices), logits


def nce_probabilities(v, own, noise, T, Z):
    """P(j | v) = exp(v_j . v / T) / Z: column 0 for each image's own entry `own` (N, dim), then
    one column per noise entry (m, dim), shared by the batch: (N, 1 + m)."""
    similarity = torch.cat([(v * own).sum(1, keepdim=True), v @ noise.T], 1)
    return torch.exp(similarity / T) / Z


def nce_loss(p, m, n, eps=1e-7):
    """Eq. 5: `p` (N, 1 + m) holds P(i | v) for the image's own entry (column 0) and P(j | v)
    for m noise entries drawn uniformly, P_n = 1 / n. The posterior that a sample came from the
    data is h = P / (P + m P_n); the loss is -log h(i, v) - sum over noise of log(1 - h(j, v)),
    averaged over the batch."""
    noise = m / n
    data_term = torch.log(p[:, 0] / (p[:, 0] + noise + eps))
    noise_term = torch.log(noise / (p[:, 1:] + noise + eps)).sum(1)
    return -(data_term + noise_term).mean()


class InstDisc(nn.Module):
    """An encoder trained to tell every image from every other, against a memory bank.

    `objective`: "nce" (m noise samples drawn uniformly from the bank once per batch and shared
    by its images, as MoCo's negatives are, where the paper's code draws m per image; Z
    estimated once from the first batch, as that code does) or "softmax" (all n entries, the
    exact objective NCE approximates). `proximal` is lambda of §3.4, the weight of
    ||v_i(t) - v_i(t-1)||^2; 0 turns it off. The bank entry of each image in the batch then
    moves to the new feature with `bank_momentum` (0.5 in the paper's code)."""

    def __init__(self, encoder, n_images, dim=128, m=4096, T=0.07, objective="nce", proximal=0.0,
                 bank_momentum=0.5):
        super().__init__()
        if objective not in ("nce", "softmax"):
            raise ValueError(f"unknown objective {objective!r}; choose 'nce' or 'softmax'")
        self.encoder = encoder
        self.bank = MemoryBank(n_images, dim)
        self.m, self.T, self.objective = m, T, objective
        self.proximal, self.bank_momentum = proximal, bank_momentum
        self.register_buffer("Z", torch.tensor(math.nan))

    def forward(self, x, indices):
        """One view `x` of each image and the images' `indices` in the dataset: the loss, and
        logits with the image's own entry in column 0 (for the pretext accuracy)."""
        v = F.normalize(self.encoder(x), dim=1)
        previous = self.bank.vectors[indices].clone()
        if self.objective == "softmax":
            loss, logits = non_parametric_softmax(v, self.bank.vectors.clone(), indices, self.T)
            logits = torch.cat([logits.gather(1, indices[:, None]), logits], 1)
        else:
            noise = self.bank.sample(self.m)
            if torch.isnan(self.Z):
                with torch.no_grad():   # Z ~ n E[exp(v_j . v / T)], fixed after the first batch
                    first = nce_probabilities(v, previous, noise, self.T, 1.0)[:, 1:]
                    self.Z.copy_(first.mean() * len(self.bank.vectors))
            p = nce_probabilities(v, previous, noise, self.T, self.Z)
            loss = nce_loss(p, self.m, len(self.bank.vectors))
            logits = torch.log(p)
        self.terms = {"instance": loss.detach()}    # the objective without the proximal term
        if self.proximal:
            loss = loss + self.proximal * (v - previous).pow(2).sum(1).mean()
        self.bank.update(indices, v, self.bank_momentum)
        return loss, logits

    def features(self, images):
        return self.encoder.features(images)

    @torch.no_grad()
    def instance_recognition(self, images, augment, batch_size=500):
        """The pretext task, measured: the fraction of fresh views whose most similar bank
        entry is their own image's (chance is 1 / n). `images` are the bank's n images, in
        its order."""
        hits = 0
        for start in range(0, len(images), batch_size):
            x = images[start:start + batch_size].to(self.bank.vectors.device)
            v = F.normalize(self.encoder(augment(x)), dim=1)
            own = torch.arange(start, start + len(x), device=v.device)
            hits += ((v @ self.bank.vectors.T).argmax(1) == own).sum().item()
        return hits / len(images)


def instdisc_step(augment, losses=None):
    """A training step for `zoo_utils.train.fit` on (images, indices) batches: one view of
    each image, its key its own bank entry. `losses`, a list, collects the objective without
    the proximal term at every step."""
    one_view = one_view_step(augment)

    def step(model, batch):
        out = one_view(model, batch)
        if losses is not None:
            losses.append(model.terms["instance"].item())
        return out
    return step
