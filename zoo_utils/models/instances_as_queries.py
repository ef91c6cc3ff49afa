"""QueryInst (Fang, Yang, Wang, Li, Fang, Shan, Feng and Liu, ICCV 2021, "Instances as Queries"):
instance segmentation as set prediction. A fixed set of learned *object queries* is refined
stage by stage; at every stage each query predicts a class (or "no object"), a box and a mask,
and the predictions are matched one to one to the true instances by the Hungarian algorithm,
so no anchors, no proposals from a separate network and no non-maximum suppression are needed.
The mask comes from a *dynamic* head: the query itself generates the weights of the small
convolution that reads its mask off the image's features, so one head serves every instance.

The official model is Sparse R-CNN's: each query owns a box, reads RoI-aligned features inside
it through a dynamic convolution, and six stages refine it (100 or 300 queries). At the small
scale of this book each stage reads the whole feature map by cross-attention instead (as DETR
does), and the dynamic mask head is told where its query's box is by coordinates relative to
the box's centre (as CondInst does); the queries, the stages, the set loss with its Hungarian
matching (class, L1 box and GIoU costs weighted 2, 5 and 2, as in the official configs) and the
dynamic mask head are the paper's.

Here: the model, the set loss, the inference that keeps confident queries, a bottom-up
baseline (per-pixel classes, then connected components) and the panoptic quality that scores
both."""

import math

import numpy as np
import torch
import torch.nn.functional as F
from scipy import ndimage
from scipy.optimize import linear_sum_assignment
from torch import nn
from torch.utils.data import TensorDataset
from torchvision.ops import box_convert, generalized_box_iou, masks_to_boxes

from zoo_utils import timing
from zoo_utils.train import adamw_cosine, fit

COST = {"class": 2.0, "box": 5.0, "giou": 2.0}     # matching costs and box-loss weights
NO_OBJECT_WEIGHT = 0.1                              # the "no object" class's weight in the loss


def coordinates(height, width, device=None):
    """(2, height, width): each location's (x, y) centre in [0, 1] of the image."""
    y = (torch.arange(height, device=device) + 0.5) / height
    x = (torch.arange(width, device=device) + 0.5) / width
    return torch.stack(torch.meshgrid(x, y, indexing="xy"))


class DynamicMaskHead(nn.Module):
    """The query generates the weights of a two-layer 1x1 convolution (`channels` + 2 -> `hidden`
    -> 1) applied to the shared mask features and the coordinates relative to its box's centre."""

    def __init__(self, dim, channels, hidden=8):
        super().__init__()
        self.shapes = [(hidden, channels + 2), (hidden,), (1, hidden), (1,)]
        self.generate = nn.Linear(dim, sum(int(np.prod(s)) for s in self.shapes))

    def forward(self, queries, boxes, mask_features):
        """queries (B, N, dim), boxes (B, N, 4) as (cx, cy, w, h) in [0, 1], mask_features
        (B, C, H, W): mask logits (B, N, H, W)."""
        b, n, _ = queries.shape
        w1, b1, w2, b2 = torch.split(self.generate(queries), [int(np.prod(s)) for s in self.shapes], -1)
        h, w = mask_features.shape[-2:]
        relative = coordinates(h, w, queries.device)[None, None] - boxes[..., :2, None, None]   # (B, N, 2, H, W)
        inputs = torch.cat([mask_features[:, None].expand(b, n, -1, h, w), relative], 2).flatten(3)
        hidden = F.relu(torch.einsum("bnoc,bncp->bnop", w1.view(b, n, *self.shapes[0]), inputs) + b1[..., None])
        return (torch.einsum("bnoc,bncp->bnop", w2.view(b, n, *self.shapes[2]), hidden) + b2[..., None]).view(b, n, h, w)


class Stage(nn.Module):
    """One refinement of the queries: self-attention among them, cross-attention to the image's
    features, a feed-forward layer; then each query's class, box and mask."""

    def __init__(self, dim, num_classes, mask_channels, heads=4):
        super().__init__()
        self.self_attention = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.cross_attention = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.feed_forward = nn.Sequential(nn.Linear(dim, 2 * dim), nn.ReLU(), nn.Linear(2 * dim, dim))
        self.norms = nn.ModuleList(nn.LayerNorm(dim) for _ in range(3))
        self.classify = nn.Linear(dim, num_classes + 1)                 # the last class: no object
        self.box = nn.Sequential(nn.Linear(dim, dim), nn.ReLU(), nn.Linear(dim, 4))
        self.mask = DynamicMaskHead(dim, mask_channels)

    def forward(self, queries, boxes, tokens, mask_features):
        queries = self.norms[0](queries + self.self_attention(queries, queries, queries)[0])
        queries = self.norms[1](queries + self.cross_attention(queries, tokens, tokens)[0])
        queries = self.norms[2](queries + self.feed_forward(queries))
        boxes = (torch.logit(boxes, eps=1e-4) + self.box(queries)).sigmoid()      # refine the box
        return queries, boxes, self.classify(queries), self.mask(queries, boxes, mask_features)


class QueryInst(nn.Module):
    """`backbone`: a CIFAR ResNet with `feature_map` (stride 4). `num_queries` learned queries,
    each with a learned initial box, refined by `stages` stages; every stage's predictions are
    returned (and supervised), the last one's are the answer."""

    def __init__(self, backbone, num_queries, num_classes=10, dim=64, stages=2, mask_channels=16):
        super().__init__()
        self.backbone = backbone
        width = backbone.fc.in_features
        self.project = nn.Conv2d(width + 2, dim, 1)
        self.mask_features = nn.Sequential(nn.Conv2d(width, mask_channels, 3, padding=1), nn.ReLU())
        self.queries = nn.Embedding(num_queries, dim)
        self.initial_boxes = nn.Parameter(torch.tensor([0.5, 0.5, 1.0, 1.0]).repeat(num_queries, 1))
        self.stages = nn.ModuleList(Stage(dim, num_classes, mask_channels) for _ in range(stages))
        self.num_classes = num_classes

    def forward(self, images):
        """A list, one per stage, of (class logits (B, N, classes + 1), boxes (B, N, 4) as
        (cx, cy, w, h) in [0, 1], mask logits (B, N, H / 4, W / 4))."""
        feature_map = self.backbone.feature_map(images)
        b, _, h, w = feature_map.shape
        where = coordinates(h, w, images.device).expand(b, -1, -1, -1)
        tokens = self.project(torch.cat([feature_map, where], 1)).flatten(2).transpose(1, 2)
        mask_features = self.mask_features(feature_map)
        queries = self.queries.weight.expand(b, -1, -1)
        boxes = self.initial_boxes.clamp(1e-3, 1 - 1e-3).expand(b, -1, -1)
        outputs = []
        for stage in self.stages:
            queries, boxes, logits, masks = stage(queries, boxes, tokens, mask_features)
            outputs.append((logits, boxes, masks))
        return outputs


def targets_of(scenes, indices, canvas):
    """Per image: the digits' classes, boxes (cx, cy, w, h) in [0, 1] (tight round the strokes)
    and masks (k, canvas, canvas), from a `zoo_utils.data.scenes.Scenes` and the batch's indices."""
    masks = scenes.masks[indices]
    xyxy = masks_to_boxes(masks.flatten(0, 1)).view(*masks.shape[:2], 4)    # last pixels included
    xyxy = (xyxy + torch.tensor([0.0, 0.0, 1.0, 1.0])) / canvas
    masks = masks.float()
    return scenes.classes[indices], box_convert(xyxy, "xyxy", "cxcywh"), masks


def match(logits, boxes, classes, true_boxes):
    """The Hungarian matching of one image's N predictions to its k instances, on the cost
    2 * (- probability of the true class) + 5 * L1 of the boxes + 2 * (- GIoU). Returns the
    matched prediction and instance indices."""
    with torch.no_grad():
        cost = (-COST["class"] * logits.softmax(-1)[:, classes]
                + COST["box"] * torch.cdist(boxes, true_boxes, p=1)
                - COST["giou"] * generalized_box_iou(box_convert(boxes, "cxcywh", "xyxy"),
                                                     box_convert(true_boxes, "cxcywh", "xyxy")))
        rows, cols = linear_sum_assignment(cost.cpu().numpy())
    return torch.as_tensor(rows, device=logits.device), torch.as_tensor(cols, device=logits.device)


def dice_loss(logits, targets):
    p = logits.sigmoid().flatten(1)
    t = targets.flatten(1)
    return (1 - (2 * (p * t).sum(1) + 1) / (p.sum(1) + t.sum(1) + 1)).mean()


def set_loss(outputs, classes, true_boxes, true_masks):
    """The loss of every stage, summed: after matching, cross-entropy on every query's class
    (unmatched ones must say "no object", weighted 0.1), L1 and GIoU on the matched boxes,
    dice and binary cross-entropy on the matched masks (targets pooled to the masks' size)."""
    total, num_classes = 0.0, outputs[0][0].shape[-1] - 1
    weight = torch.ones(num_classes + 1, device=true_boxes.device)
    weight[-1] = NO_OBJECT_WEIGHT
    for logits, boxes, masks in outputs:
        small = F.adaptive_avg_pool2d(true_masks, masks.shape[-2:])
        target_classes = torch.full(logits.shape[:2], num_classes, device=logits.device)
        box_loss = mask_loss = 0.0
        for i in range(len(logits)):
            rows, cols = match(logits[i], boxes[i], classes[i], true_boxes[i])
            target_classes[i, rows] = classes[i, cols]
            pred, true = box_convert(boxes[i, rows], "cxcywh", "xyxy"), box_convert(true_boxes[i, cols], "cxcywh", "xyxy")
            box_loss = box_loss + COST["box"] * F.l1_loss(boxes[i, rows], true_boxes[i, cols]) \
                + COST["giou"] * (1 - generalized_box_iou(pred, true).diagonal()).mean()
            mask_loss = mask_loss + dice_loss(masks[i, rows], small[i, cols]) \
                + F.binary_cross_entropy_with_logits(masks[i, rows], small[i, cols])
        class_loss = F.cross_entropy(logits.flatten(0, 1), target_classes.flatten(), weight)
        total = total + COST["class"] * class_loss + (box_loss + mask_loss) / len(logits)
    return total


def query_step(scenes, canvas):
    """A training step for `zoo_utils.train.fit` on batches of (images, scene indices)."""
    def step(model, batch):
        images, indices = batch
        classes, boxes, masks = (t.to(images.device) for t in targets_of(scenes, indices.cpu(), canvas))
        return {"loss": set_loss(model(images), classes, boxes, masks)}
    return step


def train_on_scenes(model, scenes, step, *, steps, lr, batch_size, seed, device, desc="training"):
    """`steps` AdamW updates (warm-up over the first 5%, then a cosine) of `model` on batches of
    (scene images, their indices) with `step`; returns the model in evaluation mode."""
    optimizer, scheduler = adamw_cosine(model, lr, steps // 20, steps, weight_decay=1e-4)
    dataset = TensorDataset(scenes.images, torch.arange(len(scenes)))
    fit(model, dataset, epochs=math.ceil(steps / math.ceil(len(dataset) / batch_size)), optimizer=optimizer,
        scheduler=scheduler, step=step, batch_size=batch_size, seed=seed, device=device, max_steps=steps, desc=desc)
    return model.eval()


@timing.timed("evaluation")
@torch.no_grad()
def query_instances(model, images, threshold=0.5, stage=-1):
    """A stage's answer (the last's by default) for each image: a list of (classes (m,), masks
    (m, H, W) bool) of the queries whose most likely class is a digit with probability above
    `threshold`."""
    logits, _, masks = model(images)[stage]
    probability, classes = logits.softmax(-1)[..., :-1].max(-1)
    masks = F.interpolate(masks, images.shape[-2:], mode="bilinear", align_corners=False) > 0
    keep = probability > threshold
    return [(classes[i, keep[i]].cpu(), masks[i, keep[i]].cpu()) for i in range(len(images))]


class PixelClassifier(nn.Module):
    """The bottom-up baseline's network: the backbone's map, a 1x1 convolution to the classes of
    every location (background and ten digits), upsampled to the image."""

    def __init__(self, backbone, num_classes=10):
        super().__init__()
        self.backbone = backbone
        self.classify = nn.Conv2d(backbone.fc.in_features, num_classes + 1, 1)

    def forward(self, images):
        logits = self.classify(self.backbone.feature_map(images))
        return F.interpolate(logits, images.shape[-2:], mode="bilinear", align_corners=False)


def pixel_step(scenes, weight):
    """Cross-entropy per pixel against the scenes' `semantic` labels, classes weighted by
    `weight` (the background is most of every image)."""
    def step(model, batch):
        images, indices = batch
        return {"loss": F.cross_entropy(model(images), scenes.semantic[indices.cpu()].to(images.device),
                                        weight.to(images.device))}
    return step


@timing.timed("evaluation")
@torch.no_grad()
def component_instances(model, images, min_pixels=8):
    """The baseline's answer: every connected region (8-neighbours) of pixels predicted as some
    digit, of at least `min_pixels`, is an instance whose class is its pixels' majority."""
    predicted = model(images).argmax(1).cpu().numpy()
    found = []
    for labels in predicted:
        regions, n = ndimage.label(labels > 0, structure=np.ones((3, 3)))
        classes, masks = [], []
        for r in range(1, n + 1):
            region = regions == r
            if region.sum() >= min_pixels:
                classes.append(np.bincount(labels[region]).argmax() - 1)
                masks.append(region)
        found.append((torch.tensor(classes, dtype=torch.long),
                      torch.from_numpy(np.array(masks, dtype=bool).reshape(-1, *labels.shape))))
    return found


@timing.timed("evaluation")
def panoptic_quality(found, classes, masks):
    """Panoptic quality over instances (Kirillov et al. 2019): a found instance and a true one
    of the same class match when their masks' IoU exceeds 0.5 (such matches are unique);
    PQ = (sum of matched IoUs) / (TP + FP / 2 + FN / 2) = SQ x RQ. `found`: per image (classes,
    masks); `classes` (n, k), `masks` (n, k, H, W) the truth. Returns PQ, SQ and RQ in %."""
    matched_iou, tp, fp, fn = 0.0, 0, 0, 0
    for (f_classes, f_masks), t_classes, t_masks in zip(found, classes, masks):
        f, t = f_masks.flatten(1).float(), t_masks.flatten(1).float()
        intersection = f @ t.T
        iou = intersection / (f.sum(1, keepdim=True) + t.sum(1) - intersection).clamp(min=1)
        hit = (iou > 0.5) & (f_classes[:, None] == t_classes[None])
        matched_iou += iou[hit].sum().item()
        tp += int(hit.sum())
        fp += len(f) - int(hit.any(1).sum())
        fn += len(t) - int(hit.any(0).sum())
    denominator = tp + fp / 2 + fn / 2
    pq = matched_iou / denominator if denominator else 0.0
    sq = matched_iou / tp if tp else 0.0
    rq = tp / denominator if denominator else 0.0
    return {"PQ": 100 * pq, "SQ": 100 * sq, "RQ": 100 * rq}
