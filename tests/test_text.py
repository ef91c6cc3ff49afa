"""Offline text: the corpus and its split, tokenizers and their cache, synthetic tasks."""

import pytest
import torch

from zoo_utils import data
from zoo_utils.data import sequences, text


def test_corpus_is_real_prose_split_by_document():
    train, validation = text.split("python-prose", "train"), text.split("python-prose", "validation")
    assert sum(len(d.text) for d in train + validation) > 400_000
    assert not {d.title for d in train} & {d.title for d in validation}
    assert 0.04 < len(validation) / (len(train) + len(validation)) < 0.2
    assert [d.title for d in text.split("python-prose", "validation")] == [d.title for d in validation]
    assert "the" in text.text("pydoc-topics", "validation").split()


def test_unknown_corpus_and_split_are_refused():
    with pytest.raises(ValueError, match="python-prose"):
        text.documents("wikipedia")
    with pytest.raises(ValueError, match="validation"):
        text.split("python-prose", "dev")
    with pytest.raises(ValueError, match="text corpus"):
        data.load("pydoc-topics")


def test_char_tokenizer_round_trips():
    tok = text.tokenizer("char", "pydoc-topics")
    sample = text.text("pydoc-topics", "validation")[:2000]
    assert tok.decode(tok.encode(sample)).replace("\0", "?") == "".join(
        c if c in tok.index else "?" for c in sample)


def test_bpe_is_trained_once_cached_and_retrained_when_damaged(tmp_path):
    tok = text.tokenizer("bpe", "pydoc-topics", vocab_size=512, root=tmp_path)
    cached = list((tmp_path / "tokenizers").glob("pydoc-topics-bpe512-*.json"))
    assert len(cached) == 1 and tok.vocab_size == 512
    sample = text.text("pydoc-topics", "validation")[:3000]
    ids = tok.encode(sample)
    assert tok.decode(ids) == sample and len(ids) < len(sample) / 1.5   # subwords, lossless
    stamp = cached[0].stat().st_mtime_ns
    assert text.tokenizer("bpe", "pydoc-topics", 512, tmp_path).encode(sample) == ids
    assert cached[0].stat().st_mtime_ns == stamp                         # loaded, not retrained
    cached[0].write_text("{ damaged")
    assert text.tokenizer("bpe", "pydoc-topics", 512, tmp_path).encode(sample) == ids
    text.tokenizer("bpe", "pydoc-topics", 300, tmp_path)
    assert len(list((tmp_path / "tokenizers").glob("*.json"))) == 2      # one per vocabulary size


class WordIds:
    """A stand-in tokenizer: one id per word, by the word's length (no training needed)."""

    def encode(self, string):
        return [min(len(w), 50) for w in string.split()]


def test_sentence_pairs_are_half_next_half_random_from_other_documents():
    docs = [text.Document(f"d{i}", "\n\n".join(" ".join(["w" * (i + 1)] * (6 + j)) for j in range(5)))
            for i in range(40)]                     # document i: words of length i + 1 only
    tokens, segments, is_next = text.sentence_pairs(docs, WordIds(), max_len=24, seed=0).tensors
    assert tokens.shape == segments.shape == (40 * 4, 24)
    assert 0.4 < is_next.float().mean() < 0.6
    for row, seg, label in zip(tokens, segments, is_next):
        real = row[row != text.PAD]
        assert real[0] == text.CLS and real[-1] == text.SEP and (real == text.SEP).sum() == 2
        a, b = real[seg[:len(real)] == 0][1:-1], real[seg[:len(real)] == 1][:-1]
        assert len(set(a.tolist())) == len(set(b.tolist())) == 1
        assert (a[0] == b[0]) == bool(label)        # the same document exactly when B is next
    assert (segments[tokens == text.PAD] == 0).all()


def test_paragraph_sources_label_each_paragraph_by_its_document():
    docs = [text.Document("topic:a", "one two three four five six\n\nshort\n\n" + "x " * 90),
            text.Document("module:b", "seven eight nine ten eleven twelve")]
    tokens, segments, labels = text.paragraph_sources(docs, WordIds(), max_len=32).tensors
    assert labels.tolist() == [0, 0, 1]                       # "short" is not a paragraph
    assert tokens.shape == (3, 32) and (segments == 0).all()
    assert (tokens[:, 0] == text.CLS).all() and tokens[2, 7] == text.SEP and tokens[1, -1] == text.SEP


def test_labelled_subset_is_stratified_and_repeatable():
    labels = torch.tensor([0] * 300 + [1] * 100)
    dataset = torch.utils.data.TensorDataset(torch.arange(400), labels)
    ids, drawn = text.labelled_subset(dataset, 40, seed=3).tensors
    assert len(ids) == 40 and drawn.sum() == 10 and torch.equal(labels[ids], drawn)
    assert torch.equal(text.labelled_subset(dataset, 40, seed=3).tensors[0], ids)
    assert not torch.equal(text.labelled_subset(dataset, 40, seed=4).tensors[0], ids)


def test_pair_tokens_fit_the_length_and_give_a_short_side_its_room():
    tokens, segments = text.pair_tokens(list(range(100)), [7, 8], max_len=16)
    assert len(tokens) == len(segments) == 16 and segments.count(1) == 3   # b, [SEP] kept whole
    tokens, segments = text.pair_tokens(list(range(100)), list(range(100)), max_len=16)
    assert segments.count(0) == 6 + 2 and segments.count(1) == 7 + 1


def test_language_model_blocks_are_shifted_by_one():
    ids = torch.arange(25)
    ds = text.lm_dataset(ids, block_size=8)
    inputs, targets = ds.tensors
    assert inputs.shape == targets.shape == (3, 8)
    assert torch.equal(targets, inputs + 1)
    with pytest.raises(ValueError, match="too few"):
        text.lm_dataset(torch.arange(5), 8)


@pytest.mark.parametrize("task", sequences.TASKS)
def test_synthetic_tasks_have_exact_answers(task):
    t = sequences.make_task(task, 200, lengths=(3, 9), seed=1)
    assert len(t) == 200 and t.lengths.min() >= 3 and t.lengths.max() <= 9
    assert (t.target[:, 0] == sequences.BOS).all()
    for source, target in zip(t.source[:50], t.target[:50]):
        given = t.decode(source).split()
        answer = t.decode(target[1:]).split()
        if task == "copy":
            assert answer == given
        elif task == "reverse":
            assert answer == given[::-1]
        elif task == "sort":
            assert answer == sorted(given, key=int)
        else:
            i = given.index("+")
            a, b = int("".join(given[:i])), int("".join(given[i + 1:]))
            assert int("".join(answer)) == a + b


def test_tasks_are_repeatable_and_lengths_can_differ_between_train_and_test():
    a, b = sequences.make_task("sort", 50, seed=3), sequences.make_task("sort", 50, seed=3)
    assert torch.equal(a.source, b.source)
    longer = sequences.make_task("sort", 50, lengths=(13, 16), seed=4)
    assert longer.lengths.min() > a.lengths.max()
    with pytest.raises(ValueError, match="reverse"):
        sequences.make_task("multiply", 10)


def test_in_context_functions_are_one_line_per_sequence_through_distinct_points():
    p = 7
    ids = sequences.in_context_functions(200, 5, p=p, seed=0)
    x, y = ids[:, 0::2], ids[:, 1::2] - p
    assert ids.shape == (200, 10) and (x < p).all() and ((y >= 0) & (y < p)).all()
    assert all(len(set(row.tolist())) == 5 for row in x)
    lines = {(a, b) for a in range(1, p) for b in range(p)}
    for xs, ys in zip(x.tolist(), y.tolist()):
        fits = [(a, b) for a, b in lines if all((a * u + b) % p == v for u, v in zip(xs, ys))]
        assert len(fits) == 1                     # two points already fix the line
    slopes = {next((a for a in range(1, p) if (a * (x[i, 1] - x[i, 0]) - (y[i, 1] - y[i, 0])) % p == 0))
              for i in range(200)}
    assert len(slopes) == p - 1                   # every slope occurs: a new function per sequence
    with pytest.raises(ValueError, match="distinct"):
        sequences.in_context_functions(1, 8, p=7)


def test_shift_functions_are_pinned_by_one_pair():
    ids = sequences.in_context_functions(100, 4, p=7, seed=1, family="shift")
    x, y = ids[:, 0::2], ids[:, 1::2] - 7
    shift = (y - x) % 7
    assert (shift == shift[:, :1]).all() and len(set(shift[:, 0].tolist())) == 7
    with pytest.raises(ValueError, match="shift"):
        sequences.in_context_functions(1, 2, family="quadratic")
