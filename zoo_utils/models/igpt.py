"""Image GPT (Chen et al., 2020): a GPT-2 trained on images read as sequences of pixels.

Each pixel's colour is replaced by the nearest of a small palette (k-means over the training
set's colours, 512 clusters in the paper), so an image becomes a sequence of palette indices in
raster order, with no 2-D structure given to the model. Two objectives: predict every pixel from
the ones before it (autoregressive, causal attention, a start-of-sequence token in front), or
BERT's (15% of the pixels have their colour embedding zeroed and are predicted from all the
others, no mask on the attention). The features of any layer, averaged over the sequence, are
then judged by a linear probe.

The model is our `GPT` with Image GPT's details, as its released code has them: a LayerNorm
without centring or bias (`rms`), the sigmoid approximation of GELU, and an output layer of its
own (not tied to the embeddings) with no logit for the start token.
"""

import torch
import torch.nn.functional as F
from torch import nn

from .bert import init_weights
from .codebook import fit_codebook, nearest_code
from .gpt import GPT, GPTConfig


class QuickGELU(nn.Module):
    """x sigmoid(1.702 x), the approximation of GELU in Image GPT's code."""

    def forward(self, x):
        return x * torch.sigmoid(1.702 * x)


def igpt_config(colours=512, layers=24, d_model=512, heads=8, length=32 * 32, dropout=0.1,
                objective="autoregressive"):
    """The `GPTConfig` of an Image GPT over `colours` palette entries (one more token: the
    start of sequence) and `length` pixels."""
    if objective not in ("autoregressive", "bert"):
        raise ValueError(f"unknown objective {objective!r}; choose 'autoregressive' or 'bert'")
    return GPTConfig(vocab_size=colours + 1, layers=layers, d_model=d_model, heads=heads,
                     max_len=length, dropout=dropout, causal=objective == "autoregressive",
                     norm="rms", activation=QuickGELU)


# The paper's sizes (§3.3): iGPT-S 76M, iGPT-M 455M, iGPT-L 1.4B, at 32 x 32 pixels
SIZES = {"iGPT-S": igpt_config(layers=24, d_model=512, heads=8),
         "iGPT-M": igpt_config(layers=36, d_model=1024, heads=8),
         "iGPT-L": igpt_config(layers=48, d_model=1536, heads=16)}


class ImageGPT(GPT):
    """`GPT` over palette indices, with an untied output layer over the colours and the
    per-layer features that the linear probes read."""

    def __init__(self, config=SIZES["iGPT-S"]):
        super().__init__(config)
        self.start = config.vocab_size - 1
        self.head = nn.Linear(config.d_model, config.vocab_size - 1, bias=False)
        init_weights(self.head)

    def embed(self, ids, masked=None):
        """Colour plus position embeddings; BERT's masked pixels keep only their position."""
        colour = self.tokens(ids)
        if masked is not None:
            colour = colour * ~masked[..., None]
        positions = torch.arange(ids.size(1), device=ids.device)
        return self.dropout(colour + self.positions(positions))

    def forward(self, ids, masked=None):
        """Logits (B, n, colours) over each position's colour."""
        return self.head(self.norm(self.residual_stream(self.embed(ids, masked))[-1]))

    @torch.no_grad()
    def layer_features(self, ids):
        """§2.4: for each layer l = 0..L, the normalised states n^l (the block's first
        LayerNorm applied to its input; the final LayerNorm after the last block), averaged
        over the sequence: L + 1 tensors (B, d_model)."""
        stream = self.residual_stream(self.embed(ids))
        normed = [block.norm1(h) for block, h in zip(self.blocks, stream)]
        return [n.mean(1) for n in normed + [self.norm(stream[-1])]]


def with_start(pixels, start):
    """The autoregressive model's input: the start token, then every pixel but the last."""
    return torch.cat([torch.full_like(pixels[:, :1], start), pixels[:, :-1]], dim=1)


def autoregressive_step(model, batch):
    """L_AR: the cross-entropy of every pixel given the ones before it (raster order)."""
    pixels = batch[0]
    logits = model(with_start(pixels, model.start)).float()
    loss = F.cross_entropy(logits.flatten(0, 1), pixels.flatten())
    return {"loss": loss}


def bert_step(model, batch, p=0.15):
    """L_BERT: each pixel is masked with probability `p`; the cross-entropy of the masked
    pixels given all the others."""
    pixels = batch[0]
    masked = torch.rand(pixels.shape, device=pixels.device) < p
    logits = model(pixels, masked).float()
    loss = F.cross_entropy(logits[masked], pixels[masked])
    return {"loss": loss}


def colour_palette(images, colours, pixels=20_000, seed=0):
    """k-means over `pixels` colours drawn from `images` (N, C, H, W) in [0, 1]: the palette,
    a (colours, C) tensor (C = 1: grey levels)."""
    return fit_codebook(images.permute(0, 2, 3, 1).reshape(-1, images.size(1)), colours, pixels,
                        seed)


def quantise(images, palette):
    """(N, C, H, W) in [0, 1] to (N, H W) palette indices, raster order."""
    return nearest_code(images.permute(0, 2, 3, 1).reshape(len(images), -1, images.size(1)),
                        palette)


def dequantise(ids, palette, size):
    """(N, H W) palette indices back to (N, C, size, size) images."""
    return palette[ids].reshape(len(ids), size, size, palette.size(1)).permute(0, 3, 1, 2)


def complete(model, pixels, keep, temperature=1.0, generator=None):
    """Fig 1: keep the first `keep` pixels of each image and sample the rest one at a time."""
    prompt = with_start(pixels[:, :keep + 1], model.start)
    return model.generate(prompt, pixels.size(1) - keep, temperature, generator)[:, 1:]
