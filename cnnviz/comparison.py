"""Two training runs side by side: the numbers a class compares, and the sentence they support.

A run is whatever trained a digit model: a job of this session (:func:`run_from_result`), or a
shipped model replayed from its history file (:func:`run_from_history`). Both become a
:class:`RunSummary`, so a LeNet-5 trained live compares with the shipped AlexNet exactly as two
live runs of LeNet-5 with tanh and ReLU do. Pure Python and numpy: no TensorFlow, no drawing.

Examples
--------
>>> import textwrap
>>> from types import SimpleNamespace as Epoch
>>> def epoch(train_seconds):  # 600 training images, then 3 s of validation
...     return Epoch(epoch=1, seconds=train_seconds + 3, val_loss=0.1,
...                  train_seconds=train_seconds, train_images=600)
>>> fast = RunSummary("A", 1_000, (epoch(2.0),), 600, 0.98)
>>> slow = RunSummary("B", 4_000, (epoch(8.0),), 600, 0.99)
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

from cnnviz.models import (
    MNIST_TRAIN_SIZE,
    TrainingConfig,
    config_from_dict,
    recipe_changes,
    settings_label,
)

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
    "shipped_label",
    "unique_label",
]


@dataclass(frozen=True)
class RunSummary:
    """What the comparison needs to know about one finished (or stopped) run.

    Attributes
    ----------
    label : str
        How the page names the run, e.g. "LeNet-5 (relu, max pooling)".
    parameters : int
        Trainable and non-trainable weights of the model.
    epochs : tuple of epoch records
        Objects with ``epoch``, ``seconds``, ``val_loss``, ``train_seconds`` and
        ``train_images`` (plus ``loss``, ``accuracy`` and ``val_accuracy`` for the curves):
        :class:`cnnviz.training.EpochRecord`. The shipped histories predate ``train_seconds``
        (None there): their training speed is not known, only their epoch times.
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
    config : TrainingConfig or None
        How it was trained, so the comparison can say when a run did not follow its recipe.
    """

    label: str
    parameters: int
    epochs: tuple[Any, ...]
    training_images: int
    test_accuracy: float | None
    test_probabilities: np.ndarray | None = None
    timed_here: bool = True
    config: TrainingConfig | None = None

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
        """Training images per second of training time: the images of the timed training
        batches over the time they took, validation and the graph's tracing left out.

        None when no batch was timed: the shipped histories were written before training time
        was recorded.
        """
        timed = [
            record for record in self.epochs if getattr(record, "train_seconds", None) is not None
        ]
        seconds = sum(record.train_seconds for record in timed)
        images = sum(record.train_images for record in timed)
        return images / seconds if seconds > 0 and images > 0 else None


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


def shipped_label(config: TrainingConfig) -> str:
    """What a shipped model trained by ``config`` (its history's) is called among the runs.

    >>> shipped_label(TrainingConfig(model="lenet", epochs=8, augment=True))
    'LeNet-5 (8 epochs, augmented), shipped'
    """
    return f"{settings_label(config)}, shipped"


def run_from_result(label: str, config: TrainingConfig, result: Any) -> RunSummary:
    """A run of this session, from its :class:`~cnnviz.training.TrainingResult`."""
    return RunSummary(
        label=label,
        parameters=int(result.model.count_params()),
        epochs=tuple(result.epochs),
        training_images=config.subset or MNIST_TRAIN_SIZE,
        test_accuracy=float(result.test_accuracy),
        test_probabilities=np.asarray(result.test_probabilities, dtype=np.float32),
        config=config,
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
    config = config_from_dict(history["config"]) if "config" in history else None
    accuracy = history.get("test_accuracy")
    return RunSummary(
        label=label,
        parameters=int(parameters),
        epochs=tuple(epoch_records),
        training_images=(config.subset if config else None) or MNIST_TRAIN_SIZE,
        test_accuracy=None if accuracy is None else float(accuracy),
        test_probabilities=test_probabilities,
        timed_here=False,
        config=config,
    )


SHIPPED_TIMING = "when it was trained"  # a shipped run's times: another machine, another load
NOT_RECORDED = "not recorded"  # a history written before training time was kept apart


def _seconds(run: RunSummary) -> str:
    value = run.seconds_per_epoch
    if value is None:
        return "—"
    return f"{value:,.1f} s" if run.timed_here else f"{value:,.1f} s ({SHIPPED_TIMING})"


def _images_per_second(run: RunSummary) -> str:
    value = run.images_per_second
    if value is None:
        return NOT_RECORDED if run.complete_epochs else "—"
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
    >>> one = Epoch(epoch=1, seconds=5.0, val_loss=0.1, train_seconds=4.0, train_images=60_000)
    >>> a = RunSummary("A", 82_826, (one,), 60_000, 0.9841)
    >>> b = RunSummary("B", 2_126_186, (), 60_000, None)
    >>> [row["A"] for row in comparison_rows(a, b)]
    ['82,826', '5.0 s', '15,000', '98.41%']
    >>> [row["B"] for row in comparison_rows(a, b)]
    ['2,126,186', '—', '—', '—']
    """
    if first.label == second.label:
        raise ValueError(f"Both runs are called '{first.label}': give them different labels.")
    measures = (
        ("Parameters", lambda run: f"{run.parameters:,}"),
        ("Time per epoch (with validation)", _seconds),
        ("Training images per second (of training time)", _images_per_second),
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
    compared per training image per second of training time (validating the 10,000 test digits
    and tracing the graph left out), so runs on different subsets still compare fairly, and
    only between runs timed on this server; accuracy differences are in percentage points. A
    run not trained by its recipe is named, with what differs.
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
        sentence = f"{opening.removesuffix(' and')}."
    elif same_size:
        sentence = f"{opening} {', and '.join(clauses)}."
    elif len(clauses) == 1:
        sentence = f"{opening} {clauses[0]}."
    else:
        sentence = f"{opening} {clauses[0]}; it {clauses[1]}."
    return sentence + _recipe_note(first, second)


def _recipe_note(first: RunSummary, second: RunSummary) -> str:
    """' This is not recipe against recipe: …' when a run was not trained as the seed trains
    its model (the shipped LeNet-5: 8 epochs with augmentation); '' when both were."""
    changed = {
        run.label: recipe_changes(run.config, training_only=True)
        for run in (first, second)
        if run.config is not None and recipe_changes(run.config, training_only=True)
    }
    if not changed:
        return ""
    described = [f"{label} ({', '.join(changes)})" for label, changes in changed.items()]
    if len(described) == 2:
        return (
            " This is not recipe against recipe: neither was trained as the seed trains it, "
            f"{described[0]} and {described[1]}."
        )
    return (
        f" This is not recipe against recipe: {described[0]} was not trained as the seed trains "
        "it, so the difference is not the architectures' alone."
    )
