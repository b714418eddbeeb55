"""`python -m cnnviz.serve`: two Streamlit processes behind HAProxy on loopback, sticky sessions.

Two students' sessions (the load test's protocol client, which keeps cookies as a browser does)
open the app through the proxy: each lands on its own process, and both work. Then two more
connections carrying the first student's cookies (a tab reloaded twice) reach that student's
process both times: without stickiness the proxy would spread them by load. Then SIGTERM stops
the proxy and both processes. Skipped without Debian's `haproxy` (.ci/run installs it).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator

import pytest

from bench.support.harness import find_free_port, run_coroutine
from bench.support.streamlit_client import StreamlitClient
from cnnviz import PROJECT_ROOT
from cnnviz.serve import SERVER_COOKIE, is_healthy

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        shutil.which("haproxy") is None,
        reason="HAProxy is not installed (apt-get install haproxy; .ci/run installs it)",
    ),
]

SERVE_COMMAND = [sys.executable, "-m", "cnnviz.serve", "--processes", "2", "--host", "127.0.0.1"]
START_TIMEOUT_S = 240.0
TIMEOUT_S = 60.0


def active_sessions(port: int) -> int:
    """The sessions with a connected client on the Streamlit process at 127.0.0.1:port."""
    url = f"http://127.0.0.1:{port}/_stcore/metrics?families=active_sessions"
    with urllib.request.urlopen(url, timeout=10) as response:
        text = response.read().decode()
    match = re.search(r"^active_sessions(?:\{[^}]*\})?\s+(\d+)", text, re.MULTILINE)
    return int(match.group(1)) if match else 0


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[str, dict[str, int], subprocess.Popen]]:
    """The serve command on a free port: (proxy URL, backend name → port, the process)."""
    port = find_free_port()
    process = subprocess.Popen(
        [*SERVE_COMMAND, "--port", str(port), "--", "--server.fileWatcherType", "none"],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    lines: list[str] = []
    ready = threading.Event()

    def read_output() -> None:
        for line in process.stdout:
            lines.append(line)
            if "serving on" in line:
                ready.set()

    threading.Thread(target=read_output, daemon=True).start()
    try:
        if not ready.wait(START_TIMEOUT_S):
            pytest.fail("cnnviz.serve did not start:\n" + "".join(lines))
        ports = re.search(r"127\.0\.0\.1:(\d+), (\d+) behind HAProxy", "".join(lines))
        assert ports, lines
        yield f"http://127.0.0.1:{port}", {"s1": int(ports[1]), "s2": int(ports[2])}, process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


async def two_students_then_reloads(url: str, ports: dict[str, int]) -> None:
    first = StreamlitClient(url, name="first", timeout_s=TIMEOUT_S)
    second = StreamlitClient(url, name="second", timeout_s=TIMEOUT_S)
    reloads: list[StreamlitClient] = []
    try:
        for client in (first, second):
            assert (await client.connect()).ok
            opened = await client.open_page("Pooling & padding")
            assert opened.ok, opened
            assert (await client.set_value("Padding", "same")).ok
            assert client.elements("exception") == []
        homes = {client.cookies[SERVER_COOKIE] for client in (first, second)}
        assert homes == {"s1", "s2"}  # a process each
        assert {name: active_sessions(port) for name, port in ports.items()} == {"s1": 1, "s2": 1}

        home = first.cookies[SERVER_COOKIE]
        other = "s2" if home == "s1" else "s1"
        for index in range(2):  # the first student's tab, reloaded twice
            reload = StreamlitClient(
                url, name=f"reload {index}", timeout_s=TIMEOUT_S, cookies=dict(first.cookies)
            )
            reloads.append(reload)
            assert (await reload.connect()).ok
            assert reload.cookies[SERVER_COOKIE] == home
        assert active_sessions(ports[home]) == 3
        assert active_sessions(ports[other]) == 1
        # The first session still reruns on its process.
        assert (await first.set_value("Padding", "valid")).ok
        assert first.errors == [] and second.errors == []
    finally:
        for client in (first, second, *reloads):
            await client.close()


def test_two_sessions_through_the_proxy_each_stick_to_a_process(served):
    url, ports, process = served
    run_coroutine(two_students_then_reloads(url, ports), timeout_s=4 * TIMEOUT_S)
    assert process.poll() is None


def test_sigterm_stops_the_proxy_and_every_process(served):
    url, ports, process = served
    os.killpg(process.pid, signal.SIGTERM)
    assert process.wait(30) == 0
    deadline = time.monotonic() + 10
    while any(is_healthy(port, timeout_s=1) for port in ports.values()):
        assert time.monotonic() < deadline, "a Streamlit process outlived the serve command"
        time.sleep(0.2)
    assert not is_healthy(int(url.rsplit(":", 1)[1]), timeout_s=1)
