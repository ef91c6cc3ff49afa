"""The Vision Transformer of "An Image is Worth 16x16 Words" (Dosovitskiy et al., 2021), in the
order of §3.1: cut the image into patches, project each flattened patch linearly (E), prepend a
learned [CLS] token, add learned 1-D position embeddings (E_pos, equation 1), run a pre-norm
Transformer encoder (equations 2-3, the Transformer chapter's `EncoderLayer`), and classify from
the final [CLS] state (equation 4) or, as Appendix D.3 compares, from the mean of the patches.

Also the inspection tool of §4.5: the mean attention distance of each head.
"""

import math
from dataclasses import dataclass, replace

import torch
from torch import nn

from .transformer import EncoderLayer


def patchify(images, patch_size):
    """(B, C, H, W) -> (B, N, P*P*C): the N = HW/P^2 patches in raster order, each flattened with
    its pixels in raster order and the channels last."""
    b, c, h, w = images.shape
    p = patch_size
    if h % p or w % p:
        raise ValueError(f"image size {h}x{w} is not a multiple of the patch size {p}")
    x = images.reshape(b, c, h // p, p, w // p, p)
    return x.permute(0, 2, 4, 3, 5, 1).reshape(b, (h // p) * (w // p), p * p * c)


def unpatchify(patches, patch_size, channels):
    """The inverse of `patchify` for square images: (B, N, P*P*C) -> (B, C, H, W)."""
    b, n, _ = patches.shape
    g, p = math.isqrt(n), patch_size
    x = patches.reshape(b, g, g, p, p, channels)
    return x.permute(0, 5, 1, 3, 2, 4).reshape(b, channels, g * p, g * p)


def pre_norm_blocks(d_model, heads, d_mlp, layers, dropout=0.0):
    """ViT's encoder (equations 2-3): `layers` pre-norm Transformer blocks with GELU MLPs and
    LayerNorm eps 1e-6, the Transformer chapter's `EncoderLayer`; MAE's encoder and decoder too."""
    return nn.ModuleList(EncoderLayer(d_model, heads, d_mlp, dropout, pre_norm=True,
                                      activation=nn.GELU, eps=1e-6) for _ in range(layers))


@dataclass(frozen=True)
class ViTConfig:
    image_size: int = 224
    patch_size: int = 16        # P
    channels: int = 3           # C
    classes: int = 1000
    d_model: int = 768          # D, the latent size of every layer
    layers: int = 12            # L
    heads: int = 12
    d_mlp: int = 3072
    dropout: float = 0.0
    pool: str = "cls"           # "cls" (equation 4) or "mean" (global average pooling)

    @property
    def grid(self):             # patches per side
        return self.image_size // self.patch_size


VIT_B16 = ViTConfig()
VIT_L16 = replace(VIT_B16, d_model=1024, layers=24, heads=16, d_mlp=4096)


class ViT(nn.Module):
    def __init__(self, config=VIT_B16):
        super().__init__()
        c = self.config = config
        if c.pool not in ("cls", "mean"):
            raise ValueError(f"unknown pool {c.pool!r}; choose 'cls' or 'mean'")
        n_tokens = c.grid ** 2 + (c.pool == "cls")
        self.patch_embedding = nn.Linear(c.patch_size ** 2 * c.channels, c.d_model)    # E
        self.cls_token = nn.Parameter(torch.zeros(1, 1, c.d_model)) if c.pool == "cls" else None
        self.position_embedding = nn.Parameter(torch.randn(1, n_tokens, c.d_model) * 0.02)  # E_pos
        self.dropout = nn.Dropout(c.dropout)
        self.blocks = pre_norm_blocks(c.d_model, c.heads, c.d_mlp, c.layers, c.dropout)
        self.norm = nn.LayerNorm(c.d_model, eps=1e-6)
        self.head = nn.Linear(c.d_model, c.classes)

    def embed(self, images):
        """z_0 = [x_class; x_p^1 E; ...; x_p^N E] + E_pos (equation 1)."""
        z = self.patch_embedding(patchify(images, self.config.patch_size))
        if self.cls_token is not None:
            z = torch.cat([self.cls_token.expand(len(z), -1, -1), z], dim=1)
        return self.dropout(z + self.position_embedding)

    def encode(self, z):
        """The encoder on embedded tokens (B, n, D): every block, then the final LayerNorm."""
        for block in self.blocks:
            z = block(z)
        return self.norm(z)

    def features(self, images):
        """LN(z_L^0), the image representation y, or the mean of the final patch states."""
        z = self.encode(self.embed(images))
        return z[:, 0] if self.config.pool == "cls" else z.mean(dim=1)

    def forward(self, images):
        return self.head(self.features(images))

    @torch.no_grad()
    def attention_maps(self, images):
        """The attention weights of every layer, (layers, B, heads, tokens, tokens)."""
        for block in self.blocks:
            block.attention.keep_weights = True
        try:
            self.features(images)
            return torch.stack([block.attention.weights for block in self.blocks])
        finally:
            for block in self.blocks:
                block.attention.keep_weights, block.attention.weights = False, None


def patch_grid(grid):
    """The row and the column of each of the grid x grid patches, in raster order: two (N,)."""
    rows, cols = torch.meshgrid(torch.arange(grid), torch.arange(grid), indexing="ij")
    return rows.flatten(), cols.flatten()


def patch_distances(grid, patch_size):
    """(N, N) distances in pixels between the centres of the patches of a grid x grid image."""
    centres = torch.stack(patch_grid(grid), dim=1).float() * patch_size
    return torch.cdist(centres, centres)


def mean_attention_distance(weights, grid, patch_size, cls_token=True):
    """§4.5, Fig 7 right: for every query patch, the pixel distance to each patch weighted by the
    attention it pays that patch; averaged over query patches and images, one value per head.

    `weights` is (..., B, heads, tokens, tokens). With a [CLS] token it is left out as a query
    and as a key, and each patch's attention over the other patches is renormalised to sum to 1,
    so the distance is where a patch looks *within the image*. Uniform attention then gives the
    grid's mean pairwise distance; attention to itself gives 0."""
    if cls_token:
        weights = weights[..., 1:, 1:]
        weights = weights / weights.sum(dim=-1, keepdim=True)
    distance = patch_distances(grid, patch_size).to(weights)
    return (weights * distance).sum(dim=-1).mean(dim=(-1, -3))     # over queries, then images


def torchvision_vit_weights(model, reference):
    """Copy the weights of a torchvision `VisionTransformer` into our `ViT` (same config)."""
    with torch.no_grad():
        conv = reference.conv_proj.weight                        # (D, C, P, P)
        model.patch_embedding.weight.copy_(conv.permute(0, 2, 3, 1).reshape(conv.size(0), -1))
        model.patch_embedding.bias.copy_(reference.conv_proj.bias)
        model.cls_token.copy_(reference.class_token)
        model.position_embedding.copy_(reference.encoder.pos_embedding)
        for ours, theirs in zip(model.blocks, reference.encoder.layers):
            attention = theirs.self_attention
            for linear, w, b in zip([ours.attention.w_q, ours.attention.w_k, ours.attention.w_v],
                                    attention.in_proj_weight.chunk(3),
                                    attention.in_proj_bias.chunk(3)):
                linear.weight.copy_(w)
                linear.bias.copy_(b)
            ours.attention.w_o.load_state_dict(attention.out_proj.state_dict())
            ours.norm1.load_state_dict(theirs.ln_1.state_dict())
            ours.norm2.load_state_dict(theirs.ln_2.state_dict())
            ours.feed_forward[0].load_state_dict(theirs.mlp[0].state_dict())
            ours.feed_forward[3].load_state_dict(theirs.mlp[3].state_dict())
        model.norm.load_state_dict(reference.encoder.ln.state_dict())
        model.head.load_state_dict(reference.heads.head.state_dict())
    return model
