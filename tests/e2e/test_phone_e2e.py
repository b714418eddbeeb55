"""On a phone (390 × 844, touch): no plotly toolbar over the charts, chart titles clear of each
other, every image framed, and the prediction right under the canvas.

Plotly shows its toolbar on touch screens without a hover, over the top right of each chart,
where the titles end with the image's shape, which is the lesson: the charts are drawn without
it. The geometry is read from the real page: the bounding boxes Chromium gives the title texts.
"""

from __future__ import annotations

import pytest

from bench.support.harness import (
    exception_texts,
    open_app_page,
    playwright_expect,
    prepare_page,
    rerun_after,
    save_screenshot,
    wait_for_rendered,
)
from cnnviz.charts.base import FRAME_LINE

pytestmark = pytest.mark.e2e
expect = playwright_expect()

PHONE = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 2,
}
CANVAS = "[data-testid='stBidiComponentIsolated'] canvas.upper-canvas"
PREDICTION = "[data-testid='stMetric']:has([data-testid='stMetricLabel']:has-text('Prediction'))"

# For every chart: the toolbar's box, and each title's and panel title's box and text.
CHART_BOXES_JS = """
() => [...document.querySelectorAll("[data-testid='stPlotlyChart']")].map((chart) => {
  const box = (element) => {
    const r = element.getBoundingClientRect();
    return {left: r.left, right: r.right, top: r.top, bottom: r.bottom};
  };
  const toolbar = chart.querySelector(".modebar");
  const titles = [...chart.querySelectorAll(".gtitle, .annotation-text")]
    .filter((element) => element.textContent.trim())
    .map((element) => ({text: element.textContent, ...box(element)}));
  const frames = [...chart.querySelectorAll(".shapelayer path")]
    .map((path) => path.style.stroke || path.getAttribute("stroke") || "");
  return {toolbar: toolbar ? box(toolbar) : null, titles, frames};
})
"""


def overlap(a: dict, b: dict) -> bool:
    return (
        a["left"] < b["right"]
        and b["left"] < a["right"]
        and a["top"] < b["bottom"]
        and (b["top"] < a["bottom"])
    )


@pytest.fixture
def phone(browser):
    context = browser.new_context(**PHONE)
    page = context.new_page()
    prepare_page(page)
    try:
        yield page
    finally:
        context.close()


def check_titles(charts: list[dict]) -> None:
    assert charts, "no charts on the page"
    for chart in charts:
        # Drawn without it (CHART_CONFIG): on a touch screen it always showed, over the titles.
        assert chart["toolbar"] is None, "plotly's toolbar is back over the chart"
        for index, first in enumerate(chart["titles"]):
            for second in chart["titles"][index + 1 :]:
                assert not overlap(first, second), f"{first['text']!r} on {second['text']!r}"


def test_pooling_titles_are_clear_and_an_all_white_output_is_framed(phone, app_url):
    open_app_page(phone, app_url, "/")  # a deep link as a server's first visit skips the router
    open_app_page(phone, app_url, "/pooling")
    select = phone.get_by_role("combobox", name="Sample image")
    select.click()
    rerun_after(
        phone,
        lambda: phone.get_by_role("option", name="Pattern: checkerboard (1-pixel squares)").click(),
    )
    wait_for_rendered(phone)
    assert exception_texts(phone) == []
    charts = phone.evaluate(CHART_BOXES_JS)
    check_titles(charts)
    # Max pooling a 1-pixel checkerboard gives all white: its frame shows where the output is.
    output = next(
        chart for chart in charts if any("Max pooling" in t["text"] for t in chart["titles"])
    )
    frame_rgb = "rgb(160, 160, 160)"
    assert FRAME_LINE["color"] == "#a0a0a0" and frame_rgb in output["frames"]
    save_screenshot(phone, "phone-pooling", full_page=True)


def test_draw_titles_are_clear_and_the_prediction_is_right_under_the_canvas(phone, app_url):
    open_app_page(phone, app_url, "/")  # a deep link as a server's first visit skips the router
    open_app_page(phone, app_url, "/draw")
    surface = phone.locator(CANVAS)
    surface.scroll_into_view_if_needed()
    box = surface.bounding_box()

    def draw_a_one() -> None:
        phone.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.2)
        phone.mouse.down()
        phone.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.8, steps=12)
        phone.mouse.up()

    rerun_after(phone, draw_a_one)
    metric = phone.locator(PREDICTION)
    expect(metric).to_be_visible(timeout=30_000)  # the first stroke loads the model
    wait_for_rendered(phone)
    check_titles(phone.evaluate(CHART_BOXES_JS))
    canvas_box, metric_box = surface.bounding_box(), metric.bounding_box()
    # Under the canvas, with only the Undo and Clear buttons between them (stacked on a phone):
    # the canvas and the prediction fit on one screen, so a student sees both while drawing.
    gap = metric_box["y"] - (canvas_box["y"] + canvas_box["height"])
    span = metric_box["y"] + metric_box["height"] - canvas_box["y"]
    assert gap >= 0, "the prediction is not under the canvas"
    assert span <= phone.viewport_size["height"], (
        f"canvas and prediction span {span:.0f} px, more than the phone's screen"
    )
    save_screenshot(phone, "phone-draw", full_page=True)
