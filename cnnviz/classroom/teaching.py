"""Class mode's teaching rules: what a following student takes over, join links, training.

Pure functions on top of the class store: which page settings the teacher publishes and which
values a student's page may accept (:data:`FOLLOWED_SETTINGS`, from the pages' own settings
specs such as :mod:`cnnviz.pooling_settings`), how often a follower polls, the link and QR code
students join with, and what the teacher's training permission lets a student's Start do.
Nothing here imports streamlit.
"""

from __future__ import annotations

import io
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import quote

from cnnviz.classroom.records import TrainingPermission
from cnnviz.pooling_settings import POOLING_SETTINGS

__all__ = [
    "CLASS_QUERY_PARAMETER",
    "FOLLOWED_SETTINGS",
    "FOLLOW_POLL_ENV_VAR",
    "STUDENT_QUERY_PARAMETER",
    "STUDENT_SUBSET_MAX",
    "TEACHER_FIRST",
    "StudentTraining",
    "follow_poll_s",
    "join_link",
    "page_name",
    "qr_png",
    "settings_to_apply",
    "still_said",
    "student_training",
    "student_training_rule",
]

# Class mode's URL parameter: a link ".../pooling?class=K7RW3M" joins class K7RW3M on that page.
CLASS_QUERY_PARAMETER = "class"
# A student's id rides in their own address (".../pooling?class=K7RW3M&student=…"), so a reload
# keeps them the same student. It is a random 144-bit token the store checks against the class.
STUDENT_QUERY_PARAMETER = "student"
# Following students poll the class's version this often (seconds): "within about 2 s". A poll
# waits half of it on average before the student's rerun starts; the cost per following student
# is in bench/README.md. CNNVIZ_FOLLOW_POLL_S changes it for a server (e.g. a slower poll for a
# big class on a small machine).
FOLLOW_POLL_S = 1.0
FOLLOW_POLL_ENV_VAR = "CNNVIZ_FOLLOW_POLL_S"
FOLLOW_POLL_RANGE_S = (0.1, 10.0)  # faster only burns CPU; slower is no longer "following"
# In a class with training "small subsets only", a student's run uses at most this many images:
# LeNet-5 trains an epoch of them in seconds, so a queue of thirty students stays short.
STUDENT_SUBSET_MAX = 2000

# Page name (the script's stem) → the widget keys the teacher publishes and their allowed values.
FOLLOWED_SETTINGS: dict[str, dict[str, tuple[Any, ...]]] = {
    "pooling": {setting.key: setting.options for setting in POOLING_SETTINGS}
}


def follow_poll_s(environ: Mapping[str, str] | None = None) -> float:
    """The follow poll's period: ``CNNVIZ_FOLLOW_POLL_S`` if set and in range, else the default.

    >>> follow_poll_s({"CNNVIZ_FOLLOW_POLL_S": "0.25"}), follow_poll_s({}) == FOLLOW_POLL_S
    (0.25, True)
    """
    raw = (os.environ if environ is None else environ).get(FOLLOW_POLL_ENV_VAR, "")
    try:
        value = float(raw)
    except ValueError:
        return FOLLOW_POLL_S
    low, high = FOLLOW_POLL_RANGE_S
    return value if low <= value <= high else FOLLOW_POLL_S


def page_name(path: str) -> str:
    """A page's name in the store: its script's stem.

    >>> page_name("pages/pooling.py")
    'pooling'
    """
    return PurePosixPath(path).stem


def settings_to_apply(page: str, settings: Mapping[str, Any]) -> dict[str, Any]:
    """The published settings a student's page may take over: known keys with allowed values.

    Whatever the database holds, only values the page's own widgets offer get through, so a
    following student's widget never receives a value it would refuse.

    >>> settings_to_apply("pooling", {"pool_size": 3, "stride": 99, "evil": "x"})
    {'pool_size': 3}
    """
    allowed = FOLLOWED_SETTINGS.get(page, {})
    return {
        key: value
        for key, value in settings.items()
        if key in allowed and not isinstance(value, bool) and value in allowed[key]
    }


@dataclass(frozen=True)
class StudentTraining:
    """What a student's Start may do under the class's training permission.

    ``allowed`` False: nothing starts and ``message`` says why. Otherwise the run trains on
    ``subset`` images (perhaps fewer than asked for: then ``message`` says so).
    """

    allowed: bool
    subset: int
    message: str | None


def student_training(permission: TrainingPermission | str, subset: int) -> StudentTraining:
    """Apply the teacher's training permission to a student's Start with ``subset`` images.

    "Small subsets only" clamps a larger request to :data:`STUDENT_SUBSET_MAX` images (and says
    so) rather than refusing it: the student's run starts at once, on the allowed size.

    >>> student_training("subsets", 60000).subset
    2000
    >>> student_training("off", 500).allowed
    False
    >>> student_training("on", 60000).message is None
    True
    """
    permission = TrainingPermission(permission)
    if not isinstance(subset, int) or isinstance(subset, bool) or subset < 1:
        raise ValueError(f"subset must be a positive number of images, got {subset!r}.")
    if permission is TrainingPermission.OFF:
        return StudentTraining(
            allowed=False,
            subset=subset,
            message=(
                "Your teacher has turned training off for students in this class: watch the "
                "teacher's run on the projector. Your teacher can switch it back on."
            ),
        )
    if permission is TrainingPermission.SUBSETS and subset > STUDENT_SUBSET_MAX:
        return StudentTraining(
            allowed=True,
            subset=STUDENT_SUBSET_MAX,
            message=(
                f"Your teacher allows small subsets only in this class, so this run trains on "
                f"{STUDENT_SUBSET_MAX:,} images instead of the {subset:,} you asked for."
            ),
        )
    return StudentTraining(allowed=True, subset=subset, message=None)


def still_said(
    at_start: StudentTraining, asked: int, permission: TrainingPermission | str
) -> str | None:
    """What a student's last Start was told, as long as the permission now still says it.

    The teacher may change the permission after the Start: the message is recomputed from the
    permission now, and kept only if it is the same decision, so a refusal under "off" never
    stays beside a rule that says "on", nor a "small subsets" note beside "off".

    >>> refused = student_training("off", 500)
    >>> still_said(refused, 500, "off") == refused.message, still_said(refused, 500, "on")
    (True, None)
    """
    return at_start.message if student_training(permission, asked) == at_start else None


def student_training_rule(permission: TrainingPermission | str) -> str:
    """The class's training rule in a sentence or two, for a student's training page.

    >>> student_training_rule("subsets").split(".")[0]
    'In this class the teacher lets students train on small subsets only (at most 2,000 images)'
    """
    allowance = {
        TrainingPermission.OFF: "has turned training off for students",
        TrainingPermission.SUBSETS: (
            f"lets students train on small subsets only (at most {STUDENT_SUBSET_MAX:,} images)"
        ),
        TrainingPermission.ON: "lets students train with any settings",
    }[TrainingPermission(permission)]
    return f"In this class the teacher {allowance}. {TEACHER_FIRST}"


# Why the queue is not first come, first served in a class (shown to students and teachers).
TEACHER_FIRST = (
    "The teacher's runs go ahead of every waiting student's run, and when the machine is busy "
    "with a student's run of the class, the teacher's Start stops it, so the demo the class "
    "watches waits seconds at most."
)


def join_link(base_url: str, code: str, page: str = "") -> str:
    """The link students open to join: the app's address with ``?class=CODE``.

    >>> join_link("http://10.0.0.5:8501/", "K7RW3M")
    'http://10.0.0.5:8501/?class=K7RW3M'
    """
    path = f"/{quote(page)}" if page else "/"
    return f"{base_url.rstrip('/')}{path}?{CLASS_QUERY_PARAMETER}={quote(code)}"


def qr_png(text: str, scale: int = 8) -> bytes:
    """A QR code of ``text`` as PNG bytes (segno: pure Python), dark on white, to project."""
    import segno  # only the teacher's view draws one

    buffer = io.BytesIO()
    segno.make(text, error="m").save(buffer, kind="png", scale=scale, border=2)
    return buffer.getvalue()
