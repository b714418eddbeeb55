"""The pooling page's settings: each widget's key, label, allowed values and default, once.

One concept: the contract of the Pooling page's controls. The page builds its widgets from
:data:`POOLING_SETTINGS`; class mode publishes and accepts exactly these keys and values
(:data:`cnnviz.classroom.teaching.FOLLOWED_SETTINGS`) and asks its questions about them
(:mod:`cnnviz.classroom.questions`), so a following student's widget never receives a value it
would refuse, and a question never names a setting the page does not offer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cnnviz import images, ops

__all__ = [
    "MAX_WINDOW",
    "MODE",
    "PADDING",
    "POOLING_SETTINGS",
    "POOL_SIZE",
    "SAMPLE",
    "STRIDE",
    "Choice",
    "IntRange",
    "defaults",
]

MAX_WINDOW = 8  # pool size and stride go from 1 to 8: bigger windows leave a 28 × 28 digit blank


@dataclass(frozen=True)
class Choice:
    """A setting chosen from a list (a radio or a select box).

    ``option_labels`` is how each option is shown; an option without a label shows as itself.
    """

    key: str
    label: str
    options: tuple[Any, ...]
    default: Any
    option_labels: Mapping[Any, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.default not in self.options:
            raise ValueError(
                f"The default {self.default!r} of '{self.key}' is not one of its options."
            )

    def show(self, option: Any) -> str:
        """How ``option`` reads on the page."""
        return self.option_labels.get(option, str(option))


@dataclass(frozen=True)
class IntRange:
    """A whole number from ``low`` to ``high``, both included (a slider)."""

    key: str
    label: str
    low: int
    high: int
    default: int

    def __post_init__(self) -> None:
        if not self.low <= self.default <= self.high:
            raise ValueError(
                f"The default {self.default} of '{self.key}' is outside {self.low}–{self.high}."
            )

    @property
    def options(self) -> tuple[int, ...]:
        """Every allowed value.

        >>> IntRange("k", "Pool size", 1, 3, 2).options
        (1, 2, 3)
        """
        return tuple(range(self.low, self.high + 1))


# Every sample a page may show, MNIST digits included: the page itself lists only those it can
# load (images.sample_names()), the same list without the digits when no MNIST file is there.
SAMPLE = Choice(
    "sample",
    "Sample image",
    tuple(images.sample_names(include_mnist=True)),
    images.sample_names(include_mnist=False)[0],
)
MODE = Choice(
    "mode", "Pooling", ops.POOL_MODES, "max", {"max": "Max", "min": "Min", "avg": "Average"}
)
POOL_SIZE = IntRange("pool_size", "Pool size (window k × k)", 1, MAX_WINDOW, 2)
STRIDE = IntRange("stride", "Stride s", 1, MAX_WINDOW, 2)
PADDING = Choice("padding", "Padding", ops.POOL_PADDINGS, "valid")

POOLING_SETTINGS: tuple[Choice | IntRange, ...] = (SAMPLE, MODE, POOL_SIZE, STRIDE, PADDING)


def defaults() -> dict[str, Any]:
    """Each setting's default by key: what the page shows before anyone touches it.

    >>> defaults()["pool_size"], defaults()["padding"]
    (2, 'valid')
    """
    return {setting.key: setting.default for setting in POOLING_SETTINGS}
