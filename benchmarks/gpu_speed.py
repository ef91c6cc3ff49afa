"""The `gpu` path's speed: CIFAR-10-sized epochs of the ResNet page's ResNet-20 on a GPU.

    python benchmarks/gpu_speed.py [--depth 20] [--batch-size 128 512] [--epochs 3]

Trains the paper's ResNet-20 (width 16) with `zoo_utils.train.fit` on 50,000 synthetic images of
CIFAR-10's shape (speed does not depend on the pixels), with the pad-4 crop and flip done on the
GPU, on the eager path (ZOO_FAST=0: bf16 autocast, the images copied to the GPU every epoch) and
on the fast path (also compiled, channels-last, the images resident on the GPU). Prints, per
batch size and path, the first epoch's seconds (compilation included), the median of the others,
images per second and the fast path's speed-up. Needs a CUDA GPU.
"""

import argparse
import os

import pandas as pd
import torch

from zoo_utils import train
from zoo_utils.data import ImageDataset
from zoo_utils.data.augment import crop_and_flip
from zoo_utils.models import resnet

PATHS = {"eager": "0", "fast": "1"}


def cifar_shaped(n, seed=0):
    g = torch.Generator().manual_seed(seed)
    images = torch.rand(n, 3, 32, 32, generator=g)
    labels = torch.randint(0, 10, (n,), generator=g)
    return ImageDataset(images, labels, [str(c) for c in range(10)], "cifar10-shaped")


def epochs(path, dataset, depth, batch_size, n_epochs, device):
    os.environ["ZOO_FAST"] = PATHS[path]
    train.seed_all(0)
    model = resnet.cifar_resnet(depth, width=16, num_classes=10)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
    history = train.fit(model, dataset, epochs=n_epochs, optimizer=optimizer, batch_size=batch_size,
                        augment=crop_and_flip(4), device=device, progress=False)
    return history["seconds"].to_numpy()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--depth", type=int, default=20)
    parser.add_argument("--batch-size", type=int, nargs="+", default=[128, 512])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--images", type=int, default=50_000)
    parser.add_argument("--device", default="cuda")
    args = parser.parse_args(argv)
    if args.device == "cuda" and not torch.cuda.is_available():
        raise SystemExit("no CUDA GPU here: this benchmark measures the gpu path (try --device cpu "
                         "with --images 512 --epochs 2 to check that it runs)")
    dataset = cifar_shaped(args.images)
    name = torch.cuda.get_device_name() if args.device == "cuda" else "CPU"
    print(f"ResNet-{args.depth} (width 16), {args.images} images of 3x32x32, on {name}, "
          f"torch {torch.__version__}", flush=True)
    rows = []
    for batch_size in args.batch_size:
        for path in PATHS:
            seconds = epochs(path, dataset, args.depth, batch_size, args.epochs, args.device)
            steady = float(pd.Series(seconds[1:]).median()) if len(seconds) > 1 else seconds[0]
            rows.append({"batch": batch_size, "path": path, "first epoch (s)": seconds[0],
                         "epoch (s)": steady, "images/s": args.images / steady})
            print(rows[-1], flush=True)
    table = pd.DataFrame(rows).set_index(["batch", "path"])
    eager = table.xs("eager", level="path")["epoch (s)"]
    table["speed-up"] = [eager[b] / s for (b, _), s in table["epoch (s)"].items()]
    print(table.round(2).to_string())
    return table


if __name__ == "__main__":
    main()
