"""DenseCL (Wang, Zhang, Shen, Kong and Li, CVPR 2021): contrastive pre-training for dense
prediction. MoCo v2 compares one pooled vector per view; DenseCL adds a second, dense loss
that compares the two views location by location.

1. A *dense projection head* beside MoCo v2's global MLP head: two 1x1 convolutions on the
   backbone's feature map (S x S locations: the map itself in the official code, or pooled to
   a coarser grid), one vector per location.
2. *Correspondence* without knowing the crops' geometry: each query location is matched to
   the key location whose *backbone* feature is most similar (argmax of cosine similarity).
3. The dense InfoNCE: each query location must pick its matched key location out of a queue of
   negatives (each a whole image's pooled dense key), and the loss is
   (1 - lambda) * global + lambda * dense, lambda = 0.5. With lambda = 0 it is MoCo v2.

Here: the two heads, the correspondence, the loss, and a dense probe that measures what the
backbone's feature map tells about every pixel of a digit scene."""

import copy

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import TensorDataset

from zoo_utils import timing
from zoo_utils.contrastive import (
    Queue,
    batch_shuffle,
    batch_unshuffle,
    info_nce,
    momentum_update,
    split_batchnorm,
)
from zoo_utils.features import embed
from zoo_utils.models.mocov2 import mlp_head


class DenseEncoder(nn.Module):
    """The backbone (a CIFAR ResNet with `feature_map`) with MoCo v2's MLP head on the pooled
    features and the dense head on the map, average-pooled to `grid` x `grid` if given."""

    def __init__(self, backbone, grid):
        super().__init__()
        self.backbone = mlp_head(backbone)
        width, dim = backbone.fc[0].in_features, backbone.fc[-1].out_features
        self.dense_head = nn.Sequential(nn.Conv2d(width, width, 1), nn.ReLU(), nn.Conv2d(width, dim, 1))
        self.grid = grid

    def forward(self, images):
        """The pooled backbone map F (n, width, S*S), the global vector (n, dim) and the dense
        vectors (n, dim, S*S)."""
        feature_map = self.backbone.feature_map(images)
        if self.grid is not None:
            feature_map = F.adaptive_avg_pool2d(feature_map, self.grid)
        global_vector = self.backbone.fc(feature_map.mean((2, 3)))
        return feature_map.flatten(2), global_vector, self.dense_head(feature_map).flatten(2)


def correspondence(query_map, key_map):
    """For every query location, the key location with the most similar backbone feature:
    argmax_j cos(f_i, f'_j). Maps (n, width, S*S); returns indices (n, S*S)."""
    similarity = torch.einsum("nci,ncj->nij", F.normalize(query_map, dim=1), F.normalize(key_map, dim=1))
    return similarity.argmax(2)


class DenseCL(nn.Module):
    """MoCo v2 (queue, momentum key encoder, shuffled BatchNorm over `bn_splits` groups, MLP
    head) with the dense loss weighted by `lam`."""

    def __init__(self, encoder, dim=128, K=65536, m=0.999, T=0.2, lam=0.5, grid=None, bn_splits=1):
        super().__init__()
        self.encoder_q = split_batchnorm(DenseEncoder(encoder, grid), bn_splits)
        self.encoder_k = copy.deepcopy(self.encoder_q)
        self.encoder_k.requires_grad_(False)
        self.queue, self.dense_queue = Queue(K, dim), Queue(K, dim)
        self.m, self.T, self.lam = m, T, lam

    @torch.no_grad()
    def keys(self, x_k):
        momentum_update(self.encoder_k, self.encoder_q, self.m)
        x_k, restore = batch_shuffle(x_k)
        return [batch_unshuffle(out, restore) for out in self.encoder_k(x_k)]

    def forward(self, x_q, x_k):
        """The loss and the global logits (positive in column 0); enqueues this batch's keys."""
        q_map, q, q_dense = self.encoder_q(x_q)
        k_map, k, k_dense = self.keys(x_k)
        q, k = F.normalize(q, dim=1), F.normalize(k, dim=1)
        q_dense, k_dense = F.normalize(q_dense, dim=1), F.normalize(k_dense, dim=1)
        match = correspondence(q_map.detach(), k_map)
        k_matched = k_dense.gather(2, match[:, None].expand_as(k_dense))
        loss_global, logits = info_nce(q, k, self.queue.keys.clone(), self.T)
        loss_dense, _ = info_nce(q_dense.transpose(1, 2).flatten(0, 1), k_matched.transpose(1, 2).flatten(0, 1),
                                 self.dense_queue.keys.clone(), self.T)
        self.queue.enqueue_dequeue(k)
        self.dense_queue.enqueue_dequeue(F.normalize(k_dense.mean(2), dim=1))
        return (1 - self.lam) * loss_global + self.lam * loss_dense, logits

    def features(self, images):
        return self.encoder_q.backbone.features(images)

    def feature_map(self, images):
        return self.encoder_q.backbone.feature_map(images)


def mean_iou(predicted, target, num_classes):
    """The mean over classes of intersection over union (classes absent from both are skipped)."""
    confusion = torch.bincount(target.flatten() * num_classes + predicted.flatten(),
                               minlength=num_classes ** 2).view(num_classes, num_classes).double()
    union = confusion.sum(0) + confusion.sum(1) - confusion.diag()
    present = union > 0
    return (confusion.diag()[present] / union[present]).mean().item()


@timing.timed("evaluation", sealed=True)
def dense_probe(feature_map, train_scenes, test_scenes, *, steps=300, lr=0.01, batch_size=64,
                seed=0, device="cpu"):
    """The dense counterpart of the linear probe: a 1x1 convolution from the frozen map to the
    classes of every pixel (background, ten digits), upsampled bilinearly to the image and
    trained by cross-entropy with Adam, each class weighted by its inverse frequency (digit
    strokes cover a few % of the pixels). Returns the test scenes' mean IoU and the accuracy on
    digit pixels alone, in %, and the predicted classes of every test pixel."""
    train_f, test_f = (embed(feature_map, TensorDataset(s.images, s.semantic), 250, device)
                       for s in (train_scenes, test_scenes))
    size = train_scenes.images.shape[-1]
    mean, std = train_f.mean((0, 2, 3), keepdim=True), train_f.std((0, 2, 3), keepdim=True) + 1e-6
    torch.manual_seed(seed)
    classifier = nn.Conv2d(train_f.shape[1], train_scenes.num_classes, 1).to(device)
    frequency = torch.bincount(train_scenes.semantic.flatten(), minlength=train_scenes.num_classes).float()
    weight = (frequency.sum() / frequency.clamp(min=1) / train_scenes.num_classes).to(device)
    optimizer = torch.optim.Adam(classifier.parameters(), lr=lr)
    generator = torch.Generator().manual_seed(seed)
    predict = lambda f: F.interpolate(classifier(((f - mean) / std).to(device)), size, mode="bilinear",
                                      align_corners=False)
    for _ in range(steps):
        batch = torch.randint(len(train_f), (batch_size,), generator=generator)
        loss = F.cross_entropy(predict(train_f[batch]), train_scenes.semantic[batch].to(device), weight)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        predicted = torch.cat([predict(test_f[i:i + 250]).argmax(1).cpu() for i in range(0, len(test_f), 250)])
    target = test_scenes.semantic
    digit_pixels = target > 0
    scores = {"mean IoU": 100 * mean_iou(predicted, target, test_scenes.num_classes),
              "digit-pixel accuracy": 100 * (predicted[digit_pixels] == target[digit_pixels]).float().mean().item()}
    return scores, predicted


@timing.timed("evaluation")
@torch.no_grad()
def correspondence_accuracy(feature_map, images, view=32, shift=8, stride=4):
    """How often the argmax of backbone similarity finds the right location, on two `view`-pixel
    crops of each image whose geometry is known: the second is the first moved `shift` pixels
    to the right, so query cell (i, j) is key cell (i, j - shift / stride) where that exists.
    Returns the fraction of those query cells matched exactly, in %."""
    first, second = images[..., :view, :view], images[..., :view, shift:shift + view]
    match = correspondence(feature_map(first).flatten(2), feature_map(second).flatten(2))
    cells, moved = view // stride, shift // stride
    rows, cols = torch.meshgrid(torch.arange(cells), torch.arange(cells), indexing="ij")
    truth = (rows * cells + cols - moved).flatten()
    valid = (cols >= moved).flatten()
    return 100 * (match[:, valid].cpu() == truth[valid]).float().mean().item()
