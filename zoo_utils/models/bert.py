"""BERT (Devlin et al., 2019) in the paper's order: the input representation as the sum of
token, segment and position embeddings (§3, Fig 2), a stack of the Transformer's post-norm
encoder layers with GELU (§3, "Model Architecture"), the masked-LM corruption of §3.1 (Task #1)
and the two pre-training heads, masked LM and next-sentence prediction (Task #2).

The encoder layers are the Transformer chapter's `EncoderLayer`, not a copy; with
`causal=True` the same model becomes the left-to-right LM of the paper's Table 5 ablation.
"""

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from .transformer import EncoderLayer, causal_mask, last_real, padding_mask


@dataclass(frozen=True)
class BertConfig:
    vocab_size: int = 30522     # WordPiece
    layers: int = 12            # L
    d_model: int = 768          # H
    heads: int = 12             # A
    d_ff: int = 3072            # 4H
    max_len: int = 512
    segments: int = 2           # sentence A and sentence B
    dropout: float = 0.1
    pad: int = 0
    causal: bool = False        # True: a left-to-right LM of the same shape (Table 5, "LTR")


BASE = BertConfig()
LARGE = BertConfig(layers=24, d_model=1024, heads=16, d_ff=4096)

EPS = 1e-12                     # BERT's LayerNorm epsilon


class BertEmbedding(nn.Module):
    """Fig 2: token + segment + position embeddings (all learned), then LayerNorm and dropout."""

    def __init__(self, c):
        super().__init__()
        self.tokens = nn.Embedding(c.vocab_size, c.d_model)
        self.segments = nn.Embedding(c.segments, c.d_model)
        self.positions = nn.Embedding(c.max_len, c.d_model)
        self.norm = nn.LayerNorm(c.d_model, eps=EPS)
        self.dropout = nn.Dropout(c.dropout)

    def forward(self, tokens, segments):
        positions = torch.arange(tokens.size(1), device=tokens.device)
        x = self.tokens(tokens) + self.segments(segments) + self.positions(positions)
        return self.dropout(self.norm(x))


class Bert(nn.Module):
    """The encoder: embeddings, L post-norm layers with GELU, and the pooler (a tanh layer on
    the [CLS] position) that the sentence-level tasks read."""

    def __init__(self, config=BASE):
        super().__init__()
        c = self.config = config
        self.embed = BertEmbedding(c)
        self.layers = nn.ModuleList(
            EncoderLayer(c.d_model, c.heads, c.d_ff, c.dropout, activation=nn.GELU, eps=EPS)
            for _ in range(c.layers))
        self.pooler = nn.Linear(c.d_model, c.d_model)
        self.apply(init_weights)

    def attention_mask(self, tokens):
        mask = padding_mask(tokens, self.config.pad)
        return mask & causal_mask(tokens.size(1), tokens.device) if self.config.causal else mask

    def forward(self, tokens, segments=None):
        """Hidden states (B, n, H) and the pooled [CLS] vector (B, H)."""
        if segments is None:
            segments = torch.zeros_like(tokens)
        x, mask = self.embed(tokens, segments), self.attention_mask(tokens)
        for layer in self.layers:
            x = layer(x, mask)
        return x, torch.tanh(self.pooler(x[:, 0]))


def init_weights(module, std=0.02):
    """BERT's (and GPT's) initialisation: N(0, 0.02) weights, zero biases."""
    if isinstance(module, (nn.Linear, nn.Embedding)):
        nn.init.normal_(module.weight, std=std)
    if isinstance(module, nn.Linear) and module.bias is not None:
        nn.init.zeros_(module.bias)


class BertPretraining(nn.Module):
    """The two pre-training tasks on top of the encoder: masked LM (a dense-GELU-LayerNorm
    transform, then the token embeddings reused as the output layer, plus a bias) and
    next-sentence prediction (a two-way classifier on the pooled [CLS])."""

    def __init__(self, config=BASE):
        super().__init__()
        c = config
        self.bert = Bert(c)
        self.transform = nn.Sequential(nn.Linear(c.d_model, c.d_model), nn.GELU(),
                                       nn.LayerNorm(c.d_model, eps=EPS))
        self.mlm_bias = nn.Parameter(torch.zeros(c.vocab_size))
        self.nsp = nn.Linear(c.d_model, 2)
        self.transform.apply(init_weights)
        self.nsp.apply(init_weights)

    def forward(self, tokens, segments=None):
        """Masked-LM logits (B, n, vocab) and next-sentence logits (B, 2)."""
        hidden, pooled = self.bert(tokens, segments)
        mlm = self.transform(hidden) @ self.bert.embed.tokens.weight.T + self.mlm_bias
        return mlm, self.nsp(pooled)


def mask_tokens(tokens, mask_id, vocab_size, special, p=0.15, generator=None):
    """§3.1, Task #1: choose 15% of the (non-special) tokens as prediction targets; of those,
    replace 80% with [MASK], 10% with a random token, and leave 10% unchanged.
    Returns the corrupted tokens and the labels (-100 where nothing is predicted)."""
    u = lambda: torch.rand(tokens.shape, generator=generator, device=tokens.device)
    candidate = ~torch.isin(tokens, torch.as_tensor(special, device=tokens.device))
    chosen = candidate & (u() < p)
    action = u()
    to_mask = chosen & (action < 0.8)
    to_random = chosen & (action >= 0.8) & (action < 0.9)
    random_tokens = torch.randint(vocab_size, tokens.shape, generator=generator, device=tokens.device)
    corrupted = torch.where(to_mask, mask_id, torch.where(to_random, random_tokens, tokens))
    labels = torch.where(chosen, tokens, -100)
    return corrupted, labels


def pretraining_step(model, batch, mask_id, special, nsp=True):
    """One batch of (tokens, segments, is_next) for a `BertPretraining`: corrupt the tokens as
    §3.1 says (afresh at every step), then the masked-LM cross-entropy over the chosen tokens,
    plus the next-sentence cross-entropy when `nsp` (§A.2 sums the two)."""
    tokens, segments, is_next = batch[:3]
    corrupted, labels = mask_tokens(tokens, mask_id, model.bert.config.vocab_size, special)
    mlm_logits, nsp_logits = model(corrupted, segments)
    chosen = labels != -100
    mlm = F.cross_entropy(mlm_logits[chosen].float(), labels[chosen])
    out = {"loss": mlm, "mlm_loss": mlm,
           "mlm_accuracy": (mlm_logits[chosen].argmax(-1) == labels[chosen]).float().mean()}
    if nsp:
        out["nsp_loss"] = F.cross_entropy(nsp_logits.float(), is_next)
        out["nsp_accuracy"] = (nsp_logits.argmax(-1) == is_next).float().mean()
        out["loss"] = mlm + out["nsp_loss"]
    return out


def left_to_right_step(model, batch):
    """The same batches for a `BertPretraining` with `causal=True`: predict every next real
    token from the ones before it (the "LTR" model of Table 5, without NSP)."""
    tokens, segments = batch[:2]
    logits, _ = model(tokens, segments)
    targets = tokens[:, 1:]
    real = targets != model.bert.config.pad
    loss = F.cross_entropy(logits[:, :-1][real].float(), targets[real])
    return {"loss": loss, "lm_loss": loss}


def hf_bert_weights(model, reference):
    """Copy a Hugging Face `BertModel`'s weights into our `Bert` of the same config."""
    e, theirs_e = model.embed, reference.embeddings
    with torch.no_grad():
        e.tokens.weight.copy_(theirs_e.word_embeddings.weight)
        e.segments.weight.copy_(theirs_e.token_type_embeddings.weight)
        e.positions.weight.copy_(theirs_e.position_embeddings.weight)
        e.norm.load_state_dict(theirs_e.LayerNorm.state_dict())
        for ours, theirs in zip(model.layers, reference.encoder.layer):
            attention = theirs.attention
            for mine, their in [(ours.attention.w_q, attention.self.query),
                                (ours.attention.w_k, attention.self.key),
                                (ours.attention.w_v, attention.self.value),
                                (ours.attention.w_o, attention.output.dense),
                                (ours.norm1, attention.output.LayerNorm),
                                (ours.feed_forward[0], theirs.intermediate.dense),
                                (ours.feed_forward[3], theirs.output.dense),
                                (ours.norm2, theirs.output.LayerNorm)]:
                mine.load_state_dict(their.state_dict())
        model.pooler.load_state_dict(reference.pooler.dense.state_dict())
    return model


class SequenceClassifier(nn.Module):
    """§3.2: fine-tuning adds one output layer and trains everything. A bidirectional model
    classifies from the pooled [CLS]; a left-to-right one from its last real token, the only
    position that has read the whole input."""

    def __init__(self, bert, classes, dropout=0.1):
        super().__init__()
        self.bert = bert
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(bert.config.d_model, classes)

    def forward(self, tokens, segments=None):
        hidden, pooled = self.bert(tokens, segments)
        if self.bert.config.causal:
            pooled = last_real(hidden, tokens, self.bert.config.pad)
        return self.head(self.dropout(pooled))


def classification_step(model, batch):
    """Cross-entropy and accuracy of a `SequenceClassifier` on (tokens, segments, labels)."""
    tokens, segments, labels = batch[:3]
    logits = model(tokens, segments).float()
    return {"loss": F.cross_entropy(logits, labels),
            "accuracy": (logits.argmax(-1) == labels).float().mean()}
