"""A class in a database: the teacher leads, the students answer and draw, nothing is lost.

One concept: the classroom's shared state, kept in a real database through SQLAlchemy Core.
By default that is an embedded SQLite file under :data:`cnnviz.DATA_DIR` (WAL mode, so readers
never wait for the one writer; a busy timeout, so writers queue instead of failing);
``CNNVIZ_DATABASE_URL`` (e.g. ``postgresql+psycopg://user@host/cnnviz``) points every server of a
class at one PostgreSQL instead. Every page of every server process reads the class from here:
nothing about a class lives in a module-level object.

The store never trusts what a browser sent: every argument is checked here, whatever the page
already checked, and bad input raises a :class:`ClassroomError` (a ``ValueError``) with a message a
student can read, inside a transaction that then stores nothing. The teacher's powers need the
teacher secret that :meth:`ClassroomStore.create_class` returns once; only a salted PBKDF2 hash of
it is stored, compared in constant time, and a wrong secret raises ``PermissionError``.

Every write first locks its class's row (``SELECT ... FOR UPDATE`` on PostgreSQL; on SQLite each
write transaction takes the database's write lock at once, ``BEGIN IMMEDIATE``), so the caps
(students per class, drawings per student) hold however many students write at the same moment.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import math
import os
import re
import secrets
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from cnnviz import DATA_DIR

__all__ = [
    "DATABASE_URL_ENV",
    "DEFAULT_DATABASE_FILE",
    "JOIN_CODE_ALPHABET",
    "RETENTION_DAYS_ENV",
    "Answer",
    "ClassClosedError",
    "ClassDrawing",
    "ClassLimits",
    "ClassState",
    "ClassroomError",
    "ClassroomStore",
    "InvalidInputError",
    "LimitReachedError",
    "Question",
    "Student",
    "TrainingPermission",
    "UnknownClassError",
    "UnknownStudentError",
    "create_database_engine",
    "normalise_code",
]

DATABASE_URL_ENV = "CNNVIZ_DATABASE_URL"
RETENTION_DAYS_ENV = "CNNVIZ_CLASS_RETENTION_DAYS"
DEFAULT_DATABASE_FILE = DATA_DIR / "classroom.sqlite"

# Join codes are read off a projector and typed on phones: no 0/O, 1/I/L, 5/S or 2/Z pairs.
JOIN_CODE_ALPHABET = "ABCDEFGHJKMNPQRTUVWXY346789"
JOIN_CODE_LENGTH = 6  # 27**6 ≈ 3.9e8 codes: a guessed code hits a live class almost never
# The secret is 128 random bits, so stretching only guards a leaked database; every teacher
# action verifies it, so the iteration count stays at a few milliseconds.
SECRET_HASH_ITERATIONS = 20_000
DIGIT_LABELS = range(10)
IMAGE_SHAPE = (28, 28)
SECONDS_PER_DAY = 86_400.0
# Published settings are a handful of widget values; anything bigger is not from our pages.
MAX_SETTINGS = 40
MAX_SETTING_TEXT = 200
MAX_PAGE_NAME = 60
MAX_CHOICES = 10
MAX_CHOICE_LENGTH = 80
MAX_MODEL_NAME = 40
_PAGE_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_SETTING_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


class TrainingPermission(StrEnum):
    """What the teacher lets students train during a class."""

    OFF = "off"
    SUBSETS = "subsets"  # small subsets only: a student's run takes seconds, not minutes
    ON = "on"


class ClassroomError(ValueError):
    """Bad input to the class store; the message is written for the person who sent it."""


class UnknownClassError(ClassroomError):
    """No class has this join code (or it was removed after the retention period)."""


class UnknownStudentError(ClassroomError):
    """The student id is not one of this class's students."""


class ClassClosedError(ClassroomError):
    """The class is closed: it keeps its data but takes nothing new."""


class LimitReachedError(ClassroomError):
    """A cap was reached (students per class, drawings per student, ...)."""


class InvalidInputError(ClassroomError):
    """A value of the wrong type, shape or range."""


@dataclass(frozen=True)
class ClassLimits:
    """The caps that keep one class (and one mischievous student) bounded."""

    max_students: int = 100  # a large lecture; a school class is 20-40
    max_drawings_per_student: int = 60  # several rounds of ten digits
    max_title_length: int = 80
    max_nickname_length: int = 24
    max_question_length: int = 300  # a question that fits on a projected slide
    retention_days: float = 30.0  # a class's data is kept this long after it was started


@dataclass(frozen=True)
class Student:
    """A student of a class: ``number`` counts joins (1, 2, ...), shown instead of names."""

    student_id: str
    number: int
    nickname: str | None


@dataclass(frozen=True)
class ClassDrawing:
    """One digit a student drew: the 28×28 the network sees, the digit meant, what each model read.

    ``image28`` is a (28, 28) float32 array in [0, 1]; ``predictions`` maps a shipped model's
    registry name (e.g. ``"lenet"``) to the digit it predicted.
    """

    drawing_id: int
    student_id: str
    student_number: int
    label: int
    image28: np.ndarray = field(repr=False)
    predictions: dict[str, int]
    round_id: int | None
    created_at: float


@dataclass(frozen=True)
class Question:
    """A multiple-choice question; ``correct_index`` is None for an opinion poll."""

    question_id: int
    prompt: str
    choices: tuple[str, ...]
    correct_index: int | None
    revealed: bool
    created_at: float


@dataclass(frozen=True)
class Answer:
    """A student's answer; ``correct`` is None until the reveal (or for a poll)."""

    student_id: str
    choice: int
    correct: bool | None


@dataclass(frozen=True)
class ClassState:
    """What a student's page follows: the teacher's page and settings, and the class's status.

    ``version`` grows with every change the teacher makes, so a page can poll it alone.
    """

    code: str
    title: str
    version: int
    page: str | None
    settings: dict[str, Any]
    closed: bool
    training_permission: TrainingPermission
    show_nicknames: bool
    current_round: int | None
    current_question: int | None
    created_at: float


_metadata = sa.MetaData()

_classes = sa.Table(
    "cnnviz_classes",
    _metadata,
    sa.Column("code", sa.String(16), primary_key=True),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("secret_hash", sa.String(200), nullable=False),
    sa.Column("created_at", sa.Float, nullable=False, index=True),
    sa.Column("closed_at", sa.Float, nullable=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("page", sa.String(MAX_PAGE_NAME), nullable=True),
    sa.Column("settings_json", sa.Text, nullable=False),
    sa.Column("training_permission", sa.String(16), nullable=False),
    sa.Column("show_nicknames", sa.Boolean, nullable=False),
    sa.Column("current_round", sa.Integer, nullable=True),
    sa.Column("current_question", sa.Integer, nullable=True),
    sa.Column("students_joined", sa.Integer, nullable=False),
)

_students = sa.Table(
    "cnnviz_students",
    _metadata,
    sa.Column("student_id", sa.String(64), primary_key=True),
    sa.Column(
        "code", sa.String(16), sa.ForeignKey("cnnviz_classes.code", ondelete="CASCADE"), index=True
    ),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("nickname", sa.String(200), nullable=True),
    sa.Column("joined_at", sa.Float, nullable=False),
)

_rounds = sa.Table(
    "cnnviz_rounds",
    _metadata,
    sa.Column("round_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "code", sa.String(16), sa.ForeignKey("cnnviz_classes.code", ondelete="CASCADE"), index=True
    ),
    sa.Column("prompt", sa.String(400), nullable=False),
    sa.Column("started_at", sa.Float, nullable=False),
    sa.Column("ended_at", sa.Float, nullable=True),
)

_drawings = sa.Table(
    "cnnviz_drawings",
    _metadata,
    sa.Column("drawing_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "code", sa.String(16), sa.ForeignKey("cnnviz_classes.code", ondelete="CASCADE"), index=True
    ),
    sa.Column(
        "student_id",
        sa.String(64),
        sa.ForeignKey("cnnviz_students.student_id", ondelete="CASCADE"),
        index=True,
    ),
    sa.Column("round_id", sa.Integer, nullable=True),
    sa.Column("label", sa.Integer, nullable=False),
    # 784 little-endian float32 values, row by row: exactly the array the network saw.
    sa.Column("image", sa.LargeBinary, nullable=False),
    sa.Column("predictions_json", sa.Text, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
)

_questions = sa.Table(
    "cnnviz_questions",
    _metadata,
    sa.Column("question_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "code", sa.String(16), sa.ForeignKey("cnnviz_classes.code", ondelete="CASCADE"), index=True
    ),
    sa.Column("prompt", sa.Text, nullable=False),
    sa.Column("choices_json", sa.Text, nullable=False),
    sa.Column("correct_index", sa.Integer, nullable=True),
    sa.Column("revealed", sa.Boolean, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
)

_answers = sa.Table(
    "cnnviz_answers",
    _metadata,
    sa.Column(
        "question_id",
        sa.Integer,
        sa.ForeignKey("cnnviz_questions.question_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column(
        "student_id",
        sa.String(64),
        sa.ForeignKey("cnnviz_students.student_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("choice", sa.Integer, nullable=False),
    sa.Column("answered_at", sa.Float, nullable=False),
)

# Children first: deleting a class's rows in this order never trips a foreign key.
_CLASS_TABLES_CHILDREN_FIRST = (_answers, _questions, _drawings, _rounds, _students)
_IMAGE_DTYPE = np.dtype("<f4")


def normalise_code(code: object) -> str:
    """The join code as stored: upper case, without spaces or dashes.

    >>> normalise_code(" ab-3k 7x ")
    'AB3K7X'
    """
    if not isinstance(code, str):
        raise UnknownClassError("A class code is text, such as 'K7RW3M'.")
    cleaned = re.sub(r"[\s\-]", "", code).upper()
    if len(cleaned) != JOIN_CODE_LENGTH or any(c not in JOIN_CODE_ALPHABET for c in cleaned):
        raise UnknownClassError(
            f"'{code.strip()[:20]}' is not a class code: a code has {JOIN_CODE_LENGTH} letters "
            "and digits, as shown on the teacher's screen."
        )
    return cleaned


def default_database_url() -> str:
    """``CNNVIZ_DATABASE_URL`` when set, else the embedded SQLite file under the data folder."""
    url = os.environ.get(DATABASE_URL_ENV, "").strip()
    if url:
        return url
    return f"sqlite:///{DEFAULT_DATABASE_FILE}"


def _hash_secret(secret: str, salt: bytes, iterations: int) -> bytes:
    return hashlib.pbkdf2_hmac("sha256", secret.encode(), salt, iterations)


def _stored_secret_hash(secret: str) -> str:
    salt = secrets.token_bytes(16)
    digest = _hash_secret(secret, salt, SECRET_HASH_ITERATIONS)
    return f"pbkdf2_sha256${SECRET_HASH_ITERATIONS}${salt.hex()}${digest.hex()}"


def _secret_matches(secret: object, stored: str) -> bool:
    if not isinstance(secret, str) or not secret or len(secret) > 200:
        return False
    _, iterations, salt_hex, digest_hex = stored.split("$")
    digest = _hash_secret(secret, bytes.fromhex(salt_hex), int(iterations))
    return hmac.compare_digest(digest, bytes.fromhex(digest_hex))


def _check_digit_label(value: object, what: str = "label") -> int:
    # bool is an int subclass, but True is no digit a student drew.
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise InvalidInputError(f"The {what} must be a whole number from 0 to 9, got {value!r}.")
    if int(value) not in DIGIT_LABELS:
        raise InvalidInputError(f"The {what} must be a digit from 0 to 9, got {int(value)}.")
    return int(value)


def _check_image(image28: object) -> np.ndarray:
    if not isinstance(image28, np.ndarray):
        raise InvalidInputError(
            f"The drawing must be a numpy array (as canvas_to_mnist returns), got "
            f"{type(image28).__name__}."
        )
    if image28.shape != IMAGE_SHAPE:
        raise InvalidInputError(
            f"The drawing must be 28×28 (as canvas_to_mnist returns), got shape {image28.shape}."
        )
    if not np.issubdtype(image28.dtype, np.floating):
        raise InvalidInputError(
            f"The drawing must hold floats in [0, 1] (float32), got dtype {image28.dtype}."
        )
    image = image28.astype(np.float32)
    if not np.isfinite(image).all():
        raise InvalidInputError("The drawing holds NaN or infinite values.")
    if image.min() < 0.0 or image.max() > 1.0:
        raise InvalidInputError(
            f"The drawing's values must lie in [0, 1], got {image.min():.3g} to {image.max():.3g}."
        )
    return image


def _check_text(value: object, what: str, max_length: int, *, allow_empty: bool = False) -> str:
    if not isinstance(value, str):
        raise InvalidInputError(f"The {what} must be text, got {type(value).__name__}.")
    text = value.strip()
    if not text and not allow_empty:
        raise InvalidInputError(f"The {what} is empty.")
    if len(text) > max_length:
        raise InvalidInputError(
            f"The {what} is too long: {len(text)} characters, at most {max_length}."
        )
    if any(ord(c) < 32 and c not in "\n\t" for c in text):
        raise InvalidInputError(f"The {what} holds control characters.")
    return text


def _check_setting_value(key: str, value: object) -> object:
    if value is None or isinstance(value, bool | int | str):
        if isinstance(value, str) and len(value) > MAX_SETTING_TEXT:
            raise InvalidInputError(f"The setting '{key}' is too long.")
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidInputError(f"The setting '{key}' is not a finite number.")
        return value
    if isinstance(value, np.integer | np.floating | np.bool_):
        return _check_setting_value(key, value.item())
    raise InvalidInputError(
        f"The setting '{key}' must be a number, text or yes/no, got {type(value).__name__}."
    )


def _check_settings(settings: object) -> dict[str, Any]:
    if not isinstance(settings, Mapping):
        raise InvalidInputError("The settings must be a mapping of names to values.")
    if len(settings) > MAX_SETTINGS:
        raise InvalidInputError(f"Too many settings: {len(settings)}, at most {MAX_SETTINGS}.")
    checked = {}
    for key, value in settings.items():
        if not isinstance(key, str) or not _SETTING_KEY.match(key):
            raise InvalidInputError(f"{key!r} is not a setting name (lower-case letters, _).")
        checked[key] = _check_setting_value(key, value)
    return checked


def _check_predictions(predictions: object) -> dict[str, int]:
    if predictions is None:
        return {}
    if not isinstance(predictions, Mapping) or len(predictions) > MAX_SETTINGS:
        raise InvalidInputError("The predictions must map a model's name to a digit.")
    checked = {}
    for name, digit in predictions.items():
        if not isinstance(name, str) or not _SETTING_KEY.match(name) or len(name) > MAX_MODEL_NAME:
            raise InvalidInputError(f"{name!r} is not a model name.")
        checked[name] = _check_digit_label(digit, f"prediction of {name}")
    return checked


def _image_from_bytes(raw: bytes) -> np.ndarray:
    return np.frombuffer(raw, dtype=_IMAGE_DTYPE).reshape(IMAGE_SHAPE).astype(np.float32)


def _retention_days_from_env(default: float) -> float:
    text = os.environ.get(RETENTION_DAYS_ENV, "").strip()
    if not text:
        return default
    try:
        days = float(text)
    except ValueError as error:
        raise ValueError(f"{RETENTION_DAYS_ENV}={text!r} is not a number of days.") from error
    if not math.isfinite(days) or days <= 0:
        raise ValueError(f"{RETENTION_DAYS_ENV} must be a positive number of days, got {text!r}.")
    return days


def _sqlite_engine(url: sa.URL) -> Engine:
    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    # Connections go back to a pool and come out on other threads (Streamlit runs each session
    # on its own); each is used by one thread at a time.
    engine = sa.create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

    @sa.event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event below issue BEGIN, not the driver's own guesswork.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")  # readers never block the writer
        cursor.execute("PRAGMA busy_timeout=30000")  # a writer waits its turn instead of failing
        cursor.execute("PRAGMA synchronous=FULL")  # a commit is on disk before it returns
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        # A deferred transaction that reads and then writes can fail at once with "database is
        # locked" (the busy timeout cannot help a lock upgrade): writers take the lock up front.
        if connection.get_execution_options().get("cnnviz_write"):
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.exec_driver_sql("BEGIN")

    return engine


def create_database_engine(url: str) -> Engine:
    """An engine on ``url`` configured as the class store uses it (SQLite: WAL, a busy timeout,
    and ``BEGIN IMMEDIATE`` for connections with the ``cnnviz_write`` execution option; other
    backends: pre-pinged pooled connections). For other tables that live in the same database,
    such as the training queue of several server processes (:mod:`cnnviz.training.leases`)."""
    parsed = sa.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed)
    return sa.create_engine(parsed, pool_pre_ping=True)


class ClassroomStore:
    """Every class of this server (or of all servers sharing the database).

    Parameters
    ----------
    url : str, optional
        An SQLAlchemy database URL. None: ``CNNVIZ_DATABASE_URL`` when set, else the embedded
        SQLite file :data:`DEFAULT_DATABASE_FILE`.
    limits : ClassLimits, optional
        The caps; the retention defaults to ``CNNVIZ_CLASS_RETENTION_DAYS`` when that is set.
    clock : callable, optional
        Seconds since the epoch; tests pass a fake one to age classes.

    Examples
    --------
    >>> store = ClassroomStore("sqlite://")  # in memory, for the example
    >>> code, secret = store.create_class("Pooling, period 3")
    >>> student = store.join(code, nickname="Ada")
    >>> image = np.zeros((28, 28), dtype=np.float32)
    >>> store.add_drawing(code, student, 7, image)
    1
    >>> [drawing.label for drawing in store.drawings(code)]
    [7]
    >>> store.close_class(code, secret)
    >>> store.join(code)
    Traceback (most recent call last):
    ...
    cnnviz.classroom.ClassClosedError: This class has been closed by the teacher.
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        limits: ClassLimits | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.url = url if url is not None else default_database_url()
        if limits is None:
            limits = ClassLimits(retention_days=_retention_days_from_env(30.0))
        self.limits = limits
        self._clock = clock
        self._engine = create_database_engine(self.url)
        self._write_engine = self._engine.execution_options(cnnviz_write=True)
        self._create_tables()

    @property
    def dialect(self) -> str:
        """ "sqlite" or "postgresql" (or another SQLAlchemy backend)."""
        return self._engine.dialect.name

    def dispose(self) -> None:
        """Close the pooled connections (the data stays in the database)."""
        self._engine.dispose()

    # -- transactions ------------------------------------------------------------------------

    def _create_tables(self) -> None:
        # Several server processes may start at once on one database: create the tables inside
        # one write transaction, and if another process won the race, its tables are ours.
        for attempt in range(3):
            try:
                with self._write_engine.begin() as connection:
                    _metadata.create_all(connection, checkfirst=True)
                return
            except sa.exc.DBAPIError:
                if attempt == 2:
                    raise
                time.sleep(0.1 * (attempt + 1))

    @contextmanager
    def _writing(self) -> Iterator[Connection]:
        with self._write_engine.begin() as connection:
            yield connection

    @contextmanager
    def _reading(self) -> Iterator[Connection]:
        with self._engine.begin() as connection:
            yield connection

    def _locked_class(
        self, connection: Connection, code: object, *, open_only: bool = True
    ) -> sa.Row:
        """The class's row, locked for this transaction; raises when unknown (or closed)."""
        code = normalise_code(code)
        row = connection.execute(
            sa.select(_classes).where(_classes.c.code == code).with_for_update()
        ).first()
        if row is None:
            raise UnknownClassError(
                f"There is no class with the code {code}: check the code on the teacher's screen."
            )
        if open_only and row.closed_at is not None:
            raise ClassClosedError("This class has been closed by the teacher.")
        return row

    def _teacher_class(
        self, connection: Connection, code: object, teacher_secret: object, *, open_only: bool
    ) -> sa.Row:
        row = self._locked_class(connection, code, open_only=False)
        if not _secret_matches(teacher_secret, row.secret_hash):
            raise PermissionError("Only the teacher of this class can do that (wrong secret).")
        if open_only and row.closed_at is not None:
            raise ClassClosedError("This class has been closed by the teacher.")
        return row

    def _class_row(self, connection: Connection, code: object) -> sa.Row:
        code = normalise_code(code)
        row = connection.execute(sa.select(_classes).where(_classes.c.code == code)).first()
        if row is None:
            raise UnknownClassError(
                f"There is no class with the code {code}: check the code on the teacher's screen."
            )
        return row

    def _bump(self, connection: Connection, code: str, **values: Any) -> None:
        connection.execute(
            sa.update(_classes)
            .where(_classes.c.code == code)
            .values(version=_classes.c.version + 1, **values)
        )

    def _student_row(self, connection: Connection, code: str, student_id: object) -> sa.Row:
        if not isinstance(student_id, str) or not student_id or len(student_id) > 64:
            raise UnknownStudentError("This browser has not joined the class: join it again.")
        row = connection.execute(
            sa.select(_students).where(
                _students.c.student_id == student_id, _students.c.code == code
            )
        ).first()
        if row is None:
            raise UnknownStudentError("This browser has not joined this class: join it again.")
        return row

    # -- the class -----------------------------------------------------------------------------

    def create_class(self, title: str) -> tuple[str, str]:
        """Start a class. Returns ``(join_code, teacher_secret)``; the secret is shown only once.

        The class starts with training limited to small subsets and nicknames hidden.
        """
        title = _check_text(title, "class title", self.limits.max_title_length)
        teacher_secret = secrets.token_urlsafe(16)
        secret_hash = _stored_secret_hash(teacher_secret)
        for _attempt in range(10):
            code = "".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(JOIN_CODE_LENGTH))
            try:
                with self._writing() as connection:
                    connection.execute(
                        sa.insert(_classes).values(
                            code=code,
                            title=title,
                            secret_hash=secret_hash,
                            created_at=self._clock(),
                            closed_at=None,
                            version=1,
                            page=None,
                            settings_json="{}",
                            training_permission=TrainingPermission.SUBSETS.value,
                            show_nicknames=False,
                            current_round=None,
                            current_question=None,
                            students_joined=0,
                        )
                    )
                return code, teacher_secret
            except sa.exc.IntegrityError:
                continue  # the code was taken: draw another
        raise RuntimeError("Could not find a free class code in ten draws.")

    def check_teacher(self, code: str, teacher_secret: str) -> None:
        """Raise ``PermissionError`` unless ``teacher_secret`` is this class's secret."""
        with self._reading() as connection:
            row = self._class_row(connection, code)
        if not _secret_matches(teacher_secret, row.secret_hash):
            raise PermissionError("Only the teacher of this class can do that (wrong secret).")

    def state(self, code: str) -> ClassState:
        """What the class's pages follow (one small read)."""
        with self._reading() as connection:
            row = self._class_row(connection, code)
        return ClassState(
            code=row.code,
            title=row.title,
            version=row.version,
            page=row.page,
            settings=json.loads(row.settings_json),
            closed=row.closed_at is not None,
            training_permission=TrainingPermission(row.training_permission),
            show_nicknames=bool(row.show_nicknames),
            current_round=row.current_round,
            current_question=row.current_question,
            created_at=row.created_at,
        )

    def version(self, code: str) -> int:
        """The class's version number: it changes whenever the teacher changes anything.

        The cheapest read there is (one integer by primary key), for polling.
        """
        code = normalise_code(code)
        with self._reading() as connection:
            version = connection.execute(
                sa.select(_classes.c.version).where(_classes.c.code == code)
            ).scalar()
        if version is None:
            raise UnknownClassError(f"There is no class with the code {code}.")
        return int(version)

    def close_class(self, code: str, teacher_secret: str) -> None:
        """Close the class: it keeps its data and takes no more joins, answers or drawings."""
        with self._writing() as connection:
            row = self._teacher_class(connection, code, teacher_secret, open_only=False)
            if row.closed_at is None:
                self._bump(connection, row.code, closed_at=self._clock())

    def publish(
        self, code: str, teacher_secret: str, page: str, settings: Mapping[str, Any]
    ) -> int:
        """Publish the teacher's current page and its settings; returns the new version.

        Publishing what is already published changes nothing (and keeps the version), so the
        teacher's page can publish on every rerun without waking the class.
        """
        if not isinstance(page, str) or len(page) > MAX_PAGE_NAME or not _PAGE_NAME.match(page):
            raise InvalidInputError(f"{page!r} is not a page name.")
        settings_json = json.dumps(_check_settings(settings), sort_keys=True)
        with self._writing() as connection:
            row = self._teacher_class(connection, code, teacher_secret, open_only=True)
            if row.page == page and row.settings_json == settings_json:
                return row.version
            self._bump(connection, row.code, page=page, settings_json=settings_json)
            return row.version + 1

    def set_training_permission(
        self, code: str, teacher_secret: str, permission: TrainingPermission | str
    ) -> None:
        """Let students train: off, small subsets only, or on."""
        try:
            permission = TrainingPermission(permission)
        except ValueError as error:
            options = ", ".join(p.value for p in TrainingPermission)
            raise InvalidInputError(f"{permission!r} is not one of {options}.") from error
        with self._writing() as connection:
            row = self._teacher_class(connection, code, teacher_secret, open_only=True)
            self._bump(connection, row.code, training_permission=permission.value)

    def set_show_nicknames(self, code: str, teacher_secret: str, show: bool) -> None:
        """Whether the projected view shows nicknames (off by default)."""
        if not isinstance(show, bool):
            raise InvalidInputError("Showing nicknames is a yes/no choice.")
        with self._writing() as connection:
            row = self._teacher_class(connection, code, teacher_secret, open_only=True)
            self._bump(connection, row.code, show_nicknames=show)

    def clear(self, code: str, teacher_secret: str) -> None:
        """Remove the class's questions, answers, rounds and drawings; its students stay."""
        with self._writing() as connection:
            row = self._teacher_class(connection, code, teacher_secret, open_only=False)
            for table in (_answers, _questions, _drawings, _rounds):
                if table is _answers:
                    questions = sa.select(_questions.c.question_id).where(
                        _questions.c.code == row.code
                    )
                    connection.execute(
                        sa.delete(_answers).where(_answers.c.question_id.in_(questions))
                    )
                else:
                    connection.execute(sa.delete(table).where(table.c.code == row.code))
            self._bump(connection, row.code, current_round=None, current_question=None)

    def remove_expired(self) -> int:
        """Delete every class started more than the retention period ago; returns how many."""
        cutoff = self._clock() - self.limits.retention_days * SECONDS_PER_DAY
        with self._writing() as connection:
            codes = list(
                connection.execute(
                    sa.select(_classes.c.code).where(_classes.c.created_at < cutoff)
                ).scalars()
            )
            if codes:
                self._delete_classes(connection, codes)
        return len(codes)

    @staticmethod
    def _delete_classes(connection: Connection, codes: list[str]) -> None:
        questions = sa.select(_questions.c.question_id).where(_questions.c.code.in_(codes))
        connection.execute(sa.delete(_answers).where(_answers.c.question_id.in_(questions)))
        for table in _CLASS_TABLES_CHILDREN_FIRST[1:]:
            connection.execute(sa.delete(table).where(table.c.code.in_(codes)))
        connection.execute(sa.delete(_classes).where(_classes.c.code.in_(codes)))

    # -- students ------------------------------------------------------------------------------

    def join(self, code: str, nickname: str | None = None) -> str:
        """Join a class; returns the student's id (keep it: it is the student's only key)."""
        if nickname is not None:
            nickname = (
                _check_text(nickname, "nickname", self.limits.max_nickname_length, allow_empty=True)
                or None
            )
        with self._writing() as connection:
            row = self._locked_class(connection, code)
            if row.students_joined >= self.limits.max_students:
                raise LimitReachedError(
                    f"This class is full ({self.limits.max_students} students): ask the teacher."
                )
            student_id = secrets.token_urlsafe(18)
            number = row.students_joined + 1
            connection.execute(
                sa.insert(_students).values(
                    student_id=student_id,
                    code=row.code,
                    number=number,
                    nickname=nickname,
                    joined_at=self._clock(),
                )
            )
            connection.execute(
                sa.update(_classes)
                .where(_classes.c.code == row.code)
                .values(students_joined=number)
            )
        return student_id

    def students(self, code: str) -> list[Student]:
        """The class's students in the order they joined."""
        with self._reading() as connection:
            row = self._class_row(connection, code)
            rows = connection.execute(
                sa.select(_students)
                .where(_students.c.code == row.code)
                .order_by(_students.c.number)
            ).all()
        return [Student(r.student_id, r.number, r.nickname) for r in rows]

    def student(self, code: str, student_id: str) -> Student:
        """One student of the class; raises :class:`UnknownStudentError` for a foreign id."""
        with self._reading() as connection:
            row = self._class_row(connection, code)
            student = self._student_row(connection, row.code, student_id)
        return Student(student.student_id, student.number, student.nickname)

    # -- drawings ------------------------------------------------------------------------------

    def start_round(self, code: str, teacher_secret: str, prompt: str) -> int:
        """Start a drawing round (ending the previous one); returns its id."""
        prompt = _check_text(prompt, "round's instruction", self.limits.max_question_length)
        now = self._clock()
        with self._writing() as connection:
            row = self._teacher_class(connection, code, teacher_secret, open_only=True)
            connection.execute(
                sa.update(_rounds)
                .where(_rounds.c.code == row.code, _rounds.c.ended_at.is_(None))
                .values(ended_at=now)
            )
            round_id = connection.execute(
                sa.insert(_rounds).values(code=row.code, prompt=prompt, started_at=now)
            ).inserted_primary_key[0]
            self._bump(connection, row.code, current_round=round_id)
        return int(round_id)

    def end_round(self, code: str, teacher_secret: str) -> None:
        """End the current drawing round (its drawings stay)."""
        with self._writing() as connection:
            row = self._teacher_class(connection, code, teacher_secret, open_only=False)
            connection.execute(
                sa.update(_rounds)
                .where(_rounds.c.code == row.code, _rounds.c.ended_at.is_(None))
                .values(ended_at=self._clock())
            )
            self._bump(connection, row.code, current_round=None)

    def round_prompt(self, code: str, round_id: int) -> str:
        """The instruction of one of the class's rounds."""
        with self._reading() as connection:
            row = self._class_row(connection, code)
            prompt = connection.execute(
                sa.select(_rounds.c.prompt).where(
                    _rounds.c.code == row.code, _rounds.c.round_id == round_id
                )
            ).scalar()
        if prompt is None:
            raise InvalidInputError(f"This class has no drawing round {round_id}.")
        return prompt

    def add_drawing(
        self,
        code: str,
        student_id: str,
        label: int,
        image28: np.ndarray,
        predictions: Mapping[str, int] | None = None,
    ) -> int:
        """Store a student's drawing in the class's current round; returns its id.

        Parameters
        ----------
        label : int
            The digit the student says they drew, 0–9.
        image28 : ndarray, shape (28, 28), float
            What the network sees (``cnnviz.preprocess.canvas_to_mnist``), values in [0, 1].
        predictions : mapping of str to int, optional
            The digit each shipped model read, computed by the server from ``image28``.
        """
        label = _check_digit_label(label)
        image = _check_image(image28)
        predictions = _check_predictions(predictions)
        with self._writing() as connection:
            row = self._locked_class(connection, code)
            student = self._student_row(connection, row.code, student_id)
            count = connection.execute(
                sa.select(sa.func.count())
                .select_from(_drawings)
                .where(_drawings.c.student_id == student.student_id)
            ).scalar_one()
            if count >= self.limits.max_drawings_per_student:
                raise LimitReachedError(
                    f"You have sent {count} drawings, the most one student can send in a class."
                )
            drawing_id = connection.execute(
                sa.insert(_drawings).values(
                    code=row.code,
                    student_id=student.student_id,
                    round_id=row.current_round,
                    label=label,
                    image=image.astype(_IMAGE_DTYPE).tobytes(),
                    predictions_json=json.dumps(predictions, sort_keys=True),
                    created_at=self._clock(),
                )
            ).inserted_primary_key[0]
        return int(drawing_id)

    def drawings(
        self, code: str, round_id: int | None = None, student_id: str | None = None
    ) -> list[ClassDrawing]:
        """The class's drawings, oldest first; optionally of one round or one student."""
        with self._reading() as connection:
            row = self._class_row(connection, code)
            query = (
                sa.select(_drawings, _students.c.number)
                .join(_students, _students.c.student_id == _drawings.c.student_id)
                .where(_drawings.c.code == row.code)
                .order_by(_drawings.c.drawing_id)
            )
            if round_id is not None:
                query = query.where(_drawings.c.round_id == round_id)
            if student_id is not None:
                query = query.where(_drawings.c.student_id == student_id)
            rows = connection.execute(query).all()
        return [
            ClassDrawing(
                drawing_id=r.drawing_id,
                student_id=r.student_id,
                student_number=r.number,
                label=r.label,
                image28=_image_from_bytes(r.image),
                predictions=json.loads(r.predictions_json),
                round_id=r.round_id,
                created_at=r.created_at,
            )
            for r in rows
        ]

    def export_npz(self, code: str, teacher_secret: str, round_id: int | None = None) -> bytes:
        """The drawings as an ``.npz`` in MNIST's layout (keras' ``mnist.npz``).

        ``x_test``: (N, 28, 28) uint8 in 0–255, ``y_test``: (N,) uint8 labels, plus
        ``prediction_<model>``: (N,) int8, the digit each model read (-1 where it did not run).
        """
        self.check_teacher(code, teacher_secret)
        drawings = self.drawings(code, round_id=round_id)
        images = np.stack([d.image28 for d in drawings]) if drawings else np.zeros((0, 28, 28))
        arrays = {
            "x_test": np.rint(images * 255).astype(np.uint8),
            "y_test": np.array([d.label for d in drawings], dtype=np.uint8),
        }
        for model in sorted({name for d in drawings for name in d.predictions}):
            arrays[f"prediction_{model}"] = np.array(
                [d.predictions.get(model, -1) for d in drawings], dtype=np.int8
            )
        buffer = io.BytesIO()
        np.savez_compressed(buffer, **arrays)
        return buffer.getvalue()

    def export_csv(self, code: str, teacher_secret: str, round_id: int | None = None) -> str:
        """The drawings as CSV: one row per drawing, students by number (never by nickname)."""
        self.check_teacher(code, teacher_secret)
        drawings = self.drawings(code, round_id=round_id)
        models = sorted({name for d in drawings for name in d.predictions})
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(
            ["drawing", "round", "student", "label", *[f"prediction_{m}" for m in models], "time"]
        )
        for d in drawings:
            writer.writerow(
                [
                    d.drawing_id,
                    "" if d.round_id is None else d.round_id,
                    d.student_number,
                    d.label,
                    *[d.predictions.get(m, "") for m in models],
                    time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(d.created_at)),
                ]
            )
        return out.getvalue()

    # -- questions -----------------------------------------------------------------------------

    def ask(
        self,
        code: str,
        teacher_secret: str,
        prompt: str,
        choices: Sequence[str],
        correct_index: int | None,
    ) -> int:
        """Ask the class a multiple-choice question (it becomes the current one); returns its id.

        ``correct_index`` is the position of the right choice, or None for a poll.
        """
        prompt = _check_text(prompt, "question", self.limits.max_question_length)
        if isinstance(choices, str) or not isinstance(choices, Sequence):
            raise InvalidInputError("The choices must be a list of answers.")
        if not 2 <= len(choices) <= MAX_CHOICES:
            raise InvalidInputError(f"A question needs 2 to {MAX_CHOICES} choices.")
        checked = [_check_text(c, "choice", MAX_CHOICE_LENGTH) for c in choices]
        if len(set(checked)) != len(checked):
            raise InvalidInputError("Two choices are the same.")
        if correct_index is not None and (
            isinstance(correct_index, bool)
            or not isinstance(correct_index, int | np.integer)
            or not 0 <= int(correct_index) < len(checked)
        ):
            raise InvalidInputError("The right answer must be one of the choices.")
        with self._writing() as connection:
            row = self._teacher_class(connection, code, teacher_secret, open_only=True)
            question_id = connection.execute(
                sa.insert(_questions).values(
                    code=row.code,
                    prompt=prompt,
                    choices_json=json.dumps(checked),
                    correct_index=None if correct_index is None else int(correct_index),
                    revealed=False,
                    created_at=self._clock(),
                )
            ).inserted_primary_key[0]
            self._bump(connection, row.code, current_question=question_id)
        return int(question_id)

    def _question_row(self, connection: Connection, code: str, question_id: object) -> sa.Row:
        if isinstance(question_id, bool) or not isinstance(question_id, int | np.integer):
            raise InvalidInputError(f"{question_id!r} is not a question of this class.")
        row = connection.execute(
            sa.select(_questions).where(
                _questions.c.question_id == int(question_id), _questions.c.code == code
            )
        ).first()
        if row is None:
            raise InvalidInputError("This class has no such question.")
        return row

    @staticmethod
    def _question(row: sa.Row) -> Question:
        return Question(
            question_id=row.question_id,
            prompt=row.prompt,
            choices=tuple(json.loads(row.choices_json)),
            correct_index=row.correct_index,
            revealed=bool(row.revealed),
            created_at=row.created_at,
        )

    def question(self, code: str, question_id: int) -> Question:
        """One of the class's questions."""
        with self._reading() as connection:
            row = self._class_row(connection, code)
            return self._question(self._question_row(connection, row.code, question_id))

    def questions(self, code: str) -> list[Question]:
        """Every question of the class, oldest first."""
        with self._reading() as connection:
            row = self._class_row(connection, code)
            rows = connection.execute(
                sa.select(_questions)
                .where(_questions.c.code == row.code)
                .order_by(_questions.c.question_id)
            ).all()
        return [self._question(r) for r in rows]

    def answer(self, code: str, student_id: str, question_id: int, choice: int) -> None:
        """Record a student's answer; answering again replaces it, until the reveal."""
        with self._writing() as connection:
            row = self._locked_class(connection, code)
            student = self._student_row(connection, row.code, student_id)
            question = self._question_row(connection, row.code, question_id)
            choices = json.loads(question.choices_json)
            if (
                isinstance(choice, bool)
                or not isinstance(choice, int | np.integer)
                or not 0 <= int(choice) < len(choices)
            ):
                raise InvalidInputError(f"{choice!r} is not one of the {len(choices)} choices.")
            if question.revealed:
                raise ClassClosedError("The answer has been revealed: this question is closed.")
            key = (_answers.c.question_id == question.question_id) & (
                _answers.c.student_id == student.student_id
            )
            values = {"choice": int(choice), "answered_at": self._clock()}
            updated = connection.execute(sa.update(_answers).where(key).values(**values))
            if updated.rowcount == 0:
                connection.execute(
                    sa.insert(_answers).values(
                        question_id=question.question_id, student_id=student.student_id, **values
                    )
                )

    def answer_counts(self, code: str, question_id: int) -> list[int]:
        """How many students chose each choice (each student counts once)."""
        with self._reading() as connection:
            row = self._class_row(connection, code)
            question = self._question_row(connection, row.code, question_id)
            rows = connection.execute(
                sa.select(_answers.c.choice, sa.func.count())
                .where(_answers.c.question_id == question.question_id)
                .group_by(_answers.c.choice)
            ).all()
        counts = [0] * len(json.loads(question.choices_json))
        for choice, count in rows:
            counts[choice] = count
        return counts

    def reveal(self, code: str, teacher_secret: str, question_id: int) -> None:
        """Reveal the answer: answers are final, and each student sees whether they were right."""
        with self._writing() as connection:
            row = self._teacher_class(connection, code, teacher_secret, open_only=False)
            question = self._question_row(connection, row.code, question_id)
            connection.execute(
                sa.update(_questions)
                .where(_questions.c.question_id == question.question_id)
                .values(revealed=True)
            )
            self._bump(connection, row.code)

    def my_answer(self, code: str, student_id: str, question_id: int) -> Answer | None:
        """The student's answer (None before they answer); ``correct`` is set after the reveal."""
        with self._reading() as connection:
            row = self._class_row(connection, code)
            student = self._student_row(connection, row.code, student_id)
            question = self._question_row(connection, row.code, question_id)
            choice = connection.execute(
                sa.select(_answers.c.choice).where(
                    _answers.c.question_id == question.question_id,
                    _answers.c.student_id == student.student_id,
                )
            ).scalar()
        if choice is None:
            return None
        return Answer(student.student_id, choice, _correctness(question, choice))

    def answers(self, code: str, teacher_secret: str, question_id: int) -> list[Answer]:
        """Every student's answer (the teacher's view), in the order the students joined."""
        self.check_teacher(code, teacher_secret)
        with self._reading() as connection:
            row = self._class_row(connection, code)
            question = self._question_row(connection, row.code, question_id)
            rows = connection.execute(
                sa.select(_answers.c.student_id, _answers.c.choice)
                .join(_students, _students.c.student_id == _answers.c.student_id)
                .where(_answers.c.question_id == question.question_id)
                .order_by(_students.c.number)
            ).all()
        return [Answer(r.student_id, r.choice, _correctness(question, r.choice)) for r in rows]


def _correctness(question: sa.Row, choice: int) -> bool | None:
    if not question.revealed or question.correct_index is None:
        return None
    return choice == question.correct_index
