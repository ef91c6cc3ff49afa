"""The scoreboard page: gathered from saved results, per part, checked across seed sets."""

from zoo_utils import reproduce, scoreboard
from zoo_utils.results import Results


def save(build_root, folder, notebook, claims, seed=0):
    results = Results(notebook, "cpu", seed=seed)
    for claim, verdict in claims:
        results.record(claim, "1", [1.0, 2.0], verdict, unit="points")
    results.save(build_root / "runs" / folder / "notebooks" / "cnn")


def two_seed_sets(tmp_path):
    save(tmp_path, "cpu", "alexnet", [("Fig 1 speed-up", "not at this scale"),
                                       ("parameters", "reproduced"), ("pooling", "partly")])
    save(tmp_path, "cpu", "vgg", [("depth", "reproduced"), ("smoke-only", "not assessed")])
    save(tmp_path, "cpu-seed20", "alexnet", [("Fig 1 speed-up", "not at this scale"),
                                              ("parameters", "reproduced"),
                                              ("pooling", "reproduced")], seed=20)
    return tmp_path


def test_board_has_every_page_and_whether_each_verdict_held(tmp_path):
    board = scoreboard.gather(two_seed_sets(tmp_path), "cpu", seed=0)
    assert list(dict.fromkeys(board.notebook)) == list(reproduce.toc_notebooks())
    alexnet = board[board.notebook == "alexnet"].set_index("claim")
    assert alexnet.held.to_dict() == {"Fig 1 speed-up": "held", "parameters": "held",
                                      "pooling": "changed"}
    assert alexnet.loc["pooling", "verdict at SEED=20"] == "reproduced"
    vgg = board[board.notebook == "vgg"].set_index("claim")
    assert vgg.held.isna().all()                # vgg was not run at SEED=20
    assert board[board.notebook == "resnet"].claim.isna().all()   # not run at all
    n = scoreboard.counts(board)
    assert n.loc["all parts", "claims"] == 5 and n.loc["all parts", "reproduced"] == 2
    assert n.loc["all parts", "pages run"] == f"2 of {len(reproduce.toc_notebooks())}"
    assert n.loc["Convolutional networks", "pages run"] == "2 of 3"
    assert n.loc["all parts", "held at other seeds"] == "2 of 3"


def test_page_lists_counts_changes_links_and_pages_not_run(tmp_path):
    board = scoreboard.write_page(tmp_path / "book", two_seed_sets(tmp_path), "cpu", seed=0)
    page = (tmp_path / "book" / "scoreboard.md").read_text()
    assert (tmp_path / "book" / "scoreboard.png").stat().st_size > 10_000
    assert "**Profile `cpu`**" in page and "**2 of 3** assessed claims kept their verdict" in page
    assert "pooling: partly at `SEED=0`, reproduced at `SEED=20`" in page
    assert "{doc}`AlexNet <../notebooks/cnn/alexnet>`" in page
    assert "## Pages not yet run at this profile" in page and "ResNet <../notebooks/cnn/resnet>" in page
    assert "| Convolutional networks | 2 of 3 | 5 | 2 | 1 | 1 | 1 | 2 of 3 |" in page
    assert len(board) == 5 + len(reproduce.toc_notebooks()) - 2   # a row per claim or unrun page


def test_page_without_a_second_seed_set_says_so(tmp_path):
    save(tmp_path, "cpu", "vgg", [("depth", "reproduced")])
    scoreboard.write_page(tmp_path / "book", tmp_path, "cpu")
    page = (tmp_path / "book" / "scoreboard.md").read_text()
    assert "No other seed set has been run" in page and "held at other seeds" in page


def test_staged_book_carries_the_generated_scoreboard(tmp_path):
    stage = reproduce.stage_book("cpu", two_seed_sets(tmp_path), seed=0)
    page = (stage / "book" / "scoreboard.md").read_text()
    assert "Verdicts checked again at SEED=20" in page
    assert (reproduce.ROOT / "book" / "scoreboard.md").read_text() != page   # source untouched
