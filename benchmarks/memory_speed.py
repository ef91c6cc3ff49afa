"""What `zoo_utils.train.keep_freed_memory` saves: a training step with the memory a step frees
handed back to the kernel (glibc's default, ZOO_FAST=0) or kept for the next step (the fast path).

    python benchmarks/memory_speed.py [--steps 40] [--repeats 3] [--workload resnet vit resnet-eval]

Each run is a fresh process training `jobs_speed.py`'s workloads (the survey's ResNet-8 of width
16 at batch 256, the ViT page's ViT at batch 128), or evaluating a ResNet-20 of width 16 on
batches of 1,000 as `train.evaluate` does (`resnet-eval`), on the cores it is given, the two
paths interleaved. Prints the median milliseconds per step, the page faults per step, the peak
resident memory, the speed-up over the default, and whether both paths end with the same
weights (or, evaluating, the same logits) bit for bit (they should: only where the memory comes
from changes).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys

import pandas as pd
from jobs_speed import WORKLOADS

# evaluation as `zoo_utils.train.evaluate` runs it: batches of 1,000 without gradients
EVALUATION = {"resnet-eval": """from zoo_utils.models import resnet
model = resnet.cifar_resnet(20, width=16, num_classes=10).eval()
x, y = torch.rand(1000, 3, 32, 32), torch.randint(0, 10, (1000,))"""}
WORKLOADS = {**WORKLOADS, **EVALUATION}
TRAINING_STEP = """
optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
def step():
    loss = F.cross_entropy(model(x), y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
def outcome():
    return list(model.parameters())
"""
EVALUATION_STEP = """
@torch.no_grad()
def step():
    global logits
    logits = model(x)
def outcome():
    return [logits]
"""
JOB = """
import hashlib, json, resource, time
import torch, torch.nn.functional as F
import zoo_utils.train  # keeps freed memory unless ZOO_FAST=0
torch.manual_seed(0)
{workload}
{step}
for _ in range(3):
    step()
faults, start = resource.getrusage(resource.RUSAGE_SELF).ru_minflt, time.perf_counter()
for _ in range({steps}):
    step()
seconds = time.perf_counter() - start
usage = resource.getrusage(resource.RUSAGE_SELF)
weights = hashlib.sha1(b"".join(t.detach().numpy().tobytes() for t in outcome()))
print(json.dumps({{"ms": 1000 * seconds / {steps}, "faults": (usage.ru_minflt - faults) / {steps},
                  "peak MiB": usage.ru_maxrss / 1024, "weights": weights.hexdigest()}}))
"""
PATHS = {"default": "0", "kept": "1"}       # ZOO_FAST


def run(workload, path, steps):
    """One process's measurements of `steps` steps of `workload` on `path`."""
    step = EVALUATION_STEP if workload in EVALUATION else TRAINING_STEP
    job = JOB.format(workload=WORKLOADS[workload], step=step, steps=steps)
    env = dict(os.environ, ZOO_FAST=PATHS[path])
    out = subprocess.run([sys.executable, "-c", job], env=env, capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout.splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--workload", nargs="+", choices=WORKLOADS, default=list(WORKLOADS))
    args = parser.parse_args(argv)
    runs = {(w, path): [] for w in args.workload for path in PATHS}
    for _ in range(args.repeats):
        for (workload, path), done in runs.items():
            done.append(run(workload, path, args.steps))
    rows = []
    for (workload, path), done in runs.items():
        rows.append({"workload": workload, "path": path,
                     "ms/step": statistics.median(r["ms"] for r in done),
                     "faults/step": statistics.median(r["faults"] for r in done),
                     "peak MiB": max(r["peak MiB"] for r in done),
                     "weights": {r["weights"] for r in done}})
    table = pd.DataFrame(rows).set_index(["workload", "path"])
    default = table.xs("default", level="path")
    table["speed-up"] = [default.loc[w, "ms/step"] / ms for (w, _), ms in table["ms/step"].items()]
    table["same weights"] = [table.loc[(w, "kept"), "weights"] == default.loc[w, "weights"]
                             and len(default.loc[w, "weights"]) == 1 for w, _ in table.index]
    table = table.drop(columns="weights")
    print(f"{args.steps} steps, median of {args.repeats} processes per path, "
          f"{os.cpu_count()} cores:")
    print(table.round(2).to_string())
    return table


if __name__ == "__main__":
    main()
