"""The papers' datasets through torchvision: read from disk, else download, else explain.

A download goes to a temporary folder under the root and is moved into place only once
torchvision has checked it, so a failed or interrupted download leaves nothing behind.
"""

import shutil
import socket
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import numpy as np


@dataclass(frozen=True)
class RealSpec:
    title: str
    torchvision_class: str
    folder: str          # what torchvision expects under the root once extracted
    url: str             # the archive a user can fetch by hand
    check_file: str      # a file inside `folder` that must exist


SPECS = {
    "cifar10": RealSpec("CIFAR-10", "CIFAR10", "cifar-10-batches-py",
                        "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
                        "data_batch_1"),
    "cifar100": RealSpec("CIFAR-100", "CIFAR100", "cifar-100-python",
                         "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz",
                         "train"),
    "mnist": RealSpec("MNIST", "MNIST", "MNIST",
                      "https://ossci-datasets.s3.amazonaws.com/mnist/ (four *-ubyte.gz files)",
                      "raw/train-images-idx3-ubyte"),
}


def load_arrays(name, split, root):
    """(images (N, C, H, W) uint8, labels, class names) of a torchvision dataset."""
    from . import DatasetUnavailable

    spec = SPECS[name]
    root = Path(root)
    if not (root / spec.folder / spec.check_file).exists():
        _download(spec, root)
    try:
        ds = _torchvision(spec, root, split, download=False)
    except Exception as err:  # torchvision found the files but could not read or verify them
        raise DatasetUnavailable(
            f"{spec.title} under {root / spec.folder} is incomplete or corrupted ({err}). "
            f"Delete that folder and run again with network access, or extract {spec.url} "
            f"into {root}/ yourself.") from err
    images = np.asarray(ds.data)
    images = images[:, None] if images.ndim == 3 else images.transpose(0, 3, 1, 2)
    return images, np.asarray(ds.targets, dtype=np.int64), list(ds.classes)


def _torchvision(spec, root, split, download):
    import torchvision.datasets

    cls = getattr(torchvision.datasets, spec.torchvision_class)
    return cls(str(root), train=(split == "train"), download=download)


def _download(spec, root):
    from . import DatasetUnavailable

    where = f"{root / spec.folder} (with {spec.check_file} inside)"
    if not _reachable(spec.url):
        raise DatasetUnavailable(
            f"{spec.title} is not on disk and the network is unreachable. Download {spec.url} "
            f"on a machine with network access and extract it into {root}/ so that {where} "
            f"exists; or point ZOO_DATA_DIR (or the notebook's DATA_DIR) at a folder that has it.")
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".partial-", dir=root))
    try:
        _torchvision(spec, staging, "train", download=True)
        shutil.move(str(staging / spec.folder), str(root / spec.folder))
    except Exception as err:
        raise DatasetUnavailable(
            f"Downloading {spec.title} failed ({err}); nothing was kept. Extract {spec.url} "
            f"into {root}/ so that {where} exists, then run again.") from err
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _reachable(url, timeout=3.0):
    host = urlparse(url).hostname
    try:
        socket.create_connection((host, 443), timeout=timeout).close()
        return True
    except OSError:
        return False
