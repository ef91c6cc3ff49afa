"""Parameter counts, per layer and in total, and multiply-adds, for the architecture tables."""

import pandas as pd
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode, register_flop_formula, sdpa_flop_count


@register_flop_formula(torch.ops.aten._scaled_dot_product_flash_attention_for_cpu)
def _cpu_attention_flops(query_shape, key_shape, value_shape, *args, out_shape=None, **kwargs):
    """PyTorch counts its GPU attention kernels but not the CPU one; the arithmetic is the same."""
    return sdpa_flop_count(query_shape, key_shape, value_shape)


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


def count_macs(model, input_shape, dtype=torch.float32):
    """Multiply-adds for one input of `input_shape` (the papers' "FLOPs"), counted by PyTorch's
    `FlopCounterMode`: every matrix product and convolution, attention's included; element-wise
    work (norms, activations, pooling) is not counted, as the papers do not count it. Works on
    a model built on the meta device. Use `dtype=torch.long` for token ids."""
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    try:
        # with gradients on, nn.MultiheadAttention avoids its fused kernel, which goes uncounted
        with FlopCounterMode(display=False) as counter:
            model(torch.zeros(1, *input_shape, dtype=dtype, device=device))
    finally:
        model.train(was_training)
    return counter.get_total_flops() // 2    # one multiply-add is two floating-point operations
