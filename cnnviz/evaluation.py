"""Reading a trained model's test results: which images it got wrong.

Pure numpy, no TensorFlow and no drawing: the pages pick what to show with these functions and
hand the selection to ``cnnviz.charts``.
"""

from __future__ import annotations

import numpy as np


def misclassified_indices(
    true_labels: np.ndarray,
    probabilities: np.ndarray,
    *,
    true_class: int | None = None,
    predicted_class: int | None = None,
) -> np.ndarray:
    """Indices of the wrongly classified images, most confident mistakes first.

    Parameters
    ----------
    true_labels : ndarray, shape (N,)
        The correct digit of each image.
    probabilities : ndarray, shape (N, n_classes)
        The model's class probabilities; its prediction is the arg-max.
    true_class, predicted_class : int, optional
        Keep only mistakes on this true digit and/or predicted as this digit.

    Examples
    --------
    >>> probabilities = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.3, 0.7]])
    >>> misclassified_indices(np.array([0, 0, 1, 1]), probabilities).tolist()  # 80% before 60%
    [1, 2]
    """
    labels = np.asarray(true_labels)
    scores = np.asarray(probabilities)
    if scores.ndim != 2 or labels.shape != scores.shape[:1]:
        raise ValueError(
            f"Expected labels (N,) and probabilities (N, classes), got {labels.shape} and "
            f"{scores.shape}."
        )
    predicted = scores.argmax(axis=1)
    keep = predicted != labels
    if true_class is not None:
        keep &= labels == true_class
    if predicted_class is not None:
        keep &= predicted == predicted_class
    indices = np.flatnonzero(keep)
    confidence = scores[indices, predicted[indices]]
    # Stable sort, so equally confident mistakes keep the test set's order.
    return indices[np.argsort(-confidence, kind="stable")]


def disagreement_indices(
    first_probabilities: np.ndarray, second_probabilities: np.ndarray
) -> np.ndarray:
    """Indices of the images two models answer differently, the surest disagreements first.

    Sorted by the lower of the two models' confidence in their own answers, so the digits on
    which both models are sure, and disagree, come first.

    Parameters
    ----------
    first_probabilities, second_probabilities : ndarray, shape (N, n_classes)
        Each model's class probabilities for the same N images, in the same order.

    Examples
    --------
    >>> first = np.array([[0.9, 0.1], [0.6, 0.4], [0.2, 0.8], [0.3, 0.7]])
    >>> second = np.array([[0.8, 0.2], [0.1, 0.9], [0.7, 0.3], [0.4, 0.6]])
    >>> disagreement_indices(first, second).tolist()  # image 2: min(80%, 70%) > min(60%, 90%)
    [2, 1]
    """
    first = np.asarray(first_probabilities)
    second = np.asarray(second_probabilities)
    if first.ndim != 2 or first.shape != second.shape:
        raise ValueError(
            "Expected both models' probabilities for the same images, (N, classes) each; got "
            f"{first.shape} and {second.shape}."
        )
    first_answer, second_answer = first.argmax(axis=1), second.argmax(axis=1)
    indices = np.flatnonzero(first_answer != second_answer)
    surest = np.minimum(
        first[indices, first_answer[indices]], second[indices, second_answer[indices]]
    )
    # Stable sort, so equally sure disagreements keep the test set's order.
    return indices[np.argsort(-surest, kind="stable")]
