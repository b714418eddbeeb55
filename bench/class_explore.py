"""An exploring student on the Class page after the teacher asks: the server's CPU and the
messages that student's tab receives.

    python -m bench.class_explore [--seconds 10]

A real server on a database file of its own; one Streamlit-protocol student
(``bench/support/streamlit_client.py``, no browser) rejoins by its link on the Class page and
turns "Follow the teacher" off. The teacher then asks a question (straight into the database,
what the teacher's click does), and for ``--seconds`` the server's CPU time and the ForwardMsgs
the student's session receives are counted: a quiet tab gets a run when the question comes and
one version poll a second after it. Prints whether the question reached the student's screen.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.support.harness import run_coroutine, start_app_server
from bench.support.processes import streamlit_cpu_seconds
from bench.support.streamlit_client import StreamlitClient
from cnnviz.classroom import ClassroomStore
from cnnviz.database import DATABASE_URL_ENV

QUESTION = "Which pooling keeps the brightest pixel of each window?"
SETTLE_S = 3.0  # the Class page's first runs end before the count starts


@dataclass(frozen=True)
class ExploreCost:
    """What one exploring student's session cost after the teacher's question."""

    seconds: float
    cpu_share: float  # of one core, the whole server
    messages_per_s: float  # ForwardMsgs to the student's tab
    question_shown: bool


async def exploring_student(url: str, server_pid: int, store: ClassroomStore, seconds: float):
    code, secret = store.create_class("Exploring")
    student_id = store.join(code)
    client = StreamlitClient(
        url, name="explorer", query_string=f"class={code}&student={student_id}"
    )
    await client.connect("classroom")
    try:
        await client.set_value("Follow the teacher", False)
        await asyncio.sleep(SETTLE_S)
        store.ask(code, secret, QUESTION, ["max", "average"], 0)
        messages_before = client.messages_received
        cpu_before = streamlit_cpu_seconds(server_pid)
        started = time.monotonic()
        await asyncio.sleep(seconds)
        elapsed = time.monotonic() - started
        return ExploreCost(
            seconds=elapsed,
            cpu_share=(streamlit_cpu_seconds(server_pid) - cpu_before) / elapsed,
            messages_per_s=(client.messages_received - messages_before) / elapsed,
            question_shown=any(QUESTION in text for text in client.texts()),
        )
    finally:
        await client.close()


def measure(seconds: float) -> ExploreCost:
    """Start a server on a fresh database, run :func:`exploring_student`, stop the server."""
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'class.sqlite'}"
        store = ClassroomStore(url)
        server = start_app_server(extra_env={DATABASE_URL_ENV: url})
        try:
            return run_coroutine(
                exploring_student(server.url, server.process.pid, store, seconds),
                timeout_s=seconds + 120,
            )
        finally:
            server.stop()
            store.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    cost = measure(parser.parse_args().seconds)
    print(
        f"an exploring student on the Class page, {cost.seconds:.1f} s after the teacher asked: "
        f"server CPU {cost.cpu_share * 100:.1f}% of a core, {cost.messages_per_s:.1f} "
        f"messages/s to the student's tab; question shown: {cost.question_shown}"
    )


if __name__ == "__main__":
    main()
