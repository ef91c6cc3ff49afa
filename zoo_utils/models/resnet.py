"""ResNet (He, Zhang, Ren & Sun, CVPR 2016): the ImageNet nets of Table 1 and the CIFAR nets of §4.2.

A residual block computes y = F(x) + shortcut(x). Where F changes the shape (stride 2, more
channels) the shortcut must too, in one of the paper's three ways:
  A: identity, subsampled, with the extra channels zero-padded (no parameters);
  B: a 1x1 projection where the shape changes, identity elsewhere (torchvision's choice);
  C: a 1x1 projection on every block.
`plain=True` drops the shortcut entirely: the plain nets of Fig 1 and Fig 6 have the same layers.
"""

import torch
import torch.nn.functional as F
from torch import nn


def conv3x3(in_channels, out_channels, stride=1):
    return nn.Conv2d(in_channels, out_channels, 3, stride, 1, bias=False)


def conv1x1(in_channels, out_channels, stride=1):
    return nn.Conv2d(in_channels, out_channels, 1, stride, bias=False)


def norm_layer(kind, channels, group_size=8):
    """The paper's BatchNorm, or GroupNorm (Wu & He 2018) over groups of `group_size` channels,
    whose statistics do not depend on the batch (the CIFAR nets are too narrow for its 32
    groups), or LayerNorm over each image's whole feature map (GroupNorm with one group)."""
    if kind == "batch":
        return nn.BatchNorm2d(channels)
    if kind == "group":
        return nn.GroupNorm(max(1, channels // group_size), channels)
    if kind == "layer":
        return nn.GroupNorm(1, channels)
    raise ValueError(f"unknown norm {kind!r}; choose 'batch', 'group' or 'layer'")


def replace_norm(module, kind):
    """`module` with every BatchNorm2d replaced by a fresh `norm_layer(kind)` of its width, so
    that any of the book's networks can be built without batch statistics."""
    for name, child in module.named_children():
        if isinstance(child, nn.BatchNorm2d):
            setattr(module, name, norm_layer(kind, child.num_features))
        else:
            replace_norm(child, kind)
    return module


class ZeroPadShortcut(nn.Module):
    """Option A: keep every other pixel and pad the new channels with zeros."""

    def __init__(self, stride, extra_channels):
        super().__init__()
        self.stride, self.extra = stride, extra_channels

    def forward(self, x):
        x = x[:, :, ::self.stride, ::self.stride]
        return F.pad(x, (0, 0, 0, 0, self.extra // 2, self.extra - self.extra // 2))


def shortcut(option, in_channels, out_channels, stride):
    """The shortcut of one block; `None` means identity."""
    reshapes = stride != 1 or in_channels != out_channels
    if option == "A":
        return ZeroPadShortcut(stride, out_channels - in_channels) if reshapes else None
    if option == "C" or (option == "B" and reshapes):
        return nn.Sequential(conv1x1(in_channels, out_channels, stride), nn.BatchNorm2d(out_channels))
    if option not in ("A", "B", "C"):
        raise ValueError(f"unknown shortcut option {option!r}; choose A, B or C")
    return None


class BasicBlock(nn.Module):
    """Two 3x3 convolutions (ResNet-18/34 and the CIFAR nets)."""
    expansion = 1

    def __init__(self, in_channels, channels, stride=1, option="B", plain=False, norm="batch"):
        super().__init__()
        self.conv1, self.bn1 = conv3x3(in_channels, channels, stride), norm_layer(norm, channels)
        self.conv2, self.bn2 = conv3x3(channels, channels), norm_layer(norm, channels)
        self.plain = plain
        self.downsample = None if plain else shortcut(option, in_channels, channels, stride)

    def residual(self, x):
        return self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))

    def forward(self, x):
        out = self.residual(x)
        if not self.plain:
            out = out + (x if self.downsample is None else self.downsample(x))
        return F.relu(out)


class Bottleneck(BasicBlock):
    """1x1 reduce, 3x3, 1x1 expand by 4 (ResNet-50/101/152). `stride_on` places the stride on
    the first 1x1 (the paper) or on the 3x3 (torchvision's "v1.5"); parameters are the same."""
    expansion = 4

    def __init__(self, in_channels, channels, stride=1, option="B", plain=False, stride_on="3x3"):
        nn.Module.__init__(self)
        s1, s3 = (stride, 1) if stride_on == "1x1" else (1, stride)
        out_channels = channels * self.expansion
        self.conv1, self.bn1 = conv1x1(in_channels, channels, s1), nn.BatchNorm2d(channels)
        self.conv2, self.bn2 = conv3x3(channels, channels, s3), nn.BatchNorm2d(channels)
        self.conv3, self.bn3 = conv1x1(channels, out_channels), nn.BatchNorm2d(out_channels)
        self.plain = plain
        self.downsample = None if plain else shortcut(option, in_channels, out_channels, stride)

    def residual(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = F.relu(self.bn2(self.conv2(x)))
        return self.bn3(self.conv3(x))


class ResNet(nn.Module):
    """The ImageNet ResNets: 7x7 stem, four stages of blocks (64-512 channels), average pool, FC."""
    compile_for_training = True     # a backbone zoo_utils.train.fit may compile

    def __init__(self, block, blocks_per_stage, num_classes=1000, option="B", plain=False,
                 **block_kwargs):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        in_channels, stages = 64, []
        for i, (channels, n) in enumerate(zip((64, 128, 256, 512), blocks_per_stage)):
            layers = []
            for j in range(n):
                stride = 2 if i > 0 and j == 0 else 1
                layers.append(block(in_channels, channels, stride, option, plain, **block_kwargs))
                in_channels = channels * block.expansion
            stages.append(nn.Sequential(*layers))
        self.layer1, self.layer2, self.layer3, self.layer4 = stages
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(in_channels, num_classes)

    def feature_map(self, x):
        """The last stage's map, (n, channels, H / 32, W / 32) (H / 8 without the stem's strides)."""
        x = self.maxpool(F.relu(self.bn1(self.conv1(x))))
        return self.layer4(self.layer3(self.layer2(self.layer1(x))))

    def features(self, x):
        """The globally pooled features that the FC layer classifies."""
        return torch.flatten(self.avgpool(self.feature_map(x)), 1)

    def forward(self, x):
        return self.fc(self.features(x))


def resnet18(**kwargs):
    return ResNet(BasicBlock, (2, 2, 2, 2), **kwargs)


def resnet18_cifar(in_channels=3, **kwargs):
    """ResNet-18 for 32-pixel images, as self-supervised CIFAR code (MoCo's official demo) uses
    it: a 3x3 stride-1 stem and no max-pool, so the last stage still sees a 4 x 4 map."""
    net = resnet18(**kwargs)
    net.conv1 = conv3x3(in_channels, 64)
    net.maxpool = nn.Identity()
    return net


def resnet34(**kwargs):
    return ResNet(BasicBlock, (3, 4, 6, 3), **kwargs)


def resnet50(**kwargs):
    return ResNet(Bottleneck, (3, 4, 6, 3), **kwargs)


def resnet101(**kwargs):
    return ResNet(Bottleneck, (3, 4, 23, 3), **kwargs)


def resnet152(**kwargs):
    return ResNet(Bottleneck, (3, 8, 36, 3), **kwargs)


class CifarResNet(nn.Module):
    """The CIFAR-10 nets of §4.2: 6n+2 layers, a 3x3 stem and three stages of n basic blocks
    with 16, 32 and 64 channels (times `width` / 16), global average pool and a 10-way FC.
    `block="bottleneck"` uses n bottleneck blocks per stage instead (9n+2 layers; `width` sets
    their inner width, the outputs are four times wider). `norm="group"` (or "layer") puts
    GroupNorm (or LayerNorm) in place of BatchNorm in the basic blocks (with option A's
    parameter-free shortcuts)."""
    compile_for_training = True     # a backbone zoo_utils.train.fit may compile

    def __init__(self, depth, plain=False, option="A", num_classes=10, width=16, in_channels=3,
                 block="basic", norm="batch"):
        super().__init__()
        block = {"basic": BasicBlock, "bottleneck": Bottleneck}[block]
        layers_per_block = 2 if block is BasicBlock else 3
        if (depth - 2) % (3 * layers_per_block):
            raise ValueError(f"CIFAR ResNets with {block.__name__} have "
                             f"{3 * layers_per_block}n+2 layers; {depth} is not of that form")
        n = (depth - 2) // (3 * layers_per_block)
        if norm != "batch" and (block is not BasicBlock or option != "A"):
            raise ValueError(f"norm={norm!r} is for basic blocks with option A shortcuts")
        extra = {"norm": norm} if norm != "batch" else {}
        self.conv1, self.bn1 = conv3x3(in_channels, width), norm_layer(norm, width)
        blocks, c = [], width
        for i, w in enumerate([width, 2 * width, 4 * width]):
            for j in range(n):
                blocks.append(block(c, w, 2 if i > 0 and j == 0 else 1, option, plain, **extra))
                c = w * block.expansion
        self.blocks = nn.Sequential(*blocks)
        self.fc = nn.Linear(c, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def feature_map(self, x):
        """The last stage's map, (n, channels, H / 4, W / 4), before pooling."""
        return self.blocks(F.relu(self.bn1(self.conv1(x))))

    def features(self, x):
        """The globally pooled features that the FC layer classifies."""
        return self.feature_map(x).mean((2, 3))

    def forward(self, x):
        return self.fc(self.features(x))


def cifar_resnet(depth, plain=False, **kwargs):
    """ResNet-`depth` for CIFAR (6n+2 layers); `plain=True` gives its twin without shortcuts."""
    return CifarResNet(depth, plain, **kwargs)
