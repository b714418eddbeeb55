"""What the pages' AppTest tests share: the app's script, how long a first run may take, a page
opened as a student opens it, readers of what a run rendered (chart titles, element texts), and
an upload's bytes."""

from __future__ import annotations

import io
import json
from collections.abc import Iterable
from typing import Any

import numpy as np
from PIL import Image
from streamlit.testing.v1 import AppTest

from cnnviz import PROJECT_ROOT

# A str, not a Path: tests also write it into fresh-interpreter scripts with {APP!r}.
APP = str(PROJECT_ROOT / "app.py")
# A page's first run imports plotly and reads its sample photo.
PAGE_TIMEOUT_S = 60
# A first run that imports TensorFlow: the training page builds three models for its layer
# tables, the draw page loads the shipped models.
TENSORFLOW_TIMEOUT_S = 120


def run_script(script: str, timeout_s: float = PAGE_TIMEOUT_S) -> AppTest:
    """``script`` (a page's file, run on its own) after its first run, which raised nothing."""
    app = AppTest.from_file(script, default_timeout=timeout_s)
    app.run()
    assert not app.exception, app.exception
    return app


def open_page(page: str, timeout_s: float = TENSORFLOW_TIMEOUT_S) -> AppTest:
    """The app opened on ``page`` ("pages/draw.py") as from its navigation link: app.py's first
    run (the default page), then the switch; neither raised."""
    app = AppTest.from_file(APP, default_timeout=timeout_s)
    app.run()
    app.switch_page(page).run()
    assert not app.exception, [error.value for error in app.exception]
    return app


def chart_titles(app: AppTest) -> list[str]:
    """The title of every Plotly chart the run drew, and of each of its panels, as sent to the
    browser (the lines of a title wrapped to fit a phone joined by spaces)."""
    titles = []
    for chart in app.get("plotly_chart"):
        layout = json.loads(chart.proto.spec).get("layout", {})
        title = layout.get("title", {})
        titles.append(title.get("text", "") if isinstance(title, dict) else str(title))
        titles += [annotation.get("text", "") for annotation in layout.get("annotations", [])]
    # Long titles wrap onto a second line for phones (cnnviz.charts.base): read them as one.
    return [title.replace("<br>", " ") for title in titles]


def texts(elements: Iterable[Any]) -> list[str]:
    """The text of each element: ``texts(app.markdown)``, ``texts(app.warning)``, ..."""
    return [element.value for element in elements]


def markdown_texts(app: AppTest) -> list[str]:
    """The text of each markdown element the run wrote."""
    return texts(app.markdown)


def png_bytes(pixels: np.ndarray) -> bytes:
    """``pixels`` (rows, cols) or (rows, cols, channels), uint8, as the bytes of a PNG file: an
    upload as a browser sends it."""
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "PNG")
    return buffer.getvalue()
