"""Selecting from a model's test results (cnnviz.evaluation), on hand-worked probabilities."""

import numpy as np
import pytest

from cnnviz import evaluation


def test_misclassified_indices_orders_mistakes_by_confidence():
    true_labels = np.array([0, 0, 1, 1, 2])
    probabilities = np.array(
        [
            [0.9, 0.1, 0.0],  # right
            [0.2, 0.8, 0.0],  # 0 read as 1 with 80%
            [0.6, 0.4, 0.0],  # 1 read as 0 with 60%
            [0.1, 0.2, 0.7],  # 1 read as 2 with 70%
            [0.0, 0.1, 0.9],  # right
        ]
    )
    assert evaluation.misclassified_indices(true_labels, probabilities).tolist() == [1, 3, 2]
    assert evaluation.misclassified_indices(true_labels, probabilities, true_class=1).tolist() == [
        3,
        2,
    ]
    assert evaluation.misclassified_indices(
        true_labels, probabilities, predicted_class=0
    ).tolist() == [2]
    assert (
        evaluation.misclassified_indices(
            true_labels, probabilities, true_class=0, predicted_class=2
        ).tolist()
        == []
    )


def test_misclassified_indices_agrees_with_a_plain_loop():
    rng = np.random.default_rng(0)
    probabilities = rng.dirichlet(np.ones(10), size=500)
    true_labels = rng.integers(0, 10, size=500)
    expected = [
        index
        for index in range(500)
        if probabilities[index].argmax() != true_labels[index]
        and true_labels[index] == 3
        and probabilities[index].argmax() == 5
    ]
    found = evaluation.misclassified_indices(
        true_labels, probabilities, true_class=3, predicted_class=5
    )
    assert sorted(found.tolist()) == expected
    confidences = probabilities[found, 5]
    assert np.all(np.diff(confidences) <= 0)


def test_misclassified_indices_refuses_mismatched_shapes():
    with pytest.raises(ValueError, match="Expected labels"):
        evaluation.misclassified_indices(np.zeros(3, dtype=int), np.ones((4, 10)) / 10)
