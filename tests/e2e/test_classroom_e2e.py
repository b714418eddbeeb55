"""A whole lesson in Chromium: a teacher and three students, each in a browser context of their own.

They join by the link, follow a setting the teacher changes, answer a question (the teacher's
histogram counts them; a student who reloads the tab is still the same student, counted once),
draw a round (the teacher's confusion matrix shows it), and after the
server restarts the class and its drawings are still there. The test runs its own server on a
database file of its own. It prints the time from the teacher's click to each student's screen.
"""

from __future__ import annotations

import re
import statistics
import time

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
    wait_for_app_idle,
)
from cnnviz.classroom import ClassroomStore

pytestmark = pytest.mark.e2e
expect = playwright_expect()

STUDENTS = 3
CANVAS = "[data-testid='stBidiComponentIsolated'] canvas.upper-canvas"
# The issue asks for "within about 2 s" (measured by bench.class_follow, bench/README.md). Here the
# server and four Chromiums share 2 cores, and three students' full reruns come one after another:
# 7-9 s was seen under load, so this checks that the class follows, not how fast.
FOLLOW_WITHIN_S = 25.0


def radio_checked(page, group_label: str, option: str) -> bool:
    group = page.locator("[data-testid='stRadio']", has_text=group_label)
    option_input = group.locator("label", has_text=option).locator("input")
    return option_input.count() == 1 and option_input.is_checked()


def draw_a_one(page) -> None:
    surface = page.locator(CANVAS)
    surface.wait_for(state="visible")
    box = surface.bounding_box()
    x = box["x"] + 0.5 * box["width"]
    page.mouse.move(x, box["y"] + 0.2 * box["height"])
    page.mouse.down()
    page.mouse.move(x, box["y"] + 0.8 * box["height"], steps=16)
    page.mouse.up()


def test_a_teacher_and_three_students_run_a_lesson_that_survives_a_restart(browser, tmp_path):
    database = tmp_path / "class.sqlite"
    env = {"CNNVIZ_DATABASE_URL": f"sqlite:///{database}"}
    contexts = []
    with running_app(extra_env=env) as server:
        teacher_context, teacher = new_user_page(browser)
        contexts.append(teacher_context)
        open_app_page(teacher, server.url, "/classroom")
        rerun_after(teacher, lambda: teacher.get_by_role("button", name="Start the class").click())
        link_text = teacher.get_by_text("Join at").inner_text()
        link = re.search(r"http\S+\?class=([A-Z0-9]{6})", link_text)
        assert link is not None, link_text
        code = link.group(1)
        # The secret only on demand: a projected screen never shows it by itself.
        assert teacher.locator("[data-testid='stCode']").count() == 0
        show_secret = teacher.get_by_text("Show the teacher secret")
        rerun_after(teacher, show_secret.click)
        secret = teacher.locator("[data-testid='stCode'] code").inner_text().strip()
        assert len(secret) >= 20
        rerun_after(teacher, show_secret.click)
        assert teacher.locator("[data-testid='stCode']").count() == 0
        expect(teacher.locator("[data-testid='stImage'] img").first).to_be_visible()  # the QR
        save_screenshot(teacher, "classroom-teacher-start")

        # Three students open the projected link and join.
        students = []
        for index in range(STUDENTS):
            context, student = new_user_page(browser)
            contexts.append(context)
            open_app_page(student, server.url, f"/?class={code}")
            sidebar = student.locator("[data-testid='stSidebar']")
            if index == 0:
                student.get_by_label("Nickname (optional)").fill("Ada")
            rerun_after(
                student, lambda s=student: s.get_by_role("button", name="Join the class").click()
            )
            expect(sidebar.get_by_text(f"Class {code}")).to_be_visible()
            students.append(student)
        assert len(ClassroomStore(env["CNNVIZ_DATABASE_URL"]).students(code)) == STUDENTS

        # The teacher goes to the pooling page and switches to same padding: the class follows.
        click_nav(teacher, "Pooling & padding")
        for student in students:
            student.wait_for_url(re.compile(r"/pooling"), timeout=FOLLOW_WITHIN_S * 1000)
            wait_for_app_idle(student)
        padding = teacher.locator("[data-testid='stRadio']", has_text="Padding")
        started = time.monotonic()
        padding.locator("label", has_text="same").click()
        latencies = []
        for student in students:
            deadline = started + FOLLOW_WITHIN_S
            while not radio_checked(student, "Padding", "same"):
                assert time.monotonic() < deadline, "a student did not follow the padding"
                student.wait_for_timeout(50)
            latencies.append(time.monotonic() - started)
        print(
            f"teacher's click → students' screens: {[f'{s:.2f}' for s in latencies]} s "
            f"(median {statistics.median(latencies):.2f} s)"
        )
        wait_for_app_idle(teacher)
        save_screenshot(students[0], "classroom-student-follows")

        # A question: the teacher asks, the students (taken to the Class page) answer.
        click_nav(teacher, "Class")
        rerun_after(teacher, lambda: teacher.get_by_role("button", name="Ask the class").click())
        question = ClassroomStore(env["CNNVIZ_DATABASE_URL"]).questions(code)[-1]
        for student in students:
            expect(student.get_by_text(question.prompt)).to_be_visible(
                timeout=FOLLOW_WITHIN_S * 1000
            )
            wait_for_app_idle(student)
            answer = student.locator("[data-testid='stRadio']", has_text="Your answer").locator(
                "label", has_text=question.choices[question.correct_index]
            )
            rerun_after(student, answer.click)
        # F5 on Ada's tab: a new session, the same student (the id is in her address).
        ada = students[0]
        ada_id = ClassroomStore(env["CNNVIZ_DATABASE_URL"]).students(code)[0].student_id
        assert f"student={ada_id}" in ada.url, ada.url
        ada.reload(wait_until="domcontentloaded")
        wait_for_app_idle(ada)
        expect(
            ada.locator("[data-testid='stSidebar']").get_by_text("you are student #1")
        ).to_be_visible()
        chosen = ada.locator("[data-testid='stRadio']", has_text="Your answer").locator(
            "label", has_text=question.choices[question.correct_index]
        )
        expect(chosen.locator("input")).to_be_checked()
        assert len(ClassroomStore(env["CNNVIZ_DATABASE_URL"]).students(code)) == STUDENTS
        save_screenshot(ada, "classroom-student-reloaded")
        # Hidden while the class votes: only the count shows until the reveal.
        expect(teacher.get_by_text(f"{STUDENTS} answers so far")).to_be_visible(timeout=10_000)
        counts = ClassroomStore(env["CNNVIZ_DATABASE_URL"]).answer_counts(
            code, question.question_id
        )
        assert sum(counts) == STUDENTS
        save_screenshot(teacher, "classroom-teacher-histogram")
        rerun_after(
            teacher, lambda: teacher.get_by_role("button", name="Reveal the answer").click()
        )
        expect(teacher.locator(".gtitle", has_text=f"{STUDENTS} answers")).to_be_visible()
        for student in students:
            expect(student.get_by_text("Right!")).to_be_visible(timeout=FOLLOW_WITHIN_S * 1000)
            expect(student.get_by_text(question.explanation)).to_be_visible()

        # A drawing round: each student draws a 1 and sends it; the teacher sees the matrix.
        rerun_after(
            teacher, lambda: teacher.get_by_role("button", name="Start a drawing round").click()
        )
        for student in students:
            student.locator(CANVAS).wait_for(state="visible", timeout=FOLLOW_WITHIN_S * 1000)
            wait_for_app_idle(student)
            rerun_after(student, lambda s=student: draw_a_one(s))
            digit = student.locator("[data-testid='stRadio']", has_text="The digit I drew")
            rerun_after(student, digit.locator("label", has_text="1").click)
            rerun_after(
                student, lambda s=student: s.get_by_role("button", name="Send my drawing").click()
            )
            expect(student.get_by_text("You have sent 1 drawing")).to_be_visible()
        save_screenshot(students[0], "classroom-student-round")
        # The title may wrap between the count and "drawings" (plotly draws each line apart).
        title = re.compile(rf"on the class's\s*{STUDENTS}\s*drawings")
        expect(teacher.locator(".gtitle", has_text=title).first).to_be_visible(timeout=15_000)
        save_screenshot(teacher, "classroom-teacher-round")
        for page in [teacher, *students]:
            assert exception_texts(page) == []
        for context in contexts:
            context.close()

    # A new server on the same database: the teacher takes the class over with the secret.
    with running_app(extra_env=env) as server:
        context, teacher = new_user_page(browser)
        try:
            open_app_page(teacher, server.url, "/classroom")
            teacher.get_by_text("Take over a class you started in another browser").click()
            teacher.get_by_label("Class code").first.fill(code)
            teacher.get_by_label("Teacher secret").fill(secret)
            rerun_after(
                teacher, lambda: teacher.get_by_role("button", name="Lead this class").click()
            )
            expect(teacher.get_by_text(code).first).to_be_visible()
            expect(teacher.locator(".gtitle", has_text=title).first).to_be_visible(timeout=15_000)
            assert exception_texts(teacher) == []
            save_screenshot(teacher, "classroom-after-restart")
        finally:
            context.close()
    drawings = ClassroomStore(env["CNNVIZ_DATABASE_URL"]).drawings(code)
    assert [d.label for d in drawings] == [1] * STUDENTS
