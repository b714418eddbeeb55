"""Class-mode questions generated from the live settings: the answer and the sentence under it
hold for the numbers (checked against pooling itself, ``ops.pool2d``, which the ops tests check
against keras)."""

import dataclasses
import itertools
import re
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pytest

from cnnviz import images, ops, pooling_settings
from cnnviz.classroom import ClassDrawing, questions

SHAPES = [(28, 28), (300, 451), (451, 300), (7, 12), (5, 5)]


@pytest.mark.parametrize("shape", SHAPES)
def test_the_output_size_answer_and_its_sums_are_what_pooling_gives(shape):
    # The whole range of the Pooling page's sliders, 1–8 each, and both paddings.
    for pool_size, stride, padding in itertools.product(
        range(1, 9), range(1, 9), ("valid", "same")
    ):
        if padding == "valid" and pool_size > min(shape):
            with pytest.raises(ValueError, match="does not fit"):
                questions.output_size_question(shape, pool_size, stride, padding)
            continue
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


def half_up(value: Decimal) -> str:
    """Two decimals, rounded half up as a student rounds by hand."""
    return str(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def test_a_window_averaging_to_0_475_is_rounded_half_up_to_0_48():
    # Issue 24: 0.475 printed as 0.47 (binary floats and round-half-even).
    image = np.array([[0.5, 0.5], [0.5, 0.4]])
    question = questions.pooled_value_question(image, 2, 2, "avg")
    assert question.choices[question.correct_index] == "0.48"
    assert "1.90" in question.explanation and "0.475" in question.explanation


def listed_values(prompt: str) -> list[Decimal]:
    listed = prompt.split("holds (row by row) ")[1].split(". What")[0]
    return [Decimal(value) for value in re.split(r", | / ", listed)]


@pytest.mark.parametrize("seed", range(6))
def test_the_pooled_value_choices_are_exact_for_the_listed_values(seed):
    # The listed values are all a student sees: max, min and mean of them, the mean rounded
    # half up, over every pool size that is asked (1–3), stride 1–8 and mode.
    rng = np.random.default_rng(seed)
    image = np.round(rng.random((9, 9)) * 40) / 40  # quarter-hundredths: many .xx5 means
    asked = 0
    for pool_size, stride, mode in itertools.product((1, 2, 3), range(1, 9), ops.POOL_MODES):
        question = questions.pooled_value_question(image, pool_size, stride, mode)
        if question is None:
            continue
        values = listed_values(question.prompt)
        assert len(values) == pool_size * pool_size
        mean = sum(values) / len(values)
        expected = {"max": f"{max(values)}", "min": f"{min(values)}", "avg": half_up(mean)}
        assert question.choices[question.correct_index] == expected[mode]
        assert sorted(question.choices) == sorted(expected.values())
        asked += 1
    assert asked > 40


@pytest.mark.parametrize("padding", ops.POOL_PADDINGS)
def test_the_thin_line_explanation_agrees_with_its_answer_everywhere(padding):
    pattern = images.thin_lines()
    for pool_size, stride in itertools.product(range(1, 9), range(1, 9)):
        question = questions.thin_line_question(pool_size, stride, padding)
        answer = question.choices[question.correct_index]
        shares = {
            mode: float(ops.pool2d(pattern, pool_size, stride, padding, mode).max())
            / float(pattern.max())
            for mode in ops.POOL_MODES
        }
        kept = {mode for mode, share in shares.items() if share >= questions.KEEPS_LINE_SHARE}
        names = {mode: pooling_settings.MODE.show(mode) for mode in ops.POOL_MODES}
        if kept == set(ops.POOL_MODES):
            assert answer == questions.THIN_LINE_ALL
        elif not kept:
            assert answer == questions.THIN_LINE_NONE
        else:
            assert set(answer.split(" and ")) == {names[mode] for mode in kept}
        text = question.explanation
        for mode, share in shares.items():  # each mode's brightest pooled value, as shown
            assert f"{names[mode].lower()} {share:.0%}" in text.lower(), (pool_size, text)
        # The reasons only for what happened: no "dilutes" where average kept the line.
        if "avg" in kept:
            assert "dilute" not in text and "mixes" not in text, (pool_size, stride, text)
        if "min" in kept:
            assert "background" not in text.split("Min")[-1].split(".")[0], text
        if pool_size == 1:
            assert "1 × 1" in text, text
