"""Image GPT against Hugging Face's `ImageGPT` with copied weights (built from configs: nothing
is downloaded), the paper's sizes, both objectives' attention, the palette, and completion."""

import torch
from sklearn.metrics import pairwise_distances_argmin
from transformers import ImageGPTConfig, ImageGPTForCausalImageModeling

from zoo_utils.models import count_parameters
from zoo_utils.models import gpt as G
from zoo_utils.models import igpt as I

torch.manual_seed(0)
SMALL = I.igpt_config(colours=16, layers=2, d_model=32, heads=4, length=25, dropout=0.0)


def test_igpt_s_has_hugging_faces_parameters_and_the_papers_sizes():
    with torch.device("meta"):
        reference = ImageGPTForCausalImageModeling(ImageGPTConfig())
        sizes = {name: count_parameters(I.ImageGPT(c)) for name, c in I.SIZES.items()}
    assert sizes["iGPT-S"] == count_parameters(reference)
    for name, paper in [("iGPT-S", 76e6), ("iGPT-M", 455e6), ("iGPT-L", 1.4e9)]:
        assert abs(sizes[name] / paper - 1) < 0.03, (name, sizes[name])


def test_same_logits_as_hugging_face_with_copied_weights():
    reference = ImageGPTForCausalImageModeling(ImageGPTConfig(
        vocab_size=17, n_positions=25, n_embd=32, n_layer=2, n_head=4)).eval()
    ours = I.ImageGPT(SMALL).eval()
    assert count_parameters(ours) == count_parameters(reference)
    G.hf_gpt_weights(ours, reference.transformer)
    with torch.no_grad():
        ours.head.weight.copy_(reference.lm_head.weight)
        ids = torch.randint(0, 17, (3, 25))
        expected = reference(ids).logits
        torch.testing.assert_close(ours(ids), expected, atol=1e-4, rtol=1e-4)
    assert expected.std() > 0.1 and expected.shape[-1] == 16      # no logit for the start token


def test_autoregressive_is_causal_and_bert_sees_both_sides_but_not_masked_colours():
    ids = torch.randint(0, 16, (1, 25))
    later = ids.clone()
    later[0, 20:] = (later[0, 20:] + 1) % 16
    autoregressive = I.ImageGPT(SMALL).eval()
    bert = I.ImageGPT(I.igpt_config(colours=16, layers=2, d_model=32, heads=4, length=25,
                                    dropout=0.0, objective="bert")).eval()
    with torch.no_grad():
        torch.testing.assert_close(autoregressive(later)[:, :20], autoregressive(ids)[:, :20])
        assert not torch.allclose(bert(later)[:, :20], bert(ids)[:, :20])
        masked = torch.zeros_like(ids, dtype=torch.bool)
        masked[0, 20:] = True
        torch.testing.assert_close(bert(later, masked), bert(ids, masked))


def test_layer_features_are_the_normalised_stream_averaged_over_pixels():
    model = I.ImageGPT(SMALL).eval()
    ids = torch.randint(0, 16, (4, 25))
    features = model.layer_features(ids)
    assert len(features) == SMALL.layers + 1
    assert all(f.shape == (4, 32) for f in features)
    with torch.no_grad():
        torch.testing.assert_close(features[-1], model.hidden(ids).mean(1))


def test_steps_start_at_the_uniform_loss_and_fall_when_trained():
    model = I.ImageGPT(SMALL)
    pixels = torch.randint(0, 4, (64, 25))                        # four colours in use
    for step in (I.autoregressive_step, lambda m, b: I.bert_step(m, b, p=0.3)):
        first = step(model, (pixels,))["loss"].item()
        assert abs(first - torch.log(torch.tensor(16.0)).item()) < 0.5
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    for _ in range(30):
        loss = I.autoregressive_step(model, (pixels,))["loss"]
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert loss.item() < torch.log(torch.tensor(4.0)).item() + 0.1


def test_palette_is_a_kmeans_fixed_point_and_quantise_picks_the_nearest_colour():
    images = torch.rand(20, 3, 5, 5)
    palette = I.colour_palette(images, 6, seed=0)
    rgb = images.permute(0, 2, 3, 1).reshape(-1, 3)
    ids = I.quantise(images, palette)
    assert ids.shape == (20, 25) and ids.max() < 6
    assert torch.equal(ids.flatten(), torch.as_tensor(pairwise_distances_argmin(rgb, palette)))
    for k in range(6):                                  # each colour is its cluster's mean
        torch.testing.assert_close(rgb[ids.flatten() == k].mean(0), palette[k], atol=1e-2, rtol=0)
    restored = I.dequantise(ids, palette, 5)
    assert restored.shape == images.shape
    assert torch.equal(I.quantise(restored, palette), ids)


def test_a_grey_palette_is_a_set_of_grey_levels():
    images = torch.rand(10, 1, 6, 6)
    palette = I.colour_palette(images, 4, seed=0)
    ids = I.quantise(images, palette)
    assert palette.shape == (4, 1) and ids.shape == (10, 36)
    assert I.dequantise(ids, palette, 6).shape == images.shape
    levels = palette.flatten().sort().values              # four levels spread over [0, 1]
    assert levels[0] < 0.25 and levels[-1] > 0.75


def test_completion_keeps_the_prompt_and_fills_the_rest():
    model = I.ImageGPT(SMALL).eval()
    pixels = torch.randint(0, 16, (2, 25))
    done = I.complete(model, pixels, keep=10, generator=torch.Generator().manual_seed(0))
    assert done.shape == pixels.shape
    assert torch.equal(done[:, :10], pixels[:, :10])
    assert done.max() < 16


def test_gpu_profile_models_take_a_step_on_one_full_length_image():
    """iGPT-S at 32 x 32 with 512 colours (the page's gpu profile), both objectives, one step."""
    from zoo_utils import profiles, train
    cfg = profiles.get("igpt", "gpu")
    pixels = torch.randint(0, cfg.colours, (1, cfg.size ** 2))
    for objective, step in [("autoregressive", I.autoregressive_step), ("bert", I.bert_step)]:
        model = I.ImageGPT(I.igpt_config(cfg.colours, cfg.layers, cfg.d_model, cfg.heads,
                                         cfg.size ** 2, dropout=0.0, objective=objective))
        optimizer, schedule = train.adamw_cosine(model, cfg.lr, 1, 10, betas=(0.9, 0.95))
        loss = step(model, (pixels,))["loss"]
        loss.backward()
        optimizer.step()
        schedule.step()
        assert torch.isfinite(loss)
        assert len(model.layer_features(pixels)) == cfg.layers + 1
