"""SimCLR: NT-Xent against lightly's, the three heads, and a training step through the toolkit."""

import pytest
import torch
from helpers import unit
from lightly.loss import NTXentLoss
from torch.utils.data import TensorDataset

from zoo_utils import contrastive as C
from zoo_utils.models import resnet
from zoo_utils.models import simclr as S


@pytest.mark.parametrize("temperature", [0.1, 0.5])
def test_nt_xent_matches_lightly(temperature):
    z1, z2 = unit(8, 16, seed=1), unit(8, 16, seed=2)
    ours, logits = S.nt_xent(z1, z2, temperature)
    assert logits.shape == (16, 15)
    assert ours.item() == pytest.approx(NTXentLoss(temperature=temperature)(z1, z2).item(), rel=1e-5)


def test_nt_xent_positive_is_the_partner_view():
    z1 = unit(4, 8, seed=3)
    _, logits = S.nt_xent(z1, z1, 0.5)              # identical views: the positive is maximal
    assert torch.allclose(logits[:, 0], torch.full((8,), 2.0))
    assert (logits[:, 0:1] >= logits[:, 1:]).all()


def test_heads_and_where_the_features_are_read():
    torch.manual_seed(0)
    encoder = resnet.cifar_resnet(8, width=4, num_classes=10)
    images = torch.rand(6, 3, 16, 16)
    for kind, trainable in (("none", 0), ("linear", 16 * 32 + 32), ("nonlinear", 16 * 16 + 16 + 2 * 16 + 16 * 32 + 32)):
        model = S.SimCLR(encoder, kind, dim=32).eval()
        assert sum(p.numel() for p in model.head.parameters()) == trainable
        assert model.features(images).shape == (6, 16)
        out = model.projections(images)
        assert out.shape == (6, 16 if kind == "none" else 32)
        assert torch.allclose(out.norm(dim=1), torch.ones(6), atol=1e-5)
    with pytest.raises(ValueError, match="head"):
        S.projection_head("deep", 4, 4)


def test_simclr_trains_through_the_toolkit():
    torch.manual_seed(0)
    model = S.SimCLR(resnet.cifar_resnet(8, width=4, num_classes=10), "nonlinear", dim=8)
    augment = C.view_augmentation(16, "simclr", flip=False)
    data = TensorDataset(torch.rand(16, 3, 16, 16))
    model, history = C.pretrain(model, data, augment, epochs=1, lr=0.1, batch_size=8, device="cpu")
    assert history["train_loss"].notna().all() and 0 <= history["train_pretext accuracy"].iloc[0] <= 1
    assert not model.training
