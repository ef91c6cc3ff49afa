"""MIST, the Multiple Instance Spatial Transformer (Angles, Jin, Kornblith, Tagliasacchi and Yi,
CVPR 2021): find K objects in an image without any boxes. A heatmap network scores every
pixel; the K highest peaks, after non-maximum suppression, are where K spatial transformers cut
out a patch each; an autoencoder encodes and decodes every patch; the decoded patches, put back
where they came from, must rebuild the whole image.

Choosing the top K is not differentiable, so training alternates, as in the authors' code:
(1) take the heatmap's K peaks, (2) move those locations by gradient descent on the
reconstruction loss, with the spatial transformers differentiable in the location, (3) train
the autoencoder on patches cut at the moved locations, (4) train the heatmap to peak where the
locations ended up.

Here: canvases of several digits, the three networks, the extraction and the placement of
patches, the alternation, and the score of a set of locations against the digits' true
centres."""

import torch
import torch.nn.functional as F
from scipy.optimize import linear_sum_assignment
from torch import nn


def digit_canvases(digits, n, canvas=40, k=3, min_distance=None, seed=0):
    """`n` canvases of `canvas` pixels, each holding `k` of `digits` (M, 1, s, s) at random
    positions whose centres are at least `min_distance` apart (the digit size by default), so
    digits do not overlap much; pixels add and are clipped to [0, 1]. Returns (canvases (n, 1,
    canvas, canvas), centres (n, k, 2) as (row, column) in pixels)."""
    g = torch.Generator().manual_seed(seed)
    size = digits.shape[-1]
    min_distance = size if min_distance is None else min_distance
    images, centres = torch.zeros(n, 1, canvas, canvas), torch.zeros(n, k, 2)
    for i in range(n):
        placed, tries = [], 0
        while len(placed) < k:
            tries += 1
            if tries > 1000 * k:
                raise ValueError(f"cannot place {k} digits of {size} pixels, {min_distance} apart, "
                                 f"on a {canvas}-pixel canvas; use a larger canvas or fewer digits")
            corner = torch.randint(0, canvas - size + 1, (2,), generator=g)
            centre = corner.float() + (size - 1) / 2
            if all((centre - c).norm() >= min_distance for c in placed):
                placed.append(centre)
                digit = digits[torch.randint(len(digits), (1,), generator=g)][0]
                images[i, :, corner[0]:corner[0] + size, corner[1]:corner[1] + size] += digit
        centres[i] = torch.stack(placed)
    return images.clamp(0, 1), centres


def conv_stack(channels, out_channels):
    layers, c = [], channels[0]
    for w in channels[1:]:
        layers += [nn.Conv2d(c, w, 3, padding=1), nn.GroupNorm(1, w), nn.ReLU()]
        c = w
    return nn.Sequential(*layers, nn.Conv2d(c, out_channels, 1))


class HeatmapNet(nn.Module):
    """A fully convolutional net, one score per pixel, normalised by a softmax over the image."""

    def __init__(self, width=32, depth=4):
        super().__init__()
        self.net = conv_stack([1] + [width] * depth, 1)

    def forward(self, images):
        scores = self.net(images).flatten(1)
        return scores.softmax(1).view_as(images)


def top_k_peaks(heatmap, k, nms_kernel=5):
    """The `k` highest peaks of each heatmap by greedy non-maximum suppression: take the highest
    pixel, blank the `nms_kernel`-wide square around it, repeat. Returns (n, k, 2) (row,
    column) pixel coordinates."""
    height, width = heatmap.shape[-2:]
    scores = heatmap.flatten(1).clone()
    rows = torch.arange(height, device=heatmap.device).repeat_interleave(width)
    cols = torch.arange(width, device=heatmap.device).repeat(height)
    peaks = []
    for _ in range(k):
        index = scores.argmax(1)
        peaks.append(torch.stack([rows[index], cols[index]], -1))
        near = ((rows - rows[index, None]).abs() <= nms_kernel // 2) & \
               ((cols - cols[index, None]).abs() <= nms_kernel // 2)
        scores[near] = -float("inf")
    return torch.stack(peaks, 1).float()


def _grid(rows, cols, size):
    """A sampling grid for grid_sample from the positions to read, in pixels of a `size`-pixel
    source: `rows`, `cols` (n, k, out) give an (n * k, out, out, 2) grid in the source's [-1, 1]
    coordinates (x first, as grid_sample wants)."""
    to_unit = lambda p: (2 * p + 1) / size - 1                     # pixel centre -> [-1, 1]
    grid = torch.stack(torch.broadcast_tensors(to_unit(cols)[..., None, :], to_unit(rows)[..., :, None]), -1)
    return grid.flatten(0, 1)


def extract(images, centres, patch):
    """The spatial transformers: a `patch`-pixel window around each of the k centres of every
    image, by bilinear sampling (differentiable in the centres). Returns (n, k, 1, patch, patch)."""
    n, k = centres.shape[:2]
    offsets = torch.arange(patch, dtype=centres.dtype, device=centres.device) - (patch - 1) / 2
    grid = _grid(centres[..., 0, None] + offsets, centres[..., 1, None] + offsets, images.shape[-1])
    patches = F.grid_sample(images.repeat_interleave(k, 0), grid, align_corners=False)
    return patches.view(n, k, *patches.shape[1:])


def place(patches, centres, canvas):
    """The inverse transformers: every patch put back at its centre on an empty canvas (bilinear,
    differentiable in the centres), and the k canvases of an image summed. Returns (n, 1, canvas,
    canvas)."""
    n, k, c, patch, _ = patches.shape
    pixels = torch.arange(canvas, dtype=centres.dtype, device=centres.device)
    # each canvas pixel's position in patch coordinates, relative to each centre
    rows = pixels - centres[..., 0, None] + (patch - 1) / 2        # (n, k, canvas)
    cols = pixels - centres[..., 1, None] + (patch - 1) / 2
    placed = F.grid_sample(patches.flatten(0, 1), _grid(rows, cols, patch), align_corners=False)
    return placed.view(n, k, c, canvas, canvas).sum(1)


class PatchAutoencoder(nn.Module):
    """Encode a patch to a `code`-sized vector and decode it back (pixels in [0, 1])."""

    def __init__(self, patch=14, code=16, width=32):
        super().__init__()
        self.patch = patch
        self.encoder = nn.Sequential(nn.Flatten(), nn.Linear(patch * patch, 4 * width), nn.ReLU(),
                                     nn.Linear(4 * width, code))
        self.decoder = nn.Sequential(nn.Linear(code, 4 * width), nn.ReLU(),
                                     nn.Linear(4 * width, patch * patch), nn.Sigmoid())

    def forward(self, patches):
        shape = patches.shape
        return self.decoder(self.encoder(patches.reshape(-1, 1, self.patch, self.patch))).view(shape)


def reconstruct(autoencoder, images, centres):
    """The image rebuilt from its k decoded patches."""
    return place(autoencoder(extract(images, centres, autoencoder.patch)), centres, images.shape[-1])


def target_heatmap(centres, canvas, sigma=1.5):
    """Where the heatmap should peak: a Gaussian at every centre, normalised to sum to one."""
    pixels = torch.arange(canvas, dtype=centres.dtype, device=centres.device)
    rows = (pixels - centres[..., 0, None]) ** 2                   # (n, k, canvas)
    cols = (pixels - centres[..., 1, None]) ** 2
    bumps = torch.exp(-(rows[..., :, None] + cols[..., None, :]) / (2 * sigma ** 2)).sum(1)
    return (bumps / bumps.flatten(1).sum(1)[:, None, None]).unsqueeze(1)


def mist_step(heatmap_net, autoencoder, optimizers, images, k, *, location_steps=3,
              step_pixels=1.0, nms_kernel=5, sigma=1.5):
    """One alternation on a batch: peaks, moved locations, an autoencoder step, a heatmap step.
    The locations move `step_pixels` per step along their negative gradient (a normalised step,
    so that the move does not depend on the loss's scale). Returns the reconstruction loss
    and the heatmap loss."""
    canvas = images.shape[-1]
    with torch.no_grad():
        centres = top_k_peaks(heatmap_net(images), k, nms_kernel)
    centres = centres.clone().requires_grad_(True)
    for _ in range(location_steps):                               # (2) move the locations
        loss = F.mse_loss(reconstruct(autoencoder, images, centres), images, reduction="sum")
        grad, = torch.autograd.grad(loss, centres)
        with torch.no_grad():
            centres -= step_pixels * grad / grad.norm(dim=-1, keepdim=True).clamp(min=1e-8)
            centres.clamp_(0, canvas - 1)
    centres = centres.detach()
    ae_optimizer, heatmap_optimizer = optimizers
    reconstruction = F.mse_loss(reconstruct(autoencoder, images, centres), images)   # (3)
    ae_optimizer.zero_grad()
    reconstruction.backward()
    ae_optimizer.step()
    heatmap = heatmap_net(images)                                                    # (4)
    heatmap_loss = F.mse_loss(heatmap, target_heatmap(centres, canvas, sigma)) * canvas ** 4
    heatmap_optimizer.zero_grad()
    heatmap_loss.backward()
    heatmap_optimizer.step()
    return reconstruction.item(), heatmap_loss.item()


def hits(found, centres, radius):
    """The fraction of true centres that a found location lands on (within `radius` pixels),
    with found locations and true centres matched one to one (the Hungarian algorithm)."""
    found, centres = found.cpu(), centres.cpu()
    hit = 0
    for f, c in zip(found, centres):
        distance = torch.cdist(f, c)
        rows, cols = linear_sum_assignment(distance.numpy())
        hit += (distance[rows, cols] <= radius).sum().item()
    return hit / (centres.shape[0] * centres.shape[1])
