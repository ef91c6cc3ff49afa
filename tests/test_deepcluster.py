"""DeepCluster: k-means with the empty-cluster fix (against faiss, the library the paper used),
the PCA-whitening of the features (against scikit-learn), the uniform sampler and one epoch."""

import faiss
import numpy as np
import pytest
import torch
from sklearn.decomposition import PCA
from sklearn.metrics import normalized_mutual_info_score

from zoo_utils import profiles
from zoo_utils.models import deepcluster as D


def blobs(n_per=100, k=5, dim=8, seed=0):
    g = torch.Generator().manual_seed(seed)
    centres = 10 * torch.randn(k, dim, generator=g)
    labels = torch.arange(k).repeat_interleave(n_per)
    return centres[labels] + torch.randn(len(labels), dim, generator=g), labels


def test_kmeans_matches_faiss_on_separated_blobs():
    x, labels = blobs()
    assignments, centroids, loss = D.kmeans(x, 5, seed=0)
    oracle = faiss.Kmeans(x.shape[1], 5, niter=20, seed=0, nredo=5)
    oracle.train(x.numpy())
    faiss_loss = oracle.index.search(x.numpy(), 1)[0].mean()
    assert loss == pytest.approx(faiss_loss, rel=0.05)
    assert normalized_mutual_info_score(labels, assignments) > 0.99
    assert centroids.shape == (5, 8)


def test_empty_clusters_are_refilled():
    x = torch.tensor([[0.0, 0.0], [5.0, 5.0], [-5.0, 5.0]]).repeat(20, 1)   # 3 distinct points
    assignments, _, _ = D.kmeans(x, 6, seed=0)
    assert torch.bincount(assignments, minlength=6).min() > 0


def test_pca_whiten_matches_scikit_learn_up_to_sign():
    x = torch.randn(200, 16) @ torch.randn(16, 16)
    ours = D.pca_whiten(x, 5)
    theirs = torch.tensor(PCA(5, whiten=True).fit_transform(x.numpy()), dtype=torch.float32)
    theirs = torch.nn.functional.normalize(theirs, dim=1)
    signs = torch.sign((ours * theirs).sum(0))
    assert torch.allclose(ours, theirs * signs, atol=1e-3)
    assert torch.allclose(ours.norm(dim=1), torch.ones(200))


def test_uniform_sample_draws_every_cluster_equally():
    assignments = torch.cat([torch.zeros(900), torch.ones(90), torch.full((10,), 7.0)]).long()
    picks = D.uniform_sample(assignments, torch.Generator().manual_seed(0))
    assert len(picks) == 1000
    counts = torch.bincount(assignments[picks], minlength=8)[[0, 1, 7]]
    assert counts.max() - counts.min() <= 3        # the rounding up to 334 per cluster, then cut


def test_an_epoch_clusters_replaces_the_top_layer_and_trains():
    torch.manual_seed(0)
    model = D.ConvNet(1, widths=(4, 8), feature_dim=16, clusters=3, size=8)
    images = torch.rand(60, 1, 8, 8)
    before = [p.clone() for p in model.blocks.parameters()]
    assignments, loss = D.deepcluster_epoch(
        model, images, k=5, pca_dim=4, optimizer_for=lambda m: torch.optim.SGD(m.parameters(), lr=0.1),
        batch_size=16, device="cpu")
    assert model.top_layer.out_features == 5 and len(assignments) == 60
    assert torch.bincount(assignments, minlength=5).min() > 0 and np.isfinite(loss)
    assert any(not torch.equal(a, b) for a, b in zip(before, model.blocks.parameters()))


@pytest.mark.parametrize("profile", ["smoke", "cpu", "gpu"])
def test_every_profile_builds_its_network_and_takes_a_step(profile):
    cfg = profiles.get("deepcluster", profile)
    model = D.ConvNet(cfg.channels, cfg.widths, cfg.feature_dim, cfg.k, cfg.size)
    images = torch.rand(2 * cfg.k, cfg.channels, cfg.size, cfg.size)
    D.deepcluster_epoch(model, images, k=cfg.k, pca_dim=cfg.pca_dim,
                        optimizer_for=lambda m: torch.optim.SGD(m.parameters(), lr=cfg.lr),
                        batch_size=cfg.batch_size, device="cpu")
    assert all(o.isfinite().all() for o in model.layer_outputs(images[:2]))
