"""DenseCL: MoCo v2 at lambda = 0, the correspondence by backbone similarity, the dense loss's
gradient, the known-geometry correspondence score, the mean IoU against scikit-learn's, and the
dense probe."""

import pytest
import torch
import torch.nn.functional as F
from sklearn.metrics import jaccard_score

from zoo_utils import contrastive as C
from zoo_utils.data.scenes import digit_scenes
from zoo_utils.models import densecl as D
from zoo_utils.models import mocov2


def encoder():
    return C.make_encoder("resnet8", 4, 3, 16, seed=0)


def test_at_lambda_zero_the_loss_is_moco_v2s():
    moco = mocov2.moco(encoder(), mocov2.TABLE_1[-1], K=32, m=0.99, bn_splits=2)
    dense = D.DenseCL(encoder(), 16, K=32, m=0.99, lam=0.0, bn_splits=2)
    dense.queue.keys.copy_(moco.queue.keys)
    x_q, x_k = torch.rand(2, 4, 3, 16, 16)
    torch.manual_seed(1)
    loss_moco, logits_moco = moco(x_q, x_k)
    torch.manual_seed(1)
    loss_dense, logits_dense = dense(x_q, x_k)
    assert loss_dense.item() == pytest.approx(loss_moco.item(), rel=1e-6)
    assert torch.allclose(logits_dense, logits_moco, atol=1e-5)


@pytest.mark.parametrize("lam", [0.0, 0.5])
def test_the_dense_head_learns_only_from_the_dense_loss(lam):
    model = D.DenseCL(encoder(), 16, K=32, m=0.99, lam=lam)
    loss, _ = model(torch.rand(4, 3, 16, 16), torch.rand(4, 3, 16, 16))
    loss.backward()
    grad = model.encoder_q.dense_head[0].weight.grad
    assert (grad is not None and grad.abs().sum() > 0) == (lam > 0)
    assert all(p.grad is None for p in model.encoder_k.parameters())


def test_the_correspondence_is_the_most_similar_key_location():
    torch.manual_seed(0)
    query = torch.randn(2, 8, 16)
    order = torch.randperm(16)
    key = 3 * query[:, :, order]               # the same features, moved and rescaled
    match = D.correspondence(query, key)
    assert torch.equal(order[match], torch.arange(16).expand(2, 16))


def test_the_dense_encoder_gives_a_vector_per_location_and_can_pool_the_map():
    images = torch.rand(2, 3, 32, 32)
    feature_map, vector, dense = D.DenseEncoder(encoder(), grid=None)(images)
    assert feature_map.shape == (2, 16, 64) and vector.shape == (2, 16) and dense.shape == (2, 16, 64)
    feature_map, _, dense = D.DenseEncoder(encoder(), grid=4)(images)
    assert feature_map.shape == (2, 16, 16) and dense.shape == (2, 16, 16)


def test_the_correspondence_score_knows_the_crops_geometry():
    """With pooled pixels as the features, every cell of the shifted crop is found exactly;
    with the truth's offset wrong, almost none would be."""
    torch.manual_seed(0)
    images = torch.rand(8, 3, 64, 64)
    pixels = lambda x: F.avg_pool2d(x, 4)
    assert D.correspondence_accuracy(pixels, images, shift=8) == pytest.approx(100.0)
    assert D.correspondence_accuracy(pixels, images, shift=0) == pytest.approx(100.0)
    assert D.correspondence_accuracy(lambda x: pixels(x).flip(3), images, shift=8) < 20


def test_mean_iou_is_scikit_learns_macro_jaccard():
    torch.manual_seed(0)
    target = torch.randint(0, 5, (3, 10, 10))
    predicted = torch.where(torch.rand(3, 10, 10) < 0.6, target, torch.randint(0, 5, (3, 10, 10)))
    expected = jaccard_score(target.flatten(), predicted.flatten(), average="macro")
    assert D.mean_iou(predicted, target, 5) == pytest.approx(expected)
    assert D.mean_iou(target, target, 11) == pytest.approx(1.0)      # absent classes are skipped


def test_the_dense_probe_scores_in_percent_and_is_seeded():
    train, test = digit_scenes(32, "train", seed=0), digit_scenes(16, "test", seed=1)
    net = encoder().eval()
    a, predicted = D.dense_probe(net.feature_map, train, test, steps=3, seed=0)
    b, _ = D.dense_probe(net.feature_map, train, test, steps=3, seed=0)
    assert a == b and set(a) == {"mean IoU", "digit-pixel accuracy"}
    assert all(0 <= v <= 100 for v in a.values())
    assert predicted.shape == test.semantic.shape
