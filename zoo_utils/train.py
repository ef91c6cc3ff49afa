"""The one training loop every notebook uses.

`fit` trains a classifier with cross-entropy and returns its per-epoch history as a DataFrame:
train loss and error (averaged over the epoch's steps, as the papers plot them), test loss and
error, learning rate and seconds. It runs on CUDA with bf16 autocast when there is a GPU and on
the CPU otherwise, where the same seed gives the same numbers.
"""

import math
import os
import random
import time

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from .data import ImageDataset


def default_device():
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def seed_all(seed):
    """Seed Python, NumPy and torch: call it before building a model so its init is repeatable."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def progress_enabled(progress=None):
    """Progress bars are on unless turned off here or by ZOO_PROGRESS=0 (batch runs)."""
    if progress is not None:
        return progress
    return os.environ.get("ZOO_PROGRESS", "1") != "0"


def batches(dataset, batch_size, device, generator=None):
    """(x, y) batches of an in-memory dataset on `device`; shuffled when a generator is given."""
    if not isinstance(dataset, ImageDataset):
        loader = torch.utils.data.DataLoader(dataset, batch_size, shuffle=generator is not None,
                                             generator=generator)
        yield from ((x.to(device), y.to(device)) for x, y in loader)
        return
    images, labels = dataset.images.to(device), dataset.labels.to(device)
    n = len(labels)
    order = (torch.randperm(n, generator=generator).to(device) if generator is not None
             else torch.arange(n, device=device))
    for start in range(0, n, batch_size):
        idx = order[start:start + batch_size]
        yield images[idx], labels[idx]


def _autocast(device):
    return torch.autocast(device.type, dtype=torch.bfloat16, enabled=device.type == "cuda")


@torch.no_grad()
def evaluate(model, dataset, batch_size=1000, device=None):
    """(mean cross-entropy, error rate) of `model` on `dataset`."""
    device = torch.device(device) if device else next(model.parameters()).device
    was_training = model.training
    model.eval()
    loss_sum, wrong = torch.zeros((), device=device), torch.zeros((), device=device)
    with _autocast(device):
        for x, y in batches(dataset, batch_size, device):
            logits = model(x).float()
            loss_sum += F.cross_entropy(logits, y, reduction="sum")
            wrong += (logits.argmax(1) != y).sum()
    model.train(was_training)
    return loss_sum.item() / len(dataset), wrong.item() / len(dataset)


def fit(model, train_set, test_set=None, *, epochs, optimizer, scheduler=None, batch_size=128,
        augment=None, seed=0, device=None, progress=None, desc="train"):
    """Train `model` for `epochs` and return the per-epoch history.

    `optimizer` is built on `model.parameters()` by the caller; `scheduler`, if given, is
    stepped after every optimisation step (so milestones are counted in iterations, as the
    papers state them). `augment(images, generator)` transforms each training batch.
    """
    device = torch.device(device) if device else default_device()
    model.to(device).train()
    generator = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)  # dropout masks
    steps_per_epoch = math.ceil(len(train_set) / batch_size)
    bar = tqdm(total=epochs * steps_per_epoch, desc=desc, leave=False,
               disable=not progress_enabled(progress))
    rows = []
    for epoch in range(1, epochs + 1):
        start = time.perf_counter()
        lr = optimizer.param_groups[0]["lr"]
        loss_sum, wrong = torch.zeros((), device=device), torch.zeros((), device=device)
        for x, y in batches(train_set, batch_size, device, generator):
            if augment is not None:
                x = augment(x, generator)
            with _autocast(device):
                logits = model(x).float()
                loss = F.cross_entropy(logits, y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            if scheduler is not None:
                scheduler.step()
            loss_sum += loss.detach() * len(y)
            wrong += (logits.detach().argmax(1) != y).sum()
            bar.update()
        row = {"epoch": epoch, "train_loss": loss_sum.item() / len(train_set),
               "train_error": wrong.item() / len(train_set), "lr": lr}
        if test_set is not None:
            row["test_loss"], row["test_error"] = evaluate(model, test_set, device=device)
        row["seconds"] = time.perf_counter() - start
        rows.append(row)
        bar.set_postfix(train_error=f"{row['train_error']:.3f}", refresh=False)
    bar.close()
    return pd.DataFrame(rows).set_index("epoch")


def epochs_to_reach(history, threshold, column="train_error"):
    """The first epoch at which `column` is at or below `threshold`; NaN if it never is."""
    reached = history.index[history[column] <= threshold]
    return float(reached[0]) if len(reached) else math.nan


def step_schedule(warmup_steps=0, milestones=()):
    """Learning-rate factor per iteration: linear warm-up, then divided by 10 at each milestone."""
    def factor(step):
        warm = min(1.0, (step + 1) / warmup_steps) if warmup_steps else 1.0
        return warm * 0.1 ** sum(step >= m for m in milestones)
    return factor


def train_seeds(make_model, seeds, train_set, test_set=None, *, epochs, lr, momentum=0.9,
                weight_decay=0.0, warmup_epochs=0, milestones=(), batch_size=128, desc="",
                **fit_kwargs):
    """Train a fresh `make_model()` per seed with SGD: a linear warm-up over the first
    `warmup_epochs`, the rate divided by 10 at each of `milestones` (iterations). Returns
    [(model, history), ...] in seed order."""
    runs = []
    warmup_steps = warmup_epochs * math.ceil(len(train_set) / batch_size)
    for seed in seeds:
        seed_all(seed)
        model = make_model()
        optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum,
                                    weight_decay=weight_decay)
        scheduler = (torch.optim.lr_scheduler.LambdaLR(optimizer, step_schedule(warmup_steps,
                                                                                milestones))
                     if warmup_steps or milestones else None)
        history = fit(model, train_set, test_set, epochs=epochs, optimizer=optimizer,
                      scheduler=scheduler, batch_size=batch_size, seed=seed,
                      desc=f"{desc} seed {seed}".strip(), **fit_kwargs)
        runs.append((model, history))
    return runs


def final(runs, column="test_error"):
    """The last epoch's `column` of each run, in percent, as an array over seeds."""
    return np.array([100 * history[column].iloc[-1] for _, history in runs])
