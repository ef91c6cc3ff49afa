"""DeepCluster (Caron, Bojanowski, Joulin and Douze, ECCV 2018): learn visual features without
labels by alternating two steps. First, cluster the network's features of every image with
k-means. Then train the network to predict each image's cluster, as if the clusters were
labels. Two fixes keep this from collapsing: an empty cluster takes over half of a large
cluster (§3.3, "empty clusters"), and training samples images uniformly over the clusters, so
that one huge cluster cannot dominate the loss ("trivial parametrization").

Here: the network (a small convolutional net in the spirit of the paper's AlexNet), the
features' preprocessing (PCA, whitening, L2 normalisation), k-means with the empty-cluster fix,
the uniform sampler and one DeepCluster epoch."""

import math

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import TensorDataset

from zoo_utils import train
from zoo_utils.features import embed


class ConvNet(nn.Module):
    """Convolutional blocks (3x3 convolution, BatchNorm, ReLU, 2x2 max-pool after all but the
    last), a fully connected ReLU layer whose output is what is clustered, and `top_layer`, the
    classifier over the current clusters, replaced at every epoch."""

    def __init__(self, in_channels=1, widths=(32, 64, 128, 128), feature_dim=128, clusters=100,
                 size=28):
        super().__init__()
        blocks, c = [], in_channels
        for i, w in enumerate(widths):
            pool = [nn.MaxPool2d(2)] if i < len(widths) - 1 else []
            blocks.append(nn.Sequential(nn.Conv2d(c, w, 3, padding=1), nn.BatchNorm2d(w),
                                        nn.ReLU(), *pool))
            c = w
            size = size // 2 if pool else size
        self.blocks = nn.ModuleList(blocks)
        self.fc = nn.Sequential(nn.Flatten(), nn.Linear(c * size * size, feature_dim), nn.ReLU())
        self.top_layer = nn.Linear(feature_dim, clusters)

    def layer_outputs(self, x):
        """The output of every convolutional block, first to last."""
        outputs = []
        for block in self.blocks:
            x = block(x)
            outputs.append(x)
        return outputs

    def features(self, x):
        return self.fc(self.layer_outputs(x)[-1])

    def forward(self, x):
        return self.top_layer(self.features(x))


def pca_whiten(features, dim):
    """The paper's preprocessing before k-means: centre, project on the `dim` leading principal
    components, scale each to unit variance (whitening), then L2-normalise every row."""
    centred = features - features.mean(0)
    _, s, v = torch.linalg.svd(centred, full_matrices=False)
    dim = min(dim, len(s))
    projected = centred @ v[:dim].T / (s[:dim] / math.sqrt(len(features) - 1) + 1e-5)
    return F.normalize(projected, dim=1)


def kmeans(x, k, iterations=20, seed=0):
    """Lloyd's k-means on the rows of `x` from `k` random rows, `iterations` updates of the
    centroids. After each assignment, the last one included, every empty cluster takes a random non-empty cluster's centroid, perturbed a little, and the two
    split that cluster's points (the paper's fix). Returns (assignments, centroids, loss), the
    loss being the mean squared distance of each row to its centroid."""
    generator = torch.Generator().manual_seed(seed)
    centroids = x[torch.randperm(len(x), generator=generator)[:k]].clone()
    for i in range(iterations + 1):
        assignments = torch.cdist(x, centroids).argmin(1)
        centroids, assignments = _reassign_empty(x, centroids, assignments, generator)
        if i == iterations:
            break
        counts = torch.bincount(assignments, minlength=k)
        centroids = torch.zeros_like(centroids).index_add_(0, assignments, x) / counts[:, None]
    loss = (x - centroids[assignments]).pow(2).sum(1).mean().item()
    return assignments, centroids, loss


def _reassign_empty(x, centroids, assignments, generator, eps=1e-4):
    counts = torch.bincount(assignments, minlength=len(centroids))
    for empty in torch.nonzero(counts == 0).flatten().tolist():
        donors = torch.nonzero(counts > 1).flatten()
        donor = donors[torch.randint(len(donors), (1,), generator=generator)].item()
        noise = eps * torch.randn(centroids.shape[1], generator=generator)
        centroids[empty], centroids[donor] = centroids[donor] + noise, centroids[donor] - noise
        members = torch.nonzero(assignments == donor).flatten()
        moved = members[(x[members] - centroids[empty]).pow(2).sum(1)
                        < (x[members] - centroids[donor]).pow(2).sum(1)]
        if len(moved) in (0, len(members)):              # a tie: split the points at random
            moved = members[torch.randperm(len(members), generator=generator)[:len(members) // 2]]
        assignments[moved] = empty
        counts = torch.bincount(assignments, minlength=len(centroids))
    return centroids, assignments


def uniform_sample(assignments, generator=None):
    """As many image indices as there are images, drawn with replacement so that every
    non-empty cluster contributes the same number."""
    clusters = [torch.nonzero(assignments == c).flatten() for c in assignments.unique()]
    per_cluster = math.ceil(len(assignments) / len(clusters))
    picks = torch.cat([members[torch.randint(len(members), (per_cluster,), generator=generator)]
                       for members in clusters])
    return picks[torch.randperm(len(picks), generator=generator)[:len(assignments)]]


def deepcluster_epoch(model, images, *, k, pca_dim, optimizer_for, augment=None, batch_size=128,
                      seed=0, device=None):
    """One epoch: cluster the features of `images`, replace the top layer by a fresh classifier
    over the `k` clusters, and train the whole network for one pass of uniformly sampled images
    with their clusters as labels. `optimizer_for(model)` gives this epoch's optimizer. Returns
    the assignments (before training) and the k-means loss."""
    model.eval()
    features = embed(model.features, TensorDataset(images, torch.zeros(len(images))), 500, device)
    assignments, _, loss = kmeans(pca_whiten(features, pca_dim), k, seed=seed)
    model.top_layer = nn.Linear(model.top_layer.in_features, k).to(next(model.parameters()).device)
    picks = uniform_sample(assignments, torch.Generator().manual_seed(seed))
    train.fit(model, TensorDataset(images[picks], assignments[picks]), epochs=1,
              optimizer=optimizer_for(model), batch_size=batch_size, augment=augment, seed=seed,
              device=device, progress=False)
    return assignments, loss
