"""CPC (van den Oord et al. 2018): the loss, the k-step accuracy, and the causal structure of
both models (a context never sees what it must predict)."""

import math

import torch
import torch.nn.functional as F

from zoo_utils import contrastive as C
from zoo_utils.models import cpc


def test_cpc_loss_is_cross_entropy_of_the_bilinear_scores():
    g = torch.Generator().manual_seed(0)
    p, t = torch.randn(10, 6, generator=g), torch.randn(10, 6, generator=g)
    loss, accuracy = cpc.cpc_loss(p, t)
    scores = p @ t.T                                       # score of every target for every prediction
    torch.testing.assert_close(loss, F.cross_entropy(scores, torch.arange(10)))
    torch.testing.assert_close(loss, C.info_nce_in_batch(p, t, temperature=1.0)[0])   # the toolkit's
    assert accuracy.item() == (scores.argmax(1) == torch.arange(10)).float().mean().item()


def test_cpc_loss_in_chunks_averages_the_chunks_and_drops_a_lone_last_pair():
    g = torch.Generator().manual_seed(1)
    p, t = torch.randn(9, 4, generator=g), torch.randn(9, 4, generator=g)
    loss, _ = cpc.cpc_loss(p, t, chunk=4)
    parts = [F.cross_entropy(p[s:s + 4] @ t[s:s + 4].T, torch.arange(4), reduction="sum")
             for s in (0, 4)]
    torch.testing.assert_close(loss, sum(parts) / 8)


def test_k_step_accuracy_is_one_for_perfect_predictions_and_near_chance_for_random_ones():
    g = torch.Generator().manual_seed(0)
    targets = F.normalize(torch.randn(500, 32, generator=g), dim=1)
    assert cpc.k_step_accuracy(targets * 10, targets, 16, generator=g) == 1.0
    noise = torch.randn(500, 32, generator=g)
    assert abs(cpc.k_step_accuracy(noise, targets, 16, generator=g) - 1 / 16) < 0.05


def test_1d_context_never_sees_the_future():
    torch.manual_seed(0)
    model = cpc.CPC1D(dim=8, context=8, K=2, stride=4)
    x = torch.randn(1, 1, 64, requires_grad=True)
    z = model.latents(x)
    c = model.contexts(z)
    c[0, 5].sum().backward()            # the context at latent step 5
    seen = x.grad[0, 0].abs() > 0
    # latent t covers samples up to about (t + 1.5) * stride; nothing from latent 8 on
    assert seen[:20].any() and not seen[8 * 4:].any()


def test_image_context_sees_only_its_row_and_the_rows_above():
    torch.manual_seed(0)
    encoder = C.make_encoder("resnet8", 4, channels=3, dim=16, seed=0)
    model = cpc.CPCImage(encoder, dim=16, patch=8, K=2)
    z = torch.randn(1, 16, 7, 7, requires_grad=True)
    model.context(z)[0, :, 2, 3].sum().backward()
    rows = z.grad[0].abs().sum((0, 2)) > 0
    assert rows[:3].all() and not rows[3:].any()


def test_image_patches_overlap_by_half_and_tile_the_image():
    encoder = C.make_encoder("resnet8", 4, channels=3, dim=16, seed=0)
    model = cpc.CPCImage(encoder, dim=16, patch=8, K=2)
    x = torch.arange(32 * 32, dtype=torch.float).view(1, 1, 32, 32).expand(1, 3, 32, 32)
    p = model.patches(x)
    assert p.shape == (1, 7, 7, 3, 8, 8)
    torch.testing.assert_close(p[0, 1, 2, 0], x[0, 0, 4:12, 8:16])
    apart = cpc.CPCImage(encoder, dim=16, patch=8, K=2, stride=8).patches(x)
    assert apart.shape == (1, 4, 4, 3, 8, 8)
    torch.testing.assert_close(apart[0, 1, 2, 0], x[0, 0, 8:16, 16:24])


def test_both_models_train_and_report_an_accuracy_per_step_ahead():
    torch.manual_seed(0)
    model = cpc.CPC1D(dim=8, context=8, K=3, stride=4, chunk=16)
    loss = model(torch.randn(4, 1, 64))
    loss.backward()
    assert math.isfinite(loss.item()) and model.accuracy.shape == (3,)
    image_model = cpc.CPCImage(C.make_encoder("resnet8", 4, channels=3, dim=16, seed=0), dim=16, K=2)
    loss = image_model(torch.rand(2, 3, 32, 32))
    loss.backward()
    assert image_model.accuracy.shape == (2,)
    assert image_model.features(torch.rand(2, 3, 32, 32)).shape == (2, 16)
