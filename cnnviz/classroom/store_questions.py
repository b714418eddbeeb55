"""The class store's questions: the teacher asks, students answer, the teacher reveals.

Part of :class:`cnnviz.classroom.ClassroomStore`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from cnnviz.classroom import exports, schema, validation
from cnnviz.classroom.errors import ClassClosedError, InvalidInputError
from cnnviz.classroom.records import Answer, AnswerRecord, Question
from cnnviz.classroom.store_base import StoreBase


class QuestionsAndAnswers(StoreBase):
    """Multiple-choice questions and polls, one answer per student, final at the reveal."""

    def ask(
        self,
        code: str,
        teacher_secret: str,
        prompt: str,
        choices: Sequence[str],
        correct_index: int | None,
        explanation: str | None = None,
    ) -> int:
        """Ask the class a multiple-choice question (it becomes the current one); returns its id.

        ``correct_index`` is the position of the right choice, or None for a poll;
        ``explanation`` says why (every page shows it after the reveal, not before).
        """
        prompt = validation.check_text(prompt, "question", self.limits.max_question_length)
        if explanation is not None:
            explanation = validation.check_text(
                explanation, "explanation", validation.MAX_EXPLANATION_LENGTH
            )
        if isinstance(choices, str) or not isinstance(choices, Sequence):
            raise InvalidInputError("The choices must be a list of answers.")
        if not 2 <= len(choices) <= validation.MAX_CHOICES:
            raise InvalidInputError(f"A question needs 2 to {validation.MAX_CHOICES} choices.")
        checked = [
            validation.check_text(c, "choice", validation.MAX_CHOICE_LENGTH) for c in choices
        ]
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
                sa.insert(schema.questions).values(
                    code=row.code,
                    prompt=prompt,
                    choices_json=json.dumps(checked),
                    correct_index=None if correct_index is None else int(correct_index),
                    explanation=explanation,
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
            sa.select(schema.questions).where(
                schema.questions.c.question_id == int(question_id), schema.questions.c.code == code
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
            explanation=row.explanation,
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
                sa.select(schema.questions)
                .where(schema.questions.c.code == row.code)
                .order_by(schema.questions.c.question_id)
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
            key = (schema.answers.c.question_id == question.question_id) & (
                schema.answers.c.student_id == student.student_id
            )
            values = {"choice": int(choice), "answered_at": self._clock()}
            updated = connection.execute(sa.update(schema.answers).where(key).values(**values))
            if updated.rowcount == 0:
                connection.execute(
                    sa.insert(schema.answers).values(
                        question_id=question.question_id, student_id=student.student_id, **values
                    )
                )

    def answer_counts(self, code: str, question_id: int) -> list[int]:
        """How many students chose each choice (each student counts once)."""
        with self._reading() as connection:
            row = self._class_row(connection, code)
            question = self._question_row(connection, row.code, question_id)
            rows = connection.execute(
                sa.select(schema.answers.c.choice, sa.func.count())
                .where(schema.answers.c.question_id == question.question_id)
                .group_by(schema.answers.c.choice)
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
                sa.update(schema.questions)
                .where(schema.questions.c.question_id == question.question_id)
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
                sa.select(schema.answers.c.choice).where(
                    schema.answers.c.question_id == question.question_id,
                    schema.answers.c.student_id == student.student_id,
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
                sa.select(schema.answers.c.student_id, schema.answers.c.choice)
                .join(schema.students, schema.students.c.student_id == schema.answers.c.student_id)
                .where(schema.answers.c.question_id == question.question_id)
                .order_by(schema.students.c.number)
            ).all()
        return [Answer(r.student_id, r.choice, _correctness(question, r.choice)) for r in rows]

    def answer_records(self, code: str) -> list[AnswerRecord]:
        """Every answer to every question of the class, by question, then by student number."""
        answers, questions, students = schema.answers, schema.questions, schema.students
        with self._reading() as connection:
            row = self._class_row(connection, code)
            rows = connection.execute(
                sa.select(
                    questions.c.question_id,
                    questions.c.prompt,
                    questions.c.choices_json,
                    questions.c.correct_index,
                    answers.c.choice,
                    answers.c.answered_at,
                    students.c.number,
                )
                .join(answers, answers.c.question_id == questions.c.question_id)
                .join(students, students.c.student_id == answers.c.student_id)
                .where(questions.c.code == row.code)
                .order_by(questions.c.question_id, students.c.number)
            ).all()
        return [
            AnswerRecord(
                question_id=r.question_id,
                prompt=r.prompt,
                choice=json.loads(r.choices_json)[r.choice],
                correct=None if r.correct_index is None else r.choice == r.correct_index,
                student_number=r.number,
                answered_at=r.answered_at,
            )
            for r in rows
        ]

    def export_answers_csv(self, code: str, teacher_secret: str) -> str:
        """Every answer to every question as CSV (:func:`cnnviz.classroom.exports.answers_csv`)."""
        self.check_teacher(code, teacher_secret)
        return exports.answers_csv(self.answer_records(code))


def _correctness(question: sa.Row, choice: int) -> bool | None:
    if not question.revealed or question.correct_index is None:
        return None
    return choice == question.correct_index
