"""The book's scoreboard: every claim of every page, gathered from the executed notebooks' saved
results when the book is built.

The numbers come from one batch (a profile and a seed offset, `runs/<profile>[-seed<N>]`); every
other seed offset run at the same profile is a check: per claim, did its verdict hold there?
`write_page` turns all of it into `book/scoreboard.md` and a figure in the staged book.
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import nbformat  # noqa: E402
import pandas as pd  # noqa: E402

from .plots import PALETTE, set_style  # noqa: E402
from .reproduce import ROOT, run_dir, toc_parts  # noqa: E402
from .results import VERDICTS, load_all  # noqa: E402

COLOURS = dict(zip(VERDICTS, [PALETTE[2], PALETTE[1], PALETTE[3], "#bbbbbb"]))


def other_seeds(build_root, profile, seed):
    """Seed offsets other than `seed` that have been run at `profile`."""
    found = []
    for path in (Path(build_root) / "runs").glob(f"{profile}*"):
        offset = "0" if path.name == profile else path.name.removeprefix(f"{profile}-seed")
        if path.is_dir() and offset.lstrip("-").isdigit() and int(offset) != seed:
            found.append(int(offset))
    return sorted(found)


def gather(build_root, profile, seed=0, root=ROOT):
    """One row per (page, claim) of the book, in book order: part, notebook, claim, paper, ours,
    verdict, one `verdict at SEED=<N>` column per other seed offset run at this profile, and
    `held` ('held', 'changed' or None if unchecked). Pages without results at this profile and
    seed get one row with `claim` None."""
    primary = load_all(run_dir(build_root, profile, seed))
    checks = {s: load_all(run_dir(build_root, profile, s)) for s in other_seeds(build_root,
                                                                                  profile, seed)}
    rows = []
    for part, notebooks in toc_parts(root).items():
        for name, path in notebooks.items():
            base = {"part": part, "notebook": name, "path": path.relative_to(root).with_suffix(""),
                    "title": page_title(path)}
            mine = primary[primary.notebook == name] if not primary.empty else primary
            if mine.empty:
                rows.append(base | {"claim": None, "verdict": None})
                continue
            for claim in mine.itertuples():
                row = base | {"claim": claim.claim, "paper": claim.paper, "ours": claim.ours,
                              "verdict": claim.verdict}
                for s, table in checks.items():
                    row[f"verdict at SEED={s}"] = _verdict_of(table, name, claim.claim)
                rows.append(row)
    board = pd.DataFrame(rows)
    return board.assign(held=[held(row, check_columns(board)) for _, row in board.iterrows()])


def _verdict_of(table, notebook, claim):
    if table.empty:
        return None
    match = table[(table.notebook == notebook) & (table.claim == claim)]
    return match.verdict.iloc[0] if len(match) else None


def check_columns(board):
    return [c for c in board.columns if c.startswith("verdict at SEED=")]


def page_title(path):
    """The short name of a page: its first heading up to the colon ("ResNet")."""
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type == "markdown" and cell.source.startswith("# "):
            return cell.source.splitlines()[0][2:].split(":")[0].strip()
    return Path(path).stem


def held(row, checks):
    """'held', 'changed', or None when no other seed set has this claim."""
    others = [row[c] for c in checks if isinstance(row[c], str)]
    if not others or row["verdict"] in ("not assessed", None):
        return None
    return "held" if all(v == row["verdict"] for v in others) else "changed"


def counts(board):
    """Per part and in all: pages run, claims per verdict, and how many of the claims checked at
    another seed set kept their verdict."""
    claims = board.dropna(subset=["claim"])
    groups = {part: board[board.part == part] for part in dict.fromkeys(board.part)}
    groups["all parts"] = board
    rows = {}
    for name, group in groups.items():
        mine = claims.loc[claims.index.intersection(group.index)]
        row = {"pages run": f"{mine.notebook.nunique()} of {group.notebook.nunique()}",
               "claims": len(mine), **{v: (mine.verdict == v).sum() for v in VERDICTS}}
        checked = mine.held[mine.held.isin(["held", "changed"])]
        row["held at other seeds"] = (f"{(checked == 'held').sum()} of {len(checked)}"
                                      if len(checked) else "—")
        rows[name] = row
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("part")


def draw(board, profile, path):
    """One horizontal bar per page, split by verdict, noting verdicts that changed with the
    seeds and pages not yet run."""
    set_style()
    claims = board.dropna(subset=["claim"])
    pages = list(dict.fromkeys(board.title))
    per_page = (pd.crosstab(claims.title, claims.verdict)
                .reindex(index=pages, columns=list(VERDICTS), fill_value=0))
    fig, ax = plt.subplots(figsize=(7, 0.5 * len(pages) + 1.6))
    left = pd.Series(0, index=pages)
    for verdict in VERDICTS:
        ax.barh(pages, per_page[verdict], left=left, color=COLOURS[verdict], label=verdict)
        left += per_page[verdict]
    for i, page in enumerate(pages):
        on_page = board[board.title == page]
        changed = (on_page.held == "changed").sum()
        note = ("not yet run" if on_page.claim.isna().all() else
                f"{changed} changed with the seeds" if changed else "")
        ax.text(left[page] + 0.2, i, note, va="center", fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("claims tested")
    ax.set_title(f"Verdicts per page, profile {profile}")
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.08), ncol=4, fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def markdown(board, profile, seed):
    """The scoreboard page as MyST Markdown (the figure is `scoreboard.png` beside it)."""
    checks = check_columns(board)
    n = counts(board)
    compared = board.held.notna().sum()
    kept = (board.held == "held").sum()
    lines = ["# Scoreboard", "",
             "Every claim the book tests, gathered from the pages' reproduction tables: the "
             "paper's number, ours (mean ± standard deviation over seeds, with n) and the verdict. "
             "Each page states its verdict rule before its runs; *not assessed* marks claims a "
             "profile cannot test (the `smoke` profile assesses nothing).", "",
             f"**Profile `{profile}`**, seed offset `SEED={seed}` (each page's runs use seeds "
             f"{seed}, {seed + 1}, …). "
             + (f"Verdicts checked again at {', '.join(c.removeprefix('verdict at ') for c in checks)}"
                f": **{kept} of {compared}** assessed claims kept their verdict." if checks else
                "No other seed set has been run at this profile, so no verdict has been checked "
                "against another set of seeds yet (`python -m zoo_utils.reproduce --seed 0 20`)."),
             "", "## In numbers", "", _table(n.reset_index()), "",
             "```{figure} scoreboard.png", ":name: scoreboard-figure", "",
             f"Claims per page split by verdict, profile `{profile}`.", "```", ""]
    if checks:
        changed = board[board.held == "changed"]
        lines += ["## Verdicts that changed with the seeds", ""]
        if changed.empty:
            lines += ["None: every assessed claim kept its verdict at every seed set run.", ""]
        else:
            lines += [f"- {r.title}: {r.claim}: {r.verdict} at `SEED={seed}`, "
                      + ", ".join(f"{r[c]} at `{c.removeprefix('verdict at ')}`" for c in checks
                                  if isinstance(r[c], str)) for _, r in changed.iterrows()] + [""]
    for part, in_part in board.groupby("part", sort=False):
        lines += [f"## {part}", ""]
        for (title, path), page in in_part.groupby(["title", "path"], sort=False):
            lines += [f"### {{doc}}`{title} <../{path.as_posix()}>`", ""]
            if page.claim.isna().all():
                lines += [f"*Not yet run at profile `{profile}` with `SEED={seed}`.*", ""]
                continue
            columns = ["claim", "paper", "ours", "verdict"] + (["other seeds"] if checks else [])
            shown = page.assign(**{"other seeds": [_check_text(r, checks) for _, r in page.iterrows()]})
            lines += [_table(shown[columns]), ""]
    missing = board[board.claim.isna()]
    if not missing.empty:
        lines += ["## Pages not yet run at this profile", "",
                  *[f"- {{doc}}`{r.title} <../{r.path.as_posix()}>`" for r in missing.itertuples()],
                  ""]
    return "\n".join(lines)


def _check_text(row, checks):
    status = row["held"]
    if row["verdict"] == "not assessed":
        return "—"
    if not isinstance(status, str):
        return "not checked"
    if status == "held":
        return "held"
    return "changed: " + ", ".join(f"{row[c]} at {c.removeprefix('verdict at ')}" for c in checks
                                   if isinstance(row[c], str) and row[c] != row["verdict"])


def _table(frame):
    """A Markdown pipe table (MyST renders it) with `|` escaped in the cells."""
    cells = frame.astype(str).map(lambda text: text.replace("|", "\\|"))
    header = "| " + " | ".join(map(str, frame.columns)) + " |"
    rule = "|" + "---|" * len(frame.columns)
    return "\n".join([header, rule] + ["| " + " | ".join(row) + " |" for row in cells.values])


def write_page(book_dir, build_root, profile, seed=0, root=ROOT):
    """Write `scoreboard.md` and `scoreboard.png` into `book_dir`; returns the board."""
    board = gather(build_root, profile, seed, root)
    book_dir = Path(book_dir)
    book_dir.mkdir(parents=True, exist_ok=True)
    draw(board, profile, book_dir / "scoreboard.png")
    (book_dir / "scoreboard.md").write_text(markdown(board, profile, seed))
    return board
