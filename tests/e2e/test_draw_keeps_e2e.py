"""The drawing stays on the canvas and is read: after Undo, after a change of ink, and after a
visit to another page (each lost the drawing, or its reading, before)."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from bench.support.harness import (
    click_nav,
    exception_texts,
    open_app_page,
    playwright_expect,
    save_screenshot,
)

pytestmark = pytest.mark.e2e
expect = playwright_expect()

CANVAS = "[data-testid='stBidiComponentIsolated'] canvas.upper-canvas"

NOTHING_DRAWN = "Draw a digit on the canvas"
PREDICTION = "[data-testid='stMetric']:has([data-testid='stMetricLabel']:has-text('Prediction'))"
WAIT_MS = 20_000
BORDER = 4  # pixels
ONE = [(0.5, 0.15), (0.5, 0.85)]  # a vertical stroke down the middle: read as a 1
BAR = [(0.2, 0.9), (0.8, 0.9)]  # a bar along the bottom: with the 1, not a 1 any more


def stroke(page, points: list[tuple[float, float]]) -> None:
    """One pen stroke through ``points`` (fractions of the canvas), and the rerun it causes."""
    surface = page.locator(CANVAS)
    surface.wait_for(state="visible")
    box = surface.bounding_box()
    positions = [(box["x"] + fx * box["width"], box["y"] + fy * box["height"]) for fx, fy in points]
    page.mouse.move(*positions[0])
    page.mouse.down()
    for x, y in positions[1:]:
        page.mouse.move(x, y, steps=12)
    page.mouse.up()
    page.wait_for_timeout(600)


def prediction(page) -> str:
    value = page.locator(PREDICTION).locator("[data-testid='stMetricValue']")
    expect(value).to_be_visible(timeout=WAIT_MS)
    return value.inner_text().strip()


def canvas_picture(page) -> np.ndarray:
    """The canvas as it is on screen, grey levels, (height, width)."""
    return np.asarray(Image.open(io.BytesIO(page.locator(CANVAS).screenshot())).convert("L"))


def ink_box(page) -> tuple[int, int, int, int]:
    """The rows and columns the ink on screen spans: (top, bottom, left, right), in pixels.

    Ink is whatever is far from the background (the colour in the canvas's corner); the
    outermost pixels, where the page draws the canvas's border, are left out."""
    picture = canvas_picture(page)[BORDER:-BORDER, BORDER:-BORDER].astype(int)
    rows, cols = np.nonzero(np.abs(picture - picture[0, 0]) > 127)
    assert rows.size, "no ink on the canvas"
    return rows.min(), rows.max(), cols.min(), cols.max()


def same_box(first: tuple[int, ...], second: tuple[int, ...]) -> bool:
    """The same strokes: their ink spans the same rows and columns, within 3 pixels."""
    return max(abs(a - b) for a, b in zip(first, second, strict=True)) <= 3


def open_draw_page(page, app_url: str) -> None:
    open_app_page(page, app_url, "/")
    click_nav(page, "Draw a digit")
    page.locator(CANVAS).wait_for(state="visible", timeout=90_000)
    expect(page.get_by_text(NOTHING_DRAWN)).to_be_visible(timeout=90_000)
    page.wait_for_timeout(800)  # let Fabric set the canvas up


def still_read(page, digit: str) -> None:
    """The prediction is ``digit``, and still is a few seconds later."""
    expect(page.locator(PREDICTION).locator("[data-testid='stMetricValue']")).to_have_text(
        digit, timeout=WAIT_MS
    )
    page.wait_for_timeout(3000)
    expect(page.get_by_text(NOTHING_DRAWN)).to_have_count(0)
    assert prediction(page) == digit


def test_undo_keeps_what_remains_read(page, app_url):
    open_draw_page(page, app_url)
    stroke(page, ONE)
    assert prediction(page) == "1"
    one_alone = ink_box(page)
    stroke(page, BAR)
    expect(page.get_by_text(NOTHING_DRAWN)).to_have_count(0)
    assert not same_box(ink_box(page), one_alone)  # the bar is drawn
    page.get_by_role("button", name="Undo", exact=True).click()
    still_read(page, "1")
    assert same_box(ink_box(page), one_alone)  # the bar went, the 1 stayed
    save_screenshot(page, "draw-after-undo")
    assert exception_texts(page) == []


def test_switching_the_ink_keeps_the_drawing_and_its_reading(page, app_url):
    open_draw_page(page, app_url)
    stroke(page, ONE)
    assert prediction(page) == "1"
    drawn = ink_box(page)
    assert canvas_picture(page)[BORDER, BORDER] < 50  # white ink on a black background
    page.get_by_text("Black on white", exact=True).click()
    still_read(page, "1")
    assert same_box(ink_box(page), drawn)  # the same stroke
    assert canvas_picture(page)[BORDER, BORDER] > 200  # now on a white background
    save_screenshot(page, "draw-after-ink-switch")
    assert exception_texts(page) == []


def test_a_visit_to_another_page_keeps_the_drawing_and_its_reading(page, app_url):
    open_draw_page(page, app_url)
    stroke(page, ONE)
    assert prediction(page) == "1"
    drawn = ink_box(page)
    click_nav(page, "Pooling")
    expect(page.locator(CANVAS)).to_have_count(0)
    click_nav(page, "Draw a digit")
    page.locator(CANVAS).wait_for(state="visible", timeout=WAIT_MS)
    still_read(page, "1")
    assert same_box(ink_box(page), drawn)
    save_screenshot(page, "draw-after-a-visit")
    assert exception_texts(page) == []
