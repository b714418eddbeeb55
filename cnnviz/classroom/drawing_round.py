"""What a student reads after sending a drawing to the class's round (no Streamlit here).

>>> readings_sentence(7, {"lenet": 7, "alexnet": 1}, {"lenet": "LeNet-5", "alexnet": "AlexNet"})
'Sent as a 7. LeNet-5 read 7, AlexNet read 1.'
"""

from __future__ import annotations

from collections.abc import Mapping


def readings_sentence(
    label: int, predictions: Mapping[str, int], model_labels: Mapping[str, str]
) -> str:
    """The digit sent and what each network read, in ``model_labels``' order (models without a
    reading are left out; a reading of a model without a label is named by its key).

    >>> readings_sentence(3, {}, {"lenet": "LeNet-5"})
    'Sent as a 3. No network could read it.'
    """
    order = [name for name in model_labels if name in predictions]
    order += sorted(name for name in predictions if name not in model_labels)
    if not order:
        return f"Sent as a {label}. No network could read it."
    readings = ", ".join(
        f"{model_labels.get(name, name)} read {predictions[name]}" for name in order
    )
    return f"Sent as a {label}. {readings}."
