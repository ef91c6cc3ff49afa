"""Features of a trained network and nearest neighbours in them (Fig 3 of AlexNet, kNN probes)."""

import torch

from .train import batches


@torch.no_grad()
def embed(embed_fn, dataset, batch_size=1000, device="cpu"):
    """`embed_fn` applied to every image of `dataset`, as one (N, D) tensor on the CPU."""
    return torch.cat([embed_fn(x).float().cpu() for x, _ in batches(dataset, batch_size, device)])


def nearest_neighbours(queries, keys, k, chunk=1024):
    """Indices (Q, k) of the `k` keys closest to each query in Euclidean distance."""
    return torch.cat([torch.cdist(queries[i:i + chunk], keys).topk(k, largest=False).indices
                      for i in range(0, len(queries), chunk)])


def neighbour_agreement(query_features, query_labels, key_features, key_labels, k):
    """Fraction of each query's `k` nearest keys that share its label, averaged over queries."""
    idx = nearest_neighbours(query_features, key_features, k)
    return (key_labels[idx] == query_labels[:, None]).float().mean().item()
