"""Smoke tests in Chromium: the home page, the navigation, and every page opening cleanly.

`test_every_page_opens_cleanly` also writes each page's full-page screenshot to
tests/e2e/artifacts/, and to docs/ for the README when CNNVIZ_UPDATE_SCREENSHOTS=1.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bench.support.harness import (
    NAV_LINK,
    context_options,
    exception_texts,
    open_app_page,
    playwright_expect,
    prepare_page,
    rerun_after,
    running_app,
    save_screenshot,
    updating_screenshots,
    wait_for_app_idle,
)
from cnnviz import site

pytestmark = pytest.mark.e2e
expect = playwright_expect()

# (URL path, navigation label, screenshot name), from the router's own list (cnnviz.site): the
# default page is served at "/", every other page at its script's name, as st.Page does.
PAGES = [
    ("/" if entry.default else f"/{Path(entry.path).stem}", entry.title, Path(entry.path).stem)
    for entry in site.PAGES
]


def navigation_labels(page) -> list[str]:
    """The sidebar's page labels (each link's text is its icon, then the label on the last line)."""
    link_texts = page.locator(NAV_LINK).all_inner_texts()
    return [text.strip().splitlines()[-1].strip() for text in link_texts]


def test_home_renders_and_navigation_lists_every_page(page, app_url, console_errors):
    open_app_page(page, app_url, "/")

    expect(page.locator("[data-testid='stMain'] h1").first).to_be_visible()
    assert navigation_labels(page) == [label for _, label, _ in PAGES]
    assert exception_texts(page) == []
    assert console_errors == []


def test_navigation_link_opens_the_pooling_page(page, app_url):
    open_app_page(page, app_url, "/")

    page.locator(NAV_LINK, has_text="Pooling & padding").click()

    expect(page).to_have_url(re.compile(r"/pooling$"))
    wait_for_app_idle(page)
    expect(page.locator("[data-testid='stMain'] h1").first).to_be_visible()
    assert exception_texts(page) == []


@pytest.mark.parametrize(("path", "label", "name"), PAGES, ids=[name for *_, name in PAGES])
def test_every_page_opens_cleanly(page, app_url, console_errors, path, label, name):
    # Home first, so this test does not depend on being the server's first visit (a deep link
    # as the very first visit is the last test's subject).
    open_app_page(page, app_url, "/")
    open_app_page(page, app_url, path)

    # The page's own title is shown and its navigation entry is the current one.
    expect(page.locator("[data-testid='stMain'] h1").first).to_be_visible()
    current = page.locator(f"{NAV_LINK}[aria-current='page']")
    expect(current).to_contain_text(label)
    assert exception_texts(page) == []
    assert page.locator("[data-testid='stMain'] [data-testid='stAlertContentError']").count() == 0
    assert console_errors == []
    if name == "draw" and updating_screenshots():
        draw_a_seven(page)  # the README shows the page at work, not an empty canvas
    save_screenshot(page, name, docs=True)


def draw_a_seven(page) -> None:
    """Draw a 7 (a bar, then a slanted stroke) and wait for the prediction."""
    canvas = page.locator("canvas.upper-canvas").first
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    assert box is not None, "the drawing canvas has no bounding box"

    def at(fraction_x: float, fraction_y: float) -> tuple[float, float]:
        return box["x"] + box["width"] * fraction_x, box["y"] + box["height"] * fraction_y

    def stroke() -> None:
        page.mouse.move(*at(0.3, 0.25))
        page.mouse.down()
        page.mouse.move(*at(0.7, 0.25), steps=10)
        page.mouse.move(*at(0.45, 0.8), steps=14)
        page.mouse.up()

    rerun_after(page, stroke)
    expect(page.locator("[data-testid='stMetric']", has_text="Prediction")).to_be_visible()


def test_a_deep_link_as_a_fresh_servers_first_visit_goes_through_the_router(browser):
    """A class often starts from a shared link such as /pooling, on a server just started.

    That first session must get app.py's router (titled navigation, wide layout), not
    Streamlit's legacy listing of the pages/ files (pages.glue.router); so this test
    starts its own server.
    """
    with running_app() as server:
        context = browser.new_context(**context_options())
        try:
            fresh_page = context.new_page()
            prepare_page(fresh_page)
            open_app_page(fresh_page, server.url, "/pooling")

            assert navigation_labels(fresh_page) == [label for _, label, _ in PAGES]
            assert exception_texts(fresh_page) == []
        finally:
            context.close()
