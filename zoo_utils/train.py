"""The one training loop every notebook uses, for every objective.

A *step* is a function `step(model, batch) -> {"loss": ..., metric: ...}` that computes one
batch's mean loss and any other per-batch means worth logging (error rate, accuracy, ...).
`fit` does everything else once: batches on the device, optional augmentation, the optimiser and
a learning-rate schedule stepped every iteration, gradient clipping, a progress bar, and a
per-epoch history DataFrame with `train_<metric>` (averaged over the epoch's examples, as the
papers plot them), `test_<metric>` on a held-out set, learning rate and seconds. It runs on CUDA
with bf16 autocast when there is a GPU and on the CPU otherwise, where the same seed gives the
same numbers. `classification_step` (cross-entropy and error) is the default.

The fast path, for a GPU: the convolutional backbones of a net trained for many steps of large
batches are compiled with `torch.compile` and replayed as CUDA graphs (`CompiledBackbones`),
convolutional nets run in channels-last memory format and the training data stays on the GPU.
On the CPU it is the eager path unless ZOO_COMPILE=1 asks for compilation there too, with two
changes that move no number: on Linux the process keeps the memory it frees for its next step
instead of handing it back to the kernel (`keep_freed_memory`), and Adam, AdamW and SGD update
all their parameters in one call per operation (`update_together`). ZOO_FAST=0 restores the plain
eager path, for comparing the two (`benchmarks/book_speed.py`, `benchmarks/memory_speed.py`).
"""

import contextlib
import ctypes
import math
import os
import random
import sys
import time

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from . import timing
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
    """Tuples of tensors, one batch at a time, on `device`: (images, labels) of an ImageDataset,
    the tensors of a TensorDataset; shuffled when a generator is given."""
    tensors = _tensors(dataset)
    if tensors is None:
        loader = torch.utils.data.DataLoader(dataset, batch_size, shuffle=generator is not None,
                                             generator=generator)
        yield from (tuple(t.to(device) for t in batch) for batch in loader)
        return
    tensors = tuple(t.to(device) for t in tensors)
    n = len(tensors[0])
    order = (torch.randperm(n, generator=generator).to(device) if generator is not None
             else torch.arange(n, device=device))
    for start in range(0, n, batch_size):
        idx = order[start:start + batch_size]
        yield tuple(t[idx] for t in tensors)


# What compilation pays for, measured by benchmarks/train_speed.py and book_speed.py. On a GPU
# it makes the ResNet page's ResNet-20 epoch 2.7-3x faster (with CUDA graphs; the eager step is
# bound by kernel launches). On 2 CPU cores it makes a convolutional backbone's step 1.1-1.6x
# faster at batch 128 or more (1.1x at batch 32, nothing for the small Transformers), but costs
# 15-40 s per graph the first time: on the survey's pages a first run spends about what it
# saves, so on the CPU it is only done when asked (ZOO_COMPILE=1), say for repeated runs, whose
# compilations come from PyTorch's on-disk cache in a few seconds. Only the backbones are
# compiled, not the pages' wrappers round them (queues, banks, momentum encoders), so one graph
# serves every seed, objective and page that trains the same backbone.
COMPILE_MIN_STEPS = 150
COMPILE_MIN_BATCH = 64
COMPILE_MIN_LAYERS = 6


def fast_path():
    """Whether `fit` takes the fast path: on unless ZOO_FAST=0."""
    return os.environ.get("ZOO_FAST", "1") != "0"


# glibc's malloc hands a freed block of more than 128 KiB back to the kernel, and when a
# step's activations are freed together it trims them off the top of the heap. The next step
# then takes fresh pages again, and the kernel zeroes each one on first touch: 30-45 thousand
# page faults per step for the survey's ResNet-8 at batch 256, about a fifth of its time on
# 2 cores (benchmarks/memory_speed.py). Raising the two thresholds keeps freed blocks in the
# heap, so a process holds on to its peak memory instead. The mmap threshold is 512 MiB where
# glibc takes it (2.36 does), so evaluation's batches of 1,000 (65 MB for a ResNet's first
# maps) are kept too: 1.3-1.7x on a ResNet-20 evaluation against 32 MiB, the largest value
# every glibc accepts and the one used where a larger one is refused. Allocation never
# changes a float: PyTorch aligns every CPU tensor to 64 bytes wherever it lives.
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
MMAP_THRESHOLDS = (512 << 20, 32 << 20)
TRIM_THRESHOLD = 1 << 30


def keep_freed_memory():
    """Make glibc keep freed memory for reuse (see above); True if it did. A no-op elsewhere
    (macOS, Windows, musl), and for the process's life once done."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):
        return False
    return bool(any(mallopt(M_MMAP_THRESHOLD, size) for size in MMAP_THRESHOLDS)
                and mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))


if fast_path():         # every page imports this module in its setup, before it loads data
    keep_freed_memory()


# On the CPU PyTorch's Adam, AdamW and SGD update one parameter at a time by default, a Python
# loop of about ten small operations per tensor: a sixth of a step for the Transformer pages'
# small models. Their foreach form makes each operation one call over all the tensors, with
# the same arithmetic in the same order, so the weights come out bit for bit the same (tested;
# the fused form is faster still but rounds Adam differently, and SGD's fails on a parameter
# whose first gradient comes after the first step). On a GPU foreach is the default already.
FOREACH_OPTIMIZERS = (torch.optim.Adam, torch.optim.AdamW, torch.optim.SGD)


def update_together(optimizer):
    """On the fast path, switch an Adam, AdamW or SGD `optimizer` to its foreach form where its
    parameter groups left the choice to PyTorch (see above), and return it. `fit` does this; a
    page's own training loop can too. Other optimizers and explicit choices are kept."""
    if not fast_path() or type(optimizer) not in FOREACH_OPTIMIZERS:
        return optimizer
    for group in optimizer.param_groups:
        if group.get("foreach") is None and not group.get("fused") and not group.get("differentiable"):
            group["foreach"] = True
    return optimizer


def compiles_on(device):
    """Whether the fast path compiles on `device`: on a GPU, and on the CPU with ZOO_COMPILE=1."""
    return device.type == "cuda" or os.environ.get("ZOO_COMPILE") == "1"


def _convolutional(model):
    return any(isinstance(m, nn.Conv2d) for m in model.modules())


def _layers(model):
    return sum(1 for m in model.modules() if next(m.parameters(recurse=False), None) is not None)


def backbones(model):
    """The outermost modules of `model` (itself included) whose class declares
    `compile_for_training`: the book's convolutional backbones."""
    if getattr(model, "compile_for_training", False):
        return [model]
    return [found for child in model.children() for found in backbones(child)]


class CompiledBackbones:
    """`model`'s backbones compiled for `fit`'s steps when the fast path is on, `compiles_on`
    the device, each has at least COMPILE_MIN_LAYERS layers with weights and training runs
    COMPILE_MIN_STEPS steps or more of COMPILE_MIN_BATCH examples or more. `with compiled():`
    puts the compiled forwards in place for one step; outside it (evaluation, probes, a last
    smaller batch) the backbones run eagerly, so each is compiled for one batch shape. Where
    compilation fails (no C++ compiler, say) the steps run eagerly."""

    def __init__(self, model, device, steps, batch_size):
        self.forwards = {}
        if not (fast_path() and compiles_on(device) and steps >= COMPILE_MIN_STEPS
                and batch_size >= COMPILE_MIN_BATCH):
            return
        torch._dynamo.config.suppress_errors = True
        torch._dynamo.config.recompile_limit = max(torch._dynamo.config.recompile_limit, 32)
        # on a GPU, CUDA graphs replay the step's hundreds of small kernels in one launch
        mode = "reduce-overhead" if device.type == "cuda" else None
        self.forwards = {m: torch.compile(m.forward, mode=mode) for m in backbones(model)
                         if _layers(m) >= COMPILE_MIN_LAYERS}

    @contextlib.contextmanager
    def __call__(self):
        for module, forward in self.forwards.items():
            module.forward = forward
        try:
            yield
        finally:
            for module in self.forwards:
                del module.forward


def _tensors(dataset):
    """(images, labels) of an ImageDataset, the tensors of a TensorDataset, else None."""
    if isinstance(dataset, ImageDataset):
        return dataset.images, dataset.labels
    if isinstance(dataset, torch.utils.data.TensorDataset):
        return dataset.tensors
    return None


def resident(dataset, device):
    """An ImageDataset or TensorDataset with its tensors moved to `device` once, for the whole of
    training (the same object where they are there already); other datasets as they are."""
    tensors = _tensors(dataset)
    if tensors is None or all(t.device == device for t in tensors):
        return dataset
    return torch.utils.data.TensorDataset(*(t.to(device) for t in tensors))


def _autocast(device):
    """bf16 autocast on a GPU; on the CPU only on the fast path with ZOO_BF16=1 (a trial: it
    moves the numbers more than a change of kernels does, see benchmarks/train_speed.py)."""
    cpu_bf16 = device.type == "cpu" and fast_path() and os.environ.get("ZOO_BF16") == "1"
    return torch.autocast(device.type, dtype=torch.bfloat16,
                          enabled=device.type == "cuda" or cpu_bf16)


def classification_step(model, batch):
    """Cross-entropy and error rate of a classifier on an (inputs, labels) batch."""
    x, y = batch
    logits = model(x).float()
    return {"loss": F.cross_entropy(logits, y), "error": (logits.argmax(1) != y).float().mean()}


class _Means:
    """Running means of a step's outputs, weighted by batch size, kept on the device (no sync
    per step)."""

    def __init__(self):
        self.sums, self.count = {}, 0

    def add(self, outputs, n):
        for name, value in outputs.items():
            self.sums[name] = self.sums.get(name, 0) + value.detach().float() * n
        self.count += n

    def result(self):
        return {name: total.item() / self.count for name, total in self.sums.items()}


@timing.timed("evaluation")
@torch.no_grad()
def evaluate(model, dataset, step=classification_step, batch_size=1000, device=None):
    """The mean of each of `step`'s outputs over `dataset`, in evaluation mode:
    {"loss": ..., "error": ...} for the default classification step."""
    device = torch.device(device) if device else next(model.parameters()).device
    was_training = model.training
    model.eval()
    means = _Means()
    with _autocast(device):
        for batch in batches(dataset, batch_size, device):
            means.add(step(model, batch), len(batch[0]))
    model.train(was_training)
    return means.result()


@timing.timed("training")
def fit(model, train_set, test_set=None, *, epochs, optimizer, scheduler=None,
        step=classification_step, batch_size=128, augment=None, clip_grad_norm=None, seed=0,
        device=None, progress=None, desc="train", monitor=None, max_steps=None):
    """Train `model` for `epochs` with `step` as the objective and return the per-epoch history.

    `optimizer` is built on `model.parameters()` by the caller; `scheduler`, if given, is
    stepped after every optimisation step (so milestones are counted in iterations, as the
    papers state them). `augment(inputs, generator)` transforms the first tensor of each
    training batch; `clip_grad_norm` caps the gradients' global norm. `monitor(model)`, if
    given, is called in evaluation mode after every epoch and its {name: value} joins the
    history (for example the k-NN accuracy of a self-supervised encoder). `max_steps`, if given,
    ends training after that many optimisation steps, inside an epoch if need be. On the fast
    path the steps of full batches run the model's backbones compiled (`CompiledBackbones`).
    """
    device = torch.device(device) if device else default_device()
    model.to(device).train()
    generator = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)  # dropout masks
    steps_per_epoch = math.ceil(len(train_set) / batch_size)
    total = epochs * steps_per_epoch if max_steps is None else min(max_steps, epochs * steps_per_epoch)
    bar = tqdm(total=total, desc=desc, leave=False,
               disable=not progress_enabled(progress))
    compiled = CompiledBackbones(model, device, total, batch_size)
    channels_last = fast_path() and device.type == "cuda" and _convolutional(model)
    if channels_last:
        model.to(memory_format=torch.channels_last)   # slower on 2 CPU cores at these batches
    update_together(optimizer)
    if fast_path():
        train_set = resident(train_set, device)
    rows, done = [], 0
    for epoch in range(1, epochs + 1):
        start = time.perf_counter()
        lr = optimizer.param_groups[0]["lr"]
        means = _Means()
        for batch in batches(train_set, batch_size, device, generator):
            if done == total:
                break
            if augment is not None:
                batch = (augment(batch[0], generator), *batch[1:])
            if channels_last and batch[0].dim() == 4:
                batch = (batch[0].contiguous(memory_format=torch.channels_last), *batch[1:])
            full = len(batch[0]) == batch_size
            with _autocast(device), compiled() if full else contextlib.nullcontext():
                outputs = step(model, batch)
            optimizer.zero_grad(set_to_none=True)
            outputs["loss"].backward()
            if clip_grad_norm is not None:
                torch.nn.utils.clip_grad_norm_(model.parameters(), clip_grad_norm)
            optimizer.step()
            if scheduler is not None:
                scheduler.step()
            means.add(outputs, len(batch[0]))
            bar.update()
            done += 1
        row = {"epoch": epoch, **{f"train_{k}": v for k, v in means.result().items()}, "lr": lr}
        if test_set is not None:
            row |= {f"test_{k}": v for k, v in evaluate(model, test_set, step, device=device).items()}
        if monitor is not None:
            model.eval()
            with torch.no_grad(), timing.phase("evaluation"):
                row |= monitor(model)
            model.train()
        row["seconds"] = time.perf_counter() - start
        rows.append(row)
        bar.set_postfix({k: f"{v:.3f}" for k, v in row.items() if k.startswith("train_")},
                        refresh=False)
        if done == total:
            break
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


def cosine_schedule(warmup_steps, total_steps):
    """Learning-rate factor per iteration: linear warm-up, then half a cosine down to zero."""
    def factor(step):
        if step < warmup_steps:
            return (step + 1) / warmup_steps
        progress = (step - warmup_steps) / max(1, total_steps - warmup_steps)
        return 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))
    return factor


def adamw_cosine(model, lr, warmup_steps, total_steps, betas=(0.9, 0.999), weight_decay=0.05):
    """AdamW with a linear warm-up and a cosine decay stepped per iteration, the recipe of the
    vision Transformer pages: (optimizer, scheduler) for `fit`."""
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, betas=betas, weight_decay=weight_decay)
    return optimizer, torch.optim.lr_scheduler.LambdaLR(optimizer,
                                                        cosine_schedule(warmup_steps, total_steps))


def sgd_cosine(model, lr, total_steps, momentum=0.9, weight_decay=0.0, schedule="cosine"):
    """SGD with momentum on the model's trainable parameters and a cosine decay stepped per
    iteration, the recipe of the linear probe and the contrastive pages: (optimizer, scheduler).
    `schedule="step"` divides the rate by 10 at 60% and 80% of the steps instead (MoCo v1's
    epochs 120 and 160 of 200)."""
    optimizer = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=lr,
                                momentum=momentum, weight_decay=weight_decay)
    if schedule == "cosine":
        factor = cosine_schedule(0, total_steps)
    elif schedule == "step":
        factor = step_schedule(0, (round(0.6 * total_steps), round(0.8 * total_steps)))
    else:
        raise ValueError(f"unknown schedule {schedule!r}; choose 'cosine' or 'step'")
    return optimizer, torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


def fit_steps(model, train_set, steps, *, lr, batch_size, test_set=None, weight_decay=0.0,
              schedule="cosine", **fit_kwargs):
    """`steps` updates of `sgd_cosine` (the cosine, or the `schedule`, spanning exactly those
    steps), however many epochs of `train_set` that takes: a budget that does not depend on the
    dataset's size. Other keywords go to `fit`; returns its per-epoch history."""
    optimizer, schedule = sgd_cosine(model, lr, steps, weight_decay=weight_decay, schedule=schedule)
    epochs = math.ceil(steps / math.ceil(len(train_set) / batch_size))
    return fit(model, train_set, test_set, epochs=epochs, optimizer=optimizer, scheduler=schedule,
               batch_size=batch_size, max_steps=steps, **fit_kwargs)


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
