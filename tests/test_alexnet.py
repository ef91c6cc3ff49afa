import torch
import torchvision

from zoo_utils import profiles
from zoo_utils.models import count_parameters, parameter_table
from zoo_utils.models.alexnet import AlexNet, Fig1CNN, SmallAlexNet


def test_single_gpu_variant_matches_torchvision_exactly():
    ours = AlexNet(variant="torchvision")
    reference = torchvision.models.alexnet(weights=None)
    assert count_parameters(ours) == count_parameters(reference) == 61_100_840
    shapes = [tuple(p.shape) for p in ours.parameters()]
    assert shapes == [tuple(p.shape) for p in reference.parameters()]


def test_same_weights_give_the_same_outputs_as_torchvision():
    ours, reference = AlexNet(variant="torchvision").eval(), torchvision.models.alexnet().eval()
    ours.load_state_dict(reference.state_dict())
    x = torch.randn(2, 3, 224, 224)
    with torch.no_grad():
        torch.testing.assert_close(ours(x), reference(x))


def test_paper_variant_has_about_sixty_million_parameters():
    model = AlexNet(variant="paper")
    total = count_parameters(model)
    assert total == 60_965_224                    # counted by hand from the paper's layer sizes
    assert abs(total - 60e6) / 60e6 < 0.02        # the paper's "60 million"
    table = parameter_table(model, (3, 224, 224))
    assert table["output shape"].iloc[:5].tolist() == ["96x55x55", "256x27x27", "384x13x13",
                                                      "384x13x13", "256x13x13"]
    assert table["parameters"].iloc[-1] == total


def test_fig1_net_has_four_weight_layers_and_both_activations():
    for activation in ["relu", "tanh"]:
        net = Fig1CNN(activation)
        layers = [m for m in net.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))]
        assert len(layers) == 4
        assert net(torch.rand(2, 3, 32, 32)).shape == (2, 10)


def test_overlapping_and_plain_pooling_nets_have_equal_size():
    a, b = SmallAlexNet(overlapping_pool=True), SmallAlexNet(overlapping_pool=False)
    assert count_parameters(a) == count_parameters(b)
    x = torch.rand(2, 3, 32, 32)
    assert a(x).shape == b(x).shape == (2, 10)
    assert a.embed(x).shape == (2, 256)


def test_gpu_profile_models_take_a_training_step_on_real_shapes():
    cfg = profiles.get("alexnet", "gpu")
    x, y = torch.rand(4, 3, 32, 32), torch.randint(0, 10, (4,))   # CIFAR-10's shape
    for model in [Fig1CNN("tanh", cfg.fig1_widths),
                  SmallAlexNet(width=cfg.small_width, hidden=cfg.small_hidden)]:
        optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        assert torch.isfinite(loss)
    model = AlexNet(variant="paper")                                # the full net at 224 x 224
    loss = torch.nn.functional.cross_entropy(model(torch.rand(2, 3, 224, 224)),
                                             torch.tensor([1, 2]))
    loss.backward()
    assert all(p.grad is not None for p in model.parameters())
