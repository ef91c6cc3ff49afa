"""The machinery the contrastive pages share: two augmented views of each image, the InfoNCE
loss against a queue of negative keys (or against the batch), the queue and the memory bank
that hold negatives, the momentum-updated key encoder, and shuffling BatchNorm on one device.
Pieces are named as MoCo's Algorithm 1 names them (He et al. 2020); the frozen features are
judged with `zoo_utils.features.knn_accuracy` and `linear_probe`."""

import math

import kornia.augmentation as K
import torch
import torch.nn as nn
import torch.nn.functional as F

from zoo_utils.models import resnet
from zoo_utils.train import fit_steps, seed_all

# The view recipes of the papers, for images of any size; kornia draws each image's parameters
# independently and works on whatever device the batch is on.
RECIPES = {
    # MoCo v1 (and InstDisc): crop, grayscale, strong colour jitter, flip
    "mocov1": dict(scale=(0.2, 1.0), jitter=(0.4, 0.4, 0.4, 0.4), jitter_p=1.0, gray_p=0.2,
                   blur_p=0.0),
    # MoCo v2 (SimCLR's recipe with MoCo's crop scale): jitter applied 80% of the time, blur
    "mocov2": dict(scale=(0.2, 1.0), jitter=(0.4, 0.4, 0.4, 0.1), jitter_p=0.8, gray_p=0.2,
                   blur_p=0.5),
    # CMC: crop and flip only, since colour is itself a view there
    "crop": dict(scale=(0.2, 1.0), jitter=(0.0, 0.0, 0.0, 0.0), jitter_p=0.0, gray_p=0.0,
                 blur_p=0.0),
    # SimCLR at colour strength 1: smaller crops allowed
    "simclr": dict(scale=(0.08, 1.0), jitter=(0.8, 0.8, 0.8, 0.2), jitter_p=0.8, gray_p=0.2,
                   blur_p=0.5),
}


def view_augmentation(size, recipe="mocov2", flip=True, crop_scale=None, crop=True):
    """A random view of each image in a batch: resized crop, flip, colour jitter, grayscale and
    Gaussian blur (kernel about a tenth of the image), as in `RECIPES[recipe]`. `crop_scale`
    (smallest, largest share of the image's area) overrides the recipe's crop; `crop=False`
    leaves the crop out, for images already cropped to `size`."""
    if recipe not in RECIPES:
        raise ValueError(f"unknown view recipe {recipe!r}; choose one of {sorted(RECIPES)}")
    r = RECIPES[recipe]
    kernel = max(3, size // 10 // 2 * 2 + 1)
    return nn.Sequential(
        *([K.RandomResizedCrop((size, size), scale=crop_scale or r["scale"])] if crop else []),
        K.RandomHorizontalFlip(p=0.5 if flip else 0.0),
        K.ColorJitter(*r["jitter"], p=r["jitter_p"]),
        K.RandomGrayscale(p=r["gray_p"]),
        K.RandomGaussianBlur((kernel, kernel), (0.1, 2.0), p=r["blur_p"]),
    )


def info_nce(q, k, queue, temperature):
    """InfoNCE as a (K+1)-way classification: each query `q` (N, C) must pick its own key `k`
    (N, C) out of the K negative keys in `queue` (K, C); all vectors L2-normalised.
    Returns the loss and the logits (column 0 is the positive)."""
    l_pos = (q * k).sum(1, keepdim=True)                     # (N, 1)
    l_neg = q @ queue.T                                      # (N, K)
    logits = torch.cat([l_pos, l_neg], 1) / temperature
    labels = torch.zeros(len(q), dtype=torch.long, device=q.device)
    return F.cross_entropy(logits, labels), logits


def info_nce_in_batch(q, k, temperature):
    """InfoNCE when the dictionary is the batch itself (the end-to-end mechanism): query i's
    positive is key i and its negatives are the other N - 1 keys. Logits as `info_nce`'s,
    positive in column 0."""
    n = len(q)
    similarity = q @ k.T
    l_pos = similarity.diagonal()[:, None]
    l_neg = similarity[~torch.eye(n, dtype=torch.bool, device=q.device)].view(n, n - 1)
    logits = torch.cat([l_pos, l_neg], 1) / temperature
    labels = torch.zeros(n, dtype=torch.long, device=q.device)
    return F.cross_entropy(logits, labels), logits


def two_view_logits(z1, z2, temperature, detach_keys=False):
    """The 2N views of N images, each an anchor against the other 2N - 1: logits (2N, 2N - 1)
    with the anchor's partner view (i <-> i + N) in column 0 and the 2N - 2 views of the other
    images after it. `detach_keys`: the views compared against carry no gradient."""
    z = torch.cat([z1, z2])
    n = len(z1)
    similarity = z @ (z.detach() if detach_keys else z).T / temperature      # (2N, 2N)
    partner = torch.arange(2 * n, device=z.device).roll(n)
    others = ~torch.eye(2 * n, dtype=torch.bool, device=z.device)
    others[torch.arange(2 * n), partner] = False
    return torch.cat([similarity.gather(1, partner[:, None]),
                      similarity[others].view(2 * n, 2 * n - 2)], 1)


class Queue(nn.Module):
    """The dictionary: the K most recent keys, oldest replaced first. Starts as random unit
    vectors, as MoCo's does."""

    def __init__(self, size, dim):
        super().__init__()
        self.register_buffer("keys", F.normalize(torch.randn(size, dim), dim=1))
        self.register_buffer("pointer", torch.zeros((), dtype=torch.long))

    @torch.no_grad()
    def enqueue_dequeue(self, keys):
        """Write a batch of keys over the oldest ones (wrapping round the end)."""
        if len(keys) > len(self.keys):
            raise ValueError(f"a batch of {len(keys)} keys does not fit a queue of {len(self.keys)}")
        slots = (self.pointer + torch.arange(len(keys), device=keys.device)) % len(self.keys)
        self.keys[slots] = keys.detach().to(self.keys.dtype)
        self.pointer.copy_((self.pointer + len(keys)) % len(self.keys))


class MemoryBank(nn.Module):
    """One stored vector per training image (Wu et al. 2018), random unit vectors at first.
    Negatives are drawn from it at random; an image's entry moves toward its newest encoding."""

    def __init__(self, size, dim):
        super().__init__()
        self.register_buffer("vectors", F.normalize(torch.randn(size, dim), dim=1))

    def sample(self, n, generator=None):
        """`n` entries drawn uniformly (with replacement), as (n, dim)."""
        idx = torch.randint(len(self.vectors), (n,), generator=generator).to(self.vectors.device)
        return self.vectors[idx]

    @torch.no_grad()
    def update(self, indices, vectors, momentum=0.5):
        """v_i <- normalise(momentum v_i + (1 - momentum) f_i) for the batch's images."""
        mixed = momentum * self.vectors[indices] + (1 - momentum) * vectors.detach()
        self.vectors[indices] = F.normalize(mixed, dim=1).to(self.vectors.dtype)


@torch.no_grad()
def momentum_update(key_encoder, query_encoder, m):
    """theta_k <- m theta_k + (1 - m) theta_q, parameter by parameter (buffers such as
    BatchNorm's running statistics stay the key encoder's own)."""
    for theta_k, theta_q in zip(key_encoder.parameters(), query_encoder.parameters()):
        theta_k.mul_(m).add_(theta_q.detach(), alpha=1 - m)


class SplitBatchNorm(nn.BatchNorm2d):
    """BatchNorm that normalises `num_splits` consecutive groups of the batch each with its own
    statistics, as if each group were on its own GPU (MoCo's per-GPU BatchNorm, on one device).
    Running statistics are the average over groups; evaluation is plain BatchNorm."""

    def __init__(self, num_features, num_splits, **kwargs):
        super().__init__(num_features, **kwargs)
        self.num_splits = num_splits

    def forward(self, x):
        if not self.training:
            return super().forward(x)
        n, c, h, w = x.shape
        s = self.num_splits
        if n % s:
            raise ValueError(f"a batch of {n} cannot be split into {s} equal groups")
        grouped = x.view(s, n // s, c, h, w).transpose(0, 1).reshape(n // s, s * c, h, w)
        running_mean, running_var = self.running_mean.repeat(s), self.running_var.repeat(s)
        y = F.batch_norm(grouped, running_mean, running_var, self.weight.repeat(s),
                         self.bias.repeat(s), True, self.momentum, self.eps)
        with torch.no_grad():
            self.running_mean.copy_(running_mean.view(s, c).mean(0))
            self.running_var.copy_(running_var.view(s, c).mean(0))
            self.num_batches_tracked += 1
        return y.view(n // s, s, c, h, w).transpose(0, 1).reshape(n, c, h, w)


def split_batchnorm(module, num_splits):
    """`module` with every BatchNorm2d replaced by a SplitBatchNorm holding the same weights;
    unchanged for one split (whole-batch BatchNorm)."""
    if num_splits == 1:
        return module
    for name, child in module.named_children():
        if type(child) is nn.BatchNorm2d:
            split = SplitBatchNorm(child.num_features, num_splits, eps=child.eps,
                                   momentum=child.momentum)
            split.load_state_dict(child.state_dict())
            split.train(child.training)
            setattr(module, name, split)
        else:
            split_batchnorm(child, num_splits)
    return module


def batch_shuffle(x, generator=None):
    """The batch in a random order, and the indices that restore the original order."""
    order = torch.randperm(len(x), generator=generator).to(x.device)
    return x[order], torch.argsort(order)


def batch_unshuffle(x, restore):
    return x[restore]


def contrastive_step(augment):
    """A training step for `zoo_utils.train.fit`: two views of the batch's images, a model that
    returns (loss, logits) with the positive in column 0, and the pretext task's accuracy."""
    def step(model, batch):
        images, *rest = batch            # rest: image indices, for a model with a memory bank
        loss, logits = model(augment(images), augment(images), *rest)
        return {"loss": loss, "pretext accuracy": (logits.argmax(1) == 0).float().mean()}
    return step


def one_view_step(augment):
    """A training step for a model that needs one view per image (with any other tensors of
    the batch, such as image indices) and returns (loss, logits), the positive in column 0."""
    def step(model, batch):
        images, *rest = batch
        loss, logits = model(augment(images), *rest)
        return {"loss": loss, "pretext accuracy": (logits.argmax(1) == 0).float().mean()}
    return step


def make_encoder(name, width, channels, dim, seed=0):
    """The survey's encoder, seeded: the CIFAR ResNet-8 of the ResNet chapter at `width`
    ("resnet8"), or the CIFAR variant of ResNet-18 ("resnet18"), its last layer giving the
    `dim`-d vector that the contrastive losses compare."""
    seed_all(seed)
    if name == "resnet8":
        return resnet.cifar_resnet(8, width=width, in_channels=channels, num_classes=dim)
    if name == "resnet18":
        return resnet.resnet18_cifar(in_channels=channels, num_classes=dim)
    raise ValueError(f"unknown encoder {name!r}; choose 'resnet8' or 'resnet18'")


def pretrain(model, dataset, augment, *, epochs, lr, batch_size, weight_decay=5e-4, seed=0,
             device=None, step=None, monitor=None, desc="pre-training", steps=None,
             schedule="cosine"):
    """The survey's one recipe (the MoCo page's): SGD with momentum 0.9 on a cosine schedule
    (or MoCo v1's steps, `schedule="step"`), every mechanism through `zoo_utils.train.fit` with
    `contrastive_step(augment)` unless `step` is given. `steps`, if given, replaces `epochs` as
    the budget (the schedule then spans that many steps). Returns the model in evaluation mode
    and the per-epoch history."""
    if steps is None:
        steps = epochs * math.ceil(len(dataset) / batch_size)
    history = fit_steps(model, dataset, steps, lr=lr, batch_size=batch_size, schedule=schedule,
                        weight_decay=weight_decay, step=step or contrastive_step(augment),
                        seed=seed, device=device, monitor=monitor, desc=desc)
    return model.eval(), history
