"""The Transformer's pieces against PyTorch's own modules with copied weights, its sizes against
the paper's, and the properties the paper gives for its choices."""

import pytest
import torch
from torch import nn

from zoo_utils.models import count_parameters
from zoo_utils.models import transformer as T

torch.manual_seed(0)


def copy_attention(ours, reference):
    """nn.MultiheadAttention keeps W_Q, W_K, W_V stacked in one in_proj matrix."""
    with torch.no_grad():
        reference.in_proj_weight.copy_(torch.cat([ours.w_q.weight, ours.w_k.weight, ours.w_v.weight]))
        reference.in_proj_bias.copy_(torch.cat([ours.w_q.bias, ours.w_k.bias, ours.w_v.bias]))
        reference.out_proj.weight.copy_(ours.w_o.weight)
        reference.out_proj.bias.copy_(ours.w_o.bias)


@pytest.mark.parametrize("keep_weights", [True, False])
def test_multi_head_attention_matches_pytorch_with_causal_and_padding_masks(keep_weights):
    d, h, n = 32, 4, 7
    ours, reference = T.MultiHeadAttention(d, h).eval(), nn.MultiheadAttention(d, h, batch_first=True).eval()
    copy_attention(ours, reference)
    ours.keep_weights = keep_weights
    x, memory = torch.randn(3, n, d), torch.randn(3, n + 2, d)
    # causal self-attention; PyTorch's boolean masks mean "blocked", ours "allowed"
    expected, _ = reference(x, x, x, attn_mask=~T.causal_mask(n))
    torch.testing.assert_close(ours(x, x, x, T.causal_mask(n)), expected)
    # attention over a padded memory: the last three keys of sequence 0 are padding
    tokens = torch.ones(3, n + 2, dtype=torch.long)
    tokens[0, -3:] = 0
    expected, weights = reference(x, memory, memory, key_padding_mask=tokens == 0)
    torch.testing.assert_close(ours(x, memory, memory, T.padding_mask(tokens)), expected)
    if keep_weights:
        torch.testing.assert_close(ours.weights.mean(1), weights)       # averaged over heads
        assert (ours.weights[0, ..., -3:] == 0).all()


def copy_layer(ours, reference, decoder=False):
    attentions = [("self_attention", "self_attn"), ("cross_attention", "multihead_attn")] if decoder \
        else [("attention", "self_attn")]
    for mine, theirs in attentions:
        copy_attention(getattr(ours, mine), getattr(reference, theirs))
    with torch.no_grad():
        for mine, theirs in [(ours.feed_forward[0], reference.linear1), (ours.feed_forward[3], reference.linear2),
                             (ours.norm1, reference.norm1), (ours.norm2, reference.norm2)] + \
                            ([(ours.norm3, reference.norm3)] if decoder else []):
            theirs.weight.copy_(mine.weight)
            theirs.bias.copy_(mine.bias)


@pytest.mark.parametrize("pre_norm", [False, True])
def test_encoder_layer_matches_pytorch(pre_norm):
    ours = T.EncoderLayer(32, 4, 64, pre_norm=pre_norm).eval()
    reference = nn.TransformerEncoderLayer(32, 4, 64, batch_first=True, norm_first=pre_norm).eval()
    copy_layer(ours, reference)
    x = torch.randn(2, 6, 32)
    tokens = torch.tensor([[5, 5, 5, 5, 0, 0], [5] * 6])
    expected = reference(x, src_key_padding_mask=tokens == 0)
    got = ours(x, T.padding_mask(tokens))
    torch.testing.assert_close(got[tokens != 0], expected[tokens != 0])


def test_decoder_layer_matches_pytorch():
    ours, reference = T.DecoderLayer(32, 4, 64).eval(), nn.TransformerDecoderLayer(32, 4, 64, batch_first=True).eval()
    copy_layer(ours, reference, decoder=True)
    y, memory = torch.randn(2, 5, 32), torch.randn(2, 8, 32)
    expected = reference(y, memory, tgt_mask=~T.causal_mask(5), tgt_is_causal=False)
    torch.testing.assert_close(ours(y, memory, T.causal_mask(5)), expected)


def test_base_and_big_sizes_against_the_paper():
    """Shared 37,000-token vocabulary, one embedding matrix reused by the pre-softmax layer."""
    with torch.device("meta"):
        base, big = count_parameters(T.Transformer(T.BASE)), count_parameters(T.Transformer(T.BIG))
    assert base == 63_082_496 and abs(base / 65e6 - 1) < 0.035     # paper: 65M
    assert big == 214_245_376 and abs(big / 213e6 - 1) < 0.01      # paper: 213M


def test_a_fixed_offset_is_a_linear_map_of_the_encoding():
    """§3.5's reason for sinusoids: PE(pos + k) is a linear function of PE(pos), the same for
    every position, a rotation of each (sin, cos) pair."""
    pe = T.sinusoidal_encoding(300, 64)
    for k in [1, 7, 40]:
        torch.testing.assert_close(pe[:300 - k] @ T.offset_map(k, 64), pe[k:], atol=2e-4, rtol=0)
    assert not torch.allclose(pe[:-1] @ T.offset_map(2, 64), pe[1:], atol=1e-2)


def test_batch_norm_over_real_tokens_ignores_padding():
    norm = T.SequenceBatchNorm(8, real_tokens_only=True).train()
    x = torch.randn(4, 6, 8)
    keep = torch.ones(4, 6, dtype=torch.bool)
    keep[0, 3:] = False
    padded = x.clone()
    padded[~keep] = 100.0                      # whatever sits in the padding
    torch.testing.assert_close(norm(x, keep)[keep], norm(padded, keep)[keep])
    everything = T.SequenceBatchNorm(8).train()
    assert not torch.allclose(everything(x, keep)[keep], everything(padded, keep)[keep])


def test_transformer_trains_a_step_and_decodes_greedily():
    config = T.TransformerConfig(vocab_size=12, layers=2, d_model=16, d_ff=32, heads=2, max_len=20)
    model = T.Transformer(config)
    source = torch.randint(3, 12, (4, 6))
    target = torch.cat([torch.ones(4, 1, dtype=torch.long), source, torch.full((4, 1), 2)], 1)
    logits = model(source, target[:, :-1])
    assert logits.shape == (4, 7, 12)
    nn.functional.cross_entropy(logits.flatten(0, 1), target[:, 1:].flatten()).backward()
    assert model.embed.tokens.weight.grad is not None
    out = model.eval().greedy_decode(source, bos=1, eos=2, max_len=9)
    assert out.shape[0] == 4 and out.shape[1] <= 9 and (out[:, 0] == 1).all()


def test_schedule_warms_up_then_decays_as_in_equation_3():
    factor = T.transformer_schedule(512, 4000)
    rates = [factor(s) for s in range(20000)]
    peak = max(range(20000), key=rates.__getitem__)
    assert peak == 3999 and rates[peak] == pytest.approx(512 ** -0.5 * 4000 ** -0.5)
    assert rates[15999] == pytest.approx(rates[3999] / 2)        # step^-0.5: 4x steps, half the rate


def test_batch_statistics_drift_is_recorded_for_sequences_and_images():
    tagger = T.SequenceTagger(10, 10, layers=1, d_model=8, heads=2, d_ff=16, norm="batch")
    cnn = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4))
    with T.batch_statistics_drift(tagger) as seq, T.batch_statistics_drift(cnn) as img:
        tagger(torch.randint(1, 10, (4, 6)))
        cnn(torch.randn(2, 3, 8, 8))
    assert len(seq) == 2 and len(img) == 1 and all(r["mean"] >= 0 for r in seq + img)
    assert img[0]["variance"] > 0


def test_gpu_profile_models_build_and_take_a_step_on_tiny_inputs():
    """The page's gpu profile (base width, six layers) on a handful of short sequences."""
    from zoo_utils import profiles, train
    from zoo_utils.data import sequences
    cfg = profiles.get("transformer", "gpu")
    task = sequences.make_task(cfg.lnbn_task, 4, (3, 5))
    tagger = T.SequenceTagger(task.vocab_size, task.vocab_size, cfg.lnbn_layers, cfg.lnbn_d_model,
                              cfg.lnbn_heads, 2 * cfg.lnbn_d_model, norm="batch-real")
    optimizer = torch.optim.Adam(tagger.parameters(), lr=cfg.lnbn_lr)
    history = train.fit(tagger, task.aligned(), epochs=1, optimizer=optimizer, step=T.tagging_step,
                        batch_size=4, device="cpu", progress=False)
    assert history.train_loss.notna().all()
    s2s = T.Transformer(T.TransformerConfig(vocab_size=task.vocab_size, layers=cfg.s2s_layers,
                                            d_model=cfg.s2s_d_model, d_ff=4 * cfg.s2s_d_model,
                                            heads=cfg.s2s_heads, max_len=16))
    step = T.seq2seq_step(s2s, (task.source, task.target))
    step["loss"].backward()
    assert torch.isfinite(step["loss"])
