"""Shared code for *Model Architectures, Reproduced*: data, models, training, results, plots."""

__version__ = "0.1.0"
