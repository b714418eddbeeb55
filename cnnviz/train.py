"""Pre-train a model before class: ``python -m cnnviz.train {lenet,alexnet} [options]``.

The same engine as the Live training page (:class:`cnnviz.training.TrainingJob`), with a plain
text progress bar. Writes the model as a ``.keras`` file without optimizer state, and its history
(``<name>.history.json``) beside it. The shipped models were made with::

    python -m cnnviz.train lenet --epochs 8 --augment --out models/lenet5.keras
    python -m cnnviz.train alexnet --epochs 3 --out models/alexnet.keras
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from pathlib import Path

from cnnviz import MODELS_DIR
from cnnviz.data import MNIST_TRAIN_SIZE
from cnnviz.models import (
    ACTIVATIONS,
    MODEL_SPECS,
    OPTIMIZERS,
    POOLINGS,
    PRECISIONS,
    TrainingConfig,
)

PROGRESS_BAR_WIDTH = 30
REFRESH_SECONDS = 0.5


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m cnnviz.train",
        description="Train a cnnviz model on MNIST with the seed recipe (or your changes to it).",
    )
    defaults = TrainingConfig()  # the seed's values, as the Live training page starts with
    recipe_epochs = ", ".join(f"{key} {spec.recipe.epochs}" for key, spec in MODEL_SPECS.items())
    parser.add_argument("model", choices=sorted(MODEL_SPECS), help="which network to train")
    parser.add_argument("--epochs", type=int, help=f"default: the recipe's ({recipe_epochs})")
    parser.add_argument(
        "--batch-size",
        type=int,
        default=defaults.batch_size,
        help=f"default: {defaults.batch_size}, as the seed",
    )
    parser.add_argument(
        "--subset", type=int, help=f"train on N images only (default: all {MNIST_TRAIN_SIZE:,})"
    )
    parser.add_argument("--activation", choices=ACTIVATIONS, help="default: the recipe's")
    parser.add_argument("--pooling", choices=POOLINGS, help="default: the recipe's")
    parser.add_argument("--optimizer", choices=OPTIMIZERS, default=defaults.optimizer)
    parser.add_argument("--learning-rate", type=float, default=defaults.learning_rate)
    parser.add_argument("--augment", action="store_true", help="random shifts/rotations/zooms")
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument(
        "--precision",
        choices=PRECISIONS,
        default=defaults.precision,
        help=f"default: {defaults.precision} (the seed's arithmetic); mixed_bfloat16 computes "
        "convolutions and matrix products in bfloat16 (faster on CPUs that have it) and saves "
        "the model in float32",
    )
    parser.add_argument(
        "--out",
        type=Path,
        help="where to write the .keras file (default: models/<name>.keras); the history goes "
        "beside it as <name>.history.json",
    )
    return parser.parse_args(argv)


def default_output(model: str) -> Path:
    """``models/lenet5.keras`` for the shipped models, ``models/<model>.keras`` otherwise."""
    return MODELS_DIR / (MODEL_SPECS[model].shipped_file or f"{model}.keras")


def progress_line(snapshot) -> str:
    """One line of plain-text progress: bar, epoch, batches, loss, accuracy, speed, ETA."""
    filled = round(snapshot.progress * PROGRESS_BAR_WIDTH)
    bar = "#" * filled + "-" * (PROGRESS_BAR_WIDTH - filled)
    line = (
        f"[{bar}] {snapshot.progress:6.1%}  epoch {snapshot.epoch}/{snapshot.total_epochs}  "
        f"batch {snapshot.batches_done}/{snapshot.total_batches}"
    )
    if snapshot.batch_loss:
        line += f"  loss {snapshot.batch_loss[-1]:.4f}  acc {snapshot.batch_accuracy[-1]:.4f}"
    if snapshot.images_per_second:
        line += f"  {snapshot.images_per_second:,.0f} img/s"
    if snapshot.eta_s is not None:
        line += f"  ETA {snapshot.eta_s:5.0f} s"
    return line


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        config = TrainingConfig(
            model=args.model,
            activation=args.activation,
            pooling=args.pooling,
            optimizer=args.optimizer,
            learning_rate=args.learning_rate,
            batch_size=args.batch_size,
            epochs=args.epochs,
            subset=args.subset,
            augment=args.augment,
            seed=args.seed,
            precision=args.precision,
        )
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    out = args.out if args.out is not None else default_output(args.model)
    if out.suffix != ".keras":
        print(f"error: --out must end in .keras, got '{out}'.", file=sys.stderr)
        return 2

    from cnnviz.data import MnistNotFoundError, load_mnist
    from cnnviz.training import TrainingJob, history_path

    try:
        mnist = load_mnist()
    except MnistNotFoundError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2

    print(f"Training {config.label} for {config.resolved_epochs} epoch(s) …")
    # In this process: a command line has no other clicks to keep responsive.
    job = TrainingJob(config, mnist, in_process=True).start()
    shown_epochs = 0
    try:
        while not job.wait(REFRESH_SECONDS):
            snapshot = job.snapshot()
            for record in snapshot.epochs[shown_epochs:]:
                print("\r" + _epoch_line(record).ljust(120))
            shown_epochs = len(snapshot.epochs)
            print("\r" + progress_line(snapshot), end="", flush=True)
    except KeyboardInterrupt:
        print("\nStopping after the current batches …")
        job.request_stop()
        job.wait()
    snapshot = job.snapshot()
    for record in snapshot.epochs[shown_epochs:]:
        print("\r" + _epoch_line(record).ljust(120))
    print()
    if snapshot.status == "failed":
        print(f"Training failed: {snapshot.error}", file=sys.stderr)
        print(job.traceback or "", file=sys.stderr)
        return 1
    result = job.result
    if result is None:
        print("Training was stopped before it began; nothing saved.", file=sys.stderr)
        return 1
    print(
        f"Test accuracy {result.test_accuracy:.2%} (loss {result.test_loss:.4f}) after "
        f"{len(result.epochs)} epoch(s); seconds per epoch: "
        + ", ".join(f"{seconds:.1f}" for seconds in result.seconds_per_epoch)
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(result.model_bytes())
    history = job.history()
    history["command"] = "python -m cnnviz.train " + shlex.join(
        sys.argv[1:] if argv is None else argv
    )
    history["saved_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    history_file = history_path(out)
    history_file.write_text(json.dumps(history, indent=1) + "\n", encoding="utf-8")
    print(f"Saved {out} ({out.stat().st_size / 1e6:.1f} MB) and {history_file}")
    return 0


def _epoch_line(record) -> str:
    line = f"epoch {record.epoch}: loss {record.loss:.4f}  accuracy {record.accuracy:.4f}"
    if record.val_accuracy is not None:
        line += f"  val_loss {record.val_loss:.4f}  val_accuracy {record.val_accuracy:.4f}"
    return line + f"  ({record.seconds:.1f} s)"


if __name__ == "__main__":
    sys.exit(main())
