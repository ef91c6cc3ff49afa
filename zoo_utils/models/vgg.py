"""VGG (Simonyan & Zisserman, ICLR 2015): the six configurations of Table 1 from one table.

Each configuration is a list of five blocks; a block is a list of conv layers given by their
kernel size (3, or 1 for configuration C's 1x1 layers) and ends in a 2x2 max-pool. Widths double
per block from 64 to 512; "LRN" marks local response normalisation after the first layer (A-LRN).
"""

import torch
from torch import nn

# per block, the kernel size of each conv layer (Table 1)
CONFIGS = {
    "A": [[3], [3], [3, 3], [3, 3], [3, 3]],
    "A-LRN": [[3, "LRN"], [3], [3, 3], [3, 3], [3, 3]],
    "B": [[3, 3], [3, 3], [3, 3], [3, 3], [3, 3]],
    "C": [[3, 3], [3, 3], [3, 3, 1], [3, 3, 1], [3, 3, 1]],
    "D": [[3, 3], [3, 3], [3, 3, 3], [3, 3, 3], [3, 3, 3]],
    "E": [[3, 3], [3, 3], [3, 3, 3, 3], [3, 3, 3, 3], [3, 3, 3, 3]],
}
WIDTHS = (64, 128, 256, 512, 512)


def weight_layers(config):
    """Depth as the paper counts it: conv layers plus the three FC layers."""
    return sum(k != "LRN" for block in CONFIGS[config] for k in block) + 3


def features(config, width=64, in_channels=3, lrn=True, batch_norm=False):
    """The conv part: blocks of conv [-> BatchNorm] -> ReLU, each closed by a 2x2 max-pool.
    BatchNorm (torchvision's vgg*_bn) came after the paper; we use it only to train small nets fast."""
    layers = []
    for block, base in zip(CONFIGS[config], WIDTHS):
        channels = base * width // 64
        for kernel in block:
            if kernel == "LRN":
                if lrn:
                    layers.append(nn.LocalResponseNorm(size=5, alpha=1e-4, beta=0.75, k=2.0))
                continue
            layers += conv_relu(in_channels, channels, kernel, batch_norm)
            in_channels = channels
        layers.append(nn.MaxPool2d(2, 2))
    return nn.Sequential(*layers)


def conv_relu(in_channels, out_channels, kernel, batch_norm=False):
    conv = nn.Conv2d(in_channels, out_channels, kernel, padding=kernel // 2)
    norm = [nn.BatchNorm2d(out_channels)] if batch_norm else []
    return [conv, *norm, nn.ReLU(inplace=True)]


class VGG(nn.Module):
    compile_for_training = True     # a backbone zoo_utils.train.fit may compile

    def __init__(self, config="D", num_classes=1000, width=64, hidden=4096, pooled=7,
                 dropout=0.5, in_channels=3, lrn=True, batch_norm=False):
        super().__init__()
        if config not in CONFIGS:
            raise ValueError(f"unknown VGG configuration {config!r}; choose one of {list(CONFIGS)}")
        self.features = features(config, width, in_channels, lrn, batch_norm)
        self.avgpool = nn.AdaptiveAvgPool2d((pooled, pooled))
        channels = WIDTHS[-1] * width // 64
        self.classifier = nn.Sequential(
            nn.Linear(channels * pooled * pooled, hidden), nn.ReLU(inplace=True), nn.Dropout(dropout),
            nn.Linear(hidden, hidden), nn.ReLU(inplace=True), nn.Dropout(dropout),
            nn.Linear(hidden, num_classes))

    def forward(self, x):
        return self.classifier(torch.flatten(self.avgpool(self.features(x)), 1))


def vgg(config, num_classes=1000, **kwargs):
    """Configuration `config` of Table 1 ("A", "A-LRN", "B", "C", "D" or "E")."""
    return VGG(config, num_classes, **kwargs)


class KernelStackNet(nn.Module):
    """§2.3's comparison: each of three stages sees the same receptive field either through
    `convs` stacked 3x3 layers or through one larger kernel (convs=1, kernel=2*3+1 for three);
    same widths, a 2x2 max-pool after each stage, global average pool and a linear classifier."""
    compile_for_training = True     # a backbone zoo_utils.train.fit may compile

    def __init__(self, kernel=3, convs=3, widths=(16, 32, 64), num_classes=10, in_channels=3,
                 batch_norm=False):
        super().__init__()
        layers = []
        for width in widths:
            for _ in range(convs):
                layers += conv_relu(in_channels, width, kernel, batch_norm)
                in_channels = width
            layers.append(nn.MaxPool2d(2, 2))
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Linear(in_channels, num_classes)

    def forward(self, x):
        return self.classifier(self.features(x).mean((2, 3)))


def receptive_field(kernels, strides=None):
    """Receptive field of stacked layers: r = 1 + sum (k_i - 1) * (product of earlier strides)."""
    strides = strides or [1] * len(kernels)
    field, jump = 1, 1
    for k, s in zip(kernels, strides):
        field += (k - 1) * jump
        jump *= s
    return field
