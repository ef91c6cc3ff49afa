"""ContrastiveCrop (Peng, Wang, Zhu and You, CVPR 2022, "Crafting Better Contrastive Views for
Siamese Representation Learning"): crops that keep the object in view. A random resized crop
of an image whose object is small often shows only background; two such views of one image
are a "positive" pair with nothing in common. ContrastiveCrop crops inside a box around the
object that the model itself finds, and spreads the crops across that box.

1. Warm up with random resized crops.
2. *Localise*: every few epochs, the encoder's last feature map of each (un-augmented) image,
   summed over channels, min-max normalised and upsampled to the image, is the heat map; the
   box spans the rows and columns where it exceeds a threshold (0.1).
3. *Centre-suppressed sampling*: the crop's area and aspect ratio are drawn as for a random
   resized crop; its centre is drawn inside the box along each axis from Beta(alpha, alpha),
   alpha < 1 (U-shaped: fewer crops at the box's centre, so views of one image differ more);
   the crop is then moved to lie inside the image.

Here: the two crop samplers on one footing (windows in pixels, then one crop-and-resize), the
heat-map boxes, and how much of an object a window keeps."""

import itertools
import math

import torch
import torch.nn.functional as F
from torchvision.ops import masks_to_boxes, roi_align


def crop_sizes(n, image_size, scale, ratio):
    """Heights and widths (n,) of crops covering a `scale` share of the image's area with aspect
    ratio (width / height) in `ratio`, both drawn as in a random resized crop (log-uniform
    ratio), clipped to the image. Like kornia's augmentations, the samplers here draw from
    torch's global generator, which `zoo_utils.train.fit` seeds."""
    area = image_size ** 2 * torch.empty(n).uniform_(*scale)
    log_ratio = torch.empty(n).uniform_(math.log(ratio[0]), math.log(ratio[1]))
    aspect = log_ratio.exp()
    heights = (area / aspect).sqrt().clamp(max=image_size)
    widths = (area * aspect).sqrt().clamp(max=image_size)
    return heights, widths


def random_resized_windows(n, image_size, scale=(0.2, 1.0), ratio=(3 / 4, 4 / 3)):
    """A random resized crop's windows, (n, 4) as (top, left, bottom, right) in pixels: the size
    as above, then the position uniform over the places where the crop fits."""
    heights, widths = crop_sizes(n, image_size, scale, ratio)
    top = torch.rand(n) * (image_size - heights)
    left = torch.rand(n) * (image_size - widths)
    return torch.stack([top, left, top + heights, left + widths], 1)


def contrastive_crop_windows(boxes, image_size, scale=(0.2, 1.0), ratio=(3 / 4, 4 / 3), alpha=0.1):
    """ContrastiveCrop's windows: the size as a random resized crop's, the centre at the box's
    edge plus its extent times Beta(alpha, alpha) along each axis, then the window moved inside
    the image. `boxes` (n, 4) are (top, left, bottom, right) in [0, 1]."""
    n = len(boxes)
    heights, widths = crop_sizes(n, image_size, scale, ratio)
    u = torch.distributions.Beta(alpha, alpha).sample((n, 2))
    boxes = boxes * image_size
    centre_y = boxes[:, 0] + (boxes[:, 2] - boxes[:, 0]) * u[:, 0]
    centre_x = boxes[:, 1] + (boxes[:, 3] - boxes[:, 1]) * u[:, 1]
    top = (centre_y - heights / 2).clamp(min=0).minimum(image_size - heights)
    left = (centre_x - widths / 2).clamp(min=0).minimum(image_size - widths)
    return torch.stack([top, left, top + heights, left + widths], 1)


def cut(images, windows, size):
    """Each image's window, resized to `size` x `size` (bilinear, as a resized crop)."""
    rois = torch.cat([torch.arange(len(images), dtype=images.dtype, device=images.device)[:, None],
                      windows[:, [1, 0, 3, 2]].to(images)], 1)           # (index, x1, y1, x2, y2)
    return roi_align(images, rois, size, spatial_scale=1.0, sampling_ratio=2, aligned=True)


@torch.no_grad()
def heat_map_boxes(feature_map, images, threshold=0.1, batch_size=500):
    """The boxes ContrastiveCrop localises: the last feature map summed over channels, min-max
    normalised per image, upsampled (bilinear) to the image; the box spans the rows and columns
    holding a value above `threshold`. Returns (n, 4) boxes in [0, 1] and the heat maps."""
    heat = []
    for i in range(0, len(images), batch_size):
        h = feature_map(images[i:i + batch_size]).sum(1, keepdim=True)
        heat.append(F.interpolate(h, images.shape[-2:], mode="bilinear", align_corners=False)[:, 0].float())
    heat = torch.cat(heat)
    low, high = heat.amin((1, 2), keepdim=True), heat.amax((1, 2), keepdim=True)
    heat = (heat - low) / (high - low).clamp(min=1e-12)
    above = heat > threshold
    above |= ~above.flatten(1).any(1)[:, None, None]          # a flat heat map: the whole image
    left, top, right, bottom = masks_to_boxes(above).unbind(1)  # last pixels included
    boxes = torch.stack([top, left, bottom + 1, right + 1], 1) / images.shape[-1]
    return boxes, heat


def box_iou(a, b):
    """IoU of matching boxes (n, 4), (top, left, bottom, right) in any one unit."""
    height = (torch.minimum(a[:, 2], b[:, 2]) - torch.maximum(a[:, 0], b[:, 0])).clamp(min=0)
    width = (torch.minimum(a[:, 3], b[:, 3]) - torch.maximum(a[:, 1], b[:, 1])).clamp(min=0)
    area = lambda x: (x[:, 2] - x[:, 0]) * (x[:, 3] - x[:, 1])
    overlap = height * width
    return overlap / (area(a) + area(b) - overlap)


def kept(masks, windows):
    """The share of each object's pixels (`masks` (n, H, W) bool) that falls inside its window."""
    size = masks.shape[-1]
    pixels = torch.arange(size) + 0.5
    inside_rows = (pixels >= windows[:, 0, None]) & (pixels <= windows[:, 2, None])
    inside_cols = (pixels >= windows[:, 1, None]) & (pixels <= windows[:, 3, None])
    inside = inside_rows[:, :, None] & inside_cols[:, None, :]
    return (masks & inside).flatten(1).sum(1) / masks.flatten(1).sum(1).clamp(min=1)


class Cropper:
    """The views of one pre-training: random resized crops while `boxes` is None, ContrastiveCrop's
    once boxes are set (one per training image), each crop resized to `size`, then `photometric`
    (the colour part of a view recipe)."""

    def __init__(self, image_size, size, photometric, *, scale=(0.2, 1.0), alpha=0.1):
        self.boxes = None
        self.image_size, self.size, self.photometric = image_size, size, photometric
        self.scale, self.alpha = scale, alpha

    def windows(self, indices):
        if self.boxes is None:
            return random_resized_windows(len(indices), self.image_size, self.scale)
        return contrastive_crop_windows(self.boxes[indices.cpu()], self.image_size, self.scale, alpha=self.alpha)

    def views(self, images, indices):
        """One view of each image of the batch (`indices`: the images' places in the training set)."""
        return self.photometric(cut(images, self.windows(indices), self.size))


def cropped_step(cropper):
    """A training step for a two-view model (SimCLR): two views of each image of an (images,
    indices) batch by `cropper`; returns the loss and the pretext accuracy."""
    def step(model, batch):
        images, indices = batch
        loss, logits = model(cropper.views(images, indices), cropper.views(images, indices))
        return {"loss": loss, "pretext accuracy": (logits.argmax(1) == 0).float().mean()}
    return step


def localise(cropper, images, warmup, interval, threshold=0.1, boxes=None):
    """A `monitor` for `zoo_utils.train.fit` that sets the cropper's boxes from the model's heat
    maps of `images` (the training images as the model sees them, un-augmented) after epoch
    `warmup` and every `interval` epochs after it; or to the given `boxes` at those epochs (an
    oracle that localises perfectly)."""
    epochs = itertools.count(1)

    def monitor(model):
        epoch = next(epochs)
        if epoch < warmup or (epoch - warmup) % interval:
            return {}
        cropper.boxes = boxes if boxes is not None else heat_map_boxes(model.encoder.feature_map, images, threshold)[0]
        return {"box area": (cropper.boxes[:, 2:] - cropper.boxes[:, :2]).prod(1).mean().item()}
    return monitor
