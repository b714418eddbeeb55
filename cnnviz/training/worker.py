"""Training in a worker process: the server's interpreter stays free for the class's clicks.

One Python process serving every student *and* running ``fit`` makes the clicks wait on Keras'
Python overhead (one interpreter lock), and a crash inside TensorFlow would take the page away
from everyone. So each job trains in its own process:

* started with the **spawn** context (a fresh interpreter: TensorFlow's threads and state never
  fork), at a **lower CPU priority** (``os.nice(WORKER_NICENESS)``) than the server;
* kept **warm**: one spare worker has imported TensorFlow before a Start needs it
  (:meth:`WorkerPool.prewarm`), so a Start pays the model build, not the import;
* used for **one job**, then it exits: its memory goes back to the system, and a fresh spare
  takes its place;
* it loads MNIST **itself**, from the file the server read it from (checked by a fingerprint;
  only data that came from elsewhere crosses the pipe);
* it speaks through two one-way pipes: commands in (the training request, "stop"), and out the
  live stream of records (:mod:`cnnviz.training.records`), any picklable payload included, then
  the result (the model as ``.keras`` bytes, the history, confusion counts, probabilities) or
  the failure's message and traceback;
* when the server goes away (its end of the command pipe closes), the worker exits at once;
* it **ignores SIGINT**: Ctrl-C in the teacher's terminal reaches the whole process group, and
  the server, not the keyboard, ends a worker (through its pipe, or by its own exit). SIGINT is
  blocked from before the spawn until the worker ignores it, so even a Ctrl-C during its start
  prints no ``KeyboardInterrupt`` traceback.

A worker that dies (killed, out of memory, a segfault) shows up as the end of its pipe: the job
turns "failed" with :func:`death_message` and the process is reaped. No shared memory is used.
This module imports no TensorFlow; the worker process imports :mod:`cnnviz.training.fitting`.
"""

from __future__ import annotations

import atexit
import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
import traceback
import types
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from cnnviz.console import survive_closed_pipe
from cnnviz.data import Mnist
from cnnviz.models import TrainingConfig

LOGGER = logging.getLogger(__name__)

WORKER_NICENESS = 10  # below the server (0): a click is served before the next training step
READY_TIMEOUT_S = 180  # a cold worker imports TensorFlow: seconds, more on a loaded machine
STOP_GRACE_S = 30  # a stopped worker that has not ended by then is killed
REAP_TIMEOUT_S = 5  # how long a worker may take to exit once its job is over
POLL_S = 0.2  # how often a waiting job thread rechecks its stop request


# ---------------------------------------------------------------------------------------------
# Messages


@dataclass(frozen=True)
class TrainRequest:
    """What a worker needs for one job. ``mnist_file`` is where the server's MNIST came from;
    ``mnist_fingerprint`` lets the worker check it read the same data."""

    config: TrainingConfig
    mnist_file: str | None
    mnist_fingerprint: str
    extra_callbacks: tuple


@dataclass(frozen=True)
class WorkerFailure:
    """An exception inside the worker: its one-line message and its traceback."""

    error: str
    traceback: str


READY = "ready"  # the worker has imported TensorFlow and waits for a request
NEED_DATA = "need-data"  # the worker could not read the same MNIST: send the arrays
STOP = "stop"


def mnist_fingerprint(mnist: Mnist) -> str:
    """A checksum of the four MNIST arrays (shapes, types and bytes): equal data, equal text.

    >>> import numpy as np
    >>> tiny = Mnist(*(np.zeros((2, 3), np.uint8) for _ in range(4)))
    >>> mnist_fingerprint(tiny) == mnist_fingerprint(Mnist(*(array.copy() for array in tiny)))
    True
    """
    parts = []
    for array in mnist:
        parts.append(f"{array.shape}{array.dtype}{zlib.crc32(memoryview(array).cast('B')):08x}")
    return ";".join(parts)


_FINGERPRINTS: dict[int, tuple[Any, str]] = {}  # id(x_train) → (x_train, fingerprint)
_FINGERPRINTS_LOCK = threading.Lock()


def cached_fingerprint(mnist: Mnist) -> str:
    """:func:`mnist_fingerprint`, computed once per data set (the server shares one MNIST)."""
    with _FINGERPRINTS_LOCK:
        cached = _FINGERPRINTS.get(id(mnist.x_train))
        if cached is not None and cached[0] is mnist.x_train:
            return cached[1]
        fingerprint = mnist_fingerprint(mnist)
        _FINGERPRINTS.clear()  # one data set at a time; keep its array so its id() stays unique
        _FINGERPRINTS[id(mnist.x_train)] = (mnist.x_train, fingerprint)
        return fingerprint


def death_message(exitcode: int | None) -> str:
    """What a teacher reads when a worker died without a word.

    >>> death_message(-9)[:60]
    'The training process was killed (signal 9, SIGKILL), most of'
    """
    advice = (
        " The server and the other pages are fine: start the training again, perhaps with fewer "
        "training images or a smaller model."
    )
    if exitcode is not None and exitcode < 0:
        number = -exitcode
        try:
            name = signal.Signals(number).name
        except ValueError:
            name = "unknown"
        if number == signal.SIGKILL:
            cause = "most often because the computer ran out of memory"
        elif number == signal.SIGSEGV:
            cause = "it crashed inside TensorFlow"
        else:
            cause = "by the operating system or an administrator"
        return f"The training process was killed (signal {number}, {name}), {cause}." + advice
    return f"The training process ended unexpectedly (exit code {exitcode})." + advice


# ---------------------------------------------------------------------------------------------
# The worker process


def worker_main(commands: Connection, events: Connection) -> None:
    """The worker process: get warm, train one job, hand its result over, exit."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a pending Ctrl-C is dropped with it
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    survive_closed_pipe()  # the server's terminal pipe may lose its reader (`| tee`) first
    os.nice(WORKER_NICENESS)  # before TensorFlow starts its threads: they inherit it
    from cnnviz.training import fitting  # the import a warm worker has already paid

    try:
        events.send(READY)
        request = commands.recv()
    except (EOFError, OSError):  # the server went away (or shut down) before giving us a job
        os._exit(0)
    stop = threading.Event()
    try:
        mnist = _worker_mnist(request, commands, events, stop)
        threading.Thread(
            target=_listen_for_stop, args=(commands, stop), name="stop-listener", daemon=True
        ).start()
        result = fitting.fit(
            request.config, mnist, events.send, stop.is_set, request.extra_callbacks
        )
        events.send(result)
    except BaseException as error:  # sent to the server, which shows it and logs the traceback
        try:
            events.send(WorkerFailure(f"{type(error).__name__}: {error}", traceback.format_exc()))
        except (OSError, ValueError):
            os._exit(1)
    # Skip the interpreter's teardown of TensorFlow (slow, and nothing is left to save).
    events.close()
    os._exit(0)


def _worker_mnist(
    request: TrainRequest, commands: Connection, events: Connection, stop: threading.Event
) -> Mnist:
    """MNIST read from the server's file when it holds the same data, else sent by the server
    (a stop that arrives meanwhile is kept in ``stop``)."""
    from cnnviz.data import read_mnist_npz

    if request.mnist_file is not None and Path(request.mnist_file).is_file():
        mnist = read_mnist_npz(request.mnist_file)
        if mnist_fingerprint(mnist) == request.mnist_fingerprint:
            return mnist
    events.send(NEED_DATA)
    while True:
        message = commands.recv()
        if message == STOP:
            stop.set()
        elif isinstance(message, Mnist):
            return message
        else:
            raise ValueError(f"Expected MNIST from the server, got {type(message).__name__}.")


def _listen_for_stop(commands: Connection, stop: threading.Event) -> None:
    """Set ``stop`` when the server says so; exit when the server is gone."""
    while True:
        try:
            message = commands.recv()
        except (EOFError, OSError):
            os._exit(0)  # nobody is left to hand the result to
        if message == STOP:
            stop.set()


# ---------------------------------------------------------------------------------------------
# The server's side


_MAIN_LOCK = threading.Lock()


@contextmanager
def _main_script_hidden() -> Iterator[None]:
    """Hide the ``__main__`` script from spawn while a worker starts.

    Spawn runs the parent's main script again in the child (as ``__mp_main__``) unless it was
    started with ``python -m``. Under Streamlit the main module is the app's router script, so
    every worker would first run the whole app (importing streamlit, and failing on the first
    widget). The worker's code lives in this importable module and needs nothing from it.
    """
    main = sys.modules.get("__main__")
    stub = types.ModuleType("__main__")  # no __file__ and no __spec__: nothing to run again
    with _MAIN_LOCK:
        sys.modules["__main__"] = stub
        try:
            yield
        finally:
            # Streamlit may have installed the next script run's module meanwhile: keep that one.
            if sys.modules.get("__main__") is stub:
                sys.modules["__main__"] = main


@contextmanager
def _sigint_blocked() -> Iterator[None]:
    """Block SIGINT in this thread while a worker is spawned: the child inherits the mask and
    lifts it only once it ignores SIGINT (:func:`worker_main`). The server's other threads still
    take its own Ctrl-C meanwhile (multiprocessing's resource tracker starts the same way)."""
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


class Worker:
    """The server's handle on one worker process and its two pipes."""

    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")
        command_reader, self._commands = context.Pipe(duplex=False)
        self._events, event_writer = context.Pipe(duplex=False)
        self.process = context.Process(
            target=worker_main,
            args=(command_reader, event_writer),
            name="cnnviz-training-worker",
            daemon=True,  # ended with the server, whatever happens to the job threads
        )
        self.started_at = time.perf_counter()
        with _main_script_hidden(), _sigint_blocked():
            self.process.start()
        # Only the worker holds these ends now: its death closes the event pipe, which we see.
        command_reader.close()
        event_writer.close()
        self.ready = False

    @property
    def pid(self) -> int | None:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.is_alive()

    def wait_ready(self, cancelled: threading.Event, timeout: float = READY_TIMEOUT_S) -> bool:
        """Wait until the worker has imported TensorFlow; False if ``cancelled`` was set first.

        Raises ``EOFError`` if the worker died, ``TimeoutError`` after ``timeout`` seconds.
        """
        deadline = time.perf_counter() + timeout
        while not self.ready:
            if cancelled.is_set():
                return False
            if time.perf_counter() > deadline:
                raise TimeoutError(f"The training process was not ready after {timeout:.0f} s.")
            if self._events.poll(POLL_S):
                message = self._events.recv()
                if message != READY:
                    raise ValueError(f"A new worker said {message!r} instead of {READY!r}.")
                self.ready = True
        return True

    def send(self, message: object) -> None:
        self._commands.send(message)

    def receive(self, timeout: float) -> tuple[bool, object]:
        """``(True, message)`` if one came within ``timeout`` seconds, else ``(False, None)``.

        Raises ``EOFError`` when the worker is gone.
        """
        if self._events.poll(timeout):
            return True, self._events.recv()
        return False, None

    def close(self) -> int | None:
        """End the process (it should be exiting already) and reap it; returns its exit code."""
        for end in (self._commands, self._events):
            end.close()  # a worker still waiting on commands sees the end and exits
        self.process.join(REAP_TIMEOUT_S)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(REAP_TIMEOUT_S)
        exitcode = self.process.exitcode
        self.process.close()
        return exitcode

    def kill(self) -> None:
        """End the process now (SIGKILL), whatever it is doing; :meth:`close` then reaps it."""
        self.process.kill()

    def exitcode_after_death(self) -> int | None:
        """The exit code of a worker whose pipe has ended (waits briefly for the process)."""
        self.process.join(REAP_TIMEOUT_S)
        return self.process.exitcode


class WorkerPool:
    """Hands out fresh workers, keeping one spare warm so a Start pays no TensorFlow import."""

    def __init__(self) -> None:
        self._lock = threading.Lock()  # held while a worker spawns, too: see close()
        self._spare: Worker | None = None
        self._closed = False

    def take(self) -> Worker:
        """The warm spare if there is a live one, else a new (cold) worker.

        Raises ``RuntimeError`` once the pool is closed (the server is exiting).
        """
        with self._lock:
            spare, self._spare = self._spare, None
        if spare is not None and spare.alive():
            return spare
        if spare is not None:
            spare.close()
        with self._lock:
            if self._closed:
                raise RuntimeError("The server is shutting down: no training starts now.")
            return Worker()

    def prewarm(self) -> None:
        """Start a spare in the background if there is none (returns at once; nothing once the
        pool is closed)."""
        with self._lock:
            if self._closed or (self._spare is not None and self._spare.alive()):
                return
            stale, self._spare = self._spare, Worker()
        if stale is not None:
            stale.close()

    def give_back(self, worker: Worker) -> None:
        """An unused worker (its job was stopped before training) becomes the spare again."""
        with self._lock:
            if self._spare is None and worker.alive():
                self._spare, worker = worker, None
        if worker is not None:
            worker.close()

    def wait_for_spare(self, timeout: float = READY_TIMEOUT_S) -> bool:
        """Wait until the spare has imported TensorFlow (for benchmarks and tests)."""
        with self._lock:
            spare = self._spare
        return spare is not None and spare.wait_ready(threading.Event(), timeout)

    def spare_pid(self) -> int | None:
        """The spare's process id (None without one): for tests and diagnostics."""
        with self._lock:
            return self._spare.pid if self._spare is not None else None

    def close(self) -> None:
        """Start no more workers, once a spawn under way has handed its child what it needs.

        Run at the interpreter's exit, before multiprocessing ends the (daemon) workers: a job
        that ends as the server stops would otherwise spawn a fresh spare just then, and a
        child whose parent exits before sending it its start-up data prints an ``EOFError``.
        """
        with self._lock:
            self._closed = True

    def shutdown(self) -> None:
        """Stop the spare (the interpreter's exit does it too: workers are daemons)."""
        with self._lock:
            spare, self._spare = self._spare, None
        if spare is not None:
            spare.close()


WORKERS = WorkerPool()
# Registered after multiprocessing's own exit handler, so it runs before it (atexit is LIFO).
atexit.register(WORKERS.close)


def prewarm_worker() -> None:
    """Get a spare worker ready in the background, so the next Start pays no import."""
    WORKERS.prewarm()
