"""Where the book's time goes, page by page, from one batch of executed notebooks.

    python -m zoo_utils.reproduce --profile cpu          # run the book (or the pages wanted)
    python benchmarks/book_time.py [--profile cpu] [--seed 0] [--build _build]

For every notebook in `_toc.yml`: the minutes its executed copy took (papermill's record) and
the shares of that time spent in training, evaluation, data preparation and plotting, as the
page's saved results measured them (`zoo_utils.timing`); "other" is the rest (building models,
printing, the prose's tables). Pages run before the timing existed show their minutes alone.
Prints the table and the whole book's total.
"""

import argparse
import json
from pathlib import Path

import pandas as pd

from zoo_utils.reproduce import ROOT, run_dir, toc_notebooks
from zoo_utils.timing import PHASES


def page_times(build_root, profile, seed=0, root=ROOT):
    """One row per toc notebook: minutes, and the percentage of them in each phase (None where
    the page has not been run, or was run before its phases were timed)."""
    build = run_dir(build_root, profile, seed)
    rows = []
    for name, source in toc_notebooks(root).items():
        executed = build / source.resolve().relative_to(root)
        row = {"page": name, "minutes": None, **{p: None for p in PHASES}, "other": None}
        if executed.exists():
            seconds = json.loads(executed.read_text())["metadata"].get("papermill", {}).get("duration")
            row["minutes"] = seconds / 60 if seconds else None
            saved = executed.with_name(f"{name}.results.json")
            phases = json.loads(saved.read_text()).get("seconds by phase") if saved.exists() else None
            if seconds and phases:
                row |= {p: 100 * phases[p] / seconds for p in PHASES}
                row["other"] = 100 - sum(row[p] for p in PHASES)
        rows.append(row)
    return pd.DataFrame(rows).set_index("page")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="cpu")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--build", default=str(ROOT / "_build"))
    args = parser.parse_args(argv)
    table = page_times(Path(args.build), args.profile, args.seed)
    shown = table.rename(columns={p: f"{p} %" for p in [*PHASES, "other"]})
    print(shown.round(1).astype(object).fillna("—").to_string())
    run = table.minutes.notna()
    timed = table[PHASES[0]].notna()
    print(f"\n{run.sum()} of {len(table)} pages run at {args.profile!r}: "
          f"{table.minutes.sum():.1f} minutes in all")
    if timed.any():
        minutes = table.minutes[timed]
        shares = {p: (table[p][timed] * minutes).sum() / minutes.sum() for p in [*PHASES, "other"]}
        print(f"of the {timed.sum()} pages with phases timed ({minutes.sum():.1f} minutes): "
              + ", ".join(f"{p} {v:.0f}%" for p, v in shares.items()))
    return table


if __name__ == "__main__":
    main()
