import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from zoo_utils import data, train
from zoo_utils.models.alexnet import Fig1CNN


def tiny_run(seed, epochs=2):
    train_set = data.load("mnistm-mini").subset(256, seed=0)
    test_set = data.load("mnistm-mini", "test").subset(128, seed=0)
    train.seed_all(seed)
    model = Fig1CNN("relu", widths=(4, 4, 8))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    return train.fit(model, train_set, test_set, epochs=epochs, optimizer=optimizer,
                     batch_size=32, seed=seed, device="cpu", progress=False)


def test_history_has_one_row_per_epoch_with_every_column():
    history = tiny_run(0)
    assert isinstance(history, pd.DataFrame) and list(history.index) == [1, 2]
    for column in ["train_loss", "train_error", "test_loss", "test_error", "lr", "seconds"]:
        assert history[column].notna().all(), column
    assert ((history.train_error >= 0) & (history.train_error <= 1)).all()


def test_same_seed_same_numbers_on_cpu():
    a, b = tiny_run(3), tiny_run(3)
    pd.testing.assert_frame_equal(a.drop(columns="seconds"), b.drop(columns="seconds"))
    c = tiny_run(4)
    assert not a.train_loss.equals(c.train_loss)


def test_training_learns_a_separable_problem():
    g = torch.Generator().manual_seed(0)
    x = torch.rand(512, 1, 4, 4, generator=g)
    y = (x.mean((1, 2, 3)) > 0.5).long()
    ds = data.ImageDataset(x, y, ["low", "high"])
    model = nn.Sequential(nn.Flatten(), nn.Linear(16, 2))
    history = train.fit(model, ds, ds, epochs=30, batch_size=64, device="cpu", progress=False,
                        optimizer=torch.optim.SGD(model.parameters(), lr=0.5))
    assert history.train_error.iloc[-1] < history.train_error.iloc[0]
    assert history.test_error.iloc[-1] < 0.1


def test_scheduler_steps_every_iteration_and_lr_is_logged():
    ds = data.ImageDataset(torch.rand(64, 1, 2, 2), torch.randint(0, 2, (64,)), ["a", "b"])
    model = nn.Sequential(nn.Flatten(), nn.Linear(4, 2))
    opt = torch.optim.SGD(model.parameters(), lr=1.0)
    sched = torch.optim.lr_scheduler.MultiStepLR(opt, milestones=[4], gamma=0.1)
    history = train.fit(model, ds, epochs=3, optimizer=opt, scheduler=sched, batch_size=16,
                        device="cpu", progress=False)
    assert history.lr.tolist() == [1.0, 0.1, 0.1]          # 4 steps per epoch
    assert "test_error" not in history


def test_max_steps_ends_training_inside_an_epoch():
    ds = data.ImageDataset(torch.rand(64, 1, 2, 2), torch.randint(0, 2, (64,)), ["a", "b"])
    model = nn.Sequential(nn.Flatten(), nn.Linear(4, 2))
    opt = torch.optim.SGD(model.parameters(), lr=1.0)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda step: 1.0)
    history = train.fit(model, ds, epochs=5, optimizer=opt, scheduler=sched, batch_size=16,
                        device="cpu", progress=False, max_steps=6)
    assert sched.last_epoch == 6                           # 4 steps in epoch 1, 2 in epoch 2
    assert list(history.index) == [1, 2]


def test_epochs_to_reach():
    history = pd.DataFrame({"train_error": [0.8, 0.3, 0.2, 0.1]}, index=[1, 2, 3, 4])
    assert train.epochs_to_reach(history, 0.25) == 3.0
    assert math.isnan(train.epochs_to_reach(history, 0.05))


def test_evaluate_restores_training_mode():
    model = nn.Sequential(nn.Flatten(), nn.Dropout(0.5), nn.Linear(4, 2)).train()
    ds = data.ImageDataset(torch.rand(8, 1, 2, 2), torch.zeros(8, dtype=torch.long), ["a", "b"])
    result = train.evaluate(model, ds, device="cpu")
    assert model.training and result["loss"] > 0 and 0 <= result["error"] <= 1


def test_nearest_neighbours_and_agreement():
    from zoo_utils.features import embed, nearest_neighbours, neighbour_agreement
    keys = torch.tensor([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0], [1.0, 0.0]])
    queries = torch.tensor([[0.2, 0.0], [9.0, 1.0]])
    assert nearest_neighbours(queries, keys, 2).tolist() == [[0, 3], [1, 3]]
    labels = torch.tensor([0, 1, 2, 0])
    assert neighbour_agreement(queries, torch.tensor([0, 1]), keys, labels, 2) == 0.75
    ds = data.ImageDataset(torch.rand(5, 1, 2, 2), torch.zeros(5, dtype=torch.long), ["a"])
    assert embed(lambda x: x.flatten(1), ds, batch_size=2).shape == (5, 4)


def test_train_seeds_repeats_per_seed_and_warms_up():
    ds = data.ImageDataset(torch.rand(64, 1, 2, 2), torch.randint(0, 2, (64,)), ["a", "b"])
    make = lambda: nn.Sequential(nn.Flatten(), nn.Linear(4, 2))
    runs = train.train_seeds(make, [0, 1, 0], ds, ds, epochs=2, lr=0.1, warmup_epochs=1,
                             batch_size=16, device="cpu", progress=False)
    assert len(runs) == 3
    assert runs[0][1].lr.tolist() == [0.1 / 4, 0.1]          # warm-up: 4 steps per epoch
    pd.testing.assert_frame_equal(runs[0][1].drop(columns="seconds"),
                                  runs[2][1].drop(columns="seconds"))
    assert train.final(runs).shape == (3,)


GOLDEN = Path(__file__).parent / "data" / "fit_history_before_generalising.csv"


def test_classification_keeps_its_numbers_after_the_loop_was_generalised():
    """The histories `fit` gave before it took a step function (recorded then, with
    tests/data/record_fit_history.py) come out again: same seed, same numbers on the CPU, up to
    the last bits of float32 (the error is now a batch mean weighted back by the batch size)."""
    sys.path.insert(0, str(GOLDEN.parent))
    from record_fit_history import golden_runs
    before = pd.read_csv(GOLDEN, index_col=[0, 1])
    after = golden_runs()
    assert list(after.columns) == list(before.columns)
    np.testing.assert_allclose(after.to_numpy(), before.to_numpy(), rtol=1e-6, atol=1e-7)


def test_any_objective_is_a_step():
    """A language-model-style step on a TensorDataset: its metrics become history columns, and
    gradient clipping bounds the update."""
    g = torch.Generator().manual_seed(0)
    tokens = torch.randint(0, 7, (64, 9), generator=g)
    ds = torch.utils.data.TensorDataset(tokens[:, :-1], tokens[:, 1:])
    model = nn.Sequential(nn.Embedding(7, 8), nn.Linear(8, 7))

    def next_token_step(model, batch):
        inputs, targets = batch
        logits = model(inputs)
        loss = nn.functional.cross_entropy(logits.flatten(0, 1), targets.flatten())
        return {"loss": loss, "accuracy": (logits.argmax(-1) == targets).float().mean()}

    before = [p.detach().clone() for p in model.parameters()]
    history = train.fit(model, ds, ds, epochs=2, step=next_token_step, batch_size=16,
                        optimizer=torch.optim.SGD(model.parameters(), lr=1e3),
                        clip_grad_norm=1e-3, device="cpu", progress=False)
    assert {"train_loss", "train_accuracy", "test_loss", "test_accuracy"} <= set(history.columns)
    moved = torch.cat([(p.detach() - b).flatten() for p, b in zip(model.parameters(), before)])
    assert moved.norm() <= 1e3 * 1e-3 * 2 * 4 * 1.001     # lr x clip norm per step, 8 steps


def test_cosine_schedule_warms_up_then_falls_to_zero():
    factor = train.cosine_schedule(10, 110)
    assert factor(0) == 0.1 and factor(9) == 1.0
    assert factor(60) == pytest.approx(0.5) and factor(110) == pytest.approx(0.0)
    assert all(factor(s) >= factor(s + 1) for s in range(10, 120))


def test_fast_path_compiles_the_backbones_of_long_trainings_of_large_batches(monkeypatch):
    from zoo_utils.models import resnet, vit
    from zoo_utils.models.moco import MoCo
    cpu, steps, batch = torch.device("cpu"), train.COMPILE_MIN_STEPS, train.COMPILE_MIN_BATCH
    deep = resnet.cifar_resnet(8, width=4, num_classes=10)
    moco = MoCo(resnet.cifar_resnet(8, width=4, num_classes=8), dim=8, K=16)
    transformer = vit.ViT(vit.ViTConfig(image_size=8, patch_size=4, classes=2, d_model=8,
                                        layers=6, heads=2, d_mlp=16))

    def compiled(model, steps=steps, batch=batch):
        return list(train.CompiledBackbones(model, cpu, steps, batch).forwards)

    assert compiled(deep) == []                                   # not on the CPU unless asked
    monkeypatch.setenv("ZOO_COMPILE", "1")
    assert compiled(deep) == [deep]
    assert compiled(moco) == [moco.encoder_q, moco.encoder_k]     # not the queue round them
    assert compiled(deep, steps - 1) == [] and compiled(deep, batch=batch - 1) == []
    assert compiled(Fig1CNN("relu", (4, 4, 8)), 10_000, 512) == []
    assert compiled(transformer, 10_000, 512) == []
    monkeypatch.setenv("ZOO_FAST", "0")
    assert compiled(deep, 10_000, 512) == []


def test_compiled_forwards_are_in_place_only_inside_a_step(monkeypatch):
    from zoo_utils.models import resnet
    monkeypatch.setenv("ZOO_COMPILE", "1")
    model = resnet.cifar_resnet(8, width=4, num_classes=10)
    compiled = train.CompiledBackbones(model, torch.device("cpu"), 10_000, 512)
    eager = model.forward
    with compiled():
        assert model.forward is compiled.forwards[model]
    assert model.forward == eager and "forward" not in vars(model)


def deep_run(fast, monkeypatch):
    """160 steps of a ResNet-8 on 500 images in batches of 16 (the last, of 4, runs eagerly),
    compiled on the fast path (the threshold on the batch lowered to let a test afford it)."""
    monkeypatch.setattr(train, "COMPILE_MIN_BATCH", 16)
    from zoo_utils.models import resnet
    monkeypatch.setenv("ZOO_FAST", fast)
    monkeypatch.setenv("ZOO_COMPILE", "1")
    train_set = data.load("mnistm-mini").subset(500, seed=0)
    train.seed_all(0)
    model = resnet.cifar_resnet(8, width=4, num_classes=10)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    return train.fit(model, train_set, epochs=5, optimizer=optimizer, batch_size=16, seed=0,
                     device="cpu", progress=False).drop(columns="seconds")


def test_compiled_training_repeats_itself_and_stays_close_to_eager(monkeypatch):
    compiled, again, eager = (deep_run(f, monkeypatch) for f in ("1", "1", "0"))
    pd.testing.assert_frame_equal(compiled, again)
    assert not compiled.equals(eager)            # other kernels, so not bit-identical ...
    np.testing.assert_allclose(compiled.train_loss, eager.train_loss, rtol=0.03)   # ... but close


def test_bf16_on_the_cpu_only_when_asked(monkeypatch):
    seen = []

    def step(model, batch):
        seen.append(torch.is_autocast_enabled("cpu"))
        return train.classification_step(model, batch)

    def run():
        train_set = data.load("mnistm-mini").subset(32, seed=0)
        model = Fig1CNN("relu", widths=(4, 4, 8))
        train.fit(model, train_set, epochs=1, step=step, batch_size=32, device="cpu", progress=False,
                  optimizer=torch.optim.SGD(model.parameters(), lr=0.01))

    run()
    monkeypatch.setenv("ZOO_BF16", "1")
    run()
    monkeypatch.setenv("ZOO_FAST", "0")
    run()
    assert seen == [False, True, False]


FREE_AND_TAKE_AGAIN = """
import resource, torch
from zoo_utils import train
def faults_per_round(rounds=8):
    start = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(rounds):
        blocks = [torch.ones(2 << 20) for _ in range(10)]   # a step's ten 8 MiB activations
        del blocks
    return (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - start) / rounds
faults_per_round(1)
default = faults_per_round()
assert train.keep_freed_memory()
faults_per_round(1)
print(default, faults_per_round())
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc only")
def test_kept_memory_is_taken_again_without_page_faults():
    out = subprocess.run([sys.executable, "-c", FREE_AND_TAKE_AGAIN], capture_output=True,
                         text=True, check=True, env=dict(os.environ, ZOO_FAST="0"))
    default, kept = map(float, out.stdout.split())
    assert default > 1_000 and kept < default / 5, (default, kept)


def test_keeping_freed_memory_changes_no_number():
    script = ("import torch; from tests.test_train import tiny_run; "
              "print(tiny_run(0).drop(columns='seconds').to_json())")
    root = Path(__file__).resolve().parents[1]
    histories = {subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                                check=True, cwd=root, env=dict(os.environ, ZOO_FAST=fast)).stdout
                 for fast in ("0", "1")}
    assert len(histories) == 1


class LateHead(nn.Module):
    """A tiny Transformer-like net whose second head gets its first gradient at the second step,
    as a probe or a predictor added mid-training would."""

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Flatten(), nn.Linear(48, 16), nn.LayerNorm(16), nn.GELU())
        self.head, self.late = nn.Linear(16, 10), nn.Linear(16, 10)
        self.steps = 0

    def forward(self, x):
        self.steps += self.training
        h = self.body(x)
        return self.head(h) + (self.late(h) if self.steps > 1 else 0)


OPTIMIZERS = {      # the settings the pages use
    "Adam, the Transformer's betas and eps": lambda p: torch.optim.Adam(p, lr=2e-3, betas=(0.9, 0.98), eps=1e-9),
    "Adam with weight decay": lambda p: torch.optim.Adam(p, lr=1e-3, weight_decay=1e-4),
    "AdamW": lambda p: torch.optim.AdamW(p, lr=1e-3, betas=(0.9, 0.95), weight_decay=0.05),
    "SGD, momentum and weight decay": lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, weight_decay=5e-4),
    "SGD, Nesterov": lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True),
    "SGD, plain": lambda p: torch.optim.SGD(p, lr=0.1),
}


def optimizer_run(make_optimizer, fast, monkeypatch):
    monkeypatch.setenv("ZOO_FAST", fast)
    train_set = data.load("mnistm-mini").subset(96, seed=0)
    train_set = data.ImageDataset(train_set.images[:, :, ::8, ::8], train_set.labels, train_set.classes)
    train.seed_all(0)
    model = LateHead()
    optimizer = make_optimizer(model.parameters())
    history = train.fit(model, train_set, epochs=3, optimizer=optimizer, batch_size=16,
                        device="cpu", progress=False)
    return optimizer, history.drop(columns="seconds"), [p.detach().clone() for p in model.parameters()]


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_updating_parameters_together_changes_no_number(name, monkeypatch):
    eager_optimizer, eager, eager_weights = optimizer_run(OPTIMIZERS[name], "0", monkeypatch)
    fast_optimizer, fast, fast_weights = optimizer_run(OPTIMIZERS[name], "1", monkeypatch)
    assert [g["foreach"] for g in eager_optimizer.param_groups] == [None]
    assert [g["foreach"] for g in fast_optimizer.param_groups] == [True]
    pd.testing.assert_frame_equal(eager, fast, check_exact=True)
    assert all(torch.equal(a, b) for a, b in zip(eager_weights, fast_weights))
    train.seed_all(0)
    assert not torch.equal(fast_weights[-2], LateHead().late.weight)      # the late head trained


def test_updating_together_keeps_explicit_choices_and_other_optimizers():
    params = [nn.Parameter(torch.ones(2))]
    chosen = torch.optim.Adam(params, foreach=False)
    fused = torch.optim.SGD(params, lr=0.1, fused=True)

    class Custom(torch.optim.SGD):
        pass

    custom = Custom(params, lr=0.1)
    rprop = torch.optim.Rprop(params)
    for optimizer in (chosen, fused, custom, rprop):
        train.update_together(optimizer)
    assert chosen.param_groups[0]["foreach"] is False
    assert fused.param_groups[0]["foreach"] is None and fused.param_groups[0]["fused"]
    assert custom.param_groups[0]["foreach"] is None and rprop.param_groups[0]["foreach"] is None
