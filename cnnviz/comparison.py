"""Two training runs side by side: the numbers a class compares, and the sentence they support.

A run is whatever trained a digit model: a job of this session (:func:`run_from_result`), or a
shipped model replayed from its history file (:func:`run_from_history`). Both become a
:class:`RunSummary`, so a LeNet-5 trained live compares with the shipped AlexNet exactly as two
live runs of LeNet-5 with tanh and ReLU do. Pure Python and numpy: no TensorFlow, no drawing.

Examples
--------
>>> import textwrap
>>> from types import SimpleNamespace as Epoch
>>> fast = RunSummary("A", 1_000, (Epoch(epoch=1, seconds=2.0, val_loss=0.1),), 600, 0.98)
>>> slow = RunSummary("B", 4_000, (Epoch(epoch=1, seconds=8.0, val_loss=0.1),), 600, 0.99)
>>> fast.images_per_second, slow.images_per_second
(300.0, 75.0)
>>> print(textwrap.fill(comparison_sentence(fast, slow), 90))
B has 4.0× the parameters of A and trains 4.0× slower per image; it is 1.00 points more
accurate on the test set (99.00% vs 98.00%).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from cnnviz.models import MNIST_TRAIN_SIZE, TrainingConfig, model_spec

# Speeds within 5% of each other are "about as fast": epoch times vary that much between runs.
SAME_SPEED = 1.05
# Accuracy differences below this many percentage points (half a test digit in 10,000) are ties.
SAME_ACCURACY_POINTS = 0.005

__all__ = [
    "RunSummary",
    "comparison_rows",
    "comparison_sentence",
    "run_from_history",
    "run_from_result",
    "settings_label",
]


@dataclass(frozen=True)
class RunSummary:
    """What the comparison needs to know about one finished (or stopped) run.

    Attributes
    ----------
    label : str
        How the page names the run, e.g. "LeNet-5 (seed), relu, max pooling".
    parameters : int
        Trainable and non-trainable weights of the model.
    epochs : tuple of epoch records
        Objects with ``epoch``, ``seconds`` and ``val_loss`` (plus ``loss``, ``accuracy`` and
        ``val_accuracy`` for the curves): :class:`cnnviz.training.EpochRecord`.
    training_images : int
        Images in one epoch (the subset size, or all 60,000).
    test_accuracy : float or None
        On the 10,000 MNIST test digits; None when the run ended before any evaluation.
    test_probabilities : ndarray of shape (10000, 10), optional
        Every test digit's probabilities, for the digits two runs disagree on.
    timed_here : bool
        True when the epoch times were measured on this server (a run of this session); a
        shipped model's times come from whatever machine trained it, under whatever load, so
        its speed is shown but never compared with another run's.
    """

    label: str
    parameters: int
    epochs: tuple[Any, ...]
    training_images: int
    test_accuracy: float | None
    test_probabilities: np.ndarray | None = None
    timed_here: bool = True

    @property
    def complete_epochs(self) -> tuple[Any, ...]:
        """The epochs that ran to their end (a stopped epoch has no validation)."""
        return tuple(record for record in self.epochs if record.val_loss is not None)

    @property
    def seconds_per_epoch(self) -> float | None:
        """Mean wall time of a complete epoch (validation included), or None if none was."""
        complete = self.complete_epochs
        if not complete:
            return None
        return float(np.mean([record.seconds for record in complete]))

    @property
    def images_per_second(self) -> float | None:
        """Training images per second of epoch time, over the complete epochs."""
        seconds = self.seconds_per_epoch
        if seconds is None or seconds <= 0:
            return None
        return self.training_images / seconds


def settings_label(config: TrainingConfig) -> str:
    """The model's name and every setting that differs from its recipe, for telling runs apart.

    >>> settings_label(TrainingConfig(model="lenet", activation="relu", pooling="max"))
    'LeNet-5 (seed), relu, max pooling'
    >>> settings_label(TrainingConfig(model="alexnet"))
    'AlexNet (MNIST)'
    """
    recipe = TrainingConfig(model=config.model)
    changes = []
    if config.activation is not None:
        changes.append(config.activation)
    if config.pooling is not None:
        changes.append(f"{config.pooling} pooling")
    for name, text in (
        ("optimizer", "{}"),
        ("learning_rate", "learning rate {:g}"),
        ("batch_size", "batch {}"),
        ("precision", "{}"),
        ("seed", "seed {}"),
    ):
        value = getattr(config, name, None)
        if value != getattr(recipe, name, None):
            changes.append(text.format(value))
    if config.epochs is not None and config.epochs != recipe.resolved_epochs:
        changes.append(f"{config.epochs} epochs")
    if config.subset is not None and config.subset < MNIST_TRAIN_SIZE:
        changes.append(f"{config.subset:,} images")
    if config.augment:
        changes.append("augmented")
    return ", ".join([config.label, *changes])


def unique_label(label: str, taken: Collection[str]) -> str:
    """``label``, or, when the same settings trained again, ``label`` with the run's number.

    >>> unique_label("AlexNet (MNIST)", {"AlexNet (MNIST)", "AlexNet (MNIST) (run 2)"})
    'AlexNet (MNIST) (run 3)'
    """
    number, unique = 2, label
    while unique in taken:
        unique = f"{label} (run {number})"
        number += 1
    return unique


def shipped_label(model_key: str) -> str:
    """What a shipped model is called among the runs to compare.

    >>> shipped_label("lenet")
    'LeNet-5 (seed), shipped'
    """
    return f"{model_spec(model_key).label}, shipped"


def run_from_result(label: str, config: TrainingConfig, result: Any) -> RunSummary:
    """A run of this session, from its :class:`~cnnviz.training.TrainingResult`."""
    return RunSummary(
        label=label,
        parameters=int(result.model.count_params()),
        epochs=tuple(result.epochs),
        training_images=config.subset or MNIST_TRAIN_SIZE,
        test_accuracy=float(result.test_accuracy),
        test_probabilities=np.asarray(result.test_probabilities, dtype=np.float32),
    )


def run_from_history(
    label: str,
    history: Mapping[str, Any],
    parameters: int,
    epoch_records: Sequence[Any],
    test_probabilities: np.ndarray | None = None,
) -> RunSummary:
    """A shipped model, from the history file written beside it (see ``load_shipped_history``).

    ``epoch_records`` are the history's epochs as records; ``test_probabilities`` are computed
    by the caller from the shipped model (the history file does not keep them).
    """
    config = history.get("config", {})
    accuracy = history.get("test_accuracy")
    return RunSummary(
        label=label,
        parameters=int(parameters),
        epochs=tuple(epoch_records),
        training_images=config.get("subset") or MNIST_TRAIN_SIZE,
        test_accuracy=None if accuracy is None else float(accuracy),
        test_probabilities=test_probabilities,
        timed_here=False,
    )


SHIPPED_TIMING = "when it was trained"  # a shipped run's times: another machine, another load


def _seconds(run: RunSummary) -> str:
    value = run.seconds_per_epoch
    if value is None:
        return "—"
    return f"{value:,.1f} s" if run.timed_here else f"{value:,.1f} s ({SHIPPED_TIMING})"


def _images_per_second(run: RunSummary) -> str:
    value = run.images_per_second
    if value is None:
        return "—"
    return f"{value:,.0f}" if run.timed_here else f"{value:,.0f} ({SHIPPED_TIMING})"


def comparison_rows(first: RunSummary, second: RunSummary) -> list[dict[str, str]]:
    """The comparison table: one row per measure, one column per run.

    Raises
    ------
    ValueError
        If both runs carry the same label (the table's columns would collide).

    Examples
    --------
    >>> from types import SimpleNamespace as Epoch
    >>> a = RunSummary("A", 82_826, (Epoch(epoch=1, seconds=5.0, val_loss=0.1),), 60_000, 0.9841)
    >>> b = RunSummary("B", 2_126_186, (), 60_000, None)
    >>> [row["A"] for row in comparison_rows(a, b)]
    ['82,826', '5.0 s', '12,000', '98.41%']
    >>> [row["B"] for row in comparison_rows(a, b)]
    ['2,126,186', '—', '—', '—']
    """
    if first.label == second.label:
        raise ValueError(f"Both runs are called '{first.label}': give them different labels.")
    measures = (
        ("Parameters", lambda run: f"{run.parameters:,}"),
        ("Time per epoch", _seconds),
        ("Images per second", _images_per_second),
        (
            "Test accuracy",
            lambda run: "—" if run.test_accuracy is None else f"{run.test_accuracy:.2%}",
        ),
    )
    return [
        {"Measure": name, first.label: describe(first), second.label: describe(second)}
        for name, describe in measures
    ]


def _speed(ratio: float) -> str:
    """'trains 2.0× faster per image' for a ratio of images per second; 'about as fast' near 1."""
    if 1 / SAME_SPEED < ratio < SAME_SPEED:
        return "trains about as fast per image"
    if ratio < 1:
        return f"trains {1 / ratio:.1f}× slower per image"
    return f"trains {ratio:.1f}× faster per image"


def _accuracy(subject: RunSummary, other: RunSummary) -> str:
    """'is 0.42 points more accurate on the test set (98.9% vs 98.5%)', or a tie."""
    points = (subject.test_accuracy - other.test_accuracy) * 100
    accuracies = f"({subject.test_accuracy:.2%} vs {other.test_accuracy:.2%})"
    if abs(points) < SAME_ACCURACY_POINTS:
        return f"is as accurate on the test set {accuracies}"
    direction = "more" if points > 0 else "less"
    return f"is {abs(points):.2f} points {direction} accurate on the test set {accuracies}"


def comparison_sentence(first: RunSummary, second: RunSummary) -> str:
    """One sentence on size, speed and accuracy that holds for these two runs' numbers.

    The run with more parameters is the subject (``first`` when they have as many); speed is
    compared per training image (images per second), so runs on different subsets still
    compare fairly, and only between runs timed on this server; accuracy differences are in
    percentage points.
    """
    same_size = first.parameters == second.parameters
    subject, other = (first, second) if first.parameters >= second.parameters else (second, first)
    if same_size:
        opening = (
            f"{first.label} and {second.label} have the same {first.parameters:,} parameters; "
        )
        opening += f"{subject.label}"
    else:
        times = subject.parameters / other.parameters
        opening = f"{subject.label} has {times:.1f}× the parameters of {other.label} and"
    clauses = []
    # Speeds measured on different machines (a shipped model's) say nothing about the models.
    timed_alike = subject.timed_here and other.timed_here
    if timed_alike and subject.images_per_second and other.images_per_second:
        speed = _speed(subject.images_per_second / other.images_per_second)
        if same_size:  # the other run is not named yet
            speed += f" as {other.label}" if "about" in speed else f" than {other.label}"
        clauses.append(speed)
    if subject.test_accuracy is not None and other.test_accuracy is not None:
        clauses.append(_accuracy(subject, other))
    if not clauses:
        return f"{opening.removesuffix(' and')}."
    if same_size:
        return f"{opening} {', and '.join(clauses)}."
    if len(clauses) == 1:
        return f"{opening} {clauses[0]}."
    return f"{opening} {clauses[0]}; it {clauses[1]}."
