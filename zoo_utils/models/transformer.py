"""The Transformer of "Attention Is All You Need" (Vaswani et al., 2017), in the paper's order:
scaled dot-product attention (§3.2.1), multi-head attention (§3.2.2), the position-wise
feed-forward network (§3.3), embeddings scaled by sqrt(d_model) (§3.4), sinusoidal positional
encoding (§3.5), and the encoder and decoder stacks (§3.1).

The layers take their normalisation as a choice (LayerNorm, as in the paper, or BatchNorm for
the comparison on the page) and their placement (post-norm as in the paper, pre-norm as in
GPT-2 and ViT), so BERT, GPT and ViT reuse these blocks. Masks are boolean with True meaning
"may attend", as in `torch.nn.functional.scaled_dot_product_attention`.
"""

import math
from contextlib import contextmanager
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn


def scaled_dot_product_attention(q, k, v, mask=None, dropout_p=0.0, scale=True):
    """softmax(Q K^T / sqrt(d_k)) V, and the attention weights. `mask` (broadcast to the scores)
    is True where a query may attend to a key; blocked scores become -inf before the softmax."""
    scores = q @ k.transpose(-2, -1)
    if scale:
        scores = scores / math.sqrt(q.size(-1))
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    weights = scores.softmax(dim=-1)
    return F.dropout(weights, dropout_p) @ v if dropout_p else weights @ v, weights


class MultiHeadAttention(nn.Module):
    """h heads, each attending in its own d_k = d_model / h dimensional projection; their outputs
    concatenated and projected back: MultiHead(Q, K, V) = Concat(head_1, ..., head_h) W^O."""

    def __init__(self, d_model, heads, dropout=0.0):
        super().__init__()
        assert d_model % heads == 0, "d_model must be a multiple of the number of heads"
        self.heads, self.d_k = heads, d_model // heads
        self.w_q, self.w_k, self.w_v, self.w_o = (nn.Linear(d_model, d_model) for _ in range(4))
        self.dropout = dropout
        self.keep_weights = False      # set True to keep the last attention map in .weights
        self.weights = None

    def split_heads(self, x):          # (B, n, d_model) -> (B, h, n, d_k)
        return x.view(x.size(0), x.size(1), self.heads, self.d_k).transpose(1, 2)

    def forward(self, query, key, value, mask=None):
        q, k, v = self.split_heads(self.w_q(query)), self.split_heads(self.w_k(key)), \
            self.split_heads(self.w_v(value))
        dropout_p = self.dropout if self.training else 0.0
        if self.keep_weights:
            out, self.weights = scaled_dot_product_attention(q, k, v, mask, dropout_p)
        else:   # the same arithmetic in PyTorch's fused kernel (tested equal)
            out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=dropout_p)
        out = out.transpose(1, 2).reshape(query.size(0), query.size(1), -1)   # concatenate heads
        return self.w_o(out)


class FeedForward(nn.Sequential):
    """FFN(x) = max(0, x W1 + b1) W2 + b2, the same two layers applied at every position."""

    def __init__(self, d_model, d_ff, dropout=0.0, activation=nn.ReLU):
        super().__init__(nn.Linear(d_model, d_ff), activation(), nn.Dropout(dropout),
                         nn.Linear(d_ff, d_model))


class SequenceBatchNorm(nn.BatchNorm1d):
    """BatchNorm over (batch, sequence, feature) tensors: one mean and variance per feature,
    taken over every position of every sequence (`real_tokens_only=False`, padding included) or
    over the real tokens only."""

    def __init__(self, d_model, real_tokens_only=False):
        super().__init__(d_model)
        self.real_tokens_only = real_tokens_only

    def forward(self, x, keep=None):
        if not self.real_tokens_only or keep is None:
            return super().forward(x.transpose(1, 2)).transpose(1, 2)
        out = torch.zeros_like(x)
        out[keep] = super().forward(x[keep])          # (real tokens, d_model)
        return out


class TokenLayerNorm(nn.LayerNorm):
    """LayerNorm over each token's features; takes (and needs no) mask, like SequenceBatchNorm."""

    def forward(self, x, keep=None):
        return super().forward(x)


class TokenRMSNorm(nn.RMSNorm):
    """LayerNorm without centring or bias (x / rms(x) times a gain), as Image GPT's code has it."""

    def forward(self, x, keep=None):
        return super().forward(x)


def make_norm(kind, d_model, eps=1e-5):
    """'layer' (the paper), 'batch' (BatchNorm over all positions, padding too), 'batch-real'
    (BatchNorm over the real tokens only) or 'rms' (no centring, Image GPT). `eps` is the
    LayerNorm's (ViT uses 1e-6)."""
    if kind == "layer":
        return TokenLayerNorm(d_model, eps=eps)
    if kind == "rms":
        return TokenRMSNorm(d_model, eps=eps)
    if kind in ("batch", "batch-real"):
        return SequenceBatchNorm(d_model, real_tokens_only=kind == "batch-real")
    raise ValueError(f"unknown norm {kind!r}; choose 'layer', 'batch', 'batch-real' or 'rms'")


class EncoderLayer(nn.Module):
    """Self-attention, then the feed-forward network, each wrapped in a residual connection and
    a normalisation: post-norm LayerNorm(x + Sublayer(x)) as in the paper, or pre-norm
    x + Sublayer(LayerNorm(x)) as in GPT-2 and ViT."""

    def __init__(self, d_model, heads, d_ff, dropout=0.1, norm="layer", pre_norm=False,
                 activation=nn.ReLU, eps=1e-5):
        super().__init__()
        self.attention = MultiHeadAttention(d_model, heads, dropout)
        self.feed_forward = FeedForward(d_model, d_ff, dropout, activation)
        self.norm1, self.norm2 = make_norm(norm, d_model, eps), make_norm(norm, d_model, eps)
        self.dropout = nn.Dropout(dropout)
        self.pre_norm = pre_norm

    def forward(self, x, mask=None, keep=None):
        """`mask`: which keys each query may attend to; `keep` (B, n): the real tokens."""
        attend = lambda h: self.attention(h, h, h, mask)
        for sublayer, norm in [(attend, self.norm1), (self.feed_forward, self.norm2)]:
            if self.pre_norm:
                x = x + self.dropout(sublayer(norm(x, keep)))
            else:
                x = norm(x + self.dropout(sublayer(x)), keep)
        return x


class DecoderLayer(nn.Module):
    """Masked self-attention over the outputs so far, attention over the encoder's output
    (queries from the decoder, keys and values from the encoder), and the feed-forward network;
    post-norm as in the paper."""

    def __init__(self, d_model, heads, d_ff, dropout=0.1):
        super().__init__()
        self.self_attention = MultiHeadAttention(d_model, heads, dropout)
        self.cross_attention = MultiHeadAttention(d_model, heads, dropout)
        self.feed_forward = FeedForward(d_model, d_ff, dropout)
        self.norm1, self.norm2, self.norm3 = (nn.LayerNorm(d_model) for _ in range(3))
        self.dropout = nn.Dropout(dropout)

    def forward(self, y, memory, self_mask=None, memory_mask=None):
        y = self.norm1(y + self.dropout(self.self_attention(y, y, y, self_mask)))
        y = self.norm2(y + self.dropout(self.cross_attention(y, memory, memory, memory_mask)))
        return self.norm3(y + self.dropout(self.feed_forward(y)))


def sinusoidal_encoding(length, d_model, dtype=torch.float32):
    """PE(pos, 2i) = sin(pos / 10000^(2i/d_model)), PE(pos, 2i+1) = cos(pos / 10000^(2i/d_model))."""
    position = torch.arange(length, dtype=dtype)[:, None]
    frequency = torch.exp(-math.log(10000.0) * torch.arange(0, d_model, 2, dtype=dtype) / d_model)
    pe = torch.zeros(length, d_model, dtype=dtype)
    pe[:, 0::2] = torch.sin(position * frequency)
    pe[:, 1::2] = torch.cos(position * frequency)
    return pe


def offset_map(k, d_model, dtype=torch.float32):
    """The matrix M_k with PE(pos + k) = PE(pos) M_k for every pos: a rotation by k times each
    pair's frequency, which is why the paper expected relative positions to be easy to learn."""
    angle = k * torch.exp(-math.log(10000.0) * torch.arange(0, d_model, 2, dtype=dtype) / d_model)
    m = torch.zeros(d_model, d_model, dtype=dtype)
    m[0::2, 0::2] = torch.diag(torch.cos(angle))
    m[0::2, 1::2] = torch.diag(-torch.sin(angle))
    m[1::2, 0::2] = torch.diag(torch.sin(angle))
    m[1::2, 1::2] = torch.diag(torch.cos(angle))
    return m


def causal_mask(n, device=None):
    """(n, n), True on and below the diagonal: position i may attend to positions <= i."""
    return torch.ones(n, n, dtype=torch.bool, device=device).tril()


def last_real(hidden, tokens, pad=0):
    """(B, d): each sequence's state at its last non-padding token, the only position of a
    causal model that has read the whole input."""
    last = (tokens != pad).sum(1) - 1
    return hidden[torch.arange(len(tokens), device=tokens.device), last]


def padding_mask(tokens, pad=0):
    """(B, 1, 1, n) for attention over keys, True at real tokens."""
    return (tokens != pad)[:, None, None, :]


class Embedding(nn.Module):
    """Token embedding times sqrt(d_model), plus the sinusoidal positional encoding."""

    def __init__(self, vocab_size, d_model, max_len=1024, dropout=0.1):
        super().__init__()
        self.tokens = nn.Embedding(vocab_size, d_model)
        self.register_buffer("positions", sinusoidal_encoding(max_len, d_model), persistent=False)
        self.dropout = nn.Dropout(dropout)
        self.scale = math.sqrt(d_model)

    def forward(self, ids):
        return self.dropout(self.tokens(ids) * self.scale + self.positions[:ids.size(1)])


@dataclass(frozen=True)
class TransformerConfig:
    vocab_size: int = 37000     # the paper's shared source-target BPE vocabulary (EN-DE)
    layers: int = 6             # N
    d_model: int = 512
    d_ff: int = 2048
    heads: int = 8              # h; d_k = d_v = d_model / h
    dropout: float = 0.1        # P_drop
    max_len: int = 1024
    pad: int = 0


BASE = TransformerConfig()
BIG = TransformerConfig(d_model=1024, d_ff=4096, heads=16, dropout=0.3)


class Transformer(nn.Module):
    """The encoder-decoder of Fig 1. Source and target share one vocabulary, one embedding
    matrix, and the pre-softmax projection reuses it (§3.4)."""

    def __init__(self, config=BASE):
        super().__init__()
        c = self.config = config
        self.embed = Embedding(c.vocab_size, c.d_model, c.max_len, c.dropout)
        self.encoder = nn.ModuleList(EncoderLayer(c.d_model, c.heads, c.d_ff, c.dropout)
                                     for _ in range(c.layers))
        self.decoder = nn.ModuleList(DecoderLayer(c.d_model, c.heads, c.d_ff, c.dropout)
                                     for _ in range(c.layers))

    def encode(self, source):
        mask = padding_mask(source, self.config.pad)
        x = self.embed(source)
        for layer in self.encoder:
            x = layer(x, mask)
        return x

    def decode(self, target, memory, source):
        self_mask = causal_mask(target.size(1), target.device) & padding_mask(target, self.config.pad)
        y = self.embed(target)
        for layer in self.decoder:
            y = layer(y, memory, self_mask, padding_mask(source, self.config.pad))
        return y @ self.embed.tokens.weight.T          # logits over the shared vocabulary

    def forward(self, source, target):
        return self.decode(target, self.encode(source), source)

    @torch.no_grad()
    def greedy_decode(self, source, bos, eos, max_len):
        """Generate one token at a time, each time the most probable, until EOS or `max_len`."""
        memory = self.encode(source)
        out = torch.full((source.size(0), 1), bos, dtype=torch.long, device=source.device)
        done = torch.zeros(source.size(0), dtype=torch.bool, device=source.device)
        for _ in range(max_len - 1):
            next_token = self.decode(out, memory, source)[:, -1].argmax(-1)
            next_token = next_token.masked_fill(done, self.config.pad)
            out = torch.cat([out, next_token[:, None]], dim=1)
            done |= next_token == eos
            if done.all():
                break
        return out


class SequenceTagger(nn.Module):
    """An encoder that labels every position of a padded sequence: embeddings and positional
    encoding, `layers` post-norm encoder layers with the chosen normalisation, a linear head."""

    def __init__(self, vocab_size, n_labels, layers=2, d_model=64, heads=4, d_ff=128, dropout=0.0,
                 norm="layer", max_len=256, pad=0):
        super().__init__()
        self.pad = pad
        self.embed = Embedding(vocab_size, d_model, max_len, dropout)
        self.layers = nn.ModuleList(EncoderLayer(d_model, heads, d_ff, dropout, norm)
                                    for _ in range(layers))
        self.head = nn.Linear(d_model, n_labels)

    def forward(self, tokens):
        keep = tokens != self.pad
        x = self.embed(tokens)
        for layer in self.layers:
            x = layer(x, padding_mask(tokens, self.pad), keep)
        return self.head(x)


def tagging_step(model, batch):
    """Cross-entropy over the real tokens; token error and whole-sequence accuracy."""
    tokens, labels = batch[:2]
    logits = model(tokens).float()
    keep = tokens != model.pad
    right = (logits.argmax(-1) == labels) | ~keep
    return {"loss": F.cross_entropy(logits[keep], labels[keep]),
            "token_error": 1 - right[keep].float().mean(),
            "sequence_accuracy": right.all(1).float().mean()}


def transformer_schedule(d_model, warmup):
    """Equation 3 as a factor of a base learning rate of 1:
    lrate = d_model^-0.5 * min(step^-0.5, step * warmup^-1.5), steps counted from 1."""
    def factor(step):
        step += 1
        return d_model ** -0.5 * min(step ** -0.5, step * warmup ** -1.5)
    return factor


def seq2seq_step(model, batch, label_smoothing=0.1):
    """Teacher forcing: the decoder reads the target shifted right and predicts every next
    token; cross-entropy with label smoothing over the real tokens, and the token error."""
    source, target = batch[:2]
    logits = model(source, target[:, :-1]).float()
    expected = target[:, 1:]
    keep = expected != model.config.pad
    loss = F.cross_entropy(logits[keep], expected[keep], label_smoothing=label_smoothing)
    return {"loss": loss, "token_error": (logits.argmax(-1) != expected)[keep].float().mean()}


@torch.no_grad()
def exact_match(model, source, target, bos, eos):
    """Share of sequences whose greedy decoding equals the target exactly, per sequence."""
    out = model.eval().greedy_decode(source, bos, eos, max_len=target.size(1))
    padded = torch.full_like(target, model.config.pad)
    padded[:, :out.size(1)] = out[:, :target.size(1)]
    return (padded == target).all(1)


@contextmanager
def batch_statistics_drift(model):
    """Record, at every training forward pass, how far each BatchNorm layer's batch mean and
    variance are from its running estimates (mean squared distance per feature), as Shen et al.
    (2020, Fig 2) measure it. Yields a list that fills with {"layer", "mean", "variance"}."""
    records, handles = [], []

    def hook(name):
        def record(module, inputs):
            if not module.training:
                return
            x, keep = inputs[0], (inputs[1] if len(inputs) > 1 else None)
            if isinstance(module, SequenceBatchNorm):
                x = x[keep] if module.real_tokens_only and keep is not None else x.flatten(0, 1)
            else:                      # BatchNorm2d: (B, C, H, W) -> (B*H*W, C)
                x = x.transpose(0, 1).flatten(1).T
            mean, var = x.mean(0), x.var(0, unbiased=False)
            records.append({"layer": name,
                            "mean": (mean - module.running_mean).pow(2).mean().item(),
                            "variance": (var - module.running_var).pow(2).mean().item()})
        return record

    for name, module in model.named_modules():
        if isinstance(module, nn.modules.batchnorm._BatchNorm):
            handles.append(module.register_forward_pre_hook(hook(name)))
    try:
        yield records
    finally:
        for handle in handles:
            handle.remove()
