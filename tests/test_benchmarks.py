"""The speed benchmarks run end to end on tiny settings (their numbers are not checked: they
are measurements, printed as ratios)."""

import sys

import pytest
import torch

from zoo_utils import reproduce

sys.path.insert(0, str(reproduce.ROOT / "benchmarks"))
import gpu_speed


def test_gpu_speed_runs_both_paths_and_says_when_there_is_no_gpu(monkeypatch):
    monkeypatch.setenv("ZOO_FAST", "1")           # the benchmark sets it; restored afterwards
    table = gpu_speed.main(["--device", "cpu", "--images", "64", "--epochs", "2",
                            "--batch-size", "32"])
    assert list(table.index) == [(32, "eager"), (32, "fast")]
    assert table.loc[(32, "eager"), "speed-up"] == 1.0 and (table["images/s"] > 0).all()
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(SystemExit, match="no CUDA GPU"):
        gpu_speed.main([])


def test_memory_speed_compares_the_two_allocators_and_their_weights():
    import memory_speed
    table = memory_speed.main(["--steps", "2", "--repeats", "1", "--workload", "resnet",
                               "resnet-eval"])
    assert list(table.index) == [("resnet", "default"), ("resnet", "kept"),
                                 ("resnet-eval", "default"), ("resnet-eval", "kept")]
    assert table["same weights"].all()                  # only where memory comes from changes
    assert (table["ms/step"] > 0).all() and table.loc[("resnet", "default"), "speed-up"] == 1.0


def test_optimizer_speed_compares_the_two_forms_and_their_weights(monkeypatch):
    import optimizer_speed
    monkeypatch.setenv("ZOO_FAST", "1")           # the benchmark sets it; restored afterwards
    table = optimizer_speed.main(["--steps", "2", "--repeats", "1", "--workload",
                                  "Transformer page, Adam, batch 64"])
    assert list(table.index.get_level_values("form")) == ["per parameter", "together"]
    assert table["same weights"].all()                  # the same arithmetic in the same order
    assert (table["ms/optimiser step"] > 0).all() and table["speed-up"].iloc[0] == 1.0


def test_compute_bound_counts_a_steps_operations_and_its_share_of_the_peak():
    import compute_bound
    table = compute_bound.main(["--steps", "1", "--peak-size", "256", "--workload",
                                "Transformer page: encoder-decoder, batch 64"])
    row = table.loc["Transformer page: encoder-decoder, batch 64"]
    assert row["GFLOP per step"] > 0.1 and row["ms per step"] > 0     # a real step was counted
    assert 0 < row["dense kernels' share of time"] <= 1
    assert row["speed-up if the rest took no time"] >= 1
