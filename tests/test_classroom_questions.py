"""Class-mode questions generated from the live settings: the answer and the sentence under it
hold for the numbers (checked against pooling itself, ``ops.pool2d``, which the ops tests check
against keras)."""

import itertools
import re

import numpy as np
import pytest

from cnnviz import ops
from cnnviz.classroom import questions

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
