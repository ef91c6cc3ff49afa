"""One module per paper: `zoo_utils.models.alexnet`, `zoo_utils.models.resnet`, ..."""

from .summary import count_macs, count_parameters, parameter_table

__all__ = ["count_macs", "count_parameters", "parameter_table"]
