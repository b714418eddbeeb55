"""The receptive field in Chromium: draw a 1, click a unit on the layer's map, and the sliders,
the outline and the sentence follow the click.

Only a browser shows it: the unit is picked by a click on a Plotly chart, which Streamlit turns
into the chart's selection (``on_select``) and the page into the sliders' values.
"""

from __future__ import annotations

import re

import pytest

from bench.support.harness import (
    exception_texts,
    open_app_page,
    playwright_expect,
    rerun_after,
    save_screenshot,
    wait_for_rendered,
)
from tests.e2e.test_draw_e2e import CANVAS, prediction_value, stroke

pytestmark = pytest.mark.e2e
expect = playwright_expect()

WAIT_MS = 60_000
PICKER = "[data-testid='stPlotlyChart']:has-text('click a unit')"
# The map's cells as Plotly draws them: one picture from the first cell's edge to the last's.
MAP_PICTURE = ".heatmaplayer image"


def click_unit(page, row: int, col: int, rows: int, cols: int) -> None:
    """Click the middle of unit (row, col) on the unit picker's map."""
    area = page.locator(PICKER).locator(MAP_PICTURE).first.bounding_box()
    page.mouse.click(
        area["x"] + (col + 0.5) / cols * area["width"],
        area["y"] + (row + 0.5) / rows * area["height"],
    )


def slider_value(page, name: str) -> str:
    """The value a slider's thumb shows (Streamlit writes it above the thumb)."""
    thumb = page.get_by_role("slider", name=name)
    return thumb.evaluate(
        "(el) => el.getAttribute('aria-valuenow') ?? el.getAttribute('aria-valuetext')"
        " ?? el.textContent.trim()"
    )


def test_a_click_on_the_layer_map_picks_the_unit(page, app_url, console_errors):
    open_app_page(page, app_url, "/draw")
    page.locator(CANVAS).wait_for(state="visible")
    stroke(page, [(0.5, 0.15), (0.5, 0.85)])  # a 1: one vertical stroke
    assert prediction_value(page) == "1"
    picker = page.locator(PICKER)
    expect(picker).to_be_visible(timeout=WAIT_MS)
    picker.scroll_into_view_if_needed()
    wait_for_rendered(page, timeout_ms=WAIT_MS)
    # The first layer, C1 of the shipped LeNet-5; the sliders start on its middle unit.
    title = re.search(r"C1: click a unit \((\d+) × (\d+)\)", picker.inner_text())
    assert title is not None, picker.inner_text()
    rows, cols = int(title[1]), int(title[2])
    assert (slider_value(page, "Unit's row"), slider_value(page, "Unit's column")) == (
        str(rows // 2),
        str(cols // 2),
    )

    rerun_after(page, lambda: click_unit(page, 5, cols - 4, rows, cols), timeout_ms=WAIT_MS)
    wait_for_rendered(page, timeout_ms=WAIT_MS)
    assert (slider_value(page, "Unit's row"), slider_value(page, "Unit's column")) == (
        "5",
        str(cols - 4),
    )
    expect(page.get_by_text(f"Unit (5, {cols - 4}) of C1").first).to_be_visible()
    picker.scroll_into_view_if_needed()
    save_screenshot(page, "receptive-field-clicked-unit")
    assert exception_texts(page) == []
    assert console_errors == []
