"""pytest runs the unit tests in tests/, then every notebook in _toc.yml through nbval at `smoke`."""

import os
from pathlib import Path

import yaml

ROOT = Path(__file__).parent
os.environ.setdefault("ZOO_PROFILE", "smoke")   # the notebooks' kernels inherit this
os.environ.setdefault("ZOO_PROGRESS", "0")
os.environ.setdefault("MPLBACKEND", "Agg")


def _toc_files():
    files = set()

    def walk(node):
        if isinstance(node, dict):
            if "file" in node:
                files.add((ROOT / f"{node['file']}.ipynb").resolve())
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(yaml.safe_load((ROOT / "_toc.yml").read_text()))
    return files


BOOK_NOTEBOOKS = _toc_files()


def pytest_ignore_collect(collection_path, config):
    """Collect only the notebooks the book lists (not checkpoints or scratch notebooks)."""
    if collection_path.suffix == ".ipynb":
        return collection_path.resolve() not in BOOK_NOTEBOOKS
    return None
