"""The jobs a browser tab's address names, so another session with it finds them (no TensorFlow).

A reload (F5) starts a new Streamlit session, and the tab's old session state, with the jobs
in it, is gone for it; the old session itself lives on for ``server.disconnectedSessionTTL``
(120 s by default) before Streamlit releases it and its jobs are abandoned. So a session that
starts a training files its jobs here under an unguessable token, which the page writes into
the tab's address (``?run=…``); the reloaded tab, a new session with the same address, claims
the same jobs with it within that window. (In Chromium a real F5 did not find them: the old
session had already let go; see the README.)

Every session holding a token counts. When the last one is released the entry is dropped and
its jobs are abandoned: a closed tab still frees the training slot once Streamlit drops its
session, and nothing outlives the sessions that want it. The registry is bounded as well
(:data:`MAX_ENTRIES`); when it is full, a new run simply cannot be found again after a reload.

Examples
--------
>>> registry = JobRegistry(capacity=2)
>>> first_tab = TabClaim(registry)
>>> token = first_tab.file()              # Start: the jobs now have an address
>>> reloaded = TabClaim(registry)
>>> reloaded.claim(token) is first_tab.jobs   # F5: the same jobs, found again
True
>>> first_tab.release()                  # the old session expires: the jobs stay
>>> len(registry)
1
>>> reloaded.release()                   # the last tab is gone: the entry too
>>> len(registry)
0
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field
from typing import Any, Protocol

TOKEN_BYTES = 16  # 128 random bits: nobody finds another student's run by guessing its address
# Far more tabs than a class opens (30-100 students, a few runs each); each entry is a small
# dict whose jobs the sessions hold anyway, so the bound only stops a runaway client.
MAX_ENTRIES = 1024


class Abandonable(Protocol):
    """What the registry needs of a job: to be stopped for good when nobody wants it."""

    def abandon(self) -> None: ...


@dataclass
class _Entry:
    jobs: dict[str, Any]
    holders: int = 1


class JobRegistry:
    """Token → a tab's jobs dict, shared by the sessions holding the token (thread-safe)."""

    def __init__(self, capacity: int = MAX_ENTRIES) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be at least 1 entry, got {capacity}.")
        self.capacity = capacity
        self._lock = threading.Lock()
        self._entries: dict[str, _Entry] = {}

    def register(self, jobs: dict[str, Any]) -> str | None:
        """File ``jobs`` under a new token held by one session; None when the registry is full."""
        with self._lock:
            if len(self._entries) >= self.capacity:
                return None
            token = secrets.token_urlsafe(TOKEN_BYTES)
            self._entries[token] = _Entry(jobs)
            return token

    def claim(self, token: str) -> dict[str, Any] | None:
        """One more session holds ``token``: its jobs, or None if no entry has that token."""
        with self._lock:
            entry = self._entries.get(token)
            if entry is None:
                return None
            entry.holders += 1
            return entry.jobs

    def release(self, token: str) -> dict[str, Any] | None:
        """One session lets go of ``token``. Returns its jobs when that was the last holder (the
        caller abandons them), None while another session still holds it (or it is unknown)."""
        with self._lock:
            entry = self._entries.get(token)
            if entry is None:
                return None
            entry.holders -= 1
            if entry.holders > 0:
                return None
            del self._entries[token]
            return entry.jobs

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)


JOB_REGISTRY = JobRegistry()  # the server's; each Streamlit process has its own (sticky routing)


@dataclass
class TabClaim:
    """One session's hold on its jobs: its own dict until it files or claims a token.

    Keep one per session and call :meth:`release` when the session ends.
    """

    registry: JobRegistry = field(default_factory=lambda: JOB_REGISTRY)
    jobs: dict[str, Any] = field(default_factory=dict)
    token: str | None = None

    def file(self) -> str | None:
        """Give this session's jobs an address (once); the token, or None if none is free."""
        if self.token is None:
            self.token = self.registry.register(self.jobs)
        return self.token

    def claim(self, token: str) -> dict[str, Any] | None:
        """Take over the jobs filed under ``token`` (a reload); None if they are gone.

        A session that already holds a token keeps it and its jobs.
        """
        if self.token is not None:
            return self.jobs if token == self.token else None
        jobs = self.registry.claim(token)
        if jobs is not None:
            self.jobs, self.token = jobs, token
        return jobs

    def release(self) -> None:
        """The session ended: abandon its jobs unless another session (a reload) holds them."""
        jobs = self.jobs if self.token is None else self.registry.release(self.token)
        self.token = None
        if jobs is None:
            return
        for job in jobs.values():
            job.abandon()  # the tab is gone: free the slot now, don't evaluate for nobody
        jobs.clear()
