"""The batch runner: selection, skipping unchanged notebooks, surviving a broken one."""

import json
import subprocess
import sys

import nbformat
import pytest

from zoo_utils import reproduce

ROOT = reproduce.ROOT


def make_notebook(path, body):
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell("PROFILE = None")
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
