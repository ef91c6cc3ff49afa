"""What `zoo_utils.train.update_together` saves: Adam, AdamW and SGD updating one parameter at a
time (PyTorch's default on the CPU, ZOO_FAST=0) or all of them in one call per operation (their
foreach form, the fast path).

    python benchmarks/optimizer_speed.py [--steps 40] [--repeats 3] [--workload NAME ...]

Each workload is a page's model, batch and optimiser at its `cpu` settings: the Transformer
page's encoder-decoder with Adam, and `train_speed.py`'s ViT page's ViT with AdamW and ResNet
page's ResNet-20 with SGD. Both forms train a fresh model from one seed on the same batch,
interleaved, in one process. Prints the median milliseconds of a whole step and of the
optimiser's step alone, the speed-up of each over the per-parameter loop, and whether both forms
end with the same weights bit for bit (they should: the arithmetic and its order are the same).
"""

import argparse
import os
import statistics
import time

import pandas as pd
import torch
from train_speed import WORKLOADS as STEPS

from zoo_utils import profiles, train
from zoo_utils.data import sequences
from zoo_utils.models import transformer as T


def transformer_page():
    """The Transformer page's encoder-decoder on a batch of its sequence-reversal task."""
    cfg = profiles.get("transformer", "cpu")
    task = sequences.make_task(cfg.s2s_task, cfg.batch_size, cfg.s2s_lengths, seed=0)
    config = T.TransformerConfig(vocab_size=task.vocab_size, layers=cfg.s2s_layers,
                                 d_model=cfg.s2s_d_model, d_ff=4 * cfg.s2s_d_model,
                                 heads=cfg.s2s_heads, dropout=0.0, max_len=64, pad=sequences.PAD)
    batch = task.dataset().tensors
    return lambda: T.Transformer(config), lambda model: T.seq2seq_step(model, batch)["loss"]


# (model and step as train_speed.py builds them, the page's optimiser)
WORKLOADS = {
    "Transformer page, Adam, batch 64":
        (transformer_page, lambda p: torch.optim.Adam(p, lr=1e-3, betas=(0.9, 0.98), eps=1e-9)),
    "ViT page, AdamW, batch 128":
        (STEPS["ViT page: ViT 6 x 64, batch 128"],
         lambda p: torch.optim.AdamW(p, lr=1e-3, weight_decay=0.05)),
    "ResNet page, SGD, batch 32":
        (STEPS["ResNet page: ResNet-20, width 8, batch 32"],
         lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, weight_decay=1e-4)),
}
FORMS = ("per parameter", "together")


def run(make, step, make_optimizer, form, steps):
    """(ms per step, ms per optimiser step, the final weights) of `steps` steps after 3."""
    train.seed_all(0)
    model = make()
    optimizer = make_optimizer(model.parameters())
    if form == "together":
        train.update_together(optimizer)
    total = update = 0.0
    for i in range(steps + 3):
        start = time.perf_counter()
        loss = step(model)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        middle = time.perf_counter()
        optimizer.step()
        end = time.perf_counter()
        if i >= 3:
            total, update = total + end - start, update + end - middle
    return 1000 * total / steps, 1000 * update / steps, [p.detach().clone() for p in model.parameters()]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--workload", nargs="+", choices=WORKLOADS, default=list(WORKLOADS))
    args = parser.parse_args(argv)
    os.environ["ZOO_FAST"] = "1"            # update_together acts on the fast path only
    rows = []
    for name in args.workload:
        workload, make_optimizer = WORKLOADS[name]
        make, step = workload()
        runs = {form: [] for form in FORMS}
        for _ in range(args.repeats):
            for form, done in runs.items():
                done.append(run(make, step, make_optimizer, form, args.steps))
        weights = {form: [r[2] for r in done] for form, done in runs.items()}
        same = all(torch.equal(a, b) for w in weights["per parameter"] + weights["together"]
                   for a, b in zip(weights["per parameter"][0], w))
        for form, done in runs.items():
            rows.append({"workload": name, "form": form,
                         "ms/step": statistics.median(r[0] for r in done),
                         "ms/optimiser step": statistics.median(r[1] for r in done),
                         "same weights": same})
    table = pd.DataFrame(rows).set_index(["workload", "form"])
    loop = table.xs("per parameter", level="form")
    for column, ratio in (("ms/step", "speed-up"), ("ms/optimiser step", "optimiser speed-up")):
        table[ratio] = [loop.loc[w, column] / ms for (w, _), ms in table[column].items()]
    with pd.option_context("display.width", 200, "display.max_columns", None,
                           "display.float_format", "{:.2f}".format):
        print(table)
    return table


if __name__ == "__main__":
    main()
