"""Run the book's notebooks in batch with papermill, then (optionally) build the book.

    python -m zoo_utils.reproduce [--profile smoke|cpu|gpu] [--seed N ...] [--jobs N]
                                  [--timeout MINUTES] [--no-fast] [--list] [--book] [NAME ...]

Executed copies go to `_build/runs/<profile>/` (`_build/runs/<profile>-seed<N>/` for another
seed offset), never into `notebooks/`, each with its saved results and its execution log beside
it. A notebook whose file, `zoo_utils` source, profile and seed are unchanged since its last
successful run is skipped, so an interrupted batch resumes where it stopped. While notebooks run,
a line per notebook reports its cell, the elapsed time and the last successful run's time. A
notebook that fails or overruns its time limit is stopped and marked in the summary; the others
still run, and the exit status is 1.

Several seed offsets (`--seed 0 20`) run every notebook once per offset, and the book's
scoreboard shows whether each claim's verdict held across them.

`--no-fast` trains on the plain eager path (ZOO_FAST=0) instead of the fast one, which compiles
on a GPU (and on the CPU with ZOO_COMPILE=1; see `zoo_utils.train.CompiledBackbones`), to compare
the two (`benchmarks/book_speed.py`).
"""

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import psutil
import yaml

from . import profiles
from .results import load_all

PACKAGE = Path(__file__).resolve().parent
ROOT = PACKAGE.parent
RUNNER_MODULES = {"reproduce.py", "scoreboard.py", "survey_summary.py"}   # not read by notebooks: not fingerprinted
TIME_LIMITS = {"smoke": 10, "cpu": 60, "gpu": 24 * 60}   # minutes per notebook, by default


@dataclass
class Run:
    name: str
    source: Path
    seed: int = 0
    status: str = "pending"
    minutes: float = 0.0
    claims: list = field(default_factory=list)
    error: str = ""
    cell: int = 0            # the cell being executed (1-based, injected parameters included)
    cells: int = 0
    started: float = 0.0     # time.monotonic() at start

    @property
    def label(self):
        return self.name if self.seed == 0 else f"{self.name} (SEED={self.seed})"


def toc_notebooks(root=ROOT, node=None):
    """{name: path} of every notebook listed in `_toc.yml` (or under one of its nodes), in book
    order."""
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

    walk(_toc(root) if node is None else node)
    return found


def toc_parts(root=ROOT):
    """{part caption: {name: path}} for the parts of the book that have notebooks."""
    parts = {part.get("caption", ""): toc_notebooks(root, part)
             for part in _toc(root).get("parts", [])}
    return {caption: notebooks for caption, notebooks in parts.items() if notebooks}


def _toc(root):
    return yaml.safe_load((root / "_toc.yml").read_text())


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


def fingerprint(notebook, profile, seed=0):
    """Hash of the notebook, the zoo_utils source a notebook can use, the profile, the seed and
    the training path (ZOO_FAST, ZOO_COMPILE, ZOO_BF16)."""
    fast = os.environ.get("ZOO_FAST", "1") != "0"
    path = [fast] + [os.environ.get(name) == "1" for name in ("ZOO_COMPILE", "ZOO_BF16")]
    digest = hashlib.sha256(f"{profile}/{seed}/{path}".encode())
    sources = [p for p in sorted(PACKAGE.rglob("*.py")) if p.name not in RUNNER_MODULES]
    for path in [notebook, *sources]:
        digest.update(path.read_bytes())
    return digest.hexdigest()


def run_dir(build_root, profile, seed=0):
    """Where one batch's executed notebooks go: runs/<profile>, or runs/<profile>-seed<N>."""
    return Path(build_root) / "runs" / (profile if seed == 0 else f"{profile}-seed{seed}")


def output_path(run, build, root=ROOT):
    try:
        relative = run.source.resolve().relative_to(root)
    except ValueError:
        relative = Path("extra") / run.source.name
    return build / relative


class Timings:
    """Seconds of each notebook's last successful run, per profile, kept across batches."""

    def __init__(self, path):
        self.path = Path(path)
        self.lock = threading.Lock()

    def get(self, profile, name):
        return self._read().get(f"{profile}/{name}")

    def put(self, profile, name, seconds):
        with self.lock:
            saved = self._read()
            saved[f"{profile}/{name}"] = round(seconds, 1)
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_text(json.dumps(saved, indent=1, sort_keys=True))

    def _read(self):
        try:
            return json.loads(self.path.read_text())
        except (OSError, ValueError):
            return {}


def thread_env(jobs):
    """Environment that gives each of `jobs` concurrent notebooks its share of the cores."""
    threads = str(max(1, len(os.sched_getaffinity(0)) // max(1, jobs)))
    return {name: threads for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS",
                                       "OPENBLAS_NUM_THREADS")}


def time_limit(profile, jobs=1, timeout=None):
    """Minutes a notebook may run: `timeout` if given, else the profile's limit for a notebook
    with all the cores, stretched by how much less of the machine each of `jobs` gets (on 2
    cores, `--jobs 2` gives the MoCo page, 47 minutes alone, 120 minutes instead of 60)."""
    if timeout is not None:
        return timeout
    cores = len(os.sched_getaffinity(0))
    threads = int(thread_env(jobs)["OMP_NUM_THREADS"])
    return TIME_LIMITS[profile] * max(jobs, cores / threads)


def execute(run, profile, build, *, force=False, jobs=1, limit=None, timings=None, root=ROOT):
    """Run one notebook with papermill in its own process, stopping it after `limit` minutes;
    never raises. Cell progress is tracked on `run`; the full log goes to `<name>.log`."""
    target = output_path(run, build, root)
    stamp = target.with_suffix(".stamp")
    key = fingerprint(run.source, profile, run.seed)
    if not force and target.exists() and stamp.exists() and stamp.read_text() == key:
        run.status = "skipped (unchanged)"
        run.claims = _claims(target.parent, run.name)
        return run
    target.parent.mkdir(parents=True, exist_ok=True)
    stamp.unlink(missing_ok=True)
    (target.parent / f"{run.name}.results.json").unlink(missing_ok=True)   # no stale claims
    env = dict(os.environ, ZOO_RESULTS_DIR=str(target.parent), ZOO_PROGRESS="0",
               ZOO_PROFILE=profile, **thread_env(jobs))
    run.cells = len(nbformat.read(run.source, as_version=4).cells) + 1   # + injected parameters
    run.started = time.monotonic()
    run.status = "running"
    with open(target.with_suffix(".log"), "w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "papermill", str(run.source), str(target), "-p", "PROFILE",
             profile, "-p", "SEED", str(run.seed), "--cwd", str(run.source.parent),
             "--no-progress-bar", "--log-output", "--log-level", "INFO", "-k", "python3",
             "--language", "python"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        reader = threading.Thread(target=_follow, args=(proc.stderr, log, run), daemon=True)
        reader.start()
        try:
            proc.wait(timeout=limit * 60 if limit else None)
        except subprocess.TimeoutExpired:
            _kill_tree(proc)
            run.status = "TIMED OUT"
            run.error = f"stopped after its limit of {limit:g} min, in cell {run.cell}/{run.cells}"
        reader.join(timeout=30)
    run.minutes = (time.monotonic() - run.started) / 60
    if run.status == "running" and proc.returncode == 0:
        run.status = "ok"
        stamp.write_text(key)
        if timings is not None:
            timings.put(profile, run.name, 60 * run.minutes)
    elif run.status == "running":
        run.status = "FAILED"
        run.error = _last_error(target.with_suffix(".log").read_text())
    run.claims = _claims(target.parent, run.name)
    return run


def _follow(stream, log, run):
    """Copy papermill's log to the notebook's log file, noting which cell is running."""
    for line in stream:
        log.write(line)
        log.flush()
        if "Executing Cell " in line:
            number = line.split("Executing Cell ", 1)[1].split("-", 1)[0]
            if number.isdigit():
                run.cell = int(number)


def _kill_tree(proc):
    """Stop papermill and its kernel (which runs in a session of its own)."""
    try:
        family = psutil.Process(proc.pid).children(recursive=True) + [psutil.Process(proc.pid)]
    except psutil.NoSuchProcess:
        family = []
    for p in family:
        try:
            p.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(family, timeout=30)
    proc.wait()


def _duration(seconds):
    minutes, seconds = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{seconds:02d}s"


def progress_line(run, previous=None):
    """One plain line (readable in a terminal and in a log file) about a running notebook."""
    elapsed = time.monotonic() - run.started
    line = f"  ... {run.label}: cell {run.cell}/{run.cells}, {_duration(elapsed)} elapsed"
    if previous:
        line += f", last successful run took {_duration(previous)}"
    return line


def report_progress(runs, profile, timings, every, stop):
    """Print a progress line per running notebook: when its cell changes (at most every `every`
    seconds) and at least once a minute."""
    shown = {}
    while not stop.wait(min(every, 5) if every else 1):
        now = time.monotonic()
        for run in runs:
            if run.status != "running" or not run.cell:
                continue
            last_cell, last_time = shown.get(run.label, (None, 0.0))
            if (run.cell != last_cell and now - last_time >= every) or now - last_time >= 60:
                print(progress_line(run, timings.get(profile, run.name)), flush=True)
                shown[run.label] = (run.cell, now)


def _last_error(log):
    lines = [line for line in log.strip().splitlines() if line.strip()]
    errors = [line for line in lines if "Error" in line or "Exception" in line]
    return (errors or lines or ["papermill failed"])[-1][:300]


def _claims(directory, name):
    table = load_all(directory)
    if table.empty:
        return []
    mine = table[table.notebook == name]
    return [f"{r.claim}: {r.ours} [{r.verdict}]" for r in mine.itertuples()]


def summary(runs):
    lines = [f"{'notebook':<30}{'status':<22}{'minutes':>8}  claims"]
    for run in runs:
        claims = ([run.error] if run.error else []) + run.claims or ["-"]
        lines.append(f"{run.label:<30}{run.status:<22}{run.minutes:>8.1f}  {claims[0]}")
        lines += [f"{'':<62}{c}" for c in claims[1:]]
    return "\n".join(lines)


def stage_book(profile, build_root, seed=0, root=ROOT):
    """Copy the book's sources and one batch's executed notebooks (`profile`, `seed`) into one
    folder Jupyter Book can build, with the scoreboard page and the contrastive survey's summary
    page generated from their results."""
    from .scoreboard import write_page
    from .survey_summary import write_page as write_survey_page

    build = run_dir(build_root, profile, seed)
    stage = Path(build_root) / f"book-{profile}"
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
    write_page(stage / "book", build_root, profile, seed, root)
    write_survey_page(stage / "book", build_root, profile, seed, root)
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


def build_book(profile, build_root, seed=0, root=ROOT):
    stage = stage_book(profile, build_root, seed, root)
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
    parser.add_argument("--seed", type=int, nargs="+", default=[0], metavar="N",
                        help="seed offsets (the notebooks' SEED); several run every notebook once "
                             "per offset, and the book is built from the first (default 0)")
    parser.add_argument("--jobs", type=int, default=1,
                        help="notebooks run at once, sharing the cores between them (default 1)")
    parser.add_argument("--timeout", type=float, metavar="MINUTES",
                        help="stop a notebook after this long (default per profile: "
                             + ", ".join(f"{p} {m} min" for p, m in TIME_LIMITS.items())
                             + ", longer with --jobs, by each notebook's share of the cores)")
    parser.add_argument("--progress-every", type=float, default=10, metavar="SECONDS",
                        help="report a running notebook's cell at most this often (default 10)")
    parser.add_argument("--no-fast", action="store_true",
                        help="train on the plain eager path, not the compiled one (ZOO_FAST=0)")
    parser.add_argument("--list", action="store_true", help="list the notebooks and exit")
    parser.add_argument("--book", action="store_true", help="then build the HTML book")
    parser.add_argument("--force", action="store_true", help="rerun even unchanged notebooks")
    parser.add_argument("--build-dir", type=Path, default=ROOT / "_build",
                        help="where executed notebooks and the book go (default _build/)")
    args = parser.parse_args(argv)
    if args.no_fast:
        os.environ["ZOO_FAST"] = "0"      # the notebooks' processes inherit it

    chosen = select(args.names)
    if args.list:
        for name, path in chosen.items():
            print(f"{name:<24}{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
        return 0
    build_root = args.build_dir.resolve()
    limit = time_limit(args.profile, args.jobs, args.timeout)
    timings = Timings(build_root / "runs" / "timings.json")
    seeds = list(dict.fromkeys(args.seed))
    runs = [Run(name, path, seed) for seed in seeds for name, path in chosen.items()]
    print(f"running {len(runs)} notebook(s) at profile {args.profile!r}, seed offset(s) "
          f"{', '.join(map(str, seeds))}, {args.jobs} at a time, {limit:g} min limit each, into "
          f"{build_root / 'runs'}", flush=True)
    stop = threading.Event()
    reporter = threading.Thread(target=report_progress, daemon=True,
                                args=(runs, args.profile, timings, args.progress_every, stop))
    reporter.start()
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = [pool.submit(execute, run, args.profile,
                               run_dir(build_root, args.profile, run.seed), force=args.force,
                               jobs=args.jobs, limit=limit, timings=timings) for run in runs]
        for future in as_completed(futures):
            run = future.result()
            print(f"  {run.label}: {run.status} ({run.minutes:.1f} min)", flush=True)
    stop.set()
    print("\n" + summary(runs))
    failed = [r.label for r in runs if r.status in ("FAILED", "TIMED OUT")]
    if args.book:
        index = build_book(args.profile, build_root, seeds[0])
        if index is None:
            print("the book did not build; see the messages above")
            return 1
        print(f"\nbook built: open file://{index}")
    if failed:
        print(f"\n{len(failed)} notebook(s) failed or timed out: {', '.join(failed)}; executed "
              f"copies and logs are under {build_root / 'runs'}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
