"""Each notebook's reproduction table: claim, the paper's number, ours over seeds, verdict.

A notebook records its claims in a `Results`, shows it as a table, and saves it as JSON beside
the executed notebook (in $ZOO_RESULTS_DIR, which the runner and the tests set) so that the
book's scoreboard can gather every notebook's rows with `load_all`. A notebook run by hand in a
checkout saves under `_build/results/<profile>/`, never beside the notebook itself.
"""

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from . import timing

VERDICTS = ("reproduced", "partly", "not at this scale", "not assessed")


@dataclass
class Claim:
    claim: str
    paper: str
    values: list = field(default_factory=list)   # one measurement per seed
    unit: str = ""
    verdict: str = "not assessed"
    note: str = ""

    @property
    def ours(self):
        """'mean ± std (n=k)' over the seeds; NaN runs (e.g. never reached) are counted apart."""
        values = np.asarray(self.values, dtype=float)
        if len(values) == 0:
            return "not measured"
        finite = values[np.isfinite(values)]
        if len(finite) == 0:
            return f"none reached (n={len(values)})"
        text = _number(finite.mean())
        if len(finite) > 1:
            text += f" ± {finite.std(ddof=1):.2g}"
        text += f" {self.unit}".rstrip() + f" (n={len(finite)}"
        missing = len(values) - len(finite)
        return text + (f", {missing} never reached)" if missing else ")")


def mean_sd(values, digits=1):
    """'mean ± sd' of per-seed values, for sentences generated from the numbers."""
    values = np.asarray(values, dtype=float)
    return f"{values.mean():.{digits}f} ± {values.std(ddof=1):.{digits}f}"


def _number(x):
    """Counts in full with thousands separators, measurements to three significant figures."""
    return f"{x:,.0f}" if abs(x) >= 1e4 else f"{x:.3g}"


class Results:
    def __init__(self, notebook, profile, seed=0):
        self.notebook = notebook
        self.profile = profile
        self.seed = seed          # the notebook's SEED: its runs used seeds SEED, SEED + 1, ...
        self.claims = []

    def record(self, claim, paper, values, verdict, unit="", note=""):
        if verdict not in VERDICTS:
            raise ValueError(f"unknown verdict {verdict!r}; choose one of {VERDICTS}")
        values = [float(v) for v in np.atleast_1d(values)]
        self.claims.append(Claim(claim, str(paper), values, unit, verdict, note))

    def table(self):
        return pd.DataFrame([{"claim": c.claim, "paper": c.paper, "ours": c.ours,
                              "verdict": c.verdict} for c in self.claims])

    def _repr_html_(self):
        caption = f"{self.notebook}, profile <code>{self.profile}</code>"
        return self.table().style.hide(axis="index").set_caption(caption).to_html()

    def save(self, directory=None):
        """Write `<notebook>.results.json` into `directory`, else $ZOO_RESULTS_DIR, else
        `_build/results/<profile>/` of the checkout (the cwd outside one)."""
        directory = Path(directory or os.environ.get("ZOO_RESULTS_DIR") or
                         default_directory(self.profile))
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"{self.notebook}.results.json"
        payload = {"notebook": self.notebook, "profile": self.profile, "seed": self.seed,
                   "claims": [asdict(c) | {"ours": c.ours} for c in self.claims],
                   "seconds by phase": timing.spent()}   # for benchmarks/book_time.py
        path.write_text(json.dumps(payload, indent=1))
        return path


def default_directory(profile):
    checkout = Path(__file__).resolve().parent.parent
    if (checkout / "_toc.yml").exists():
        return checkout / "_build" / "results" / profile
    return Path.cwd()


def load_all(directory):
    """Every saved claim under `directory` as one DataFrame (for the scoreboard)."""
    rows = []
    for path in sorted(Path(directory).rglob("*.results.json")):
        saved = json.loads(path.read_text())
        rows += [{"notebook": saved["notebook"], "profile": saved["profile"],
                  "seed": saved.get("seed", 0), **c}
                 for c in saved["claims"]]
    return pd.DataFrame(rows)


def gain_verdict(gains, profile):
    """For "X improves on Y": per-seed paired improvements (positive = the paper's direction).
    Reproduced if the mean is positive and larger than its standard deviation across seeds;
    partly if positive but within that spread; otherwise not at this scale."""
    gains = np.asarray(gains, dtype=float)
    if profile == "smoke":
        return "not assessed"
    spread = gains.std(ddof=1) if len(gains) > 1 else 0.0
    if gains.mean() > 0 and gains.mean() > spread:
        return "reproduced"
    return "partly" if gains.mean() > 0 else "not at this scale"


def no_gain_verdict(gains, profile):
    """For "X brings no gain": reproduced unless X improves consistently (mean above its spread)."""
    if profile == "smoke":
        return "not assessed"
    return "not at this scale" if gain_verdict(gains, profile) == "reproduced" else "reproduced"


def weakest_verdict(verdicts):
    """One verdict for a finding tested under several conditions (data sizes, settings): it holds
    only as far as it holds under every one of them."""
    order = ["not at this scale", "partly", "reproduced"]
    verdicts = list(verdicts)
    if "not assessed" in verdicts:
        return "not assessed"
    return min(verdicts, key=order.index)


def count_verdict(ours, paper, tolerance=0.05):
    """For a count the paper states (parameters, FLOPs): reproduced within `tolerance`."""
    return "reproduced" if abs(ours - paper) / paper <= tolerance else "partly"
