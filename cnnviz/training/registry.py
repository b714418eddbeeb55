"""The jobs a tab's address names, so the tab finds them again after a reload (no TensorFlow).

A reload (F5) starts a new Streamlit session, and the tab's old session state, with the jobs
in it, is gone for it. Worse, Streamlit releases a session's session-scoped resources the moment
its browser disconnects (``disconnect_session`` clears the session caches before it keeps the
session for ``server.disconnectedSessionTTL``), so an F5 ends the old session's hold on its jobs
before the new session exists. So a session that starts a training files its jobs here under an
unguessable token, which the page writes into the tab's address (``?run=…``), and when the last
session holding a token lets go, its jobs are kept for a grace period (the page uses
``server.disconnectedSessionTTL``: as long as Streamlit keeps a disconnected session for its
browser to come back) before they are abandoned. The reloaded tab, a new session with the same
address, claims the same jobs with the token within that window and the run goes on.

A closed tab that nobody reloads frees the training slot when the grace period ends, and
nothing outlives it. The registry is bounded as well (:data:`MAX_ENTRIES`); when it is full,
a new run simply cannot be found again after a reload.

Examples
--------
>>> registry = JobRegistry(capacity=2)
>>> first_tab = TabClaim(registry, grace_s=60)
>>> token = first_tab.file()              # Start: the jobs now have an address
>>> first_tab.release()                  # F5: the old session lets go at once...
>>> reloaded = TabClaim(registry, grace_s=60)
>>> reloaded.claim(token) is first_tab.jobs   # ...and the new one finds the same jobs
True
>>> reloaded.release()                   # the tab is closed: the jobs wait out the grace
>>> len(registry)
1
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


def abandon_all(jobs: dict[str, Abandonable]) -> None:
    """Nobody will see these jobs again: free their training slots now (no evaluation)."""
    for job in jobs.values():
        job.abandon()
    jobs.clear()


@dataclass
class _Entry:
    jobs: dict[str, Any]
    holders: int = 1
    expiry: threading.Timer | None = None  # running while no session holds the entry


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
        """One more session holds ``token``: its jobs, or None if no entry has that token.

        A claim within an entry's grace period keeps its jobs from being abandoned.
        """
        with self._lock:
            entry = self._entries.get(token)
            if entry is None:
                return None
            if entry.expiry is not None:
                entry.expiry.cancel()  # if it is already firing, _expire sees the holder
                entry.expiry = None
            entry.holders += 1
            return entry.jobs

    def release(self, token: str, grace_s: float = 0.0) -> None:
        """One session lets go of ``token``. When that was the last holder, its jobs are
        abandoned after ``grace_s`` seconds unless a session claims the token before then
        (at once for ``grace_s`` 0). An unknown token is ignored."""
        if grace_s < 0:
            raise ValueError(f"grace_s must be 0 or more seconds, got {grace_s}.")
        with self._lock:
            entry = self._entries.get(token)
            if entry is None or entry.holders == 0:
                return
            entry.holders -= 1
            if entry.holders > 0:
                return
            if grace_s > 0:
                entry.expiry = threading.Timer(grace_s, self._expire, (token, entry))
                entry.expiry.daemon = True  # a server shutting down does not wait for it
                entry.expiry.start()
                return
            del self._entries[token]
        abandon_all(entry.jobs)

    def _expire(self, token: str, entry: _Entry) -> None:
        with self._lock:
            if self._entries.get(token) is not entry or entry.holders > 0:
                return  # claimed again (a reload) while the timer was firing
            del self._entries[token]
        abandon_all(entry.jobs)

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)


JOB_REGISTRY = JobRegistry()  # the server's; each Streamlit process has its own (sticky routing)


@dataclass
class TabClaim:
    """One session's hold on its jobs: its own dict until it files or claims a token.

    Keep one per session and call :meth:`release` when the session ends. ``grace_s`` is how
    long filed jobs wait for a reload of the tab once no session holds them.
    """

    registry: JobRegistry = field(default_factory=lambda: JOB_REGISTRY)
    grace_s: float = 0.0
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
        """The session ended: filed jobs wait ``grace_s`` for a reload; unfiled ones (which no
        address can find) are abandoned at once."""
        if self.token is None:
            abandon_all(self.jobs)
            return
        token, self.token = self.token, None
        self.registry.release(token, self.grace_s)
