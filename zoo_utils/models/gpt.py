"""The GPT family as one decoder-only model: GPT-1 (Radford et al., 2018), GPT-2 (Radford et
al., 2019) and GPT-3 (Brown et al., 2020).

A GPT is a stack of the Transformer chapter's `EncoderLayer` under a causal mask, so each
position sees only the positions before it, with learned position embeddings and the token
embeddings reused as the output layer. The three papers differ in a few switches:
GPT-1 normalises after each sub-layer (post-norm, as the original Transformer); GPT-2 moves the
LayerNorm to each sub-layer's input (pre-norm), adds a final LayerNorm, and scales the weights of
the residual projections at initialisation by 1/sqrt(N), N the number of residual layers;
GPT-3 keeps GPT-2's design and scales it up (its sparse attention layers are left out here).
"""

from dataclasses import dataclass, field
from functools import partial

import torch
import torch.nn.functional as F
from torch import nn

from .bert import init_weights
from .transformer import EncoderLayer, causal_mask, last_real, make_norm

GELU = partial(nn.GELU, approximate="tanh")   # the tanh approximation all three papers' code uses


@dataclass(frozen=True)
class GPTConfig:
    vocab_size: int = 50257     # GPT-2's byte-level BPE
    layers: int = 12
    d_model: int = 768
    heads: int = 12
    d_ff: int = field(default=None)   # None: 4 d_model
    max_len: int = 1024         # context window
    dropout: float = 0.1
    pre_norm: bool = True       # GPT-2 and GPT-3; False: GPT-1's post-norm
    scale_residual_init: bool = True   # GPT-2's 1/sqrt(N) on the residual projections
    causal: bool = True         # False: every position sees every other (Image GPT's BERT objective)
    norm: str = "layer"         # or "rms" (Image GPT): `zoo_utils.models.transformer.make_norm`
    activation: object = GELU

    def __post_init__(self):
        if self.d_ff is None:
            object.__setattr__(self, "d_ff", 4 * self.d_model)


GPT1 = GPTConfig(vocab_size=40478, max_len=512, pre_norm=False, scale_residual_init=False)

# GPT-2's four sizes (its Table 2; the parameter counts it gives were later corrected down)
GPT2 = {
    "117M": GPTConfig(),
    "345M": GPTConfig(layers=24, d_model=1024, heads=16),
    "762M": GPTConfig(layers=36, d_model=1280, heads=20),
    "1542M": GPTConfig(layers=48, d_model=1600, heads=25),
}

# GPT-3's Table 2.1: the eight models, all with a 2,048-token context and heads of 128. Two rows
# do not multiply out: XL lists 24 heads for d_model = 2,048 (16 are used) and 13B lists
# d_model = 5,140 for 40 heads (5,120 is used). Head counts do not change a parameter count.
GPT3 = {
    name: GPTConfig(layers=layers, d_model=d_model, heads=heads, max_len=2048)
    for name, layers, d_model, heads in [
        ("Small", 12, 768, 12), ("Medium", 24, 1024, 16), ("Large", 24, 1536, 16),
        ("XL", 24, 2048, 16), ("2.7B", 32, 2560, 32), ("6.7B", 32, 4096, 32),
        ("13B", 40, 5120, 40), ("175B", 96, 12288, 96)]
}


class GPT(nn.Module):
    """Token and learned position embeddings, `layers` causal blocks, a final LayerNorm when
    the blocks are pre-norm, and the token embeddings (transposed) as the output layer."""

    def __init__(self, config=GPT2["117M"]):
        super().__init__()
        c = self.config = config
        self.tokens = nn.Embedding(c.vocab_size, c.d_model)
        self.positions = nn.Embedding(c.max_len, c.d_model)
        self.dropout = nn.Dropout(c.dropout)
        self.blocks = nn.ModuleList(
            EncoderLayer(c.d_model, c.heads, c.d_ff, c.dropout, norm=c.norm, pre_norm=c.pre_norm,
                         activation=c.activation)
            for _ in range(c.layers))
        self.norm = make_norm(c.norm, c.d_model) if c.pre_norm else nn.Identity()
        self.apply(init_weights)
        if c.scale_residual_init:
            for block in self.blocks:
                for projection in (block.attention.w_o, block.feed_forward[3]):
                    nn.init.normal_(projection.weight, std=0.02 / (2 * c.layers) ** 0.5)

    def embed(self, ids):
        positions = torch.arange(ids.size(1), device=ids.device)
        return self.dropout(self.tokens(ids) + self.positions(positions))

    def residual_stream(self, x):
        """The input of every block and the output of the last one: `layers` + 1 tensors."""
        mask = causal_mask(x.size(1), x.device) if self.config.causal else None
        stream = [x]
        for block in self.blocks:
            stream.append(block(stream[-1], mask))
        return stream

    def hidden(self, ids):
        """The last layer's states (B, n, d_model); position i has seen tokens 0..i only."""
        return self.norm(self.residual_stream(self.embed(ids))[-1])

    def forward(self, ids):
        """Next-token logits (B, n, vocab)."""
        return self.hidden(ids) @ self.tokens.weight.T

    @torch.no_grad()
    def generate(self, ids, new_tokens, temperature=0.0, generator=None):
        """Extend `ids` (B, n) one token at a time: the most probable token when
        `temperature` is 0 (greedy), else a sample from softmax(logits / temperature)."""
        for _ in range(new_tokens):
            logits = self(ids[:, -self.config.max_len:])[:, -1].float()
            if temperature == 0:
                next_id = logits.argmax(-1, keepdim=True)
            else:
                probs = (logits / temperature).softmax(-1)
                next_id = torch.multinomial(probs, 1, generator=generator)
            ids = torch.cat([ids, next_id], dim=1)
        return ids


def lm_step(model, batch):
    """Next-token cross-entropy over every position of (inputs, targets) blocks
    (`zoo_utils.data.text.lm_dataset`): the pre-training objective of all three papers."""
    inputs, targets = batch[:2]
    logits = model(inputs).float()
    return {"loss": F.cross_entropy(logits.flatten(0, 1), targets.flatten())}


class GPTClassifier(nn.Module):
    """GPT-1's fine-tuning (§3.2): a linear layer on the last block's state at the input's last
    real token (its "extract" token), and the language-model logits kept for the auxiliary
    objective."""

    def __init__(self, gpt, classes, pad=0):
        super().__init__()
        self.gpt, self.pad = gpt, pad
        self.head = nn.Linear(gpt.config.d_model, classes)

    def forward(self, tokens):
        hidden = self.gpt.hidden(tokens)
        return self.head(last_real(hidden, tokens, self.pad)), hidden @ self.gpt.tokens.weight.T


def finetune_step(model, batch, aux_weight=0.5):
    """L3 = L2 + lambda L1 (GPT-1 eq. 5): the task's cross-entropy plus, with weight
    `aux_weight`, the language-model loss on the same inputs (real tokens only)."""
    tokens, labels = batch[0], batch[-1]
    class_logits, lm_logits = model(tokens)
    task = F.cross_entropy(class_logits.float(), labels)
    out = {"loss": task, "task_loss": task,
           "accuracy": (class_logits.argmax(-1) == labels).float().mean()}
    if aux_weight:
        real = tokens[:, 1:] != model.pad
        lm = F.cross_entropy(lm_logits[:, :-1][real].float(), tokens[:, 1:][real])
        out |= {"lm_loss": lm, "loss": task + aux_weight * lm}
    return out


def hf_gpt_weights(model, reference):
    """Copy a Hugging Face `GPT2Model` (or, for a post-norm config, `OpenAIGPTModel`) into our
    `GPT`. Their `Conv1D` layers store weights as (in, out), the transpose of `nn.Linear`'s,
    and keep W_Q, W_K, W_V side by side in one matrix."""
    openai = hasattr(reference, "tokens_embed")
    tokens = reference.tokens_embed if openai else reference.wte
    positions = reference.positions_embed if openai else reference.wpe

    def linear(ours, weight, bias):
        ours.weight.copy_(weight.T)
        ours.bias.copy_(bias)

    with torch.no_grad():
        model.tokens.weight.copy_(tokens.weight)
        model.positions.weight.copy_(positions.weight)
        for ours, theirs in zip(model.blocks, reference.h):
            a = ours.attention
            for mine, w, b in zip([a.w_q, a.w_k, a.w_v], theirs.attn.c_attn.weight.chunk(3, dim=1),
                                  theirs.attn.c_attn.bias.chunk(3)):
                linear(mine, w, b)
            linear(a.w_o, theirs.attn.c_proj.weight, theirs.attn.c_proj.bias)
            linear(ours.feed_forward[0], theirs.mlp.c_fc.weight, theirs.mlp.c_fc.bias)
            linear(ours.feed_forward[3], theirs.mlp.c_proj.weight, theirs.mlp.c_proj.bias)
            ours.norm1.load_state_dict(theirs.ln_1.state_dict())
            ours.norm2.load_state_dict(theirs.ln_2.state_dict())
        if not openai:
            model.norm.load_state_dict(reference.ln_f.state_dict())
    return model
