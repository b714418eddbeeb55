"""Training in a worker process: the stream, stop, crashes, dropped jobs, data hand-over.

Every job here trains on a few hundred or thousand images; the jobs on the full training set
are stopped or killed after their first live points.
"""

import gc
import multiprocessing
import os
import signal
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from cnnviz.data import Mnist, load_mnist, to_model_input
from cnnviz.models import TrainingConfig
from cnnviz.training import TRAINING_SLOTS, TrainingJob
from cnnviz.training.worker import WORKERS, WorkerPool, death_message
from tests.training_faults import RaiseAtFirstPoint, SegfaultAtFirstPoint

pytestmark = pytest.mark.slow

JOB_TIMEOUT_S = 180  # a cold worker imports TensorFlow at low priority on a shared machine
CRASH_REPORT_S = 10  # "within a few seconds"
ABANDON_S = 3  # a poll (0.2 s), a SIGKILL and a reap; evaluating 10,000 images takes longer


@pytest.fixture(scope="module")
def mnist():
    return load_mnist(allow_download=False)


def wait_for(predicate, timeout=JOB_TIMEOUT_S, interval=0.02):
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if predicate():
            return True
        threading.Event().wait(interval)
    return False


def process_gone(pid: int) -> bool:
    """True once ``pid`` has exited and been reaped (a zombie still has its /proc entry)."""
    return not Path(f"/proc/{pid}").exists()


def shared_memory() -> set[str]:
    return set(os.listdir("/dev/shm")) if Path("/dev/shm").is_dir() else set()


def assert_failed_by_signal(job: TrainingJob, number: signal.Signals, cause: str) -> None:
    """The job's worker died of signal ``number``: the job failed with the teacher's message
    (which names ``cause``, and no traceback), has no result, freed its slot, and the worker
    was reaped (no zombie)."""
    snapshot = job.snapshot()
    assert snapshot.status == "failed"
    assert snapshot.error == death_message(-number)
    assert cause in snapshot.error and "Traceback" not in snapshot.error
    assert job.result is None and TRAINING_SLOTS.running == 0
    assert wait_for(lambda: process_gone(job.worker_pid), CRASH_REPORT_S)


def test_a_job_trains_in_another_process_and_streams_its_points(mnist):
    # 2048 images / 32 = 64 batches per epoch, in groups of 8: 8 live points an epoch.
    job = TrainingJob(TrainingConfig(subset=2048, epochs=2, seed=3), mnist).start()
    seen_lengths = set()
    while not job.wait(0.01):
        seen_lengths.add(len(job.snapshot().batch_steps))
    snapshot = job.snapshot()
    assert snapshot.status == "finished", snapshot.error
    pid = job.worker_pid
    assert pid is not None and pid != os.getpid()
    # The points arrived while it trained, a group at a time, not all at the end.
    assert len(seen_lengths - {0, len(snapshot.batch_steps)}) >= 3
    assert snapshot.batch_steps == tuple(range(8, 129, 8))
    assert [record.epoch for record in snapshot.epochs] == [1, 2]
    result = job.result
    tests = len(mnist.y_test)  # 10,000, or the shipped sample's 1,000 without the full file
    assert result.test_probabilities.shape == (tests, 10) and result.confusion.sum() == tests
    assert np.trace(result.confusion) / tests == pytest.approx(result.test_accuracy)
    # The model came over as a .keras file and predicts what the worker measured with it.
    probabilities = result.model.predict(to_model_input(mnist.x_test[:500], (32, 32)), verbose=0)
    np.testing.assert_allclose(probabilities, result.test_probabilities[:500], atol=1e-5)
    assert wait_for(lambda: process_gone(pid), CRASH_REPORT_S)  # the worker ended and was reaped


def test_stop_lands_within_a_group_and_the_worker_ends(mnist):
    # 5 epochs: 9,375 batches, or 320 with the shipped sample (2,048 images), stopped early in
    # the first epoch either way (1 epoch of the sample, 64 batches, was over too soon here).
    job = TrainingJob(TrainingConfig(epochs=5), mnist).start()
    assert wait_for(lambda: len(job.snapshot().batch_steps) >= 2), job.snapshot().error
    job.request_stop()
    assert job.wait(30), "a stop should land at the next live point"
    snapshot = job.snapshot()
    assert snapshot.status == "stopped"
    assert snapshot.batches_done < snapshot.total_batches / 2
    assert job.result is not None and len(job.result.epochs) == 1
    assert job.result.epochs[0].val_accuracy is None  # cut short: no validation pass
    assert wait_for(lambda: process_gone(job.worker_pid), CRASH_REPORT_S)


def test_a_killed_worker_fails_its_job_and_the_next_job_gets_a_fresh_one(mnist):
    shm_before = shared_memory()
    job = TrainingJob(TrainingConfig(epochs=5), mnist).start()  # killed long before its end
    assert wait_for(lambda: job.snapshot().batch_steps), job.snapshot().error
    pid = job.worker_pid
    os.kill(pid, signal.SIGKILL)  # what the kernel's out-of-memory killer does
    assert job.wait(CRASH_REPORT_S), "a dead worker must fail its job within seconds"
    assert_failed_by_signal(job, signal.SIGKILL, "ran out of memory")

    after = TrainingJob(TrainingConfig(subset=256, epochs=1), mnist).start()
    assert after.wait(JOB_TIMEOUT_S)
    assert after.snapshot().status == "finished", after.snapshot().error
    assert after.worker_pid != pid
    assert shared_memory() <= shm_before  # nothing left behind in /dev/shm
    children = {child.pid for child in multiprocessing.active_children()}
    assert pid not in children and after.worker_pid not in children


def test_a_segfault_inside_the_worker_fails_its_job_and_the_server_lives_on(mnist):
    job = TrainingJob(
        TrainingConfig(subset=256, epochs=1), mnist, extra_callbacks=[SegfaultAtFirstPoint()]
    ).start()
    assert job.wait(JOB_TIMEOUT_S), "a crashed worker must fail its job"
    assert_failed_by_signal(job, signal.SIGSEGV, "crashed inside TensorFlow")
    # This process (the server's stand-in) is untouched: the next job trains.
    after = TrainingJob(TrainingConfig(subset=256, epochs=1), mnist).start()
    assert after.wait(JOB_TIMEOUT_S) and after.snapshot().status == "finished"


def test_an_exception_inside_the_worker_is_reported_with_its_message(mnist):
    job = TrainingJob(
        TrainingConfig(subset=256, epochs=1),
        mnist,
        extra_callbacks=[RaiseAtFirstPoint("the projector caught fire")],
    ).start()
    assert job.wait(JOB_TIMEOUT_S)
    snapshot = job.snapshot()
    assert snapshot.status == "failed"
    assert snapshot.error == "RuntimeError: the projector caught fire"
    assert "Traceback" in job.traceback and "on_train_batch_end" in job.traceback
    assert job.result is None and TRAINING_SLOTS.running == 0


def test_a_dropped_job_stops_its_worker(mnist):
    """What happens when a session is released: its job is let go of, its worker must end."""
    job = TrainingJob(TrainingConfig(epochs=5), mnist).start()
    deadline = time.perf_counter() + JOB_TIMEOUT_S
    while not job.snapshot().batch_steps and not job.done and time.perf_counter() < deadline:
        time.sleep(0.05)  # a loop, not a lambda: nothing but `job` may hold the job
    assert job.snapshot().status == "running", job.snapshot().error
    pid = job.worker_pid
    del job
    gc.collect()
    # Abandoned, not merely stopped: killed without evaluating for nobody, the slot free at once.
    assert wait_for(lambda: TRAINING_SLOTS.running == 0, ABANDON_S), "the slot is still held"
    assert wait_for(lambda: process_gone(pid), ABANDON_S), "the dropped job's worker still runs"


def test_an_abandoned_job_frees_its_slot_at_once_and_keeps_no_result(mnist):
    job = TrainingJob(TrainingConfig(epochs=5), mnist).start()
    assert wait_for(lambda: job.snapshot().batch_steps), job.snapshot().error
    job.abandon()
    assert job.wait(ABANDON_S), "an abandoned job must end within a poll, not after evaluating"
    assert job.snapshot().status == "stopped" and job.result is None
    assert TRAINING_SLOTS.running == 0
    assert wait_for(lambda: process_gone(job.worker_pid), ABANDON_S)


def test_data_that_came_from_no_file_is_sent_to_the_worker(mnist):
    # Not the file's data: the worker's fingerprint check fails and the server sends the arrays.
    small = Mnist(mnist.x_train[:300], mnist.y_train[:300], mnist.x_test[:500], mnist.y_test[:500])
    job = TrainingJob(TrainingConfig(epochs=1), small).start()
    assert job.wait(JOB_TIMEOUT_S)
    snapshot = job.snapshot()
    assert snapshot.status == "finished", snapshot.error
    assert snapshot.total_batches == 10  # ceil(300 / 32): it trained on the 300 images sent
    assert job.result.test_probabilities.shape == (500, 10)


def test_a_warm_spare_serves_the_next_start(mnist):
    WORKERS.prewarm()
    assert WORKERS.wait_for_spare(JOB_TIMEOUT_S)
    spare = WORKERS.spare_pid()
    job = TrainingJob(TrainingConfig(subset=256, epochs=1), mnist).start()
    assert job.wait(JOB_TIMEOUT_S) and job.snapshot().status == "finished"
    assert job.worker_pid == spare  # the spare trained it
    assert wait_for(lambda: WORKERS.spare_pid() not in (None, spare), 10)  # and was replaced


def test_callbacks_that_cannot_travel_to_a_worker_are_refused(mnist):
    class Local(RaiseAtFirstPoint):  # defined in a function: a worker cannot import it
        pass

    with pytest.raises(ValueError, match="must be picklable"):
        TrainingJob(TrainingConfig(), mnist, extra_callbacks=[Local("x")])


def test_a_closed_pool_starts_no_worker():
    # As at the server's exit: a job ending then must not spawn a spare whose parent is gone.
    pool = WorkerPool()
    pool.close()
    pool.prewarm()
    assert pool.spare_pid() is None
    with pytest.raises(RuntimeError, match="shutting down"):
        pool.take()
