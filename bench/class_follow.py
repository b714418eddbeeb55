"""Class mode's costs: server CPU per following student, teacher → student latency, a class of 40.

    python -m bench.class_follow [--students 3] [--idle-s 20] [--changes 6] [--poll-s 1.0]
                                 [--protocol-class [--serve N]] [--store-only] [--reruns 10]

1. A real server on a database file of its own; ``--students`` Chromium tabs join the class by
   its link and follow. The server's CPU time is read over ``--idle-s`` seconds while they
   follow (each polls the class's version once a second), then again while they explore on
   their own (no poll): the difference per student is the cost of following.
   ``--poll-s`` runs the server with that follow poll (``CNNVIZ_FOLLOW_POLL_S``): comparing two
   periods splits the latency into the poll's wait (about half a period) and the rest.
2. The teacher's change is published straight into the database (what the teacher's click
   does), ``--changes`` times, switching the pooling page's padding; each student's tab is
   watched until its Padding radio shows the new value: publish → screen, per student.
3. A class of 40 in the store alone: 40 students join, each sends 10 drawings and answers 5
   questions; the SQLite file's size, the CPU time of those writes, and of one version poll.
4. What one following student's rerun costs the server after a change of the teacher (AppTest,
   no browser: the pooling page taking over the teacher's new padding, CPU time of this
   process): a change costs the server about a class's size times this, all in one Python
   process, so it also bounds how soon the last of 40 students can see it.
5. With ``--protocol-class``: a whole class of 40 following, as Streamlit-protocol clients
   (``bench/support/streamlit_client.py``, no browsers) joined by the link: the server's CPU
   for their polls alone, then publish → each student's screen and → the last of the 40, and
   the server CPU per change; ``--serve N`` serves them from ``python -m cnnviz.serve``.
   ``--store-only`` skips the Chromium part (1 and 2).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.support.harness import (
    context_options,
    launch_options,
    open_app_page,
    prepare_page,
    rerun_after,
    run_coroutine,
    running_app,
    start_app_server,
    start_served_app,
    wait_for_app_idle,
)
from bench.support.processes import streamlit_cpu_seconds
from bench.support.stats import percentile
from bench.support.streamlit_client import StreamlitClient, StreamlitClientError
from cnnviz.classroom import ClassroomStore
from cnnviz.classroom.teaching import FOLLOW_POLL_ENV_VAR, follow_poll_s

CLASS_OF = 40
FOLLOW_IDLE_S = 10.0  # the protocol class's polls alone are timed this long
DRAWINGS_EACH = 10
QUESTIONS = 5


def padding_is(page, value: str) -> bool:
    group = page.locator("[data-testid='stRadio']", has_text="Padding")
    option = group.locator("label", has_text=value).locator("input")
    return option.count() == 1 and option.is_checked()


def bench_class(
    folder: Path, title: str, poll_s: float | None
) -> tuple[ClassroomStore, str, str, dict[str, str]]:
    """A class in a new SQLite file in ``folder``, and a server environment on that database
    (with the follow poll ``poll_s`` if given): the store, the code, the secret, the env."""
    url = f"sqlite:///{folder / 'class.sqlite'}"
    store = ClassroomStore(url)
    code, secret = store.create_class(title)
    env = {"CNNVIZ_DATABASE_URL": url}
    if poll_s is not None:
        env[FOLLOW_POLL_ENV_VAR] = str(poll_s)
    return store, code, secret, env


def measure_server(students: int, idle_s: float, changes: int, poll_s: float | None) -> None:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as folder:
        store, code, secret, env = bench_class(Path(folder), "Bench", poll_s)
        poll = follow_poll_s(env)
        with running_app(extra_env=env) as server:
            playwright = sync_playwright().start()
            browser = playwright.chromium.launch(**launch_options())
            pages = []
            for _ in range(students):
                page = browser.new_context(**context_options()).new_page()
                prepare_page(page)
                open_app_page(page, server.url, f"/?class={code}")
                rerun_after(page, page.get_by_role("button", name="Join the class").click)
                pages.append(page)
            store.publish(code, secret, "pooling", {"padding": "valid"})
            for page in pages:
                page.wait_for_url("**/pooling**")
                wait_for_app_idle(page)
            time.sleep(3)  # let the pooling page's first runs finish

            def idle_cpu() -> float:
                before = streamlit_cpu_seconds(server.process.pid)
                time.sleep(idle_s)
                return (streamlit_cpu_seconds(server.process.pid) - before) / idle_s

            following = idle_cpu()
            for page in pages:
                toggle = page.locator("[data-testid='stSidebar']").get_by_text("Follow the teacher")
                rerun_after(page, toggle.click)
            time.sleep(2)
            exploring = idle_cpu()
            per_student = (following - exploring) / students
            print(
                f"[poll {poll:g} s] server CPU while {students} students follow: "
                f"{following * 100:.2f}% of a core; "
                f"while they explore: {exploring * 100:.2f}%; following costs "
                f"{per_student * 100:.3f}% of a core per student "
                f"({per_student * 1000:.2f} ms of CPU per second)"
            )
            for page in pages:
                toggle = page.locator("[data-testid='stSidebar']").get_by_text("Follow the teacher")
                rerun_after(page, toggle.click)
            latencies, to_rerun, rerun_s = [], [], []
            for change in range(changes):
                value = "same" if change % 2 == 0 else "valid"
                # Each tab's own clock at the publish (performance.now(), read just before it).
                clocks = [page.evaluate("performance.now()") for page in pages]
                started = time.monotonic()
                store.publish(code, secret, "pooling", {"padding": value})
                waiting = set(range(students))
                while waiting:
                    for index in sorted(waiting):
                        if padding_is(pages[index], value):
                            latencies.append(time.monotonic() - started)
                            waiting.discard(index)
                    if time.monotonic() - started > 60:
                        raise RuntimeError("a student did not follow within 60 s")
                    time.sleep(0.02)
                for page, clock in zip(pages, clocks, strict=True):
                    wait_for_app_idle(page)
                    # The full rerun the poll started: the longest run since the publish (the
                    # poll's own fragment runs take a few tens of ms).
                    log = page.evaluate("window.__cnnvizRunLog")
                    runs, begun = [], None
                    for at, _before, after in log:
                        if at < clock:
                            continue
                        if after == "running":
                            begun = at
                        elif after == "notRunning" and begun is not None:
                            runs.append((at - begun, begun))
                            begun = None
                    if runs:
                        length, begun = max(runs)
                        to_rerun.append((begun - clock) / 1000)
                        rerun_s.append(length / 1000)
            print(
                f"[poll {poll:g} s] publish → student's screen, {len(latencies)} views: median "
                f"{statistics.median(latencies):.2f} s, p95 {percentile(latencies, 0.95):.2f} s, "
                f"max {max(latencies):.2f} s"
            )
            if to_rerun:
                print(
                    f"[poll {poll:g} s] of which publish → the student's full rerun starts: "
                    f"median {statistics.median(to_rerun):.2f} s, p95 "
                    f"{percentile(to_rerun, 0.95):.2f} s; the rerun itself (as the tab sees "
                    f"it): median {statistics.median(rerun_s):.2f} s, p95 "
                    f"{percentile(rerun_s, 0.95):.2f} s ({len(rerun_s)} views)"
                )
            browser.close()
            playwright.stop()


def padding_shown(client: StreamlitClient) -> str | None:
    """The Padding radio's value on this protocol student's screen; None when it has none."""
    try:
        return client.choice("Padding")
    except StreamlitClientError:  # not on the pooling page (yet)
        return None


async def follow_with_protocol_students(
    url: str, server_pid: int, store: ClassroomStore, code: str, secret: str, changes: int
) -> tuple[list[float], list[float], list[float]]:
    """A class of protocol students joins by the link and follows; the teacher changes the
    padding ``changes`` times. Returns publish → each student's screen (s), publish → the last
    student's screen (s), and the server's CPU seconds per change."""
    students = []
    for index in range(CLASS_OF):
        client = StreamlitClient(url, name=f"student {index}", query_string=f"class={code}")
        await client.connect()
        joined = await client.click("Join the class")
        if not joined.ok:
            raise RuntimeError(f"student {index} could not join: {joined.status}")
        students.append(client)
    try:
        value = "valid"
        store.publish(code, secret, "pooling", {"padding": value})
        await wait_for_padding(students, value, time.monotonic())
        await asyncio.sleep(3)  # the pooling page's first runs are done
        idle_before = streamlit_cpu_seconds(server_pid)
        await asyncio.sleep(FOLLOW_IDLE_S)  # nothing changes: only the polls run
        polling = (streamlit_cpu_seconds(server_pid) - idle_before) / FOLLOW_IDLE_S
        print(
            f"{CLASS_OF} protocol students following, nothing changing: the server used "
            f"{polling * 100:.1f}% of a core, {polling / CLASS_OF * 1000:.2f} ms of CPU per "
            "student per second"
        )
        each, last, cpu = [], [], []
        for change in range(changes):
            value = "same" if change % 2 == 0 else "valid"
            cpu_before = streamlit_cpu_seconds(server_pid)
            started = time.monotonic()
            store.publish(code, secret, "pooling", {"padding": value})
            seen = await wait_for_padding(students, value, started)
            each.extend(seen)
            last.append(max(seen))
            await asyncio.sleep(2)  # the last reruns end; the next change starts from quiet
            cpu.append(streamlit_cpu_seconds(server_pid) - cpu_before)
        return each, last, cpu
    finally:
        for client in students:
            await client.close()


async def wait_for_padding(
    students: list[StreamlitClient], value: str, started: float
) -> list[float]:
    """Seconds from ``started`` until each student's screen shows Padding ``value``."""
    seen: dict[int, float] = {}
    while len(seen) < len(students):
        for index, client in enumerate(students):
            if index not in seen and padding_shown(client) == value:
                seen[index] = time.monotonic() - started
        if time.monotonic() - started > 60:
            raise RuntimeError(f"{len(students) - len(seen)} students did not follow in 60 s")
        await asyncio.sleep(0.01)
    return [seen[index] for index in range(len(students))]


def measure_protocol_class(changes: int, poll_s: float | None, processes: int) -> None:
    """A class of 40 following through Streamlit's protocol (no browsers): the latency a whole
    class sees, and the server CPU one change of the teacher costs it; with ``processes`` > 1
    the class is served by ``python -m cnnviz.serve`` (HAProxy, sticky sessions)."""
    with tempfile.TemporaryDirectory() as folder:
        store, code, secret, env = bench_class(Path(folder), "Forty", poll_s)
        poll = follow_poll_s(env)
        if processes > 1:
            os.environ.update(env)  # cnnviz.serve's processes inherit the bench's environment
            server = start_served_app(processes, [])
        else:
            server = start_app_server(extra_env=env)
        try:
            each, last, cpu = run_coroutine(
                follow_with_protocol_students(
                    server.url, server.process.pid, store, code, secret, changes
                ),
                timeout_s=600,
            )
        finally:
            server.stop()
        print(
            f"[poll {poll:g} s, {processes} process(es)] a class of {CLASS_OF} protocol students "
            f"following, {changes} "
            f"changes: publish → a student's screen median {statistics.median(each):.2f} s, "
            f"p95 {percentile(each, 0.95):.2f} s; → the last of the {CLASS_OF}: median "
            f"{statistics.median(last):.2f} s, max {max(last):.2f} s; server CPU per change "
            f"{statistics.median(cpu):.2f} s (median; the followers' reruns and their polls "
            f"over the change's {2:g} s of quiet after it)"
        )


def measure_class_of_40() -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "class.sqlite"
        store = ClassroomStore(f"sqlite:///{path}")
        rng = np.random.default_rng(0)
        code, secret = store.create_class("Forty")
        cpu_before = time.process_time()
        wall_before = time.perf_counter()
        students = [store.join(code, f"student {i}") for i in range(CLASS_OF)]
        for student in students:
            for k in range(DRAWINGS_EACH):
                image = (rng.random((28, 28)) > 0.8).astype(np.float32)
                store.add_drawing(code, student, k, image, predictions={"lenet": k, "alexnet": k})
        for _ in range(QUESTIONS):
            question = store.ask(code, secret, "Which?", ["a", "b", "c", "d"], 0)
            for index, student in enumerate(students):
                store.answer(code, student, question, index % 4)
        cpu = time.process_time() - cpu_before
        wall = time.perf_counter() - wall_before
        writes = CLASS_OF * (1 + DRAWINGS_EACH + QUESTIONS)
        store.dispose()
        size = sum(p.stat().st_size for p in path.parent.glob("class.sqlite*"))
        store = ClassroomStore(f"sqlite:///{path}")
        polls = 2000
        poll_before = time.process_time()
        for _ in range(polls):
            store.version(code)
        poll_cpu = (time.process_time() - poll_before) / polls
        drawings_before = time.process_time()
        store.drawings(code)
        drawings_cpu = time.process_time() - drawings_before
        print(
            f"a class of {CLASS_OF} ({CLASS_OF * DRAWINGS_EACH} drawings, {QUESTIONS} questions "
            f"answered by all): database {size / 1e6:.2f} MB; {writes} writes took {cpu:.2f} s of "
            f"CPU ({wall:.2f} s wall, {cpu / writes * 1000:.2f} ms CPU each); one version poll "
            f"{poll_cpu * 1e6:.0f} µs of CPU; reading all {CLASS_OF * DRAWINGS_EACH} drawings "
            f"{drawings_cpu * 1000:.0f} ms"
        )


def measure_follower_rerun(runs: int) -> None:
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from cnnviz import PROJECT_ROOT

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'class.sqlite'}"
        os.environ["CNNVIZ_DATABASE_URL"] = url
        st.cache_resource.clear()
        store = ClassroomStore(url)
        code, secret = store.create_class("Rerun")
        student = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=60)
        student.session_state["class_code"] = code
        student.session_state["class_student_id"] = store.join(code)
        store.publish(code, secret, "pooling", {"padding": "valid"})
        student.run()
        student.run()  # now on the pooling page, its figures built once (a class shares them)
        cpu = []
        for run in range(runs):
            value = "same" if run % 2 == 0 else "valid"
            store.publish(code, secret, "pooling", {"padding": value})
            before = time.process_time()
            student.run()
            cpu.append(time.process_time() - before)
            if student.radio(key="padding").value != value or student.exception:
                raise RuntimeError("the student did not take over the teacher's padding")
        median = statistics.median(cpu)
        print(
            f"one following student's rerun after a change (pooling page, AppTest, {runs} runs): "
            f"median {median * 1000:.0f} ms of CPU, p95 {percentile(cpu, 0.95) * 1000:.0f} ms; "
            f"a class of {CLASS_OF}: {CLASS_OF * median:.1f} s of server CPU per change"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=3)
    parser.add_argument("--idle-s", type=float, default=20.0)
    parser.add_argument("--changes", type=int, default=6)
    parser.add_argument("--poll-s", type=float, default=None, help="the server's follow poll")
    parser.add_argument("--store-only", action="store_true", help="skip the browser part")
    parser.add_argument("--reruns", type=int, default=10, help="follower reruns to time")
    parser.add_argument(
        "--protocol-class", action="store_true", help=f"a class of {CLASS_OF} protocol students"
    )
    parser.add_argument("--serve", type=int, default=1, help="the protocol class's processes")
    arguments = parser.parse_args()
    measure_class_of_40()
    if arguments.reruns > 0:
        measure_follower_rerun(arguments.reruns)
    if arguments.protocol_class:
        measure_protocol_class(arguments.changes, arguments.poll_s, arguments.serve)
    if not arguments.store_only:
        measure_server(arguments.students, arguments.idle_s, arguments.changes, arguments.poll_s)


if __name__ == "__main__":
    main()
