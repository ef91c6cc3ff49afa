"""SwAV: Sinkhorn-Knopp codes and the swapped prediction against lightly's, what the
equipartition prevents, multi-crop views, and SimCLR over the same crops."""

import pytest
import torch
from lightly.loss.swav_loss import SwaVLoss
from lightly.loss.swav_loss import sinkhorn as lightly_sinkhorn
from torch.utils.data import TensorDataset

from zoo_utils import contrastive as C
from zoo_utils.models import simclr
from zoo_utils.models import swav as S


def scores(b, k, seed):
    torch.manual_seed(seed)
    return torch.nn.functional.normalize(torch.randn(b, 16), dim=1) @ \
        torch.nn.functional.normalize(torch.randn(k, 16), dim=1).T


def test_sinkhorn_matches_lightly_and_spreads_the_batch_over_the_prototypes():
    s = scores(64, 8, seed=0)
    q = S.sinkhorn(s, epsilon=0.05, iterations=3)
    assert torch.allclose(q, lightly_sinkhorn(s, iterations=3, epsilon=0.05), atol=1e-5)
    assert torch.allclose(q.sum(1), torch.ones(64), atol=1e-5)          # each code sums to 1
    # after enough iterations each prototype holds 1/K of the batch (64 / 8 = 8 samples)
    assert torch.allclose(S.sinkhorn(s, 0.05, iterations=50).sum(0), torch.full((8,), 8.0), atol=1e-3)


def test_the_swapped_prediction_matches_lightly_with_and_without_small_crops():
    big = [scores(32, 10, seed=s) for s in (1, 2)]
    small = [scores(32, 10, seed=s) for s in (3, 4, 5)]
    oracle = SwaVLoss(temperature=0.1, sinkhorn_iterations=3, sinkhorn_epsilon=0.05)
    assert S.swapped_prediction(big, 2, 0.1).item() == pytest.approx(oracle(big, []).item(), rel=1e-5)
    assert S.swapped_prediction(big + small, 2, 0.1).item() == pytest.approx(oracle(big, small).item(), rel=1e-5)


def test_without_the_equipartition_one_prototype_can_take_every_sample():
    s = scores(64, 8, seed=6)
    leaning = s.clone()
    leaning[:, 3] += 2.0                                  # every sample now prefers prototype 3
    assert (S.softmax_codes(leaning).argmax(1) == 3).all()
    # the equipartition removes any shift common to one prototype: the codes do not change
    assert torch.allclose(S.sinkhorn(leaning), S.sinkhorn(s), atol=1e-5)
    assert (S.sinkhorn(leaning).argmax(1) == 3).float().mean() < 0.5


def test_multi_crop_views_and_both_models_train_on_them():
    views = S.multi_crop(12, (0.5, 1.0), n_local=3, local_size=8, local_scale=(0.2, 0.5))
    crops = views(torch.rand(4, 3, 16, 16))
    assert [c.shape[-1] for c in crops] == [12, 12, 8, 8, 8]
    images = TensorDataset(torch.rand(32, 3, 16, 16))
    for model in (S.SwAV(C.make_encoder("resnet8", 4, 3, 16, seed=0), dim=16, n_prototypes=10),
                  S.MultiCropSimCLR(C.make_encoder("resnet8", 4, 3, 16, seed=0), dim=16)):
        _, history = C.pretrain(model, images, None, epochs=2, lr=0.05, batch_size=16,
                                step=S.multi_crop_step(views), device="cpu", seed=0)
        assert history["train_loss"].notna().all()
    usage = S.prototype_usage(S.SwAV(C.make_encoder("resnet8", 4, 3, 16, seed=0), dim=16, n_prototypes=10),
                              torch.rand(20, 3, 16, 16))
    assert 1 <= usage["perplexity"] <= 10 and 1 <= usage["prototypes chosen"] <= 10


def test_multi_crop_simclr_with_two_crops_is_simclr():
    encoder = C.make_encoder("resnet8", 4, 3, 16, seed=0)
    model = S.MultiCropSimCLR(encoder, dim=16).eval()
    x1, x2 = torch.rand(4, 3, 16, 16), torch.rand(4, 3, 16, 16)
    ours, _ = model([x1, x2])
    plain = simclr.SimCLR.forward(model, x1, x2)[0]
    assert ours.item() == pytest.approx(plain.item(), rel=1e-6)


def test_swav_keeps_its_prototypes_on_the_unit_sphere():
    model = S.SwAV(C.make_encoder("resnet8", 4, 3, 16, seed=0), dim=16, n_prototypes=10)
    with torch.no_grad():
        model.prototypes.weight.mul_(3.0)
    model([torch.rand(4, 3, 16, 16), torch.rand(4, 3, 16, 16)])
    assert torch.allclose(model.prototypes.weight.norm(dim=1), torch.ones(10), atol=1e-5)
