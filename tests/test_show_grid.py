"""show_grid: the Figure it returns, labels, size, drawing into an Axes, and showing once in a notebook."""

import json
import subprocess
import sys
import textwrap

import matplotlib
import pytest
import torch

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from latentlab.images import GridFigure, make_grid, show_grid  # noqa: E402


@pytest.fixture(autouse=True)
def no_open_figures():
    plt.close("all")
    yield
    plt.close("all")


def test_returns_a_figure_with_the_clamped_grid_and_per_image_labels():
    images = torch.rand(5, 3, 8, 8) * 1.5
    fig = show_grid(images, nrow=4, title="five", labels=list("abcde"))
    assert isinstance(fig, Figure) and isinstance(fig, GridFigure)
    assert plt.get_fignums() == [fig.number]  # one pyplot figure: the inline backend shows it at the end of the cell
    ax = fig.axes[0]
    assert ax.get_title() == "five" and [t.get_text() for t in ax.texts] == list("abcde")
    shown = ax.images[0].get_array()
    assert shown.max() <= 1.0 and tuple(shown.shape) == (2 * 10 + 2, 4 * 10 + 2, 3)
    assert torch.allclose(torch.from_numpy(shown.data).permute(2, 0, 1), make_grid(images, nrow=4).clamp(0, 1))
    assert ax.images[0].get_interpolation() == "nearest"
    assert show_grid(torch.rand(3, 8, 8)).axes[0].images[0].get_array().shape == (8, 8, 3)  # one image


def test_row_and_column_labels_are_tick_labels_at_the_image_centres():
    fig = show_grid(torch.rand(6, 3, 16, 16), nrow=3, row_labels=["first", "second"], col_labels=["a", "b", "c"])
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["first", "second"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b", "c"]
    assert list(ax.get_xticks()) == [2 + 7.5, 20 + 7.5, 38 + 7.5] and list(ax.get_yticks()) == [9.5, 27.5]
    first = ax.xaxis.get_major_ticks()[0]
    assert first.label2.get_visible() and not first.label1.get_visible()  # column labels above the grid
    plain = show_grid(torch.rand(6, 3, 16, 16), nrow=3).axes[0]
    assert plain.get_xticklabels() == [] and plain.get_yticklabels() == []


@pytest.mark.parametrize("size, scale", [(64, 3.0), (8, 3.0), (32, 1.0), (16, 0.5)])
def test_each_image_is_shown_at_least_scale_times_its_pixel_size(size, scale):
    fig = show_grid(torch.rand(5, 3, size, size), nrow=4, scale=scale, title="t", row_labels=["r1", "r2"],
                    col_labels=list("wxyz"))
    grid_h, grid_w = 2 * (size + 2) + 2, 4 * (size + 2) + 2
    width_px, height_px = fig.get_size_inches() * fig.dpi
    assert width_px >= scale * grid_w and height_px >= scale * grid_h
    box = fig.axes[0].get_window_extent()
    assert box.width == pytest.approx(scale * grid_w) and box.height == pytest.approx(scale * grid_h)
    if size == 64 and scale == 3.0:
        assert box.width / 4 >= 192  # a 64 px image at 192 px


def test_draws_into_a_given_axes_without_a_new_figure():
    outer, (left, right) = plt.subplots(1, 2)
    before = plt.get_fignums()
    fig = show_grid(torch.rand(4, 3, 8, 8), nrow=2, ax=right, title="given", row_labels=["x", "y"], labels=list("abcd"))
    assert fig is outer and plt.get_fignums() == before
    assert right.get_title() == "given" and len(right.images) == 1 and not left.images
    assert [t.get_text() for t in right.get_yticklabels()] == ["x", "y"]
    assert [t.get_text() for t in right.texts] == list("abcd")


@pytest.mark.parametrize("kwargs, match", [
    ({"labels": ["a", "b"]}, "2 labels for 5 images"),
    ({"row_labels": ["a"]}, "1 row_labels for 2 rows"),
    ({"col_labels": list("abcde")}, "5 col_labels for 4 columns"),
    ({"labels": "abcde"}, "list of 5 strings"),
    ({"scale": 0}, "scale must be a positive number"),
    ({"scale": float("nan")}, "scale must be a positive number"),
    ({"nrow": 0}, "nrow .* got 0"),
])
def test_bad_arguments_fail_clearly(kwargs, match):
    with pytest.raises(ValueError, match=match):
        show_grid(torch.rand(5, 3, 8, 8), **{"nrow": 4, **kwargs})


NOTEBOOK = textwrap.dedent("""
    import json
    from IPython.core.interactiveshell import InteractiveShell

    class Shell(InteractiveShell):
        def enable_gui(self, gui=None):
            pass

    shell = Shell.instance()
    shell.run_line_magic("matplotlib", "inline")  # Jupyter's default backend, with its end-of-cell display
    published = []
    shell.display_pub.publish = lambda data, metadata=None, **kw: published.append(sorted(data))

    def cell(code):
        published.clear()
        shell.run_cell(code).raise_error()
        return list(published)

    cell("import torch\\nimport matplotlib.pyplot as plt\\nfrom latentlab.images import show_grid\\nx = torch.rand(4, 3, 8, 8)")
    print("\\nSHOWN", json.dumps({
        "last expression": cell("show_grid(x)"),
        "assigned": cell("fig = show_grid(x, title='kept')"),
        "shown again later": cell("fig"),
        "in a loop": cell("for _ in range(2):\\n    show_grid(x)"),
        "with a semicolon": cell("show_grid(x);"),
        "then plt.show": cell("show_grid(x)\\nplt.show()"),
    }))
""")


def test_a_notebook_shows_the_figure_once():
    run = subprocess.run([sys.executable, "-c", NOTEBOOK], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    shown = json.loads(run.stdout.rsplit("SHOWN", 1)[1])
    image = ["image/png", "text/plain"]
    assert shown == {"last expression": [image], "assigned": [image], "shown again later": [image],
                     "in a loop": [image, image], "with a semicolon": [image], "then plt.show": [image]}
