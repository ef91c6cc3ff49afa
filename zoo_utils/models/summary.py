"""Parameter counts, per layer and in total, for the architecture tables."""

import pandas as pd
import torch
from torch import nn


def count_parameters(model):
    return sum(p.numel() for p in model.parameters())


def parameter_table(model, input_shape):
    """One row per layer with weights: output shape and parameter count, from a real forward."""
    rows, hooks = [], []

    def record(name):
        def hook(module, _inputs, output):
            rows.append({"layer": name, "type": type(module).__name__,
                         "output shape": "x".join(map(str, output.shape[1:])),
                         "parameters": count_parameters(module)})
        return hook

    for name, module in model.named_modules():
        if isinstance(module, (nn.Conv2d, nn.Linear)):
            hooks.append(module.register_forward_hook(record(name)))
    was_training = model.training
    model.eval()
    with torch.no_grad():
        model(torch.zeros(1, *input_shape))
    model.train(was_training)
    for h in hooks:
        h.remove()
    table = pd.DataFrame(rows)
    table.loc[len(table)] = {"layer": "total", "type": "", "output shape": "",
                             "parameters": table["parameters"].sum()}
    return table


def count_macs(model, input_shape):
    """Multiply-adds of the conv and FC layers for one input (the papers' "FLOPs")."""
    total, hooks = 0, []

    def conv_hook(module, _inputs, output):
        nonlocal total
        per_output = module.in_channels // module.groups * module.kernel_size[0] * module.kernel_size[1]
        total += output.numel() * per_output

    def linear_hook(module, _inputs, output):
        nonlocal total
        total += output.numel() * module.in_features

    for module in model.modules():
        if isinstance(module, nn.Conv2d):
            hooks.append(module.register_forward_hook(conv_hook))
        elif isinstance(module, nn.Linear):
            hooks.append(module.register_forward_hook(linear_hook))
    was_training = model.training
    model.eval()
    with torch.no_grad():
        model(torch.zeros(1, *input_shape))
    model.train(was_training)
    for h in hooks:
        h.remove()
    return total
