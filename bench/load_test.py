"""A classroom at once: a bounded load test of the real app on loopback.

Starts the app on a free 127.0.0.1 port (the e2e harness's launcher, with a short
``server.disconnectedSessionTTL``), then lets a class in, in waves. A wave is:

- one **trainer** session (the teacher) that opens Live training, starts LeNet-5 on MNIST (the
  "Training images" and "Epochs" inputs of the form, then "Start training"), checks that it is
  not queued behind an earlier class's training, keeps the page open while its
  ``@st.fragment(run_every=1 s)`` redraws the live charts, and when the students are done
  presses "Stop training" (odd waves) or just closes the tab (even waves: the server must stop
  that training itself when it drops the session);
- N **students** (default 20) arriving over 30 s, each visiting every page `rounds` times through
  the navigation: Home (look), Pooling & padding (switch the Padding radio), Live training (look),
  Draw a digit (draw a stroke, then read the "Prediction" metric), then staying connected until
  the whole class is done;
- K more students in **real Chromium** tabs (default 2, Playwright), doing the same, so the real
  frontend is seen working under that load; their timings are reported apart ("[chromium]").

The trainer and the N students speak Streamlit's own websocket protocol
(bench/support/streamlit_client.py) instead of driving 20 browsers: on a 2-core machine 20
Chromium tabs use more CPU than the server they measure. The server does the same work for them
as for a browser tab (see that module).

Then the wave **leaves**: every websocket is closed, the test waits out the TTL and the server
drops the sessions (a probe session's connect/disconnect makes the session store reap the
expired ones, as any later visitor's would), and the server's memory is read. The next wave is a
new class. If memory is bounded, the peak and the after-drop RSS stay level from wave to wave.

Measured: each action's rerun time (protocol sessions: from sending the request to its
script_finished; Chromium: from the click or stroke until the app is idle again), p50/p95/max per
page and action; for the trainer, each auto-rerun tick's latency and the interval between redraws
of its live charts (the server merges ticks that queue up, so the redraw interval is what a
teacher sees stall); errors (exception elements, st.error crash text, failed runs, browser console
errors, dropped sockets, an action over 60 s, live charts not redrawn for over 60 s); the
server's RSS sampled every 0.5 s (peak per wave, after each wave's sessions were dropped, VmHWM),
its active sessions (``/_stcore/metrics``), and the CPU seconds of the server, of this process
(the protocol clients) and of Chromium.

With ``--serve N`` the app is served by ``python -m cnnviz.serve --processes N`` (N Streamlit
processes behind HAProxy, sticky sessions) instead of one ``streamlit run``; the server's memory
is then the sum over its Streamlit processes, and its CPU is told apart from the training
workers' (the spawned children of a Streamlit process) and HAProxy's.

Bounded: waves × (students × rounds actions, a time limit per wave after which everything left is
cancelled) and an overall watchdog; the server is always stopped. Prints a table; writes JSON to
bench/out/ (git-ignored); exits 1 on any error.

    python -m bench.load_test                               # 20 + trainer, 3 waves, 2 Chromium
    python -m bench.load_test --students 5 --rounds 1 --waves 1 --chromium 0 --time-limit 60
    python -m bench.load_test --students 30 --chromium 2 --waves 2 --serve 2  # behind HAProxy
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import math
import os
import platform
import re
import threading
import time
import urllib.request
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench.support.harness import (
    APP_IDLE_SELECTOR,
    APP_ROOT_SELECTOR,
    NAV_LINK,
    RERUN_DONE_JS,
    RERUN_MARK_JS,
    RUN_COUNTER_SCRIPT,
    AppServer,
    browser_unavailable_reason,
    console_error_text,
    context_options,
    launch_options,
    start_app_server,
    start_served_app,
)
from bench.support.processes import (
    cpu_seconds,
    descendants,
    load_average_1m,
    peak_rss_mib,
    rss_mib,
    server_role,
    streamlit_pids,
)
from bench.support.stats import percentile
from bench.support.streamlit_client import (
    RunResult,
    StreamlitClient,
    StreamlitClientError,
    canvas_drawing,
)

PROJECT_ROOT = Path(__file__).resolve().parents[1]
OUT_DIR = PROJECT_ROOT / "bench" / "out"
DEFAULT_STUDENTS = 20
DEFAULT_CHROMIUM = 2
DEFAULT_ROUNDS = 2
# Three classes one after the other: enough to see whether memory levels off or grows per class.
DEFAULT_WAVES = 3
# Per wave: the students' work must end within this; whatever is left is cancelled (an error).
DEFAULT_TIME_LIMIT_S = 240.0
# The server keeps a closed session this long for a reconnect before it may drop it.
SESSION_TTL_S = 5
# One action (a page switch, a control, a stroke) taking longer than this counts as an error.
ACTION_TIMEOUT_S = 60.0
ACTION_TIMEOUT_MS = ACTION_TIMEOUT_S * 1000
# A class arrives "within the same minute": the session starts are spread over this many seconds.
ARRIVAL_SPREAD_S = 30.0
# How long a session "reads" a page it only looks at.
LOOK_S = 1.0
MEMORY_SAMPLE_INTERVAL_S = 0.5
SESSIONS_SAMPLE_INTERVAL_S = 2.0
# After a wave's sessions were dropped, let the server settle this long before reading its RSS.
SETTLE_S = 3.0
# The trainer's run: the LeNet-5 recipe on all of MNIST, which outlasts the students' browsing
# (about 5 s an epoch on a quiet machine, more under this load); it is stopped when they leave.
TRAIN_SUBSET = 60_000
TRAIN_EPOCHS = 5
CANVAS_COMPONENT = "streamlit_drawable_canvas"
QUEUED_TEXT = "Busy, you are next"  # what a training waiting for the server's slot shows
CHROMIUM_TAG = " [chromium]"

# Navigation label of each page, in the order a session visits them.
PAGE_LABELS = {
    "home": "Home",
    "pooling": "Pooling & padding",
    "training": "Live training",
    "draw": "Draw a digit",
}


@dataclass
class WaveReport:
    """What one wave did, and the server's memory over it (times: seconds since the start)."""

    wave: int
    started_s: float = 0.0
    sessions_closed_s: float = 0.0
    dropped_s: float = 0.0
    students_started: int = 0
    students_finished: int = 0
    peak_rss_mib: float | None = None
    rss_after_drop_mib: float | None = None
    peak_active_sessions: int | None = None
    active_sessions_after_drop: int | None = None


@dataclass
class Results:
    """Everything the sessions record; asyncio runs them on one thread, so no lock is needed."""

    timings: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    waves: list[WaveReport] = field(default_factory=list)

    def error(self, session: str, where: str, kind: str, detail: str) -> None:
        self.errors.append({"session": session, "where": where, "kind": kind, "detail": detail})

    def record(self, label: str, seconds: float) -> None:
        self.timings[label].append(seconds)


# --- memory and CPU of the server's processes (bench.support.processes) ------------------------


class MemorySampler(threading.Thread):
    """Samples the server's resident memory (VmRSS, summed over its Streamlit processes) every
    MEMORY_SAMPLE_INTERVAL_S, its active sessions every SESSIONS_SAMPLE_INTERVAL_S, and the CPU
    time of every process, to tell where the cores went: the Streamlit processes, their training
    workers, HAProxy (under cnnviz.serve), and Chromium (every other process below this one)."""

    def __init__(self, root_pid: int, base_urls: list[str]) -> None:
        super().__init__(daemon=True)
        self.root_pid = root_pid  # `streamlit run`, or `python -m cnnviz.serve`
        self.base_urls = base_urls  # each Streamlit process's own address
        self.started_at = time.monotonic()
        self.samples: list[tuple[float, float]] = []  # (seconds since start, MiB)
        self.session_samples: list[tuple[float, int]] = []  # (seconds since start, sessions)
        self.cpu_at_start: dict[int, float] = {}  # the server's processes alive at the start
        # Latest reading of each process (an exited one keeps its last), by role.
        self.cpu_by_role: dict[str, dict[int, float]] = defaultdict(dict)
        self.peak_mib_by_pid: dict[int, float] = {}  # VmHWM of each Streamlit process
        for pid in self.server_tree():
            self.cpu_at_start[pid] = cpu_seconds(pid) or 0.0
        self._stop_event = threading.Event()

    def server_tree(self) -> list[int]:
        return [self.root_pid, *descendants(self.root_pid)]

    def elapsed(self) -> float:
        """Seconds since the sampler started (the time axis of `samples`)."""
        return time.monotonic() - self.started_at

    def rss_mib(self) -> float | None:
        """The RSS summed over the Streamlit processes (one, or cnnviz.serve's backends)."""
        readings = [rss_mib(pid) for pid in streamlit_pids(self.root_pid)]
        readings = [mib for mib in readings if mib is not None]
        return sum(readings) if readings else None

    def run(self) -> None:
        while not self._stop_event.is_set():
            rss = self.rss_mib()
            if rss is not None:
                self.samples.append((time.monotonic() - self.started_at, rss))
            tree = set(self.server_tree())
            for pid in tree:
                role = server_role(pid)
                if (used := cpu_seconds(pid)) is not None:
                    self.cpu_by_role[role][pid] = used - self.cpu_at_start.get(pid, 0.0)
                if role == "server" and (peak := peak_rss_mib(pid)) is not None:
                    self.peak_mib_by_pid[pid] = peak
            for pid in descendants(os.getpid()):
                if pid not in tree and (used := cpu_seconds(pid)) is not None:
                    self.cpu_by_role["chromium"][pid] = used
            last_count = self.session_samples[-1][0] if self.session_samples else -math.inf
            if self.elapsed() - last_count >= SESSIONS_SAMPLE_INTERVAL_S:
                count = active_sessions(self.base_urls)
                if count is not None:
                    self.session_samples.append((self.elapsed(), count))
            self._stop_event.wait(MEMORY_SAMPLE_INTERVAL_S)

    def cpu_s(self, role: str) -> float:
        """CPU seconds the processes of ``role`` used since the start."""
        return sum(self.cpu_by_role.get(role, {}).values())

    def stop(self) -> None:
        self._stop_event.set()
        self.join(timeout=5)


def active_sessions(base_url: str | list[str]) -> int | None:
    """The connected sessions of the Streamlit process at ``base_url``, or summed over a list
    of them (cnnviz.serve's processes; the proxy would answer for one of them only)."""
    if isinstance(base_url, list):
        counts = [active_sessions(url) for url in base_url]
        return None if any(count is None for count in counts) else sum(counts)
    return _active_sessions_of(base_url)


def backend_urls(server: AppServer) -> list[str]:
    """The Streamlit processes' own addresses: cnnviz.serve's backends, or the one server."""
    found = re.search(r"on 127\.0\.0\.1:([\d, ]+) behind HAProxy", server.log_text(100_000))
    if found is None:
        return [server.url]
    return [f"http://127.0.0.1:{port.strip()}" for port in found[1].split(",")]


def _active_sessions_of(base_url: str) -> int | None:
    """The server's count of sessions with a connected client (GET /_stcore/metrics)."""
    url = f"{base_url}/_stcore/metrics?families=active_sessions"
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            text = response.read().decode(errors="replace")
    except OSError:
        return None
    match = re.search(r"^active_sessions(?:\{[^}]*\})?\s+(\d+)", text, re.MULTILINE)
    return int(match.group(1)) if match else None


# --- protocol sessions (bench/support/streamlit_client.py) ----------------------------------


def collect_client_errors(client: StreamlitClient, results: Results, session: str) -> None:
    for error in client.errors:
        results.error(session, error.page or "home", error.kind, error.detail)
    client.errors.clear()


def timed(results: Results, label: str, result: RunResult | None) -> None:
    """Record a run's time under `label` (failed runs are errors already, not timings)."""
    if result is not None and result.ok:
        results.record(label, result.seconds)


async def protocol_visit(
    client: StreamlitClient, name: str, round_index: int, results: Results, session: str
) -> None:
    """Open page `name` through the navigation and do what a student does there."""
    if not (name == "home" and round_index == 0):  # the first round starts on Home
        timed(results, f"{name} (open)", await client.open_page(PAGE_LABELS[name]))
    if name == "pooling":
        # The radio reruns at once. Switch to the padding not shown: Streamlit forgets a page's
        # widgets when the student leaves it, so the page may be back at its default.
        choice = "valid" if client.choice("Padding") == "same" else "same"
        timed(results, "pooling (control)", await client.set_value("Padding", choice))
    elif name == "draw":
        drawing = canvas_drawing(x_fraction=0.4 + 0.1 * (round_index % 3))
        result = await client.set_component_state(CANVAS_COMPONENT, "drawing", drawing)
        timed(results, "draw (stroke)", result)
        prediction = client.metric("Prediction")
        if result.ok and (prediction is None or not re.fullmatch(r"\d", prediction)):
            results.error(session, "draw", "no prediction", f"Prediction metric: {prediction!r}")
    else:
        await asyncio.sleep(LOOK_S)


@dataclass
class ClassRoom:
    """When each student is through their rounds, and when the whole class may leave: a student
    keeps their tab (session) open until every classmate is done, as in a lesson."""

    rounds_done: list[asyncio.Event]
    over: asyncio.Event = field(default_factory=asyncio.Event)

    async def leave(self, index: int) -> None:
        self.rounds_done[index].set()
        await self.over.wait()


async def protocol_student(
    app_url: str,
    session: str,
    arrival_s: float,
    rounds: int,
    results: Results,
    wave: WaveReport,
    room: ClassRoom,
    index: int,
) -> None:
    """One student over the protocol: open the app, visit every page `rounds` times, then stay
    until the class is over."""
    await asyncio.sleep(arrival_s)
    client = StreamlitClient(app_url, name=session, timeout_s=ACTION_TIMEOUT_S)
    wave.students_started += 1
    try:
        first = await client.connect()
        timed(results, "home (first load)", first)
        if not first.ok:
            return
        for round_index in range(rounds):
            for name in PAGE_LABELS:
                try:
                    await protocol_visit(client, name, round_index, results, session)
                except StreamlitClientError as error:  # a widget or page missing
                    results.error(session, f"{name} (round {round_index + 1})", "page", str(error))
        wave.students_finished += 1
    except Exception as error:
        results.error(session, client.page or "home", type(error).__name__, str(error)[:300])
    finally:
        await room.leave(index)
        await client.close()
        collect_client_errors(client, results, session)


async def protocol_trainer(
    app_url: str,
    session: str,
    results: Results,
    students_done: asyncio.Event,
    subset: int,
    epochs: int,
    press_stop: bool,
) -> None:
    """The teacher: starts LeNet-5 training on a subset, keeps its live fragment ticking (the
    client's auto-rerun timer, as in a browser tab). When the students are done, presses "Stop
    training" (`press_stop`) or just closes the tab: the server must then stop the orphaned
    training itself when it drops the session, or the next class's teacher waits behind it."""
    client = StreamlitClient(app_url, name=session, timeout_s=ACTION_TIMEOUT_S)
    try:
        # Through Home, as a browser does on the bare URL, then the navigation.
        await client.connect()
        timed(results, "training (open)", await client.open_page(PAGE_LABELS["training"]))
        await client.set_value("Model", "LeNet-5")  # in the form: sent on submit
        await client.set_value("Training images", subset)
        await client.set_value("Epochs", epochs)
        timed(results, "training (start)", await client.click("Start training"))
        if not client.auto_rerun_fragments:
            results.error(session, "training", "not started", " / ".join(client.texts())[:300])
        else:
            results.notes.append(
                f"{session}: LeNet-5 training started ({subset} images, {epochs} epochs)"
            )
        await client.wait_auto_reruns(2)
        if any(QUEUED_TEXT in text for text in client.texts()):
            results.error(
                session, "training", "queued", "an earlier class's training still holds the slot"
            )
        await students_done.wait()
        progress = ", ".join(e.progress.text for e in client.elements("progress"))
        stop_button = client.widget("Stop training").button
        if not press_stop and not stop_button.disabled:
            results.notes.append(f"{session}: closed the tab while training ({progress})")
        elif not stop_button.disabled:
            timed(results, "training (stop)", await client.click("Stop training"))
            results.notes.append(
                f"{session}: training still running at the end ({progress}): stopped"
            )
        else:
            results.notes.append(f"{session}: training had finished before the end ({progress})")
    except Exception as error:
        results.error(session, "training", type(error).__name__, str(error)[:300])
    finally:
        await client.close()
        record_live_fragment(client, results, session)
        collect_client_errors(client, results, session)


def record_live_fragment(client: StreamlitClient, results: Results, session: str) -> None:
    """The trainer's live charts: each tick's latency, and how often the charts really redrew.

    The browser sends a tick every second whatever happens; the server merges the ticks that
    queue up behind a running fragment run into one run. So a tick can wait up to two runs,
    and the teacher sees the charts redraw once per run: the redraw interval is what stalls
    when the server is overloaded, and a gap over the action timeout is an error.
    """
    ticks = [run for run in client.runs if run.action.startswith("auto-rerun")]
    for tick in ticks:
        results.record("training (fragment tick)", tick.seconds)
    late = sum(1 for tick in ticks if tick.seconds > ACTION_TIMEOUT_S)
    lost = sum(1 for tick in ticks if not tick.ok)
    for finishes in client.fragment_refreshes.values():
        gaps = [later - earlier for earlier, later in itertools.pairwise(finishes)]
        for gap in gaps:
            results.record("training (live chart redraw interval)", gap)
        if gaps and max(gaps) > ACTION_TIMEOUT_S:
            results.error(
                session,
                "training",
                "live chart stalled",
                f"no redraw for {max(gaps):.0f} s (over {ACTION_TIMEOUT_S:.0f} s)",
            )
    results.notes.append(
        f"{session}: {len(ticks)} fragment auto-rerun ticks, {late} answered after more than "
        f"{ACTION_TIMEOUT_S:.0f} s, {lost} never answered; "
        f"{sum(len(f) for f in client.fragment_refreshes.values())} live-chart redraws"
    )
    if lost:
        results.error(session, "training", "ticks lost", f"{lost} ticks never answered")


# --- Chromium sessions (Playwright; async twins of the harness's sync helpers) -------------------


async def wait_idle(page: Any) -> None:
    await page.wait_for_selector(APP_IDLE_SELECTOR, state="attached", timeout=ACTION_TIMEOUT_MS)


async def timed_rerun(page: Any, action: Any) -> float:
    """Await `action()`, then the end of the rerun it caused (see harness.rerun_after)."""
    mark = await page.evaluate(RERUN_MARK_JS)
    await action()
    handle = await page.wait_for_function(
        RERUN_DONE_JS, arg=mark, timeout=ACTION_TIMEOUT_MS, polling=50
    )
    return float(await handle.json_value()) / 1000


async def check_page(page: Any, results: Results, session: str, where: str) -> None:
    """Record every exception box the page shows (a traceback in front of a student)."""
    boxes = page.locator("[data-testid='stException']")
    for text in await boxes.all_inner_texts():
        results.error(session, where, "exception on page", text.strip()[:300])


async def open_by_navigation(page: Any, name: str) -> float:
    link = page.locator(NAV_LINK, has_text=PAGE_LABELS[name])
    return await timed_rerun(page, link.click)


# --- what a student does on each page ----------------------------------------------------------


async def change_pooling_control(page: Any) -> float:
    """Switch the pooling padding to the option not shown (clicking the chosen one would not
    rerun; the page may be back at its default after the student left it).

    A radio click reruns at once; a slider moved with the keyboard waits for its own debounce,
    which would be measured as server time.
    """
    padding = page.locator("[data-testid='stRadio']", has_text="Padding").first
    other = padding.locator("[data-testid='stRadioOption']:not([data-selected='true'])")
    return await timed_rerun(page, other.first.click)


async def draw_stroke(page: Any, round_index: int) -> float:
    """Draw a vertical stroke (a "1") across the canvas with the mouse."""
    canvas = page.locator("canvas.upper-canvas").first
    await canvas.scroll_into_view_if_needed()
    box = await canvas.bounding_box()
    if box is None:
        raise RuntimeError("the drawing canvas has no bounding box")
    x = box["x"] + box["width"] * (0.4 + 0.1 * (round_index % 3))
    top, bottom = box["y"] + box["height"] * 0.2, box["y"] + box["height"] * 0.8

    async def stroke() -> None:
        await page.mouse.move(x, top)
        await page.mouse.down()
        await page.mouse.move(x, bottom, steps=12)
        await page.mouse.up()

    return await timed_rerun(page, stroke)


def watch_console(page: Any, results: Results, session: str) -> None:
    """Record the browser console's errors and uncaught exceptions of `page` as errors."""

    def on_console(message: Any) -> None:
        text = console_error_text(message)
        if text is not None:
            results.error(session, page.url, "console error", text[:300])

    def on_page_error(error: Any) -> None:
        results.error(session, page.url, "page error", str(error)[:300])

    page.on("console", on_console)
    page.on("pageerror", on_page_error)


async def new_app_page(browser: Any, results: Results, session: str) -> tuple[Any, Any]:
    """A fresh context (its own Streamlit session) and page, with the run counter installed."""
    context = await browser.new_context(**context_options())
    page = await context.new_page()
    await page.add_init_script(RUN_COUNTER_SCRIPT)
    page.set_default_timeout(ACTION_TIMEOUT_MS)
    watch_console(page, results, session)
    return context, page


async def chromium_visit(page: Any, name: str, round_index: int, results: Results) -> None:
    """Open page `name` through the navigation and do what a student does there."""
    if not (name == "home" and round_index == 0):  # the first round starts on Home
        results.record(f"{name} (open){CHROMIUM_TAG}", await open_by_navigation(page, name))
    if name == "pooling":
        seconds = await change_pooling_control(page)
        results.record(f"pooling (control){CHROMIUM_TAG}", seconds)
    elif name == "draw":
        results.record(f"draw (stroke){CHROMIUM_TAG}", await draw_stroke(page, round_index))
        prediction = page.locator("[data-testid='stMetric']", has_text="Prediction").first
        await prediction.wait_for(timeout=ACTION_TIMEOUT_MS)
    else:
        await asyncio.sleep(LOOK_S)


async def chromium_student(
    browser: Any,
    app_url: str,
    session: str,
    arrival_s: float,
    rounds: int,
    results: Results,
    wave: WaveReport,
    room: ClassRoom,
    index: int,
) -> None:
    """One student in a real Chromium tab: open the app, visit every page `rounds` times, then
    stay until the class is over."""
    from playwright.async_api import TimeoutError as PlaywrightTimeoutError

    await asyncio.sleep(arrival_s)
    context, page = await new_app_page(browser, results, session)
    wave.students_started += 1
    try:
        started = time.perf_counter()
        await page.goto(app_url, wait_until="domcontentloaded")
        await page.wait_for_selector(APP_ROOT_SELECTOR, state="attached")
        await wait_idle(page)
        results.record(f"home (first load){CHROMIUM_TAG}", time.perf_counter() - started)
        for round_index in range(rounds):
            for name in PAGE_LABELS:
                where = f"{name} (round {round_index + 1})"
                try:
                    await chromium_visit(page, name, round_index, results)
                    await check_page(page, results, session, where)
                except PlaywrightTimeoutError as error:
                    run_log = await page.evaluate("JSON.stringify(window.__cnnvizRunLog)")
                    message = str(error).splitlines()[0]
                    shot = OUT_DIR / f"timeout-{session}-{name}-r{round_index + 1}.png"
                    OUT_DIR.mkdir(parents=True, exist_ok=True)
                    await page.screenshot(path=str(shot))
                    results.error(
                        session, where, "timeout", f"{message} at {page.url}; runs: {run_log}"
                    )
                except Exception as error:
                    results.error(session, where, type(error).__name__, str(error)[:300])
        wave.students_finished += 1
    except PlaywrightTimeoutError as error:
        results.error(session, "home (first load)", "timeout", str(error).splitlines()[0])
    finally:
        await room.leave(index)
        await context.close()


# --- the run -------------------------------------------------------------------------------------


async def run_wave(
    app_url: str, browser: Any, settings: dict[str, Any], results: Results, wave: WaveReport
) -> None:
    """One class: the trainer, then the students arriving; cancel what is left at the limit."""
    tag = f"w{wave.wave}"
    students_done = asyncio.Event()
    trainer_task = asyncio.create_task(
        protocol_trainer(
            app_url,
            f"{tag} trainer",
            results,
            students_done,
            settings["train_subset"],
            settings["train_epochs"],
            press_stop=wave.wave % 2 == 1,  # every other teacher just closes the tab
        )
    )
    await asyncio.sleep(2.0)  # the training starts before the class arrives
    students, chromium = settings["students"], settings["chromium"]
    room = ClassRoom(rounds_done=[asyncio.Event() for _ in range(students + chromium)])
    tasks = [
        asyncio.create_task(
            protocol_student(
                app_url,
                f"{tag} s{index}",
                ARRIVAL_SPREAD_S * index / max(students, 1),
                settings["rounds"],
                results,
                wave,
                room,
                index,
            )
        )
        for index in range(students)
    ]
    tasks += [
        asyncio.create_task(
            chromium_student(
                browser,
                app_url,
                f"{tag} c{index}",
                ARRIVAL_SPREAD_S * (index + 0.5) / chromium,
                settings["rounds"],
                results,
                wave,
                room,
                students + index,
            )
        )
        for index in range(chromium)
    ]
    all_done = asyncio.gather(*(event.wait() for event in room.rounds_done))
    try:
        await asyncio.wait_for(all_done, timeout=settings["time_limit_s"])
    except TimeoutError:
        late = sum(1 for event in room.rounds_done if not event.is_set())
        for task, event in zip(tasks, room.rounds_done, strict=True):
            if not event.is_set():
                task.cancel()
        limit_s = settings["time_limit_s"]
        results.error(tag, "load test", "time limit", f"{late} sessions cut off at {limit_s} s")
    room.over.set()  # the lesson ends: every tab closes
    await asyncio.gather(*tasks, return_exceptions=True)
    for task in tasks:
        if task.done() and not task.cancelled() and task.exception() is not None:
            error = task.exception()
            results.error(tag, "session", type(error).__name__, str(error)[:300])
    students_done.set()
    try:
        await asyncio.wait_for(trainer_task, timeout=ACTION_TIMEOUT_S + 10)
    except TimeoutError:
        results.error(f"{tag} trainer", "training", "timeout", "the trainer did not end")


async def wait_until_dropped(app_url: str, results: Results, wave: WaveReport) -> None:
    """Wait out the disconnected-session TTL, then let one probe session come and go.

    Streamlit keeps a closed session for `server.disconnectedSessionTTL` seconds (for a
    reconnect) in a TTL cache that removes expired entries on its next write; the probe's
    disconnect is that write, as the next visitor's would be. Then the dropped sessions'
    memory (session state, a training job and its model) can be freed.
    """
    await asyncio.sleep(SESSION_TTL_S + 1.0)
    probe = StreamlitClient(app_url, name=f"w{wave.wave} probe", timeout_s=ACTION_TIMEOUT_S)
    try:
        await probe.connect()
    finally:
        await probe.close()
        collect_client_errors(probe, results, probe.name)
    await asyncio.sleep(SETTLE_S)


async def drive(server: AppServer, settings: dict[str, Any], sampler: MemorySampler) -> Results:
    """Run the waves one after the other; Chromium (when asked for) is launched once."""
    results = Results()
    async with contextlib.AsyncExitStack() as stack:
        browser = None
        if settings["chromium"]:
            from playwright.async_api import async_playwright

            playwright = await stack.enter_async_context(async_playwright())
            browser = await playwright.chromium.launch(**launch_options())
            stack.push_async_callback(browser.close)
        for index in range(1, settings["waves"] + 1):
            wave = WaveReport(wave=index, started_s=sampler.elapsed())
            results.waves.append(wave)
            await run_wave(server.url, browser, settings, results, wave)
            wave.sessions_closed_s = sampler.elapsed()
            await wait_until_dropped(server.url, results, wave)
            wave.dropped_s = sampler.elapsed()
            rss = sampler.rss_mib()
            wave.rss_after_drop_mib = round(rss, 1) if rss else None
            wave.active_sessions_after_drop = await asyncio.to_thread(
                active_sessions, backend_urls(server)
            )
            peaks = [mib for t, mib in sampler.samples if wave.started_s <= t <= wave.dropped_s]
            wave.peak_rss_mib = round(max(peaks), 1) if peaks else None
            counts = [
                n for t, n in sampler.session_samples if wave.started_s <= t <= wave.dropped_s
            ]
            wave.peak_active_sessions = max(counts) if counts else None
    return results


def summarise(
    results: Results,
    sampler: MemorySampler,
    server: AppServer,
    settings: dict[str, Any],
    wall_s: float,
    client_cpu_s: float,
) -> dict[str, Any]:
    per_action = {}
    # Protocol rows first, each followed by its Chromium twin.
    for action in sorted(results.timings, key=lambda a: (a.replace(CHROMIUM_TAG, ""), a)):
        values = results.timings[action]
        if not values:  # every attempt failed: the errors say why
            continue
        per_action[action] = {
            "count": len(values),
            "p50_s": round(percentile(values, 0.50), 3),
            "p95_s": round(percentile(values, 0.95), 3),
            "max_s": round(max(values), 3),
        }
    rss_values = [mib for _, mib in sampler.samples]
    # One process: its VmHWM. Several: the sum of their peaks (not all at the same moment).
    peak_mib = sum(sampler.peak_mib_by_pid.values()) or (max(rss_values) if rss_values else 0)
    return {
        "settings": settings,
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "wall_s": round(wall_s, 1),
        "waves": [asdict(wave) for wave in results.waves],
        "errors": len(results.errors),
        "error_list": results.errors,
        "notes": results.notes,
        "rerun_seconds": per_action,
        "cpu_seconds": {
            "server": round(sampler.cpu_s("server"), 1),
            "server_processes": len(sampler.peak_mib_by_pid),
            "training_workers": round(sampler.cpu_s("worker"), 1),
            "proxy": round(sampler.cpu_s("proxy"), 1),
            "protocol_clients": round(client_cpu_s, 1),
            "chromium": round(sampler.cpu_s("chromium"), 1),
            "available": round(wall_s * (os.cpu_count() or 1), 1),
            "load_average_1m_at_end": round(load_average_1m(), 2),
        },
        "server_memory": {
            "peak_rss_mib": round(peak_mib, 1),
            "rss_at_start_mib": round(rss_values[0], 1) if rss_values else None,
            "samples_s_mib": [(round(t, 1), round(mib, 1)) for t, mib in sampler.samples],
            "active_sessions_samples": sampler.session_samples,
        },
    }


def print_summary(summary: dict[str, Any]) -> None:
    settings = summary["settings"]
    print()
    print(
        f"{settings['waves']} wave(s) of {settings['students']} protocol students + 1 protocol "
        f"trainer + {settings['chromium']} Chromium students, {settings['rounds']} rounds each; "
        f"wall {summary['wall_s']} s"
    )
    for wave in summary["waves"]:
        print(
            f"  wave {wave['wave']}: {wave['students_finished']}/{wave['students_started']} "
            f"students finished; active sessions on the server: peak "
            f"{wave['peak_active_sessions']}, after the wave was dropped "
            f"{wave['active_sessions_after_drop']}"
        )
    print(f"{'page (action)':<36}{'n':>5}{'p50 s':>9}{'p95 s':>9}{'max s':>9}")
    for action, row in summary["rerun_seconds"].items():
        print(
            f"{action:<36}{row['count']:>5}{row['p50_s']:>9.3f}{row['p95_s']:>9.3f}"
            f"{row['max_s']:>9.3f}"
        )
    memory = summary["server_memory"]
    print(f"server memory: RSS at start {memory['rss_at_start_mib']} MiB")
    for wave in summary["waves"]:
        print(
            f"  wave {wave['wave']}: peak RSS {wave['peak_rss_mib']} MiB, after its sessions "
            f"were dropped {wave['rss_after_drop_mib']} MiB"
        )
    print(
        f"  peak over the run (VmHWM, summed over the Streamlit processes) "
        f"{memory['peak_rss_mib']} MiB"
    )
    cpu = summary["cpu_seconds"]
    print(
        f"CPU seconds: server {cpu['server']} ({cpu['server_processes']} Streamlit process(es)), "
        f"training workers {cpu['training_workers']}, HAProxy {cpu['proxy']}, protocol clients "
        f"(this process) {cpu['protocol_clients']}, Chromium + Playwright driver "
        f"{cpu['chromium']}, of {cpu['available']} available; load average at the end "
        f"{cpu['load_average_1m_at_end']}"
    )
    print(f"errors: {summary['errors']}")
    for error in summary["error_list"][:20]:
        print(f"  {error['session']} {error['where']}: {error['kind']}: {error['detail']}")
    if summary["errors"] > 20:
        print(f"  … and {summary['errors'] - 20} more (see the JSON)")
    for note in summary["notes"]:
        print(f"note: {note}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--students", "--sessions", type=int, default=DEFAULT_STUDENTS, dest="students"
    )
    parser.add_argument("--chromium", type=int, default=DEFAULT_CHROMIUM, metavar="K")
    parser.add_argument("--rounds", type=int, default=DEFAULT_ROUNDS)
    parser.add_argument("--waves", type=int, default=DEFAULT_WAVES, metavar="N")
    parser.add_argument(
        "--time-limit", type=float, default=DEFAULT_TIME_LIMIT_S, metavar="S", help="per wave"
    )
    parser.add_argument("--train-subset", type=int, default=TRAIN_SUBSET, metavar="N")
    parser.add_argument("--train-epochs", type=int, default=TRAIN_EPOCHS, metavar="N")
    parser.add_argument(
        "--serve",
        type=int,
        default=0,
        metavar="N",
        help="serve the app with `python -m cnnviz.serve --processes N` (HAProxy in front)",
    )
    parser.add_argument("--out", type=Path, default=None, help="JSON path (default bench/out/)")
    args = parser.parse_args(argv)
    if not 0 <= args.students <= 50:
        parser.error("--students must be between 0 and 50 (this is a bounded test)")
    if not 0 <= args.chromium <= 25:
        parser.error("--chromium must be between 0 and 25")
    if not 1 <= args.rounds <= 10:
        parser.error("--rounds must be between 1 and 10")
    if not 1 <= args.waves <= 10:
        parser.error("--waves must be between 1 and 10")
    if not 0 <= args.serve <= 8:
        parser.error("--serve must be between 0 (one plain Streamlit process) and 8")
    if not 30 <= args.time_limit <= 900:
        parser.error("--time-limit must be between 30 and 900 s")
    if args.chromium:
        reason = browser_unavailable_reason()
        if reason is not None:
            print(f"cannot run the Chromium sessions: {reason} (or pass --chromium 0)")
            return 2

    settings = {
        "students": args.students,
        "chromium": args.chromium,
        "rounds": args.rounds,
        "waves": args.waves,
        "time_limit_s": args.time_limit,
        "train_subset": args.train_subset,
        "train_epochs": args.train_epochs,
        "action_timeout_s": ACTION_TIMEOUT_S,
        "session_ttl_s": SESSION_TTL_S,
        "serve_processes": args.serve,
    }
    # Everything ends by then even if a wave hangs in a way the per-wave limits do not catch.
    watchdog_s = args.waves * (args.time_limit + 2 * ACTION_TIMEOUT_S + 30) + 60
    streamlit_args = ["--server.disconnectedSessionTTL", str(SESSION_TTL_S)]
    if args.serve:
        server = start_served_app(args.serve, streamlit_args)
    else:
        server = start_app_server(extra_args=streamlit_args)
    print(f"app on {server.url} (pid {server.process.pid}, log {server.log_path})")
    sampler = MemorySampler(server.process.pid, backend_urls(server))
    sampler.start()
    started, cpu_started = time.monotonic(), time.process_time()
    try:
        results = asyncio.run(asyncio.wait_for(drive(server, settings, sampler), watchdog_s))
        wall_s = time.monotonic() - started
        client_cpu_s = time.process_time() - cpu_started
        sampler.stop()
        summary = summarise(results, sampler, server, settings, wall_s, client_cpu_s)
    finally:
        sampler.stop()
        server.stop()

    print_summary(summary)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    out_path = args.out or OUT_DIR / f"load_test-{time.strftime('%Y%m%dT%H%M%S')}.json"
    out_path.write_text(json.dumps(summary, indent=2))
    print(f"JSON: {out_path}")
    return 0 if summary["errors"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
