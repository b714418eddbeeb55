"""A real ``streamlit run`` stopped by SIGTERM leaves its class in the SQLite file alone.

The browser-less client (bench/support/streamlit_client.py) starts a class on the Class page, so
the server process wrote it through its own pooled connections, in WAL mode; then the server is
sent SIGTERM, as a teacher stopping it does. The ``.sqlite`` file copied without its ``-wal``
must hold the class: the checkpoint at exit (cnnviz.database) ran.
"""

from __future__ import annotations

import asyncio
import shutil
import signal
import sqlite3
from pathlib import Path

import pytest

from bench.support.harness import AppServer, run_coroutine, running_app
from bench.support.streamlit_client import StreamlitClient

pytestmark = pytest.mark.e2e

TIMEOUT_S = 30.0


async def start_a_class_then_stop_the_server(server: AppServer, wal: Path) -> None:
    """The teacher's tab stays open while the server is stopped, as in a lesson."""
    async with StreamlitClient(server.url, name="teacher", timeout_s=TIMEOUT_S) as client:
        opened = await client.open_page("Class")
        assert opened.status == "success", opened
        started = await client.click("Start the class")
        assert started.status == "success", started
        assert client.elements("exception") == []
        assert wal.stat().st_size > 0  # the commit is in the WAL, not yet in the file
        server.process.send_signal(signal.SIGTERM)  # the server alone, as `kill PID` does
        assert await asyncio.to_thread(server.process.wait, 30) == 0, server.log_text()


def test_after_a_sigterm_the_sqlite_file_alone_holds_the_class(tmp_path):
    database = tmp_path / "class.sqlite"
    with running_app(extra_env={"CNNVIZ_DATABASE_URL": f"sqlite:///{database}"}) as server:
        wal = tmp_path / "class.sqlite-wal"
        run_coroutine(start_a_class_then_stop_the_server(server, wal), TIMEOUT_S * 3)
    copy = tmp_path / "copy" / "class.sqlite"
    copy.parent.mkdir()
    shutil.copy(database, copy)  # the file only, as a teacher keeping the class copies it
    with sqlite3.connect(copy) as connection:
        (count,) = connection.execute("SELECT count(*) FROM cnnviz_classes").fetchone()
    assert count == 1
