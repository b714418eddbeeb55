"""Checks on everything a browser sends to the class store, with messages a student can read.

The store never trusts what a page sent: each argument passes one of these checks before any
transaction starts, and a bad one raises :class:`cnnviz.classroom.errors.InvalidInputError` (a
``ValueError``) saying what was wrong.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from typing import Any

import numpy as np

from cnnviz.classroom.errors import InvalidInputError, UnknownClassError
from cnnviz.classroom.schema import IMAGE_SHAPE

__all__ = [
    "JOIN_CODE_ALPHABET",
    "JOIN_CODE_LENGTH",
    "RETENTION_DAYS_ENV",
    "check_digit_label",
    "check_image",
    "check_predictions",
    "check_setting_value",
    "check_settings",
    "check_text",
    "normalise_code",
    "retention_days_from_env",
]

RETENTION_DAYS_ENV = "CNNVIZ_CLASS_RETENTION_DAYS"
# Join codes are read off a projector and typed on phones: no 0/O, 1/I/L, 5/S or 2/Z pairs.
JOIN_CODE_ALPHABET = "ABCDEFGHJKMNPQRTUVWXY346789"
JOIN_CODE_LENGTH = 6  # 27**6 ≈ 3.9e8 codes: a guessed code hits a live class almost never
DIGIT_LABELS = range(10)
# Published settings are a handful of widget values; anything bigger is not from our pages.
MAX_SETTINGS = 40
MAX_SETTING_TEXT = 200
MAX_CHOICES = 10
MAX_CHOICE_LENGTH = 80
MAX_EXPLANATION_LENGTH = 600  # a generated question's worked answer fits in a few lines
MAX_MODEL_NAME = 40
PAGE_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
SETTING_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


def normalise_code(code: object) -> str:
    """The join code as stored: upper case, without spaces or dashes.

    >>> normalise_code(" ab-3k 7x ")
    'AB3K7X'
    """
    if not isinstance(code, str):
        raise UnknownClassError("A class code is text, such as 'K7RW3M'.")
    cleaned = re.sub(r"[\s\-]", "", code).upper()
    if len(cleaned) != JOIN_CODE_LENGTH or any(c not in JOIN_CODE_ALPHABET for c in cleaned):
        raise UnknownClassError(
            f"'{code.strip()[:20]}' is not a class code: a code has {JOIN_CODE_LENGTH} letters "
            "and digits, as shown on the teacher's screen."
        )
    return cleaned


def check_digit_label(value: object, what: str = "label") -> int:
    # bool is an int subclass, but True is no digit a student drew.
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise InvalidInputError(f"The {what} must be a whole number from 0 to 9, got {value!r}.")
    if int(value) not in DIGIT_LABELS:
        raise InvalidInputError(f"The {what} must be a digit from 0 to 9, got {int(value)}.")
    return int(value)


def check_image(image28: object) -> np.ndarray:
    if not isinstance(image28, np.ndarray):
        raise InvalidInputError(
            f"The drawing must be a numpy array (as canvas_to_mnist returns), got "
            f"{type(image28).__name__}."
        )
    if image28.shape != IMAGE_SHAPE:
        raise InvalidInputError(
            f"The drawing must be 28×28 (as canvas_to_mnist returns), got shape {image28.shape}."
        )
    if not np.issubdtype(image28.dtype, np.floating):
        raise InvalidInputError(
            f"The drawing must hold floats in [0, 1] (float32), got dtype {image28.dtype}."
        )
    image = image28.astype(np.float32)
    if not np.isfinite(image).all():
        raise InvalidInputError("The drawing holds NaN or infinite values.")
    if image.min() < 0.0 or image.max() > 1.0:
        raise InvalidInputError(
            f"The drawing's values must lie in [0, 1], got {image.min():.3g} to {image.max():.3g}."
        )
    return image


def check_text(value: object, what: str, max_length: int, *, allow_empty: bool = False) -> str:
    if not isinstance(value, str):
        raise InvalidInputError(f"The {what} must be text, got {type(value).__name__}.")
    text = value.strip()
    if not text and not allow_empty:
        raise InvalidInputError(f"The {what} is empty.")
    if len(text) > max_length:
        raise InvalidInputError(
            f"The {what} is too long: {len(text)} characters, at most {max_length}."
        )
    if any(ord(c) < 32 and c not in "\n\t" for c in text):
        raise InvalidInputError(f"The {what} holds control characters.")
    return text


def check_setting_value(key: str, value: object) -> object:
    if value is None or isinstance(value, bool | int | str):
        if isinstance(value, str) and len(value) > MAX_SETTING_TEXT:
            raise InvalidInputError(f"The setting '{key}' is too long.")
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidInputError(f"The setting '{key}' is not a finite number.")
        return value
    if isinstance(value, np.integer | np.floating | np.bool_):
        return check_setting_value(key, value.item())
    raise InvalidInputError(
        f"The setting '{key}' must be a number, text or yes/no, got {type(value).__name__}."
    )


def check_settings(settings: object) -> dict[str, Any]:
    if not isinstance(settings, Mapping):
        raise InvalidInputError("The settings must be a mapping of names to values.")
    if len(settings) > MAX_SETTINGS:
        raise InvalidInputError(f"Too many settings: {len(settings)}, at most {MAX_SETTINGS}.")
    checked = {}
    for key, value in settings.items():
        if not isinstance(key, str) or not SETTING_KEY.match(key):
            raise InvalidInputError(f"{key!r} is not a setting name (lower-case letters, _).")
        checked[key] = check_setting_value(key, value)
    return checked


def check_predictions(predictions: object) -> dict[str, int]:
    if predictions is None:
        return {}
    if not isinstance(predictions, Mapping) or len(predictions) > MAX_SETTINGS:
        raise InvalidInputError("The predictions must map a model's name to a digit.")
    checked = {}
    for name, digit in predictions.items():
        if not isinstance(name, str) or not SETTING_KEY.match(name) or len(name) > MAX_MODEL_NAME:
            raise InvalidInputError(f"{name!r} is not a model name.")
        checked[name] = check_digit_label(digit, f"prediction of {name}")
    return checked


def retention_days_from_env(default: float) -> float:
    text = os.environ.get(RETENTION_DAYS_ENV, "").strip()
    if not text:
        return default
    try:
        days = float(text)
    except ValueError as error:
        raise ValueError(f"{RETENTION_DAYS_ENV}={text!r} is not a number of days.") from error
    if not math.isfinite(days) or days <= 0:
        raise ValueError(f"{RETENTION_DAYS_ENV} must be a positive number of days, got {text!r}.")
    return days
