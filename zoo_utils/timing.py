"""Where a page's time goes: training, evaluation, data preparation and plotting.

The package's own functions mark their phases (`zoo_utils.train.fit` is training,
`zoo_utils.train.evaluate` and the frozen-feature judges are evaluation, dataset loaders are data
preparation, drawing a figure is plotting), and `spent()` says how many seconds this process
has spent in each. Time is charged to the innermost phase, except inside a *sealed* phase, whose
inner phases are charged to it: the linear probe trains with `fit`, but it is evaluation. A
page's `Results.save` stores `spent()` beside its claims, for `benchmarks/book_time.py`.
"""

import contextlib
import functools
import time
from collections import defaultdict

PHASES = ("training", "evaluation", "data preparation", "plotting")
_spent = defaultdict(float)
_stack = []                    # [(name, sealed)], innermost last
_since = time.perf_counter()


def _charge():
    global _since
    now = time.perf_counter()
    if _stack:
        _spent[_stack[-1][0]] += now - _since
    _since = now


@contextlib.contextmanager
def phase(name, sealed=False):
    """Charge the time inside to `name` (one of PHASES), unless a sealed phase encloses it."""
    if name not in PHASES:
        raise ValueError(f"unknown phase {name!r}; choose one of {PHASES}")
    if any(s for _, s in _stack):
        yield
        return
    _charge()
    _stack.append((name, sealed))
    try:
        yield
    finally:
        _charge()
        _stack.pop()


def timed(name, sealed=False):
    """Decorator: every call of the function is `phase(name, sealed)`."""
    def wrap(function):
        @functools.wraps(function)
        def inner(*args, **kwargs):
            with phase(name, sealed):
                return function(*args, **kwargs)
        return inner
    return wrap


def spent():
    """Seconds spent so far in each phase, by this process."""
    _charge()
    return {name: round(_spent[name], 3) for name in PHASES}


def reset():
    _spent.clear()


def time_figures():
    """Charge matplotlib's rendering of every figure (what a notebook's inline backend does at the
    end of a cell, and what `savefig` does) to plotting. Idempotent."""
    from matplotlib.backend_bases import FigureCanvasBase

    if getattr(FigureCanvasBase.print_figure, "_zoo_timed", False):
        return
    FigureCanvasBase.print_figure = timed("plotting", sealed=True)(FigureCanvasBase.print_figure)
    FigureCanvasBase.print_figure._zoo_timed = True
