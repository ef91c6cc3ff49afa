import pytest
import torch
import torchvision

from zoo_utils.models import count_parameters
from zoo_utils.models.vgg import CONFIGS, vgg, weight_layers


@pytest.mark.parametrize("config, reference, expected", [
    ("A", "vgg11", 132_863_336), ("B", "vgg13", 133_047_848),
    ("D", "vgg16", 138_357_544), ("E", "vgg19", 143_667_240),
])
def test_parameter_counts_match_torchvision(config, reference, expected):
    with torch.device("meta"):
        ours, theirs = vgg(config), getattr(torchvision.models, reference)(weights=None)
    assert count_parameters(ours) == count_parameters(theirs) == expected


def test_table_2_in_millions_and_depths():
    with torch.device("meta"):
        millions = {c: round(count_parameters(vgg(c)) / 1e6) for c in CONFIGS}
    assert millions == {"A": 133, "A-LRN": 133, "B": 133, "C": 134, "D": 138, "E": 144}
    assert [weight_layers(c) for c in CONFIGS] == [11, 11, 13, 16, 16, 19]


def test_same_weights_same_outputs_as_torchvision_vgg11():
    ours, reference = vgg("A").eval(), torchvision.models.vgg11().eval()
    ours.load_state_dict(reference.state_dict())
    x = torch.randn(1, 3, 224, 224)
    with torch.no_grad():
        torch.testing.assert_close(ours(x), reference(x))


def test_lrn_layer_only_in_a_lrn_and_unknown_config_refused():
    has_lrn = lambda m: any(isinstance(l, torch.nn.LocalResponseNorm) for l in m.modules())
    assert has_lrn(vgg("A-LRN")) and not has_lrn(vgg("A"))
    with pytest.raises(ValueError, match="A-LRN"):
        vgg("F")


def test_reduced_width_runs_on_cifar_shapes():
    model = vgg("E", num_classes=10, width=8, hidden=64, pooled=1)
    x = torch.rand(2, 3, 32, 32)
    loss = torch.nn.functional.cross_entropy(model(x), torch.tensor([0, 1]))
    loss.backward()
    assert torch.isfinite(loss)


def test_gpu_profile_nets_take_a_training_step_on_cifar_shapes():
    from zoo_utils import profiles
    from zoo_utils.models.vgg import KernelStackNet
    cfg = profiles.get("vgg", "gpu")
    x, y = torch.rand(2, 3, 32, 32), torch.tensor([3, 7])
    for model in [KernelStackNet(3, 3, cfg.stack_widths, batch_norm=cfg.batch_norm),
                  KernelStackNet(7, 1, cfg.stack_widths, batch_norm=cfg.batch_norm),
                  vgg("D", 10, width=cfg.width, hidden=cfg.hidden, pooled=1,
                      batch_norm=cfg.batch_norm)]:
        optimizer = torch.optim.SGD(model.parameters(), lr=cfg.lr, momentum=0.9)
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        assert torch.isfinite(loss)
