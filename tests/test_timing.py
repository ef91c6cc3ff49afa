"""Where a page's time goes: phases charged to the innermost unless sealed, figures charged to
plotting, the seconds saved with a page's results, and the benchmarks' per-page tables (the
book's time, and the eager path against the fast one)."""

import json
import sys
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pytest

from zoo_utils import reproduce, timing
from zoo_utils.results import Results

sys.path.insert(0, str(reproduce.ROOT / "benchmarks"))
import book_speed
import book_time


def busy(seconds):
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


def test_time_goes_to_the_innermost_phase_unless_a_sealed_one_encloses_it():
    before = timing.spent()
    with timing.phase("training"):
        busy(0.05)
        with timing.phase("evaluation"):          # a monitor inside training: evaluation
            busy(0.05)
    # a probe that trains with fit: evaluation
    with timing.phase("evaluation", sealed=True), timing.phase("training"):
        busy(0.05)
    after = timing.spent()
    gained = {p: after[p] - before[p] for p in timing.PHASES}
    assert gained["training"] == pytest.approx(0.05, abs=0.02)
    assert gained["evaluation"] == pytest.approx(0.10, abs=0.02)
    with pytest.raises(ValueError, match="unknown phase"), timing.phase("thinking"):
        pass


def test_the_package_marks_its_phases():
    import torch

    from zoo_utils import data, features, train
    before = timing.spent()
    mnist = data.load("digits")
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(64, 10))
    train.fit(model, mnist, epochs=1, optimizer=torch.optim.SGD(model.parameters(), lr=0.1),
              progress=False, device="cpu")
    features.linear_probe(torch.randn(50, 4), torch.arange(50) % 2, torch.randn(20, 4),
                          torch.arange(20) % 2, epochs=2)
    after = timing.spent()
    assert all(after[p] > before[p] for p in ("training", "evaluation", "data preparation"))


def test_drawing_a_figure_is_plotting(tmp_path):
    timing.time_figures()
    timing.time_figures()                         # idempotent: wrapped once
    before = timing.spent()["plotting"]
    fig, ax = plt.subplots()
    ax.plot(range(1000))
    fig.savefig(tmp_path / "f.png")
    plt.close(fig)
    assert timing.spent()["plotting"] > before


def test_results_save_the_seconds_by_phase(tmp_path):
    results = Results("alexnet", "cpu")
    results.record("c", "1", [1.0], "not assessed")
    saved = json.loads(results.save(tmp_path).read_text())
    assert set(saved["seconds by phase"]) == set(timing.PHASES)


def test_the_benchmark_reads_minutes_and_shares_per_page(tmp_path):
    folder = reproduce.run_dir(tmp_path, "cpu") / "notebooks" / "cnn"
    folder.mkdir(parents=True)
    (folder / "alexnet.ipynb").write_text(json.dumps({"metadata": {"papermill": {"duration": 120.0}}}))
    (folder / "alexnet.results.json").write_text(json.dumps(
        {"claims": [], "seconds by phase": {"training": 60.0, "evaluation": 30.0,
                                            "data preparation": 6.0, "plotting": 12.0}}))
    (folder / "vgg.ipynb").write_text(json.dumps({"metadata": {"papermill": {"duration": 60.0}}}))
    table = book_time.page_times(tmp_path, "cpu")
    assert table.loc["alexnet", "minutes"] == 2.0
    assert table.loc["alexnet", "training"] == 50 and table.loc["alexnet", "other"] == pytest.approx(10)
    assert table.loc["vgg", "minutes"] == 1.0 and table["training"].isna()["vgg"]   # run before timing
    assert table.minutes.isna()["resnet"]                                             # not run
    book_time.main(["--build", str(tmp_path)])


def saved_page(build, minutes, claims):
    folder = reproduce.run_dir(build, "cpu") / "notebooks" / "cnn"
    folder.mkdir(parents=True)
    (folder / "alexnet.ipynb").write_text(json.dumps({"metadata": {"papermill": {"duration": 60.0 * minutes}}}))
    (folder / "alexnet.results.json").write_text(json.dumps(
        {"claims": [{"claim": c, "values": v, "verdict": verdict} for c, v, verdict in claims]}))


def test_the_speed_benchmark_compares_minutes_means_and_verdicts(tmp_path):
    saved_page(tmp_path / "eager", 6.0, [("a", [1.0, 2.0, 3.0], "reproduced"),
                                         ("b", [5.0, 5.2, 4.8], "partly"),
                                         ("c", [7.0], "not assessed")])
    saved_page(tmp_path / "fast", 4.0, [("a", [1.5, 2.5, 3.5], "reproduced"),     # +0.5, sd 1
                                        ("b", [6.0, 6.2, 5.8], "reproduced"),     # +1.0, sd 0.2
                                        ("c", [7.5], "not assessed")])
    assert book_speed.pages(["cnn", "alexnet"])[:3] == ["alexnet", "vgg", "resnet"]
    minutes, tables = book_speed.compare(["alexnet", "vgg"], "cpu", 0, tmp_path)
    assert minutes.loc["alexnet", "speed-up"] == 1.5 and minutes["speed-up"].isna()["vgg"]
    rows = tables["alexnet"].set_index("claim")
    assert rows.loc["a", "within spread"] is True and rows.loc["a", "same verdict"]
    assert rows.loc["b", "within spread"] is False and rows.loc["b", "verdict"] == "partly -> reproduced"
    assert rows.loc["c", "within spread"] == "n/a (one value)"
    assert "vgg" not in tables
    with pytest.raises(SystemExit, match="unknown page or folder"):
        book_speed.pages(["no-such-page"])


def test_the_speed_benchmark_compares_a_jobs_run_by_its_wall_clock(tmp_path, capsys):
    saved_page(tmp_path / "eager", 6.0, [("a", [1.0, 2.0, 3.0], "reproduced")])
    saved_page(tmp_path / "fast", 10.0, [("a", [1.0, 2.0, 3.1], "reproduced")])   # ran beside another
    (tmp_path / "fast" / "wall.json").write_text(json.dumps({"pages": ["alexnet"], "jobs": 2, "minutes": 4.0}))
    assert book_speed.wall_clock(["alexnet"], tmp_path) == (2, 4.0)
    assert book_speed.wall_clock(["alexnet", "vgg"], tmp_path) is None     # another set of pages
    minutes, _ = book_speed.compare(["alexnet"], "cpu", 0, tmp_path, jobs=2)
    assert minutes.loc["alexnet", "speed-up"] == pytest.approx(1.2)        # 6 min against 10 / 2
    book_speed.main(["alexnet", "--compare-only", "--build", str(tmp_path)])
    assert "with --jobs 2: 4.0 min from start to end against 6.0 min eager" in capsys.readouterr().out
    book_speed.run_both([], "cpu", 0, tmp_path, keep_cache=True)       # a new run of the fast path
    assert book_speed.wall_clock(["alexnet"], tmp_path) is None


def test_the_speed_benchmark_alternates_which_path_runs_first(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(book_speed, "reproduce", lambda names, profile, seed, build, flags, env:
                        calls.append((names[0], build.name, flags)))
    book_speed.run_both(["alexnet", "vgg", "resnet"], "cpu", 0, tmp_path)
    assert [(name, path) for name, path, _ in calls] == [
        ("alexnet", "eager"), ("alexnet", "fast"), ("vgg", "fast"), ("vgg", "eager"),
        ("resnet", "eager"), ("resnet", "fast")]
    assert all((flags == ["--no-fast"]) == (path == "eager") for _, path, flags in calls)
