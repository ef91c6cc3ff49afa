"""BYOL and SimSiam: the loss against lightly's, the target that follows by moving average, the
stop-gradient, and the spread that measures a collapse."""

import pytest
import torch
from lightly.loss import NegativeCosineSimilarity
from torch.utils.data import TensorDataset

from zoo_utils import contrastive as C
from zoo_utils.models import byol as B


def encoder():
    return C.make_encoder("resnet8", 4, 3, 16, seed=0)


def test_the_regression_loss_is_two_plus_twice_lightlys_negative_cosine():
    torch.manual_seed(0)
    p, z = torch.randn(8, 16), torch.randn(8, 16)
    assert B.regression_loss(p, z).item() == pytest.approx(2 + 2 * NegativeCosineSimilarity()(p, z).item(), rel=1e-6)
    assert B.regression_loss(z, 3 * z).item() == pytest.approx(0.0, abs=1e-6)   # direction only


def test_the_target_follows_the_online_network_by_moving_average_and_gets_no_gradient():
    model = B.BYOL(encoder(), dim=16, tau=0.9)
    target_before = model.target[0].conv1.weight.clone()
    with torch.no_grad():
        model.encoder.conv1.weight.add_(1.0)
    loss, _ = model(torch.rand(4, 3, 16, 16), torch.rand(4, 3, 16, 16))
    expected = 0.9 * target_before + 0.1 * model.encoder.conv1.weight
    assert torch.allclose(model.target[0].conv1.weight, expected, atol=1e-6)
    loss.backward()
    assert all(p.grad is None for p in model.target.parameters())
    assert model.predictor[0].weight.grad is not None


@pytest.mark.parametrize("stop_gradient", [True, False])
def test_simsiam_the_stop_gradient_decides_whether_the_target_branch_gets_gradient(stop_gradient):
    model = B.BYOL(encoder(), dim=16, tau=0, stop_gradient=stop_gradient)
    assert not hasattr(model, "target")                  # no momentum encoder at all
    x1, x2 = torch.rand(4, 3, 16, 16), torch.rand(4, 3, 16, 16)
    z1 = model.projections(x1).detach().requires_grad_()
    # the gradient a target receives: through the loss term where it is the target
    p2 = model.predictor(model.projections(x2))
    target = z1.detach() if stop_gradient else z1
    B.regression_loss(p2, target).backward()
    assert (z1.grad is None) == stop_gradient
    loss, _ = model(x1, x2)
    assert torch.isfinite(loss)


def test_without_the_predictor_it_is_the_identity():
    model = B.BYOL(encoder(), dim=16, predictor=False)
    z = torch.randn(4, 16)
    assert torch.equal(model.predictor(z), z)


def test_the_spread_is_zero_for_a_collapsed_output_and_about_one_over_root_d_otherwise():
    model = B.BYOL(encoder(), dim=16)
    images = torch.rand(2000, 3, 16, 16)
    spread_out = torch.randn(2000, 16, generator=torch.Generator().manual_seed(0))
    model.projections = lambda x: spread_out                 # one batch of 2,000 images
    assert B.output_spread(model, images, batch_size=2000) == pytest.approx(16 ** -0.5, rel=0.05)
    model.projections = lambda x: torch.ones(len(x), 16)      # every image: the same output
    assert B.output_spread(model, images) == pytest.approx(0.0, abs=1e-6)


def test_byol_trains_through_the_toolkit():
    model = B.BYOL(encoder(), dim=16, tau=0.99)
    _, history = C.pretrain(model, TensorDataset(torch.rand(32, 3, 16, 16)), None, epochs=2, lr=0.05,
                            batch_size=16, step=B.byol_step(C.view_augmentation(16, "mocov1")),
                            device="cpu", seed=0)
    assert history["train_loss"].notna().all() and (history["train_spread"] > 0).all()
