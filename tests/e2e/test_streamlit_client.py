"""The load test's browser-less client (bench/support/streamlit_client.py) against the real app.

One protocol session opens the app, switches the Padding radio on Pooling & padding and sees the
output-size formula follow (valid ⌊…⌋ + 1 → same ⌈n / s⌉), then draws a "1" on Draw a digit and
reads a one-digit "Prediction" metric; a blank canvas shows none. No Chromium is needed: this only
checks that the client speaks the protocol as the frontend does, so the load test measures real
reruns and not requests the server ignored.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import streamlit
from packaging.specifiers import SpecifierSet

from bench.support.harness import run_coroutine
from bench.support.streamlit_client import (
    SUPPORTED_STREAMLIT,
    StreamlitClient,
    StreamlitClientError,
    canvas_drawing,
    stroke_fabric_json,
    stroke_png_data_url,
)
from cnnviz import site

pytestmark = pytest.mark.e2e

CANVAS = "streamlit_drawable_canvas"
TIMEOUT_S = 30.0


def formula_lines(client: StreamlitClient) -> list[str]:
    """The page's "Rows: …" and "Columns: …" output-size lines."""
    return [text for text in client.texts() if text.startswith(("Rows:", "Columns:"))]


async def pooling_then_draw(app_url: str) -> None:
    async with StreamlitClient(app_url, name="test", timeout_s=TIMEOUT_S) as client:
        # The router's pages by URL path: "" for the default page, else the script's name.
        assert set(client.pages) == {
            "" if entry.default else Path(entry.path).stem for entry in site.PAGES
        }

        opened = await client.open_page("Pooling & padding")
        assert opened.status == "success", opened
        assert client.page == "pooling"
        before = formula_lines(client)
        assert before and all("⌋ + 1 =" in line for line in before), before

        switched = await client.set_value("Padding", "same")
        assert switched.status == "success", switched
        after = formula_lines(client)
        assert after and all(re.search(r"⌈\d+ / \d+⌉ = \d+", line) for line in after), after
        assert client.elements("exception") == []

        opened = await client.open_page("Draw a digit")
        assert opened.status == "success", opened
        assert client.metric("Prediction") is None  # nothing drawn yet

        blank = {"raw": {"objects": [], "background": "#000000"}, "data": blank_png()}
        await client.set_component_state(CANVAS, "drawing", blank)
        assert client.metric("Prediction") is None  # a blank canvas predicts nothing

        drawn = await client.set_component_state(CANVAS, "drawing", canvas_drawing())
        assert drawn.status == "success", drawn
        prediction = client.metric("Prediction")
        assert prediction is not None and re.fullmatch(r"\d", prediction), prediction
        assert client.elements("exception") == []
        assert client.errors == []


def blank_png() -> str:
    """The canvas's PNG with nothing drawn: black, as the "White on black" ink's background."""
    import base64
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGBA", (280, 280), "#000000").save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def test_protocol_client_switches_padding_and_draws(app_url: str) -> None:
    run_coroutine(pooling_then_draw(app_url), timeout_s=4 * TIMEOUT_S)


def test_stroke_is_what_the_canvas_sends() -> None:
    """The drawn "1" is a vertical white stroke on black, in the canvas's JSON and PNG."""
    raw = stroke_fabric_json(x_fraction=0.5)
    assert raw["background"] == "#000000"
    assert [obj["type"] for obj in raw["objects"]] == ["Path"]
    assert stroke_png_data_url().startswith("data:image/png;base64,")


async def pooling_sections_rerun_alone(app_url: str) -> None:
    async with StreamlitClient(app_url, name="fragments", timeout_s=TIMEOUT_S) as client:
        await client.open_page("Pooling & padding")
        assert any(text.startswith("Output cell (0, 0): `max(") for text in client.texts())
        # The step-through's and the padding section's own controls rerun only their fragment.
        stepped = await client.set_value("Step", 2)
        assert stepped.status == "fragment success", stepped
        assert any(text.startswith("Output cell (0, 1)") for text in client.texts())
        bordered = await client.set_value("Show the zero border of", "full")
        assert bordered.status == "fragment success", bordered
        # The rest of the page is still there after those partial runs.
        assert formula_lines(client), client.texts()
        # A control at the top changes every section: a full run.
        resized = await client.set_value("Pool size (window k × k)", 3)
        assert resized.status == "success", resized
        assert any("⌊(300 − 3) / 2⌋ + 1" in line for line in formula_lines(client))
        assert client.elements("exception") == []
        assert client.errors == []


def test_the_step_through_and_padding_sections_rerun_on_their_own(app_url: str) -> None:
    run_coroutine(pooling_sections_rerun_alone(app_url), timeout_s=4 * TIMEOUT_S)


def test_the_client_runs_on_the_streamlit_it_was_checked_against() -> None:
    assert streamlit.__version__ in SpecifierSet(SUPPORTED_STREAMLIT)
    StreamlitClient("http://127.0.0.1:1")  # no connection is made before connect()


@pytest.mark.parametrize("version", ["1.66.1", "1.68.0", "2.0.0"])
def test_the_client_refuses_a_streamlit_it_was_not_checked_against(
    monkeypatch: pytest.MonkeyPatch, version: str
) -> None:
    monkeypatch.setattr(streamlit, "__version__", version)
    with pytest.raises(StreamlitClientError) as refusal:
        StreamlitClient("http://127.0.0.1:1")
    assert str(refusal.value) == (
        "bench/support/streamlit_client.py copies the frontend of Streamlit >=1.67,<1.68, and "
        f"this is Streamlit {version}: its protocol client may send what this release's server "
        "ignores. Run tests/e2e/test_streamlit_client.py against it, bring the client in line "
        "with the new frontend, then widen SUPPORTED_STREAMLIT."
    )
