"""How much faster cnnviz trains the seed recipes than the seed notebook's own ``model.fit``.

Runs, for each model, the seed recipe exactly as the notebook does (its model code, ``/255``,
``np.expand_dims``, ``tf.image.resize`` to 32 × 32 for LeNet, ``compile(optimizer="adam")``,
``model.fit(x_train, y_train, epochs=..., validation_data=(x_test, y_test))`` with keras' default
progress bar) and then cnnviz's engine (:class:`cnnviz.training.TrainingJob`, polled twice a
second as the page does, with its live metrics on) on the same model, batch size and epochs.
Each run is a fresh subprocess, and the runs alternate (seed, ours, ours, seed, ... with
``--rounds``) so drift in a shared machine's load hits both. Prints per-epoch seconds (each
including its validation pass), totals, the speed-up (of mean and of median epochs, and in total:
the median shrugs off an epoch that a stall slowed) and the test accuracies. ``--precision``
trains ours in mixed bfloat16; the seed always runs in float32, as the notebook does.

    python -m bench.train_speed                     # both models, the recipes' epochs
    python -m bench.train_speed --model lenet --epochs 1 --subset 12000   # a quick check
    python -m bench.train_speed --model alexnet --precision mixed_bfloat16   # ours in bfloat16
    python -m bench.train_speed --compare snapshots --model lenet --rounds 3   # what snapshots cost

``--compare snapshots`` pits ours against ours with the filter snapshots turned off (the page
always takes them; only this bench turns them off), in the same ABBA order, and prints the
ratio of their median epochs: the snapshots' share of the training time.

Needs MNIST (``CNNVIZ_MNIST``). Timings exclude loading MNIST and resizing it, for both.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.support.seed_notebook import seed_alexnet_mnist, seed_lenet5
from cnnviz.models import PRECISIONS
from cnnviz.parallel import INTER_OP_ENV_VAR, INTRA_OP_ENV_VAR

PROJECT_ROOT = Path(__file__).resolve().parent.parent

DEFAULT_EPOCHS = {"lenet": 5, "alexnet": 3}
POLL_SECONDS = 0.5  # how often the Live training page reads a snapshot


def run_seed(model_name: str, epochs: int, subset: int | None, precision: str) -> dict:
    """The notebook's code path: numpy → tf.image.resize → model.fit with validation_data.

    Always float32, as the notebook: ``precision`` applies to ours only."""
    import numpy as np
    import tensorflow as tf

    from cnnviz.data import load_mnist

    (x_train, y_train, x_test, y_test) = load_mnist(allow_download=False)
    if subset:
        x_train, y_train = x_train[:subset], y_train[:subset]
    x_train = x_train.astype("float32") / 255.0
    x_test = x_test.astype("float32") / 255.0
    x_train = np.expand_dims(x_train, axis=-1)
    x_test = np.expand_dims(x_test, axis=-1)
    if model_name == "lenet":
        x_train = tf.image.resize(x_train, [32, 32])
        x_test = tf.image.resize(x_test, [32, 32])
        model = seed_lenet5()
    else:
        model = seed_alexnet_mnist()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])

    epoch_seconds: list[float] = []

    class EpochTimer(tf.keras.callbacks.Callback):  # epoch hooks only: no per-batch cost
        def on_epoch_begin(self, epoch, logs=None):
            self.started = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            epoch_seconds.append(time.perf_counter() - self.started)

    started, cpu_started = time.perf_counter(), time.process_time()
    history = model.fit(
        x_train, y_train, epochs=epochs, validation_data=(x_test, y_test), callbacks=[EpochTimer()]
    )
    total, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    return {
        "epoch_seconds": epoch_seconds,
        "total_seconds": total,
        "cpu_seconds": cpu,
        "val_accuracy": [float(value) for value in history.history["val_accuracy"]],
        "test_accuracy": float(history.history["val_accuracy"][-1]),
    }


def run_ours(
    model_name: str, epochs: int, subset: int | None, precision: str, snapshots: bool = True
) -> dict:
    """cnnviz's engine as the page uses it: a TrainingJob polled for snapshots.

    ``snapshots=False`` trains without the first layer's filter snapshots (the A side of
    ``--compare snapshots``); the page never does.
    """
    from cnnviz.data import load_mnist
    from cnnviz.models import TrainingConfig
    from cnnviz.training import TrainingJob, fitting
    from cnnviz.training.fitting import training_arrays

    if not snapshots:
        # The job calls fitting.fit through the module: this worker process's fit takes none.
        fitting.fit = functools.partial(fitting.fit, snapshot_seconds=None)

    mnist = load_mnist(allow_download=False)
    config = TrainingConfig(model=model_name, epochs=epochs, subset=subset, precision=precision)
    # Resize once before timing, as the seed's tf.image.resize happens before its fit.
    training_arrays(mnist, config.recipe.input_size, config.subset, config.seed)
    started, cpu_started = time.perf_counter(), time.process_time()
    # In this process, like the seed's fit, so the CPU time and the cached data are comparable.
    job = TrainingJob(config, mnist, in_process=True).start()
    points = 0
    while not job.wait(POLL_SECONDS):
        points = len(job.snapshot().batch_steps)
    total, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    snapshot = job.snapshot()
    if snapshot.status != "finished":
        raise RuntimeError(f"our training ended with {snapshot.status}: {snapshot.error}")
    return {
        "epoch_seconds": [record.seconds for record in snapshot.epochs],
        "total_seconds": total,
        "cpu_seconds": cpu,
        "val_accuracy": [record.val_accuracy for record in snapshot.epochs],
        "test_accuracy": job.result.test_accuracy,
        "live_points": len(snapshot.batch_steps),
        "points_seen_while_polling": points,
        "filter_snapshots": len(snapshot.filter_snapshots),
    }


WORKERS = {
    "seed": run_seed,
    "ours": run_ours,
    "ours_no_snapshots": functools.partial(run_ours, snapshots=False),
}


def run_in_subprocess(
    kind: str, model_name: str, epochs: int, subset: int | None, precision: str
) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "result.json"
        command = [sys.executable, "-m", "bench.train_speed", "--worker", kind]
        command += ["--model", model_name]
        command += ["--epochs", str(epochs), "--worker-out", str(out), "--precision", precision]
        if subset:
            command += ["--subset", str(subset)]
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
        # The seed runs with TensorFlow's own thread pools ("0" = TensorFlow's choice, which
        # importing cnnviz leaves alone); ours with the ones cnnviz.parallel sets.
        for variable in (INTRA_OP_ENV_VAR, INTER_OP_ENV_VAR):
            if kind == "seed":
                env[variable] = "0"
            else:
                env.pop(variable, None)
        completed = subprocess.run(
            command, cwd=PROJECT_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        if completed.returncode != 0:
            raise RuntimeError(f"{kind} run failed:\n{completed.stderr.decode()[-3000:]}")
        return json.loads(out.read_text())


def snapshot_cost_line(model_name: str, epochs: int, off: list[dict], on: list[dict]) -> str:
    """What the snapshots cost: the ratio of the median epochs with and without them, and of
    the runs' median CPU time (which a busy neighbour stretches less than the wall time)."""
    off_epochs = [s for run in off for s in run["epoch_seconds"]]
    on_epochs = [s for run in on for s in run["epoch_seconds"]]
    off_median, on_median = statistics.median(off_epochs), statistics.median(on_epochs)
    ratio = on_median / off_median
    cpu_ratio = statistics.median(run["cpu_seconds"] for run in on) / statistics.median(
        run["cpu_seconds"] for run in off
    )
    without = " ".join(f"{seconds:.1f}" for seconds in off_epochs)
    with_them = " ".join(f"{seconds:.1f}" for seconds in on_epochs)
    return (
        f"{model_name}: {epochs} epoch(s) x {len(on)} run(s) each; median epoch without "
        f"snapshots {off_median:.2f} s, with {on_median:.2f} s: with/without = {ratio:.3f} "
        f"({ratio - 1:+.1%}; target under +3%), CPU time with/without {cpu_ratio:.3f}; "
        f"per-epoch s without {without}, with {with_them}"
    )


def describe(name: str, runs: list[dict]) -> str:
    epochs = [" ".join(f"{s:6.1f}" for s in run["epoch_seconds"]) for run in runs]
    accuracies = ", ".join(f"{run['test_accuracy']:.2%}" for run in runs)
    totals = ", ".join(f"{run['total_seconds']:.1f}" for run in runs)
    return (
        f"  {name}: per-epoch s [{' | '.join(epochs)}]; total s {totals}; "
        f"test accuracy {accuracies}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=["lenet", "alexnet", "both"], default="both")
    parser.add_argument("--epochs", type=int, help="default: the recipe's (LeNet 5, AlexNet 3)")
    parser.add_argument("--subset", type=int, help="train on the first N images (quick checks)")
    parser.add_argument("--rounds", type=int, default=1, help="seed/ours pairs per model (ABBA)")
    parser.add_argument(
        "--precision",
        choices=PRECISIONS,
        default="float32",
        help="our arithmetic (the seed's is always float32); default float32",
    )
    parser.add_argument(
        "--compare",
        choices=["seed", "snapshots"],
        default="seed",
        help="seed: the seed's model.fit vs ours (default); snapshots: ours without the filter "
        "snapshots vs ours with them",
    )
    parser.add_argument("--worker", choices=[*WORKERS], help=argparse.SUPPRESS)
    parser.add_argument("--worker-out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.worker:
        result = WORKERS[args.worker](args.model, args.epochs, args.subset, args.precision)
        args.worker_out.write_text(json.dumps(result))
        return 0

    models = ["lenet", "alexnet"] if args.model == "both" else [args.model]
    print(
        f"cnnviz training speed, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
        f"{os.cpu_count()} CPUs, subset={args.subset or 'all 60000'}, "
        f"ours in {args.precision}",
        flush=True,
    )
    baseline = "seed" if args.compare == "seed" else "ours_no_snapshots"
    for model_name in models:
        epochs = args.epochs or DEFAULT_EPOCHS[model_name]
        runs: dict[str, list[dict]] = {baseline: [], "ours": []}
        # ABBA order: seed, ours, ours, seed, ... so a trend in the load hits both equally.
        order = []
        for round_index in range(args.rounds):
            order += [baseline, "ours"] if round_index % 2 == 0 else ["ours", baseline]
        for kind in order:
            result = run_in_subprocess(kind, model_name, epochs, args.subset, args.precision)
            runs[kind].append(result)
            print(
                f"  [{model_name} {kind}] epochs s "
                + " ".join(f"{s:.1f}" for s in result["epoch_seconds"])
                + f", total {result['total_seconds']:.1f} s"
                + f" (CPU {result['cpu_seconds']:.1f} s)"
                + f", test acc {result['test_accuracy']:.4f}"
                + (f", {result['filter_snapshots']} snapshots" if kind == "ours" else ""),
                flush=True,
            )
        if args.compare == "snapshots":
            print(snapshot_cost_line(model_name, epochs, runs[baseline], runs["ours"]))
            continue
        seed_epochs = [s for run in runs["seed"] for s in run["epoch_seconds"]]
        ours_epochs = [s for run in runs["ours"] for s in run["epoch_seconds"]]
        seed_epoch, ours_epoch = statistics.mean(seed_epochs), statistics.mean(ours_epochs)
        # The median epoch shrugs off an epoch that a busy neighbour on a shared machine slowed.
        seed_median, ours_median = statistics.median(seed_epochs), statistics.median(ours_epochs)
        seed_total = statistics.mean(run["total_seconds"] for run in runs["seed"])
        ours_total = statistics.mean(run["total_seconds"] for run in runs["ours"])
        seed_cpu = statistics.mean(run["cpu_seconds"] for run in runs["seed"])
        ours_cpu = statistics.mean(run["cpu_seconds"] for run in runs["ours"])
        print(f"{model_name}: {epochs} epoch(s), batch 32")
        print(describe("seed", runs["seed"]))
        print(describe("ours", runs["ours"]))
        print(
            f"  speed-up: {seed_epoch / ours_epoch:.2f}x per epoch "
            f"({seed_epoch:.1f} s -> {ours_epoch:.1f} s; "
            f"median epoch {seed_median / ours_median:.2f}x), "
            f"{seed_total / ours_total:.2f}x in total "
            f"({seed_total:.1f} s -> {ours_total:.1f} s); CPU time {seed_cpu / ours_cpu:.2f}x "
            f"({seed_cpu:.1f} s -> {ours_cpu:.1f} s)",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
