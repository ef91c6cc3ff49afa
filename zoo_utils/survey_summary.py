"""The contrastive survey's summary page, written when the book is built from the results the
survey's pages saved: every method on the one shared evaluation (mean ± sd over seeds, at each
seed set run), in the order of the survey's stages, beside published CIFAR-10 numbers with their
sources, and every verdict of the survey's pages with whether it held at the other seed set.
`write_page` makes `survey.md` and `survey.png`, as `zoo_utils.scoreboard` makes the scoreboard.
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from .plots import PALETTE, set_style
from .reproduce import ROOT, run_dir
from .results import load_all, mean_sd
from .scoreboard import _table, gather, other_seeds
from .survey import PREFIX, STAGES, evaluation_claims

UNTRAINED = "Untrained encoder: "   # the claims of the untrained encoder's judges (DenseCL's page)
SOLO_LEARN = ("solo-learn README, CIFAR-10 table (ResNet-18, 1000 epochs, Acc@1), "
              "github.com/vturrisi/solo-learn")
LIGHTLY = ("lightly benchmarks, CIFAR-10 kNN (ResNet-18, 200 epochs, batch 128), "
           "github.com/lightly-ai/lightly docs/source/getting_started/benchmarks.rst")
SIMSIAM_D = "SimSiam paper, Appendix D (CIFAR ResNet-18, 800 epochs, linear), arXiv:2011.10566"
# Published CIFAR-10 numbers (%) of the survey's methods trained on CIFAR-10 itself, by method
# name as the pages record it: [(number, what, source key)].
PUBLISHED = {
    "SimCLR": [(90.74, "linear", "solo-learn"), (84.7, "k-NN", "lightly"), (91.1, "linear", "SimSiam D")],
    "MoCo v2": [(92.94, "linear (MoCo v2+)", "solo-learn"), (83.8, "k-NN (MoCo)", "lightly")],
    "SwAV": [(89.17, "linear", "solo-learn"), (81.2, "k-NN", "lightly")],
    "BYOL": [(92.58, "linear", "solo-learn"), (86.9, "k-NN", "lightly")],
    "SimSiam": [(90.51, "linear", "solo-learn"), (81.9, "k-NN", "lightly"), (91.8, "linear", "SimSiam D")],
}
SOURCES = {"solo-learn": SOLO_LEARN, "lightly": LIGHTLY, "SimSiam D": SIMSIAM_D}


def page_stage():
    return {page: stage for stage, pages in STAGES.items() for page in pages}


def verdict_pages():
    """The pages whose verdicts the summary lists, with their place in the survey: MoCo's (the
    toolkit), the survey's, and the two third-stage pages judged on their own tasks."""
    own_task = "third stage, judged on its own task"
    return {"moco": "the toolkit", **{page: f"{stage} stage" for page, stage in page_stage().items()},
            "crafting_views": own_task, "instances_as_queries": own_task}


def shared_evaluation(directory, profile, seed):
    """One row per (page, method) of the survey in stage order, with the per-seed k-NN and
    linear-probe values its page saved under `directory` at `profile` and `seed`; pages without
    results get a row with method None. The untrained encoder's row comes last, if saved."""
    saved = load_all(directory)
    if not saved.empty:
        saved = saved[(saved.profile == profile) & (saved.seed == seed)]
    claims = evaluation_claims(saved, profile, seed)
    rows = []
    for page, stage in page_stage().items():
        mine = claims[claims.notebook == page]
        if mine.empty:
            rows.append({"stage": stage, "page": page, "method": None})
            continue
        methods = {}
        for method, judge, paper, values in mine[["method", "judge", "paper", "values"]].itertuples(index=False):
            methods.setdefault(method, {"paper": paper})[judge] = values
        rows += [{"stage": stage, "page": page, "method": m, **judges} for m, judges in methods.items()]
    untrained = saved[saved.claim.str.startswith(UNTRAINED)] if not saved.empty else saved
    if not untrained.empty:
        judges = {c.removeprefix(UNTRAINED).removesuffix(" accuracy (%)"): v
                  for c, v in untrained[["claim", "values"]].drop_duplicates("claim").itertuples(index=False)}
        rows.append({"stage": "baseline", "page": untrained.notebook.iloc[0], "method": "untrained encoder", **judges})
    return pd.DataFrame(rows, columns=["stage", "page", "method", "k-NN", "linear probe", "paper"])


def published(method):
    """The published CIFAR-10 numbers of `method`, as text with short source keys."""
    return "; ".join(f"{number:g} {what} [{key}]" for number, what, key in PUBLISHED.get(method, [])) or "—"


def table(evaluations, seeds):
    """The summary table: per method, `mean ± sd` of each judge and the linear probe's gain over
    the untrained encoder at each seed set, and the published numbers. `evaluations`: {seed
    offset: `shared_evaluation` frame}, the first being the primary."""
    primary = evaluations[seeds[0]]
    rows = []
    for r in primary.to_dict("records"):
        run = isinstance(r["method"], str)
        row = {"stage": r["stage"], "method": r["method"] if run else f"({r['page']}: not yet run)", "page": r["page"]}
        for s in seeds:
            other = evaluations[s]
            match = other[(other.page == r["page"]) & (other.method == r["method"])]
            for judge in ("k-NN", "linear probe"):
                values = match[judge].iloc[0] if len(match) else None
                row[f"{judge}, SEED={s}"] = mean_sd(values) if isinstance(values, list) and len(values) > 1 else "—"
        for s in seeds:
            row[f"linear minus untrained, SEED={s}"] = _gain_over_untrained(evaluations[s], r)
        row["the paper, as its page cites it"] = r["paper"] if isinstance(r["paper"], str) else "—"
        row["published on CIFAR-10 (%)"] = published(r["method"])
        rows.append(row)
    return pd.DataFrame(rows)


def _gain_over_untrained(frame, r):
    base = frame[frame.method == "untrained encoder"]
    match = frame[(frame.page == r["page"]) & (frame.method == r["method"])]
    if not len(base) or not len(match) or r["method"] == "untrained encoder":
        return "—"
    linear = match["linear probe"].iloc[0]
    return f"{np.mean(linear) - np.mean(base['linear probe'].iloc[0]):+.1f}" if isinstance(linear, list) else "—"


def draw(evaluations, seeds, path):
    """The linear probe of every method, mean and sd per seed set, coloured by stage."""
    set_style()
    primary = evaluations[seeds[0]].dropna(subset=["method"])
    labels = list(primary.method)
    colours = {stage: PALETTE[i % len(PALETTE)] for i, stage in enumerate(STAGES)} | {"baseline": "grey"}
    fig, ax = plt.subplots(figsize=(7, 0.38 * len(labels) + 1.4))
    for k, s in enumerate(seeds):
        frame, label = evaluations[s], f"SEED={s}"
        for i, r in enumerate(primary.itertuples()):
            match = frame[(frame.page == r.page) & (frame.method == r.method)]
            if not len(match) or not isinstance(match["linear probe"].iloc[0], list):
                continue
            values = np.asarray(match["linear probe"].iloc[0], dtype=float)
            ax.errorbar(values.mean(), i + 0.2 * k, xerr=values.std(ddof=1) if len(values) > 1 else 0,
                        fmt="o" if k == 0 else "s", color=colours[r.stage], mfc=None if k == 0 else "white",
                        capsize=3, label=label)
            label = None
    for stage, colour in colours.items():
        ax.plot([], [], "s", color=colour, label=f"{stage} stage" if stage != "baseline" else stage)
    base = primary[primary.method == "untrained encoder"]
    if len(base):
        ax.axvline(np.mean(base["linear probe"].iloc[0]), color="grey", ls="--", lw=1)
    ax.set_yticks(range(len(labels)), labels, fontsize=8)
    for tick, r in zip(ax.get_yticklabels(), primary.itertuples()):
        tick.set_color(colours[r.stage])
    ax.invert_yaxis()
    ax.set_xlabel("linear probe accuracy (%), mean ± sd over seeds")
    ax.set_title("The survey on one evaluation (colour: stage)")
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def verdicts(build_root, profile, seed, root=ROOT):
    """Every claim of the survey's pages but the shared evaluation, in stage order, with its
    verdict and whether it held at the other seed sets (from the scoreboard)."""
    board = gather(build_root, profile, seed, root)
    stage_of = verdict_pages()
    board = board[board.notebook.isin(stage_of)].dropna(subset=["claim"])
    board = board[~board.claim.str.startswith((PREFIX, UNTRAINED))]
    board = board.assign(stage=board.notebook.map(stage_of),
                         order=board.notebook.map({p: i for i, p in enumerate(stage_of)}))
    return board.sort_values("order", kind="stable")


def markdown(summary, claims, profile, seeds):
    intro = ("Every contrastive method of the survey on its one shared evaluation: the same "
             "unlabelled images, the same encoder and pre-training budget, judged by the same k-NN "
             "and linear probe on frozen features (see {doc}`the survey's setting <contrastive>`). "
             "The numbers are read from the results each page saved when the book was built, at "
             f"profile `{profile}`, mean ± sd over each page's three seeds, at "
             + ", ".join(f"`SEED={s}`" for s in seeds) + ". Methods are in the order of the "
             "survey's stages; the published numbers come from full-scale CIFAR-10 runs and are "
             "there for scale, not for comparison with a six-epoch budget. ContrastiveCrop and "
             "QueryInst are judged on their own tasks (digit scenes), so they appear only among "
             "the verdicts.")
    caption = ("The linear probe of every method, filled markers at the first seed set, open at "
               "the second; the dashed line is the untrained encoder at the first.")
    lines = ["# The survey side by side", "", intro, "",
             _table(summary.drop(columns=["page"])), "",
             "```{figure} survey.png", ":name: survey-figure", "", caption, "```", "",
             "**Sources of the published numbers.**", "",
             *[f"- [{key}] {text}" for key, text in SOURCES.items()], "",
             "## Every verdict of the survey", "",
             ("The claims each page tested beside its paper, with the verdict at the first seed "
              "set and whether it held at the others."), ""]
    if claims.empty:
        lines += ["*No page of the survey has been run at this profile yet.*", ""]
    for (stage, _), rows in claims.groupby(["stage", "notebook"], sort=False):
        shown = rows.assign(held=rows.held.fillna("not checked"))[["claim", "ours", "verdict", "held"]]
        lines += [f"### {rows.title.iloc[0]} ({stage})", "", _table(shown), ""]
    return "\n".join(lines)


def write_page(book_dir, build_root, profile, seed=0, root=ROOT):
    """Write `survey.md` and `survey.png` into `book_dir` from the batch at `profile` and `seed`
    and every other seed set run at that profile; returns the summary table."""
    seeds = [seed] + other_seeds(build_root, profile, seed)
    evaluations = {s: shared_evaluation(run_dir(build_root, profile, s), profile, s) for s in seeds}
    summary = table(evaluations, seeds)
    book_dir = Path(book_dir)
    book_dir.mkdir(parents=True, exist_ok=True)
    draw(evaluations, seeds, book_dir / "survey.png")
    claims = verdicts(build_root, profile, seed, root)
    (book_dir / "survey.md").write_text(markdown(summary, claims, profile, seeds))
    return summary
