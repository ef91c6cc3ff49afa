"""Overhead of zoo_utils.train.fit against a bare PyTorch loop on the same model and data.

    python benchmarks/train_overhead.py [--epochs 3] [--repeats 3]

Both loops shuffle with the same generator, run forward, cross-entropy, backward and an SGD step
on every batch; `fit` also tracks the epoch's loss and error, drives the progress bar (off here,
as in batch runs) and builds its history. Prints the median time per epoch of each and the
ratio; the target is a ratio within 1.05.
"""

import argparse
import statistics
import time

import torch
import torch.nn.functional as F

from zoo_utils import data, train
from zoo_utils.models.alexnet import Fig1CNN


def bare_loop(model, dataset, epochs, batch_size, seed):
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    generator = torch.Generator().manual_seed(seed)
    images, labels = dataset.images, dataset.labels
    for _ in range(epochs):
        order = torch.randperm(len(labels), generator=generator)
        for start in range(0, len(labels), batch_size):
            idx = order[start:start + batch_size]
            loss = F.cross_entropy(model(images[idx]), labels[idx])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()


def with_fit(model, dataset, epochs, batch_size, seed):
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    train.fit(model, dataset, epochs=epochs, optimizer=optimizer, batch_size=batch_size,
              seed=seed, device="cpu", progress=False)


def seconds_per_epoch(loop, dataset, epochs, batch_size):
    train.seed_all(0)
    model = Fig1CNN("relu", (16, 16, 32))
    start = time.perf_counter()
    loop(model, dataset, epochs, batch_size, seed=0)
    return (time.perf_counter() - start) / epochs


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=128)
    args = parser.parse_args()
    dataset = data.load("mnistm-mini")
    seconds_per_epoch(bare_loop, dataset, 1, args.batch_size)          # warm-up
    bare, fit = [], []
    for _ in range(args.repeats):                                        # interleaved
        bare.append(seconds_per_epoch(bare_loop, dataset, args.epochs, args.batch_size))
        fit.append(seconds_per_epoch(with_fit, dataset, args.epochs, args.batch_size))
    b, f = statistics.median(bare), statistics.median(fit)
    print(f"Fig1CNN on mnistm-mini ({len(dataset)} images), {torch.get_num_threads()} threads, "
          f"{args.repeats} x {args.epochs} epochs")
    print(f"bare PyTorch loop: {b:.3f} s/epoch   zoo_utils.train.fit: {f:.3f} s/epoch")
    print(f"ratio fit / bare: {f / b:.3f}  (target <= 1.05)")


if __name__ == "__main__":
    main()
