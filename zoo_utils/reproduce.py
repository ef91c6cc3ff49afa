"""Run the book's notebooks in batch with papermill, then (optionally) build the book.

    python -m zoo_utils.reproduce [--profile smoke|cpu|gpu] [--jobs N] [--list] [--book] [NAME ...]

Executed copies go to `_build/runs/<profile>/` (never into `notebooks/`), each with its saved
results beside it. A notebook whose file, `zoo_utils` source and profile are unchanged since
its last successful run is skipped, so an interrupted batch resumes where it stopped. A failing
notebook does not stop the others; the summary lists every notebook and the exit status is 1
if any failed.
"""

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from . import profiles
from .results import load_all

PACKAGE = Path(__file__).resolve().parent
ROOT = PACKAGE.parent


@dataclass
class Run:
    name: str
    source: Path
    status: str = "pending"
    minutes: float = 0.0
    claims: list = field(default_factory=list)
    error: str = ""


def toc_notebooks(root=ROOT):
    """{name: path} of every notebook listed in `_toc.yml`, in book order."""
    toc = yaml.safe_load((root / "_toc.yml").read_text())
    found = {}

    def walk(node):
        if isinstance(node, dict):
            entry = node.get("file")
            if entry and (root / f"{entry}.ipynb").exists():
                found[Path(entry).name] = root / f"{entry}.ipynb"
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(toc)
    return found


def select(names, root=ROOT):
    """Notebooks to run: all in the toc, or those named (by name or by path to an .ipynb)."""
    known = toc_notebooks(root)
    if not names:
        return known
    chosen = {}
    for name in names:
        if name.endswith(".ipynb") and Path(name).exists():
            chosen[Path(name).stem] = Path(name).resolve()
        elif name in known:
            chosen[name] = known[name]
        else:
            raise SystemExit(f"unknown notebook {name!r}; the book has: {', '.join(known)}")
    return chosen


def fingerprint(notebook, profile):
    """Hash of the notebook, the zoo_utils source a notebook can use, and the profile."""
    digest = hashlib.sha256(profile.encode())
    sources = [p for p in sorted(PACKAGE.rglob("*.py")) if p.name != "reproduce.py"]
    for path in [notebook, *sources]:
        digest.update(path.read_bytes())
    return digest.hexdigest()


def output_path(run, build, root=ROOT):
    try:
        relative = run.source.resolve().relative_to(root)
    except ValueError:
        relative = Path("extra") / run.source.name
    return build / relative


def execute(run, profile, build, force=False, root=ROOT):
    """Run one notebook with papermill in its own process; never raises."""
    target = output_path(run, build, root)
    stamp = target.with_suffix(".stamp")
    key = fingerprint(run.source, profile)
    if not force and target.exists() and stamp.exists() and stamp.read_text() == key:
        run.status = "skipped (unchanged)"
        run.claims = _claims(target.parent, run.name)
        return run
    target.parent.mkdir(parents=True, exist_ok=True)
    stamp.unlink(missing_ok=True)
    env = dict(os.environ, ZOO_RESULTS_DIR=str(target.parent), ZOO_PROGRESS="0",
               ZOO_PROFILE=profile)
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "papermill", str(run.source), str(target), "-p", "PROFILE", profile,
         "--cwd", str(run.source.parent), "--no-progress-bar", "-k", "python3",
         "--language", "python"],
        env=env, capture_output=True, text=True)
    run.minutes = (time.perf_counter() - start) / 60
    if proc.returncode == 0:
        run.status = "ok"
        stamp.write_text(key)
    else:
        run.status = "FAILED"
        run.error = _last_error(proc.stderr)
    run.claims = _claims(target.parent, run.name)
    return run


def _last_error(stderr):
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else "papermill failed"


def _claims(directory, name):
    table = load_all(directory)
    if table.empty:
        return []
    mine = table[table.notebook == name]
    return [f"{r.claim}: {r.ours} [{r.verdict}]" for r in mine.itertuples()]


def summary(runs):
    lines = [f"{'notebook':<24}{'status':<22}{'minutes':>8}  claims"]
    for run in runs:
        claims = run.claims or ([run.error] if run.error else ["-"])
        lines.append(f"{run.name:<24}{run.status:<22}{run.minutes:>8.1f}  {claims[0]}")
        lines += [f"{'':<56}{c}" for c in claims[1:]]
    return "\n".join(lines)


def stage_book(profile, build, root=ROOT):
    """Copy the book's sources and the executed notebooks into one folder Jupyter Book can build."""
    stage = build.parent / f"book-{profile}"
    shutil.rmtree(stage, ignore_errors=True)
    stage.mkdir(parents=True)
    for name in ["_toc.yml", "book", "notebooks"]:
        source = root / name
        if source.is_dir():
            shutil.copytree(source, stage / name, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
        else:
            shutil.copy2(source, stage / name)
    for executed in build.rglob("*.ipynb"):
        relative = executed.relative_to(build)
        if (stage / relative).exists():
            shutil.copy2(executed, stage / relative)
    config = yaml.safe_load((root / "_config.yml").read_text())
    config.setdefault("execute", {})["execute_notebooks"] = "off"
    _bundle_mathjax(stage, config)
    (stage / "_config.yml").write_text(yaml.safe_dump(config, sort_keys=False))
    return stage


def _bundle_mathjax(stage, config):
    """Serve MathJax from the book itself, so maths renders without network access."""
    try:
        import mathjax  # the django-static-mathjax package: MathJax 3's files, no Django needed
    except ImportError:
        return
    es5 = Path(mathjax.__file__).parent / "static" / "mathjax" / "es5"
    shutil.copytree(es5, stage / "_static" / "mathjax", ignore=shutil.ignore_patterns("sre"))
    sphinx = config.setdefault("sphinx", {}).setdefault("config", {})
    sphinx["html_static_path"] = ["_static"]
    sphinx["mathjax_path"] = "mathjax/tex-chtml.js"


def build_book(profile, build, root=ROOT):
    stage = stage_book(profile, build, root)
    build_cli = "from jupyter_book.cli.main import main; main()"
    proc = subprocess.run([sys.executable, "-c", build_cli, "build", str(stage), "--path-output",
                           str(stage)], capture_output=True, text=True)
    if proc.returncode != 0:
        print(proc.stdout[-3000:], proc.stderr[-3000:], sep="\n")
        return None
    return stage / "_build" / "html" / "index.html"


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m zoo_utils.reproduce", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", metavar="NAME",
                        help="notebooks to run (names or .ipynb paths); default: all in _toc.yml")
    parser.add_argument("--profile", default="cpu", choices=profiles.PROFILE_NAMES)
    parser.add_argument("--jobs", type=int, default=1, help="notebooks run at once (default 1)")
    parser.add_argument("--list", action="store_true", help="list the notebooks and exit")
    parser.add_argument("--book", action="store_true", help="then build the HTML book")
    parser.add_argument("--force", action="store_true", help="rerun even unchanged notebooks")
    parser.add_argument("--build-dir", type=Path, default=ROOT / "_build",
                        help="where executed notebooks and the book go (default _build/)")
    args = parser.parse_args(argv)

    chosen = select(args.names)
    if args.list:
        for name, path in chosen.items():
            print(f"{name:<24}{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
        return 0
    build = args.build_dir.resolve() / "runs" / args.profile
    runs = [Run(name, path) for name, path in chosen.items()]
    print(f"running {len(runs)} notebook(s) at profile {args.profile!r} into {build}")
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        for run in pool.map(lambda r: execute(r, args.profile, build, args.force), runs):
            print(f"  {run.name}: {run.status} ({run.minutes:.1f} min)", flush=True)
    print("\n" + summary(runs))
    failed = [r.name for r in runs if r.status == "FAILED"]
    if args.book:
        index = build_book(args.profile, build)
        if index is None:
            print("the book did not build; see the messages above")
            return 1
        print(f"\nbook built: open file://{index}")
    if failed:
        print(f"\n{len(failed)} notebook(s) failed: {', '.join(failed)}; executed copies with "
              f"the error are under {build}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
