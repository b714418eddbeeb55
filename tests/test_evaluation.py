"""Reading a model's test results (cnnviz.evaluation): selecting and counting, on hand-worked
probabilities."""

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


def test_disagreement_indices_lists_only_different_answers_surest_first():
    first = np.array(
        [
            [0.9, 0.1, 0.0],  # both say 0: agree
            [0.2, 0.8, 0.0],  # 1 vs 0: min(80%, 55%) = 55%
            [0.1, 0.1, 0.8],  # 2 vs 1: min(80%, 90%) = 80%
            [0.4, 0.3, 0.3],  # 0 vs 2: min(40%, 60%) = 40%
        ]
    )
    second = np.array([[0.6, 0.4, 0.0], [0.55, 0.45, 0.0], [0.05, 0.9, 0.05], [0.2, 0.2, 0.6]])
    assert evaluation.disagreement_indices(first, second).tolist() == [2, 1, 3]
    assert evaluation.disagreement_indices(first, first).tolist() == []


def test_disagreement_indices_needs_the_same_images_for_both_models():
    with pytest.raises(ValueError, match="same images"):
        evaluation.disagreement_indices(np.ones((3, 10)), np.ones((4, 10)))


def test_confusion_counts_on_a_hand_worked_example():
    confusion = evaluation.confusion_counts(np.array([0, 0, 1, 9]), np.array([0, 1, 1, 0]))
    expected = np.zeros((10, 10), dtype=int)
    expected[0, 0] = expected[0, 1] = expected[1, 1] = expected[9, 0] = 1
    np.testing.assert_array_equal(confusion, expected)


def test_confusion_counts_refuses_labels_it_cannot_place():
    with pytest.raises(ValueError, match=r"outside 0\.\.9"):
        evaluation.confusion_counts(np.array([0, 10]), np.array([0, 1]))
    with pytest.raises(ValueError, match="one length"):
        evaluation.confusion_counts(np.array([0, 1]), np.array([0]))


def test_probability_metrics_match_a_hand_computation():
    probabilities = np.array([[0.9, 0.1], [0.6, 0.4], [0.0, 1.0]])
    loss, accuracy = evaluation.probability_metrics(probabilities, np.array([0, 1, 0]))
    # −(ln 0.9 + ln 0.4 + ln 1e-7) / 3: the zero is clipped to 1e-7 as keras does.
    assert loss == pytest.approx(-(np.log(0.9) + np.log(0.4) + np.log(1e-7)) / 3)
    assert accuracy == pytest.approx(1 / 3)
