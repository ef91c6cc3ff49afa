"""The batch runner: selection, skipping unchanged notebooks, surviving a broken one."""

import json
import os
import re
import subprocess
import sys

import nbformat
import psutil
import pytest

from zoo_utils import reproduce

ROOT = reproduce.ROOT


def make_notebook(path, body, params="PROFILE = None"):
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell(params)
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell(body)]
    nbformat.write(nb, path)
    return path


@pytest.fixture
def two_notebooks(tmp_path):
    good = make_notebook(tmp_path / "good.ipynb", (
        "from zoo_utils.results import Results\n"
        "r = Results('good', PROFILE)\n"
        "r.record('one plus one', '2', [1 + 1], 'reproduced')\n"
        "r.save()"))
    broken = make_notebook(tmp_path / "broken.ipynb", "raise RuntimeError('deliberately broken')")
    return good, broken


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "zoo_utils.reproduce", *map(str, args)],
                          capture_output=True, text=True, cwd=ROOT, timeout=600)


def test_list_names_every_toc_notebook():
    proc = run_cli("--list")
    assert proc.returncode == 0
    assert "alexnet" in proc.stdout and "notebooks/cnn/alexnet.ipynb" in proc.stdout


def test_unknown_profile_and_notebook_are_refused():
    assert run_cli("--profile", "laptop", "--list").returncode != 0
    proc = run_cli("--list", "lenet")
    assert proc.returncode != 0 and "alexnet" in proc.stderr


def test_broken_notebook_does_not_stop_the_batch(two_notebooks, tmp_path):
    good, broken = two_notebooks
    build = tmp_path / "build"
    proc = run_cli("--profile", "smoke", "--jobs", "2", "--build-dir", build, broken, good)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "FAILED" in proc.stdout and "deliberately broken" in proc.stdout
    executed = build / "runs" / "smoke" / "extra"
    saved = json.loads((executed / "good.results.json").read_text())
    assert saved["profile"] == "smoke" and saved["claims"][0]["values"] == [2.0]
    assert "one plus one: 2 (n=1) [reproduced]" in proc.stdout
    # the executed copy shows the injected profile; the source notebook is untouched
    out = nbformat.read(executed / "good.ipynb", as_version=4)
    assert any("injected-parameters" in c.metadata.get("tags", []) for c in out.cells)
    assert len(nbformat.read(good, as_version=4).cells) == 2

    again = run_cli("--profile", "smoke", "--build-dir", build, good)
    assert again.returncode == 0 and "skipped (unchanged)" in again.stdout
    good.write_text(good.read_text().replace("1 + 1", "2 + 0"))
    changed = run_cli("--profile", "smoke", "--build-dir", build, good)
    assert "skipped" not in changed.stdout and "good: ok" in changed.stdout


def test_fingerprint_changes_with_profile_and_notebook(tmp_path):
    nb = make_notebook(tmp_path / "a.ipynb", "x = 1")
    assert reproduce.fingerprint(nb, "cpu") != reproduce.fingerprint(nb, "smoke")
    before = reproduce.fingerprint(nb, "cpu")
    make_notebook(nb, "x = 2")
    assert reproduce.fingerprint(nb, "cpu") != before


def test_a_notebook_with_a_share_of_the_cores_gets_a_longer_default_limit(monkeypatch):
    monkeypatch.setattr(reproduce.os, "sched_getaffinity", lambda pid: {0, 1})
    assert reproduce.time_limit("cpu") == 60
    assert reproduce.time_limit("cpu", jobs=2) == 120        # one thread each of two cores
    assert reproduce.time_limit("cpu", jobs=3) == 180        # three notebooks on two cores
    assert reproduce.time_limit("cpu", jobs=2, timeout=5) == 5
    monkeypatch.setattr(reproduce.os, "sched_getaffinity", lambda pid: set(range(8)))
    assert reproduce.time_limit("smoke", jobs=2) == 20       # four threads each of eight


def test_overrunning_notebook_is_stopped_and_the_rest_run(tmp_path):
    """--timeout stops a notebook (and its kernel) that runs too long; the batch goes on, and
    --jobs gives each of the notebooks running at once its share of the cores."""
    pid_file = tmp_path / "kernel.pid"
    sleeper = make_notebook(tmp_path / "sleeper.ipynb", (
        f"import os, time\nopen({str(pid_file)!r}, 'w').write(str(os.getpid()))\ntime.sleep(300)"))
    threads = make_notebook(tmp_path / "threads.ipynb", (
        "import os, torch\nfrom zoo_utils.results import Results\n"
        "r = Results('threads', PROFILE)\n"
        "r.record('threads', '-', [int(os.environ['OMP_NUM_THREADS']), torch.get_num_threads()],"
        " 'not assessed')\nr.save()"))
    build = tmp_path / "build"
    proc = run_cli("--profile", "smoke", "--jobs", "2", "--timeout", "0.25", "--build-dir", build,
                   sleeper, threads)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "sleeper" in proc.stdout and "TIMED OUT" in proc.stdout and "limit of 0.25 min" in proc.stdout
    saved = json.loads((build / "runs" / "smoke" / "extra" / "threads.results.json").read_text())
    share = max(1, len(os.sched_getaffinity(0)) // 2)
    assert saved["claims"][0]["values"] == [share, share]
    kernel = int(pid_file.read_text())
    assert not psutil.pid_exists(kernel) or psutil.Process(kernel).status() == psutil.STATUS_ZOMBIE


def test_progress_lines_name_the_cell_and_the_last_run(tmp_path):
    slow = make_notebook(tmp_path / "slow.ipynb", "import time\ntime.sleep(3)")
    build = tmp_path / "build"
    first = run_cli("--profile", "smoke", "--progress-every", "0.5", "--build-dir", build, slow)
    assert first.returncode == 0, first.stdout + first.stderr
    assert re.search(r"\.\.\. slow: cell [23]/3, 0m0\ds elapsed", first.stdout), first.stdout
    second = run_cli("--profile", "smoke", "--progress-every", "0.5", "--force", "--build-dir",
                     build, slow)
    assert "last successful run took 0m0" in second.stdout, second.stdout
    assert "Executing Cell" in (build / "runs" / "smoke" / "extra" / "slow.log").read_text()


def test_each_seed_offset_has_its_own_folder(tmp_path):
    good = make_notebook(tmp_path / "seeded.ipynb", (
        "from zoo_utils.results import Results\n"
        "r = Results('seeded', PROFILE, seed=SEED)\nr.record('seed', '-', [SEED], 'not assessed')\n"
        "r.save()"), params="PROFILE = None\nSEED = 0")
    build = tmp_path / "build"
    proc = run_cli("--profile", "smoke", "--seed", "0", "7", "--build-dir", build, good)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for folder, seed in [("smoke", 0), ("smoke-seed7", 7)]:
        saved = json.loads((build / "runs" / folder / "extra" / "seeded.results.json").read_text())
        assert saved["seed"] == seed and saved["claims"][0]["values"] == [seed]
    assert reproduce.fingerprint(good, "smoke", 0) != reproduce.fingerprint(good, "smoke", 7)
