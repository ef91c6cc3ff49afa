"""The masked autoencoder of "Masked Autoencoders Are Scalable Vision Learners" (He et al., 2022),
one function per step of §3: cut the image into patches (`patchify`, shared with ViT), keep a
random subset by shuffling per-sample noise (`random_masking`), encode the visible patches only,
let a light decoder fill in mask tokens at their positions (`unshuffle`), and score the
reconstruction by MSE on the masked patches only, optionally against per-patch normalised pixels.

`mask_tokens_in_encoder=True` is Table 1c's alternative: the encoder sees every patch, the
masked ones replaced by a learned mask token, and the decoder adds none.
"""

from dataclasses import dataclass

import torch
from torch import nn

from .transformer import sinusoidal_encoding
from .vit import patch_grid, patchify, pre_norm_blocks, unpatchify


def random_masking(x, mask_ratio, generator=None):
    """Keep a random (1 - mask_ratio) of each sample's tokens x (B, N, D): sort per-sample uniform
    noise and keep the tokens with the smallest. Returns the kept tokens (B, N_keep, D), the mask
    (B, N; 1 = masked) and `ids_restore`, the permutation that puts the shuffled order back."""
    b, n, d = x.shape
    n_keep = round(n * (1 - mask_ratio))
    # draw on the generator's device, so a CPU generator can mask a batch on the GPU
    where = generator.device if generator is not None else x.device
    noise = torch.rand(b, n, device=where, generator=generator).to(x.device)
    ids_shuffle = noise.argsort(dim=1)
    ids_restore = ids_shuffle.argsort(dim=1)
    ids_keep = ids_shuffle[:, :n_keep]
    kept = x.gather(1, ids_keep[..., None].expand(-1, -1, d))
    mask = torch.ones(b, n, device=x.device)
    mask[:, :n_keep] = 0
    return kept, mask.gather(1, ids_restore), ids_restore


def unshuffle(tokens, ids_restore):
    """Tokens in shuffled order (visible ones first, then mask tokens) back to patch order."""
    return tokens.gather(1, ids_restore[..., None].expand(-1, -1, tokens.size(-1)))


def sincos_2d(grid, d_model):
    """Fixed 2-D position embeddings (N, d_model): half the features encode the patch's row and
    half its column, each with the Transformer's sinusoids, as MAE's code does."""
    rows, cols = patch_grid(grid)
    table = sinusoidal_encoding(grid, d_model // 2)
    return torch.cat([table[rows], table[cols]], dim=1)


def patch_statistics(patches):
    """Each patch's mean and standard deviation over its pixels, (B, N, 1) each."""
    return patches.mean(dim=-1, keepdim=True), (patches.var(dim=-1, keepdim=True) + 1e-6).sqrt()


def patch_targets(images, patch_size, normalise):
    """The pixels each patch should be reconstructed to; normalised to zero mean and unit
    variance within each patch when `normalise` (the paper's better target)."""
    target = patchify(images, patch_size)
    if normalise:
        mean, std = patch_statistics(target)
        target = (target - mean) / std
    return target


def masked_mse(prediction, target, mask):
    """Mean squared error per patch, averaged over the masked patches only."""
    per_patch = ((prediction - target) ** 2).mean(dim=-1)
    return (per_patch * mask).sum() / mask.sum()


@dataclass(frozen=True)
class MAEConfig:
    image_size: int = 224
    patch_size: int = 16
    channels: int = 3
    d_model: int = 1024                 # ViT-L encoder
    layers: int = 24
    heads: int = 16
    decoder_d_model: int = 512          # the default light decoder: 8 blocks of width 512
    decoder_layers: int = 8
    decoder_heads: int = 16
    mask_ratio: float = 0.75
    norm_pix_loss: bool = True
    mask_tokens_in_encoder: bool = False

    @property
    def grid(self):
        return self.image_size // self.patch_size


class MAE(nn.Module):
    def __init__(self, config=MAEConfig()):
        super().__init__()
        c = self.config = config
        self.patch_embedding = nn.Linear(c.patch_size ** 2 * c.channels, c.d_model)
        self.cls_token = nn.Parameter(torch.randn(1, 1, c.d_model) * 0.02)
        self.register_buffer("position", sincos_2d(c.grid, c.d_model)[None], persistent=False)
        self.encoder_mask_token = (nn.Parameter(torch.randn(1, 1, c.d_model) * 0.02)
                                   if c.mask_tokens_in_encoder else None)
        self.encoder = pre_norm_blocks(c.d_model, c.heads, 4 * c.d_model, c.layers)
        self.encoder_norm = nn.LayerNorm(c.d_model, eps=1e-6)

        self.decoder_embedding = nn.Linear(c.d_model, c.decoder_d_model)
        self.mask_token = nn.Parameter(torch.randn(1, 1, c.decoder_d_model) * 0.02)
        self.register_buffer("decoder_position", sincos_2d(c.grid, c.decoder_d_model)[None],
                             persistent=False)
        self.decoder = pre_norm_blocks(c.decoder_d_model, c.decoder_heads, 4 * c.decoder_d_model,
                                       c.decoder_layers)
        self.decoder_norm = nn.LayerNorm(c.decoder_d_model, eps=1e-6)
        self.prediction = nn.Linear(c.decoder_d_model, c.patch_size ** 2 * c.channels)

    def encode(self, images, mask_ratio, generator=None):
        """Embed the patches, mask, and encode what is left; [CLS] rides along in front.
        Returns the latent (B, 1 + N_keep, D), the mask (B, N) and ids_restore."""
        x = self.patch_embedding(patchify(images, self.config.patch_size)) + self.position
        if self.encoder_mask_token is None:
            x, mask, ids_restore = random_masking(x, mask_ratio, generator)
        else:     # every patch goes in, the masked ones as a mask token at their position
            _, mask, ids_restore = random_masking(x, mask_ratio, generator)
            x = torch.where(mask[..., None].bool(), self.encoder_mask_token + self.position, x)
            ids_restore = torch.arange(x.size(1), device=x.device).expand(len(x), -1)
        x = torch.cat([self.cls_token.expand(len(x), -1, -1), x], dim=1)
        for block in self.encoder:
            x = block(x)
        return self.encoder_norm(x), mask, ids_restore

    def decode(self, latent, ids_restore):
        """Mask tokens appended for the missing patches, everything put back in patch order,
        positions added, and a pixel vector predicted for every patch: (B, N, P*P*C)."""
        x = self.decoder_embedding(latent)
        cls, x = x[:, :1], x[:, 1:]
        missing = ids_restore.size(1) - x.size(1)
        x = unshuffle(torch.cat([x, self.mask_token.expand(len(x), missing, -1)], dim=1), ids_restore)
        x = torch.cat([cls, x + self.decoder_position], dim=1)
        for block in self.decoder:
            x = block(x)
        return self.prediction(self.decoder_norm(x))[:, 1:]

    def forward(self, images, mask_ratio=None, generator=None):
        """The loss, the prediction (B, N, P*P*C) and the mask (B, N) for a batch of images."""
        ratio = self.config.mask_ratio if mask_ratio is None else mask_ratio
        latent, mask, ids_restore = self.encode(images, ratio, generator)
        prediction = self.decode(latent, ids_restore)
        target = patch_targets(images, self.config.patch_size, self.config.norm_pix_loss)
        return masked_mse(prediction, target, mask), prediction, mask

    def features(self, images):
        """The encoder's representation of the whole, unmasked image: the mean of its patch
        states (the paper's linear probes read [CLS]; at small scale the mean is steadier)."""
        latent, _, _ = self.encode(images, 0.0)
        return latent[:, 1:].mean(dim=1)

    @torch.no_grad()
    def reconstruct(self, images, mask_ratio=None, generator=None):
        """(reconstruction, reconstruction with the visible patches pasted back, mask as an
        image), all (B, C, H, W). A model trained on normalised targets predicts each patch's
        shape, not its brightness; as in the paper's figures, it is drawn with the true patch's
        mean and variance, so only a model trained on raw pixels gives a fair pixel error."""
        c = self.config
        _, prediction, mask = self(images, mask_ratio, generator)
        patches = patchify(images, c.patch_size)
        if c.norm_pix_loss:
            mean, std = patch_statistics(patches)
            prediction = prediction * std + mean
        pasted = torch.where(mask[..., None].bool(), prediction, patches)
        mask_image = mask[..., None].expand_as(patches)
        return (unpatchify(prediction, c.patch_size, c.channels),
                unpatchify(pasted, c.patch_size, c.channels),
                unpatchify(mask_image, c.patch_size, c.channels))


def mae_step(model, batch):
    """The training objective for `zoo_utils.train.fit`: the masked-patch loss of a batch."""
    loss, _, _ = model(batch[0])
    return {"loss": loss}


def mean_fill(images, mask, patch_size):
    """The baseline reconstruction: every masked patch filled with the mean of the image's
    visible patches, pixel by pixel. Returns patches (B, N, P*P*C)."""
    patches = patchify(images, patch_size)
    visible = (1 - mask)[..., None]
    mean = (patches * visible).sum(dim=1, keepdim=True) / visible.sum(dim=1, keepdim=True)
    return torch.where(mask[..., None].bool(), mean.expand_as(patches), patches)
