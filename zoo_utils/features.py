"""Features of a trained network and what they are worth: nearest neighbours (Fig 3 of AlexNet),
the weighted k-NN monitor and the linear probe that self-supervised pages evaluate with."""

import math

import torch
import torch.nn.functional as F
from torch.utils.data import TensorDataset

from . import timing
from .train import batches, fit, seed_all, sgd_cosine


@timing.timed("evaluation")
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


@timing.timed("evaluation", sealed=True)
def knn_accuracy(train_features, train_labels, test_features, test_labels, k=200, temperature=0.1,
                 chunk=1024):
    """The weighted k-NN classifier of Wu et al. (2018), the monitor of self-supervised
    training: cosine similarity on L2-normalised features; each of a test feature's k nearest
    training features votes for its label with weight exp(similarity / temperature)."""
    train_features = F.normalize(train_features, dim=1)
    test_features = F.normalize(test_features, dim=1)
    classes = int(max(train_labels.max(), test_labels.max())) + 1
    k = min(k, len(train_features))
    correct = 0
    for i in range(0, len(test_features), chunk):
        similarity, idx = (test_features[i:i + chunk] @ train_features.T).topk(k, dim=1)
        votes = torch.zeros(len(idx), classes).scatter_add_(
            1, train_labels[idx], (similarity / temperature).exp())
        correct += (votes.argmax(1) == test_labels[i:i + chunk]).sum().item()
    return correct / len(test_features)


@timing.timed("evaluation", sealed=True)
def linear_probe(train_features, train_labels, test_features, test_labels, *, epochs=100,
                 lr=0.1, weight_decay=0.0, batch_size=256, seed=0):
    """Test accuracy of a linear classifier trained on frozen features (standardised with the
    training set's statistics, as MAE's probe does with a BatchNorm without affine), with SGD
    and a cosine schedule through `zoo_utils.train.fit`."""
    mean, std = train_features.mean(0), train_features.std(0) + 1e-6
    standard = lambda f: (f - mean) / std
    train_set = TensorDataset(standard(train_features), train_labels)
    test_set = TensorDataset(standard(test_features), test_labels)
    seed_all(seed)
    classes = int(max(train_labels.max(), test_labels.max())) + 1   # a few labels may miss a class
    probe = torch.nn.Linear(train_features.size(1), classes)
    steps = epochs * math.ceil(len(train_set) / batch_size)
    optimizer, schedule = sgd_cosine(probe, lr, steps, weight_decay=weight_decay)
    history = fit(probe, train_set, test_set, epochs=epochs, optimizer=optimizer,
                  scheduler=schedule, batch_size=batch_size, seed=seed, device="cpu",
                  progress=False)
    return 1 - history.test_error.iloc[-1]


@timing.timed("evaluation", sealed=True)
def frozen_probes(encode, train_set, test_set, *, probe_epochs, knn_k, seed=0, device="cpu",
                  batch_size=500):
    """The two judges of a frozen encoder, in %: the linear probe and the weighted k-NN on the
    features `encode` gives each batch of images of the labelled sets (ImageDatasets)."""
    train_f, test_f = (embed(encode, s, batch_size, device) for s in (train_set, test_set))
    y_train, y_test = train_set.labels, test_set.labels
    return {"linear probe": 100 * linear_probe(train_f, y_train, test_f, y_test,
                                               epochs=probe_epochs, seed=seed),
            "k-NN": 100 * knn_accuracy(train_f, y_train, test_f, y_test, k=knn_k)}
