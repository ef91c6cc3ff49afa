"""GPT-1 and GPT-2 against Hugging Face's with copied weights (built from configs: nothing is
downloaded), the sizes tables against the papers', and the causal mask."""

import pytest
import torch
from transformers import GPT2Config, GPT2Model, OpenAIGPTConfig, OpenAIGPTModel

from zoo_utils.models import count_parameters
from zoo_utils.models import gpt as G

torch.manual_seed(0)
SMALL = G.GPTConfig(vocab_size=100, layers=2, d_model=32, heads=4, max_len=16)


def test_gpt2_small_has_hugging_faces_parameters_and_outputs_with_copied_weights():
    reference = GPT2Model(GPT2Config()).eval()
    ours = G.GPT(G.GPT2["117M"]).eval()
    assert count_parameters(ours) == count_parameters(reference) == 124_439_808
    G.hf_gpt_weights(ours, reference)
    ids = torch.randint(0, 50257, (2, 10))
    with torch.no_grad():
        expected = reference(ids).last_hidden_state
        torch.testing.assert_close(ours.hidden(ids), expected, atol=1e-4, rtol=1e-4)
    assert expected.std() > 0.1


def test_gpt1_matches_hugging_faces_openai_gpt():
    config = G.GPTConfig(**{**G.GPT1.__dict__, "vocab_size": 100, "layers": 2})
    reference = OpenAIGPTModel(OpenAIGPTConfig(vocab_size=100, n_layer=2)).eval()
    ours = G.GPT(config).eval()
    assert count_parameters(ours) == count_parameters(reference)
    G.hf_gpt_weights(ours, reference)
    ids = torch.randint(0, 100, (2, 12))
    with torch.no_grad():
        torch.testing.assert_close(ours.hidden(ids), reference(ids).last_hidden_state,
                                   atol=1e-4, rtol=1e-4)
    with torch.device("meta"):
        assert count_parameters(G.GPT(G.GPT1)) == 116_534_784   # the paper's 117M


def test_a_position_never_sees_the_future():
    model = G.GPT(SMALL).eval()
    ids = torch.randint(0, 100, (1, 12))
    changed = ids.clone()
    changed[0, 7:] = (changed[0, 7:] + 1) % 100
    with torch.no_grad():
        torch.testing.assert_close(model(changed)[:, :7], model(ids)[:, :7])
        assert not torch.allclose(model(changed)[:, 7:], model(ids)[:, 7:])


def test_residual_projections_start_smaller_by_one_over_root_n():
    config = G.GPTConfig(vocab_size=100, layers=8, d_model=256, heads=4, max_len=16)
    model = G.GPT(config)
    block = model.blocks[0]
    ratio = block.attention.w_o.weight.std() / block.attention.w_q.weight.std()
    assert abs(ratio - 1 / 16 ** 0.5) < 0.01                  # N = 2 x 8 residual layers
    unscaled = G.GPT(G.GPTConfig(**{**config.__dict__, "scale_residual_init": False}))
    assert abs(unscaled.blocks[0].attention.w_o.weight.std() - 0.02) < 0.001


# GPT-2's sizes as later corrected (124M, 355M, 774M, 1558M) and GPT-3's Table 2.1
@pytest.mark.parametrize("config, millions", [
    (G.GPT2["117M"], 124), (G.GPT2["345M"], 355), (G.GPT2["762M"], 774), (G.GPT2["1542M"], 1558),
    (G.GPT3["Small"], 125), (G.GPT3["Medium"], 350), (G.GPT3["Large"], 760), (G.GPT3["XL"], 1300),
    (G.GPT3["2.7B"], 2700), (G.GPT3["6.7B"], 6700), (G.GPT3["13B"], 13000), (G.GPT3["175B"], 175000)])
def test_sizes_against_the_papers(config, millions):
    with torch.device("meta"):                                # shapes only: nothing allocated
        n = count_parameters(G.GPT(config))
        reference = GPT2Model(GPT2Config(vocab_size=config.vocab_size, n_positions=config.max_len,
                                         n_embd=config.d_model, n_layer=config.layers,
                                         n_head=config.heads))
        assert n == count_parameters(reference)
    assert abs(n / 1e6 - millions) / millions < 0.03


def test_greedy_generation_follows_the_argmax_and_sampling_the_generator():
    model = G.GPT(SMALL).eval()
    prompt = torch.randint(0, 100, (2, 3))
    out = model.generate(prompt, 5)
    assert out.shape == (2, 8) and torch.equal(out[:, :3], prompt)
    with torch.no_grad():
        assert torch.equal(model(out[:, :-1])[:, -1].argmax(-1), out[:, -1])
    sample = lambda: model.generate(prompt, 5, temperature=1.0, generator=torch.Generator().manual_seed(1))
    assert torch.equal(sample(), sample())


def test_lm_step_is_the_next_token_cross_entropy():
    model = G.GPT(SMALL).eval()
    ids = torch.randint(0, 100, (3, 9))
    loss = G.lm_step(model, (ids[:, :-1], ids[:, 1:]))["loss"]
    logits = model(ids[:, :-1])
    expected = torch.stack([torch.nn.functional.cross_entropy(logits[b, i], ids[b, i + 1])
                            for b in range(3) for i in range(8)]).mean()
    torch.testing.assert_close(loss, expected)


def test_fine_tuning_reads_the_last_real_token_and_adds_half_the_lm_loss():
    model = G.GPTClassifier(G.GPT(SMALL), 2).eval()
    tokens = torch.tensor([[1, 5, 6, 2, 0, 0], [1, 7, 8, 9, 10, 2]])
    labels = torch.tensor([0, 1])
    class_logits, lm_logits = model(tokens)
    hidden = model.gpt.hidden(tokens)
    torch.testing.assert_close(class_logits, model.head(hidden[[0, 1], [3, 5]]))
    with_aux = G.finetune_step(model, (tokens, labels))
    alone = G.finetune_step(model, (tokens, labels), aux_weight=0)
    real_lm = torch.cat([lm_logits[0, :3], lm_logits[1, :5]])
    real_next = torch.cat([tokens[0, 1:4], tokens[1, 1:6]])
    lm = torch.nn.functional.cross_entropy(real_lm, real_next)
    torch.testing.assert_close(with_aux["loss"], alone["loss"] + 0.5 * lm)


def test_gpu_profile_models_take_a_step_on_tiny_inputs():
    """Every model of the page's gpu profile, one step each on two short sequences: the corpus
    model and its classifier, the deepest post-LN and pre-LN models, the widest scaling model
    and the in-context learner."""
    from zoo_utils import profiles, train
    cfg = profiles.get("gpt", "gpu")
    vocab = cfg.vocab_size + 4
    shape = {"vocab_size": vocab, "max_len": cfg.block, "dropout": cfg.dropout}
    configs = [G.GPTConfig(layers=cfg.layers, d_model=cfg.d_model, heads=cfg.heads, pre_norm=False,
                           scale_residual_init=False, **shape),
               *[G.GPTConfig(layers=max(cfg.ln_depths), d_model=cfg.ln_d_model, heads=4, pre_norm=pre,
                             scale_residual_init=False, **shape) for pre in (False, True)],
               G.GPTConfig(layers=cfg.scaling_layers, d_model=max(cfg.scaling_widths),
                           heads=max(cfg.scaling_widths) // 32, **shape),
               G.GPTConfig(vocab_size=2 * cfg.icl_p, layers=cfg.icl_layers, d_model=cfg.icl_d_model,
                           heads=4, max_len=2 * cfg.icl_examples, dropout=0.0)]
    for config in configs:
        model = G.GPT(config)
        ids = torch.randint(0, config.vocab_size, (2, 17))
        optimizer, schedule = train.adamw_cosine(model, cfg.lr, 1, 10, weight_decay=0.01)
        loss = G.lm_step(model, (ids[:, :-1], ids[:, 1:]))["loss"]
        loss.backward()
        optimizer.step()
        schedule.step()
        assert torch.isfinite(loss)
    classifier = G.GPTClassifier(G.GPT(configs[0]), 2, pad=0)
    tokens = torch.randint(4, vocab, (2, 16))
    out = G.finetune_step(classifier, (tokens, torch.tensor([0, 1])), cfg.aux_weight)
    assert torch.isfinite(out["loss"]) and "lm_loss" in out
