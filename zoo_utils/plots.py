"""One plotting style for the whole book."""

import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns
from matplotlib.ticker import MaxNLocator

from . import timing

PALETTE = sns.color_palette("colorblind")


def set_style():
    """The book's look: seaborn's whitegrid, readable fonts, crisp inline figures (whose
    rendering `zoo_utils.timing` charges to plotting)."""
    timing.time_figures()
    sns.set_theme(style="whitegrid", context="notebook", palette=PALETTE)
    plt.rcParams.update({"figure.dpi": 110, "savefig.dpi": 150, "figure.figsize": (7, 4),
                         "axes.titlesize": "medium", "legend.frameon": False})


def error_curves(ax, curves, column="train_error", linestyle="-", label_prefix="", color=None):
    """Draw error (in %) against epoch for a {label: [history, ...]} dict: mean line, min-max band."""
    for i, (label, histories) in enumerate(curves.items()):
        stacked = np.stack([h[column].to_numpy() for h in histories]) * 100
        epochs = histories[0].index.to_numpy()
        c = color or PALETTE[i % len(PALETTE)]
        ax.plot(epochs, stacked.mean(0), linestyle, color=c, label=f"{label_prefix}{label}")
        if len(histories) > 1:
            ax.fill_between(epochs, stacked.min(0), stacked.max(0), color=c, alpha=0.15, lw=0)
    ax.set_xlabel("epoch")
    ax.set_ylabel("error (%)")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    return ax


def show_image(ax, image):
    """Draw one (C, H, W) image in [0, 1] on `ax`: in colour, or in grey when C = 1; no ticks."""
    img = image.detach().cpu().clamp(0, 1).permute(1, 2, 0).numpy()
    grey = img.shape[-1] == 1
    ax.imshow(img[..., 0] if grey else img, cmap="gray" if grey else None, vmin=0, vmax=1)
    ax.set_xticks([]), ax.set_yticks([])


def image_grid(images, titles=None, ncols=8, size=1.2):
    """Show (N, C, H, W) images in [0, 1] on a grid; returns the figure."""
    n = len(images)
    nrows = (n + ncols - 1) // ncols
    fig, axes = plt.subplots(nrows, ncols, figsize=(ncols * size, nrows * size), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < n:
            show_image(ax, images[i])
            if titles is not None:
                ax.set_title(titles[i], fontsize=8)
    fig.tight_layout()
    return fig


def seed_strip(ax, groups, ylabel=""):
    """One column per {name: per-seed values}: each seed a dot, the mean a bar, ± one sd."""
    for i, (name, values) in enumerate(groups.items()):
        values = np.asarray(values, dtype=float)
        color = PALETTE[i % len(PALETTE)]
        ax.scatter(np.full(len(values), i), values, color=color, alpha=0.6)
        ax.errorbar(i, values.mean(), yerr=values.std(ddof=1) if len(values) > 1 else 0, fmt="_",
                    markersize=24, capsize=4, color=color)
    ax.set_xticks(range(len(groups)), list(groups))
    ax.set_ylabel(ylabel)
    return ax
