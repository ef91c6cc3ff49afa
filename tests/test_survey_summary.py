"""The survey's summary page: the shared evaluation of every survey page in stage order at
each seed set, the untrained baseline, the published numbers with their sources, and every
verdict with whether it held."""

from zoo_utils import reproduce, survey_summary
from zoo_utils.results import Results
from zoo_utils.survey import STAGES


def save(build_root, folder, notebook, seed, shared=None, claims=(), untrained=None):
    results = Results(notebook, "cpu", seed=seed)
    for method, (knn, linear) in (shared or {}).items():
        results.record(f"Shared evaluation: {method}, k-NN accuracy (%)", "p", knn, "not assessed")
        results.record(f"Shared evaluation: {method}, linear probe accuracy (%)", "p", linear, "not assessed")
    for claim, verdict in claims:
        results.record(claim, "p", [1.0, 2.0, 3.0], verdict)
    if untrained:
        results.record("Untrained encoder: k-NN accuracy (%)", "p", untrained[0], "not assessed")
        results.record("Untrained encoder: linear probe accuracy (%)", "p", untrained[1], "not assessed")
    results.save(build_root / "runs" / folder / "notebooks" / "contrastive")


def two_seed_sets(tmp_path):
    save(tmp_path, "cpu", "simclr", 0, {"SimCLR": ([18, 19, 20], [36, 38, 40])},
         [("Non-linear head helps", "reproduced")])
    save(tmp_path, "cpu", "byol", 0, {"BYOL": ([17, 17, 18], [30, 31, 29]), "SimSiam": ([18, 18, 17], [32, 31, 33])})
    save(tmp_path, "cpu", "densecl", 0, {"DenseCL": ([16, 16, 17], [31, 30, 29])},
         [("DenseCL transfers better", "partly")], untrained=([17, 18, 17.5], [27, 28, 28.5]))
    save(tmp_path, "cpu-seed20", "simclr", 20, {"SimCLR": ([18, 18, 18], [35, 35, 36])},
         [("Non-linear head helps", "partly")])
    return tmp_path


def test_the_shared_evaluation_follows_the_stages_and_marks_pages_not_run(tmp_path):
    frame = survey_summary.shared_evaluation(two_seed_sets(tmp_path) / "runs" / "cpu", "cpu", 0)
    pages = [p for pages in STAGES.values() for p in pages]
    assert list(dict.fromkeys(frame.page)) == pages
    assert frame.set_index("method").loc["SimSiam", "linear probe"] == [32, 31, 33]
    assert frame[frame.page == "instdisc"].method.isna().all()
    assert frame.method.iloc[-1] == "untrained encoder"


def test_the_table_has_both_seed_sets_the_gain_and_the_published_numbers(tmp_path):
    build = two_seed_sets(tmp_path)
    evaluations = {s: survey_summary.shared_evaluation(reproduce.run_dir(build, "cpu", s), "cpu", s) for s in (0, 20)}
    table = survey_summary.table(evaluations, [0, 20]).set_index("method")
    assert table.loc["SimCLR", "linear probe, SEED=0"] == "38.0 ± 2.0"
    assert table.loc["SimCLR", "linear probe, SEED=20"] == "35.3 ± 0.6"
    assert table.loc["BYOL", "linear probe, SEED=20"] == "—"               # not run there
    assert table.loc["SimCLR", "linear minus untrained, SEED=0"] == "+10.2"
    assert table.loc["SimCLR", "linear minus untrained, SEED=20"] == "—"    # no untrained row there
    assert "90.74 linear [solo-learn]" in table.loc["SimCLR", "published on CIFAR-10 (%)"]
    assert table.loc["DenseCL", "published on CIFAR-10 (%)"] == "—"
    assert table.loc["DenseCL", "the paper, as its page cites it"] == "p"
    assert "(instdisc: not yet run)" in table.index


def test_the_page_lists_sources_and_every_verdict_with_its_check(tmp_path):
    summary = survey_summary.write_page(tmp_path / "book", two_seed_sets(tmp_path), "cpu", seed=0)
    page = (tmp_path / "book" / "survey.md").read_text()
    assert (tmp_path / "book" / "survey.png").stat().st_size > 10_000
    assert "github.com/vturrisi/solo-learn" in page and "arXiv:2011.10566" in page
    assert "| Non-linear head helps | 2 ± 1 (n=3) | reproduced | changed |" in page
    assert "| DenseCL transfers better | 2 ± 1 (n=3) | partly | not checked |" in page
    assert "Shared evaluation" not in page.split("## Every verdict")[1]
    assert page.index("SimCLR") < page.index("BYOL") < page.index("DenseCL")
    assert len(summary) == len(summary.method.unique())


def test_the_staged_book_carries_the_generated_summary(tmp_path):
    stage = reproduce.stage_book("cpu", two_seed_sets(tmp_path), seed=0)
    page = (stage / "book" / "survey.md").read_text()
    assert "SEED=20" in page and "solo-learn" in page
    assert (reproduce.ROOT / "book" / "survey.md").read_text() != page     # source untouched
