"""Rethinking ImageNet pre-training: the class split, the transfer, the step budget, and the
GroupNorm variant of the CIFAR ResNet the page compares with BatchNorm."""

import pytest
import torch

from zoo_utils import profiles, train
from zoo_utils.data import ImageDataset
from zoo_utils.models import rethinking as R
from zoo_utils.models.resnet import cifar_resnet


def toy(n=40, classes=10):
    g = torch.Generator().manual_seed(0)
    return ImageDataset(torch.rand(n, 3, 8, 8, generator=g), torch.arange(n) % classes,
                        [str(c) for c in range(classes)], "toy")


def test_class_split_keeps_only_its_classes_and_relabels_them_in_order():
    task = R.class_split(toy(), (7, 2, 9))
    assert len(task) == 12
    assert task.classes == ["7", "2", "9"]
    originals = toy().labels[torch.isin(toy().labels, torch.tensor([7, 2, 9]))]
    assert torch.equal(task.labels, torch.tensor([{7: 0, 2: 1, 9: 2}[int(y)] for y in originals]))


def test_transfer_copies_every_layer_but_the_classifier():
    torch.manual_seed(0)
    source = cifar_resnet(8, num_classes=5, width=8, norm="group")
    target = R.transfer(source, 3)
    assert target.fc.out_features == 3 and source.fc.out_features == 5
    for (name, a), (_, b) in zip(source.state_dict().items(), target.state_dict().items()):
        if not name.startswith("fc."):
            assert torch.equal(a, b), name
    target.conv1.weight.data.add_(1.0)       # a copy: fine-tuning leaves the source alone
    assert not torch.equal(source.conv1.weight, target.conv1.weight)


def test_train_steps_takes_exactly_its_budget_of_updates_on_a_small_set():
    model = cifar_resnet(8, num_classes=10, width=8)
    calls = []
    model.register_forward_pre_hook(lambda module, inputs: calls.append(len(inputs[0])))
    R.train_steps(model, toy(40), 7, lr=0.01, batch_size=16, seed=0, device="cpu")
    assert len(calls) == 7                    # 7 steps over 3 epochs of 40 images, no test set


def test_group_norm_resnet_has_no_batch_statistics():
    model = cifar_resnet(8, width=16, norm="group")
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in model.modules())
    norms = [m for m in model.modules() if isinstance(m, torch.nn.GroupNorm)]
    assert {m.num_channels // m.num_groups for m in norms} == {8}
    model.train()
    x = torch.rand(4, 3, 16, 16)
    assert torch.allclose(model(x)[:1], model(x[:1]), atol=1e-5)   # one image's output alone
    with pytest.raises(ValueError, match="norm"):
        cifar_resnet(8, norm="instance")
    with pytest.raises(ValueError, match="option A"):
        cifar_resnet(8, norm="group", option="B")


def test_per_device_step_changes_batch_norm_only():
    torch.manual_seed(0)
    batch = (torch.rand(8, 3, 16, 16), torch.arange(8) % 5)
    for norm, same in (("group", True), ("batch", False)):
        model = cifar_resnet(8, width=16, norm=norm, num_classes=5).train()
        whole = train.classification_step(model, batch)["loss"]
        split = R.per_device_step(2)(model, batch)["loss"]
        assert torch.isclose(whole, split, atol=1e-5) == same, norm


@pytest.mark.parametrize("profile", ["smoke", "cpu", "gpu"])
def test_every_profile_builds_its_networks_and_takes_a_step(profile):
    cfg = profiles.get("rethinking_pretraining", profile)
    for norm in ("batch", "group"):
        model = cifar_resnet(cfg.depth, width=cfg.width, norm=norm, num_classes=len(cfg.source_classes))
        model = R.transfer(model, len(cfg.target_classes))
        data = toy(2 * cfg.images_per_device)
        data.labels %= len(cfg.target_classes)
        R.train_steps(model, data, 1, lr=cfg.lr, batch_size=len(data), seed=0, device="cpu",
                      step=R.per_device_step(cfg.images_per_device))
        assert torch.isfinite(model(data.images)).all()
