"""Reading a trained model's test results: how well it did, which images it got wrong.

Pure numpy, no TensorFlow and no drawing: these functions count, average and select; the pages
hand what they pick to ``cnnviz.charts``, and the training code (:mod:`cnnviz.training`) scores
its models with them.
"""

from __future__ import annotations

import numpy as np

from cnnviz.data import MNIST_CLASSES

PROBABILITY_EPSILON = 1e-7  # keras' clipping in cross-entropy


def probability_metrics(probabilities: np.ndarray, y_true: np.ndarray) -> tuple[float, float]:
    """``(loss, accuracy)`` of (N, classes) predicted probabilities: mean cross-entropy, hit rate.

    The loss clips each true-class probability to ``[1e-7, 1]`` before its logarithm, as keras'
    ``sparse_categorical_crossentropy`` does.

    >>> probabilities = np.array([[0.5, 0.5], [0.25, 0.75]])
    >>> loss, accuracy = probability_metrics(probabilities, np.array([0, 1]))
    >>> round(loss, 4), accuracy  # −(ln 0.5 + ln 0.75) / 2; argmax picks 0 (a tie) and 1
    (0.4904, 1.0)
    """
    probabilities = np.asarray(probabilities)
    y_true = np.asarray(y_true)
    if probabilities.ndim != 2 or len(probabilities) != len(y_true):
        raise ValueError(
            f"Expected (N, classes) probabilities and N labels, got {probabilities.shape} "
            f"and {y_true.shape}."
        )
    true_probability = probabilities[np.arange(len(y_true)), y_true]
    loss = float(np.mean(-np.log(np.clip(true_probability, PROBABILITY_EPSILON, 1.0))))
    accuracy = float(np.mean(np.argmax(probabilities, axis=1) == y_true))
    return loss, accuracy


def confusion_counts(
    y_true: np.ndarray, y_pred: np.ndarray, classes: int = MNIST_CLASSES
) -> np.ndarray:
    """How often each true digit was predicted as each digit: (classes, classes) int counts.

    Row = true digit, column = predicted digit; the diagonal holds the hits.

    >>> confusion_counts(np.array([0, 0, 1, 2]), np.array([0, 1, 1, 0]), classes=3)
    array([[1, 1, 0],
           [0, 1, 0],
           [1, 0, 0]])
    """
    y_true = np.asarray(y_true).astype(np.int64)
    y_pred = np.asarray(y_pred).astype(np.int64)
    if y_true.shape != y_pred.shape or y_true.ndim != 1:
        raise ValueError(
            f"Expected two label vectors of one length, got {y_true.shape} and {y_pred.shape}."
        )
    for name, labels in (("y_true", y_true), ("y_pred", y_pred)):
        if labels.size and not (0 <= labels.min() and labels.max() < classes):
            raise ValueError(f"{name} holds labels outside 0..{classes - 1}.")
    flat = np.bincount(y_true * classes + y_pred, minlength=classes**2)
    return flat.reshape(classes, classes)


def misclassified_indices(
    true_labels: np.ndarray,
    probabilities: np.ndarray,
    *,
    true_class: int | None = None,
    predicted_class: int | None = None,
) -> np.ndarray:
    """Indices of the wrongly classified images, those whose wrong answer has the highest
    predicted probability first.

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
    probability = scores[indices, predicted[indices]]
    # Stable sort, so mistakes of equal probability keep the test set's order.
    return indices[np.argsort(-probability, kind="stable")]


def disagreement_indices(
    first_probabilities: np.ndarray, second_probabilities: np.ndarray
) -> np.ndarray:
    """Indices of the images two models answer differently, by the lower of their answers'
    predicted probabilities, highest first.

    The digits on which both models give their own answer a high probability, and disagree,
    come first.

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
