"""MA-CLIP: the generated captions, the three ways to share the towers (what is shared really
is one module), CLIP's loss against a direct formulation, and zero-shot classification."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from zoo_utils import profiles
from zoo_utils.data import captions as C
from zoo_utils.data import offline
from zoo_utils.models import ma_clip as MA


def test_captions_name_each_image_s_digit_and_its_real_background():
    images, texts, backgrounds = C.mnistm_captions("test")
    assert len(texts) == len(images) == len(backgrounds) == 1000
    for i in (0, 500, 999):
        assert C.DIGIT_WORDS[int(images.labels[i])] in texts[i].split()
        assert C.BACKGROUNDS[backgrounds[i]] in texts[i]
    # the background named is the photo the image was made from: redraw image 0 of mnistm-mini
    rng = np.random.default_rng(0)
    names = list(offline.named_photos())
    which = rng.integers(len(names), size=5000)
    photo = offline.named_photos()[names[which[0]]]
    top, left = rng.integers(photo.shape[0] - 32), rng.integers(photo.shape[1] - 32)
    assert names[which[0]] == offline.mnistm_backgrounds()[0]
    digit = np.pad(offline.mnist_mini()[0][0, 0], 2).astype(np.float32) / 255
    expected = np.abs(photo[top:top + 32, left:left + 32] / 255.0 - digit[..., None]).transpose(2, 0, 1)
    assert np.allclose(offline.mnistm_mini()[0][0], expected, atol=1e-6)


def test_vocab_encodes_every_caption_with_cls_first_and_padding():
    vocab = C.WordVocab()
    ids = vocab.encode(["a handwritten seven on a cat", "a cat behind the number one"])
    assert (ids[:, 0] == 1).all() and ids.shape == (2, 7)
    assert ids[0].ne(0).sum() == 7 and ids[1].ne(0).sum() == 7


def test_sharing_schemes_share_what_they_say():
    kw = {"vocab_size": 40, "dim": 16, "depth": 2, "heads": 2, "embed_dim": 8}
    separate, mostly, shared = (MA.CLIP(sharing=s, **kw) for s in MA.SHARING)
    image, text = mostly.towers["image"][0], mostly.towers["text"][0]
    assert image.attention is text.attention and image.mlp is text.mlp
    assert image.ln1 is not text.ln1
    assert shared.towers["image"] is shared.towers["text"]
    assert separate.towers["image"][0].attention is not separate.towers["text"][0].attention
    counts = [MA.parameter_count(m) for m in (separate, mostly, shared)]
    assert counts[0] > counts[1] > counts[2]
    assert counts[1] - counts[2] == 2 * 2 * 2 * 16     # two LayerNorms (weight and bias) per block
    with pytest.raises(ValueError, match="sharing"):
        MA.CLIP(sharing="half", **kw)


def test_both_image_stems_give_one_token_per_patch():
    images = torch.rand(2, 3, 32, 32)
    for stem in ("conv", "patch"):
        model = MA.CLIP(vocab_size=40, dim=16, depth=1, heads=2, embed_dim=8, patch=8, stem=stem)
        assert model.patch_embed(images).shape == (2, 16, 16)
    linear = MA.PatchEmbed(3, 16, 8)
    first = images[:, :, :8, 8:16].reshape(2, -1)        # row 0, column 1 of the 4 x 4 grid
    assert torch.allclose(linear(images)[:, 1], linear.linear(first), atol=1e-6)


def test_padding_does_not_change_a_caption_s_embedding():
    torch.manual_seed(0)
    model = MA.CLIP(vocab_size=40, dim=16, depth=2, heads=2, embed_dim=8).eval()
    ids = torch.tensor([[1, 5, 6, 7]])
    padded = torch.tensor([[1, 5, 6, 7, 0, 0]])
    assert torch.allclose(model.encode_text(ids), model.encode_text(padded), atol=1e-5)


def test_clip_loss_against_a_direct_formulation():
    torch.manual_seed(0)
    a, b = F.normalize(torch.randn(6, 8), dim=1), F.normalize(torch.randn(6, 8), dim=1)
    scale = torch.tensor(2.0)
    sim = scale.exp() * a @ b.T
    image_to_text = -torch.log(sim.softmax(1).diag()).mean()
    text_to_image = -torch.log(sim.softmax(0).diag()).mean()
    assert torch.isclose(MA.clip_loss(a, b, scale), (image_to_text + text_to_image) / 2, atol=1e-5)


def test_zero_shot_picks_the_class_whose_prompts_match():
    torch.manual_seed(0)
    model = MA.CLIP(vocab_size=40, dim=16, depth=1, heads=2, embed_dim=8).eval()
    images = torch.rand(5, 3, 32, 32)
    prompts = [torch.tensor([[1, 5, 6]]), torch.tensor([[1, 7, 8], [1, 9, 9]])]
    predicted = MA.zero_shot(model, images, prompts)
    with torch.no_grad():
        classes = torch.stack([F.normalize(model.encode_text(p).mean(0), dim=0) for p in prompts])
        assert torch.equal(predicted, (model.encode_image(images) @ classes.T).argmax(1))


@pytest.mark.parametrize("profile", ["smoke", "cpu", "gpu"])
def test_every_profile_builds_each_scheme_and_takes_a_step(profile):
    cfg = profiles.get("ma_clip", profile)
    vocab = C.WordVocab()
    ids = vocab.encode([C.caption(3, "chelsea"), C.caption(7, "coffee", 2)])
    for sharing in MA.SHARING:
        model = MA.CLIP(len(vocab), sharing, cfg.dim, cfg.depth, cfg.heads, cfg.embed_dim, patch=cfg.patch,
                        stem=cfg.stem)
        optimizer = torch.optim.AdamW(model.parameters(), cfg.lr)
        loss = MA.clip_step(model, (torch.rand(2, 3, 32, 32), ids))["loss"]
        loss.backward()
        optimizer.step()
        assert torch.isfinite(loss)
