"""A classroom at once: a bounded load test of the real app on loopback.

Starts the app on a free 127.0.0.1 port (the e2e harness's launcher), then drives N concurrent
browser sessions (one headless Chromium, one context each, Playwright's async API). Every session
opens the app and, for a few rounds, visits each page through the navigation: Home (look),
Pooling & padding (switch the padding), Live training (look), Draw a digit (draw a stroke). One more
session starts training LeNet-5 on a small subset on the Live training page while the others
browse, and stops it at the end.

Measured: each interaction's rerun time (from the click or stroke until the app is idle again
after the rerun it caused), p50/p95/max per page and action; errors (exception boxes on the page,
browser console errors, timeouts); the peak resident memory of the Streamlit server process
(/proc VmHWM, plus sampled VmRSS over the run) and its memory after the sessions have closed.

Bounded: sessions × rounds actions, and an overall time limit after which everything is cancelled
and the server stopped. Prints a table; writes JSON to bench/out/ (git-ignored).

    python bench/load_test.py                    # 20 sessions × 2 rounds, 300 s limit
    python bench/load_test.py --sessions 5 --rounds 1 --time-limit 120
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import platform
import statistics
import sys
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_ROOT / "tests" / "e2e"))

from harness import (  # noqa: E402 (the harness lives with the e2e tests)
    APP_IDLE_SELECTOR,
    APP_ROOT_SELECTOR,
    RERUN_DONE_JS,
    RERUN_MARK_JS,
    RUN_COUNTER_SCRIPT,
    AppServer,
    browser_unavailable_reason,
    console_error_text,
    context_options,
    launch_options,
    start_app_server,
)

OUT_DIR = PROJECT_ROOT / "bench" / "out"
DEFAULT_SESSIONS = 20
DEFAULT_ROUNDS = 2
DEFAULT_TIME_LIMIT_S = 300.0
# One action (a page switch, a control, a stroke) taking longer than this counts as an error.
ACTION_TIMEOUT_MS = 60_000
# A class arrives "within the same minute": the session starts are spread over this many seconds.
ARRIVAL_SPREAD_S = 30.0
# How long a session "reads" a page it only looks at.
LOOK_S = 1.0
MEMORY_SAMPLE_INTERVAL_S = 0.5
# The trainer's run: LeNet-5 on a small subset, long enough to train throughout the browsing
# (about 5 s an epoch on a quiet machine, several times that under this load), but bounded.
TRAIN_SUBSET = 10_000
TRAIN_EPOCHS = 5
NAV_LINK = "[data-testid='stSidebarNav'] [data-testid='stSidebarNavLink']"

# Navigation label of each page, in the order a session visits them.
PAGE_LABELS = {
    "home": "Home",
    "pooling": "Pooling & padding",
    "training": "Live training",
    "draw": "Draw a digit",
}


@dataclass
class Results:
    """Everything the sessions record; asyncio runs them on one thread, so no lock is needed."""

    timings: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    sessions_started: int = 0
    sessions_finished: int = 0

    def error(self, session: int, where: str, kind: str, detail: str) -> None:
        self.errors.append({"session": session, "where": where, "kind": kind, "detail": detail})


# --- memory of the server process -------------------------------------------------------------


def read_status_kib(pid: int, key: str) -> int | None:
    """A "VmRSS:"-style line of /proc/PID/status, in KiB (None once the process is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{key}:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds a process has used so far (None once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime


def descendants(root_pid: int) -> list[int]:
    """Every live process below `root_pid` (here: the Playwright driver and Chromium)."""
    children: dict[int, list[int]] = defaultdict(list)
    for stat_path in Path("/proc").glob("[0-9]*/stat"):
        try:
            after_name = stat_path.read_text().rsplit(")", 1)[1].split()
            children[int(after_name[1])].append(int(stat_path.parent.name))
        except (OSError, IndexError, ValueError):
            continue
    found, queue = [], [root_pid]
    while queue:
        for child in children.get(queue.pop(), []):
            found.append(child)
            queue.append(child)
    return found


class MemorySampler(threading.Thread):
    """Samples the server's resident memory (VmRSS) every MEMORY_SAMPLE_INTERVAL_S, and the CPU
    time of the server and of the browser side, to tell where the two cores went."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.started_at = time.monotonic()
        self.samples: list[tuple[float, int]] = []  # (seconds since start, KiB)
        self.server_cpu_at_start = cpu_seconds(pid) or 0.0
        self.server_cpu_s = 0.0
        self.browser_cpu_by_pid: dict[int, float] = {}  # latest reading of each browser process
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            rss_kib = read_status_kib(self.pid, "VmRSS")
            if rss_kib is not None:
                self.samples.append((time.monotonic() - self.started_at, rss_kib))
            server_cpu = cpu_seconds(self.pid)
            if server_cpu is not None:
                self.server_cpu_s = server_cpu - self.server_cpu_at_start
            for pid in descendants(os.getpid()):
                if pid != self.pid and (used := cpu_seconds(pid)) is not None:
                    self.browser_cpu_by_pid[pid] = used
            self._stop_event.wait(MEMORY_SAMPLE_INTERVAL_S)

    def stop(self) -> None:
        self._stop_event.set()
        self.join(timeout=5)


# --- waiting for Streamlit (async twins of the harness's sync helpers) ------------------------


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


async def check_page(page: Any, results: Results, session: int, where: str) -> None:
    """Record every exception box the page shows (a traceback in front of a student)."""
    boxes = page.locator("[data-testid='stException']")
    for text in await boxes.all_inner_texts():
        results.error(session, where, "exception on page", text.strip()[:300])


async def open_by_navigation(page: Any, name: str) -> float:
    link = page.locator(NAV_LINK, has_text=PAGE_LABELS[name])
    return await timed_rerun(page, link.click)


# --- what a student does on each page ----------------------------------------------------------


async def change_pooling_control(page: Any, round_index: int) -> float:
    """Switch the pooling padding (valid → same in odd rounds, back in even ones).

    A radio click reruns at once; a slider moved with the keyboard waits for its own debounce,
    which would be measured as server time.
    """
    padding = page.locator("[data-testid='stRadio']", has_text="Padding").first
    choice = padding.locator("label", has_text="same" if round_index % 2 == 0 else "valid")
    return await timed_rerun(page, choice.click)


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


def watch_console(page: Any, results: Results, session: int) -> None:
    """Record the browser console's errors and uncaught exceptions of `page` as errors."""

    def on_console(message: Any) -> None:
        text = console_error_text(message)
        if text is not None:
            results.error(session, page.url, "console error", text[:300])

    def on_page_error(error: Any) -> None:
        results.error(session, page.url, "page error", str(error)[:300])

    page.on("console", on_console)
    page.on("pageerror", on_page_error)


async def new_app_page(browser: Any, results: Results, session: int) -> tuple[Any, Any]:
    """A fresh context (its own Streamlit session) and page, with the run counter installed."""
    context = await browser.new_context(**context_options())
    page = await context.new_page()
    await page.add_init_script(RUN_COUNTER_SCRIPT)
    page.set_default_timeout(ACTION_TIMEOUT_MS)
    watch_console(page, results, session)
    return context, page


async def visit(page: Any, name: str, round_index: int, results: Results) -> None:
    """Open page `name` through the navigation and do what a student does there."""
    if not (name == "home" and round_index == 0):  # the first round starts on Home
        results.timings[f"{name} (open)"].append(await open_by_navigation(page, name))
    if name == "pooling":
        results.timings["pooling (control)"].append(await change_pooling_control(page, round_index))
    elif name == "draw":
        results.timings["draw (stroke)"].append(await draw_stroke(page, round_index))
    else:
        await asyncio.sleep(LOOK_S)


async def student(
    browser: Any, app_url: str, session: int, sessions: int, rounds: int, results: Results
) -> None:
    """One student: open the app, then visit every page `rounds` times."""
    from playwright.async_api import TimeoutError as PlaywrightTimeoutError

    await asyncio.sleep(ARRIVAL_SPREAD_S * session / sessions)
    context, page = await new_app_page(browser, results, session)
    results.sessions_started += 1
    try:
        started = time.perf_counter()
        await page.goto(app_url, wait_until="domcontentloaded")
        await page.wait_for_selector(APP_ROOT_SELECTOR, state="attached")
        await wait_idle(page)
        results.timings["home (first load)"].append(time.perf_counter() - started)
        for round_index in range(rounds):
            for name in PAGE_LABELS:
                where = f"{name} (round {round_index + 1})"
                try:
                    await visit(page, name, round_index, results)
                    await check_page(page, results, session, where)
                except PlaywrightTimeoutError as error:
                    run_log = await page.evaluate("JSON.stringify(window.__cnnvizRunLog)")
                    message = str(error).splitlines()[0]
                    shot = OUT_DIR / f"timeout-s{session}-{name}-r{round_index + 1}.png"
                    OUT_DIR.mkdir(parents=True, exist_ok=True)
                    await page.screenshot(path=str(shot))
                    results.error(
                        session, where, "timeout", f"{message} at {page.url}; runs: {run_log}"
                    )
                except Exception as error:
                    results.error(session, where, type(error).__name__, str(error)[:300])
        results.sessions_finished += 1
    except PlaywrightTimeoutError as error:
        results.error(session, "home (first load)", "timeout", str(error).splitlines()[0])
    finally:
        await context.close()


async def trainer(
    browser: Any,
    app_url: str,
    results: Results,
    done: asyncio.Event,
    subset: int,
    epochs: int,
) -> None:
    """The teacher: starts training LeNet-5 on a small subset, keeps the page open, stops it."""
    from playwright.async_api import TimeoutError as PlaywrightTimeoutError

    context, page = await new_app_page(browser, results, -1)
    try:
        # Through Home, as students arrive: a fresh server's first deep link runs in legacy mode.
        await page.goto(app_url, wait_until="domcontentloaded")
        await wait_idle(page)
        await open_by_navigation(page, "training")
        await start_training(page, subset, epochs)
        results.notes.append(
            f"trainer: LeNet-5 training started ({subset} images, {epochs} epochs)"
        )
        await done.wait()
        status = await stop_training(page)
        results.notes.append(f"trainer: {status}")
        await check_page(page, results, -1, "training (trainer)")
    except PlaywrightTimeoutError as error:
        results.error(-1, "training (trainer)", "timeout", str(error).splitlines()[0])
    except Exception as error:
        results.error(-1, "training (trainer)", type(error).__name__, str(error)[:300])
    finally:
        await context.close()


async def start_training(page: Any, subset: int, epochs: int) -> None:
    """On the Live training page: LeNet-5 (the default), `subset` images, `epochs`, Start."""
    await page.get_by_role("radio", name="LeNet-5").check()
    # Tab, not Enter: Enter inside a Streamlit form submits it.
    await page.get_by_label("Training images").fill(str(subset))
    await page.get_by_label("Training images").press("Tab")
    await page.get_by_label("Epochs").fill(str(epochs))
    await page.get_by_label("Epochs").press("Tab")
    await timed_rerun(page, page.get_by_role("button", name="Start training").click)
    stop_button = page.get_by_role("button", name="Stop training")
    await page.wait_for_function(
        "() => [...document.querySelectorAll('button')].some("
        "(b) => b.innerText.trim() === 'Stop training' && !b.disabled)",
        timeout=ACTION_TIMEOUT_MS,
    )
    if not await stop_button.is_enabled():
        raise RuntimeError("training did not start: Stop training stays disabled")


async def stop_training(page: Any) -> str:
    """Press "Stop training" if the run is still going; say how far it got."""
    progress = page.locator("[data-testid='stProgress']").first
    progress_text = (await progress.inner_text()).strip() if await progress.count() else "?"
    stop_button = page.get_by_role("button", name="Stop training")
    if await stop_button.is_enabled():
        await stop_button.click()
        return f"training still running at the end ({progress_text}); stopped"
    return f"training had finished before the end ({progress_text})"


# --- the run -------------------------------------------------------------------------------------


async def drive(app_url: str, settings: dict[str, Any]) -> Results:
    """Run the trainer and the students; cancel whatever is left at the time limit."""
    from playwright.async_api import async_playwright

    results = Results()
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(**launch_options())
        students_done = asyncio.Event()
        sessions, rounds = settings["sessions"], settings["rounds"]
        time_limit_s = settings["time_limit_s"]
        trainer_task = asyncio.create_task(
            trainer(
                browser,
                app_url,
                results,
                students_done,
                settings["train_subset"],
                settings["train_epochs"],
            )
        )
        await asyncio.sleep(2.0)  # the training starts before the class arrives
        student_tasks = [
            asyncio.create_task(student(browser, app_url, session, sessions, rounds, results))
            for session in range(sessions)
        ]
        _, pending = await asyncio.wait(student_tasks, timeout=time_limit_s)
        for task in pending:
            task.cancel()
        if pending:
            results.error(
                -1,
                "load test",
                "time limit",
                f"{len(pending)} sessions cut off at {time_limit_s} s",
            )
        for task in student_tasks:
            if task.done() and not task.cancelled() and task.exception() is not None:
                error = task.exception()
                results.error(-1, "session", type(error).__name__, str(error)[:300])
        students_done.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(trainer_task, timeout=60)
        await asyncio.gather(*pending, return_exceptions=True)
        await browser.close()
    return results


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile (no interpolation), as load-test tools report it."""
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def summarise(
    results: Results,
    sampler: MemorySampler,
    server: AppServer,
    settings: dict[str, Any],
    wall_s: float,
    rss_after_close_kib: int | None,
) -> dict[str, Any]:
    per_action = {}
    for action, values in sorted(results.timings.items()):
        if not values:  # every attempt failed: the errors say why
            continue
        per_action[action] = {
            "count": len(values),
            "p50_s": round(statistics.median(values), 3),
            "p95_s": round(percentile(values, 0.95), 3),
            "max_s": round(max(values), 3),
        }
    rss_values = [kib for _, kib in sampler.samples]
    peak_kib = read_status_kib(server.process.pid, "VmHWM") or (
        max(rss_values) if rss_values else 0
    )
    return {
        "settings": settings,
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "wall_s": round(wall_s, 1),
        "sessions_started": results.sessions_started,
        "sessions_finished": results.sessions_finished,
        "errors": len(results.errors),
        "error_list": results.errors,
        "notes": results.notes,
        "rerun_seconds": per_action,
        "cpu_seconds": {
            "server": round(sampler.server_cpu_s, 1),
            "browser": round(sum(sampler.browser_cpu_by_pid.values()), 1),
            "available": round(wall_s * (os.cpu_count() or 1), 1),
            "load_average_1m_at_end": round(os.getloadavg()[0], 2),
        },
        "server_memory": {
            "peak_rss_mib": round(peak_kib / 1024, 1),
            "rss_at_start_mib": round(rss_values[0] / 1024, 1) if rss_values else None,
            "rss_after_sessions_closed_mib": (
                round(rss_after_close_kib / 1024, 1) if rss_after_close_kib else None
            ),
            "samples_s_mib": [(round(t, 1), round(kib / 1024, 1)) for t, kib in sampler.samples],
        },
    }


def print_summary(summary: dict[str, Any]) -> None:
    print()
    print(
        f"sessions: {summary['sessions_finished']}/{summary['sessions_started']} finished "
        f"({summary['settings']['sessions']} students + 1 trainer), "
        f"rounds: {summary['settings']['rounds']}, wall: {summary['wall_s']} s"
    )
    print(f"{'page (action)':<24}{'n':>5}{'p50 s':>9}{'p95 s':>9}{'max s':>9}")
    for action, row in summary["rerun_seconds"].items():
        print(
            f"{action:<24}{row['count']:>5}{row['p50_s']:>9.3f}{row['p95_s']:>9.3f}{row['max_s']:>9.3f}"
        )
    memory = summary["server_memory"]
    print(
        f"server memory: peak RSS {memory['peak_rss_mib']} MiB, at start "
        f"{memory['rss_at_start_mib']} MiB, after the sessions closed "
        f"{memory['rss_after_sessions_closed_mib']} MiB"
    )
    cpu = summary["cpu_seconds"]
    print(
        f"CPU seconds: server {cpu['server']}, browser (Chromium + driver) {cpu['browser']}, "
        f"of {cpu['available']} available; load average at the end {cpu['load_average_1m_at_end']}"
    )
    print(f"errors: {summary['errors']}")
    for error in summary["error_list"][:20]:
        print(f"  session {error['session']} {error['where']}: {error['kind']}: {error['detail']}")
    for note in summary["notes"]:
        print(f"note: {note}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=DEFAULT_SESSIONS)
    parser.add_argument("--rounds", type=int, default=DEFAULT_ROUNDS)
    parser.add_argument("--time-limit", type=float, default=DEFAULT_TIME_LIMIT_S, metavar="S")
    parser.add_argument("--train-subset", type=int, default=TRAIN_SUBSET, metavar="N")
    parser.add_argument("--train-epochs", type=int, default=TRAIN_EPOCHS, metavar="N")
    parser.add_argument("--out", type=Path, default=None, help="JSON path (default bench/out/)")
    args = parser.parse_args(argv)
    if not 1 <= args.sessions <= 50:
        parser.error("--sessions must be between 1 and 50 (this is a bounded test)")
    if not 1 <= args.rounds <= 10:
        parser.error("--rounds must be between 1 and 10")
    if not 10 <= args.time_limit <= 900:
        parser.error("--time-limit must be between 10 and 900 seconds")
    reason = browser_unavailable_reason()
    if reason is not None:
        print(f"cannot run the load test: {reason}", file=sys.stderr)
        return 2

    settings = {
        "sessions": args.sessions,
        "rounds": args.rounds,
        "time_limit_s": args.time_limit,
        "train_subset": args.train_subset,
        "train_epochs": args.train_epochs,
        "action_timeout_s": ACTION_TIMEOUT_MS / 1000,
    }
    server = start_app_server()
    print(f"app on {server.url} (pid {server.process.pid}, log {server.log_path})")
    sampler = MemorySampler(server.process.pid)
    sampler.start()
    started = time.monotonic()
    try:
        results = asyncio.run(drive(server.url, settings))
        wall_s = time.monotonic() - started
        time.sleep(5.0)  # let the server drop the closed sessions
        rss_after_close_kib = read_status_kib(server.process.pid, "VmRSS")
        sampler.stop()
        summary = summarise(results, sampler, server, settings, wall_s, rss_after_close_kib)
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
