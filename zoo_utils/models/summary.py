"""Parameter counts, per layer and in total, and multiply-adds, for the architecture tables."""

import pandas as pd
import torch
from torch import nn


def count_parameters(model):
    return sum(p.numel() for p in model.parameters())


def _forward_with_hooks(model, input_shape, hook):
    """One eval-mode forward of a zero image with `hook(name, module, output)` on every conv and
    FC layer, in the order they run. Shapes are all the hooks need, so the model may live on the
    meta device."""
    handles = [module.register_forward_hook(lambda m, _i, out, name=name: hook(name, m, out))
               for name, module in model.named_modules()
               if isinstance(module, (nn.Conv2d, nn.Linear))]
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():  # a model built under `torch.device("meta")` costs no compute
            model(torch.zeros(1, *input_shape, device=next(model.parameters()).device))
    finally:
        model.train(was_training)
        for handle in handles:
            handle.remove()


def parameter_table(model, input_shape):
    """One row per layer with weights: output shape and parameter count, from a real forward."""
    rows = []
    _forward_with_hooks(model, input_shape, lambda name, module, output: rows.append(
        {"layer": name, "type": type(module).__name__,
         "output shape": "x".join(map(str, output.shape[1:])),
         "parameters": count_parameters(module)}))
    table = pd.DataFrame(rows)
    table.loc[len(table)] = {"layer": "total", "type": "", "output shape": "",
                             "parameters": table["parameters"].sum()}
    return table


def count_macs(model, input_shape):
    """Multiply-adds of the conv and FC layers for one input (the papers' "FLOPs")."""
    total = 0

    def add(_name, module, output):
        nonlocal total
        if isinstance(module, nn.Conv2d):
            kh, kw = module.kernel_size
            total += output.numel() * module.in_channels // module.groups * kh * kw
        else:
            total += output.numel() * module.in_features

    _forward_with_hooks(model, input_shape, add)
    return total
