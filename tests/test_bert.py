"""BERT against Hugging Face's with copied weights (built from configs: nothing is downloaded),
its sizes against the paper's, and the masked-LM corruption of §3.1 measured."""

import pytest
import torch
from transformers import BertConfig as HFBertConfig
from transformers import BertForPreTraining, BertModel

from zoo_utils.models import bert as B
from zoo_utils.models import count_parameters

torch.manual_seed(0)
SMALL = B.BertConfig(vocab_size=100, layers=2, d_model=32, heads=4, d_ff=64, max_len=16)


def hf_config(c):
    return HFBertConfig(vocab_size=c.vocab_size, hidden_size=c.d_model, num_hidden_layers=c.layers,
                        num_attention_heads=c.heads, intermediate_size=c.d_ff,
                        max_position_embeddings=c.max_len, type_vocab_size=c.segments)


def test_bert_base_has_hugging_faces_parameters_and_hidden_states_with_copied_weights():
    reference = BertModel(HFBertConfig()).eval()
    ours = B.Bert(B.BASE).eval()
    assert count_parameters(ours) == count_parameters(reference) == 109_482_240   # paper: 110M
    B.hf_bert_weights(ours, reference)
    tokens = torch.randint(1, 30522, (2, 12))
    tokens[1, 8:] = 0                                        # padding at the end of sequence 1
    segments = torch.tensor([[0] * 6 + [1] * 6, [0] * 4 + [1] * 8])
    with torch.no_grad():
        expected = reference(tokens, attention_mask=(tokens != 0).long(), token_type_ids=segments)
        hidden, pooled = ours(tokens, segments)
    real = tokens != 0
    torch.testing.assert_close(hidden[real], expected.last_hidden_state[real], atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(pooled, expected.pooler_output, atol=1e-4, rtol=1e-4)
    assert expected.last_hidden_state.std() > 0.1


def test_padding_and_segments_change_what_they_should():
    model = B.Bert(SMALL).eval()
    tokens = torch.randint(1, 100, (1, 10))
    padded = torch.cat([tokens, torch.zeros(1, 4, dtype=torch.long)], 1)
    with torch.no_grad():
        torch.testing.assert_close(model(padded)[0][:, :10], model(tokens)[0])   # padding unseen
        other_segment = model(tokens, torch.ones_like(tokens))[0]
    assert not torch.allclose(other_segment, model(tokens)[0])


def test_left_to_right_variant_sees_only_the_past():
    model = B.Bert(B.BertConfig(**{**SMALL.__dict__, "causal": True})).eval()
    tokens = torch.randint(1, 100, (1, 10))
    changed = tokens.clone()
    changed[0, 6:] = torch.randint(1, 100, (4,))
    with torch.no_grad():
        torch.testing.assert_close(model(changed)[0][:, :6], model(tokens)[0][:, :6])
        bidirectional = B.Bert(SMALL).eval()
        assert not torch.allclose(bidirectional(changed)[0][:, :6], bidirectional(tokens)[0][:, :6])


def test_pretraining_heads_match_hugging_face():
    reference = BertForPreTraining(hf_config(SMALL)).eval()
    ours = B.BertPretraining(SMALL).eval()
    assert count_parameters(ours) == count_parameters(reference)
    B.hf_bert_weights(ours.bert, reference.bert)
    head = reference.cls
    with torch.no_grad():
        ours.transform[0].load_state_dict(head.predictions.transform.dense.state_dict())
        ours.transform[2].load_state_dict(head.predictions.transform.LayerNorm.state_dict())
        ours.mlm_bias.copy_(head.predictions.bias)
        ours.nsp.load_state_dict(head.seq_relationship.state_dict())
        tokens = torch.randint(1, 100, (2, 9))
        expected = reference(tokens)
        mlm, nsp = ours(tokens)
    torch.testing.assert_close(mlm, expected.prediction_logits, atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(nsp, expected.seq_relationship_logits, atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("config, millions", [(B.BASE, 110), (B.LARGE, 340)])
def test_sizes_against_the_paper_and_hugging_face(config, millions):
    with torch.device("meta"):                                # shapes only: nothing allocated
        n = count_parameters(B.Bert(config))
        assert n == count_parameters(BertModel(hf_config(config)))
    assert abs(n / 1e6 - millions) / millions < 0.015         # the paper rounds (335M for large)


def test_masked_lm_corruption_follows_section_3_1():
    generator = torch.Generator().manual_seed(0)
    special, mask_id = [0, 1, 2, 3], 3
    tokens = torch.randint(4, 1000, (400, 250), generator=generator)
    tokens[:, 0] = 1                                          # [CLS] is never chosen
    corrupted, labels = B.mask_tokens(tokens, mask_id, 1000, special, generator=generator)
    chosen = labels != -100
    assert not chosen[:, 0].any()
    assert torch.equal(labels[chosen], tokens[chosen]) and torch.equal(corrupted[~chosen], tokens[~chosen])
    share = chosen[:, 1:].float().mean()
    masked = (corrupted[chosen] == mask_id).float().mean()
    unchanged = (corrupted[chosen] == tokens[chosen]).float().mean()
    assert abs(share - 0.15) < 0.005                          # about 15,000 chosen of 99,600
    assert abs(masked - 0.8) < 0.01 and abs(unchanged - 0.1) < 0.01   # "random" hits the same token rarely


def test_pretraining_step_scores_only_the_chosen_tokens_and_adds_nsp():
    torch.manual_seed(0)
    model = B.BertPretraining(SMALL)
    tokens = torch.randint(4, 100, (8, 12))
    tokens[:, 0] = 1
    batch = (tokens, torch.zeros_like(tokens), torch.randint(2, (8,)))
    torch.manual_seed(1)
    with_nsp = B.pretraining_step(model, batch, mask_id=3, special=[0, 1, 2, 3])
    torch.manual_seed(1)
    mlm_only = B.pretraining_step(model, batch, mask_id=3, special=[0, 1, 2, 3], nsp=False)
    torch.testing.assert_close(with_nsp["loss"], mlm_only["loss"] + with_nsp["nsp_loss"])
    torch.manual_seed(1)                         # the same corruption, scored by hand
    corrupted, labels = B.mask_tokens(tokens, 3, 100, [0, 1, 2, 3])
    logits, _ = model(corrupted, batch[1])
    expected = torch.nn.functional.cross_entropy(logits.flatten(0, 1), labels.flatten())
    torch.testing.assert_close(mlm_only["loss"], expected)    # -100 ignored: visible tokens not scored


def test_left_to_right_model_predicts_each_next_real_token():
    model = B.BertPretraining(B.BertConfig(**{**SMALL.__dict__, "causal": True})).eval()
    tokens = torch.tensor([[1, 5, 6, 7, 2, 0, 0], [1, 8, 9, 2, 10, 11, 2]])
    loss = B.left_to_right_step(model, (tokens, torch.zeros_like(tokens)))["loss"]
    logits, _ = model(tokens)
    pairs = [(b, i) for b in range(2) for i in range(6) if tokens[b, i + 1] != 0]
    expected = torch.stack([torch.nn.functional.cross_entropy(logits[b, i], tokens[b, i + 1])
                            for b, i in pairs]).mean()
    torch.testing.assert_close(loss, expected)


def test_classifier_reads_cls_when_bidirectional_and_the_last_real_token_when_causal():
    tokens = torch.tensor([[1, 5, 6, 2, 0, 0]])
    bidirectional = B.SequenceClassifier(B.Bert(SMALL), 2).eval()
    hidden, pooled = bidirectional.bert(tokens)
    torch.testing.assert_close(bidirectional(tokens), bidirectional.head(pooled))
    causal = B.SequenceClassifier(B.Bert(B.BertConfig(**{**SMALL.__dict__, "causal": True})), 2).eval()
    hidden, _ = causal.bert(tokens)
    torch.testing.assert_close(causal(tokens), causal.head(hidden[:, 3]))


def test_gpu_profile_models_take_a_step_on_tiny_inputs():
    """The page's gpu encoder (BERT-base's shape), pre-trained both ways and fine-tuned, one
    step each on two short sequences."""
    from zoo_utils import profiles, train
    cfg = profiles.get("bert", "gpu")
    config = lambda causal: B.BertConfig(vocab_size=cfg.vocab_size + 4, layers=cfg.layers,
                                         d_model=cfg.d_model, heads=cfg.heads, d_ff=cfg.d_ff,
                                         max_len=cfg.max_len, causal=causal)
    tokens = torch.randint(4, cfg.vocab_size, (2, 16))
    batch = (tokens, torch.zeros_like(tokens), torch.tensor([0, 1]))
    for causal, step in [(False, lambda m, b: B.pretraining_step(m, b, 3, [0, 1, 2, 3])),
                         (True, B.left_to_right_step)]:
        model = B.BertPretraining(config(causal))
        optimizer, schedule = train.adamw_cosine(model, cfg.lr, 1, 10, weight_decay=0.01)
        loss = step(model, batch)["loss"]
        loss.backward()
        optimizer.step()
        schedule.step()
        assert torch.isfinite(loss)
    classifier = B.SequenceClassifier(model.bert, 2)
    out = B.classification_step(classifier, (tokens, torch.zeros_like(tokens), torch.tensor([0, 1])))
    assert torch.isfinite(out["loss"])
