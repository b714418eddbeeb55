"""The shared drawing base (cnnviz.charts.base), checked on small hand-worked arrays."""

import base64
import io

import numpy as np
import pytest
from PIL import Image

from cnnviz import images
from cnnviz.charts import base, pictures


def test_cell_box_surrounds_whole_cells_in_image_coordinates():
    # Rows 1-2 and columns 2-4 of a heatmap: cell (r, c) spans c ± 0.5 and r ± 0.5, so the box
    # runs from column 2 − 0.5 to column 4 + 0.5 and from row 1 − 0.5 to row 2 + 0.5.
    box = base.cell_box((1, 3), (2, 5), axes=("x2", "y2"), line={"color": "red", "width": 4})
    assert box == {
        "type": "rect",
        "xref": "x2",
        "yref": "y2",
        "x0": 1.5,
        "x1": 4.5,
        "y0": 0.5,
        "y1": 2.5,
        "line": {"color": "red", "width": 4},
    }
    washed = base.cell_box((0, 1), (0, 1), fillcolor="orange")
    assert (washed["x0"], washed["x1"], washed["y0"], washed["y1"]) == (-0.5, 0.5, -0.5, 0.5)
    assert washed["fillcolor"] == "orange" and washed["line"] == {"width": 0}
    assert (washed["xref"], washed["yref"]) == ("x", "y")
    with pytest.raises(ValueError, match="start <= stop"):
        base.cell_box((3, 1), (0, 1))


def test_heatmap_puts_row_zero_on_top_and_the_shape_in_the_title():
    figure = base.heatmap(np.arange(6.0).reshape(2, 3), "Input", zmin=0, zmax=5)
    assert figure.layout.title.text == "Input (2 × 3)"
    assert figure.layout.yaxis.autorange == "reversed" and figure.layout.yaxis.scaleanchor == "x"
    np.testing.assert_array_equal(np.asarray(figure.data[0].z), np.arange(6.0).reshape(2, 3))
    with pytest.raises(ValueError, match="2-D"):
        base.heatmap(np.zeros(4))


def picture_pixels(source: str) -> np.ndarray:
    """The pixels of a picture trace's data URI, decoded independently of cnnviz."""
    header, data = source.split(",", 1)
    assert header.startswith("data:image/") and header.endswith(";base64")
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(data))))


def test_picture_colours_values_as_plotly_colours_the_scale():
    # Values on exact steps of the 256-step scale: 0, 51 and 255 of [0, 255] are 0, 0.2 and 1,
    # where plotly's RdBu reads rgb(103,0,31), rgb(214,96,77) and rgb(5,48,97).
    source = pictures.picture_source(
        np.array([[0.0, 51.0, 255.0]]), zmin=0, zmax=255, colorscale="RdBu"
    )
    assert source.startswith("data:image/png;base64,")
    np.testing.assert_array_equal(
        picture_pixels(source), [[[103, 0, 31], [214, 96, 77], [5, 48, 97]]]
    )
    # plotly's grey runs from rgb(0,0,0) to rgb(254,254,253): one grey channel; NaN is clear.
    grey = picture_pixels(pictures.picture_source(np.array([[0.0, 1.0, np.nan]]), zmin=0, zmax=1))
    np.testing.assert_array_equal(grey, [[[0, 255], [254, 255], [0, 0]]])  # (grey, alpha)


def test_a_photograph_becomes_a_jpeg_close_to_its_values():
    photo = images.load_sample("Photo: cat (Chelsea)")
    source = pictures.picture_source(photo, zmin=0, zmax=1)
    assert source.startswith("data:image/jpeg;base64,")
    lookup = pictures._colour_lookup(pictures.IMAGE_COLORSCALE)  # the grey level of each step
    expected = lookup[np.round(np.clip(photo, 0, 1) * 255).astype(int)]
    # On average within 2 of 255 grey levels of the exact colours (1.4 when measured).
    assert np.abs(picture_pixels(source).astype(float) - expected).mean() < 2.0
    lossless = io.BytesIO()
    Image.fromarray(expected.round().astype(np.uint8)).save(lossless, "PNG")
    assert len(base64.b64decode(source.split(",", 1)[1])) < len(lossless.getvalue()) / 2


def test_image_trace_sends_numbers_for_small_grids_and_pictures_for_big_images():
    small = base.image_trace(np.zeros((64, 64)))
    assert small.type == "heatmap" and np.asarray(small.z).shape == (64, 64)
    assert "%{z:.3f}" in small.hovertemplate
    big = base.image_trace(np.zeros((65, 64)), zmin=0, zmax=1, x0=2.0, dx=0.5)
    assert big.type == "image" and big.source.startswith("data:image/png")
    assert (big.x0, big.dx) == (2.0, 0.5)
    assert base.image_trace(np.zeros((65, 64)), as_numbers=True).type == "heatmap"


def test_heatmap_frames_the_image():
    figure = base.heatmap(np.ones((3, 5)), zmin=0, zmax=1)
    (frame,) = figure.layout.shapes
    assert (frame.x0, frame.x1, frame.y0, frame.y1) == (-0.5, 4.5, -0.5, 2.5)
    assert frame.line.color == base.FRAME_LINE["color"] and frame.fillcolor is None


def test_image_row_titles_show_real_shapes_and_big_images_are_drawn_smaller():
    big = np.random.default_rng(0).random((512, 400)).astype(np.float32)
    figure = base.image_row({"Max": big, "Min": big[:10, :10]})
    titles = [annotation.text for annotation in figure.layout.annotations]
    assert titles == ["Max (512 × 400)", "Min (10 × 10)"]
    picture, numbers = figure.data
    # The big one is a picture area-averaged to 256 × 200, placed in the real image's
    # coordinates: each shown pixel covers 2 × 2 cells, the first centred on (0.5, 0.5).
    assert picture.type == "image" and picture_pixels(picture.source).shape == (256, 200)
    assert (picture.dx, picture.dy, picture.x0, picture.y0) == (2.0, 2.0, 0.5, 0.5)
    assert numbers.type == "heatmap" and np.asarray(numbers.z).shape == (10, 10)
    full = base.image_row({"Max": big}, max_display_side=None)
    assert picture_pixels(full.data[0].source).shape == (512, 400)


def test_image_row_same_scale_centres_smaller_images_in_one_frame():
    figure = base.image_row(
        {"valid": np.zeros((2, 2)), "full": np.zeros((6, 6))}, same_scale=True, zmin=0, zmax=1
    )
    assert (figure.data[0].x0, figure.data[0].y0) == (2.0, 2.0)
    assert tuple(figure.layout.xaxis.range) == (-0.5, 5.5)
    assert tuple(figure.layout.yaxis2.range) == (5.5, -0.5)
    valid_frame, full_frame = figure.layout.shapes
    assert (valid_frame.x0, valid_frame.x1, valid_frame.xref) == (1.5, 3.5, "x")
    assert (full_frame.y0, full_frame.y1, full_frame.yref) == (-0.5, 5.5, "y2")


def test_image_row_numbers_the_rows_once_when_every_panel_has_as_many():
    maps = {name: np.zeros((170, 256)) for name in ("red", "green", "blue", "sum")}
    layout = base.image_row(maps).layout
    shown = [layout[f"yaxis{suffix}"].showticklabels for suffix in ("", "2", "3", "4")]
    assert shown == [None, False, False, False]  # the first panel's (plotly's default: shown)
    mixed = base.image_row({"input": np.zeros((8, 8)), "output": np.zeros((4, 4))}).layout
    assert mixed.yaxis.showticklabels is None and mixed.yaxis2.showticklabels is None


def test_image_row_leaves_the_numbers_off_a_strips_short_side():
    figure = base.image_row({"cropped": np.zeros((216, 20)), "wide": np.zeros((20, 216))})
    layout = figure.layout
    assert layout.xaxis.showticklabels is False and layout.yaxis.showticklabels is None
    assert layout.xaxis2.showticklabels is None and layout.yaxis2.showticklabels is False


def test_a_tiny_image_is_numbered_by_whole_cells_a_big_one_by_plotly():
    single = base.heatmap(np.ones((1, 1)), "Upload").layout
    assert (single.xaxis.tickmode, single.xaxis.tick0, single.xaxis.dtick) == ("linear", 0, 1)
    assert (single.yaxis.tickmode, single.yaxis.dtick) == ("linear", 1)
    row = base.image_row({"upload": np.ones((1, 3)), "photo": np.ones((28, 28))}).layout
    assert row.xaxis.dtick == 1 and row.yaxis.dtick == 1
    assert row.xaxis2.dtick is None and row.yaxis2.tickmode is None


def test_a_strip_is_drawn_at_least_a_quarter_as_high_as_it_is_long():
    layout = base.image_row({"strip": np.ones((3, 1000)), "digit": np.ones((28, 28))}).layout
    # plotly draws one y unit scaleratio times as long as one x unit.
    drawn_height, drawn_width = 3 * layout.yaxis.scaleratio, 1000
    assert drawn_height / drawn_width == pytest.approx(1 / base.STRIP_RATIO)
    assert layout.yaxis2.scaleratio == 1
    tall = base.image_row({"tall": np.ones((1000, 3))}).layout
    assert 1000 * tall.yaxis.scaleratio / 3 == pytest.approx(base.STRIP_RATIO)
    alone = base.heatmap(np.ones((3, 1000)), "Input: strip.png").layout
    assert 3 * alone.yaxis.scaleratio / 1000 == pytest.approx(1 / base.STRIP_RATIO)
    assert alone.yaxis.showticklabels is False and alone.xaxis.showticklabels is True


def test_image_row_rejects_bad_input():
    with pytest.raises(ValueError, match="at least one"):
        base.image_row({})
    with pytest.raises(ValueError, match="2-D"):
        base.image_row({"rgb": np.zeros((2, 2, 3))})


def test_a_long_image_title_wraps_for_a_phone_and_starts_below_the_toolbar():
    figure = base.heatmap(np.zeros((300, 451)), "Average pooling, 3×3, stride 1, valid")
    lines = figure.layout.title.text.split("<br>")
    assert lines == ["Average pooling, 3×3, stride 1, valid", "(300 × 451)"]
    assert all(len(line) * base.TITLE_CHAR_WIDTH <= base.PHONE_CHART_WIDTH for line in lines)
    # The title stands on the plot's top edge; above it the margin keeps the toolbar's band free.
    title = figure.layout.title
    assert (title.yref, title.y, title.yanchor) == ("paper", 1.0, "bottom")
    assert figure.layout.margin.t >= base.TOOLBAR_HEIGHT + 2 * base.TITLE_LINE_HEIGHT
    assert figure.layout.yaxis.constraintoward == "top"  # the image right under its title


def test_five_panel_titles_fit_side_by_side_on_a_phone():
    steps = {
        "Your ink": np.zeros((280, 280)),
        "Cropped": np.zeros((174, 130)),
        "Fitted to 20 px": np.zeros((20, 15)),
        "Centred": np.zeros((28, 28)),
        "Model input": np.zeros((32, 32)),
    }
    figure = base.image_row(steps, zmin=0, zmax=1)
    annotations = figure.layout.annotations
    assert annotations[2].text == "Fitted to<br>20 px<br>(20 × 15)"
    # Each line, about half a font size a character, stays within its panel and half the gaps
    # either side, on a phone's width: neighbouring titles never overlap.
    for index, annotation in enumerate(annotations):
        suffix = "" if index == 0 else str(index + 1)
        low, high = figure.layout[f"xaxis{suffix}"].domain
        room = (high - low + 0.04) * base.PHONE_CHART_WIDTH
        widest = max(len(line) for line in annotation.text.split("<br>"))
        assert widest * annotation.font.size / 2 <= room, annotation.text
    tallest = max(len(annotation.text.split("<br>")) for annotation in annotations)
    assert figure.layout.margin.t >= base.TOOLBAR_HEIGHT + tallest * annotations[0].font.size


def _plain_spec_builders() -> dict[str, object]:
    """Every chart builder in cnnviz.charts that skips plotly's validation (figure_from_spec)."""
    import importlib
    import inspect
    import pkgutil

    import cnnviz.charts

    found = {}
    for module_info in pkgutil.iter_modules(cnnviz.charts.__path__):
        module = importlib.import_module(f"cnnviz.charts.{module_info.name}")
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if function.__module__ != module.__name__ or name == "figure_from_spec":
                continue
            if "figure_from_spec(" in inspect.getsource(function):
                found[f"{module_info.name}.{name}"] = function
    return found


def _plain_spec_examples() -> dict[str, list]:
    """Calls of each plain-spec builder, covering the colour scales each can send."""
    from cnnviz import ops
    from cnnviz.charts import convolution as conv_charts
    from cnnviz.charts import draw as draw_charts

    grid = np.arange(16, dtype=float).reshape(4, 4)

    def step_through(weights: np.ndarray, cell: tuple[int, int], padding: str):
        output = ops.conv2d(grid, weights, padding=padding)
        step = ops.conv_step(grid, weights, *cell, 1, padding, 1)
        return conv_charts.step_through(grid, step, output, cell)

    return {
        "convolution.step_through": [
            # Signed kernel and signed output; non-negative kernel and output (grey output).
            step_through(np.array([[1.0, -1.0], [0.5, 0.0]]), (3, 3), "same"),
            step_through(np.full((3, 3), 1 / 9), (1, 0), "valid"),
        ],
        "draw.compared_probability_bars": [
            draw_charts.compared_probability_bars(
                {"LeNet-5": np.full(10, 0.1), "AlexNet": np.eye(10)[4]}, title="Both"
            )
        ],
        "draw.sweep_chart": [
            draw_charts.sweep_chart(
                [-1.0, 0.0, 1.0], {"LeNet-5": [0.2, 0.9, 0.3]}, axis="rotation", digit=3, current=0
            )
        ],
    }


def test_every_plain_spec_figure_reaches_the_browser_as_its_validated_figure_would():
    # Streamlit sends a Figure's own dict to plotly.js without validating it. Validation turns
    # names into what plotly.py means by them (its "RdBu" runs red to blue, plotly.js' own
    # "RdBu" blue to red; plotly.js has no "gray" at all): a spec built without it must already
    # hold what validation would send, colour scales spelt out as [[position, colour], ...].
    import json

    import plotly.graph_objects as go
    import plotly.io

    builders = _plain_spec_builders()
    examples = _plain_spec_examples()
    assert sorted(builders) == sorted(examples), "give every plain-spec builder an example"
    checked_scales = 0
    for name, figures in examples.items():
        for figure in figures:
            sent = json.loads(plotly.io.to_json(figure, validate=False))
            validated = json.loads(plotly.io.to_json(go.Figure(figure.to_dict()), validate=True))
            assert sent == validated, name
            for trace in sent["data"]:
                if "colorscale" in trace:
                    assert isinstance(trace["colorscale"], list), name
                    checked_scales += 1
    assert checked_scales == 6  # three panels in each of the two step-throughs


def test_the_signed_scale_runs_red_for_negative_to_blue_for_positive():
    # What every chart's legend says ("blue cells are positive, red ones negative").
    scale = pictures.explicit_colorscale(base.SIGNED_COLORSCALE)
    (low_red, _, low_blue), (high_red, _, high_blue) = (
        [int(part) for part in colour[4:-1].split(",")] for colour in (scale[0][1], scale[-1][1])
    )
    assert low_red > low_blue and high_blue > high_red
    grey = pictures.explicit_colorscale(base.IMAGE_COLORSCALE)
    assert grey[0][1].replace(" ", "") == "rgb(0,0,0)" and grey[0][0] == 0.0
