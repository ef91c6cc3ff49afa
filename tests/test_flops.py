"""Multiply-adds counted by PyTorch's FlopCounterMode: the CNN tables keep their numbers, and
attention's matrix products, which layer hooks missed, are counted."""

import pytest
import torch
from torch import nn

from zoo_utils.models import count_macs, resnet
from zoo_utils.models.alexnet import AlexNet
from zoo_utils.models.vgg import vgg

# what the earlier hook-based counter (conv and linear layers only) gave for these nets
BEFORE = [(resnet.resnet18, 1_814_073_344), (lambda: resnet.resnet50(stride_on="1x1"), 3_857_973_248),
          (lambda: AlexNet(variant="paper"), 724_406_816), (lambda: vgg("A"), 7_609_090_048)]


@pytest.mark.parametrize("make, macs", BEFORE)
def test_convolutional_tables_keep_their_numbers(make, macs):
    with torch.device("meta"):
        model = make()
    assert count_macs(model, (3, 224, 224)) == macs


class SelfAttention(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.attention = nn.MultiheadAttention(d, heads, batch_first=True)

    def forward(self, x):
        return self.attention(x, x, x, need_weights=False)[0]


def test_attention_products_are_counted():
    n, d = 10, 64
    projections = 4 * n * d * d          # queries, keys, values and output: n x d by d x d each
    products = 2 * n * n * d             # Q K^T and the weighted sum of values
    assert count_macs(SelfAttention(d, heads=4), (n, d)) == projections + products


def test_fused_attention_is_counted_on_the_cpu_and_on_meta():
    b, h, n, d = 1, 2, 12, 8
    attend = lambda q: nn.functional.scaled_dot_product_attention(q, q, q)
    for device in ["cpu", "meta"]:
        q = torch.zeros(b, h, n, d, device=device)
        with torch.utils.flop_counter.FlopCounterMode(display=False) as counter:
            attend(q)
        assert counter.get_total_flops() // 2 == b * h * 2 * n * n * d, device
