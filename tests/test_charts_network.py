"""The feature-map and filter mosaics (cnnviz.charts.network), checked without a browser."""

import numpy as np
import pytest

from cnnviz.charts import network as network_charts


def test_feature_maps_tile_every_channel_on_one_scale():
    maps = np.arange(2 * 3 * 5, dtype=float).reshape(2, 3, 5)  # (H=2, W=3, C=5)
    figure = network_charts.feature_maps(maps, "C1", columns=2)
    heatmap = figure.data[0]
    mosaic, numbers = np.array(heatmap.z, dtype=float), np.array(heatmap.customdata, dtype=float)
    # 5 maps in rows of 2 → 3 rows of 2-pixel maps with 1-pixel gaps: 3·3 − 1 by 2·4 − 1.
    assert mosaic.shape == (8, 7)
    np.testing.assert_array_equal(mosaic[0:2, 0:3], maps[:, :, 0])
    np.testing.assert_array_equal(mosaic[3:5, 4:7], maps[:, :, 3])
    assert np.isnan(mosaic[2]).all() and np.isnan(mosaic[:, 3]).all()  # the gaps
    assert numbers[3, 4] == 3 and np.isnan(mosaic[6, 4])  # no sixth map: a gap, no hover
    assert numbers.max() == 4 and heatmap.hoverongaps is False
    assert (heatmap.zmin, heatmap.zmax) == (0.0, 29.0)
    assert figure.layout.title.text == "C1 (2 × 3 × 5)"
    with pytest.raises(ValueError, match=r"\(H, W, C\)"):
        network_charts.feature_maps(np.ones((4, 4)))


def test_feature_maps_of_a_constant_layer_still_draw():
    figure = network_charts.feature_maps(np.zeros((2, 2, 3)))
    assert figure.data[0].zmax > figure.data[0].zmin


def test_filter_grid_is_symmetric_about_zero():
    kernels = np.array([[[1.0, -3.0]], [[0.5, 2.0]]])  # (2 filters, 1, 2)
    figure = network_charts.filter_grid(kernels, "C1")
    heatmap = figure.data[0]
    assert (heatmap.zmin, heatmap.zmax) == (-3.0, 3.0)
    assert figure.layout.title.text == "C1 (2 filters of 1 × 2)"
    np.testing.assert_array_equal(np.array(heatmap.z, dtype=float), [[1.0, -3.0, np.nan, 0.5, 2.0]])


@pytest.mark.parametrize(
    ("values", "expected"),
    [([-0.4, 0.9], (-0.9, 0.9)), ([-1.0, 0.2], (-1.0, 1.0)), ([0.0, 4.0], (0.0, 4.0))],
)
def test_zero_keeps_its_grey_and_the_legend_says_which(values, expected):
    maps = np.array(values, dtype=float).reshape(1, 2, 1)
    figure = network_charts.feature_maps(maps)
    heatmap = figure.data[0]
    assert (heatmap.zmin, heatmap.zmax) == expected
    assert heatmap.showscale  # the colour bar shows the scale
    legend = network_charts.feature_map_legend(maps)
    if expected[0] < 0:
        # 0 sits exactly half-way: mid-grey.
        assert (0 - heatmap.zmin) / (heatmap.zmax - heatmap.zmin) == 0.5
        assert legend.startswith("Mid-grey is 0") and f"+{expected[1]:.2g}" in legend
    else:
        assert heatmap.zmin == 0 and legend.startswith("Black is 0")
        assert f"white is {expected[1]:.2g}" in legend


def test_snapshot_mosaics_keep_one_colour_range_when_asked():
    kernels = np.array([[[0.1, -0.2], [0.0, 0.05]]])
    assert network_charts.filter_grid(kernels).data[0].zmax == pytest.approx(0.2)
    assert network_charts.filter_grid(kernels, limit=0.8).data[0].zmin == pytest.approx(-0.8)
    maps = np.arange(8.0).reshape(2, 2, 2)
    figure = network_charts.feature_maps(maps, value_range=(-1.0, 20.0))
    assert (figure.data[0].zmin, figure.data[0].zmax) == (-1.0, 20.0)
