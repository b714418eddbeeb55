"""The training job a page holds: one run in the background, watched through snapshots.

Streamlit reruns its script on every click, which would kill a ``fit`` running inside it, so a
:class:`TrainingJob` is looked after by a plain daemon thread that makes no Streamlit calls. That
thread waits for one of the server's training slots (:mod:`cnnviz.training.slots`), then trains
in a worker process (:mod:`cnnviz.training.worker`; or, with ``in_process=True`` as the CLI does,
right in the thread). Either way the fitting code reports a live stream of records, which the
job folds into its state under a lock; the page copies that state with
:meth:`TrainingJob.snapshot` and redraws. :meth:`TrainingJob.request_stop` reaches the fitting
code, which polls it at every live point.

No TensorFlow here. When the page's session drops its job, the job is abandoned: its worker is
killed and reaped, and its training slot goes to the next job at once.
"""

from __future__ import annotations

import logging
import math
import pickle
import threading
import time
import traceback
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from cnnviz.data import Mnist, MnistNotFoundError, find_mnist_file
from cnnviz.models import TrainingConfig, held_out_count
from cnnviz.training import worker as workers
from cnnviz.training.queue import ClassSeat, QueueRole
from cnnviz.training.records import (
    BatchPoint,
    EpochRecord,
    EpochStarted,
    JobSnapshot,
    JobStatus,
    TrainingPlan,
    TrainingResult,
)
from cnnviz.training.slots import TRAINING_SLOTS
from cnnviz.training.snapshots import FilterSnapshot, SnapshotSeries

LOGGER = logging.getLogger(__name__)
# A run the teacher preempts gets this long to stop and evaluate before its worker is killed: the
# teacher's Start waits at most about this (a plain Stop allows workers.STOP_GRACE_S).
PREEMPT_GRACE_S = 5.0


class TrainingFailed(Exception):
    """A failure whose message is already written for the page (no exception name in front)."""

    def __init__(self, message: str, details: str) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


@dataclass
class _JobState:
    """Everything the training thread touches. The thread never holds the TrainingJob itself,
    so dropping the job (e.g. when a Streamlit session ends) lets its finaliser run."""

    config: TrainingConfig
    queue_role: QueueRole = QueueRole.VISITOR  # its place in the server's queue
    class_seat: ClassSeat | None = None  # whose run in which class, for the teacher's Stop
    lock: threading.Lock = field(default_factory=threading.Lock)
    stop_event: threading.Event = field(default_factory=threading.Event)
    # Set with stop_event when nobody will look at the stopped model (its tab is gone): the
    # worker is killed at once instead of evaluating, so the slot frees within a poll.
    abandon_event: threading.Event = field(default_factory=threading.Event)
    # Set with stop_event when the class's teacher needed the slot or stopped the run.
    preempted_event: threading.Event = field(default_factory=threading.Event)
    done_event: threading.Event = field(default_factory=threading.Event)
    status: JobStatus = JobStatus.QUEUED
    batch_steps: list[int] = field(default_factory=list)
    batch_loss: list[float] = field(default_factory=list)
    batch_accuracy: list[float] = field(default_factory=list)
    epochs: list[EpochRecord] = field(default_factory=list)
    epoch: int = 0
    batches_done: int = 0
    steps_per_epoch: int = 0
    started_at: float | None = None
    finished_at: float | None = None
    error: str | None = None
    traceback: str | None = None
    result: TrainingResult | None = None
    snapshots: SnapshotSeries = field(default_factory=SnapshotSeries)
    worker_pid: int | None = None

    def request_stop(self) -> None:
        self.stop_event.set()
        with self.lock:
            if self.status == JobStatus.RUNNING:
                self.status = JobStatus.STOPPING
        TRAINING_SLOTS.wake()

    def abandon(self) -> None:
        self.abandon_event.set()
        self.request_stop()

    def preempt(self) -> None:
        self.preempted_event.set()
        self.request_stop()

    def record(self, record: object) -> None:
        """Fold one record of the live stream into the state."""
        with self.lock:
            match record:
                case BatchPoint(step=step, loss=loss, accuracy=accuracy):
                    self.batches_done = step
                    self.batch_steps.append(step)
                    self.batch_loss.append(loss)
                    self.batch_accuracy.append(accuracy)
                case EpochStarted(epoch=epoch):
                    self.epoch = epoch
                case EpochRecord():
                    self.epochs.append(record)
                case TrainingPlan(steps_per_epoch=steps):
                    self.steps_per_epoch = steps
                case FilterSnapshot():
                    self.snapshots.add(record)
                case _:
                    raise ValueError(f"Not a record of the live stream: {record!r}.")


def _run_job(
    state: _JobState,
    mnist: Mnist,
    extra_callbacks: Sequence[Any],
    on_finish: Callable | None,
    in_process: bool,
) -> None:
    """The thread's body: queue, train, evaluate; every outcome ends in a final status."""
    slot_taken = False
    try:
        slot_taken = TRAINING_SLOTS.acquire(state)
        if not slot_taken or state.stop_event.is_set():  # stopped while it waited its turn
            with state.lock:
                state.status = JobStatus.STOPPED
            return
        with state.lock:
            # A stop may land between the check above and here: show it, don't say "running".
            state.status = JobStatus.STOPPING if state.stop_event.is_set() else JobStatus.RUNNING
            state.started_at = time.perf_counter()
        if in_process:
            from cnnviz.training import fitting  # imports TensorFlow: only once a job trains

            state.result = fitting.fit(
                state.config, mnist, state.record, state.stop_event.is_set, extra_callbacks
            )
        else:
            state.result = _train_in_worker(state, mnist, extra_callbacks)
        with state.lock:
            state.status = JobStatus.STOPPED if state.stop_event.is_set() else JobStatus.FINISHED
    except BaseException as error:  # reported to the UI and the log, never swallowed silently
        if isinstance(error, TrainingFailed):
            message, details = error.message, error.details
        else:
            message, details = f"{type(error).__name__}: {error}", traceback.format_exc()
        LOGGER.error("Training %s failed:\n%s", state.config, details)
        with state.lock:
            state.status = JobStatus.FAILED
            state.error = message
            state.traceback = details
    finally:
        if slot_taken:
            TRAINING_SLOTS.release(state)
        with state.lock:
            state.finished_at = time.perf_counter()
        state.done_event.set()
        if on_finish is not None:
            on_finish()


def _train_in_worker(
    state: _JobState, mnist: Mnist, extra_callbacks: Sequence[Any]
) -> TrainingResult | None:
    """Train in a fresh worker process, relaying its stream into ``state``.

    Returns the result, or None when the job was stopped before the worker trained (or the
    worker did not end within ``STOP_GRACE_S`` of a stop and was killed). Raises
    :class:`TrainingFailed` when the worker reports an exception or dies.
    """
    worker = workers.WORKERS.take()
    with state.lock:
        state.worker_pid = worker.pid
    unused = False
    try:
        if not worker.wait_ready(state.stop_event):
            unused = True
            return None  # stopped while a cold worker was still importing TensorFlow
        try:
            mnist_file = find_mnist_file()
        except MnistNotFoundError:
            mnist_file = None
        worker.send(
            workers.TrainRequest(
                config=state.config,
                mnist_file=None if mnist_file is None else str(mnist_file),
                mnist_fingerprint=workers.cached_fingerprint(mnist),
                extra_callbacks=tuple(extra_callbacks),
            )
        )
        stop_deadline = None
        while True:
            if state.abandon_event.is_set():
                worker.kill()  # nobody wants what it would send back
                return None
            if state.stop_event.is_set() and stop_deadline is None:
                worker.send(workers.STOP)
                grace = PREEMPT_GRACE_S if state.preempted_event.is_set() else workers.STOP_GRACE_S
                stop_deadline = time.perf_counter() + grace
            if stop_deadline is not None and time.perf_counter() > stop_deadline:
                LOGGER.warning("Training %s did not stop in time; its worker is killed.", state)
                return None
            arrived, message = worker.receive(workers.POLL_S)
            if not arrived:
                continue
            if isinstance(message, TrainingResult):
                return message
            if isinstance(message, workers.WorkerFailure):
                raise TrainingFailed(message.error, message.traceback)
            if message == workers.NEED_DATA:
                worker.send(mnist)  # this data came from no file the worker can read
                continue
            state.record(message)
    except (EOFError, OSError) as error:  # the pipe ended: the worker died
        exitcode = worker.exitcode_after_death()
        raise TrainingFailed(
            workers.death_message(exitcode),
            f"Worker {worker.pid} ended with exit code {exitcode} ({type(error).__name__}).",
        ) from error
    finally:
        if unused:
            workers.WORKERS.give_back(worker)  # it stays the warm spare
        else:
            worker.close()  # it trained (or died trying): reap it, its memory goes back
            workers.WORKERS.prewarm()  # and a fresh spare gets ready for the next Start


class TrainingJob:
    """One training run of a :class:`~cnnviz.models.TrainingConfig` on MNIST, in the background.

    It trains in a worker process, or with ``in_process=True`` in a thread of this process (the
    CLI, benchmarks, tests that reach into the model). Keep the job in ``st.session_state``; when
    the session lets go of it, a finaliser abandons it (see :meth:`abandon`).
    ``extra_callbacks`` are added to ``fit``'s callbacks after the live metrics (tests use them to
    raise or pause inside training); for a worker they must be picklable. ``queue_role`` says
    whose run it is: a class teacher's run waits ahead of every student's and visitor's.
    ``class_seat`` says in which class and, for a student, who: the class's teacher can stop
    the run, and a teacher's Start preempts it when it needs the slot.
    """

    def __init__(
        self,
        config: TrainingConfig,
        mnist: Mnist,
        *,
        extra_callbacks: Sequence[Any] = (),
        on_finish: Callable[[], None] | None = None,
        in_process: bool = False,
        queue_role: QueueRole | str = QueueRole.VISITOR,
        class_seat: ClassSeat | None = None,
    ) -> None:
        if not isinstance(config, TrainingConfig):
            raise ValueError(f"config must be a TrainingConfig, got {type(config).__name__}.")
        try:
            queue_role = QueueRole(queue_role)
        except ValueError:
            roles = ", ".join(role.value for role in QueueRole)
            raise ValueError(f"queue_role must be one of {roles}, got {queue_role!r}.") from None
        if not in_process:
            try:
                pickle.dumps(tuple(extra_callbacks))
            except Exception as error:
                raise ValueError(
                    "extra_callbacks travel to the worker process, so they must be picklable "
                    f"(classes defined at module level); this one is not ({error}). "
                    "Use in_process=True to train in this process."
                ) from error
        self.in_process = in_process
        self.config = config
        self._mnist = mnist
        if class_seat is not None and not isinstance(class_seat, ClassSeat):
            raise ValueError(f"class_seat must be a ClassSeat, got {type(class_seat).__name__}.")
        self._state = _JobState(config=config, queue_role=queue_role, class_seat=class_seat)
        # Known before training starts, so a queued or just-stopped job still shows its length
        # (the fitting code's TrainingPlan reports the same number).
        images = len(mnist.x_train)
        if config.subset is not None:
            images = min(config.subset, images)
        if config.holdout:
            images -= held_out_count(images)
        self._state.steps_per_epoch = math.ceil(images / config.batch_size)
        self.images_per_epoch = images  # the training images one epoch goes through
        self._extra_callbacks = tuple(extra_callbacks)
        self._on_finish = on_finish
        self._thread: threading.Thread | None = None
        # Runs when this object is garbage-collected (or at interpreter exit).
        self._finalizer = weakref.finalize(self, self._state.abandon)

    def start(self) -> TrainingJob:
        """Start training in a daemon thread (queued if the server is busy); returns at once."""
        if self._thread is not None:
            raise ValueError("This job was already started; create a new TrainingJob.")
        self._thread = threading.Thread(
            target=_run_job,
            args=(
                self._state,
                self._mnist,
                self._extra_callbacks,
                self._on_finish,
                self.in_process,
            ),
            name=f"cnnviz-training-{self.config.model}",
            daemon=True,
        )
        self._mnist = None  # the thread holds what it needs
        self._thread.start()
        return self

    def request_stop(self) -> None:
        """Ask the job to stop; it stops at the end of the current group of batches."""
        self._state.request_stop()

    def abandon(self) -> None:
        """Stop for good when nobody will see the result (the session that held it ended).

        A worker is killed within a poll (``POLL_S``) rather than evaluating the model trained
        so far, so the server's training slot goes to the next job at once. An in-process job
        can only be asked to stop.
        """
        self._state.abandon()

    @property
    def done(self) -> bool:
        """Whether the job has ended (finished, stopped or failed)."""
        return self._state.done_event.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the job ends or ``timeout`` seconds pass; True if it ended."""
        return self._state.done_event.wait(timeout)

    @property
    def result(self) -> TrainingResult | None:
        """The trained model and its evaluation, once the job finished or was stopped."""
        return self._state.result if self.done else None

    @property
    def worker_pid(self) -> int | None:
        """The process id of the job's worker, once it has one (None when in process)."""
        with self._state.lock:
            return self._state.worker_pid

    @property
    def traceback(self) -> str | None:
        """The full traceback of a failed job, for logs (show users :attr:`JobSnapshot.error`)."""
        return self._state.traceback

    def snapshot(self) -> JobSnapshot:
        """A consistent copy of the live state, taken under the job's lock."""
        state = self._state
        position = TRAINING_SLOTS.position(state)
        ahead = TRAINING_SLOTS.ahead(state)
        with state.lock:
            total_epochs = self.config.resolved_epochs
            total_batches = state.steps_per_epoch * total_epochs
            now = state.finished_at if state.finished_at is not None else time.perf_counter()
            elapsed = now - state.started_at if state.started_at is not None else 0.0
            done = state.batches_done
            rate = done / elapsed if elapsed > 0 and done > 0 else 0.0  # batches per second
            eta = None
            if state.status.ended:
                eta = 0.0
            elif rate > 0 and total_batches:
                eta = max(0.0, (total_batches - done) / rate)
            progress = (
                1.0
                if state.status == JobStatus.FINISHED
                else (done / total_batches if total_batches else 0.0)
            )
            return JobSnapshot(
                status=state.status,
                config=self.config,
                batch_steps=tuple(state.batch_steps),
                batch_loss=tuple(state.batch_loss),
                batch_accuracy=tuple(state.batch_accuracy),
                epochs=tuple(state.epochs),
                epoch=state.epoch,
                total_epochs=total_epochs,
                batches_done=done,
                total_batches=total_batches,
                progress=min(1.0, progress),
                elapsed_s=elapsed,
                images_per_second=rate * self.config.batch_size,
                eta_s=eta,
                error=state.error,
                queue_position=position if state.status == JobStatus.QUEUED else None,
                queue_ahead=ahead if state.status == JobStatus.QUEUED else (),
                filter_snapshots=state.snapshots.items,
                stopped_by_teacher=state.preempted_event.is_set(),
            )

    def history(self) -> dict[str, Any]:
        """The job's history as a JSON-friendly dict (what the CLI writes beside a model)."""
        snapshot = self.snapshot()
        result = self.result
        return {
            "config": self.config.as_dict(),
            "status": str(snapshot.status),
            "steps_per_epoch": self._state.steps_per_epoch,
            "batch_steps": list(snapshot.batch_steps),
            "batch_loss": list(snapshot.batch_loss),
            "batch_accuracy": list(snapshot.batch_accuracy),
            "epochs": [record.__dict__ for record in snapshot.epochs],
            "test_accuracy": None if result is None else result.test_accuracy,
            "test_loss": None if result is None else result.test_loss,
            "seconds_per_epoch": [record.seconds for record in snapshot.epochs],
            "elapsed_s": snapshot.elapsed_s,
            "filter_snapshots": [item.as_json() for item in snapshot.filter_snapshots],
        }
