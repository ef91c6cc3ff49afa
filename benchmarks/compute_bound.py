"""How close the book's typical `cpu` training steps run to this machine's arithmetic limit: a
step's floating-point operations per second against those of one large matrix product.

    python benchmarks/compute_bound.py [--steps 10] [--workload NAME ...]

For each workload (`train_speed.py`'s ResNet, MoCo and ViT steps and `optimizer_speed.py`'s
Transformer page) it counts the floating-point operations of one eager training step, forward
and backward (`torch.utils.flop_counter`: matrix products, convolutions and attention), times the
step, and prints its GFLOP/s, that rate as a share of a 2048 x 2048 matrix product's on the same
threads (the peak), the share of the step's time spent inside those dense kernels (from the
profiler), and so the most a step could gain if everything else took no time.

A change that keeps every number bit for bit must keep those kernels, their shapes and their
order of sums, so that last column bounds what it can gain. Lower precision, fewer operations,
another memory format or fusing the small operations (`torch.compile`) can gain more, but each
sums in another order and moves the numbers.
"""

import argparse
import statistics
import time

import pandas as pd
import torch
from optimizer_speed import transformer_page
from torch.profiler import ProfilerActivity, profile
from torch.utils.flop_counter import FlopCounterMode
from train_speed import WORKLOADS as STEPS

from zoo_utils import train

WORKLOADS = {**STEPS, "Transformer page: encoder-decoder, batch 64": transformer_page}
# the kernels that do the arithmetic (their callers, such as convolution, take next to no self time)
DENSE = ("mm", "addmm", "bmm", "baddbmm", "mkldnn_convolution", "convolution_backward",
         "_scaled_dot_product_flash_attention_for_cpu",
         "_scaled_dot_product_flash_attention_for_cpu_backward")


def peak_gflops(n=2048, repeats=5):
    """GFLOP/s of an n x n by n x n float32 matrix product, the best of `repeats`."""
    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b
    best = min(timed(lambda: a @ b) for _ in range(repeats))
    return 2 * n ** 3 / best / 1e9


def timed(work):
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def training_step(model, step, optimizer):
    def one():
        loss = step(model)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    return one


def dense_share(one, steps=3):
    """The share of `steps` steps' CPU time spent in DENSE kernels (their own time, not their
    callers')."""
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        for _ in range(steps):
            one()
    events = prof.key_averages()
    total = sum(e.self_cpu_time_total for e in events)
    dense = sum(e.self_cpu_time_total for e in events if e.key.removeprefix("aten::") in DENSE)
    return dense / total


def measure(name, steps):
    make, step = WORKLOADS[name]()
    train.seed_all(0)
    model = make()
    one = training_step(model, step, torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9))
    for _ in range(3):
        one()
    with FlopCounterMode(display=False) as counter:
        one()
    seconds = statistics.median(timed(one) for _ in range(steps))
    flops = counter.get_total_flops()
    return {"workload": name, "GFLOP per step": flops / 1e9, "ms per step": 1000 * seconds,
            "GFLOP/s": flops / seconds / 1e9, "dense kernels' share of time": dense_share(one)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--workload", nargs="+", choices=WORKLOADS, default=list(WORKLOADS))
    parser.add_argument("--peak-size", type=int, default=2048, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    peak = peak_gflops(args.peak_size)
    print(f"{torch.get_num_threads()} threads, torch {torch.__version__}: "
          f"a {args.peak_size} x {args.peak_size} matrix product runs at {peak:.0f} GFLOP/s")
    table = pd.DataFrame([measure(name, args.steps) for name in args.workload]).set_index("workload")
    table.insert(3, "share of peak", table["GFLOP/s"] / peak)
    table["speed-up if the rest took no time"] = 1 / table["dense kernels' share of time"]
    print(table.round(2).to_string())
    return table


if __name__ == "__main__":
    main()
