"""Synthetic sequence-to-sequence tasks with exact answers: copy, reverse, sort and addition.

Each example is a source and a target sequence of symbols; lengths are drawn from a range, so a
model can be trained on short sequences and tested on longer ones. Sequences are padded with
PAD into one tensor, and targets are wrapped in BOS ... EOS for a decoder.
"""

from dataclasses import dataclass

import torch

PAD, BOS, EOS, PLUS = 0, 1, 2, 3
SPECIALS = ["<pad>", "<bos>", "<eos>", "+"]
TASKS = ("copy", "reverse", "sort", "add")


@dataclass
class SequenceTask:
    """Padded sources (N, S) and targets (N, T) with BOS/EOS, and each source's length."""
    name: str
    source: torch.Tensor
    target: torch.Tensor
    lengths: torch.Tensor
    vocab_size: int

    def __len__(self):
        return len(self.source)

    def dataset(self):
        """(source, target with BOS/EOS, length) triples, for an encoder-decoder."""
        return torch.utils.data.TensorDataset(self.source, self.target, self.lengths)

    def aligned(self):
        """(source, label per source position, length) triples, for an encoder that tags each
        position (copy, reverse and sort, whose answers are as long as their sources)."""
        if self.name == "add":
            raise ValueError("addition's answer is not aligned with its source")
        labels = self.target[:, 1:self.source.size(1) + 1].clone()
        labels[labels == EOS] = PAD
        return torch.utils.data.TensorDataset(self.source, labels, self.lengths)

    def decode(self, ids):
        """One sequence as a string of symbols, stopping at EOS, PAD and BOS dropped."""
        out = []
        for i in ids.tolist():
            if i == EOS:
                break
            if i >= PLUS:
                out.append("+" if i == PLUS else str(i - len(SPECIALS)))
        return " ".join(out)


def _answer(task, symbols):
    if task == "copy":
        return symbols
    if task == "reverse":
        return symbols.flip(0)
    if task == "sort":
        return symbols.sort().values
    raise ValueError(task)


def _digits(number, base):
    out = []
    while True:
        number, digit = divmod(number, base)
        out.append(digit)
        if number == 0:
            return out[::-1]


def _addition(length, base, generator):
    """Two numbers of length // 2 digits, "a + b", and their sum (most significant digit first)."""
    half = max(1, (length - 1) // 2)
    a, b = (torch.randint(0, base, (half,), generator=generator).tolist() for _ in range(2))
    value = lambda ds: sum(d * base ** i for i, d in enumerate(reversed(ds)))
    source = a + [None] + b
    return source, _digits(value(a) + value(b), base)


def make_task(task, n, lengths=(4, 12), base=10, seed=0):
    """`n` examples of `task` with source lengths drawn uniformly from `lengths` (inclusive);
    symbols are 0 .. base-1 (stored as ids base + 4 offset by the specials)."""
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; choose one of {', '.join(TASKS)}")
    generator = torch.Generator().manual_seed(seed)
    offset = len(SPECIALS)
    sources, targets = [], []
    for _ in range(n):
        length = int(torch.randint(lengths[0], lengths[1] + 1, (1,), generator=generator))
        if task == "add":
            source, answer = _addition(length, base, generator)
            source = [PLUS if s is None else s + offset for s in source]
            answer = [d + offset for d in answer]
        else:
            symbols = torch.randint(0, base, (length,), generator=generator)
            source = (symbols + offset).tolist()
            answer = (_answer(task, symbols) + offset).tolist()
        sources.append(source)
        targets.append([BOS] + answer + [EOS])
    return SequenceTask(task, _pad(sources), _pad(targets),
                        torch.tensor([len(s) for s in sources]), base + offset)


def _pad(sequences):
    out = torch.full((len(sequences), max(map(len, sequences))), PAD, dtype=torch.long)
    for i, s in enumerate(sequences):
        out[i, :len(s)] = torch.tensor(s)
    return out


def in_context_functions(n, examples, p=11, seed=0, family="affine"):
    """Sequences for in-context learning (after GPT-3 §2 and Garg et al. 2022): each sequence
    draws its own function y = (a x + b) mod p, a != 0 and p prime, and shows `examples` pairs
    x_1 y_1 x_2 y_2 ... with distinct random x. The function is new in every sequence, so the
    only way to predict y_i is to infer it from the pairs before it: none give nothing (chance
    is 1/p), one pins down a line through one point (p - 1 candidates remain), two pin it down
    exactly. `family="shift"` keeps a = 1, y = (x + b) mod p, which one pair pins down. Tokens:
    x as 0..p-1, y as p..2p-1. Returns (N, 2 * examples) token ids; the targets are the y
    positions (odd indices)."""
    if family not in ("affine", "shift"):
        raise ValueError(f"unknown family {family!r}; choose 'affine' or 'shift'")
    if examples > p:
        raise ValueError(f"at most p = {p} distinct x per sequence, asked for {examples}")
    generator = torch.Generator().manual_seed(seed)
    a = torch.randint(1, p, (n, 1), generator=generator)
    b = torch.randint(0, p, (n, 1), generator=generator)
    if family == "shift":
        a = torch.ones_like(a)
    x = torch.rand(n, p, generator=generator).argsort(1)[:, :examples]      # distinct per row
    y = (a * x + b) % p
    return torch.stack([x, y + p], dim=2).flatten(1)
