"""The class store's tables (SQLAlchemy Core) and how a drawing's pixels are stored in them.

Every table's name starts with ``cnnviz_``. A change to any column must raise
:data:`SCHEMA_VERSION`: a database of another version is then refused at start
(:func:`cnnviz.database.create_tables`) instead of failing in the middle of a class.
"""

from __future__ import annotations

import numpy as np
import sqlalchemy as sa

# 2: a question's explanation, shown to everyone at the reveal.
# 3: the page settings the teacher last published on each page, the students' presence and
#    the teacher keys.
SCHEMA_VERSION = 3
OWNER = "classroom"  # whose tables, in the database's table of schema versions
IMAGE_SHAPE = (28, 28)
MAX_PAGE_NAME = 60
# 784 little-endian float32 values, row by row: exactly the array the network saw.
IMAGE_DTYPE = np.dtype("<f4")

metadata = sa.MetaData()

classes = sa.Table(
    "cnnviz_classes",
    metadata,
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

students = sa.Table(
    "cnnviz_students",
    metadata,
    sa.Column("student_id", sa.String(64), primary_key=True),
    sa.Column(
        "code", sa.String(16), sa.ForeignKey("cnnviz_classes.code", ondelete="CASCADE"), index=True
    ),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("nickname", sa.String(200), nullable=True),
    sa.Column("joined_at", sa.Float, nullable=False),
)

rounds = sa.Table(
    "cnnviz_rounds",
    metadata,
    sa.Column("round_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "code", sa.String(16), sa.ForeignKey("cnnviz_classes.code", ondelete="CASCADE"), index=True
    ),
    sa.Column("prompt", sa.String(400), nullable=False),
    sa.Column("started_at", sa.Float, nullable=False),
    sa.Column("ended_at", sa.Float, nullable=True),
)

drawings = sa.Table(
    "cnnviz_drawings",
    metadata,
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

questions = sa.Table(
    "cnnviz_questions",
    metadata,
    sa.Column("question_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "code", sa.String(16), sa.ForeignKey("cnnviz_classes.code", ondelete="CASCADE"), index=True
    ),
    sa.Column("prompt", sa.Text, nullable=False),
    sa.Column("choices_json", sa.Text, nullable=False),
    sa.Column("correct_index", sa.Integer, nullable=True),
    sa.Column("explanation", sa.Text, nullable=True),
    sa.Column("revealed", sa.Boolean, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
)

answers = sa.Table(
    "cnnviz_answers",
    metadata,
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

# The settings the teacher last published on each page (the class's state holds only the
# current page's): what a generated question about that page starts from.
page_settings = sa.Table(
    "cnnviz_page_settings",
    metadata,
    sa.Column(
        "code",
        sa.String(16),
        sa.ForeignKey("cnnviz_classes.code", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("page", sa.String(MAX_PAGE_NAME), primary_key=True),
    sa.Column("settings_json", sa.Text, nullable=False),
)

# Where each student is and whether they follow, as their tab last reported it (every few
# seconds at most): the teacher's live counts.
presence = sa.Table(
    "cnnviz_presence",
    metadata,
    sa.Column(
        "student_id",
        sa.String(64),
        sa.ForeignKey("cnnviz_students.student_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column(
        "code", sa.String(16), sa.ForeignKey("cnnviz_classes.code", ondelete="CASCADE"), index=True
    ),
    sa.Column("page", sa.String(MAX_PAGE_NAME), nullable=False),
    sa.Column("following", sa.Boolean, nullable=False),
    sa.Column("seen_at", sa.Float, nullable=False),
)

# The teacher keys of a class (a teacher's browsers: cookie or teacher link), by hash only.
teacher_keys = sa.Table(
    "cnnviz_teacher_keys",
    metadata,
    sa.Column("key_hash", sa.String(64), primary_key=True),
    sa.Column(
        "code", sa.String(16), sa.ForeignKey("cnnviz_classes.code", ondelete="CASCADE"), index=True
    ),
    sa.Column("created_at", sa.Float, nullable=False),
)

# Children first: deleting a class's rows in this order never trips a foreign key.
CLASS_TABLES_CHILDREN_FIRST = (
    answers,
    questions,
    drawings,
    rounds,
    presence,
    page_settings,
    teacher_keys,
    students,
)


def image_to_bytes(image28: np.ndarray) -> bytes:
    """A (28, 28) drawing as the ``image`` column stores it."""
    return image28.astype(IMAGE_DTYPE).tobytes()


def image_from_bytes(raw: bytes) -> np.ndarray:
    """The (28, 28) float32 drawing of an ``image`` column."""
    return np.frombuffer(raw, dtype=IMAGE_DTYPE).reshape(IMAGE_SHAPE).astype(np.float32)
