"""MoCo v2: the MLP head, the rows of Table 1, MoCo v1's step schedule, and a training step."""

import pytest
import torch
from torch.utils.data import TensorDataset

from zoo_utils import contrastive as C
from zoo_utils import train
from zoo_utils.models import mocov2


def test_the_mlp_head_replaces_the_last_layer_and_keeps_the_features():
    encoder = C.make_encoder("resnet8", 4, 3, 16, seed=0)
    images = torch.rand(2, 3, 16, 16)
    before = encoder.eval().features(images)
    mocov2.mlp_head(encoder)
    assert torch.equal(encoder.features(images), before)
    assert [type(layer) for layer in encoder.fc] == [torch.nn.Linear, torch.nn.ReLU, torch.nn.Linear]
    assert encoder(images).shape == (2, 16) and encoder.fc[0].out_features == encoder.fc[0].in_features


def test_table_1_rows_are_the_papers():
    assert [row.name for row in mocov2.TABLE_1] == ["MoCo v1", "MLP", "aug+", "MLP + aug+",
                                                    "MLP + aug+ + cos"]
    v1, v2 = mocov2.TABLE_1[0], mocov2.TABLE_1[-1]
    assert (v1.recipe, v1.schedule, v1.temperature) == ("mocov1", "step", 0.07)
    assert (v2.recipe, v2.schedule, v2.temperature) == ("mocov2", "cosine", 0.2)
    assert C.RECIPES["mocov2"]["blur_p"] > 0 == C.RECIPES["mocov1"]["blur_p"]


def test_moco_v1s_step_schedule_divides_by_ten_at_60_and_80_percent():
    model = torch.nn.Linear(2, 2)
    optimizer, schedule = train.sgd_cosine(model, 1.0, 10, schedule="step")
    rates = []
    for _ in range(10):
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        schedule.step()
    assert rates == pytest.approx([1.0] * 6 + [0.1] * 2 + [0.01] * 2)
    with pytest.raises(ValueError, match="cosine"):
        train.sgd_cosine(model, 1.0, 10, schedule="linear")


@pytest.mark.parametrize("row", [mocov2.TABLE_1[0], mocov2.TABLE_1[-1]])
def test_each_row_trains_through_the_toolkit(row):
    model = mocov2.moco(C.make_encoder("resnet8", 4, 3, 16, seed=0), row, K=32, m=0.99, bn_splits=2)
    assert model.T == row.temperature and model.queue.keys.shape == (32, 16)
    images = TensorDataset(torch.rand(32, 3, 16, 16))
    views = C.view_augmentation(16, row.recipe)
    _, history = C.pretrain(model, images, views, epochs=2, lr=0.05, batch_size=16,
                            schedule=row.schedule, device="cpu", seed=0)
    assert len(history) == 2 and history["train_loss"].notna().all()
    # the rate as the second epoch starts, after 2 of 4 steps: past the first step, or half the cosine
    assert history["lr"].iloc[-1] == pytest.approx(0.005 if row.schedule == "step" else 0.025)
