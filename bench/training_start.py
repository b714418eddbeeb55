"""What a Start costs: from ``TrainingJob.start()`` to the first live point, cold and warm.

Cold: no spare worker, so the job's worker is spawned and imports TensorFlow first. Warm: the
spare has imported TensorFlow already (what the Live training page arranges), so the start pays
reading MNIST, preparing the data, building the model and tracing its first training step.
Each round times both, alternating, on the job the load test starts (LeNet-5 on all 60,000
images, stopped at its first live point).

    python -m bench.training_start --rounds 3
"""

from __future__ import annotations

import argparse
import statistics
import time

from cnnviz.data import load_mnist
from cnnviz.models import TrainingConfig
from cnnviz.training import TrainingJob
from cnnviz.training.worker import READY_TIMEOUT_S, WORKERS

POLL_S = 0.01


def time_start(mnist, config: TrainingConfig) -> float:
    """Seconds from start() to the first live point of one job (then stopped)."""
    started = time.perf_counter()
    job = TrainingJob(config, mnist).start()
    while not job.snapshot().batch_steps:
        if job.wait(POLL_S):
            raise RuntimeError(f"the job ended before its first point: {job.snapshot().error}")
    first_point = time.perf_counter() - started
    job.request_stop()
    job.wait()
    return first_point


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.training_start")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--subset", type=int, default=None, help="default: all 60,000 images")
    args = parser.parse_args(argv)
    mnist = load_mnist(allow_download=False)
    config = TrainingConfig(subset=args.subset, epochs=1)
    cold, warm = [], []
    for round_number in range(1, args.rounds + 1):
        WORKERS.shutdown()  # no spare: the next job's worker starts from nothing
        cold.append(time_start(mnist, config))
        # The job that just ended started a fresh spare; wait until it has imported TensorFlow.
        if not WORKERS.wait_for_spare(READY_TIMEOUT_S):
            raise RuntimeError("the spare worker did not get ready")
        warm.append(time_start(mnist, config))
        print(f"round {round_number}: cold {cold[-1]:.2f} s, warm {warm[-1]:.2f} s", flush=True)
    WORKERS.shutdown()
    cold_s, warm_s = statistics.median(cold), statistics.median(warm)
    print(
        f"start to first live point, median of {args.rounds}: cold {cold_s:.2f} s, "
        f"warm {warm_s:.2f} s (fastest {min(cold):.2f} / {min(warm):.2f} s)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
