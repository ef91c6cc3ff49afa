import json
import math

import pytest

from zoo_utils.results import Results, load_all


def test_record_summarises_seeds_and_saves_json(tmp_path):
    r = Results("alexnet", "cpu")
    r.record("ReLU speed-up", "6x", [2.0, 3.0, 4.0], "partly", unit="x")
    r.record("never", "25%", [math.nan, 5.0], "not at this scale")
    table = r.table()
    assert table.loc[0, "ours"] == "3 ± 1 x (n=3)"
    assert "1 never reached" in table.loc[1, "ours"]
    path = r.save(tmp_path)
    saved = json.loads(path.read_text())
    assert saved["profile"] == "cpu" and saved["claims"][0]["values"] == [2.0, 3.0, 4.0]
    gathered = load_all(tmp_path)
    assert list(gathered.claim) == ["ReLU speed-up", "never"]
    assert "<table" in r._repr_html_()


def test_save_goes_to_results_dir_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("ZOO_RESULTS_DIR", str(tmp_path / "run"))
    r = Results("x", "smoke")
    r.record("c", "1", 1.0, "not assessed")
    path = r.save()
    assert path.parent == tmp_path / "run"


def test_unknown_verdict_is_refused():
    with pytest.raises(ValueError, match="reproduced"):
        Results("x", "cpu").record("c", "1", 1.0, "kind of")


def test_verdict_rules():
    from zoo_utils.results import count_verdict, gain_verdict, no_gain_verdict
    assert gain_verdict([2.0, 3.0, 2.5], "cpu") == "reproduced"
    assert gain_verdict([2.0, -1.0, 1.0], "cpu") == "partly"
    assert gain_verdict([-2.0, -1.0, 0.5], "cpu") == "not at this scale"
    assert gain_verdict([2.0, 3.0, 2.5], "smoke") == "not assessed"
    assert no_gain_verdict([0.5, -0.5, 0.2], "cpu") == "reproduced"
    assert no_gain_verdict([2.0, 3.0, 2.5], "cpu") == "not at this scale"
    assert count_verdict(60_965_224, 60e6) == "reproduced"
    assert count_verdict(70e6, 60e6) == "partly"


def test_weakest_verdict_needs_every_condition():
    from zoo_utils.results import weakest_verdict
    assert weakest_verdict(["reproduced", "reproduced"]) == "reproduced"
    assert weakest_verdict(["reproduced", "not at this scale"]) == "not at this scale"
    assert weakest_verdict(["partly", "reproduced"]) == "partly"
    assert weakest_verdict(["reproduced", "not assessed"]) == "not assessed"


def test_hand_run_saves_under_build_not_beside_the_notebook(monkeypatch):
    from zoo_utils import results
    monkeypatch.delenv("ZOO_RESULTS_DIR", raising=False)
    where = results.default_directory("cpu")
    assert where.parts[-3:] == ("_build", "results", "cpu")


def test_saved_results_carry_the_seed_offset(tmp_path):
    r = Results("resnet", "cpu", seed=20)
    r.record("c", "1", [1.0, 2.0], "partly")
    r.save(tmp_path)
    assert load_all(tmp_path).seed.tolist() == [20]


def test_mean_sd_formats_per_seed_values():
    from zoo_utils.results import mean_sd
    assert mean_sd([1.0, 2.0, 3.0]) == "2.0 ± 1.0"
    assert mean_sd([0.5, 0.25], digits=2) == "0.38 ± 0.18"
