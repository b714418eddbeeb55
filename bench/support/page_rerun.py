"""A page's reruns timed headless with Streamlit's AppTest: the loop `bench.pool_rerun` and
`bench.conv_rerun` share.

The page runs inside a small wrapper script that stores its own duration in session state, so
three timings come back per rerun:

- "script": the page script itself, from its first line to its last;
- "script CPU": the CPU time of the thread that ran it (what the rerun costs when the machine is
  busy with other work: the wall time above then grows, this does not much);
- "AppTest": the whole AppTest rerun around it (adds the test harness' own polling).
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path
from typing import Any

from bench.support.stats import percentile

TIMINGS = ("script", "script CPU", "AppTest")
_TIMED_PAGE = """
import runpy, time
import streamlit as st
start, start_cpu = time.perf_counter(), time.thread_time()
runpy.run_path({page!r}, run_name="__main__")
st.session_state["_script_seconds"] = time.perf_counter() - start
st.session_state["_script_cpu_seconds"] = time.thread_time() - start_cpu
"""


def timed_app(page: Path, timeout_s: float = 60) -> Any:
    """An AppTest of ``page`` inside the timing wrapper, not yet run."""
    from streamlit.testing.v1 import AppTest

    return AppTest.from_string(_TIMED_PAGE.format(page=str(page)), default_timeout=timeout_s)


def time_reruns(app: Any, runs: int) -> dict[str, list[float]]:
    """Rerun ``app`` (a `timed_app`, already run and set up) ``runs`` times: ms per timing."""
    if app.exception:
        raise SystemExit(f"The page raised: {app.exception[0].message}")
    timings: dict[str, list[float]] = {name: [] for name in TIMINGS}
    for _ in range(runs):
        start = time.perf_counter()
        app.run()
        timings["AppTest"].append((time.perf_counter() - start) * 1000)
        timings["script"].append(app.session_state["_script_seconds"] * 1000)
        timings["script CPU"].append(app.session_state["_script_cpu_seconds"] * 1000)
    return timings


def print_timings(label: str, timings: dict[str, list[float]], note: str) -> float:
    """Print each timing's median and 95th percentile; return the script's p95 in ms."""
    for name in TIMINGS:
        values = timings[name]
        print(
            f"{label:32s} {name:10s} median {statistics.median(values):6.1f} ms   "
            f"p95 {percentile(values, 0.95):6.1f} ms   ({len(values)} reruns, {note})"
        )
    return percentile(timings["script"], 0.95)
