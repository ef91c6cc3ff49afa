"""The three profiles of every notebook, as data, one module per paper.

`get(notebook, profile)` returns that notebook's config at `smoke` (CI: every code path, tiny
data), `cpu` (a laptop: the offline datasets, about 5 minutes on 2 cores) or `gpu` (the paper's
dataset and scale). `profile=None` reads $ZOO_PROFILE and falls back to `cpu`.

A paper's profiles live in `zoo_utils/profiles/<paper>.py` as a dict `PROFILES` with one config
per profile name; a new module there is registered under its file name.
"""

import importlib
import os
import pkgutil
from dataclasses import replace

PROFILE_NAMES = ("smoke", "cpu", "gpu")
DEFAULT_PROFILE = "cpu"

REGISTRY = {module.name: importlib.import_module(f"{__name__}.{module.name}").PROFILES
            for module in pkgutil.iter_modules(__path__) if not module.name.startswith("_")}


def resolve(profile=None):
    """The profile name to use: the argument, else $ZOO_PROFILE, else `cpu`; checked."""
    name = profile or os.environ.get("ZOO_PROFILE") or DEFAULT_PROFILE
    if name not in PROFILE_NAMES:
        raise ValueError(f"unknown profile {name!r}; valid profiles: {', '.join(PROFILE_NAMES)}")
    return name


def get(notebook, profile=None, **overrides):
    """`notebook`'s config at `profile`, with any fields overridden by keyword."""
    if notebook not in REGISTRY:
        raise ValueError(f"no profiles for notebook {notebook!r}; known: {', '.join(REGISTRY)}")
    return replace(REGISTRY[notebook][resolve(profile)], **overrides)
