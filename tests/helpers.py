"""Small helpers shared by the test modules."""

import torch
import torch.nn.functional as F


def unit(*shape, seed=0):
    """Seeded random vectors of unit length along the last dimension."""
    return F.normalize(torch.randn(*shape, generator=torch.Generator().manual_seed(seed)), dim=-1)
