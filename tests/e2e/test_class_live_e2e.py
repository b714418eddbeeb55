"""Class mode live, on a real server: an exploring student's tab stays quiet after a question,
every tab comes back by itself after a restart, and a phone's class link shows how to join.
"""

from __future__ import annotations

import time

import pytest

from bench.class_explore import measure
from bench.support.harness import (
    NAV_LINK,
    RERUN_DONE_JS,
    RERUN_MARK_JS,
    exception_texts,
    new_user_page,
    open_app_page,
    playwright_expect,
    prepare_page,
    rerun_after,
    running_app,
    start_app_server,
    wait_for_app_idle,
)
from cnnviz.classroom import ClassroomStore

pytestmark = pytest.mark.e2e
expect = playwright_expect()

# A quiet exploring tab: one version poll a second (a few messages each) and one full run for
# the question. The rerun loop this guards against sent about a thousand a second.
QUIET_MESSAGES_PER_S = 20.0
# "Within a few seconds of the server being up": the frontend retries its socket after a
# back-off, then each tab's first run; on 2 shared cores with four Chromium tabs.
RESTART_BACK_WITHIN_S = 20.0
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def test_an_exploring_student_on_the_class_page_gets_the_question_without_a_rerun_loop():
    cost = measure(seconds=5.0)
    assert cost.question_shown
    assert cost.messages_per_s < QUIET_MESSAGES_PER_S, cost


def sidebar_says(page, text: str) -> bool:
    return page.locator("[data-testid='stSidebar']").get_by_text(text).count() > 0


def raw_page_list(page) -> bool:
    """Streamlit's own listing of pages/ (a link per script, "classroom" among them)."""
    return page.locator(NAV_LINK, has_text="classroom").count() > 0


def tab_states(tabs, marks) -> dict[str, tuple[str, bool, str]]:
    """Each tab's address, whether it ran since its mark, and its sidebar's first lines."""
    return {
        name: (
            page.url,
            bool(page.evaluate(RERUN_DONE_JS, marks[name])),
            page.locator("[data-testid='stSidebar']").inner_text()[-300:],
        )
        for name, (page, _, _) in tabs.items()
    }


def test_every_tab_comes_back_by_itself_after_a_restart_with_its_page_and_role(browser, tmp_path):
    env = {"CNNVIZ_DATABASE_URL": f"sqlite:///{tmp_path / 'class.sqlite'}"}
    contexts = []
    server = start_app_server(extra_env=env)
    port = server.port
    try:
        teacher_context, teacher = new_user_page(browser)
        contexts.append(teacher_context)
        open_app_page(teacher, server.url, "/classroom")
        rerun_after(teacher, lambda: teacher.get_by_role("button", name="Start the class").click())
        teacher.wait_for_function("() => document.cookie.includes('cnnviz_teacher=')")
        code = teacher.evaluate("() => document.cookie").split("cnnviz_teacher=")[1][:6]
        assert code not in teacher.url  # the key is in the cookie, never in the address
        # F5: a new session of the same browser leads again, with no secret typed.
        teacher.reload(wait_until="domcontentloaded")
        wait_for_app_idle(teacher)
        expect(teacher.get_by_text("you lead it")).to_be_visible()

        students = []
        for index, path in enumerate(["/pooling", "/classroom", "/convolution"]):
            context, student = new_user_page(browser)
            contexts.append(context)
            open_app_page(student, server.url, f"{path}?class={code}")
            sidebar = student.locator("[data-testid='stSidebar']")
            rerun_after(student, student.get_by_role("button", name="Join the class").click)
            expect(sidebar.get_by_text(f"you are student #{index + 1}")).to_be_visible()
            # Exploring, so that each stays on its own page.
            rerun_after(student, sidebar.get_by_text("Follow the teacher").click)
            if path not in student.url:  # joining took it to the teacher's page: back
                open_app_page(student, server.url, path + "?" + student.url.split("?", 1)[1])
            assert path in student.url
            students.append((student, path, index + 1))

        tabs = {"teacher": (teacher, "you lead it", "/classroom")} | {
            f"student {n}": (page, f"you are student #{n}", path) for page, path, n in students
        }
        server.stop()  # SIGTERM, in the middle of the lesson
        # From here on only the new server's messages count: a tab is back once it has run
        # again and shows its role on its page.
        marks = {name: page.evaluate(RERUN_MARK_JS) for name, (page, _, _) in tabs.items()}
        server = start_app_server(port=port, extra_env=env)
        up = time.monotonic()
        back: dict[str, float] = {}
        while len(back) < len(tabs):
            assert time.monotonic() - up < RESTART_BACK_WITHIN_S, (back, tab_states(tabs, marks))
            for name, (page, role, path) in tabs.items():
                if (
                    name not in back
                    and page.evaluate(RERUN_DONE_JS, marks[name])
                    and sidebar_says(page, role)
                    and path in page.url
                ):
                    back[name] = time.monotonic() - up
            teacher.wait_for_timeout(100)
        print(
            "after the restart, each tab back in (s): "
            + ", ".join(f"{name} {seconds:.1f}" for name, seconds in back.items())
        )
        for name, (page, _, _) in tabs.items():
            wait_for_app_idle(page)
            assert not raw_page_list(page), name
            assert exception_texts(page) == [], name
        assert len(ClassroomStore(env["CNNVIZ_DATABASE_URL"]).students(code)) == len(students)
    finally:
        for context in contexts:
            context.close()
        server.stop()


@pytest.mark.parametrize("path", ["/", "/pooling"])
def test_a_phone_that_opens_a_class_link_sees_the_join_form_and_joins(browser, tmp_path, path):
    env = {"CNNVIZ_DATABASE_URL": f"sqlite:///{tmp_path / 'class.sqlite'}"}
    store = ClassroomStore(env["CNNVIZ_DATABASE_URL"])
    code, _ = store.create_class("Period 3")
    with running_app(extra_env=env) as server:
        context = browser.new_context(**PHONE)
        try:
            phone = context.new_page()
            prepare_page(phone)
            open_app_page(phone, server.url, f"{path}?class={code}")
            main = phone.locator("[data-testid='stMain']")
            join = main.get_by_role("button", name="Join the class")
            expect(join).to_be_in_viewport()  # on the first screen, the sidebar collapsed
            expect(phone.locator("[data-testid='stSidebar']")).to_have_attribute(
                "data-collapsed", "true"
            )
            main.get_by_label("Nickname (optional)").fill("Ada")
            rerun_after(phone, join.tap)
            expect(main.get_by_role("button", name="Join the class")).to_have_count(0)
            assert [s.nickname for s in store.students(code)] == ["Ada"]
            assert exception_texts(phone) == []
        finally:
            context.close()
    store.dispose()
