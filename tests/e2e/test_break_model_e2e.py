"""Break the model in Chromium: draw a 1, move the shift slider, and a model's answer changes."""

from __future__ import annotations

import pytest

from bench.support.harness import (
    exception_texts,
    open_app_page,
    playwright_expect,
    rerun_after,
    save_screenshot,
)
from cnnviz import MODELS_DIR
from cnnviz.models import shipped_files
from cnnviz.training.records import trained_config
from tests.e2e.test_draw_e2e import CANVAS, prediction_value, stroke

pytestmark = pytest.mark.e2e
expect = playwright_expect()

WAIT_S = 30.0
# The shipped LeNet-5 as the page names it: by how its history says it was trained.
LENET_LABEL = trained_config(MODELS_DIR / shipped_files()["lenet"]).label
LENET = f"[data-testid='stMetric']:has([data-testid='stMetricLabel']:has-text('{LENET_LABEL}'))"


def lenet_answer(page) -> str:
    value = page.locator(LENET).locator("[data-testid='stMetricValue']")
    expect(value).to_be_visible(timeout=WAIT_S * 1000)
    return value.inner_text().strip()


def test_shifting_a_drawn_one_to_the_edge_changes_lenets_answer(page, app_url):
    open_app_page(page, app_url, "/draw")
    page.locator(CANVAS).wait_for(state="visible")
    stroke(page, [(0.5, 0.15), (0.5, 0.85)])  # a 1: one vertical stroke
    assert prediction_value(page) == "1"
    assert lenet_answer(page) == "1"  # side by side, unshifted: the same reading

    thumb = page.get_by_role("slider", name="Shift right (px)")
    thumb.scroll_into_view_if_needed()
    thumb.focus()
    for _ in range(8):  # to −8 px: the bar at the field's left edge
        rerun_after(page, lambda: page.keyboard.press("ArrowLeft"))
    expect(page.locator(LENET).locator("[data-testid='stMetricValue']")).not_to_have_text(
        "1", timeout=WAIT_S * 1000
    )
    assert prediction_value(page) == "1"  # the drawing's own reading stays
    save_screenshot(page, "break-the-model")
    assert exception_texts(page) == []
