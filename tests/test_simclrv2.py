"""SimCLR v2: the deeper head, fine-tuning from inside it, and distillation."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import TensorDataset

from zoo_utils import contrastive as C
from zoo_utils import train
from zoo_utils.models import simclrv2 as V2


def test_the_deep_head_has_three_layers_with_relus_between_them():
    head = V2.deep_head(32, 8, depth=3)
    assert len(head) == 3
    assert [type(layer[-1]) for layer in head] == [nn.ReLU, nn.ReLU, nn.BatchNorm1d]
    assert head[0][0].out_features == 32 and head[2][0].out_features == 8
    assert head(torch.randn(4, 32)).shape == (4, 8)


@pytest.mark.parametrize("from_layer", [0, 1])
def test_fine_tuning_copies_the_encoder_and_the_first_layers_of_the_head(from_layer):
    pretrained = V2.SimCLRv2(C.make_encoder("resnet8", 4, 3, 16, seed=0), dim=16).eval()
    classifier = V2.FineTuned(pretrained, from_layer, classes=10)
    assert len(classifier.head) == from_layer
    images = torch.rand(4, 3, 16, 16)
    assert classifier(images).shape == (4, 10)
    if from_layer:
        assert torch.equal(classifier.head[0][0].weight, pretrained.head[0][0].weight)
    before = pretrained.encoder.conv1.weight.clone()            # training the copy leaves the original alone
    F.cross_entropy(classifier.train()(images), torch.arange(4)).backward()
    torch.optim.SGD(classifier.parameters(), lr=1.0).step()
    assert torch.equal(pretrained.encoder.conv1.weight, before)
    assert not torch.equal(classifier.encoder.conv1.weight, before)


def test_the_distillation_loss_is_the_soft_label_cross_entropy():
    torch.manual_seed(0)
    student, teacher = torch.randn(6, 5, requires_grad=True), torch.randn(6, 5, requires_grad=True)
    for tau in (1.0, 2.0):
        ours = V2.distillation_loss(student, teacher, tau)
        assert ours.item() == pytest.approx(
            F.cross_entropy(student / tau, F.softmax(teacher / tau, 1)).item(), rel=1e-6)
    ours.backward()
    assert teacher.grad is None                                  # the teacher is fixed
    # smallest when the student agrees with the teacher
    assert V2.distillation_loss(teacher.detach(), teacher) < V2.distillation_loss(student, teacher)


def test_a_student_learns_its_teachers_predictions_from_unlabelled_inputs():
    torch.manual_seed(0)
    teacher = nn.Sequential(nn.Flatten(), nn.Linear(12, 4))
    student = nn.Sequential(nn.Flatten(), nn.Linear(12, 4))
    inputs = TensorDataset(torch.randn(256, 3, 2, 2))
    step = V2.distillation_step(teacher)
    start = train.evaluate(student, inputs, step=step)["agreement"]
    history = train.fit_steps(student, inputs, 300, lr=0.5, batch_size=64, step=step, device="cpu")
    assert start < 0.5 and history["train_agreement"].iloc[-1] > 0.9
