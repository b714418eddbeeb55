"""What a class reads on a 1280 × 720 projector: the Pooling page's picture on its first screen,
and the Class page's answers histogram wide and in big letters. Screenshots in tests/e2e/artifacts.
"""

from __future__ import annotations

import re

import pytest

from bench.support.harness import (
    exception_texts,
    new_user_page,
    open_app_page,
    playwright_expect,
    rerun_after,
    running_app,
    save_screenshot,
    wait_for_app_idle,
)
from cnnviz.classroom import ClassroomStore

pytestmark = pytest.mark.e2e
expect = playwright_expect()

PROJECTOR = {"width": 1280, "height": 720}
MIN_PROJECTED_FONT_PX = 18  # about a slide's body text, read from the back of a classroom
FONT_SIZE_JS = "element => parseFloat(getComputedStyle(element).fontSize)"


def test_the_pooling_pages_first_screen_shows_the_picture_on_a_projector(page, app_url):
    page.set_viewport_size(PROJECTOR)
    open_app_page(page, app_url, "/pooling")
    wait_for_app_idle(page)  # measured once the whole page has run, not part-way
    first_chart = page.locator("[data-testid='stPlotlyChart']").first
    expect(first_chart).to_be_visible()
    top = first_chart.bounding_box()["y"]
    save_screenshot(page, "projector-pooling-first-screen")
    assert top < PROJECTOR["height"] - 200, f"the first picture starts at {top:.0f} px"
    assert exception_texts(page) == []


def test_the_class_histogram_is_wide_and_readable_from_the_back_of_the_room(browser, tmp_path):
    env = {"CNNVIZ_DATABASE_URL": f"sqlite:///{tmp_path / 'class.sqlite'}"}
    with running_app(extra_env=env) as server:
        context, teacher = new_user_page(browser)
        try:
            teacher.set_viewport_size(PROJECTOR)
            open_app_page(teacher, server.url, "/classroom")
            rerun_after(
                teacher, lambda: teacher.get_by_role("button", name="Start the class").click()
            )
            store = ClassroomStore(env["CNNVIZ_DATABASE_URL"])
            link = re.search(r"\?class=([A-Z0-9]{6})", teacher.get_by_text("Join at").inner_text())
            code = link.group(1)
            students = [store.join(code) for _ in range(3)]
            rerun_after(
                teacher, lambda: teacher.get_by_role("button", name="Ask the class").click()
            )
            question = store.questions(code)[-1]
            for index, student in enumerate(students):
                store.answer(code, student, question.question_id, index % len(question.choices))
            # Hidden while the class votes; the reveal shows it.
            expect(teacher.get_by_text("3 answers so far")).to_be_visible(timeout=10_000)
            assert teacher.locator("[data-testid='stPlotlyChart']").count() == 0
            save_screenshot(teacher, "projector-class-vote")
            reveal = teacher.get_by_role("button", name="Reveal the answer")
            rerun_after(teacher, reveal.click)
            chart = teacher.locator("[data-testid='stPlotlyChart']").first
            expect(chart.locator(".ytick text").first).to_be_visible(timeout=10_000)
            box = chart.bounding_box()
            save_screenshot(teacher, "projector-class-reveal")
            # As wide as the page's text (the class settings' bar spans all of it).
            full_width = teacher.locator("[data-testid='stExpander']").first.bounding_box()["width"]
            assert box["width"] >= 0.95 * full_width >= 700, (box, full_width)
            ticks = chart.locator(".ytick text, .xtick text")
            sizes = [tick.evaluate(FONT_SIZE_JS) for tick in ticks.all()]
            assert sizes and min(sizes) >= MIN_PROJECTED_FONT_PX, sizes
            y_ticks = chart.locator(".ytick text").all()
            top_down = sorted(y_ticks, key=lambda tick: tick.bounding_box()["y"])
            labels = [tick.text_content() for tick in top_down]  # the first choice at the top
            assert labels == list(question.choices)
            transforms = [
                tick.get_attribute("transform") or "" for tick in chart.locator(".ytick text").all()
            ]
            assert not any("rotate" in t for t in transforms), transforms  # level, not slanted
            assert exception_texts(teacher) == []
        finally:
            context.close()
