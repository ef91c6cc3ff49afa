"""Speed of one training step of the book's typical `cpu` workloads, by path.

    python benchmarks/train_speed.py [--steps 15] [--repeats 2]

For each workload (a page's model, batch and step at its `cpu` settings) it times a training
step on five paths, interleaved: eager (the plain path, ZOO_FAST=0); channels-last memory
format; `torch.compile`, which `zoo_utils.train.CompiledBackbones` applies to convolutional
backbones on a GPU (and on the CPU with ZOO_COMPILE=1); both; and bf16 autocast, eager (fast
only on CPUs with bf16 units; a trial on the CPU, ZOO_BF16=1, since it moves the numbers more
than a change of kernels and slows the Transformers down). Prints the median milliseconds per
step, each path's speed-up over eager, the one-off compilation seconds (the first compile of an
architecture in a process; later instances reuse it), and whether two compiled runs from one
seed give the same losses (CPU determinism).
"""

import argparse
import statistics
import time

import pandas as pd
import torch
import torch.nn.functional as F

from zoo_utils import contrastive, data, train
from zoo_utils.models import resnet, vit
from zoo_utils.models.moco import MoCo


def classification(make, batch_size):
    images = data.load("mnistm-mini").images[:batch_size]
    labels = torch.arange(batch_size) % 10

    def step(model):
        return F.cross_entropy(model(images).float(), labels)
    return make, step


def moco():
    """The MoCo page's pre-training step: two views, ResNet-8 of width 16, a queue of 4096."""
    images = data.load("mnistm-mini").images[:128]
    augment = contrastive.view_augmentation(32, "mocov1", crop_scale=(0.5, 1.0))

    def make():
        return MoCo(contrastive.make_encoder("resnet8", 16, 3, 128), 128, K=4096, m=0.99,
                    bn_splits=2)

    def step(model):
        return model(augment(images), augment(images))[0]
    return make, step


def vit_page():
    config = vit.ViTConfig(image_size=32, patch_size=4, channels=3, classes=10, d_model=64,
                           layers=6, heads=4, d_mlp=256)
    return classification(lambda: vit.ViT(config), 128)


WORKLOADS = {
    "ResNet page: ResNet-20, width 8, batch 32":
        lambda: classification(lambda: resnet.cifar_resnet(20, width=8, num_classes=10), 32),
    "survey: MoCo step, ResNet-8 width 16, 2 x 128 views": moco,
    "ViT page: ViT 6 x 64, batch 128": vit_page,
}
PATHS = ("eager", "channels-last", "compiled", "compiled + channels-last", "bf16 autocast")


def build(make, path, seed=0):
    train.seed_all(seed)
    model = make()
    if "channels-last" in path:
        model.to(memory_format=torch.channels_last)
    return torch.compile(model) if path.startswith("compiled") else model


def run(model, step, steps, seed=0, bf16=False):
    """(seconds per step after 3 warm-up steps, seconds of the warm-up, the losses)."""
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    torch.manual_seed(seed)
    losses, start = [], time.perf_counter()
    for i in range(steps + 3):
        if i == 3:
            warm, start = time.perf_counter() - start, time.perf_counter()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            loss = step(model).float()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return (time.perf_counter() - start) / steps, warm, losses


def measure(name, steps, repeats):
    make, step = WORKLOADS[name]()
    times = {path: [] for path in PATHS}
    first_compile = {}
    for _ in range(repeats):
        for path in PATHS:
            seconds, warm, _ = run(build(make, path), step, steps, bf16=path == "bf16 autocast")
            times[path].append(seconds)
            first_compile.setdefault(path, warm)
    eager = statistics.median(times["eager"])
    same = run(build(make, "compiled"), step, 5)[2] == run(build(make, "compiled"), step, 5)[2]
    rows = [{"workload": name, "path": path, "ms per step": 1000 * statistics.median(t),
             "speed-up": eager / statistics.median(t),
             "first warm-up (s)": first_compile[path]} for path, t in times.items()]
    return rows, same


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=15)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    print(f"{torch.get_num_threads()} threads, torch {torch.__version__}")
    rows, deterministic = [], {}
    for name in WORKLOADS:
        found, deterministic[name] = measure(name, args.steps, args.repeats)
        rows += found
    table = pd.DataFrame(rows).set_index(["workload", "path"])
    with pd.option_context("display.width", 140, "display.float_format", "{:.2f}".format):
        print(table)
    for name, same in deterministic.items():
        print(f"{name}: two compiled runs from one seed give "
              f"{'the same' if same else 'DIFFERENT'} losses")


if __name__ == "__main__":
    main()
