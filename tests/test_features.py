"""The frozen-feature evaluations every self-supervised page uses: the weighted k-NN monitor
against scikit-learn, and the linear probe on features whose answer is known."""

import numpy as np
import pytest
import torch
from sklearn.neighbors import KNeighborsClassifier

from zoo_utils import features
from zoo_utils.data.core import ImageDataset


def test_knn_with_one_neighbour_is_scikit_learns_cosine_nearest_neighbour():
    g = torch.Generator().manual_seed(0)
    train_x, test_x = torch.randn(300, 16, generator=g), torch.randn(100, 16, generator=g)
    train_y = torch.randint(0, 4, (300,), generator=g)
    test_y = torch.randint(0, 4, (100,), generator=g)
    reference = KNeighborsClassifier(1, metric="cosine").fit(train_x.numpy(), train_y.numpy())
    expected = np.mean(reference.predict(test_x.numpy()) == test_y.numpy())
    assert features.knn_accuracy(train_x, train_y, test_x, test_y, k=1) == expected


def test_knn_votes_are_weighted_by_similarity():
    # two neighbours of class 1 at a wide angle outvote one of class 0 close by with plain
    # votes, but not when each vote is weighted by exp(cosine / 0.1)
    train_x = torch.tensor([[1.0, 0.05], [1.0, 1.0], [1.0, -1.0]])
    train_y = torch.tensor([0, 1, 1])
    query, label = torch.tensor([[1.0, 0.0]]), torch.tensor([0])
    assert features.knn_accuracy(train_x, train_y, query, label, k=3, temperature=0.1) == 1.0
    assert features.knn_accuracy(train_x, train_y, query, label, k=3, temperature=1e6) == 0.0


def test_linear_probe_separates_linearly_separable_features_and_not_noise():
    g = torch.Generator().manual_seed(0)
    labels = torch.randint(0, 3, (600,), generator=g)
    separable = torch.randn(600, 10, generator=g) + 4 * torch.nn.functional.one_hot(labels, 10)
    assert features.linear_probe(separable[:400], labels[:400], separable[400:], labels[400:],
                                 epochs=10) > 0.95
    noise = torch.randn(600, 10, generator=g)
    assert features.linear_probe(noise[:400], labels[:400], noise[400:], labels[400:],
                                 epochs=10) < 0.5


def test_linear_probe_trained_without_one_class_still_scores_every_test_image():
    g = torch.Generator().manual_seed(1)
    labels = torch.randint(0, 3, (400,), generator=g)
    x = torch.randn(400, 10, generator=g) + 4 * torch.nn.functional.one_hot(labels, 10)
    seen = labels[:300] != 2                        # class 2 never labelled in training
    accuracy = features.linear_probe(x[:300][seen], labels[:300][seen], x[300:], labels[300:], epochs=10)
    share_unseen = (labels[300:] == 2).float().mean().item()
    assert accuracy == pytest.approx(1 - share_unseen, abs=0.03)   # right on the rest, wrong on class 2


def test_frozen_probes_judge_features_of_each_set_with_both_classifiers():
    g = torch.Generator().manual_seed(0)
    labels = torch.randint(0, 3, (600,), generator=g)
    signal = 4 * torch.nn.functional.one_hot(labels, 10).reshape(600, 1, 2, 5)
    images = torch.randn(600, 1, 2, 5, generator=g) + signal
    train_set = ImageDataset(images[:400], labels[:400], range(3))
    test_set = ImageDataset(images[400:], labels[400:], range(3))
    good = features.frozen_probes(lambda x: x.flatten(1), train_set, test_set,
                                  probe_epochs=10, knn_k=20)
    blind = features.frozen_probes(lambda x: torch.randn(len(x), 10, generator=g), train_set,
                                   test_set, probe_epochs=10, knn_k=20)
    assert good["linear probe"] > 95 and good["k-NN"] > 95
    assert blind["linear probe"] < 50 and blind["k-NN"] < 50
