"""How much of CLIP's two towers can be one? CLIP (Radford et al. 2021) trains an image encoder
and a text encoder so that an image and its caption get the most similar embeddings in a batch:
a symmetric cross-entropy over the batch's image-text similarity matrix. The modality-agnostic
question (MA-CLIP, an ICLR 2022 submission; MS-CLIP, You et al., ECCV 2022) is whether the two
Transformers can share their weights: a single encoder for both modalities, with only the input
embeddings and the output projections specific to each, and, in the variant MS-CLIP found best,
the LayerNorms specific too.

Here: the input embeddings (image patches, words), the pre-LN Transformer block, the three ways
to share blocks ("separate", "mostly shared": shared attention and MLP, LayerNorms per modality,
"shared": everything), the contrastive loss and zero-shot classification."""

import math

import torch
import torch.nn.functional as F
from torch import nn

SHARING = ("separate", "mostly shared", "shared")


class Block(nn.Module):
    """A pre-LN Transformer block around an attention and an MLP that other blocks may share."""

    def __init__(self, attention, mlp, dim):
        super().__init__()
        self.ln1, self.attention, self.ln2, self.mlp = nn.LayerNorm(dim), attention, nn.LayerNorm(dim), mlp

    def forward(self, x, padding=None):
        h = self.ln1(x)
        x = x + self.attention(h, h, h, key_padding_mask=padding, need_weights=False)[0]
        return x + self.mlp(self.ln2(x))


def towers(sharing, dim, depth, heads):
    """The image tower's and the text tower's blocks under one of the `SHARING` schemes."""
    if sharing not in SHARING:
        raise ValueError(f"unknown sharing {sharing!r}; choose one of {SHARING}")
    parts = lambda: (nn.MultiheadAttention(dim, heads, batch_first=True),
                     nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim)))
    if sharing == "separate":
        return [nn.ModuleList(Block(*parts(), dim) for _ in range(depth)) for _ in range(2)]
    if sharing == "shared":
        blocks = nn.ModuleList(Block(*parts(), dim) for _ in range(depth))
        return blocks, blocks
    shared = [parts() for _ in range(depth)]
    return [nn.ModuleList(Block(a, m, dim) for a, m in shared) for _ in range(2)]


class PatchEmbed(nn.Module):
    """ViT's input: `patch`-pixel squares, each flattened and mapped linearly to a token."""

    def __init__(self, channels, dim, patch):
        super().__init__()
        self.patch, self.linear = patch, nn.Linear(channels * patch * patch, dim)

    def forward(self, images):
        p = self.patch
        patches = images.unfold(2, p, p).unfold(3, p, p).permute(0, 2, 3, 1, 4, 5).flatten(1, 2).flatten(2)
        return self.linear(patches)


def conv_stem(channels, dim, patch):
    """MS-CLIP's early specialisation for images: a few stride-2 convolutions (one per halving
    of the resolution down to one token per `patch`-pixel square) in place of the linear patch
    embedding, giving the same number of tokens."""
    layers, c = [], channels
    for i in range(int(math.log2(patch))):
        out = dim if i == int(math.log2(patch)) - 1 else dim // 2
        layers += [nn.Conv2d(c, out, 3, stride=2, padding=1), nn.BatchNorm2d(out), nn.ReLU()]
        c = out
    return nn.Sequential(*layers[:-2], nn.Flatten(2), Transpose())


class Transpose(nn.Module):
    def forward(self, x):
        return x.transpose(1, 2)


class CLIP(nn.Module):
    """Images (3, size, size) cut into `patch`-pixel patches and captions of word ids, each
    embedded with a [CLS] token in front, run through its tower, read at [CLS], normalised and
    projected to a common `embed_dim`-sized space."""

    def __init__(self, vocab_size, sharing="separate", dim=64, depth=4, heads=4, embed_dim=64,
                 size=32, patch=8, channels=3, max_words=16, stem="conv"):
        super().__init__()
        self.patch_embed = conv_stem(channels, dim, patch) if stem == "conv" else PatchEmbed(channels, dim, patch)
        self.image_position = nn.Parameter(torch.randn(1, (size // patch) ** 2 + 1, dim) * 0.02)
        self.image_cls = nn.Parameter(torch.randn(1, 1, dim) * 0.02)
        self.word_embed = nn.Embedding(vocab_size, dim)                 # id 1 is [CLS]
        self.text_position = nn.Parameter(torch.randn(1, max_words, dim) * 0.02)
        image_blocks, text_blocks = towers(sharing, dim, depth, heads)
        self.towers = nn.ModuleDict({"image": image_blocks, "text": text_blocks})
        self.final_norm = nn.ModuleDict({m: nn.LayerNorm(dim) for m in ("image", "text")})
        self.project = nn.ModuleDict({m: nn.Linear(dim, embed_dim, bias=False) for m in ("image", "text")})
        self.logit_scale = nn.Parameter(torch.tensor(2.659))            # log(1 / 0.07), CLIP's start

    def encode(self, x, modality, padding=None):
        for block in self.towers[modality]:
            x = block(x, padding)
        return F.normalize(self.project[modality](self.final_norm[modality](x[:, 0])), dim=-1)

    def encode_image(self, images):
        x = torch.cat([self.image_cls.expand(len(images), -1, -1), self.patch_embed(images)], 1)
        return self.encode(x + self.image_position, "image")

    def encode_text(self, ids):
        x = self.word_embed(ids) + self.text_position[:, :ids.shape[1]]
        return self.encode(x, "text", padding=ids == 0)

    def forward(self, images, ids):
        return self.encode_image(images), self.encode_text(ids)


def clip_loss(image_features, text_features, logit_scale):
    """CLIP's symmetric loss: the i-th image should pick the i-th caption among the batch's, and
    the i-th caption the i-th image; the mean of the two cross-entropies."""
    logits = logit_scale.exp().clamp(max=100) * image_features @ text_features.T
    targets = torch.arange(len(logits), device=logits.device)
    return (F.cross_entropy(logits, targets) + F.cross_entropy(logits.T, targets)) / 2


def clip_step(model, batch):
    """The training step for `zoo_utils.train.fit`: a batch of (images, caption ids)."""
    images, ids = batch
    loss = clip_loss(*model(images, ids), model.logit_scale)
    return {"loss": loss}


@torch.no_grad()
def zero_shot(model, images, class_prompts, batch_size=500):
    """Each image's class by the most similar class embedding, where a class's embedding is
    the normalised mean of its prompts' embeddings (CLIP's prompt ensembling). `class_prompts`:
    one (n_prompts, length) id tensor per class."""
    classes = torch.stack([F.normalize(model.encode_text(ids).mean(0), dim=0) for ids in class_prompts])
    return torch.cat([(model.encode_image(images[i:i + batch_size]) @ classes.T).argmax(1)
                      for i in range(0, len(images), batch_size)])


def parameter_count(model):
    """Distinct parameters: a module shared by both towers counts once."""
    return sum(p.numel() for p in model.parameters())
