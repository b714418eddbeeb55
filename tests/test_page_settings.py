"""Every page's settings survive a visit to another page (AppTest through the router).

Streamlit deletes a widget's key when a run does not draw it, so without cnnviz.site.keep_settings
each page came back with its defaults: the training form with LeNet-5, 60,000 images and the
recipe's epochs, which the next Start then trained.
"""

from __future__ import annotations

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from cnnviz import training
from tests.apptest_helpers import APP, TENSORFLOW_TIMEOUT_S


@pytest.fixture
def app() -> AppTest:
    st.cache_resource.clear()
    app = AppTest.from_file(APP, default_timeout=TENSORFLOW_TIMEOUT_S)
    app.run()
    yield app
    st.cache_resource.clear()


def away_and_back(app: AppTest, page: str) -> None:
    """Visit two other pages (Streamlit then deletes the page's widget keys), and come back."""
    app.switch_page("pages/home.py").run()
    other = "pages/draw.py" if page != "pages/draw.py" else "pages/pooling.py"
    app.switch_page(other).run()
    app.switch_page(page).run()
    assert not app.exception, app.exception


def test_the_training_form_keeps_its_settings(app, monkeypatch):
    started = []
    # The form's values count once Start is pressed (an st.form); the job itself is not run here.
    monkeypatch.setattr(training.TrainingJob, "start", lambda job: started.append(job.config))
    app.switch_page("pages/training.py").run()
    chosen = {"train_subset": 2048, "train_epochs": 2, "train_learning_rate": 0.01}
    app.radio(key="train_models").set_value("alexnet")
    for key, value in chosen.items():
        app.number_input(key=key).set_value(value)
    app.selectbox(key="train_batch_size").set_value(64)
    app.toggle(key="train_augment").set_value(True)
    next(button for button in app.button if button.label == "Start training").click().run()
    assert [(config.model, config.subset, config.epochs) for config in started] == [
        ("alexnet", 2048, 2)
    ]
    away_and_back(app, "pages/training.py")
    assert app.radio(key="train_models").value == "alexnet"
    for key, value in chosen.items():
        assert app.number_input(key=key).value == value, key
    assert app.selectbox(key="train_batch_size").value == 64
    assert app.toggle(key="train_augment").value is True
    app.session_state["training_jobs"].clear()  # the never-started job


def test_the_pooling_settings_are_kept(app):
    app.switch_page("pages/pooling.py").run()
    app.selectbox(key="sample").set_value("Pattern: checkerboard (1-pixel squares)")
    app.radio(key="mode").set_value("avg")
    app.slider(key="pool_size").set_value(3)
    app.radio(key="padding").set_value("same")
    app.selectbox(key="kernel").set_value("Box blur 5×5")
    app.run()
    app.slider(key="step").set_value(5).run()
    away_and_back(app, "pages/pooling.py")
    assert app.selectbox(key="sample").value == "Pattern: checkerboard (1-pixel squares)"
    assert app.radio(key="mode").value == "avg"
    assert app.slider(key="pool_size").value == 3
    assert app.radio(key="padding").value == "same"
    assert app.selectbox(key="kernel").value == "Box blur 5×5"
    assert app.slider(key="step").value == 5


def test_the_draw_settings_are_kept(app):
    app.switch_page("pages/draw.py").run()
    app.radio(key="draw_ink").set_value("Black on white")
    app.slider(key="draw_pen_width").set_value(31)
    models = app.selectbox(key="draw_model").options
    app.selectbox(key="draw_model").set_value(models[-1])
    app.run()
    away_and_back(app, "pages/draw.py")
    assert app.radio(key="draw_ink").value == "Black on white"
    assert app.slider(key="draw_pen_width").value == 31
    assert app.selectbox(key="draw_model").value == models[-1]


def test_a_kept_model_that_is_no_longer_offered_is_dropped():
    from cnnviz.site import KEPT_PREFIX, keep_settings

    state = {KEPT_PREFIX + "draw_model": "A model trained here (gone after Reset)"}
    keep_settings(state, ["draw_model"], allowed={"draw_model": ["LeNet-5 (shipped)"]})
    assert state == {}
