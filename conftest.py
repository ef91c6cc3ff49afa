"""pytest runs the unit tests in tests/, then every notebook in _toc.yml through nbval at `smoke`."""

import os
from pathlib import Path

from zoo_utils.reproduce import toc_notebooks

ROOT = Path(__file__).parent
os.environ.setdefault("ZOO_PROFILE", "smoke")   # the notebooks' kernels inherit this
os.environ.setdefault("ZOO_PROGRESS", "0")
os.environ.setdefault("MPLBACKEND", "Agg")


BOOK_NOTEBOOKS = {path.resolve() for path in toc_notebooks(ROOT).values()}


def pytest_ignore_collect(collection_path, config):
    """Collect only the notebooks the book lists (not checkpoints or scratch notebooks)."""
    if collection_path.suffix == ".ipynb":
        return collection_path.resolve() not in BOOK_NOTEBOOKS
    return None
