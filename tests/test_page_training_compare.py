"""AppTest of the training page's comparison and filter snapshots, without training a model.

The shipped models are the runs every class has; a run of this session is put in the session
as the page itself keeps one (``finished_runs``), so nothing trains here.
"""

from __future__ import annotations

import numpy as np
import pytest
import streamlit as st

from cnnviz import comparison, data
from cnnviz.training import EpochRecord, load_shipped_history
from cnnviz.training.snapshots import MAX_SNAPSHOTS
from tests.apptest_helpers import open_page

PAGE = "pages/training.py"


@pytest.fixture
def app():
    st.cache_resource.clear()
    app = open_page(PAGE, timeout_s=180)
    yield app
    st.cache_resource.clear()


def comparison_table(app):
    return next(frame.value for frame in app.dataframe if "Measure" in frame.value.columns)


def compare_toggle(app):
    return app.toggle(key="compare_show")


def test_the_comparison_stays_folded_until_asked(app):
    assert not compare_toggle(app).value
    assert not [chart for chart in app.get("plotly_chart") if "compare" in chart.proto.id]


def test_the_two_shipped_models_compare_by_default(app):
    compare_toggle(app).set_value(True).run()
    assert not app.exception, [error.value for error in app.exception]
    table = comparison_table(app)
    assert list(table.columns) == [
        "Measure",
        "LeNet-5 (8 epochs, augmented), shipped",  # its history: not the seed's recipe
        "AlexNet (MNIST), shipped",
    ]
    assert table.iloc[0].tolist()[1:] == ["82,826", "2,126,186"]
    sentence = next(text.value for text in app.markdown if "the parameters of" in text.value)
    assert sentence.startswith("AlexNet (MNIST), shipped has 25.7× the parameters of LeNet-5")
    assert any("Test digits they answer differently" in text.value for text in app.markdown)
    charts = [chart.proto.id for chart in app.get("plotly_chart")]
    assert any("compare_curves" in chart for chart in charts)
    assert any("compare_gallery" in chart for chart in charts)


def test_a_run_of_this_session_compares_with_a_shipped_model(app):
    rng = np.random.default_rng(0)
    # One row per test digit the page reads: 10,000, or 1,000 with the tests' MNIST sample.
    test_digits = len(data.load_mnist(allow_download=False).y_test)
    probabilities = rng.dirichlet(np.ones(10), size=test_digits).astype(np.float32)
    # Epochs of 12 s and 10 s, of which 9 s and 7 s trained 6,000 and 6,000 images (the first
    # epoch without its tracing group: 5,000): 11,000 images in 16 s of training time.
    epochs = (
        EpochRecord(1, 0.5, 0.85, 0.3, 0.9, 12.0, train_seconds=9.0, train_images=5_000),
        EpochRecord(2, 0.3, 0.9, 0.25, 0.92, 10.0, train_seconds=7.0, train_images=6_000),
    )
    run = comparison.RunSummary("LeNet-5 (relu)", 82_826, epochs, 6_000, 0.92, probabilities)
    app.session_state["finished_runs"] = {run.label: (1, run)}
    compare_toggle(app).set_value(True).run()
    assert not app.exception, [error.value for error in app.exception]
    assert app.selectbox(key="compare_first").value == "LeNet-5 (relu)"
    table = comparison_table(app)
    assert table["LeNet-5 (relu)"].tolist() == ["82,826", "11.0 s", "688", "92.00%"]
    app.selectbox(key="compare_second").set_value("shipped:alexnet").run()
    assert not app.exception, [error.value for error in app.exception]
    assert "AlexNet (MNIST), shipped" in comparison_table(app).columns
    app.selectbox(key="compare_second").set_value("LeNet-5 (relu)").run()
    assert any("Pick two different runs" in info.value for info in app.info)


def test_the_replay_scrubs_through_the_shipped_snapshots(app):
    # The shipped models were trained with snapshots on: each replay scrubs through its own.
    sliders = {slider.key: slider for slider in app.select_slider}
    for name in ("lenet", "alexnet"):
        saved = load_shipped_history(name)["filter_snapshots"]
        assert 2 <= len(saved) <= MAX_SNAPSHOTS, name
        slider = sliders[f"scrub_replay_{name}"]
        assert slider.value == len(saved) - 1  # the end of the run first
        assert slider.options == [f"batch {item['step']:,}" for item in saved]
    sliders["scrub_replay_lenet"].set_value(0).run()
    assert not app.exception, [error.value for error in app.exception]
    assert any("after 0 batches" in caption.value for caption in app.caption)
