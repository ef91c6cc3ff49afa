import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.collections import PathCollection

from zoo_utils.plots import image_grid, seed_strip, show_image


def test_show_image_draws_grey_images_in_grey_and_colour_images_in_colour():
    fig, (grey_ax, colour_ax) = plt.subplots(1, 2)
    grey = torch.rand(1, 5, 7)
    show_image(grey_ax, grey)
    drawn = grey_ax.images[0]
    assert drawn.get_array().shape == (5, 7) and drawn.get_cmap().name == "gray"
    np.testing.assert_allclose(drawn.get_array(), grey[0].numpy(), rtol=1e-6)
    colour = torch.rand(3, 5, 7) * 2 - 0.5                       # out of range: clamped
    show_image(colour_ax, colour)
    np.testing.assert_allclose(colour_ax.images[0].get_array(),
                               colour.clamp(0, 1).permute(1, 2, 0).numpy(), rtol=1e-6)
    plt.close(fig)


def test_image_grid_has_one_axis_per_image_slot_and_draws_each_image():
    fig = image_grid(torch.rand(5, 1, 4, 4), titles=list("abcde"), ncols=3)
    drawn = [ax for ax in fig.axes if ax.images]
    assert len(fig.axes) == 6 and len(drawn) == 5
    assert [ax.get_title() for ax in drawn] == list("abcde")
    plt.close(fig)


def test_seed_strip_draws_every_value_at_its_group():
    fig, ax = plt.subplots()
    seed_strip(ax, {"a": [1.0, 2.0, 3.0], "b": [5.0, 7.0]}, ylabel="gain")
    dots = [c.get_offsets() for c in ax.collections if isinstance(c, PathCollection)]
    assert [d[:, 0].tolist() for d in dots] == [[0, 0, 0], [1, 1]]
    assert [d[:, 1].tolist() for d in dots] == [[1.0, 2.0, 3.0], [5.0, 7.0]]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b"]
    assert ax.get_ylabel() == "gain"
    plt.close(fig)
