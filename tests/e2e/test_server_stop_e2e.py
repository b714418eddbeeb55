"""Ctrl-C and SIGTERM stop the server and its training workers, quietly.

A teacher starts ``streamlit run app.py`` in a terminal, often as ``... 2>&1 | tee log``, and
ends the lesson with Ctrl-C: the terminal sends SIGINT to the whole process group (the server,
its training workers and ``tee``) at once. The server must then stop within seconds, with its
workers, and print no traceback, even when the pipe it writes to has lost its reader (``tee``
went first: Streamlit's "Stopping..." must not fail on it). SIGTERM to the server alone (a
service manager's stop) must do the same.

Each test starts its own server in a new session with a training under way (a worker exists),
then signals it. Speaks Streamlit's protocol (bench/support/streamlit_client.py); no Chromium.
"""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from bench.support.harness import (
    AppServer,
    app_environment,
    find_free_port,
    run_coroutine,
    wait_for_health,
)
from bench.support.streamlit_client import StreamlitClient
from cnnviz import PROJECT_ROOT

pytestmark = pytest.mark.e2e

START_TIMEOUT_S = 120.0
STOP_TIMEOUT_S = 10.0  # "within a few seconds", on a loaded two-core machine
QUIET_FORBIDDEN = ("Traceback", "KeyboardInterrupt", "Exception in callback")


def streamlit_command(port: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        "app.py",
        "--server.headless",
        "true",
        "--server.address",
        "127.0.0.1",
        "--server.port",
        str(port),
        "--browser.gatherUsageStats",
        "false",
        "--server.fileWatcherType",
        "none",
    ]


def group_members(group: int) -> list[int]:
    """The live (not zombie) processes of a process group, read from /proc."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        state, process_group = fields[0], int(fields[2])
        if process_group == group and state != "Z":
            members.append(int(entry.name))
    return members


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def server_pid(group: int) -> int:
    for pid in group_members(group):
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"streamlit" in command and b"run" in command:
            return pid
    raise AssertionError(f"no streamlit process in group {group}")


@contextmanager
def server_in_own_group(*, through_tee: bool) -> Iterator[tuple[subprocess.Popen, Path, int]]:
    """The app in a new session, writing to ``log`` directly or through ``| tee log``.

    Yields the leader process, the log and the port; whatever is left of the group at the end
    is killed, so a failing test leaves no server behind.
    """
    port = find_free_port()
    log = Path(tempfile.mkstemp(prefix=f"cnnviz-stop-{port}-", suffix=".log")[1])
    command = streamlit_command(port)
    if through_tee:
        # As a teacher types it; bash leads the group, as a terminal's shell would.
        line = f"{shlex.join(command)} 2>&1 | tee {shlex.quote(str(log))} >/dev/null"
        leader = subprocess.Popen(
            ["bash", "-c", line],
            cwd=PROJECT_ROOT,
            env=app_environment(),
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        output = None
    else:
        output = log.open("wb")
        leader = subprocess.Popen(
            command,
            cwd=PROJECT_ROOT,
            env=app_environment(),
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield leader, log, port
    finally:
        if group_members(leader.pid):
            os.killpg(leader.pid, signal.SIGKILL)
        leader.wait(timeout=STOP_TIMEOUT_S)
        if output is not None:
            output.close()


async def open_training(url: str, *, start: bool) -> None:
    """Open Live training (its first visit warms a spare worker), and maybe start a run long
    enough to be under way when the signal comes."""
    client = StreamlitClient(url, name="teacher", timeout_s=START_TIMEOUT_S)
    await client.connect()
    try:
        await client.open_page("Live training")
        if start:
            await client.set_value("Epochs", 20)
            started = await client.click("Start training")
            assert started.status == "success", started
            await client.wait_auto_reruns(2)  # the live charts tick: the worker is training
    finally:
        await client.close()


def training_workers(server: int) -> list[int]:
    """The server's worker processes (spawned; its resource tracker is not one)."""
    workers = []
    for pid in children_of(server):
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if b"spawn_main" in command:
            workers.append(pid)
    return workers


def serve(leader: subprocess.Popen, log: Path, port: int, *, training: bool) -> int:
    """Wait for the server and open Live training (starting a run if ``training``); returns
    the server's pid once it has a worker process."""
    probe = AppServer(process=leader, port=port, log_path=log, _log_file=None)
    wait_for_health(probe, START_TIMEOUT_S)
    run_coroutine(open_training(probe.url, start=training), timeout_s=2 * START_TIMEOUT_S)
    server = server_pid(leader.pid)
    deadline = time.monotonic() + START_TIMEOUT_S
    while not training_workers(server):
        assert time.monotonic() < deadline, "the server started no training worker"
        time.sleep(0.1)
    return server


def wait_until_gone(group: int, timeout_s: float) -> list[int]:
    """The group's processes still alive after ``timeout_s`` (empty: all of them exited)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not group_members(group):
            return []
        time.sleep(0.1)
    return group_members(group)


def assert_quiet(log: Path) -> None:
    text = log.read_text(errors="replace")
    for word in QUIET_FORBIDDEN:
        assert word not in text, f"the server printed {word!r} while stopping:\n{text[-3000:]}"


def test_ctrl_c_stops_a_server_whose_tee_went_first():
    with server_in_own_group(through_tee=True) as (leader, log, port):
        server = serve(leader, log, port, training=True)
        tee = next(pid for pid in children_of(leader.pid) if pid != server)
        os.kill(tee, signal.SIGINT)  # the reader of the server's pipe is gone ...
        while tee in group_members(leader.pid):
            time.sleep(0.05)
        os.killpg(leader.pid, signal.SIGINT)  # ... when Ctrl-C reaches the server and workers
        left = wait_until_gone(leader.pid, STOP_TIMEOUT_S)
        assert not left, f"still running {STOP_TIMEOUT_S:.0f} s after Ctrl-C: {left}"
        assert_quiet(log)  # what tee saw before it went


@pytest.mark.parametrize("training", [False, True], ids=["spare worker", "training worker"])
def test_ctrl_c_stops_the_server_and_its_workers_without_a_traceback(training):
    with server_in_own_group(through_tee=False) as (leader, log, port):
        serve(leader, log, port, training=training)
        os.killpg(leader.pid, signal.SIGINT)
        left = wait_until_gone(leader.pid, STOP_TIMEOUT_S)
        assert not left, f"still running {STOP_TIMEOUT_S:.0f} s after Ctrl-C: {left}"
        assert leader.wait() == 0
        assert_quiet(log)


def test_sigterm_to_the_server_alone_stops_it_and_its_workers_quietly():
    with server_in_own_group(through_tee=False) as (leader, log, port):
        server = serve(leader, log, port, training=True)
        os.kill(server, signal.SIGTERM)
        left = wait_until_gone(leader.pid, STOP_TIMEOUT_S)
        assert not left, f"still running {STOP_TIMEOUT_S:.0f} s after SIGTERM: {left}"
        assert leader.wait() == 0
        assert_quiet(log)
