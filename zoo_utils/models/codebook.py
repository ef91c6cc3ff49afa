"""Vector quantisation by k-means, the discrete vocabularies of the pages that turn images into
tokens: Image GPT's colour palette (vectors: pixels) and BEiT's stand-in visual tokenizer
(vectors: patches)."""

import numpy as np
import torch
from sklearn.cluster import KMeans


def fit_codebook(vectors, size, sample=20_000, seed=0):
    """k-means with `size` clusters over at most `sample` of the rows of `vectors` (M, d),
    drawn without replacement: the codebook, a (size, d) float tensor."""
    rng = np.random.default_rng(seed)
    rows = rng.choice(len(vectors), size=min(sample, len(vectors)), replace=False)
    kmeans = KMeans(size, n_init=1, random_state=seed).fit(vectors[rows].numpy())
    return torch.as_tensor(kmeans.cluster_centers_, dtype=torch.float32)


def nearest_code(vectors, codebook, chunk=65_536):
    """The index of the nearest codebook entry (Euclidean) for each row of `vectors` (..., d)."""
    flat = vectors.reshape(-1, vectors.size(-1))
    ids = torch.cat([torch.cdist(flat[i:i + chunk], codebook).argmin(-1)
                     for i in range(0, len(flat), chunk)])
    return ids.reshape(vectors.shape[:-1])
