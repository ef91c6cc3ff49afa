"""BEiT (Bao et al., 2022): BERT's masked-token prediction for a Vision Transformer.

An image has two views: its patches, which go into the network, and its *visual tokens*, one
discrete code per patch from an image tokenizer, which are the targets. About 40% of the patches
are masked in blocks (Algorithm 1), their embeddings replaced by a learned [M] vector, and the
network predicts the visual token of each masked patch.

The paper's tokenizer is DALL-E's discrete VAE (8,192 codes), which cannot be downloaded here.
Our stand-in is `PatchTokenizer`: k-means over the training patches' pixels, each patch coded
by its nearest centroid. It keeps the interface (patch in, one of K codes out) and the property
the paper leans on, that a code summarises a patch and drops its fine detail; it has none of a
learned tokenizer's context, since each patch is coded alone.
"""

import math
from dataclasses import replace

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .codebook import fit_codebook, nearest_code
from .vit import VIT_B16, ViT, patchify, unpatchify


class PatchTokenizer:
    """Visual tokens by k-means over patches: `fit` on training images, then `encode` images
    (N, C, H, W) to (N, patches) codes and `decode` codes back to images of centroids."""

    def __init__(self, patch_size, vocabulary, seed=0):
        self.patch_size, self.vocabulary, self.seed = patch_size, vocabulary, seed
        self.codebook = None

    def fit(self, images, sample=50_000):
        patches = patchify(images, self.patch_size)
        self.channels = images.size(1)
        self.codebook = fit_codebook(patches.reshape(-1, patches.size(-1)), self.vocabulary,
                                     sample, self.seed)
        return self

    def encode(self, images):
        return nearest_code(patchify(images, self.patch_size), self.codebook)

    def decode(self, codes):
        return unpatchify(self.codebook[codes], self.patch_size, self.channels)


def block_masking(grid, ratio=0.4, min_patches=16, min_aspect=0.3, rng=None):
    """Algorithm 1: mask rectangles of at least `min_patches` patches, with a log-uniform aspect
    ratio in [min_aspect, 1 / min_aspect], at random places, until `ratio` of the grid x grid
    patches are masked. As in the paper's code, a block that would overshoot the target is
    drawn again (ten tries), so the count never exceeds it. Returns (grid * grid,) bools."""
    rng = rng or np.random.default_rng()
    target = round(ratio * grid * grid)
    mask = np.zeros((grid, grid), dtype=bool)
    while (left := target - mask.sum()) > 0:
        for _ in range(10):
            s = rng.uniform(min(min_patches, left), left)
            r = math.exp(rng.uniform(math.log(min_aspect), -math.log(min_aspect)))
            a = min(grid, max(1, round(math.sqrt(s * r))))
            b = min(grid, max(1, round(math.sqrt(s / r))))
            t, l = rng.integers(0, grid - a + 1), rng.integers(0, grid - b + 1)
            new = (~mask[t:t + a, l:l + b]).sum()
            if 0 < new <= left:
                mask[t:t + a, l:l + b] = True
                break
        else:
            break
    return torch.from_numpy(mask.flatten())


def random_masking(grid, ratio=0.4, rng=None):
    """The ablation's alternative: round(ratio * grid²) patches chosen uniformly at random."""
    rng = rng or np.random.default_rng()
    mask = np.zeros(grid * grid, dtype=bool)
    mask[rng.choice(grid * grid, size=round(ratio * grid * grid), replace=False)] = True
    return torch.from_numpy(mask)


class BEiT(ViT):
    """A ViT (mean-pooled, no [CLS]) with the [M] embedding for masked patches and a linear
    head for masked image modelling: over `vocabulary` visual tokens, or, with
    `vocabulary=None`, regressing the masked patches' raw pixels (Table 4's ablation)."""

    def __init__(self, config=VIT_B16, vocabulary=8192):
        super().__init__(replace(config, pool="mean"))
        c = self.config
        self.vocabulary = vocabulary
        self.mask_embedding = nn.Parameter(torch.zeros(1, 1, c.d_model))
        nn.init.trunc_normal_(self.mask_embedding, std=0.02)
        outputs = vocabulary if vocabulary else c.patch_size ** 2 * c.channels
        self.mim_head = nn.Linear(c.d_model, outputs)

    def embed(self, images, masked=None):
        """Patch embeddings, the masked ones replaced by [M], plus the position embeddings."""
        z = self.patch_embedding(patchify(images, self.config.patch_size))
        if masked is not None:
            z = torch.where(masked[..., None], self.mask_embedding.to(z.dtype), z)
        return self.dropout(z + self.position_embedding)

    def patch_states(self, images, masked=None):
        """The last layer's states of every patch, (B, N, D)."""
        return self.encode(self.embed(images, masked))


def mim_step(model, batch, masking):
    """Masked image modelling on (images, visual tokens, ...) batches: `masking(grid, rng)`
    draws each image's mask; the loss is on the masked patches only, cross-entropy over the
    visual tokens or, for a pixel-regression model, the mean squared error of their pixels."""
    images, tokens = batch[0], batch[1]
    grid = model.config.grid
    rng = np.random.default_rng(torch.randint(2 ** 31, ()).item())     # seeded with torch's RNG
    masked = torch.stack([masking(grid, rng) for _ in range(len(images))]).to(images.device)
    prediction = model.mim_head(model.patch_states(images, masked)[masked]).float()
    if model.vocabulary:
        loss = F.cross_entropy(prediction, tokens[masked])
        return {"loss": loss, "token_accuracy": (prediction.argmax(-1) == tokens[masked]).float().mean()}
    return {"loss": F.mse_loss(prediction, patchify(images, model.config.patch_size)[masked])}
