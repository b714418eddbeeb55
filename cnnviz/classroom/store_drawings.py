"""The class store's drawing rounds: the teacher starts a round, students send digits, exports.

Part of :class:`cnnviz.classroom.ClassroomStore`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

import numpy as np
import sqlalchemy as sa

from cnnviz.classroom import exports, schema, validation
from cnnviz.classroom.errors import InvalidInputError, LimitReachedError
from cnnviz.classroom.records import ClassDrawing
from cnnviz.classroom.store_base import StoreBase


class DrawingRounds(StoreBase):
    """Rounds of drawings: what the class drew, what each model read, and its exports."""

    def start_round(self, code: str, teacher_secret: str, prompt: str) -> int:
        """Start a drawing round (ending the previous one); returns its id."""
        prompt = validation.check_text(
            prompt, "round's instruction", self.limits.max_question_length
        )
        now = self._clock()
        with self._writing() as connection:
            row = self._teacher_class(connection, code, teacher_secret, open_only=True)
            connection.execute(
                sa.update(schema.rounds)
                .where(schema.rounds.c.code == row.code, schema.rounds.c.ended_at.is_(None))
                .values(ended_at=now)
            )
            round_id = connection.execute(
                sa.insert(schema.rounds).values(code=row.code, prompt=prompt, started_at=now)
            ).inserted_primary_key[0]
            self._bump(connection, row.code, current_round=round_id)
        return int(round_id)

    def end_round(self, code: str, teacher_secret: str) -> None:
        """End the current drawing round (its drawings stay)."""
        with self._writing() as connection:
            row = self._teacher_class(connection, code, teacher_secret, open_only=False)
            connection.execute(
                sa.update(schema.rounds)
                .where(schema.rounds.c.code == row.code, schema.rounds.c.ended_at.is_(None))
                .values(ended_at=self._clock())
            )
            self._bump(connection, row.code, current_round=None)

    def round_prompt(self, code: str, round_id: int) -> str:
        """The instruction of one of the class's rounds."""
        with self._reading() as connection:
            row = self._class_row(connection, code)
            prompt = connection.execute(
                sa.select(schema.rounds.c.prompt).where(
                    schema.rounds.c.code == row.code, schema.rounds.c.round_id == round_id
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
        label = validation.check_digit_label(label)
        image = validation.check_image(image28)
        predictions = validation.check_predictions(predictions)
        with self._writing() as connection:
            row = self._locked_class(connection, code)
            student = self._student_row(connection, row.code, student_id)
            count = connection.execute(
                sa.select(sa.func.count())
                .select_from(schema.drawings)
                .where(schema.drawings.c.student_id == student.student_id)
            ).scalar_one()
            if count >= self.limits.max_drawings_per_student:
                raise LimitReachedError(
                    f"You have sent {count} drawings, the most one student can send in a class."
                )
            drawing_id = connection.execute(
                sa.insert(schema.drawings).values(
                    code=row.code,
                    student_id=student.student_id,
                    round_id=row.current_round,
                    label=label,
                    image=schema.image_to_bytes(image),
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
                sa.select(schema.drawings, schema.students.c.number)
                .join(schema.students, schema.students.c.student_id == schema.drawings.c.student_id)
                .where(schema.drawings.c.code == row.code)
                .order_by(schema.drawings.c.drawing_id)
            )
            if round_id is not None:
                query = query.where(schema.drawings.c.round_id == round_id)
            if student_id is not None:
                query = query.where(schema.drawings.c.student_id == student_id)
            rows = connection.execute(query).all()
        return [
            ClassDrawing(
                drawing_id=r.drawing_id,
                student_id=r.student_id,
                student_number=r.number,
                label=r.label,
                image28=schema.image_from_bytes(r.image),
                predictions=json.loads(r.predictions_json),
                round_id=r.round_id,
                created_at=r.created_at,
            )
            for r in rows
        ]

    def export_npz(self, code: str, teacher_secret: str, round_id: int | None = None) -> bytes:
        """The drawings as an ``.npz`` in MNIST's layout with their ids
        (:func:`cnnviz.classroom.exports.drawings_npz`)."""
        self.check_teacher(code, teacher_secret)
        return exports.drawings_npz(self.drawings(code, round_id=round_id))

    def export_csv(self, code: str, teacher_secret: str, round_id: int | None = None) -> str:
        """The drawings as CSV: one row per drawing, students by number (never by nickname)."""
        self.check_teacher(code, teacher_secret)
        return exports.drawings_csv(self.drawings(code, round_id=round_id))
