import pytest
import torch
import torchvision

from zoo_utils.models import count_macs, count_parameters
from zoo_utils.models import resnet

IMAGENET = [("resnet18", 11_689_512, 1.8), ("resnet34", 21_797_672, 3.6),
            ("resnet50", 25_557_032, 3.8), ("resnet101", 44_549_160, 7.6),
            ("resnet152", 60_192_808, 11.3)]


@pytest.mark.parametrize("name, parameters, _gflops", IMAGENET)
def test_parameter_counts_equal_torchvision(name, parameters, _gflops):
    with torch.device("meta"):
        ours, reference = getattr(resnet, name)(), getattr(torchvision.models, name)(weights=None)
    assert count_parameters(ours) == count_parameters(reference) == parameters


@pytest.mark.parametrize("name, _parameters, gflops", IMAGENET)
def test_table_1_flops_by_counting(name, _parameters, gflops):
    kwargs = {"stride_on": "1x1"} if name in ("resnet50", "resnet101", "resnet152") else {}
    with torch.device("meta"):
        model = getattr(resnet, name)(**kwargs)
    macs = count_macs(model, (3, 224, 224))
    # counted: 1.81, 3.66, 3.86, 7.57, 11.28 billion; the paper prints one decimal
    assert macs / 1e9 == pytest.approx(gflops, rel=0.03)


def test_same_weights_same_outputs_as_torchvision():
    for name in ["resnet18", "resnet50"]:
        ours, reference = getattr(resnet, name)().eval(), getattr(torchvision.models, name)().eval()
        ours.load_state_dict(reference.state_dict())
        x = torch.randn(1, 3, 224, 224)
        with torch.no_grad():
            torch.testing.assert_close(ours(x), reference(x))


# 269,722 is given in the issue; 56 and 110 follow from the same per-block sums
@pytest.mark.parametrize("depth, parameters", [(20, 269_722), (56, 853_018), (110, 1_727_962)])
def test_cifar_resnets_and_plain_twins_have_equal_parameters(depth, parameters):
    res, plain = resnet.cifar_resnet(depth), resnet.cifar_resnet(depth, plain=True)
    assert count_parameters(res) == count_parameters(plain) == parameters
    x = torch.rand(2, 3, 32, 32)
    assert res(x).shape == plain(x).shape == (2, 10)


def test_option_a_shortcut_pads_zeros_and_subsamples():
    block = resnet.ZeroPadShortcut(stride=2, extra_channels=4)
    x = torch.rand(1, 4, 6, 6)
    y = block(x)
    assert y.shape == (1, 8, 3, 3)
    assert torch.equal(y[:, 2:6], x[:, :, ::2, ::2])
    assert y[:, :2].abs().sum() == 0 and y[:, 6:].abs().sum() == 0


def test_shortcut_options_differ_only_in_projections():
    a, b, c = (count_parameters(resnet.resnet34(option=o)) for o in "ABC")
    assert a < b < c
    with pytest.raises(ValueError, match="6n\\+2"):
        resnet.cifar_resnet(21)


def test_gpu_profile_recipe_and_nets_take_a_step():
    from zoo_utils import profiles, train
    cfg = profiles.get("resnet", "gpu")
    assert cfg.n_train == 45000 and cfg.milestones == (32000, 48000) and cfg.batch_size == 128
    assert cfg.epochs * -(-cfg.n_train // cfg.batch_size) >= 64000      # 64k iterations
    factor = train.step_schedule(0, cfg.milestones)
    assert [factor(s) for s in (0, 31999, 32000, 48000)] == pytest.approx([1, 1, 0.1, 0.01])
    x, y = torch.rand(2, 3, 32, 32), torch.tensor([0, 9])
    for depth in (cfg.depths[0], cfg.depths[-1]):
        for plain in (True, False):
            model = resnet.cifar_resnet(depth, plain, width=cfg.width)
            optimizer = torch.optim.SGD(model.parameters(), lr=cfg.lr, momentum=0.9)
            loss = torch.nn.functional.cross_entropy(model(x), y)
            loss.backward()
            optimizer.step()
            assert torch.isfinite(loss)
