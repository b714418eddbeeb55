"""What a rerun sends to every student's browser stays light (issue 17: ≤ 300 KB).

The Pooling page's whole figure payload is measured headless (AppTest): every chart's spec as
Streamlit serialises it, as if all of them had changed (a new sample image). A stroke on the Draw
a digit page is measured from its charts, on the shapes the shipped networks produce. The bytes
of real reruns over Streamlit's protocol are measured by ``python -m bench.page_bytes``.
"""

import numpy as np
import plotly.io
import pytest
from streamlit.testing.v1 import AppTest

from bench.page_bytes import BUDGET_BYTES
from cnnviz import PROJECT_ROOT, charts
from cnnviz.charts import draw as draw_charts
from cnnviz.charts import network as network_charts
from tests.apptest_helpers import PAGE_TIMEOUT_S

PAGE = str(PROJECT_ROOT / "pages" / "pooling.py")

# The feature maps a stroke shows for each shipped network (the seed recipes' output shapes of
# every convolution and pooling layer, in the page's order).
LENET5_MAPS = [(32, 32, 6), (16, 16, 6), (12, 12, 16), (6, 6, 16)]
ALEXNET_MAPS = [(14, 14, 48), (6, 6, 48), (6, 6, 128), (2, 2, 128), (2, 2, 192), (2, 2, 192)]
ALEXNET_MAPS += [(2, 2, 128), (1, 1, 128)]


def figure_bytes(app: AppTest) -> int:
    return sum(len(chart.proto.spec.encode()) for chart in app.get("plotly_chart"))


@pytest.mark.parametrize("sample", ["Photo: cat (Chelsea)", "Photo: camera man"])
def test_a_pooling_rerun_sends_its_figures_within_the_budget(sample):
    app = AppTest.from_file(PAGE, default_timeout=PAGE_TIMEOUT_S)
    app.run()
    app.selectbox(key="sample").set_value(sample).run()
    assert not app.exception, app.exception
    assert len(app.get("plotly_chart")) >= 6  # every section drew (no vacuous pass)
    assert figure_bytes(app) <= BUDGET_BYTES


@pytest.mark.parametrize("layers", [LENET5_MAPS, ALEXNET_MAPS], ids=["lenet5", "alexnet"])
def test_a_stroke_redraws_its_figures_within_the_budget(layers):
    rng = np.random.default_rng(0)
    ink = np.zeros((280, 280), dtype=np.float32)
    ink[60:220, 120:150] = 1.0  # a thick "1" on the canvas
    steps = {
        "Your ink": ink,
        "Cropped": ink[60:220, 120:150],
        "Fitted to 20 px": rng.random((20, 20)),
        "Centred": rng.random((28, 28)),
        "Model input": rng.random((32, 32)),
    }
    figures = [
        draw_charts.probability_bars(rng.dirichlet(np.ones(10))),
        charts.image_row(steps, zmin=0, zmax=1, height=260),
        *(network_charts.feature_maps(rng.random(shape), "layer") for shape in layers),
    ]
    payload = sum(len(plotly.io.to_json(figure, validate=False).encode()) for figure in figures)
    assert payload <= BUDGET_BYTES
