"""CPC v2: LayerNorm keeps each patch to itself, predictions in more directions keep to their
side of the grid, and patch augmentation acts only in training."""

import pytest
import torch
from torch.utils.data import TensorDataset

from zoo_utils import contrastive as C
from zoo_utils.models import cpc, resnet
from zoo_utils.models.cpcv2 import CPCv2, orient


def encoder(norm):
    net = C.make_encoder("resnet8", 4, 3, 8, seed=0)
    return resnet.replace_norm(net, norm) if norm != "batch" else net


@pytest.mark.parametrize("norm", ["batch", "layer"])
def test_only_batchnorm_lets_the_patches_of_a_batch_see_each_other(norm):
    net = encoder(norm).train()
    patches = torch.rand(6, 3, 8, 8)
    alone, together = net(patches[:1]), net(patches)[:1]
    assert any(isinstance(m, torch.nn.BatchNorm2d) for m in net.modules()) == (norm == "batch")
    assert torch.allclose(alone, together, atol=1e-5) == (norm == "layer")


def test_orient_turns_the_grid_so_that_down_means_each_direction():
    z = torch.arange(16.0).view(1, 1, 4, 4)
    assert torch.equal(orient(z, "up")[0, 0, 0], z[0, 0, 3])            # first row: the bottom
    assert torch.equal(orient(z, "right")[0, 0, 0], z[0, 0, :, 0])      # first row: the left column
    assert torch.equal(orient(z, "left")[0, 0, 0], z[0, 0, :, 3])       # first row: the right column
    with pytest.raises(ValueError, match="direction"):
        orient(z, "diagonal")


def test_the_upward_context_never_sees_the_rows_above_it():
    model = CPCv2(encoder("layer"), 8, patch=8, K=2, directions=("down", "up"))
    up = model.predictors[1]
    z = torch.randn(1, 8, 4, 4)
    changed = z.clone()
    changed[:, :, 0] += 1.0                                              # the top row
    before, after = up.context(orient(z, "up")), up.context(orient(changed, "up"))
    # oriented rows 0..2 are original rows 3..1: contexts from below, blind to the top row
    assert torch.allclose(before[:, :, :3], after[:, :, :3])
    assert not torch.allclose(before[:, :, 3], after[:, :, 3])


def test_cpcv2_trains_through_the_toolkit_and_augments_patches_only_in_training():
    model = CPCv2(encoder("layer"), 8, patch=8, stride=8, K=2, directions=("down", "up"),
                  patch_augment=C.view_augmentation(8, "mocov1", crop_scale=(0.6, 1.0)))
    images = torch.rand(8, 3, 32, 32)
    assert len(model.predictions(images)) == 2 * 2                      # K terms per direction
    model.eval()
    assert torch.equal(model.latents(images), model.latents(images))    # no augmentation
    _, history = C.pretrain(model, TensorDataset(images), None, epochs=2, lr=0.05, batch_size=4,
                            step=cpc.image_step(lambda x: x), device="cpu", seed=0)
    assert history["train_loss"].notna().all() and model.features(images).shape == (8, 16)
