"""The Convolution page in Chromium: type a new weight into the kernel grid, see the output change.

Only a browser shows it: the weight grid is Streamlit's data editor, edited with the keyboard.
"""

from __future__ import annotations

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

pytestmark = pytest.mark.e2e
expect = playwright_expect()

ROW_HEIGHT = 35  # pixels of one row of Streamlit's data editor, the header row included
# The first visit of a fresh server draws the 512 × 512 photo and the colour channels; on the
# shared 2-core machine that took longer than the harness' 30 s default.
FIRST_LOAD_TIMEOUT_MS = 120_000


def open_convolution_page(page, app_url) -> None:
    page.goto(app_url.rstrip("/") + "/convolution", wait_until="domcontentloaded")
    page.wait_for_selector(APP_ROOT_SELECTOR, state="attached", timeout=FIRST_LOAD_TIMEOUT_MS)
    wait_for_app_idle(page, timeout_ms=FIRST_LOAD_TIMEOUT_MS)
    wait_for_rendered(page, timeout_ms=FIRST_LOAD_TIMEOUT_MS)


def output_picture(page) -> str:
    """The data URI of the output image (the second chart of the page: input, then output)."""
    chart = page.locator("[data-testid='stPlotlyChart']").nth(1)
    return chart.locator("image").first.get_attribute("href")


def test_typing_a_kernel_weight_changes_the_output(page, app_url, console_errors):
    open_convolution_page(page, app_url)
    expect(page.get_by_text("The weights sum to 0").first).to_be_visible()
    before = output_picture(page)
    # The default Sobel x kernel, [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]: make its top-right 5.
    editor = page.locator("[data-testid='stDataFrame']").first
    editor.scroll_into_view_if_needed()
    grid = editor.locator("canvas").first.bounding_box()
    # Row 0 lies under the header row; the last column ends at the grid's right edge.
    page.mouse.dblclick(grid["x"] + grid["width"] - 20, grid["y"] + ROW_HEIGHT * 1.5)

    def type_weight() -> None:
        page.keyboard.press("Control+A")
        page.keyboard.type("5")
        page.keyboard.press("Enter")

    rerun_after(page, type_weight)
    wait_for_rendered(page)
    # Weights now sum to 4: the sentence follows, and so does the output image.
    expect(page.get_by_text("The weights sum to 4").first).to_be_visible()
    assert output_picture(page) != before
    assert exception_texts(page) == []
    assert console_errors == []
    save_screenshot(page, "convolution-edited-weight", full_page=True)


def test_the_step_through_draws_a_dilated_window(page, app_url, console_errors):
    open_convolution_page(page, app_url)
    select = page.get_by_test_id("stSelectbox").first
    select.click()
    rerun_after(page, lambda: page.get_by_role("option", name="Grid of numbers").click())
    slider = page.get_by_role("slider", name="Dilation d (gap between weights)")

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
