"""QueryInst: the dynamic mask head's per-query convolution, the Hungarian matching against
brute force, the set loss's invariance to the queries' order, panoptic quality on known
answers, connected regions as the baseline's instances, and a short training that learns."""

import itertools

import pytest
import torch
from torchvision.ops import box_convert, generalized_box_iou

from zoo_utils.data.scenes import digit_scenes
from zoo_utils.models import instances_as_queries as Q
from zoo_utils.models.resnet import cifar_resnet


def backbone():
    torch.manual_seed(0)
    return cifar_resnet(8, width=4, num_classes=10)


def test_the_model_answers_every_stage_with_classes_boxes_and_masks():
    model = Q.QueryInst(backbone(), num_queries=5, dim=16, stages=3)
    outputs = model(torch.rand(2, 3, 32, 32))
    assert len(outputs) == 3
    for logits, boxes, masks in outputs:
        assert logits.shape == (2, 5, 11) and boxes.shape == (2, 5, 4) and masks.shape == (2, 5, 8, 8)
        assert ((boxes > 0) & (boxes < 1)).all()


def test_the_dynamic_mask_head_is_each_querys_own_convolution():
    torch.manual_seed(0)
    head = Q.DynamicMaskHead(dim=6, channels=3, hidden=4)
    queries, boxes, features = torch.randn(1, 2, 6), torch.rand(1, 2, 4), torch.randn(1, 3, 5, 5)
    masks = head(queries, boxes, features)
    for n in range(2):                                                # redo query n by hand
        w1, b1, w2, b2 = torch.split(head.generate(queries[0, n]), [4 * 5, 4, 4, 1])
        inputs = torch.cat([features[0], Q.coordinates(5, 5) - boxes[0, n, :2, None, None]])
        hidden = torch.relu(torch.einsum("oc,chw->ohw", w1.view(4, 5), inputs) + b1[:, None, None])
        expected = torch.einsum("oc,chw->ohw", w2.view(1, 4), hidden)[0] + b2
        assert torch.allclose(masks[0, n], expected, atol=1e-5)


def test_the_matching_is_the_cheapest_one_to_one_assignment():
    torch.manual_seed(0)
    logits, boxes = torch.randn(4, 11), torch.rand(4, 4) * 0.5 + 0.25
    classes, true_boxes = torch.tensor([3, 7]), torch.rand(2, 4) * 0.5 + 0.25
    cost = (-2 * logits.softmax(-1)[:, classes] + 5 * torch.cdist(boxes, true_boxes, p=1)
            - 2 * generalized_box_iou(box_convert(boxes, "cxcywh", "xyxy"), box_convert(true_boxes, "cxcywh", "xyxy")))
    best = min(itertools.permutations(range(4), 2), key=lambda p: cost[p[0], 0] + cost[p[1], 1])
    rows, cols = Q.match(logits, boxes, classes, true_boxes)
    assert dict(zip(cols.tolist(), rows.tolist())) == {0: best[0], 1: best[1]}


def test_the_set_loss_does_not_depend_on_the_queries_order():
    torch.manual_seed(0)
    outputs = [(torch.randn(2, 5, 11), torch.rand(2, 5, 4) * 0.5 + 0.25, torch.randn(2, 5, 8, 8))]
    classes, boxes = torch.tensor([[1, 2], [3, 4]]), torch.rand(2, 2, 4) * 0.4 + 0.3
    masks = (torch.rand(2, 2, 32, 32) > 0.5).float()
    order = torch.tensor([4, 2, 0, 1, 3])
    shuffled = [tuple(t[:, order] for t in outputs[0])]
    assert Q.set_loss(outputs, classes, boxes, masks).item() == pytest.approx(
        Q.set_loss(shuffled, classes, boxes, masks).item(), rel=1e-5)


def test_targets_are_the_digits_tight_boxes():
    scenes = digit_scenes(3, canvas=64, k=2, seed=0)
    classes, boxes, _ = Q.targets_of(scenes, torch.arange(3), 64)
    xyxy = box_convert(boxes, "cxcywh", "xyxy") * 64
    for i, j in itertools.product(range(3), range(2)):
        rows, cols = scenes.masks[i, j].nonzero().T
        assert xyxy[i, j].tolist() == [cols.min(), rows.min(), cols.max() + 1, rows.max() + 1]
    assert torch.equal(classes, scenes.classes)


def test_panoptic_quality_on_known_answers():
    truth = torch.zeros(1, 2, 4, 4, dtype=torch.bool)
    truth[0, 0, :2, :2] = True                     # 4 pixels
    truth[0, 1, 2:, 2:] = True
    classes = torch.tensor([[1, 2]])
    half = truth[0, 1].clone()
    half[3, 3] = False                              # IoU 3/4 with instance 1
    found = [(torch.tensor([1, 2, 5]), torch.stack([truth[0, 0], half, truth[0, 0]]))]
    pq = Q.panoptic_quality(found, classes, truth)
    # two true positives (IoU 1 and 0.75), one false positive (wrong class), no false negative
    assert pq["SQ"] == pytest.approx(100 * 1.75 / 2)
    assert pq["RQ"] == pytest.approx(100 * 2 / 2.5)
    assert pq["PQ"] == pytest.approx(100 * 1.75 / 2.5)
    wrong_class = [(torch.tensor([2, 1]), truth[0])]
    assert Q.panoptic_quality(wrong_class, classes, truth)["PQ"] == 0


def test_the_baseline_groups_connected_pixels_into_instances():
    class Fixed(torch.nn.Module):
        def forward(self, images):
            logits = torch.zeros(1, 11, 8, 8)
            logits[0, 0] = 1.0
            logits[0, 4, 0:3, 0:3] = 5.0           # one region of class 3 (label 4)
            logits[0, 8, 5:8, 5:8] = 5.0           # one region of class 7
            logits[0, 8, 0, 7] = 5.0               # a single pixel: too small
            return logits
    found = Q.component_instances(Fixed(), torch.zeros(1, 3, 8, 8), min_pixels=4)
    classes, masks = found[0]
    assert classes.tolist() == [3, 7] and masks.shape == (2, 8, 8) and masks.sum().item() == 18


def test_a_short_training_lowers_the_set_loss():
    scenes = digit_scenes(32, canvas=64, k=2, seed=0)
    model = Q.QueryInst(backbone(), num_queries=4, dim=16, stages=1)
    step = Q.query_step(scenes, 64)
    batch = (scenes.images[:16], torch.arange(16))
    before = step(model, batch)["loss"].item()
    Q.train_on_scenes(model, scenes, step, steps=30, lr=3e-3, batch_size=16, seed=0, device="cpu")
    model.train()
    assert step(model, batch)["loss"].item() < before
    found = Q.query_instances(model.eval(), scenes.images[:2], threshold=0.0)
    assert len(found) == 2 and found[0][1].shape[-2:] == (64, 64)


def test_the_gpu_settings_take_a_step():
    """The gpu profile's model (six stages, 100 queries, ten classes, wider) on two scenes."""
    from zoo_utils import profiles

    cfg = profiles.get("instances_as_queries", "gpu")
    scenes = digit_scenes(2, canvas=cfg.canvas, k=cfg.digits, seed=0)
    assert not cfg.one_class and scenes.num_classes == 11
    torch.manual_seed(0)
    model = Q.QueryInst(cifar_resnet(8, width=cfg.width, num_classes=10), cfg.main_queries,
                        scenes.num_classes - 1, dim=cfg.dim, stages=cfg.stages)
    loss = Q.query_step(scenes, cfg.canvas)(model, (scenes.images, torch.arange(2)))["loss"]
    loss.backward()
    assert torch.isfinite(loss) and len(model(scenes.images[:1])) == 6
