import pytest

from zoo_utils import profiles


def test_every_notebook_has_every_profile():
    for notebook, table in profiles.REGISTRY.items():
        assert set(table) == set(profiles.PROFILE_NAMES), notebook


def test_unknown_profile_lists_the_valid_ones():
    with pytest.raises(ValueError, match="smoke, cpu, gpu"):
        profiles.get("alexnet", "laptop")


def test_unknown_notebook_is_an_error():
    with pytest.raises(ValueError, match="alexnet"):
        profiles.get("lenet", "cpu")


def test_profile_falls_back_to_environment_then_cpu(monkeypatch):
    monkeypatch.delenv("ZOO_PROFILE", raising=False)
    assert profiles.resolve() == "cpu"
    monkeypatch.setenv("ZOO_PROFILE", "gpu")
    assert profiles.get("alexnet").dataset == "cifar10"
    assert profiles.get("alexnet", "smoke").dataset == "mnistm-mini"   # the argument wins
    monkeypatch.setenv("ZOO_PROFILE", "tpu")
    with pytest.raises(ValueError, match="tpu"):
        profiles.resolve()


def test_overrides_replace_fields_only():
    cfg = profiles.get("alexnet", "cpu", seeds=(7,))
    assert cfg.seeds == (7,) and cfg.dataset == profiles.get("alexnet", "cpu").dataset


def test_cpu_and_smoke_profiles_use_only_offline_data():
    """Every dataset a config names (fields ending in `dataset`) is offline at smoke and cpu;
    text and sequence tasks are generated or shipped, so they have no such field."""
    from dataclasses import fields, is_dataclass

    from zoo_utils.data import OFFLINE

    def datasets(config):          # nested configs too (the contrastive survey's shared one)
        for f in fields(config):
            value = getattr(config, f.name)
            if is_dataclass(value):
                yield from datasets(value)
            elif f.name.endswith("dataset"):
                yield value

    for table in profiles.REGISTRY.values():
        for name in ("smoke", "cpu"):
            named = list(datasets(table[name]))
            assert all(d in OFFLINE for d in named), (name, named)
    assert "mnistm-mini" in datasets(profiles.get("instdisc", "cpu"))


def test_each_paper_has_a_profile_module_named_after_it():
    from pathlib import Path

    from zoo_utils.reproduce import toc_notebooks
    home = Path(profiles.__file__).parent
    assert set(profiles.REGISTRY) == {p.stem for p in home.glob("[!_]*.py")}
    assert set(toc_notebooks()) <= set(profiles.REGISTRY)
