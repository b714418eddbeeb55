"""A trained network's accuracy on MNIST test digits shifted by 0 … 6 pixels: the real test.

:func:`shifted_accuracy` needs TensorFlow and every test digit, so it runs once before class
(``python -m cnnviz.shift_accuracy``, :func:`main`) and the curves ship in
:data:`SHIFT_ACCURACY_PATH`. Reading them (:func:`load_curves`) and the sentence they
support are plain Python: the pooling page shows them without importing TensorFlow.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from cnnviz import MODELS_DIR

if TYPE_CHECKING:  # only for type hints: importing keras costs seconds
    import keras

# The accuracy curve shifts each digit this many pixels in each of four directions (and
# averages them): MNIST digits sit in a 20 × 20 box in the middle of 28 × 28, so up to 4
# pixels keep every digit whole and 6 cut into wide ones.
ACCURACY_SHIFTS = tuple(range(7))
ACCURACY_DIRECTIONS: dict[str, tuple[int, int]] = {
    "right": (0, 1),
    "left": (0, -1),
    "down": (1, 0),
    "up": (-1, 0),
}
# The shipped curves the pooling page plots, and the command that measures them again.
SHIFT_ACCURACY_PATH = MODELS_DIR / "shift_accuracy.json"
SHIFT_ACCURACY_COMMAND = "python -m cnnviz.shift_accuracy"


def shift_digits(images: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """MNIST digits (N, 28, 28) moved down by ``rows`` and right by ``cols``; black comes in.

    Examples
    --------
    >>> shift_digits(np.arange(1, 5).reshape(1, 2, 2), 0, 1)
    array([[[0, 1],
            [0, 3]]])
    """
    batch = np.asarray(images)
    height, width = batch.shape[1:3]
    if abs(rows) >= height or abs(cols) >= width:
        raise ValueError(f"A shift of ({rows}, {cols}) moves a {height}×{width} digit out of view.")
    shifted = np.zeros_like(batch)
    source = batch[:, max(-rows, 0) : height - max(rows, 0), max(-cols, 0) : width - max(cols, 0)]
    shifted[:, max(rows, 0) : height - max(-rows, 0), max(cols, 0) : width - max(-cols, 0)] = source
    return shifted


@dataclass(frozen=True)
class ShiftAccuracy:
    """A model's accuracy on test digits shifted by 0 … 6 pixels (mean of four directions)."""

    model: str  # the registry key, e.g. "lenet"
    shifts: tuple[int, ...]
    accuracy: tuple[float, ...]  # mean over the directions, per shift
    by_direction: Mapping[str, tuple[float, ...]]
    count: int  # test digits used

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly fields."""
        return {
            "model": self.model,
            "shifts": list(self.shifts),
            "accuracy": list(self.accuracy),
            "by_direction": {key: list(value) for key, value in self.by_direction.items()},
            "count": self.count,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ShiftAccuracy:
        """The inverse of :meth:`as_dict`; raises ``KeyError``/``TypeError`` for a bad file."""
        return cls(
            model=str(data["model"]),
            shifts=tuple(int(value) for value in data["shifts"]),
            accuracy=tuple(float(value) for value in data["accuracy"]),
            by_direction={
                str(key): tuple(float(value) for value in values)
                for key, values in data["by_direction"].items()
            },
            count=int(data["count"]),
        )


def shifted_accuracy(
    model: keras.Model,
    images: np.ndarray,
    labels: np.ndarray,
    model_key: str,
    shifts: Sequence[int] = ACCURACY_SHIFTS,
    directions: Mapping[str, tuple[int, int]] = ACCURACY_DIRECTIONS,
) -> ShiftAccuracy:
    """``model``'s accuracy on ``images`` (N, 28, 28) shifted by each of ``shifts`` pixels.

    Each digit is shifted in 28 × 28 (black comes in), then prepared as the model takes it
    (:func:`cnnviz.data.to_model_input`: LeNet-5's 32 × 32 resize), so a shift of one pixel is
    one pixel of the MNIST digit. Imports TensorFlow.
    """
    from cnnviz.data import to_model_input
    from cnnviz.models import input_size

    size = input_size(model)
    truth = np.asarray(labels)
    by_direction: dict[str, list[float]] = {direction: [] for direction in directions}
    for distance in shifts:
        for direction, (rows, cols) in directions.items():
            batch = to_model_input(shift_digits(images, rows * distance, cols * distance), size)
            probabilities = model.predict(batch, batch_size=1000, verbose=0)
            by_direction[direction].append(float(np.mean(probabilities.argmax(axis=1) == truth)))
    mean = tuple(float(np.mean(values)) for values in zip(*by_direction.values(), strict=True))
    return ShiftAccuracy(
        model=model_key,
        shifts=tuple(int(distance) for distance in shifts),
        accuracy=mean,
        by_direction={key: tuple(values) for key, values in by_direction.items()},
        count=len(truth),
    )


def load_curves(path: Path = SHIFT_ACCURACY_PATH) -> dict[str, ShiftAccuracy]:
    """The shipped curves, model key → :class:`ShiftAccuracy` (no TensorFlow).

    Raises
    ------
    FileNotFoundError
        If the file is missing (make it with ``python -m cnnviz.shift_accuracy``).
    ValueError
        If the file is not the JSON this module writes.
    """
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return {key: ShiftAccuracy.from_dict(value) for key, value in data["models"].items()}
    except (KeyError, TypeError, AttributeError, json.JSONDecodeError) as error:
        raise ValueError(
            f"{Path(path).name} is not a shift-accuracy file ({type(error).__name__}: {error}); "
            f"make it again with `{SHIFT_ACCURACY_COMMAND}`."
        ) from None


def tolerated_shift(curve: ShiftAccuracy, points: float = 1.0) -> int:
    """The largest shift up to which every accuracy stays within ``points`` percentage points
    of the unshifted one, compared as the page shows them (to 0.1%).

    Examples
    --------
    >>> tolerated_shift(ShiftAccuracy("lenet", (0, 1, 2, 3), (0.99, 0.98, 0.95, 0.99), {}, 1))
    1
    """
    shown = [round(accuracy * 1000) for accuracy in curve.accuracy]  # tenths of a percent
    holds = 0
    for shift, tenths in zip(curve.shifts, shown, strict=True):
        if shown[0] - tenths > round(points * 10):
            break
        holds = shift
    return holds


def curve_sentence(curve: ShiftAccuracy, label: str) -> str:
    """What the curve says, from its own numbers.

    Examples
    --------
    >>> curve = ShiftAccuracy("lenet", (0, 1, 2), (0.99, 0.98, 0.80), {}, 10_000)
    >>> print(curve_sentence(curve, "LeNet-5"))  # doctest: +NORMALIZE_WHITESPACE
    LeNet-5 reads 99.0% of the 10,000 unshifted test digits correctly, 98.0% after a shift of
    1 pixel and 80.0% after 2 pixels. It stays within one point of its unshifted accuracy up
    to 1 pixel.
    """
    start = curve.accuracy[0]
    middle = ", ".join(
        f"{accuracy:.1%} after {'a shift of ' if index == 1 else ''}"
        f"{shift} pixel{'s' if shift != 1 else ''}"
        for index, (shift, accuracy) in enumerate(
            zip(curve.shifts[1:], curve.accuracy[1:], strict=True), start=1
        )
    )
    middle = " and ".join(middle.rsplit(", ", 1)) if ", " in middle else middle
    holds = tolerated_shift(curve)
    tail = (
        f"It stays within one point of its unshifted accuracy up to {holds} "
        f"pixel{'s' if holds != 1 else ''}."
        if holds
        else "Already a 1-pixel shift costs it more than a point."
    )
    return (
        f"{label} reads {start:.1%} of the {curve.count:,} unshifted test digits correctly, "
        f"{middle}. {tail}"
    )


def main(argv: list[str] | None = None) -> int:
    """``python -m cnnviz.shift_accuracy``: measure the shipped models on shifted test digits."""
    parser = argparse.ArgumentParser(
        prog=SHIFT_ACCURACY_COMMAND,
        description="Accuracy of the shipped models on MNIST test digits shifted by 0-6 pixels.",
    )
    parser.add_argument("--count", type=int, default=10_000, help="test digits (default: all)")
    parser.add_argument("--out", type=Path, default=SHIFT_ACCURACY_PATH)
    args = parser.parse_args(argv)

    from cnnviz.data import load_mnist
    from cnnviz.inference import load_registry

    mnist = load_mnist()
    images, labels = mnist.x_test[: args.count], mnist.y_test[: args.count]
    curves = {}
    for key, status in load_registry().items():
        if not status.ok:
            print(status.error, file=sys.stderr)
            return 1
        curves[key] = shifted_accuracy(status.model, images, labels, key).as_dict()
        print(key, [f"{value:.2%}" for value in curves[key]["accuracy"]])
    command = SHIFT_ACCURACY_COMMAND + ("" if args.count == 10_000 else f" --count {args.count}")
    document = {"command": command, "models": curves}
    args.out.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
