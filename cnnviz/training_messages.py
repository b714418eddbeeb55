"""What a training run says while and after it trains: queue, progress, stop, divergence, results.

The sentences of the Live training page that depend on a run's own numbers (a
``cnnviz.training.JobSnapshot`` or its result), each a pure function with a worked example, and
the legends shown beside the run's charts.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from cnnviz.training_form import KERAS_DEFAULT_LEARNING_RATES

# A tab's address names its runs (cnnviz.training.registry): what a tab that comes back reads.
# ``session_ttl_s`` is Streamlit's server.disconnectedSessionTTL.
FOUND_AGAIN = "Your training was found again after the reload."


def run_gone(session_ttl_s: float) -> str:
    """What a tab whose ``?run=…`` names no run any more reads.

    >>> run_gone(120).startswith("The training this address pointed to is no longer")
    True
    """
    return (
        "The training this address pointed to is no longer on the server: its tab was gone "
        f"for more than {format_duration(session_ttl_s)} (a closed tab's training waits that "
        "long for the tab to come back), or the server restarted. Start a new one below."
    )


ONE_AT_A_TIME = """
This server trains **one model at a time**, so each run gets every CPU core. With both models
selected, AlexNet waits in the queue ("busy, you are next") and starts as soon as LeNet-5 is
done: they run one after the other, and each chart fills in when its turn comes.
"""


CONFUSION_LEGEND = """
Rows: the true digit; columns: the network's answer; the numbers are counts of test images.
The colour is **logarithmic** (it follows log(1 + count)), so a handful of mistakes still
shows beside the ~1,000 correct answers on the diagonal: read the numbers, not the shades.
"""


def format_duration(seconds: float | None) -> str:
    """A duration the way a person says it: "45 s", "3 min 05 s", "1 h 02 min"; "—" if unknown.

    Examples
    --------
    >>> format_duration(5.4), format_duration(185), format_duration(3725), format_duration(None)
    ('5 s', '3 min 05 s', '1 h 02 min', '—')
    """
    if seconds is None or not math.isfinite(seconds) or seconds < 0:
        return "—"
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def _runs_of(role: str, count: int) -> str:
    """ "the teacher's run", "2 students' runs", "another run": ``count`` runs of one role."""
    if role == "teacher":
        return "the teacher's run" if count == 1 else f"the teacher's {count} runs"
    if role == "student":
        return "a student's run" if count == 1 else f"{count} students' runs"
    return "another run" if count == 1 else f"{count} other runs"


def queue_ahead_phrase(ahead: Sequence[str]) -> str:
    """Who is ahead in the queue, teacher first, in words (the roles of ``QueueRole``).

    Examples
    --------
    >>> queue_ahead_phrase(["student", "teacher", "student"])
    "the teacher's run and 2 students' runs are"
    >>> queue_ahead_phrase(["visitor"])
    'another run is'
    """
    ahead = list(ahead)
    teachers, students = ahead.count("teacher"), ahead.count("student")
    counts = {"teacher": teachers, "student": students, "visitor": len(ahead) - teachers - students}
    parts = [_runs_of(role, count) for role, count in counts.items() if count]
    if not parts:
        raise ValueError("Nobody is ahead: there is no phrase for an empty queue.")
    listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return f"{listed} {'is' if len(ahead) == 1 else 'are'}"


def queue_message(queue_position: int | None, ahead: Sequence[str] = ()) -> str:
    """What a student whose run waits for the server's training slot reads.

    ``ahead`` holds the roles of the runs ahead (training now, then waiting before this one),
    as ``JobSnapshot.queue_ahead`` gives them; without it, only the position is told.

    Examples
    --------
    >>> queue_message(1, ["student"])
    "Busy, you are next: a student's run is training now; yours starts by itself."
    >>> queue_message(3, ["student", "teacher", "student"])
    "Busy: the teacher's run and 2 students' runs are ahead of you; yours starts by itself."
    >>> queue_message(2)
    'Busy, 1 training is ahead of you (queue position 2): your training starts by itself.'
    """
    position = max(queue_position or 1, 1)
    if ahead and position == 1:
        return (
            f"Busy, you are next: {queue_ahead_phrase(ahead)} training now; yours starts by itself."
        )
    if ahead:
        return f"Busy: {queue_ahead_phrase(ahead)} ahead of you; yours starts by itself."
    others = position - 1
    waiting = (
        "you are next"
        if others == 0
        else "1 training is ahead of you"
        if others == 1
        else f"{others} trainings are ahead of you"
    )
    return f"Busy, {waiting} (queue position {position}): your training starts by itself."


def progress_text(snapshot: Any) -> str:
    """The line under a job's progress bar, e.g. "Running · epoch 2/5 · batch 900/9375 · ETA 41 s".

    ``snapshot`` is a ``cnnviz.training.JobSnapshot``. A part whose numbers are not known yet
    is left out rather than shown as zeros ("batch 0/0", "epoch 0/5").

    Examples
    --------
    >>> from types import SimpleNamespace as Snap
    >>> progress_text(Snap(status="running", epoch=2, total_epochs=5, batches_done=900,
    ...                    total_batches=9375, eta_s=41))
    'Running · epoch 2/5 · batch 900/9375 · ETA 41 s'
    >>> progress_text(Snap(status="queued", epoch=0, total_epochs=5, batches_done=0,
    ...                    total_batches=0, eta_s=None))
    'Queued · 5 epochs'
    """
    parts = [snapshot.status.capitalize()]
    if snapshot.epoch > 0:
        parts.append(f"epoch {snapshot.epoch}/{snapshot.total_epochs}")
    else:
        parts.append(f"{snapshot.total_epochs} epoch{'s' if snapshot.total_epochs != 1 else ''}")
    if snapshot.total_batches > 0:
        parts.append(f"batch {snapshot.batches_done}/{snapshot.total_batches}")
    if snapshot.eta_s is not None and snapshot.status not in ("queued", *ENDED_STATUSES):
        parts.append(f"ETA {format_duration(snapshot.eta_s)}")
    return " · ".join(parts)


ENDED_STATUSES = ("finished", "stopped", "failed")


def format_loss(loss: float) -> str:
    """A loss to four decimals, or what a diverged run's loss is instead of "nan".

    >>> format_loss(0.04321), format_loss(float("nan")), format_loss(float("inf"))
    ('0.0432', 'not a number (NaN)', 'infinite')
    """
    if math.isnan(loss):
        return "not a number (NaN)"
    return f"{loss:.4f}" if math.isfinite(loss) else "infinite"


def stop_message(batches_done: int, total_batches: int, epoch: int, total_epochs: int) -> str:
    """What a stopped run says: cut short, or stopped when its last batch was already done.

    Examples
    --------
    >>> stop_message(37, 1024, 1, 2)
    'Stopped after 37 of 1024 batches (in epoch 1 of 2): the run was cut short.'
    >>> stop_message(1024, 1024, 2, 2)
    'Stopped in its last batch: all 1024 batches of its 2 epochs were trained, the whole run.'
    """
    if total_batches > 0 and batches_done >= total_batches:
        return (
            f"Stopped in its last batch: all {total_batches} batches of its {total_epochs} "
            f"epoch{'s' if total_epochs != 1 else ''} were trained, the whole run."
        )
    where = f" (in epoch {epoch} of {total_epochs})" if epoch > 0 else ""
    return f"Stopped after {batches_done} of {total_batches} batches{where}: the run was cut short."


def teacher_stop_message(epoch: int, total_epochs: int) -> str:
    """What a student's run says when the class's teacher stopped it (a Stop on the Class page,
    or a Start that needed the machine).

    Examples
    --------
    >>> teacher_stop_message(2, 5)
    'The teacher needed the machine: your run stopped at epoch 2 of 5.'
    >>> teacher_stop_message(0, 5)
    'The teacher needed the machine: your run stopped before it began training.'
    """
    if epoch <= 0:
        return "The teacher needed the machine: your run stopped before it began training."
    return f"The teacher needed the machine: your run stopped at epoch {epoch} of {total_epochs}."


# Cross-entropy of a network that spreads its bets evenly over the 10 digits: ln 10 ≈ 2.30, where
# every run starts. A learning run's loss falls below it; a loss well above it means confident
# wrong answers, which only weights thrown about by too large steps produce after a few batches.
CHANCE_LOSS = math.log(10)


DIVERGED_LOSS_FACTOR = 2.0  # "exploding": the latest loss above twice the loss of guessing


DIVERGENCE_MIN_POINTS = 3  # the first points are a mean over a batch or two: let them settle


def suggested_learning_rate(optimizer: str, learning_rate: float) -> float:
    """A smaller rate to try after a divergence: the optimizer's Keras default, or a tenth.

    >>> suggested_learning_rate("adam", 10.0), suggested_learning_rate("sgd", 0.01)
    (0.001, 0.001)
    """
    default = KERAS_DEFAULT_LEARNING_RATES.get(optimizer, KERAS_DEFAULT_LEARNING_RATES["adam"])
    return default if learning_rate > default else learning_rate / 10


def divergence_message(
    steps: Sequence[int], losses: Sequence[float], optimizer: str, learning_rate: float
) -> str | None:
    """Say so when a run's loss has become NaN or infinite or has exploded; None while it learns.

    ``steps`` and ``losses`` are the live stream's per-batch points (running means over each
    epoch, as Keras logs them).

    Examples
    --------
    >>> divergence_message([16, 32, 48], [2.1, 1.2, 0.8], "adam", 0.001) is None
    True
    >>> print(divergence_message([16, 32, 48], [9.3, float("nan"), float("nan")], "adam", 10.0))
    The training **diverged**: from batch 32 on the loss is not a number (NaN), the weights \
overflowed. Learning rate 10 takes steps far too large: try 0.001, then Start again.
    """
    points = list(zip(steps, losses, strict=True))
    broken = next(((step, loss) for step, loss in points if not math.isfinite(loss)), None)
    suggestion = suggested_learning_rate(optimizer, learning_rate)
    advice = (
        f"Learning rate {learning_rate:g} takes steps far too large: try {suggestion:g}, then "
        "Start again."
    )
    if broken is not None:
        step, loss = broken
        what = "not a number (NaN)" if math.isnan(loss) else "infinite"
        return (
            f"The training **diverged**: from batch {step} on the loss is {what}, the weights "
            f"overflowed. {advice}"
        )
    if len(points) < DIVERGENCE_MIN_POINTS:
        return None
    step, loss = points[-1]
    if loss > DIVERGED_LOSS_FACTOR * CHANCE_LOSS:
        return (
            f"The training **diverged**: at batch {step} the loss is {loss:.1f}, more than "
            f"{DIVERGED_LOSS_FACTOR:g} × the {CHANCE_LOSS:.2f} of guessing at random, so the "
            f"network is confidently wrong. {advice}"
        )
    return None


# A linear classifier (one layer of weights on the pixels) makes 12% errors on MNIST (LeCun et
# al. 1998, Fig. 9): a CNN below its 88% has not learned what it can.
LINEAR_CLASSIFIER_ACCURACY = 0.88


def undertrained_message(
    model_label: str,
    parameters: int,
    test_accuracy: float,
    images_per_epoch: int,
    epochs: int,
    full_images: int,
) -> str | None:
    """Why a run on a small subset scores low: too few examples for its weights (None when it
    scored at least :data:`LINEAR_CLASSIFIER_ACCURACY` or saw the whole training set).

    Examples
    --------
    >>> print(undertrained_message("AlexNet (MNIST)", 2_126_186, 0.25, 2048, 1, 60_000))
    25.0% after 1 epoch of 2,048 images: AlexNet (MNIST) has 2,126,186 weights to set and \
has seen 2,048 images in all, 1 for every 1,038 weights. It **needs more data or more \
epochs**: a linear classifier already reaches 88% with all 60,000 images.
    >>> undertrained_message("LeNet-5 (seed)", 82_826, 0.97, 2048, 1, 60_000) is None
    True
    """
    seen = images_per_epoch * epochs
    if test_accuracy >= LINEAR_CLASSIFIER_ACCURACY or images_per_epoch >= full_images or seen < 1:
        return None
    per_example = parameters / seen
    ratio = (
        f"1 for every {per_example:,.0f} weights"
        if per_example >= 1
        else f"{seen / parameters:,.1f} for every weight"
    )
    return (
        f"{test_accuracy:.1%} after {epochs} epoch{'s' if epochs != 1 else ''} of "
        f"{images_per_epoch:,} images: {model_label} has {parameters:,} weights to set and has "
        f"seen {seen:,} images in all, {ratio}. It **needs more data or more epochs**: "
        f"a linear classifier already reaches {LINEAR_CLASSIFIER_ACCURACY:.0%} "
        f"with all {full_images:,} images."
    )


def epoch_rows(records: Sequence[Any]) -> list[dict[str, Any]]:
    """Epoch records (``cnnviz.training.EpochRecord``) as table rows with readable headings."""
    return [
        {
            "Epoch": record.epoch,
            "Loss": record.loss,
            "Accuracy": record.accuracy,
            "Validation loss": record.val_loss,
            "Validation accuracy": record.val_accuracy,
            "Seconds": record.seconds,
        }
        for record in records
    ]


def snapshot_caption(step: int, elapsed_s: float) -> str:
    """The line under the first layer's filters and maps at one moment of a run.

    >>> snapshot_caption(0, 0.0).startswith("The first layer after 0 batches (0 s of training)")
    True
    """
    return (
        f"The first layer after {step:,} batches ({format_duration(elapsed_s)} of training). "
        "Batch 0 shows the random filters training starts from; watch them turn into stroke and "
        "edge detectors."
    )


def disagreements_caption(count: int, total: int) -> str:
    """The line above the test digits two runs answer differently.

    >>> disagreements_caption(1234, 10_000)[:63]
    '**Test digits they answer differently**: 1,234 of 10,000, first'
    """
    return (
        f"**Test digits they answer differently**: {count:,} of {total:,}, first those where "
        "both answers have a high predicted probability (ordered by the lower of the two; true "
        "digit: A's answer, B's answer)."
    )


def mistakes_caption(count: int, shown: int) -> str:
    """The line above the gallery of misclassified digits.

    Examples
    --------
    >>> mistakes_caption(0, 16)
    'No such mistakes.'
    >>> mistakes_caption(1, 16)
    '1 such mistake, shown below.'
    >>> mistakes_caption(5, 16)
    '5 such mistakes, all shown below.'
    >>> mistakes_caption(120, 16)
    '120 such mistakes; the 16 whose wrong answer has the highest predicted probability are shown.'
    """
    if count == 0:
        return "No such mistakes."
    if count == 1:
        return "1 such mistake, shown below."
    if count <= shown:
        return f"{count} such mistakes, all shown below."
    return (
        f"{count} such mistakes; the {shown} whose wrong answer has the highest predicted "
        "probability are shown."
    )
