"""AlexNet (Krizhevsky, Sutskever & Hinton, NIPS 2012) and the small nets of its experiments.

- `AlexNet`: five convolutional and three fully connected layers. `variant="paper"` is the
  two-GPU net of the paper (96-256-384-384-256 kernels, conv2/4/5 split into two groups, local
  response normalisation after conv1 and conv2, about 61M parameters); `variant="torchvision"`
  is the later single-GPU net (64-192-384-256-256) that torchvision ships, 61,100,840 parameters.
- `Fig1CNN`: the kind of small net behind Fig 1 (ReLU against tanh on CIFAR-10); the paper
  does not describe it, so we follow cuda-convnet's CIFAR-10 layouts: three conv + pool stages
  and a linear classifier.
- `SmallAlexNet`: AlexNet's recipe (conv stages, overlapping max-pooling, two dropout FC layers)
  shrunk for 32 x 32 images, for the pooling, dropout and nearest-neighbour experiments.
"""

import torch
from torch import nn

ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh}

# (out channels, kernel, stride, padding, groups, LRN after, max-pool after) per conv layer
CONV_LAYERS = {
    "paper": [(96, 11, 4, 2, 1, True, True), (256, 5, 1, 2, 2, True, True),
              (384, 3, 1, 1, 1, False, False), (384, 3, 1, 1, 2, False, False),
              (256, 3, 1, 1, 2, False, True)],
    "torchvision": [(64, 11, 4, 2, 1, False, True), (192, 5, 1, 2, 1, False, True),
                    (384, 3, 1, 1, 1, False, False), (256, 3, 1, 1, 1, False, False),
                    (256, 3, 1, 1, 1, False, True)],
}


def conv_stages(in_channels, layers, pool):
    """Conv -> ReLU [-> LRN] [-> max-pool] for each row of a `CONV_LAYERS` table."""
    modules = []
    for out_channels, kernel, stride, padding, groups, lrn, pooled in layers:
        modules += [nn.Conv2d(in_channels, out_channels, kernel, stride, padding, groups=groups),
                    nn.ReLU(inplace=True)]
        if lrn:  # the paper's constants: k=2, n=5, alpha=1e-4, beta=0.75
            modules.append(nn.LocalResponseNorm(size=5, alpha=1e-4, beta=0.75, k=2.0))
        if pooled:
            modules.append(pool())
        in_channels = out_channels
    return nn.Sequential(*modules)


def classifier(in_features, hidden, num_classes, dropout):
    """Dropout -> FC -> ReLU, twice, then the output layer: the last hidden layer is the feature."""
    return nn.Sequential(
        nn.Dropout(dropout), nn.Linear(in_features, hidden), nn.ReLU(inplace=True),
        nn.Dropout(dropout), nn.Linear(hidden, hidden), nn.ReLU(inplace=True),
        nn.Linear(hidden, num_classes))


class AlexNet(nn.Module):
    compile_for_training = True     # a backbone zoo_utils.train.fit may compile

    def __init__(self, num_classes=1000, variant="paper", dropout=0.5):
        super().__init__()
        if variant not in CONV_LAYERS:
            raise ValueError(f"unknown AlexNet variant {variant!r}; choose one of {list(CONV_LAYERS)}")
        layers = CONV_LAYERS[variant]
        self.features = conv_stages(3, layers, lambda: nn.MaxPool2d(kernel_size=3, stride=2))
        self.avgpool = nn.AdaptiveAvgPool2d((6, 6))
        self.classifier = classifier(layers[-1][0] * 6 * 6, 4096, num_classes, dropout)

    def forward(self, x):
        return self.classifier(torch.flatten(self.avgpool(self.features(x)), 1))


class Fig1CNN(nn.Module):
    """Conv(5x5) -> activation stages, each ending in max-pool(3, 2), and a linear classifier.

    With the defaults it is the four-layer net of Fig 1 (three conv layers and the classifier);
    `convs_per_stage` > 1 adds 3x3 conv layers to every stage to make it deeper.
    """

    def __init__(self, activation="relu", widths=(32, 32, 64), convs_per_stage=1, in_channels=3,
                 num_classes=10, image_size=32):
        super().__init__()
        act = ACTIVATIONS[activation]
        modules = []
        for width in widths:
            for k in range(convs_per_stage):
                kernel = 5 if k == 0 else 3
                modules += [nn.Conv2d(in_channels, width, kernel, padding=kernel // 2), act()]
                in_channels = width
            modules.append(nn.MaxPool2d(3, 2, padding=1))
            image_size = (image_size + 1) // 2
        self.features = nn.Sequential(*modules)
        self.classifier = nn.Linear(in_channels * image_size * image_size, num_classes)

    def forward(self, x):
        return self.classifier(torch.flatten(self.features(x), 1))


def scaled_init(model, activation):
    """Variance-preserving init for `activation` (He et al. 2015's gain: sqrt(2) for ReLU, 5/3
    for tanh), in place of PyTorch's default, which shrinks activations layer by layer."""
    for module in model.modules():
        if isinstance(module, (nn.Conv2d, nn.Linear)):
            gain_for = activation if isinstance(module, nn.Conv2d) else "linear"  # logits: no activation
            nn.init.kaiming_normal_(module.weight, nonlinearity=gain_for)
            nn.init.zeros_(module.bias)
    return model


def convnet_init(model, first_std=1e-4, std=1e-2):
    """Small Gaussian weights and zero biases, as in cuda-convnet's CIFAR-10 nets (the code behind
    Fig 1), meant for mean-subtracted inputs on the 0-255 pixel scale."""
    layers = [m for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    for i, module in enumerate(layers):
        nn.init.normal_(module.weight, 0.0, first_std if i == 0 else std)
        nn.init.zeros_(module.bias)
    return model


INITS = {"default": lambda model, activation: model, "scaled": scaled_init,
         "convnet": lambda model, activation: convnet_init(model)}


def pooling(overlapping):
    """z=3, s=2 (the paper's overlapping pooling) or z=2, s=2 (the traditional kind)."""
    return (lambda: nn.MaxPool2d(3, 2, padding=1)) if overlapping else (lambda: nn.MaxPool2d(2, 2))


class SmallAlexNet(nn.Module):
    """AlexNet's recipe for 32 x 32 images: conv stages with max-pooling (overlapping or not),
    then two dropout FC layers; three conv layers rather than five so it trains in seconds."""

    def __init__(self, num_classes=10, width=16, hidden=256, overlapping_pool=True, dropout=0.5,
                 in_channels=3):
        super().__init__()
        w = width
        layers = [(w, 5, 1, 2, 1, False, True), (2 * w, 5, 1, 2, 1, False, True),
                  (2 * w, 3, 1, 1, 1, False, True)]
        self.features = conv_stages(in_channels, layers, pooling(overlapping_pool))
        self.classifier = classifier(2 * w * 4 * 4, hidden, num_classes, dropout)

    def forward(self, x):
        return self.classifier(torch.flatten(self.features(x), 1))

    def embed(self, x):
        """The last hidden layer's activations: the feature space of the paper's Fig 3."""
        return self.classifier[:-1](torch.flatten(self.features(x), 1))
