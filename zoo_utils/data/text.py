"""Text that works offline: an English corpus shipped with Python, tokenizers trained on it, and
language-model batches.

The corpus is prose that every Python installation carries: the reference documentation's topics
(`pydoc_data.topics`, about 0.46 MB) and the docstrings of a fixed list of standard-library
modules. Each topic or module is one document; ranked by a hash of their titles, every tenth
document goes to validation, so the split never cuts a document in two and does not depend on
the order the documents were read in. A byte-level BPE tokenizer (GPT-2's kind, via Hugging Face `tokenizers`) is trained on the
training split and cached under the data root, keyed by the corpus and vocabulary size; a
character-level tokenizer is the simple alternative.
"""

import hashlib
import importlib
import inspect
from dataclasses import dataclass
from pathlib import Path

import torch

from .core import default_root, stratified_split

CORPORA = ("pydoc-topics", "stdlib-docstrings", "python-prose")
STDLIB_MODULES = (
    "abc argparse array asyncio base64 bisect calendar collections configparser contextlib copy "
    "csv dataclasses datetime decimal difflib email enum fractions functools glob gzip hashlib "
    "heapq hmac html http inspect io itertools json logging math mimetypes multiprocessing "
    "operator os pathlib pickle pprint queue random re sched secrets shelve shutil socket "
    "sqlite3 statistics string struct subprocess tarfile tempfile textwrap threading timeit "
    "tokenize traceback typing unittest urllib uuid warnings weakref xml zipfile zlib").split()
VALIDATION_EVERY = 10          # one document in ten, ranked by a hash of its title


@dataclass(frozen=True)
class Document:
    title: str
    text: str


def pydoc_topics():
    """The Python reference documentation's topics, one document each."""
    from pydoc_data.topics import topics
    return [Document(f"topic:{name}", text) for name, text in sorted(topics.items())]


def stdlib_docstrings():
    """One document per standard-library module: its docstring and those of its public classes
    and functions."""
    documents = []
    for name in STDLIB_MODULES:
        module = importlib.import_module(name)
        parts = [inspect.getdoc(module) or ""]
        for attr in sorted(dir(module)):
            obj = getattr(module, attr, None)
            if attr.startswith("_") or not (inspect.isclass(obj) or inspect.isfunction(obj)):
                continue
            if getattr(obj, "__module__", None) == name and inspect.getdoc(obj):
                parts.append(inspect.getdoc(obj))
        body = "\n\n".join(p for p in parts if p)
        if body:
            documents.append(Document(f"module:{name}", body))
    return documents


def documents(name="python-prose"):
    """All documents of corpus `name` (one of CORPORA)."""
    if name == "pydoc-topics":
        return pydoc_topics()
    if name == "stdlib-docstrings":
        return stdlib_docstrings()
    if name == "python-prose":
        return pydoc_topics() + stdlib_docstrings()
    raise ValueError(f"unknown corpus {name!r}; offline corpora: {', '.join(CORPORA)}")


def split(name="python-prose", which="train"):
    """The documents of one split, "train" or "validation", split by document."""
    if which not in ("train", "validation"):
        raise ValueError(f"unknown split {which!r}; choose 'train' or 'validation'")
    docs = documents(name)
    ranked = sorted(docs, key=lambda d: hashlib.sha256(d.title.encode()).hexdigest())
    held_out = {d.title for d in ranked[::VALIDATION_EVERY]}
    return [d for d in docs if (d.title in held_out) == (which == "validation")]


def text(name="python-prose", which="train"):
    """One split of the corpus as one string, documents separated by blank lines."""
    return "\n\n".join(d.text for d in split(name, which))


def fingerprint(name="python-prose"):
    """Hash of the corpus's training text: a cached tokenizer is reused only while it matches."""
    return hashlib.sha256(text(name, "train").encode()).hexdigest()[:16]


class CharTokenizer:
    """Every character of the training text is a token; unseen characters map to token 0."""

    def __init__(self, training_text):
        self.chars = ["\0"] + sorted(set(training_text) - {"\0"})
        self.index = {c: i for i, c in enumerate(self.chars)}

    @property
    def vocab_size(self):
        return len(self.chars)

    def encode(self, string):
        return [self.index.get(c, 0) for c in string]

    def decode(self, ids):
        return "".join(self.chars[i] for i in ids)


class BPETokenizer:
    """Byte-level BPE (GPT-2's scheme) trained with Hugging Face `tokenizers`."""

    def __init__(self, hf_tokenizer):
        self.hf = hf_tokenizer

    @property
    def vocab_size(self):
        return self.hf.get_vocab_size()

    def encode(self, string):
        return self.hf.encode(string).ids

    def decode(self, ids):
        return self.hf.decode(list(ids))


def tokenizer(kind="bpe", corpus="python-prose", vocab_size=2048, root=None):
    """A tokenizer for `corpus`: "bpe" (trained once, cached under `root`/tokenizers and
    retrained only when the corpus or vocabulary size changes) or "char"."""
    if kind == "char":
        return CharTokenizer(text(corpus, "train"))
    if kind != "bpe":
        raise ValueError(f"unknown tokenizer {kind!r}; choose 'bpe' or 'char'")
    from tokenizers import ByteLevelBPETokenizer, Tokenizer

    cache = (Path(root or default_root()) / "tokenizers" /
             f"{corpus}-bpe{vocab_size}-{fingerprint(corpus)}.json")
    if cache.exists():
        try:
            return BPETokenizer(Tokenizer.from_file(str(cache)))
        except Exception:              # a damaged cache file: train afresh
            cache.unlink(missing_ok=True)
    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator([d.text for d in split(corpus, "train")], vocab_size=vocab_size,
                            min_frequency=2, show_progress=False)
    cache.parent.mkdir(parents=True, exist_ok=True)
    partial = cache.with_suffix(".tmp")
    bpe.save(str(partial))
    partial.replace(cache)                  # never leave a half-written tokenizer behind
    return BPETokenizer(Tokenizer.from_file(str(cache)))


def encode(tok, corpus="python-prose", which="train"):
    """One split of the corpus as a 1-D tensor of token ids."""
    return torch.tensor(tok.encode(text(corpus, which)), dtype=torch.long)


def lm_dataset(ids, block_size):
    """Next-token prediction on non-overlapping blocks: inputs ids[i:i+T], targets ids[i+1:i+T+1]."""
    n = (len(ids) - 1) // block_size
    if n < 1:
        raise ValueError(f"{len(ids)} tokens are too few for blocks of {block_size}")
    inputs = ids[:n * block_size].view(n, block_size)
    targets = ids[1:n * block_size + 1].view(n, block_size)
    return torch.utils.data.TensorDataset(inputs, targets)


# Sentence pairs for BERT: [CLS] A [SEP] B [SEP], with the corpus's paragraphs as "sentences"
SPECIAL = ("[PAD]", "[CLS]", "[SEP]", "[MASK]")
PAD, CLS, SEP, MASK = range(len(SPECIAL))


def paragraphs(document, min_words=6):
    """A document's paragraphs (blank-line separated) with at least `min_words` words."""
    return [p.strip() for p in document.text.split("\n\n") if len(p.split()) >= min_words]


def pair_tokens(a, b, max_len):
    """[CLS] a [SEP] b [SEP] as ids (word ids shifted past the special tokens), each side cut to
    fit `max_len`, and the segment of every position (0 for A and its [SEP], 1 for B)."""
    room = max_len - 3
    a = a[:max(room // 2, room - len(b))]          # A keeps half the room, or more if B is short
    b = b[:room - len(a)]
    shift = lambda ids: [i + len(SPECIAL) for i in ids]
    return [CLS, *shift(a), SEP, *shift(b), SEP], [0] * (len(a) + 2) + [1] * (len(b) + 1)


def sentence_pairs(documents, tok, max_len=64, seed=0):
    """Next-sentence prediction data (BERT §3.1, Task #2): for each paragraph that has a
    successor in its document, B is that successor half of the time (is_next = 1) and a random
    paragraph of another document otherwise (0). Returns a TensorDataset of tokens (N, max_len),
    segments (N, max_len) and is_next (N,); padding is PAD."""
    generator = torch.Generator().manual_seed(seed)
    encoded = [[tok.encode(p) for p in paragraphs(d)] for d in documents]
    pool = [(i, ids) for i, doc in enumerate(encoded) for ids in doc]
    rows, segs, labels = [], [], []
    for i, doc in enumerate(encoded):
        for a, successor in zip(doc, doc[1:]):
            is_next = torch.rand((), generator=generator).item() < 0.5
            b = successor
            while not is_next:
                j, b = pool[torch.randint(len(pool), (), generator=generator).item()]
                if j != i:
                    break
            ids, seg = pair_tokens(a, b, max_len)
            rows.append(ids + [PAD] * (max_len - len(ids)))
            segs.append(seg + [0] * (max_len - len(seg)))
            labels.append(int(is_next))
    return torch.utils.data.TensorDataset(torch.tensor(rows), torch.tensor(segs), torch.tensor(labels))


SOURCES = ("topic", "module")      # the corpus's two kinds of document


def paragraph_sources(documents, tok, max_len=64):
    """A downstream task labelled without anyone: which kind of document a paragraph comes
    from, the language reference (`topic`, 0) or a module's docstrings (`module`, 1). Each
    paragraph as [CLS] paragraph [SEP], cut to `max_len`. A TensorDataset of tokens, segments
    (all 0) and labels."""
    rows, labels = [], []
    for d in documents:
        kind = SOURCES.index(d.title.split(":")[0])
        for p in paragraphs(d):
            ids = [CLS, *(i + len(SPECIAL) for i in tok.encode(p)[:max_len - 2]), SEP]
            rows.append(ids + [PAD] * (max_len - len(ids)))
            labels.append(kind)
    tokens = torch.tensor(rows)
    return torch.utils.data.TensorDataset(tokens, torch.zeros_like(tokens), torch.tensor(labels))


def labelled_subset(dataset, n, seed=0):
    """`n` examples of a TensorDataset whose last tensor holds the labels, drawn stratified by
    label, the same for the same seed: the "few labels" a downstream task is fine-tuned on."""
    keep, _ = stratified_split(dataset.tensors[-1].numpy(), n, seed)
    return torch.utils.data.TensorDataset(*(t[keep] for t in dataset.tensors))
