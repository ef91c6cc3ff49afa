"""The book's pages on the plain eager path and on the fast path, compared in one run.

    python benchmarks/book_speed.py NAME ... [--profile cpu] [--seed 0] [--build _build/speed]
    python benchmarks/book_speed.py NAME ... --jobs 2 [--skip-eager]
    python benchmarks/book_speed.py --compare-only [--profile cpu] [--seed 0]

Runs each named page (a `_toc.yml` name, or a folder of `notebooks/` such as `cnn`) twice, one
after the other: with `reproduce --no-fast` (ZOO_FAST=0, the path before issue 16) into
`<build>/eager`, and on the fast path into `<build>/fast`, the eager run first on the first,
third, ... page and second on the others, so that drift in the machine's speed over a run
cancels out over each pair of pages instead of favouring one path. `--compare-only` runs nothing and
compares what both builds hold, so a whole book can be measured a chapter at a time. Without a
GPU the fast path differs from the eager one in two ways that change no number: the process keeps
the memory a step frees for the next (`zoo_utils.train.keep_freed_memory`, on Linux), and Adam,
AdamW and SGD update all their parameters in one call per operation
(`zoo_utils.train.update_together`); and by compiling with
`--compile-on-cpu` (ZOO_COMPILE=1) or training in bf16 with ZOO_BF16=1 in the environment. It starts from an empty compilation cache
(`<build>/inductor-cache`, shared by the pages of one run, as in a first run of the book), or
from the one left there with `--keep-cache`. Prints, per page, the minutes on each path and
their ratio, then every claim: its mean on each path, the old path's seed-to-seed standard
deviation, whether the new mean lies within it, and whether the verdict is the same. Ends with
the total minutes and the speed-up over the pages measured on both paths. One run per path
cannot resolve a change under about 15% on a shared machine: repeat it.

With `--jobs N` the eager path runs first, a page at a time with all the cores as before, and the
fast path then runs every named page in one `reproduce --jobs N` call, N pages at once with a
share of the cores each (on 2 cores, one thread each: a change of nothing but the order of
floating-point sums). Its wall-clock minutes are kept in `<build>/fast/wall.json` and compared
with the eager path's total: what a reader running the book with `--jobs N` waits. `--skip-eager`
keeps the eager runs already under `<build>/eager`.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from zoo_utils.reproduce import ROOT, run_dir, toc_notebooks

sys.path.insert(0, str(Path(__file__).resolve().parent))
from book_time import page_times

PATHS = {"eager": ["--no-fast"], "fast": []}


def pages(names, root=ROOT):
    """Toc page names; a folder of `notebooks/` (cnn, transformers, ...) stands for its pages."""
    known = toc_notebooks(root)
    chosen = []
    for name in names:
        folder = [page for page, path in known.items() if path.parent.name == name]
        if not folder and name not in known:
            raise SystemExit(f"unknown page or folder {name!r}; the book has: {', '.join(known)}")
        chosen += folder or [name]
    return list(dict.fromkeys(chosen))


def reproduce(names, profile, seed, build, flags, env):
    """Run `names` with `reproduce` into `build`; its wall-clock minutes."""
    start = time.monotonic()
    subprocess.run([sys.executable, "-m", "zoo_utils.reproduce", *names, "--profile", profile,
                    "--seed", str(seed), "--force", "--build-dir", str(build), *flags],
                   check=False, stdout=subprocess.DEVNULL, env=env)
    return (time.monotonic() - start) / 60


def run_both(names, profile, seed, build, keep_cache=False, compile_on_cpu=False, jobs=1,
             skip_eager=False):
    cache = build / "inductor-cache"
    if not keep_cache:
        shutil.rmtree(cache, ignore_errors=True)
    env = dict(os.environ, TORCHINDUCTOR_CACHE_DIR=str(cache.resolve()))
    if compile_on_cpu:
        env["ZOO_COMPILE"] = "1"
    (build / "fast" / "wall.json").unlink(missing_ok=True)    # a new fast run: no stale record
    paths = {path: flags for path, flags in PATHS.items() if path == "fast" or not skip_eager}
    if jobs == 1:           # page by page, eager first on every other page, fast first on the
        order = list(paths)     # rest: a machine slowing down or speeding up hits both paths alike
        names_paths = [(name, path) for i, name in enumerate(names)
                       for path in (order if i % 2 == 0 else order[::-1])]
    else:                   # every eager page first; then the fast pages together, below
        names_paths = [(name, path) for path in paths if path == "eager" for name in names]
    for name, path in names_paths:
        print(f"{name}: {path} path", flush=True)
        reproduce([name], profile, seed, build / path, paths[path], env)
    if jobs == 1:
        return
    print(f"{', '.join(names)}: fast path, {jobs} at a time", flush=True)
    minutes = reproduce(names, profile, seed, build / "fast", [*PATHS["fast"], "--jobs", str(jobs)], env)
    (build / "fast" / "wall.json").write_text(json.dumps({"pages": names, "jobs": jobs, "minutes": minutes}))


def wall_clock(names, build):
    """(jobs, minutes) of the fast path's last `--jobs` run if it ran exactly `names`, else None."""
    saved = build / "fast" / "wall.json"
    if not saved.exists():
        return None
    wall = json.loads(saved.read_text())
    return (wall["jobs"], wall["minutes"]) if sorted(wall["pages"]) == sorted(names) else None


def claims(build, profile, seed, name):
    """{claim: (values, verdict)} of a page's saved results; {} if it has none."""
    notebooks = toc_notebooks(ROOT)
    executed = run_dir(build, profile, seed) / notebooks[name].resolve().relative_to(ROOT)
    saved = executed.with_name(f"{name}.results.json")
    if not saved.exists():
        return {}
    return {c["claim"]: (np.asarray(c["values"], dtype=float), c["verdict"])
            for c in json.loads(saved.read_text())["claims"]}


def compare_claims(old, new):
    """One row per claim on both paths: the means, the old spread, and whether the new mean
    lies within it and the verdict held."""
    rows = []
    for claim, (before, verdict_before) in old.items():
        if claim not in new:
            continue
        after, verdict_after = new[claim]
        before, after = before[np.isfinite(before)], after[np.isfinite(after)]
        spread = before.std(ddof=1) if len(before) > 1 else np.nan
        shift = after.mean() - before.mean() if len(before) and len(after) else np.nan
        rows.append({"claim": claim, "eager mean": before.mean() if len(before) else np.nan,
                     "fast mean": after.mean() if len(after) else np.nan, "eager sd": spread,
                     "within spread": bool(abs(shift) <= spread) if np.isfinite(spread)
                     else "n/a (one value)" if np.isfinite(shift) else "n/a",
                     "same verdict": verdict_before == verdict_after,
                     "verdict": verdict_before if verdict_before == verdict_after
                     else f"{verdict_before} -> {verdict_after}"})
    return pd.DataFrame(rows)


def compare(names, profile, seed, build, jobs=1):
    """(minutes per page on both paths, claims compared page by page). A page's speed-up is its
    eager minutes over its fast ones, which ran `jobs` at a time: over its share of them."""
    times = {path: page_times(build / path, profile, seed).minutes for path in PATHS}
    minutes = pd.DataFrame(times).loc[names]
    minutes["speed-up"] = minutes.eager / (minutes.fast / jobs)
    tables = {}
    for name in names:
        table = compare_claims(claims(build / "eager", profile, seed, name),
                               claims(build / "fast", profile, seed, name))
        if len(table):
            tables[name] = table
    return minutes, tables


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", metavar="NAME")
    parser.add_argument("--profile", default="cpu")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--build", type=Path, default=ROOT / "_build" / "speed")
    parser.add_argument("--compare-only", action="store_true")
    parser.add_argument("--keep-cache", action="store_true",
                        help="start the fast path from the compilation cache of the last run")
    parser.add_argument("--compile-on-cpu", action="store_true",
                        help="compile on the CPU too on the fast path (ZOO_COMPILE=1)")
    parser.add_argument("--jobs", type=int, default=1,
                        help="run the fast path's pages N at a time in one reproduce call")
    parser.add_argument("--skip-eager", action="store_true",
                        help="keep the eager runs under <build>/eager instead of rerunning them")
    args = parser.parse_args(argv)
    names = pages(args.names) if args.names else list(toc_notebooks(ROOT))
    if not args.compare_only:
        run_both(names, args.profile, args.seed, args.build, args.keep_cache, args.compile_on_cpu,
                 args.jobs, args.skip_eager)
    wall = wall_clock(names, args.build)
    jobs = wall[0] if wall else 1
    minutes, tables = compare(names, args.profile, args.seed, args.build, jobs)
    with pd.option_context("display.width", 160, "display.max_colwidth", 70):
        for name, table in tables.items():
            print(f"\n{name}\n{table.round(3).to_string(index=False)}")
        print("\n" + minutes.round(2).astype(object).fillna("—").to_string())
    both = minutes.eager.notna() & minutes.fast.notna()
    if both.any():
        eager, fast = minutes.eager[both].sum(), minutes.fast[both].sum()
        held = sum(t["same verdict"].all() for n, t in tables.items() if both[n])
        within = sum((t["within spread"] != False).all() for n, t in tables.items() if both[n])
        ran = f" (run {jobs} at a time, so {fast / jobs:.1f} min of the machine)" if jobs > 1 else ""
        print(f"\n{both.sum()} pages on both paths at {args.profile!r}, SEED={args.seed}: "
              f"{eager:.1f} min eager, {fast:.1f} min fast{ran}, {eager / (fast / jobs):.2f}x; every "
              f"verdict held on {held} pages, every mean within the eager spread on {within}")
    if wall and minutes.eager.notna().all():
        eager = minutes.eager.sum()
        print(f"with --jobs {jobs}: {wall[1]:.1f} min from start to end against {eager:.1f} min eager "
              f"one page at a time, {eager / wall[1]:.2f}x (the last page runs alone on its share)")
    return minutes, tables


if __name__ == "__main__":
    main()
