"""The whole 280 × 280 canvas draws, with the mouse and with touch, from every corner.

The canvas component's own toolbar floated, invisible until hovered, over the top-right strip:
a stroke starting there was swallowed and a tap near the corner hit its hidden reset button.
The draw page hides it and offers Undo and Clear as ordinary buttons; these tests start a stroke
in each corner (2% from both edges) and check that the page then reads a drawing.
"""

from __future__ import annotations

import pytest

from bench.support.harness import (
    context_options,
    exception_texts,
    open_app_page,
    playwright_expect,
    prepare_page,
    save_screenshot,
)

pytestmark = pytest.mark.e2e
expect = playwright_expect()

CANVAS = "[data-testid='stBidiComponentIsolated'] canvas.upper-canvas"
TOOLBAR = "[data-testid='stBidiComponentIsolated'] .dc-toolbar"
NOTHING_DRAWN = "Draw a digit on the canvas"
PREDICTION = "[data-testid='stMetric']:has([data-testid='stMetricLabel']:has-text('Prediction'))"
WAIT_MS = 20_000
# Each stroke starts 2% from a corner and runs a third of the canvas towards the centre: long
# enough not to be a dot with the default 20-pixel pen.
CORNERS = {
    "top-left": (0.02, 0.02),
    "top-right": (0.98, 0.02),
    "bottom-left": (0.02, 0.98),
    "bottom-right": (0.98, 0.98),
}
STEPS = 12


def stroke_points(page, corner: tuple[float, float]) -> list[tuple[float, float]]:
    box = page.locator(CANVAS).bounding_box()
    start_x, start_y = corner
    end_x, end_y = start_x + (0.5 - start_x) * 0.7, start_y + (0.5 - start_y) * 0.7
    return [
        (
            box["x"] + (start_x + (end_x - start_x) * step / STEPS) * box["width"],
            box["y"] + (start_y + (end_y - start_y) * step / STEPS) * box["height"],
        )
        for step in range(STEPS + 1)
    ]


def mouse_stroke(page, points: list[tuple[float, float]]) -> None:
    page.mouse.move(*points[0])
    page.mouse.down()
    for x, y in points[1:]:
        page.mouse.move(x, y, steps=3)
    page.mouse.up()


def touch_stroke(page, points: list[tuple[float, float]]) -> None:
    """A finger's stroke, as Chromium's touch events (Playwright has only taps)."""
    session = page.context.new_cdp_session(page)
    session.send("Input.dispatchTouchEvent", touch_event("touchStart", points[0]))
    for point in points[1:]:
        session.send("Input.dispatchTouchEvent", touch_event("touchMove", point))
    session.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    session.detach()


def touch_event(kind: str, point: tuple[float, float]) -> dict:
    return {"type": kind, "touchPoints": [{"x": point[0], "y": point[1], "id": 1}]}


def something_was_read(page) -> None:
    """The page no longer asks for a drawing: it read a digit (or said what else it saw)."""
    expect(page.get_by_text(NOTHING_DRAWN)).to_have_count(0, timeout=WAIT_MS)


def clear(page) -> None:
    page.get_by_role("button", name="Clear", exact=True).click()
    expect(page.get_by_text(NOTHING_DRAWN)).to_be_visible(timeout=WAIT_MS)
    page.locator(CANVAS).wait_for(state="visible")
    page.wait_for_timeout(800)  # a new canvas (new key): let Fabric set it up


def open_draw_page(page, app_url: str) -> None:
    """Through the home page (a fresh server's first deep link skips the router), and wait for
    the canvas: the first visit loads the shipped models, which can take a while when shared."""
    open_app_page(page, app_url, "/")
    page.goto(app_url.rstrip("/") + "/draw", wait_until="domcontentloaded")
    page.locator(CANVAS).wait_for(state="visible", timeout=90_000)
    expect(page.get_by_text(NOTHING_DRAWN)).to_be_visible(timeout=90_000)
    page.wait_for_timeout(800)


def draw_from_every_corner(page, app_url: str, draw) -> None:
    open_draw_page(page, app_url)
    expect(page.locator(TOOLBAR)).to_be_hidden()
    for name, corner in CORNERS.items():
        expect(page.get_by_text(NOTHING_DRAWN)).to_be_visible(timeout=WAIT_MS)
        draw(page, stroke_points(page, corner))
        try:
            something_was_read(page)
        except AssertionError as error:
            save_screenshot(page, f"canvas-corner-{name}-missed")
            raise AssertionError(f"a stroke starting {name} did not draw") from error
        clear(page)
    assert exception_texts(page) == []


def test_strokes_from_every_corner_draw_with_the_mouse(page, app_url):
    draw_from_every_corner(page, app_url, mouse_stroke)


def test_strokes_from_every_corner_draw_with_touch(browser, app_url):
    context = browser.new_context(**context_options(), has_touch=True)
    page = context.new_page()
    prepare_page(page)
    try:
        draw_from_every_corner(page, app_url, touch_stroke)
    finally:
        context.close()


def test_a_tap_in_the_top_right_corner_keeps_the_drawing_and_undo_is_visible(page, app_url):
    open_draw_page(page, app_url)
    mouse_stroke(page, stroke_points(page, (0.5, 0.1)))  # a "1" down the middle
    something_was_read(page)
    expect(page.locator(PREDICTION)).to_be_visible(timeout=WAIT_MS)
    box = page.locator(CANVAS).bounding_box()
    page.mouse.click(box["x"] + 0.97 * box["width"], box["y"] + 0.03 * box["height"])
    page.wait_for_timeout(1500)
    expect(page.locator(PREDICTION)).to_be_visible()  # the drawing was not reset
    undo = page.get_by_role("button", name="Undo", exact=True)
    expect(undo).to_be_enabled(timeout=WAIT_MS)
    save_screenshot(page, "canvas-undo-clear")
    undo.click()  # takes back the tap's dot: the "1" is read again
    expect(page.locator(PREDICTION)).to_be_visible(timeout=WAIT_MS)
    assert exception_texts(page) == []
