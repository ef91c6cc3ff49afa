"""InstDisc (Wu et al. 2018): the non-parametric softmax, NCE, the estimate of Z, proximal
regularisation and the memory bank, against independent formulations."""

import math

import pytest
import torch
import torch.nn.functional as F
from helpers import unit
from torch import nn
from torch.utils.data import TensorDataset

from zoo_utils import train
from zoo_utils.models import instdisc as I


class Linear(nn.Module):
    """A linear encoder with the `features` method the pages' encoders have."""

    def __init__(self, d_in, dim):
        super().__init__()
        self.fc = nn.Linear(d_in, dim)

    def features(self, x):
        return x.flatten(1)

    def forward(self, x):
        return self.fc(self.features(x))


def test_non_parametric_softmax_is_a_linear_classifier_whose_weights_are_the_bank():
    v, bank, indices = unit(6, 8), unit(20, 8, seed=1), torch.tensor([0, 3, 3, 7, 19, 2])
    classifier = nn.Linear(8, 20, bias=False)
    classifier.weight.data = bank / 0.07
    loss, logits = I.non_parametric_softmax(v, bank, indices, 0.07)
    torch.testing.assert_close(loss, F.cross_entropy(classifier(v), indices))
    assert logits.shape == (6, 20)


def test_nce_loss_is_binary_cross_entropy_of_the_posterior_that_a_sample_is_data():
    p = torch.rand(5, 1 + 7) * 3
    m, n = 7, 50
    h = p / (p + m / n)                                   # P(D = 1 | j, v)
    target = torch.zeros_like(h)
    target[:, 0] = 1
    expected = F.binary_cross_entropy(h, target, reduction="sum") / len(p)
    torch.testing.assert_close(I.nce_loss(p, m, n, eps=0.0), expected)


def test_z_estimated_from_the_first_batch_is_close_to_the_exact_partition_function():
    torch.manual_seed(0)
    n, dim, T = 500, 16, 0.5
    model = I.InstDisc(Linear(dim, dim), n, dim=dim, m=2000, T=T)
    x, indices = torch.randn(64, dim), torch.arange(64)
    with torch.no_grad():
        v = F.normalize(model.encoder(x), dim=1)
        exact = torch.exp(v @ model.bank.vectors.T / T).sum(1).mean()
        model(x, indices)
    assert torch.isfinite(model.Z) and abs(model.Z / exact - 1) < 0.05
    z = model.Z.clone()
    model(torch.randn(64, dim), torch.arange(64, 128))
    assert model.Z == z                                    # fixed after the first batch


@pytest.mark.parametrize("objective", ["nce", "softmax"])
def test_proximal_term_adds_lambda_times_the_squared_distance_to_the_old_entry(objective):
    x, indices = torch.randn(8, 10), torch.arange(8)

    def loss_with(proximal):
        torch.manual_seed(0)
        model = I.InstDisc(Linear(10, 6), 30, dim=6, m=16, objective=objective, proximal=proximal)
        old = model.bank.vectors[indices].clone()
        torch.manual_seed(1)                              # the same noise draws
        loss, _ = model(x, indices)
        v = F.normalize(model.encoder(x), dim=1)
        return loss, (v - old).pow(2).sum(1).mean(), model.terms["instance"]

    plain, distance, _ = loss_with(0.0)
    regularised, _, instance_term = loss_with(30.0)
    torch.testing.assert_close(regularised, plain + 30.0 * distance)
    torch.testing.assert_close(instance_term, plain.detach())      # what the loss curves show


def test_the_bank_moves_each_image_entry_halfway_to_its_new_feature():
    torch.manual_seed(0)
    model = I.InstDisc(Linear(10, 6), 30, dim=6, m=4)
    x, indices = torch.randn(5, 10), torch.tensor([1, 4, 9, 16, 25])
    old, untouched = model.bank.vectors.clone(), torch.ones(30, dtype=torch.bool)
    untouched[indices] = False
    model(x, indices)
    with torch.no_grad():
        v = F.normalize(model.encoder(x), dim=1)
    torch.testing.assert_close(model.bank.vectors[indices], F.normalize(0.5 * old[indices] + 0.5 * v, dim=1))
    assert torch.equal(model.bank.vectors[untouched], old[untouched])


def test_unknown_objective_is_refused():
    with pytest.raises(ValueError, match="objective"):
        I.InstDisc(Linear(4, 4), 10, dim=4, objective="infonce")


@pytest.mark.parametrize("objective", ["nce", "softmax"])
def test_instance_discrimination_learns_to_tell_images_apart(objective):
    torch.manual_seed(0)
    n = 64
    images = torch.randn(n, 1, 4, 4)
    model = I.InstDisc(Linear(16, 16), n, dim=16, m=32, T=0.1, objective=objective)
    augment = lambda x: x + 0.1 * torch.randn_like(x)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    def step(model, batch):
        loss, logits = model(augment(batch[0]), batch[1])
        return {"loss": loss, "pretext accuracy": (logits.argmax(1) == 0).float().mean()}

    history = train.fit(model, TensorDataset(images, torch.arange(n)), epochs=30,
                        optimizer=optimizer, step=step, batch_size=16, device="cpu",
                        progress=False)
    assert history["train_pretext accuracy"].iloc[-1] > 0.9 > history["train_pretext accuracy"].iloc[0]
    assert history.train_loss.iloc[-1] < history.train_loss.iloc[0]
    assert math.isfinite(history.train_loss.iloc[-1])


def test_instance_recognition_finds_an_image_whose_entry_is_its_own_feature():
    torch.manual_seed(0)
    images = torch.randn(40, 8)
    model = I.InstDisc(Linear(8, 8), 40, dim=8).eval()
    identity = lambda x: x
    assert model.instance_recognition(images, identity, batch_size=16) < 0.2   # random bank
    model.bank.vectors.copy_(F.normalize(model.encoder(images), dim=1).detach())
    assert model.instance_recognition(images, identity, batch_size=16) == 1.0
    shuffled = torch.roll(model.bank.vectors, 1, dims=0)
    model.bank.vectors.copy_(shuffled)
    assert model.instance_recognition(images, identity, batch_size=16) == 0.0


def test_instdisc_step_trains_on_indexed_batches_and_records_the_loss_without_the_penalty():
    torch.manual_seed(0)
    model = I.InstDisc(Linear(8, 8), 16, dim=8, m=4, proximal=10.0)
    losses = []
    out = I.instdisc_step(lambda x: x, losses)(model, (torch.randn(4, 8), torch.arange(4)))
    assert out["loss"].item() > losses[0] and len(losses) == 1 and 0 <= out["pretext accuracy"] <= 1
