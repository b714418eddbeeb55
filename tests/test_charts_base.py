"""The shared drawing base (cnnviz.charts.base), checked on small hand-worked arrays."""

import numpy as np
import pytest

from cnnviz.charts import base


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


def test_image_row_titles_show_real_shapes_and_big_images_are_drawn_smaller():
    big = np.random.default_rng(0).random((512, 400)).astype(np.float32)
    figure = base.image_row({"Max": big, "Min": big[:10, :10]})
    titles = [annotation.text for annotation in figure.layout.annotations]
    assert titles == ["Max (512 × 400)", "Min (10 × 10)"]
    assert np.asarray(figure.data[0].z).shape == (256, 200)
    assert np.asarray(figure.data[1].z).shape == (10, 10)
    np.testing.assert_allclose(np.asarray(figure.data[0].z).mean(), big.mean(), atol=1e-4)
    full = base.image_row({"Max": big}, max_display_side=None)
    assert np.asarray(full.data[0].z).shape == (512, 400)


def test_image_row_same_scale_centres_smaller_images_in_one_frame():
    figure = base.image_row(
        {"valid": np.zeros((2, 2)), "full": np.zeros((6, 6))}, same_scale=True, zmin=0, zmax=1
    )
    assert (figure.data[0].x0, figure.data[0].y0) == (2.0, 2.0)
    assert tuple(figure.layout.xaxis.range) == (-0.5, 5.5)
    assert tuple(figure.layout.yaxis2.range) == (5.5, -0.5)


def test_image_row_rejects_bad_input():
    with pytest.raises(ValueError, match="at least one"):
        base.image_row({})
    with pytest.raises(ValueError, match="2-D"):
        base.image_row({"rgb": np.zeros((2, 2, 3))})
