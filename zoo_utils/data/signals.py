"""A synthetic 1-D signal with a slowly changing hidden cause, for models that predict the
future of a sequence (CPC's 1-D task): a tone that switches now and then between a few
frequencies, under noise. How far ahead the signal can be predicted is set by how often the
tone switches, and the hidden tone at each step is a label for probing what was learned."""

import math

import torch


def switching_tones(n, steps=64, samples_per_step=8, n_tones=8, switch_p=0.1, noise=0.5, seed=0):
    """`n` signals (n, 1, steps * samples_per_step) and the tone playing at each step (n, steps).

    At every step the tone switches with probability `switch_p` to one of the `n_tones`
    frequencies (evenly spaced between 2 and 16 cycles per 64 samples) drawn at random; the
    phase runs on continuously, the amplitude is 1, and Gaussian noise of standard deviation
    `noise` is added to every sample."""
    g = torch.Generator().manual_seed(seed)
    switch = torch.rand(n, steps, generator=g) < switch_p
    switch[:, 0] = True
    draws = torch.randint(n_tones, (n, steps), generator=g)
    tones = torch.zeros(n, steps, dtype=torch.long)
    for t in range(steps):
        tones[:, t] = torch.where(switch[:, t], draws[:, t], tones[:, t - 1] if t else draws[:, 0])
    frequencies = torch.linspace(2, 16, n_tones) / 64               # cycles per sample
    per_sample = frequencies[tones].repeat_interleave(samples_per_step, dim=1)
    phase = 2 * math.pi * torch.cumsum(per_sample, 1) + 2 * math.pi * torch.rand(n, 1, generator=g)
    signal = torch.sin(phase) + noise * torch.randn(per_sample.shape, generator=g)
    return signal[:, None], tones
