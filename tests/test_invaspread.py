"""InvaSpread (Ye et al. 2019): the invariance-and-spreading loss against a loop over anchors
written from the paper's equations, its detached keys, and end-to-end training."""

import math

import torch
from helpers import unit
from torch.utils.data import TensorDataset

from zoo_utils import contrastive as C
from zoo_utils.models.invaspread import InvaSpread, invariance_spreading_loss


def loop_loss(f, f_hat, T):
    """Anchor by anchor: softmax over the other 2N - 1 views, -log P(partner) and
    -log(1 - P(j)) for every other image's views."""
    views = torch.cat([f, f_hat])
    n, total = len(f), 0.0
    for a in range(2 * n):
        candidates = [j for j in range(2 * n) if j != a]
        scores = torch.stack([views[a] @ views[j].detach() / T for j in candidates])
        p = dict(zip(candidates, scores.softmax(0)))
        partner = (a + n) % (2 * n)
        total = total - torch.log(p[partner])
        total = total - sum(torch.log(1 - p[j]) for j in candidates if j != partner)
    return total / (2 * n)


def test_loss_matches_the_anchor_by_anchor_definition_in_value_and_gradient():
    f = unit(5, 8).requires_grad_()
    f_hat = unit(5, 8, seed=1).requires_grad_()
    loss, logits = invariance_spreading_loss(f, f_hat, 0.2)
    expected = loop_loss(f, f_hat, 0.2)
    torch.testing.assert_close(loss, expected)
    grads = torch.autograd.grad(loss, [f, f_hat])
    expected_grads = torch.autograd.grad(expected, [f, f_hat])
    for g, e in zip(grads, expected_grads):
        torch.testing.assert_close(g, e)
    assert logits.shape == (10, 9)


def test_positive_column_is_each_views_partner():
    f = unit(4, 6)
    _, logits = invariance_spreading_loss(f, f, 0.5)       # identical views: partner similarity 1
    torch.testing.assert_close(logits[:, 0], torch.full((8,), 2.0))
    assert (logits[:, 1:] < 2.0).all()


def test_end_to_end_training_learns_the_instance_task():
    torch.manual_seed(0)
    images = torch.rand(64, 3, 16, 16)
    model = InvaSpread(C.make_encoder("resnet8", 4, 3, 16, seed=0), T=0.2)
    augment = lambda x: x + 0.1 * torch.randn_like(x)
    _, history = C.pretrain(model, TensorDataset(images), augment, epochs=15, lr=0.1,
                            batch_size=32, weight_decay=0.0, device="cpu", desc="test")
    accuracy, loss = history["train_pretext accuracy"], history.train_loss
    assert accuracy.iloc[-1] > accuracy.iloc[0] + 0.2
    assert math.isfinite(loss.iloc[-1]) and loss.iloc[-1] < 0.8 * loss.iloc[0]
