"""ContrastiveCrop: windows inside the image with the drawn share of its area, centres inside
the box and pushed to its edges by a U-shaped Beta, the crop-and-resize as exact pooling, the
heat-map box, the share of an object a window keeps, and the warm-up before boxes."""

import pytest
import torch
import torch.nn.functional as F

from zoo_utils import contrastive as C
from zoo_utils.models import crafting_views as V


def test_random_resized_windows_fit_the_image_with_the_drawn_area():
    torch.manual_seed(0)
    w = V.random_resized_windows(5000, 64, scale=(0.2, 1.0))
    assert (w[:, :2] >= 0).all() and (w[:, 2:] <= 64 + 1e-4).all() and (w[:, 2:] > w[:, :2]).all()
    area = ((w[:, 2] - w[:, 0]) * (w[:, 3] - w[:, 1])) / 64 ** 2
    assert area.max() <= 1 + 1e-5 and area.min() >= 0.2 * 0.74      # clipping to the image can shrink a crop
    centres = (w[:, :2] + w[:, 2:]) / 2
    assert 30 < centres.mean() < 34                                  # no side preferred


def test_contrastive_crop_centres_lie_in_the_box_and_avoid_its_middle():
    torch.manual_seed(0)
    box = torch.tensor([[0.25, 0.5, 0.75, 1.0]]).expand(4000, 4)
    w = V.contrastive_crop_windows(box, 64, scale=(0.01, 0.01), alpha=0.1)   # tiny crops: never moved
    centre_y, centre_x = (w[:, 0] + w[:, 2]) / 2, (w[:, 1] + w[:, 3]) / 2
    assert centre_y.min() >= 16 - 1e-4 and centre_y.max() <= 48 + 1e-4
    assert centre_x.min() >= 32 - 1e-4
    near_middle = ((centre_y - 32).abs() < 8).float().mean()
    assert near_middle < 0.25                                         # uniform would give 0.5
    uniform = V.contrastive_crop_windows(box, 64, scale=(0.01, 0.01), alpha=1.0)
    uniform_y = (uniform[:, 0] + uniform[:, 2]) / 2
    assert ((uniform_y - 32).abs() < 8).float().mean().item() == pytest.approx(0.5, abs=0.05)


def test_big_crops_are_moved_inside_the_image():
    torch.manual_seed(0)
    box = torch.tensor([[0.9, 0.9, 1.0, 1.0]]).expand(500, 4)
    w = V.contrastive_crop_windows(box, 64, scale=(0.5, 1.0))
    assert (w[:, :2] >= 0).all() and (w[:, 2:] <= 64 + 1e-4).all()


def test_cut_is_a_crop_and_resize():
    """At half size, each output pixel averages the 2 x 2 pixels under it: exactly an average
    pooling of the window."""
    torch.manual_seed(0)
    images = torch.rand(2, 3, 64, 64)
    windows = torch.tensor([[0.0, 0.0, 64.0, 64.0], [16.0, 8.0, 48.0, 40.0]])
    whole = V.cut(images, windows[:1].expand(2, 4), 32)
    assert torch.allclose(whole, F.avg_pool2d(images, 2), atol=1e-5)
    part = V.cut(images, windows[1:].expand(2, 4), 16)
    assert torch.allclose(part, F.avg_pool2d(images[:, :, 16:48, 8:40], 2), atol=1e-5)


def test_the_box_spans_where_the_heat_map_is_high():
    images = torch.zeros(2, 3, 32, 32)
    images[0, :, 8:16, 20:28] = 1.0
    images[1, :, 0:32, 0:4] = 1.0
    identity = lambda x: x                                          # the heat map is the image
    boxes, heat = V.heat_map_boxes(identity, images, threshold=0.5)
    assert torch.allclose(boxes[0] * 32, torch.tensor([8.0, 20.0, 16.0, 28.0]))
    assert torch.allclose(boxes[1] * 32, torch.tensor([0.0, 0.0, 32.0, 4.0]))
    assert heat.min() >= 0 and heat.max() <= 1


def test_box_iou():
    a = torch.tensor([[0.0, 0.0, 2.0, 2.0], [0.0, 0.0, 1.0, 1.0]])
    b = torch.tensor([[1.0, 1.0, 3.0, 3.0], [2.0, 2.0, 3.0, 3.0]])
    assert torch.allclose(V.box_iou(a, b), torch.tensor([1 / 7, 0.0]))
    assert torch.allclose(V.box_iou(a, a), torch.ones(2))


def test_kept_is_the_share_of_the_object_inside_the_window():
    masks = torch.zeros(2, 8, 8, dtype=torch.bool)
    masks[:, 2:6, 2:6] = True
    windows = torch.tensor([[0.0, 0.0, 8.0, 8.0], [0.0, 0.0, 4.0, 8.0]])
    assert torch.allclose(V.kept(masks, windows), torch.tensor([1.0, 0.5]))


def test_the_cropper_uses_random_crops_until_localised_then_the_boxes():
    photometric = C.view_augmentation(16, "mocov1", crop=False)
    assert len(photometric) == 4                                     # the crop left out
    cropper = V.Cropper(64, 16, photometric, scale=(0.02, 0.02), alpha=0.1)
    model = torch.nn.Module()
    model.encoder = torch.nn.Module()
    bright = torch.zeros(4, 3, 64, 64)
    bright[:, :, :16, :16] = 1.0                                   # the "object": the top-left corner
    model.encoder.feature_map = lambda x: x
    monitor = V.localise(cropper, bright, warmup=2, interval=2)
    assert monitor(model) == {} and cropper.boxes is None           # epoch 1: still warming up
    assert "box area" in monitor(model) and cropper.boxes is not None
    torch.manual_seed(0)
    windows = cropper.windows(torch.arange(4).repeat(50))
    assert ((windows[:, :2] + windows[:, 2:]) / 2 <= 16 + 5).all()   # every crop at the corner
    views = cropper.views(bright, torch.arange(4))
    assert views.shape == (4, 3, 16, 16)


def test_the_gpu_settings_take_a_step():
    """The gpu profile's encoder (the CIFAR ResNet-18), crops and boxes, on a few scenes."""
    from zoo_utils import profiles
    from zoo_utils.data.scenes import digit_scenes
    from zoo_utils.models.simclr import SimCLR

    cfg = profiles.get("crafting_views", "gpu")
    scenes = digit_scenes(4, canvas=cfg.canvas, k=1, cell=cfg.canvas, seed=0)
    encoder = C.make_encoder(cfg.survey.encoder, cfg.survey.width, 3, cfg.survey.dim)
    model = SimCLR(encoder, dim=cfg.survey.dim, temperature=cfg.temperature)
    cropper = V.Cropper(cfg.canvas, cfg.size, C.view_augmentation(cfg.size, cfg.survey.recipe, crop=False),
                        scale=cfg.scale, alpha=cfg.alpha)
    seen = F.interpolate(scenes.images, cfg.size, mode="bilinear", align_corners=False)
    cropper.boxes, _ = V.heat_map_boxes(model.encoder.feature_map, seen, cfg.threshold)
    loss = V.cropped_step(cropper)(model, (scenes.images, torch.arange(4)))["loss"]
    loss.backward()
    assert torch.isfinite(loss)
