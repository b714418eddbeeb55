"""The Class page's answers histogram (cnnviz.charts.classroom), readable from the back."""

from __future__ import annotations

import pytest

from cnnviz.charts import classroom as class_charts
from cnnviz.charts.base import BLUE, GREEN, GREY


def test_the_histogram_lies_flat_so_each_choice_reads_level_at_a_projectors_size():
    figure = class_charts.answer_histogram(["14 × 14", "13 × 13", "15 × 15"], [2, 5, 0])
    (bars,) = figure.data
    assert bars.orientation == "h"
    assert list(bars.y) == ["14 × 14", "13 × 13", "15 × 15"] and list(bars.x) == [2, 5, 0]
    assert figure.layout.yaxis.autorange == "reversed"  # the first choice at the top
    assert figure.layout.yaxis.tickfont.size >= 18 and figure.layout.xaxis.tickfont.size >= 18
    assert bars.textfont.size >= 18 and figure.layout.title.font.size >= 18
    assert figure.layout.title.text == "7 answers"
    assert list(bars.marker.color) == [BLUE] * 3  # before the reveal nothing stands out
    assert figure.layout.xaxis.range[1] > 5  # room for the longest bar's count beside it


def test_after_the_reveal_the_right_choice_is_green_and_the_others_grey():
    figure = class_charts.answer_histogram(["a", "b"], [1, 1], correct_index=1)
    assert list(figure.data[0].marker.color) == [GREY, GREEN]


def test_a_long_choice_wraps_beside_its_bar_and_the_chart_grows_for_it():
    long = "the maximum keeps the thin bright line because it is in one window"
    short = class_charts.answer_histogram(["yes", "no"], [0, 1])
    wrapped = class_charts.answer_histogram([long, "no"], [0, 1])
    label = wrapped.data[0].y[0]
    assert "<br>" in label and label.replace("<br>", " ") == long
    assert all(len(line) <= class_charts.CHOICE_LINE_CHARS for line in label.split("<br>"))
    assert list(wrapped.data[0].customdata) == [long, "no"]  # the hover names it whole
    assert wrapped.layout.height > short.layout.height


def test_counts_that_do_not_match_the_choices_are_refused():
    with pytest.raises(ValueError, match="Expected 2 non-negative counts"):
        class_charts.answer_histogram(["a", "b"], [1])
    with pytest.raises(ValueError, match="Expected 2 non-negative counts"):
        class_charts.answer_histogram(["a", "b"], [1, -1])
