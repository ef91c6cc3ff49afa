"""Whether `reproduce --jobs 2` beats `--jobs 1`: two equal training jobs, one after the other
with all the cores, or side by side with half the cores each.

    python benchmarks/jobs_speed.py [--cores 2] [--steps 60] [--workload resnet|vit]

Each job is a process training, for `--steps` steps, the survey's ResNet-8 (width 16) on batches
of 256 or the ViT page's ViT (6 layers of width 64, 50 tokens) on batches of 128, with the
thread counts `zoo_utils.reproduce.thread_env(jobs)` gives a notebook, pinned to
the first `--cores` cores (4 on a larger machine stands for a 4-core laptop). Prints the wall time
of each way and the speed-up of --jobs 2 over --jobs 1.
"""

import argparse
import os
import subprocess
import sys
import time

from zoo_utils.reproduce import thread_env

WORKLOADS = {
    "resnet": """from zoo_utils.models import resnet
model = resnet.cifar_resnet(8, width=16, num_classes=10)
x, y = torch.rand(256, 3, 32, 32), torch.randint(0, 10, (256,))""",
    "vit": """from zoo_utils.models.vit import ViT, ViTConfig
model = ViT(ViTConfig(image_size=28, patch_size=4, channels=3, classes=10, d_model=64, layers=6,
                      heads=4, d_mlp=256))
x, y = torch.rand(128, 3, 28, 28), torch.randint(0, 10, (128,))""",
}
JOB = """
import torch, torch.nn.functional as F
torch.manual_seed(0)
{workload}
optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
for _ in range({steps}):
    loss = F.cross_entropy(model(x), y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
"""


def run_jobs(jobs, n_jobs, steps, workload="resnet"):
    """Wall seconds for `n_jobs` jobs, `jobs` at a time."""
    job = JOB.format(workload=WORKLOADS[workload], steps=steps)
    env = dict(os.environ, **thread_env(jobs))
    start, waiting = time.perf_counter(), list(range(n_jobs))
    while waiting:
        batch, waiting = waiting[:jobs], waiting[jobs:]
        procs = [subprocess.Popen([sys.executable, "-c", job], env=env)
                 for _ in batch]
        for proc in procs:
            if proc.wait() != 0:
                raise SystemExit("a job failed")
    return time.perf_counter() - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cores", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--workload", choices=WORKLOADS, default="resnet")
    args = parser.parse_args(argv)
    available = sorted(os.sched_getaffinity(0))
    if args.cores > len(available):
        raise SystemExit(f"only {len(available)} cores here")
    os.sched_setaffinity(0, available[:args.cores])        # the children inherit it
    seconds = {1: [], 2: []}
    for _ in range(args.repeats):
        for jobs, times in seconds.items():
            times.append(run_jobs(jobs, 2, args.steps, args.workload))
    one, two = min(seconds[1]), min(seconds[2])
    print(f"{args.cores} cores, 2 {args.workload} jobs of {args.steps} steps: --jobs 1 {one:.1f} s "
          f"({thread_env(1)['OMP_NUM_THREADS']} threads each), --jobs 2 {two:.1f} s "
          f"({thread_env(2)['OMP_NUM_THREADS']} threads each): --jobs 2 is {one / two:.2f}x "
          f"(best of {args.repeats})")
    return one, two


if __name__ == "__main__":
    main()
