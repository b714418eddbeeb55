"""Class-mode questions generated from the live settings: the answer and the sentence under it
hold for the numbers (checked against pooling itself, ``ops.pool2d``, which the ops tests check
against keras)."""

import dataclasses
import itertools
import re

import numpy as np
import pytest

from cnnviz import ops, pooling_settings
from cnnviz.classroom import ClassDrawing, questions

SHAPES = [(28, 28), (300, 451), (451, 300), (7, 12), (5, 5)]


@pytest.mark.parametrize("shape", SHAPES)
def test_the_output_size_answer_and_its_sums_are_what_pooling_gives(shape):
    for pool_size, stride, padding in itertools.product((2, 3), (1, 2, 3), ("valid", "same")):
        rows, cols = ops.pool2d(np.zeros(shape, np.float32), pool_size, stride, padding).shape
        question = questions.output_size_question(shape, pool_size, stride, padding)
        assert question.choices[question.correct_index] == f"{rows} × {cols}"
        # Distinct choices, up to 4 (the classic slips can coincide: 13, 14, 15 for 28 → 14).
        assert len(set(question.choices)) == len(question.choices) >= 3
        # The sums' results, in order: one per side, or one for both sides of a square.
        results = [int(value) for value in re.findall(r"= (\d+)", question.explanation)]
        assert results == ([rows] if shape[0] == shape[1] else [rows, cols]), question.explanation
        if shape[0] != shape[1]:
            assert (
                question.explanation.startswith("Rows: ") and "; columns: " in question.explanation
            )


def drawing(drawing_id: int, label: int, read: int | None) -> ClassDrawing:
    return ClassDrawing(
        drawing_id=drawing_id,
        student_id="s",
        student_number=1,
        label=label,
        image28=np.zeros((28, 28), np.float32),
        predictions={} if read is None else {"lenet": read},
        round_id=None,
        created_at=0.0,
    )


def context(settings: dict, drawings: list[ClassDrawing]) -> questions.QuestionContext:
    return questions.QuestionContext(
        settings={**pooling_settings.defaults(), **settings},
        load_image=lambda name: np.arange(64, dtype=np.float64).reshape(8, 8) / 64,
        drawings=lambda: drawings,
        model="lenet",
        model_label="LeNet-5",
    )


def test_every_registered_kind_is_made_from_the_pooling_settings_and_the_drawings():
    kinds = [kind.key for kind in questions.QUESTION_KINDS]
    assert kinds == ["size", "thin", "value", "digit"]
    made = context({}, [drawing(1, 3, 3), drawing(2, 4, 9), drawing(3, 5, 5)])
    size = questions.question_kind("size").make(made)
    assert size.choices[size.correct_index] == "4 × 4"  # 8 × 8 at 2 × 2, stride 2, valid
    thin = questions.question_kind("thin").make(made)
    assert thin.choices[thin.correct_index] == "Max"
    value = questions.question_kind("value").make(made)
    assert value is not None and value.choices[value.correct_index] == max(value.choices)
    digit = questions.question_kind("digit").make(made)
    # The latest drawing the network misread: #2, a 4 read as a 9.
    assert digit.drawing.drawing_id == 2 and digit.correct_index == 9


def test_a_kind_that_cannot_be_asked_returns_none_and_says_why():
    no_drawings = context({"pool_size": 8}, [drawing(1, 3, None)])
    assert questions.question_kind("digit").make(no_drawings) is None
    assert questions.question_kind("value").make(no_drawings) is None  # 8 × 8: too many values
    too_big = context({"pool_size": 8, "sample": "tiny"}, [])
    small = dataclasses.replace(too_big, load_image=lambda name: np.zeros((5, 5)))
    assert questions.question_kind("size").make(small) is None
    assert all(kind.unavailable.endswith(".") for kind in questions.QUESTION_KINDS)
    with pytest.raises(ValueError, match="There is no question kind 'own'; the kinds are size"):
        questions.question_kind("own")
