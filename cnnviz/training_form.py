"""The Live training page's form: its model choices, its help texts, and what Start refuses.

The choices of "Model" derive from :data:`cnnviz.models.MODEL_SPECS` (each model trained live,
and all of them one after the other), the number limits from
:data:`cnnviz.models.TRAINING_LIMITS`, the ones :class:`cnnviz.models.TrainingConfig` validates
with.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any

from cnnviz.models import TRAINING_LIMITS, TrainingConfig, live_models

# The classroom settings: every TrainingConfig field but the model (the "Model" choice picks the
# runs), each edited by the widget keyed "train_<field>".
SETTINGS = tuple(
    field.name for field in dataclasses.fields(TrainingConfig) if field.name != "model"
)
# The batch sizes offered: powers of two around keras' default of 32, the seed's.
BATCH_SIZES = (8, 16, 32, 64, 128, 256)

# The "Model" choice that trains every live model, one after the other (the widget's value, kept
# in the session and the tests as it was when there were two).
ALL_RUNS = "both"


def model_runs() -> dict[str, tuple[str, ...]]:
    """The "Model" choices: each live model alone, then all of them, as the models each trains.

    >>> model_runs()
    {'lenet': ('lenet',), 'alexnet': ('alexnet',), 'both': ('lenet', 'alexnet')}
    """
    live = tuple(live_models())
    runs = {key: (key,) for key in live}
    if len(live) > 1:
        runs[ALL_RUNS] = live
    return runs


def run_label(choice: str) -> str:
    """What a "Model" choice reads, e.g. "LeNet-5" or "Both, one after the other".

    >>> run_label("alexnet"), run_label("both")
    ('AlexNet', 'Both, one after the other')
    """
    live = live_models()
    if choice != ALL_RUNS:
        return live[choice]
    return ("Both" if len(live) == 2 else f"All {len(live)}") + ", one after the other"


def recipe_or(choice: str | None) -> str:
    """A choice of the form as it reads, where None leaves it to the model's recipe.

    >>> recipe_or(None), recipe_or("relu")
    ('as the recipe', 'relu')
    """
    return "as the recipe" if choice is None else choice


def _number(value: float) -> str:
    """A number as a student types it: 60,000, 10, 0.00001 (never 1e-05).

    >>> _number(60000), _number(10.0), _number(1e-5), _number(0.0015)
    ('60,000', '10', '0.00001', '0.0015')
    """
    if float(value).is_integer():
        return f"{int(value):,}"
    return format(Decimal(repr(float(value))), "f")


def form_problems(settings: dict[str, Any]) -> list[str]:
    """Why Start cannot use these settings: one sentence per number out of its range.

    The ranges are :data:`cnnviz.models.TRAINING_LIMITS` from each ``form_low``: the widgets take
    any number (a browser refuses an out-of-range one silently, and Start then does nothing), so
    Start says what is wrong. ``settings`` maps ``TrainingConfig`` field names to the form's
    values (``None`` = as the recipe, always fine).

    Examples
    --------
    >>> form_problems({"epochs": 0, "subset": 60_000, "learning_rate": 0.001, "seed": 0})
    ['**Epochs** must be from 1 to 100, not 0.']
    >>> form_problems({"epochs": None, "learning_rate": 0.0})
    ['**Learning rate** must be from 0.00001 to 10, not 0.']
    """
    problems = []
    for name, limit in TRAINING_LIMITS.items():
        value = settings.get(name)
        if value is None or limit.form_low <= value <= limit.high:
            continue
        problems.append(
            f"**{limit.label}** must be from {_number(limit.form_low)} to {_number(limit.high)}, "
            f"not {_number(value)}."
        )
    return problems


HOLDOUT_HELP = """
Off (as the seed): validate on MNIST's 10,000 test images. On: keep a random sixth of the
training images apart (10,000 of 60,000) and validate on them; the test images are then used
only once, for the test accuracy at the end.
"""


# Keras' own default learning rates (keras.optimizers.*().learning_rate), checked in the tests.
KERAS_DEFAULT_LEARNING_RATES = {"adam": 0.001, "sgd": 0.01, "rmsprop": 0.001}


LEARNING_RATE_HELP = f"""
The default, {KERAS_DEFAULT_LEARNING_RATES["adam"]}, is Adam's own (and RMSprop's). Keras'
plain SGD defaults to {KERAS_DEFAULT_LEARNING_RATES["sgd"]}: with SGD, try that, since at
0.001 it learns far more slowly and looks worse than it is.
"""


PRECISION_LABELS = {
    "float32": "float32 (as the seed)",
    "mixed_bfloat16": "Mixed bfloat16",
}


PRECISION_HELP = """
How precisely the network computes. **float32**, the seed's arithmetic, keeps 24 significant
bits (about 7 decimal digits) of every number. **Mixed bfloat16** passes the numbers between
layers, and the copies of the weights they are multiplied with, with 8 significant bits (2–3
decimal digits, since 2⁸ = 256) but float32's range, so nothing overflows. The weights
themselves, Adam's updates and the output probabilities stay float32. Gradient steps are noisy
anyway: over four random seeds AlexNet reached 98.2% in float32 and 98.3% in mixed bfloat16 on
average. On CPUs with bfloat16 instructions it trains about 1.4× faster. The trained model is
handed over and saved in float32.
"""


def precision_help(native: bool | None) -> str:
    """The help text of the arithmetic choice, with what this server's CPU can do."""
    text = PRECISION_HELP
    if native is True:
        return text + "\nThis server's CPU has bfloat16 instructions."
    if native is False:
        return text + "\nThis server's CPU has no bfloat16 instructions: it would be *slower*."
    return text
