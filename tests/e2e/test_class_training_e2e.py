"""Training in a class, in Chromium: the teacher's rule reaches the student, the teacher's run
goes first, and the student's queued run says who is ahead, then starts by itself.

A teacher and a student, each in a browser context of their own, on a server of their own with
one training slot (CNNVIZ_MAX_TRAININGS=1) and a class database of its own. The teacher allows
small subsets only and starts LeNet-5 on all of MNIST; the student, asking for all 60,000
images, is clamped to the subset limit and waits behind the teacher; when the teacher stops,
the student's run trains. Both runs are stopped long before they end.
"""

from __future__ import annotations

import math
import re

import pytest

from bench.support.harness import (
    click_nav,
    exception_texts,
    new_user_page,
    open_app_page,
    playwright_expect,
    rerun_after,
    running_app,
    save_screenshot,
)
from cnnviz.classroom import teaching

pytestmark = pytest.mark.e2e
expect = playwright_expect()

PROGRESS = "[data-testid='stProgress']"
TRAINING_TIMEOUT_MS = 240_000  # a cold worker imports TensorFlow first (over a minute under load)
SUBSETS = f"Small subsets (≤ {teaching.STUDENT_SUBSET_MAX:,} images)"


def start_training(page, images: int, epochs: int) -> None:
    main = page.locator("[data-testid='stMain']")
    main.get_by_label("Training images", exact=True).fill(str(images))
    main.get_by_label("Epochs", exact=True).fill(str(epochs))
    main.get_by_label("Epochs", exact=True).press("Tab")  # commit the value inside the form
    rerun_after(page, lambda: main.get_by_role("button", name="Start training", exact=True).click())


@pytest.mark.full_mnist  # the teacher trains on all 60,000 images (stopped early)
def test_the_teachers_run_goes_first_and_the_students_says_who_is_ahead(browser, tmp_path):
    env = {
        "CNNVIZ_DATABASE_URL": f"sqlite:///{tmp_path / 'class.sqlite'}",
        "CNNVIZ_MAX_TRAININGS": "1",
    }
    contexts = []
    try:
        with running_app(extra_env=env) as server:
            teacher_context, teacher = new_user_page(browser)
            contexts.append(teacher_context)
            open_app_page(teacher, server.url, "/classroom")
            rerun_after(teacher, teacher.get_by_role("button", name="Start the class").click)
            code = re.search(r"\?class=([A-Z0-9]{6})", teacher.get_by_text("Join at").inner_text())
            assert code is not None
            teacher.get_by_text("Class settings").click()
            rerun_after(teacher, teacher.get_by_text(SUBSETS, exact=True).click)

            student_context, student = new_user_page(browser)
            contexts.append(student_context)
            open_app_page(student, server.url, f"/?class={code.group(1)}")
            sidebar = student.locator("[data-testid='stSidebar']")
            rerun_after(student, student.get_by_role("button", name="Join the class").click)
            rerun_after(student, sidebar.get_by_text("Follow the teacher").click)  # on my own

            # The teacher's demo: LeNet-5 on all of MNIST, 3 epochs (5,625 batches).
            click_nav(teacher, "Live training")
            expect(teacher.get_by_text("You lead a class.")).to_be_visible()
            start_training(teacher, 60_000, 3)
            expect(teacher.locator(PROGRESS).get_by_text("Running")).to_be_visible(
                timeout=TRAINING_TIMEOUT_MS
            )

            # The student reads the rule, asks for a full run and gets the subset, in line.
            click_nav(student, "Live training")
            expect(
                student.get_by_text(teaching.student_training_rule("subsets"), exact=True)
            ).to_be_visible()
            start_training(student, 60_000, 1)
            expect(
                student.get_by_text(
                    f"so this run trains on {teaching.STUDENT_SUBSET_MAX:,} images instead of "
                    "the 60,000 you asked for"
                )
            ).to_be_visible()
            waiting = "Busy, you are next: the teacher's run is training now"
            expect(student.get_by_text(waiting)).to_be_visible()
            save_screenshot(student, "class-training-student-waits")

            # The teacher stops the demo: the student's run starts by itself, on the subset
            # (a few seconds of work: it may well have finished by the time we look).
            main = teacher.locator("[data-testid='stMain']")
            main.get_by_role("button", name="Stop training", exact=True).click()
            subset_batches = math.ceil(teaching.STUDENT_SUBSET_MAX / 32)  # the last one partial
            expect(
                student.locator(PROGRESS).get_by_text(
                    re.compile(rf"(Running|Finished) · epoch 1/1 · batch \d+/{subset_batches}")
                )
            ).to_be_visible(timeout=TRAINING_TIMEOUT_MS)
            save_screenshot(student, "class-training-student-trains")
            assert exception_texts(teacher) == [] and exception_texts(student) == []
    finally:
        for context in contexts:
            context.close()
