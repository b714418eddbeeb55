"""What the filter snapshots cost the training: an A/B in one process, and one snapshot's time.

Two measurements, because a shared machine's load drifts:

1. **One snapshot**: the median time of :meth:`FirstLayerProbe.take` (read the first layer's
   kernel, run the probe digit through it) on a freshly built model of each recipe. Taken every
   ``SNAPSHOT_SECONDS`` of training, its share of the training time is at most
   ``take / SNAPSHOT_SECONDS`` (less once the series thins and the interval doubles).
2. **A/B**: LeNet-5 trained with snapshots on and off, alternating (off, on, on, off, ...), in
   one process, on the same subset; the ratio of their median wall times.

    python -m bench.snapshot_cost                       # LeNet-5 A/B on 12,000 images, 3 rounds
    python -m bench.snapshot_cost --subset 30000 --rounds 4

Needs MNIST (``CNNVIZ_MNIST``). Run it under ``flock /work/bench.lock`` on the shared machine.
"""

from __future__ import annotations

import argparse
import statistics
import time

from bench.support.stats import percentile

TAKES = 50  # snapshots timed per model


def time_one_snapshot(model_key: str, mnist) -> list[float]:
    """Seconds per snapshot of ``model_key``'s first layer, ``TAKES`` times."""
    from cnnviz.models import TrainingConfig, build_model
    from cnnviz.training.fitting import FirstLayerProbe, training_arrays
    from cnnviz.training.snapshots import PROBE_INDEX

    config = TrainingConfig(model=model_key, subset=256)
    _, _, x_test, _ = training_arrays(mnist, config.recipe.input_size, config.subset, config.seed)
    probe = FirstLayerProbe(build_model(config), x_test[PROBE_INDEX : PROBE_INDEX + 1])
    probe.take(0, 0.0)  # the first call builds the sub-model's graph
    times = []
    for _ in range(TAKES):
        start = time.perf_counter()
        probe.take(0, 0.0)
        times.append(time.perf_counter() - start)
    return times


def train_once(mnist, subset: int, snapshots: bool) -> tuple[float, int]:
    """Wall seconds of one LeNet-5 fit (one epoch of ``subset`` images) and snapshots taken."""
    from cnnviz.models import TrainingConfig
    from cnnviz.training import fitting
    from cnnviz.training.snapshots import SNAPSHOT_SECONDS, FilterSnapshot

    taken = []

    def report(record):
        if isinstance(record, FilterSnapshot):
            taken.append(record)

    config = TrainingConfig(model="lenet", subset=subset, epochs=1, seed=0)
    start = time.perf_counter()
    fitting.fit(
        config,
        mnist,
        report,
        lambda: False,
        snapshot_seconds=SNAPSHOT_SECONDS if snapshots else None,
    )
    return time.perf_counter() - start, len(taken)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subset", type=int, default=12_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)

    from cnnviz.data import load_mnist
    from cnnviz.training.snapshots import SNAPSHOT_SECONDS

    mnist = load_mnist(allow_download=False)
    for model_key in ("lenet", "alexnet"):
        times = time_one_snapshot(model_key, mnist)
        median = statistics.median(times)
        print(
            f"{model_key}: one snapshot median {median * 1e3:.2f} ms, p95 "
            f"{percentile(times, 0.95) * 1e3:.2f} ms over {len(times)} -> at most "
            f"{median / SNAPSHOT_SECONDS:.2%} of training time at one every {SNAPSHOT_SECONDS:g} s"
        )
    train_once(mnist, 1024, snapshots=True)  # warm-up: resizing, graph building
    walls: dict[bool, list[float]] = {False: [], True: []}
    order = [False, True, True, False] * args.rounds
    for snapshots in order[: 2 * args.rounds]:
        seconds, count = train_once(mnist, args.subset, snapshots)
        walls[snapshots].append(seconds)
        print(f"  snapshots {'on ' if snapshots else 'off'}: {seconds:.2f} s ({count} taken)")
    off, on = statistics.median(walls[False]), statistics.median(walls[True])
    print(
        f"LeNet-5, {args.subset:,} images, {args.rounds} rounds: median {off:.2f} s off, "
        f"{on:.2f} s on -> on/off = {on / off:.3f}"
    )


if __name__ == "__main__":
    main()
