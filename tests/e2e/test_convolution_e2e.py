"""The Convolution page in Chromium: type a new kernel weight into the data editor and see the
output change; choose the grid of numbers, dilate, see the formula and the dilated window drawn
(the screenshot shows the taps with their gaps).

The weight grid is Streamlit's data editor (Glide Data Grid), drawn on a canvas: there are no cell
elements to click. It is driven as Streamlit's own e2e tests drive it
(``e2e_playwright/st_dataframe_interactions_test.py``, ``test_number_cell_editing``): double-click
the cell's position, which opens the cell editor (an ``input.gdg-input`` in the page's portal),
wait for it, fill it, press Enter. (An earlier version typed right after the double-click,
without waiting for that input, and its keystrokes went nowhere.)
"""

from __future__ import annotations

import numpy as np
import pytest

from bench.support.harness import (
    APP_ROOT_SELECTOR,
    exception_texts,
    playwright_expect,
    rerun_after,
    save_screenshot,
    wait_for_app_idle,
    wait_for_rendered,
)
from cnnviz import convolution, ops

pytestmark = pytest.mark.e2e
expect = playwright_expect()

# The first visit of a fresh server draws the 512 × 512 photo and the colour channels; on the
# shared 2-core machine that took longer than the harness' 30 s default.
FIRST_LOAD_TIMEOUT_MS = 120_000
# Streamlit's data editor draws every row, the header row included, 35 pixels high
# (useTableSizer in Streamlit's DataFrame component; Streamlit's e2e helpers use the same figure).
ROW_HEIGHT_PX = 35
# The editor is as wide as its content, so its last column ends at its right edge; the column
# of a one-digit weight is wider than this.
LAST_COLUMN_INSET_PX = 20


def open_convolution_page(page, app_url) -> None:
    page.goto(app_url.rstrip("/") + "/convolution", wait_until="domcontentloaded")
    page.wait_for_selector(APP_ROOT_SELECTOR, state="attached", timeout=FIRST_LOAD_TIMEOUT_MS)
    wait_for_app_idle(page, timeout_ms=FIRST_LOAD_TIMEOUT_MS)
    wait_for_rendered(page, timeout_ms=FIRST_LOAD_TIMEOUT_MS)


def output_picture(page) -> str:
    """The data URI of the output picture (the page's second chart: input, then output)."""
    chart = page.locator("[data-testid='stPlotlyChart']").nth(1)
    return chart.locator("image").first.get_attribute("href")


def open_cell_editor(editor, row: int):
    """Double-click the last column's cell in data row `row` and return the cell editor's input."""
    box = editor.bounding_box()
    editor.dblclick(
        position={"x": box["width"] - LAST_COLUMN_INSET_PX, "y": ROW_HEIGHT_PX * (row + 1.5)}
    )
    cell_input = editor.page.get_by_test_id("portal").locator("input.gdg-input")
    expect(cell_input).to_be_visible()
    return cell_input


def test_typing_a_kernel_weight_changes_the_output(page, app_url, console_errors):
    open_convolution_page(page, app_url)
    expect(page.get_by_text("The weights sum to 0").first).to_be_visible()
    before = output_picture(page)
    # The default Sobel x kernel, [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]: make its top-right 5.
    editor = page.get_by_test_id("stDataFrame").first
    editor.scroll_into_view_if_needed()
    cell_input = open_cell_editor(editor, row=0)
    expect(cell_input).to_have_value("1")  # the editor opened on the top-right weight

    def type_weight() -> None:
        cell_input.fill("5")
        page.keyboard.press("Enter")

    rerun_after(page, type_weight, timeout_ms=FIRST_LOAD_TIMEOUT_MS)
    wait_for_rendered(page, timeout_ms=FIRST_LOAD_TIMEOUT_MS)
    # The weights now sum to 4: the sentence follows, the output picture is a new one, and the
    # step-through's arithmetic of output cell (0, 0) uses the new weight.
    expect(page.get_by_text("The weights sum to 4").first).to_be_visible()
    assert output_picture(page) != before
    edited = np.array([[-1.0, 0.0, 5.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]])
    step = ops.conv_step(convolution.number_grid(), edited, 0, 0)
    products = convolution.step_arithmetic(step)
    expect(page.get_by_test_id("stCode").first).to_contain_text(products)
    assert exception_texts(page) == []
    assert console_errors == []
    editor.scroll_into_view_if_needed()
    save_screenshot(page, "convolution-edited-weight")
    page.locator("[data-testid='stPlotlyChart']").nth(1).scroll_into_view_if_needed()
    save_screenshot(page, "convolution-edited-output")


def test_the_step_through_draws_a_dilated_window(page, app_url, console_errors):
    open_convolution_page(page, app_url)
    select = page.get_by_test_id("stSelectbox").first
    select.click()
    rerun_after(page, lambda: page.get_by_role("option", name="Grid of numbers").click())
    slider = page.get_by_role("slider", name="Dilation d (d − 1 cells between weights)")

    def press() -> None:
        slider.focus()
        slider.press("ArrowRight")

    rerun_after(page, press)
    wait_for_rendered(page)
    expect(page.get_by_text("with the dilated kernel 2·(3 − 1) + 1 = 5").first).to_be_visible()
    assert exception_texts(page) == []
    assert console_errors == []
    page.get_by_text("Step through, one output cell at a time").scroll_into_view_if_needed()
    save_screenshot(page, "convolution-step-dilated")
