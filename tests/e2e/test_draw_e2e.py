"""Draw a digit in Chromium with the mouse: the network reads a 1 and a 0, and Clear resets it."""

from __future__ import annotations

import re

import pytest

from bench.support.harness import exception_texts, open_app_page, playwright_expect, save_screenshot

pytestmark = pytest.mark.e2e
expect = playwright_expect()

CANVAS = "[data-testid='stBidiComponentIsolated'] canvas.upper-canvas"
PREDICTION = "[data-testid='stMetric']:has([data-testid='stMetricLabel']:has-text('Prediction'))"
# From the end of a stroke to the prediction on screen, once the model is warm: the issue asks
# for ≤300 ms; the shared 2-core test machine gets slack. The first stroke also pays for the
# model's first call, and a rerun can wait behind other sessions: WAIT_S bounds those.
STROKE_TO_PREDICTION_S = 3.0
WAIT_S = 20.0


def stroke(page, points: list[tuple[float, float]]) -> None:
    """One pen stroke through ``points``, given as fractions of the canvas's width and height."""
    surface = page.locator(CANVAS)
    surface.wait_for(state="visible")
    box = surface.bounding_box()
    positions = [(box["x"] + fx * box["width"], box["y"] + fy * box["height"]) for fx, fy in points]
    page.mouse.move(*positions[0])
    page.mouse.down()
    for x, y in positions[1:]:
        page.mouse.move(x, y, steps=12)
    page.mouse.up()


def watch_stroke_to_prediction(page) -> None:
    """Time, in the browser's own clock, from the next mouse-up to the frame showing the metric.

    Polling from the test would add Playwright's round trips and back-off to the figure, so a
    requestAnimationFrame loop in the page records the first frame that has the metric.
    """
    page.evaluate(
        """() => {
            window.__strokeEnd = null;
            window.__predictionShown = null;
            document.addEventListener(
                "mouseup", () => { window.__strokeEnd = performance.now(); },
                {capture: true, once: true},
            );
            const shown = () => [...document.querySelectorAll("[data-testid='stMetricLabel']")]
                .some((label) => label.textContent.includes("Prediction"));
            const tick = () => {
                if (window.__strokeEnd !== null && shown()) {
                    window.__predictionShown = performance.now();
                } else {
                    requestAnimationFrame(tick);
                }
            };
            requestAnimationFrame(tick);
        }"""
    )


def prediction_value(page) -> str:
    """The digit in the "Prediction" metric, once the metric is on screen."""
    value = page.locator(PREDICTION).locator("[data-testid='stMetricValue']")
    expect(value).to_be_visible(timeout=WAIT_S * 1000)
    return value.inner_text().strip()


def clear(page) -> None:
    page.get_by_role("button", name="Clear", exact=True).click()
    expect(page.locator(PREDICTION)).to_have_count(0, timeout=WAIT_S * 1000)
    expect(page.get_by_text("Draw a digit on the canvas")).to_be_visible()
    # Clear mounts a new canvas (a new key): let Fabric set it up before the next stroke.
    page.locator(CANVAS).wait_for(state="visible")
    page.wait_for_timeout(1000)


def test_draw_a_one_and_a_zero_then_clear(page, app_url):
    open_app_page(page, app_url, "/draw")
    expect(page.get_by_text("Draw a digit on the canvas")).to_be_visible()
    expect(page.locator(PREDICTION)).to_have_count(0)
    page.locator(CANVAS).wait_for(state="visible")

    stroke(page, [(0.5, 0.15), (0.5, 0.85)])  # a 1: one vertical stroke
    assert prediction_value(page) == "1"
    # The same words appear again under each model in "Both models side by side": the first is
    # the caption under the Prediction metric.
    expect(page.get_by_text(re.compile(r"Probability \d+\.\d% for 1")).first).to_be_visible()

    clear(page)
    ellipse = [(0.5 + 0.22 * dx, 0.5 + 0.33 * dy) for dx, dy in _circle(36)]
    watch_stroke_to_prediction(page)
    stroke(page, ellipse)  # a 0: one closed loop
    assert prediction_value(page) == "0"
    seconds = page.evaluate("window.__predictionShown - window.__strokeEnd") / 1000
    print(f"end of stroke → prediction on screen: {seconds * 1000:.0f} ms")
    assert seconds < STROKE_TO_PREDICTION_S
    save_screenshot(page, "draw-zero")
    assert exception_texts(page) == []

    clear(page)
    assert exception_texts(page) == []


def _circle(points: int) -> list[tuple[float, float]]:
    """Unit-circle points from the top, clockwise, closing the loop."""
    import math

    angles = [2 * math.pi * k / points for k in range(points + 1)]
    return [(math.sin(angle), -math.cos(angle)) for angle in angles]
