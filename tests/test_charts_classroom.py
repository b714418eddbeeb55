"""The Class page's charts (cnnviz.charts.classroom): the answers histogram, readable from the
back, and the confusion matrix, whose log-scaled colour has a legend in real counts."""

from __future__ import annotations

import numpy as np
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


@pytest.mark.parametrize("largest", [0, 1, 3, 7, 12, 60, 250])
def test_the_class_confusion_matrix_has_a_colour_bar_in_real_counts(largest):
    confusion = np.zeros((10, 10), dtype=int)
    confusion[np.arange(10), np.arange(10)] = largest
    confusion[4, 9] = min(largest, 2)
    (trace,) = class_charts.class_confusion_matrix(confusion, "LeNet-5").data
    assert trace.showscale
    bar = trace.colorbar
    counts = [int(label) for label in bar.ticktext]
    # The colour is log(1 + count): each tick sits where its real count's colour is.
    np.testing.assert_allclose(bar.tickvals, np.log1p(counts))
    assert counts[0] == 0 and counts[-1] == largest and counts == sorted(set(counts))
    assert "log" in bar.title.text and "drawings" in bar.title.text
    # The numbers in the cells are the counts themselves.
    np.testing.assert_array_equal(np.asarray(trace.text), confusion)
