"""pytest runs the unit tests in tests/, then every notebook in _toc.yml through nbval at `smoke`,
then checks that none of it wrote into the source tree."""

import os
import subprocess
import tempfile
from pathlib import Path

from zoo_utils.reproduce import toc_notebooks

ROOT = Path(__file__).parent
os.environ.setdefault("ZOO_PROFILE", "smoke")   # the notebooks' kernels inherit these
os.environ.setdefault("ZOO_PROGRESS", "0")
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("ZOO_RESULTS_DIR", tempfile.mkdtemp(prefix="zoo-results-"))
os.environ.setdefault("ZOO_DATA_DIR", tempfile.mkdtemp(prefix="zoo-data-"))   # tokenizer caches

BOOK_NOTEBOOKS = {path.resolve() for path in toc_notebooks(ROOT).values()}
LAST = "test_the_suite_leaves_the_source_tree_clean"


def git_status():
    """`git status` of the checkout (untracked files included), or None outside a git checkout."""
    try:
        proc = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=ROOT,
                              capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return proc.stdout if proc.returncode == 0 else None


def pytest_sessionstart(session):
    session.config.git_status_before = git_status()


def pytest_ignore_collect(collection_path, config):
    """Collect only the notebooks the book lists (not checkpoints or scratch notebooks)."""
    if collection_path.suffix == ".ipynb":
        return collection_path.resolve() not in BOOK_NOTEBOOKS
    return None


def pytest_collection_modifyitems(items):
    """The source-tree check runs last, after the notebooks."""
    items.sort(key=lambda item: item.name == LAST)
