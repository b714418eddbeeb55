"""The Live training page's chart builders (cnnviz.charts.training), on hand-worked data."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pytest

from cnnviz.charts import training as training_charts


class Epoch(NamedTuple):
    """Stands in for cnnviz.training.EpochRecord: the builders only read these attributes."""

    epoch: int
    loss: float
    accuracy: float
    val_loss: float | None
    val_accuracy: float | None
    seconds: float = 1.0


def test_batch_curves_plots_loss_above_accuracy_on_the_batch_axis():
    figure = training_charts.batch_curves([1, 2, 3, 4], [2.3, 1.1, 0.7, 0.5], [0.1, 0.6, 0.8, 0.85])
    loss_trace, accuracy_trace = figure.data
    np.testing.assert_array_equal(loss_trace.x, [1, 2, 3, 4])
    np.testing.assert_allclose(loss_trace.y, [2.3, 1.1, 0.7, 0.5])
    np.testing.assert_allclose(accuracy_trace.y, [0.1, 0.6, 0.8, 0.85])
    # Loss in the top row, accuracy in the bottom one, which shows percentages.
    assert loss_trace.yaxis == "y" and accuracy_trace.yaxis == "y2"
    assert figure.layout.yaxis2.tickformat == ".0%"
    assert figure.layout.xaxis2.title.text == "batch"


def test_batch_curves_marks_each_new_epoch():
    steps = list(range(1, 26))  # 25 batches at 10 per epoch: epochs start after 10 and 20
    figure = training_charts.batch_curves(steps, [1.0] * 25, [0.5] * 25, batches_per_epoch=10)
    # One dotted line per boundary in each of the two panels.
    assert sorted(shape.x0 for shape in figure.layout.shapes) == [10, 10, 20, 20]
    assert {shape.line.dash for shape in figure.layout.shapes} == {"dot"}


def test_batch_curves_with_no_points_yet_is_an_empty_chart():
    figure = training_charts.batch_curves([], [], [], batches_per_epoch=10)
    assert [len(trace.x) for trace in figure.data] == [0, 0]
    assert figure.layout.shapes == ()


@pytest.mark.parametrize(
    "arguments",
    [([1, 2], [1.0], [0.5, 0.6]), ([1, 2], [1.0, 0.9], [0.5])],
)
def test_batch_curves_refuses_series_of_different_lengths(arguments):
    with pytest.raises(ValueError, match="one value per point"):
        training_charts.batch_curves(*arguments)


def test_batch_curves_refuses_a_zero_epoch_length():
    with pytest.raises(ValueError, match="batches_per_epoch"):
        training_charts.batch_curves([1], [1.0], [0.5], batches_per_epoch=0)


def test_epoch_curves_sets_train_against_validation():
    records = [Epoch(1, 0.30, 0.91, 0.12, 0.96), Epoch(2, 0.10, 0.97, 0.08, 0.975)]
    figure = training_charts.epoch_curves(records)
    by_name_and_axis = {(trace.name, trace.yaxis): trace for trace in figure.data}
    assert set(by_name_and_axis) == {
        ("train", "y"),
        ("validation", "y"),
        ("train", "y2"),
        ("validation", "y2"),
    }
    np.testing.assert_allclose(by_name_and_axis["train", "y"].y, [0.30, 0.10])
    np.testing.assert_allclose(by_name_and_axis["validation", "y"].y, [0.12, 0.08])
    np.testing.assert_allclose(by_name_and_axis["train", "y2"].y, [0.91, 0.97])
    np.testing.assert_allclose(by_name_and_axis["validation", "y2"].y, [0.96, 0.975])
    np.testing.assert_array_equal(by_name_and_axis["train", "y"].x, [1, 2])
    # One legend entry per curve kind, not per row.
    assert sum(bool(trace.showlegend) for trace in figure.data) == 2


def test_epoch_curves_leaves_a_gap_for_a_missing_validation():
    figure = training_charts.epoch_curves(
        [Epoch(1, 0.3, 0.9, 0.1, 0.96), Epoch(2, 0.2, 0.93, None, None)]
    )
    validation_loss = next(t for t in figure.data if t.name == "validation" and t.yaxis == "y")
    assert validation_loss.y[0] == pytest.approx(0.1)
    assert np.isnan(validation_loss.y[1])


def test_confusion_matrix_rows_are_true_digits_and_cells_show_counts():
    # Hand-worked: 3 zeros (one read as 1) and 2 ones (one read as 0).
    true_labels = np.array([0, 0, 0, 1, 1])
    predicted = np.array([0, 0, 1, 1, 0])
    counts = np.zeros((2, 2), dtype=int)
    np.add.at(counts, (true_labels, predicted), 1)
    figure = training_charts.confusion_matrix(counts)
    (trace,) = figure.data
    np.testing.assert_array_equal(trace.text, [[2, 1], [1, 1]])
    assert list(trace.y) == ["0", "1"] and list(trace.x) == ["0", "1"]
    assert trace.texttemplate == "%{text}"
    assert figure.layout.yaxis.title.text == "true digit"
    assert figure.layout.xaxis.title.text == "predicted digit"
    assert figure.layout.yaxis.autorange == "reversed"  # digit 0 in the top row
    # The colour grows with the count, on a log scale.
    np.testing.assert_allclose(trace.z, np.log1p(counts))


def test_confusion_matrix_takes_a_10_by_10_float_matrix_of_whole_numbers():
    counts = np.diag(np.full(10, 980.0))
    counts[4, 9] = 7.0
    (trace,) = training_charts.confusion_matrix(counts).data
    assert np.asarray(trace.text).shape == (10, 10)
    assert trace.text[4][9] == 7 and trace.text[9][4] == 0


@pytest.mark.parametrize(
    ("matrix", "message"),
    [
        (np.zeros((2, 3)), "square"),
        (np.zeros(4), "square"),
        (np.array([[1, -1], [0, 2]]), "negative"),
        (np.array([[1.5, 0.0], [0.0, 2.0]]), "whole-number"),
    ],
)
def test_confusion_matrix_refuses_what_is_not_a_confusion_matrix(matrix, message):
    with pytest.raises(ValueError, match=message):
        training_charts.confusion_matrix(matrix)


def test_misclassified_gallery_tiles_the_digits_and_captions_them():
    images = np.stack([np.full((28, 28), 50 * (index + 1), dtype=np.uint8) for index in range(3)])
    true_labels = np.array([7, 4, 9])
    probabilities = np.zeros((3, 10))
    probabilities[0, [2, 7]] = [0.91, 0.09]  # a 7 read as 2
    probabilities[1, [9, 4]] = [0.55, 0.45]  # a 4 read as 9
    probabilities[2, [4, 9]] = [0.80, 0.20]  # a 9 read as 4
    figure = training_charts.misclassified_gallery(images, true_labels, probabilities, columns=2)
    (trace,) = figure.data
    mosaic = np.asarray(trace.z, dtype=float)
    cell_height = training_charts.GALLERY_CAPTION_HEIGHT + 28 + training_charts.GALLERY_GAP
    cell_width = 28 + training_charts.GALLERY_GAP
    assert mosaic.shape == (2 * cell_height, 2 * cell_width)  # 3 digits in 2 columns: 2 rows
    for index, (row, column) in enumerate([(0, 0), (0, 1), (1, 0)]):
        top = row * cell_height + training_charts.GALLERY_CAPTION_HEIGHT
        left = column * cell_width
        np.testing.assert_array_equal(mosaic[top : top + 28, left : left + 28], images[index])
    assert np.isnan(mosaic[cell_height:, cell_width:]).all()  # the empty fourth place
    captions = [annotation.text for annotation in figure.layout.annotations]
    assert captions[0] == "<b>7 → 2</b> (91%)<br>p(7) = 9%"
    assert captions[1] == "<b>4 → 9</b> (55%)<br>p(4) = 45%"
    assert captions[2] == "<b>9 → 4</b> (80%)<br>p(9) = 20%"


def test_misclassified_gallery_says_when_there_is_nothing_to_show():
    figure = training_charts.misclassified_gallery(
        np.zeros((0, 28, 28), dtype=np.uint8), np.zeros(0, dtype=int), np.zeros((0, 10))
    )
    assert figure.data == ()
    assert "No misclassified digits" in figure.layout.annotations[0].text


def test_misclassified_gallery_refuses_mismatched_inputs():
    with pytest.raises(ValueError, match="Expected images"):
        training_charts.misclassified_gallery(
            np.zeros((2, 28, 28), dtype=np.uint8), np.zeros(3, dtype=int), np.zeros((2, 10))
        )


def test_the_batch_curves_mark_the_snapshots_moment():
    figure = training_charts.batch_curves(
        [1, 2, 3], [1.0, 0.8, 0.6], [0.5, 0.6, 0.7], marker_step=2
    )
    markers = [shape for shape in figure.layout.shapes if shape.line.color == "#d62728"]
    # One line through each panel, loss and accuracy, at batch 2.
    assert [(shape.x0, shape.x1, shape.xref) for shape in markers] == [(2, 2, "x"), (2, 2, "x2")]


def test_compare_epoch_curves_overlays_both_runs_on_the_same_axes():
    first = [Epoch(1, 0.5, 0.9, 0.3, 0.95), Epoch(2, 0.2, 0.96, 0.1, 0.97)]
    second = [Epoch(1, 0.4, 0.92, 0.25, 0.96)]
    figure = training_charts.compare_epoch_curves({"A run": first, "B run": second})
    names = [trace.name for trace in figure.data]
    assert names == [
        "A run, train", "A run, validation", "A run, train", "A run, validation",
        "B run, train", "B run, validation", "B run, train", "B run, validation",
    ]  # fmt: skip
    # Loss traces share the top axes, accuracy the bottom ones, whichever run they belong to.
    assert {trace.yaxis for trace in figure.data[0::2]} == {"y", "y2"}
    assert [trace.yaxis for trace in figure.data] == ["y", "y", "y2", "y2"] * 2
    np.testing.assert_allclose(figure.data[1].y, [0.3, 0.1])  # A's validation loss
    np.testing.assert_allclose(figure.data[7].y, [0.96])  # B's validation accuracy
    assert figure.data[0].line.dash == "dash" and figure.data[1].line.dash == "solid"
    assert figure.data[0].line.color != figure.data[4].line.color
    with pytest.raises(ValueError, match="Compare one to 2 runs"):
        training_charts.compare_epoch_curves({})


def test_the_disagreement_gallery_captions_the_truth_and_both_answers():
    images = np.zeros((2, 28, 28), dtype=np.uint8)
    first = np.eye(10)[[7, 3]] * 0.98 + 0.002
    second = np.eye(10)[[1, 3]] * 0.6 + 0.04
    second[1] = np.eye(10)[5] * 0.6 + 0.04
    figure = training_charts.disagreement_gallery(images, np.array([7, 3]), first, second)
    texts = [annotation.text for annotation in figure.layout.annotations]
    assert texts == ["<b>7</b>: A 7 (98%)<br>B 1 (64%)", "<b>3</b>: A 3 (98%)<br>B 5 (64%)"]
    empty = training_charts.disagreement_gallery(
        np.zeros((0, 28, 28)), np.zeros(0), np.zeros((0, 10)), np.zeros((0, 10))
    )
    assert empty.layout.annotations[0].text == "They agree on every digit."


@pytest.mark.parametrize(
    "build",
    [
        lambda: training_charts.batch_curves([1, 2], [2.3, 1.0], [0.1, 0.5], title="Per batch"),
        lambda: training_charts.epoch_curves([Epoch(1, 0.5, 0.8, 0.4, 0.9)], title="Per epoch"),
        lambda: training_charts.compare_epoch_curves(
            {"A": [Epoch(1, 0.5, 0.8, 0.4, 0.9)], "B": [Epoch(1, 0.6, 0.7, 0.5, 0.8)]},
            title="Both",
        ),
    ],
)
def test_learning_curves_are_readable_on_a_projector_and_accuracy_spans_0_to_100(build):
    figure = build()
    assert figure.layout.font.size == training_charts.CURVE_FONT_SIZE > 12  # plotly's default
    assert figure.layout.title.font.size == training_charts.CURVE_TITLE_SIZE
    panel_titles = {
        annotation.text: annotation.font.size for annotation in figure.layout.annotations
    }
    assert panel_titles == {"Loss": 17, "Accuracy": 17}
    # The accuracy panel (bottom) is fixed to 0–100%, whatever the values; loss scales itself.
    assert tuple(figure.layout.yaxis2.range) == (0.0, 1.0)
    assert figure.layout.yaxis.range is None
