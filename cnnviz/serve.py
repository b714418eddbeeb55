"""Serve one class from several Streamlit processes behind HAProxy, with sticky sessions.

    python -m cnnviz.serve --processes 2 --port 8501

One Streamlit process runs every session's script under one interpreter lock, so on a machine
with more cores than one process can use, a class of thirty waits on that lock
(bench/README.md, "Serving a class"). This command starts ``--processes`` ordinary
``streamlit run app.py`` servers on free loopback ports and HAProxy (Debian's ``haproxy``) in
front of them on ``--host``:``--port``. HAProxy gives each browser a cookie naming its process
on its first request, so everything that browser sends after it (the page's websocket,
``/_stcore/*``, ``/media/`` files, uploads) reaches the process that holds its session; a new
browser goes to the process with the fewest connections. The processes share one cookie secret,
so Streamlit's XSRF tokens hold on every one of them.

What the processes must share goes through the class database (``CNNVIZ_DATABASE_URL``, by
default the SQLite file): the classes themselves, and the training queue, which this command
switches to leases in the database (``CNNVIZ_SHARED_TRAINING_SLOTS=1``,
:mod:`cnnviz.training.leases`) so that ``CNNVIZ_MAX_TRAININGS`` holds for the whole server.

The HAProxy configuration and the processes' logs go to a temporary folder (printed at start,
removed at the end). SIGINT (Ctrl-C), SIGTERM and SIGHUP stop everything; so does any one of
the processes exiting. Arguments after ``--`` go to every ``streamlit run``.

This module starts Streamlit as a program and never imports it (cnnviz never does).
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from cnnviz import PROJECT_ROOT
from cnnviz.training.slots import SHARED_SLOTS_ENV_VAR

DEFAULT_PROCESSES = 2
DEFAULT_PORT = 8501
DEFAULT_HOST = "0.0.0.0"  # students reach the teacher's machine over the network
MAX_PROCESSES = 16
SERVER_COOKIE = "cnnviz_server"  # HAProxy's cookie: which process holds this browser's session
HEALTH_PATH = "/_stcore/health"
START_TIMEOUT_S = 180.0  # a process imports Streamlit, plotly, pandas: slow on a busy laptop
STOP_TIMEOUT_S = 10.0  # after SIGTERM, a process has this long before it is killed
POLL_S = 0.5
# A lesson's websocket stays open for its whole length; HAProxy would close an idle one.
TUNNEL_TIMEOUT = "8h"
HAPROXY_INSTALL_HINT = "install it with `apt-get install haproxy` (Debian/Ubuntu)"


class ServeError(RuntimeError):
    """The server could not start: the message says why and what to do."""


@dataclass(frozen=True)
class Backend:
    """One Streamlit process behind the proxy."""

    name: str  # HAProxy's server name, also the value of its cookie
    port: int  # on 127.0.0.1


def haproxy_config(backends: Sequence[Backend], *, host: str, port: int) -> str:
    """HAProxy's configuration: ``host``:``port`` in front, sticky by cookie, health-checked.

    Examples
    --------
    >>> text = haproxy_config([Backend("s1", 9001)], host="127.0.0.1", port=8501)
    >>> "bind 127.0.0.1:8501" in text, "server s1 127.0.0.1:9001 cookie s1" in text
    (True, True)
    """
    if not backends:
        raise ValueError("HAProxy needs at least one Streamlit process to send students to.")
    servers = "\n".join(
        f"    server {backend.name} 127.0.0.1:{backend.port} cookie {backend.name}"
        for backend in backends
    )
    return f"""# Written by python -m cnnviz.serve; removed when it stops.
global
    maxconn 4096

defaults
    mode http
    option forwardfor
    # A browser whose process went down is sent to another one (it starts a new session).
    option redispatch
    timeout connect 5s
    timeout client 60s
    timeout server 60s
    timeout http-request 15s
    timeout tunnel {TUNNEL_TIMEOUT}

frontend cnnviz
    bind {host}:{port}
    default_backend streamlit

backend streamlit
    # New browsers go to the process with the fewest open connections (websockets last).
    balance leastconn
    # Sticky sessions: the first answer sets the cookie; the websocket, /_stcore/* and /media/
    # requests that follow carry it and reach the same process.
    cookie {SERVER_COOKIE} insert indirect nocache httponly attr SameSite=Lax
    option httpchk
    http-check send meth GET uri {HEALTH_PATH}
    http-check expect string ok
    default-server check inter 2s fall 3 rise 1
{servers}
"""


def free_loopback_ports(count: int) -> list[int]:
    """``count`` distinct ports free on 127.0.0.1 now (asked of the system, then released)."""
    sockets = []
    try:
        for _ in range(count):
            probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            probe.bind(("127.0.0.1", 0))
            sockets.append(probe)
        return [probe.getsockname()[1] for probe in sockets]
    finally:
        for probe in sockets:
            probe.close()


def streamlit_command(port: int, extra_args: Sequence[str]) -> list[str]:
    """``streamlit run app.py`` on 127.0.0.1:``port`` (only the proxy reaches it)."""
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(PROJECT_ROOT / "app.py"),
        "--server.address",
        "127.0.0.1",
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        *extra_args,
    ]


def is_healthy(port: int, timeout_s: float = 2.0) -> bool:
    """Whether the Streamlit process on 127.0.0.1:``port`` answers its health check."""
    try:
        with urllib.request.urlopen(
            f"http://127.0.0.1:{port}{HEALTH_PATH}", timeout=timeout_s
        ) as response:
            return response.status == 200 and response.read().strip() == b"ok"
    except (OSError, urllib.error.URLError):
        return False


@dataclass
class _Child:
    label: str
    process: subprocess.Popen
    log_path: Path
    log: IO[bytes]


class Server:
    """The running processes; :meth:`stop` ends them all (it is safe to call twice)."""

    def __init__(
        self,
        processes: int,
        *,
        host: str = DEFAULT_HOST,
        port: int = DEFAULT_PORT,
        streamlit_args: Sequence[str] = (),
        haproxy: str | None = None,
    ) -> None:
        if not 1 <= processes <= MAX_PROCESSES:
            raise ValueError(f"--processes must be between 1 and {MAX_PROCESSES}, got {processes}.")
        if not 1 <= port <= 65535:
            raise ValueError(f"--port must be a TCP port (1–65535), got {port}.")
        self.haproxy = haproxy or shutil.which("haproxy")
        if self.haproxy is None:
            raise ServeError(f"HAProxy is not installed: {HAPROXY_INSTALL_HINT}.")
        self.host, self.port = host, port
        self.backends = [
            Backend(f"s{index}", backend_port)
            for index, backend_port in enumerate(free_loopback_ports(processes), start=1)
        ]
        self.streamlit_args = tuple(streamlit_args)
        self.folder = Path(tempfile.mkdtemp(prefix="cnnviz-serve-"))
        self.config_path = self.folder / "haproxy.cfg"
        self.children: list[_Child] = []

    @property
    def url(self) -> str:
        shown = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        return f"http://{shown}:{self.port}"

    def _spawn(self, label: str, command: list[str], env: dict[str, str]) -> None:
        log_path = self.folder / f"{label}.log"
        log = log_path.open("wb")
        process = subprocess.Popen(
            command,
            cwd=PROJECT_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own group: a stop reaches its training workers too
        )
        self.children.append(_Child(label, process, log_path, log))

    def start(self, timeout_s: float = START_TIMEOUT_S) -> None:
        """Start the Streamlit processes, wait until each is healthy, then start HAProxy."""
        self.config_path.write_text(haproxy_config(self.backends, host=self.host, port=self.port))
        checked = subprocess.run(
            [self.haproxy, "-c", "-q", "-f", str(self.config_path)],
            capture_output=True,
            text=True,
        )
        if checked.returncode != 0:
            raise ServeError(f"HAProxy refused its configuration:\n{checked.stderr.strip()}")
        env = {
            **os.environ,
            SHARED_SLOTS_ENV_VAR: "1",
            # One secret for all: an XSRF token one process set is good on the others.
            # (Streamlit takes it from the environment only, never from the command line.)
            "STREAMLIT_SERVER_COOKIE_SECRET": secrets.token_hex(32),
            "PYTHONUNBUFFERED": "1",
        }
        for backend in self.backends:
            self._spawn(
                f"streamlit-{backend.name}",
                streamlit_command(backend.port, self.streamlit_args),
                env,
            )
        deadline = time.monotonic() + timeout_s
        waiting = list(self.backends)
        while waiting:
            self.check_children()
            waiting = [backend for backend in waiting if not is_healthy(backend.port)]
            if waiting and time.monotonic() > deadline:
                names = ", ".join(backend.name for backend in waiting)
                raise ServeError(f"Streamlit process {names} did not start in {timeout_s:.0f} s.")
            if waiting:
                time.sleep(POLL_S)
        self._spawn("haproxy", [self.haproxy, "-db", "-f", str(self.config_path)], dict(os.environ))
        time.sleep(POLL_S)
        self.check_children()

    def check_children(self) -> None:
        """Raise :class:`ServeError` if any process has exited, with the end of its log."""
        for child in self.children:
            code = child.process.poll()
            if code is not None:
                child.log.flush()
                tail = child.log_path.read_text(errors="replace").strip().splitlines()[-15:]
                raise ServeError(
                    f"{child.label} exited with status {code}. Its log ended with:\n"
                    + "\n".join(tail)
                )

    def stop(self) -> None:
        """SIGTERM to every process group, SIGKILL to what is left after ``STOP_TIMEOUT_S``."""
        for child in reversed(self.children):  # the proxy first: no new requests
            _signal_group(child.process, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_S
        for child in self.children:
            try:
                child.process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
            _signal_group(child.process, signal.SIGKILL)  # any worker it left behind too
            child.process.wait()
            child.log.close()
        self.children.clear()
        shutil.rmtree(self.folder, ignore_errors=True)


def _signal_group(process: subprocess.Popen, signum: int) -> None:
    try:
        os.killpg(process.pid, signum)
    except (ProcessLookupError, PermissionError):
        pass


class _Stop(Exception):
    """Raised by the signal handler to leave the serving loop."""


def _raise_stop(signum: int, _frame: object) -> None:
    raise _Stop(signal.Signals(signum).name)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m cnnviz.serve", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--processes", type=int, default=DEFAULT_PROCESSES, metavar="N")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="the students' port")
    parser.add_argument(
        "--host", default=DEFAULT_HOST, help="the address to listen on (default: every one)"
    )
    parser.add_argument(
        "streamlit_args", nargs="*", metavar="-- STREAMLIT_OPTION", help="for every process"
    )
    args = parser.parse_args(argv)
    try:
        server = Server(
            args.processes, host=args.host, port=args.port, streamlit_args=args.streamlit_args
        )
    except (ValueError, ServeError) as error:
        print(f"cnnviz.serve: {error}", file=sys.stderr)
        return 2
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _raise_stop)
    try:
        print(
            f"cnnviz.serve: starting {args.processes} Streamlit processes (logs in {server.folder})"
        )
        server.start()
        ports = ", ".join(str(backend.port) for backend in server.backends)
        print(
            f"cnnviz.serve: serving on {server.url} ({args.processes} processes on "
            f"127.0.0.1:{ports} behind HAProxy). Students open http://<this machine's IP "
            f"address>:{args.port}. Ctrl-C stops everything.",
            flush=True,
        )
        while True:
            server.check_children()
            time.sleep(POLL_S)
    except _Stop as stop:
        print(f"cnnviz.serve: {stop}: stopping", flush=True)
        return 0
    except ServeError as error:
        print(f"cnnviz.serve: {error}", file=sys.stderr)
        return 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut the cleanup
        server.stop()


if __name__ == "__main__":
    raise SystemExit(main())
