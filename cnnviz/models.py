"""The networks cnnviz trains and explains, built exactly as the seed notebook's recipes.

Three Keras models, each a short lesson with one comment per layer:

* :func:`lenet5` — the seed's LeNet-5 (C1 with ``padding="same"`` on a 32 × 32 input),
  82,826 parameters;
* :func:`lenet5_original` — LeCun et al. (1998) in its usual modern form: valid convolutions
  32 → 28 → 14 → 10 → 5 and C5 as a 5 × 5 convolution to 120 maps, 61,706 parameters;
* :func:`alexnet_mnist` — the seed's AlexNet adapted to MNIST (28 × 28 input resized to 64 × 64
  inside the model), 2,126,186 parameters.

:data:`MODEL_SPECS` declares each of them once (label, builder, recipe, shipped file, lesson):
everything that lists models derives from it. :class:`TrainingConfig` holds the classroom options
(activation, pooling, optimizer, ...) with the seed's values as defaults, within
:data:`TRAINING_LIMITS`, and :func:`build_model` turns one into a compiled model. TensorFlow and
Keras are imported inside the functions: importing this module is cheap.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

from cnnviz.data import MNIST_CLASSES, MNIST_TRAIN_SIZE

if TYPE_CHECKING:  # only for type hints: importing keras costs seconds
    import keras


class Recipe(NamedTuple):
    """What the seed notebook fixes for one model; the defaults of :class:`TrainingConfig`."""

    activation: str  # hidden-layer activation
    pooling: str  # "average" or "max"
    epochs: int  # epochs the seed trains for
    input_size: tuple[int, int]  # (height, width) of the images the model takes


ACTIVATIONS = ("tanh", "relu")
POOLINGS = ("average", "max")
OPTIMIZERS = ("adam", "sgd", "rmsprop")
# How convolutions and matrix products are computed. "float32" is the seed's arithmetic.
# "mixed_bfloat16" computes them with bfloat16 inputs (8 significant bits instead of 24) and
# keeps the weights, the optimizer and the output probabilities in float32: keras' mixed
# precision. Much faster on CPUs that multiply bfloat16 natively, slower on the others.
PRECISIONS = ("float32", "mixed_bfloat16")
# With ``holdout``: the share of the training images kept apart for validation (10,000 of
# 60,000, as many as the test set).
HOLDOUT_SHARE = 1 / 6


class Limit(NamedTuple):
    """The range of one number of :class:`TrainingConfig`, for the engine and for the form."""

    label: str  # the training form's widget for it, as Start's messages name it
    low: float  # the smallest value TrainingConfig accepts
    high: float  # the largest value TrainingConfig and the form accept
    form_low: float  # the smallest the form's Start accepts: a class needs more to see anything


# The limits of the classroom's numbers. The highs are generous, and only keep a slider from
# freezing the server; the form's lows are what a class period needs to show something.
TRAINING_LIMITS: dict[str, Limit] = {
    "batch_size": Limit("Batch size", 1, 4096, 1),
    "epochs": Limit("Epochs", 1, 100, 1),
    # Two batches of 32 at least in the form: fewer makes no curve worth watching.
    "subset": Limit("Training images", 1, MNIST_TRAIN_SIZE, 64),
    # A rate must be above 0 (an open bound); below 0.00001 nothing visibly changes in a class.
    "learning_rate": Limit("Learning rate", 0, 10.0, 1e-5),
    # The largest signed 32-bit integer: a seed any generator here accepts.
    "seed": Limit("Random seed", 0, 2**31 - 1, 0),
}


@dataclass(frozen=True)
class TrainingConfig:
    """Everything that decides one training run; ``None`` fields mean "as the seed recipe".

    Frozen, so a running job's configuration cannot change under it, and hashable, so it can
    key caches. Bad values raise :class:`ValueError` with a message a student understands.
    """

    model: str = "lenet"  # a key of MODEL_SPECS: "lenet" | "alexnet" | "lenet_original"
    activation: str | None = None  # None: the recipe's (tanh for LeNet, relu for AlexNet)
    pooling: str | None = None  # "average" | "max"; None: the recipe's
    optimizer: str = "adam"  # the seed compiles with optimizer="adam"
    learning_rate: float = 1e-3  # Adam's default, what the seed gets
    batch_size: int = 32  # keras' default batch size, what the seed gets
    epochs: int | None = None  # None: the recipe's (5 for LeNet, 3 for AlexNet)
    subset: int | None = None  # train on the first N shuffled images; None: all 60,000
    augment: bool = False  # small random shifts, rotations and zooms of the training images
    seed: int = 0  # makes weights, subset and shuffling repeatable
    precision: str = "float32"  # see PRECISIONS; float32 is what the seed computes
    # The seed validates on the test set; True keeps HOLDOUT_SHARE of the training images apart
    # for validation instead, so choosing settings by it leaves the test set untouched.
    holdout: bool = False

    def __post_init__(self) -> None:
        model_spec(self.model)  # an unknown model raises, naming the known ones
        _check_choices(self.resolved_activation, self.resolved_pooling)  # None → the recipe's
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"Unknown optimizer '{self.optimizer}'; choose one of {OPTIMIZERS}.")
        rate = TRAINING_LIMITS["learning_rate"]
        if (
            isinstance(self.learning_rate, bool)
            or not isinstance(self.learning_rate, int | float)
            or not math.isfinite(self.learning_rate)
            or not rate.low < self.learning_rate <= rate.high
        ):
            raise ValueError(
                f"The learning rate must be a number in ({rate.low:g}, {rate.high:g}], "
                f"got {self.learning_rate!r}."
            )
        _check_int("batch_size", self.batch_size)
        if self.epochs is not None:
            _check_int("epochs", self.epochs)
        if self.subset is not None:
            _check_int("subset", self.subset)
        if not isinstance(self.augment, bool):
            raise ValueError(f"augment must be True or False, got {self.augment!r}.")
        _check_int("seed", self.seed)
        if self.precision not in PRECISIONS:
            raise ValueError(f"Unknown precision '{self.precision}'; choose one of {PRECISIONS}.")
        if not isinstance(self.holdout, bool):
            raise ValueError(f"holdout must be True or False, got {self.holdout!r}.")
        if self.holdout and self.subset is not None and self.subset < 2:
            raise ValueError("Holding out validation images needs at least 2 training images.")

    @property
    def recipe(self) -> Recipe:
        """The seed recipe of this config's model."""
        return MODEL_SPECS[self.model].recipe

    @property
    def resolved_activation(self) -> str:
        """The activation actually used (the recipe's when ``activation`` is None)."""
        return self.activation if self.activation is not None else self.recipe.activation

    @property
    def resolved_pooling(self) -> str:
        """The pooling actually used (the recipe's when ``pooling`` is None)."""
        return self.pooling if self.pooling is not None else self.recipe.pooling

    @property
    def resolved_epochs(self) -> int:
        """The number of epochs actually trained (the recipe's when ``epochs`` is None)."""
        return self.epochs if self.epochs is not None else self.recipe.epochs

    @property
    def label(self) -> str:
        """What a model trained by this configuration is called (:func:`settings_label`), e.g.
        "LeNet-5 (seed)", or "LeNet-5 (8 epochs, augmented)" off the recipe."""
        return settings_label(self)

    def as_dict(self) -> dict[str, Any]:
        """The fields as a JSON-friendly dict (what the history files record)."""
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


def settings_label(config: TrainingConfig) -> str:
    """What a model trained by ``config`` is called: its recipe's label ("LeNet-5 (seed)") when
    it was built and trained exactly by the recipe, else its name and every setting that differs.

    >>> settings_label(TrainingConfig(model="lenet", activation="relu", pooling="max"))
    'LeNet-5 (relu, max pooling)'
    >>> settings_label(TrainingConfig(model="lenet", epochs=8, augment=True))
    'LeNet-5 (8 epochs, augmented)'
    >>> settings_label(TrainingConfig(model="alexnet"))
    'AlexNet (MNIST)'
    """
    changes = recipe_changes(config)
    spec = MODEL_SPECS[config.model]
    return f"{spec.name} ({', '.join(changes)})" if changes else spec.label


def recipe_changes(config: TrainingConfig, *, training_only: bool = False) -> list[str]:
    """Every setting of ``config`` that differs from its model's recipe, in words; with
    ``training_only``, only how it was trained (not the activation or pooling it was built with).

    >>> recipe_changes(TrainingConfig(model="lenet", pooling="max", subset=2048))
    ['max pooling', '2,048 images']
    >>> recipe_changes(TrainingConfig(model="lenet", pooling="max"), training_only=True)
    []
    """
    recipe = TrainingConfig(model=config.model)
    changes = []
    if not training_only:
        if config.resolved_activation != recipe.resolved_activation:
            changes.append(config.resolved_activation)
        if config.resolved_pooling != recipe.resolved_pooling:
            changes.append(f"{config.resolved_pooling} pooling")
    for name, text in (
        ("optimizer", "{}"),
        ("learning_rate", "learning rate {:g}"),
        ("batch_size", "batch {}"),
        ("precision", "{}"),
        ("seed", "seed {}"),
    ):
        value = getattr(config, name)
        if value != getattr(recipe, name):
            changes.append(text.format(value))
    if config.resolved_epochs != recipe.resolved_epochs:
        epochs = config.resolved_epochs
        changes.append(f"{epochs} epoch{'s' if epochs != 1 else ''}")
    if config.subset is not None and config.subset < MNIST_TRAIN_SIZE:
        changes.append(f"{config.subset:,} images")
    if config.augment:
        changes.append("augmented")
    if config.holdout:
        changes.append("held-out validation")
    return changes


def config_from_dict(values: dict[str, Any]) -> TrainingConfig:
    """The :class:`TrainingConfig` a history file records (``TrainingConfig.as_dict``); fields
    an older file lacks take their defaults.

    >>> config_from_dict({"model": "lenet", "epochs": 8, "augment": True}).resolved_epochs
    8
    """
    known = TrainingConfig.__dataclass_fields__
    return TrainingConfig(**{name: value for name, value in values.items() if name in known})


def held_out_count(images: int) -> int:
    """How many of ``images`` training images ``holdout`` keeps apart: ``HOLDOUT_SHARE`` of them,
    at least one, and at least one left to train on.

    >>> held_out_count(60_000), held_out_count(512), held_out_count(2)
    (10000, 85, 1)
    """
    return min(max(1, round(images * HOLDOUT_SHARE)), images - 1)


def _check_int(name: str, value: object) -> None:
    low, high = int(TRAINING_LIMITS[name].low), int(TRAINING_LIMITS[name].high)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{name} must be a whole number from {low} to {high}, got {value!r}.")


def _check_choices(activation: str, pooling: str) -> None:
    if activation not in ACTIVATIONS:
        raise ValueError(f"Unknown activation '{activation}'; choose one of {ACTIVATIONS}.")
    if pooling not in POOLINGS:
        raise ValueError(f"Unknown pooling '{pooling}'; choose one of {POOLINGS}.")


def _pooling_layer(pooling: str, pool_size: int, strides: int, padding: str, name: str):
    """A max- or average-pooling layer with the given window (the only thing ``pooling`` swaps)."""
    from keras import layers

    layer_class = layers.MaxPooling2D if pooling == "max" else layers.AveragePooling2D
    return layer_class(pool_size=pool_size, strides=strides, padding=padding, name=name)


def _output_layer():
    """One probability per digit: a softmax over 10 units, computed in float32 under every
    precision (the loss takes its logarithm; bfloat16 would round it to 2–3 significant digits)."""
    from keras import layers

    return layers.Dense(MNIST_CLASSES, activation="softmax", dtype="float32", name="output")


def lenet5(activation: str = "tanh", pooling: str = "average") -> keras.Model:
    """The seed's LeNet-5: 32 × 32 × 1 in, 10 class probabilities out, 82,826 parameters.

    Output shapes: 32×32×6, 16×16×6, 12×12×16, 6×6×16, 576, 120, 84, 10. C1 pads with "same",
    unlike LeCun's original (see :func:`lenet5_original`), so S4 leaves 6 × 6 maps, not 5 × 5.
    """
    _check_choices(activation, pooling)
    import keras
    from keras import layers

    return keras.Sequential(
        [
            # MNIST resized to 32 × 32, one grey channel: (batch, 32, 32, 1).
            keras.Input(shape=(32, 32, 1), name="image"),
            # C1: six 5×5 filters; "same" padding keeps 32×32 → (batch, 32, 32, 6).
            layers.Conv2D(6, kernel_size=5, activation=activation, padding="same", name="C1"),
            # S2: 2×2 subsampling halves each side → (batch, 16, 16, 6).
            _pooling_layer(pooling, pool_size=2, strides=2, padding="valid", name="S2"),
            # C3: sixteen 5×5 filters, no padding: 16 − 5 + 1 = 12 → (batch, 12, 12, 16).
            layers.Conv2D(16, kernel_size=5, activation=activation, padding="valid", name="C3"),
            # S4: 2×2 subsampling → (batch, 6, 6, 16).
            _pooling_layer(pooling, pool_size=2, strides=2, padding="valid", name="S4"),
            # Unroll the maps into one vector for the classifier: 6·6·16 = 576 values.
            layers.Flatten(name="flatten"),
            # C5 of the paper, here a fully connected layer of 120 units.
            layers.Dense(120, activation=activation, name="C5"),
            # F6: 84 units.
            layers.Dense(84, activation=activation, name="F6"),
            # Output: one probability per digit (softmax replaces the paper's RBF units).
            _output_layer(),
        ],
        name="lenet5",
    )


def lenet5_original(activation: str = "tanh", pooling: str = "average") -> keras.Model:
    """LeNet-5 as LeCun et al. (1998) laid it out, in its common modern form: 61,706 parameters.

    Every convolution is "valid": 32 → 28 → 14 → 10 → 5, then C5 is a 5 × 5 convolution that
    leaves 1 × 1 × 120. (The paper's trainable subsampling coefficients, C3's sparse connection
    table and RBF output units are replaced by plain pooling, full connections and softmax.)
    """
    _check_choices(activation, pooling)
    import keras
    from keras import layers

    return keras.Sequential(
        [
            # MNIST resized to 32 × 32: (batch, 32, 32, 1).
            keras.Input(shape=(32, 32, 1), name="image"),
            # C1: six 5×5 filters, no padding: 32 − 5 + 1 = 28 → (batch, 28, 28, 6).
            layers.Conv2D(6, kernel_size=5, activation=activation, padding="valid", name="C1"),
            # S2: 2×2 subsampling → (batch, 14, 14, 6).
            _pooling_layer(pooling, pool_size=2, strides=2, padding="valid", name="S2"),
            # C3: sixteen 5×5 filters: 14 − 5 + 1 = 10 → (batch, 10, 10, 16).
            layers.Conv2D(16, kernel_size=5, activation=activation, padding="valid", name="C3"),
            # S4: 2×2 subsampling → (batch, 5, 5, 16).
            _pooling_layer(pooling, pool_size=2, strides=2, padding="valid", name="S4"),
            # C5: 120 filters of 5×5 cover the whole 5×5 map → (batch, 1, 1, 120).
            layers.Conv2D(120, kernel_size=5, activation=activation, padding="valid", name="C5"),
            # Unroll (1, 1, 120) into 120 values.
            layers.Flatten(name="flatten"),
            # F6: 84 units.
            layers.Dense(84, activation=activation, name="F6"),
            # Output: one probability per digit.
            _output_layer(),
        ],
        name="lenet5_original",
    )


def alexnet_mnist(activation: str = "relu", pooling: str = "max") -> keras.Model:
    """The seed's AlexNet adapted to MNIST: 28 × 28 × 1 in, 2,126,186 parameters.

    Output shapes: 64×64×1, 14×14×48, 6×6×48, 6×6×128, 2×2×128, 2×2×192, 2×2×192, 2×2×128,
    1×1×128, 128, 1024, 1024, 10 (dropout layers keep their input's shape).
    """
    _check_choices(activation, pooling)
    import keras
    from keras import layers

    return keras.Sequential(
        [
            # Raw MNIST, one grey channel: (batch, 28, 28, 1).
            keras.Input(shape=(28, 28, 1), name="image"),
            # Upscale inside the model so the big first kernel has room: (batch, 64, 64, 1).
            layers.Resizing(64, 64, name="resize"),
            # Conv 1: 48 filters of 11×11 with stride 4: ⌊(64 − 11)/4⌋ + 1 = 14 → (14, 14, 48).
            layers.Conv2D(
                48, kernel_size=11, strides=4, padding="valid", activation=activation, name="conv1"
            ),
            # Overlapping pooling (3×3 window, stride 2): ⌊(14 − 3)/2⌋ + 1 = 6 → (6, 6, 48).
            _pooling_layer(pooling, pool_size=3, strides=2, padding="valid", name="pool1"),
            # Conv 2: 128 filters of 5×5, "same" keeps 6×6 → (6, 6, 128).
            layers.Conv2D(128, kernel_size=5, padding="same", activation=activation, name="conv2"),
            # Overlapping pooling: ⌊(6 − 3)/2⌋ + 1 = 2 → (2, 2, 128).
            _pooling_layer(pooling, pool_size=3, strides=2, padding="valid", name="pool2"),
            # Conv 3–5: three 3×3 convolutions that keep 2×2 → 192, 192, then 128 maps.
            layers.Conv2D(192, kernel_size=3, padding="same", activation=activation, name="conv3"),
            layers.Conv2D(192, kernel_size=3, padding="same", activation=activation, name="conv4"),
            layers.Conv2D(128, kernel_size=3, padding="same", activation=activation, name="conv5"),
            # Last pooling with "same" padding: ⌈2/2⌉ = 1 → (1, 1, 128).
            _pooling_layer(pooling, pool_size=3, strides=2, padding="same", name="pool3"),
            # Unroll into 128 values for the classifier.
            layers.Flatten(name="flatten"),
            # Two wide fully connected layers, each followed by dropout (AlexNet's regulariser):
            # during training half the units are switched off at random.
            layers.Dense(1024, activation=activation, name="fc1"),
            layers.Dropout(0.5, name="dropout1"),
            layers.Dense(1024, activation=activation, name="fc2"),
            layers.Dropout(0.5, name="dropout2"),
            # Output: one probability per digit.
            _output_layer(),
        ],
        name="alexnet_mnist",
    )


@dataclass(frozen=True)
class ModelSpec:
    """One network cnnviz offers, declared once: every list of models derives from these.

    The ``python -m cnnviz.train`` choices, :class:`TrainingConfig`'s models, the inference
    registry (:func:`shipped_files`), the layer tables and the training page's runs and tabs all
    read :data:`MODEL_SPECS`.
    """

    key: str  # its name everywhere: TrainingConfig.model, the CLI's argument, the registry
    # What pages call it when built and trained exactly by its recipe, e.g. "LeNet-5 (seed)".
    label: str
    # Its name before the list of what differs from the recipe: "LeNet-5 (8 epochs, augmented)".
    name: str
    builder: Callable[..., keras.Model]  # (activation, pooling) → an uncompiled model
    recipe: Recipe  # the seed's defaults for it
    # Its tab's text in cnnviz.training_lesson.MODEL_LESSONS; models sharing one share the tab.
    lesson: str
    live_label: str | None = None  # its choice under "Model" on the training page; None: not
    # The file under cnnviz.MODELS_DIR trained by `python -m cnnviz.train`, its history beside it
    # (cnnviz.training.history_path); None: not shipped.
    shipped_file: str | None = None


MODEL_SPECS: dict[str, ModelSpec] = {
    spec.key: spec
    for spec in (
        ModelSpec(
            key="lenet",
            label="LeNet-5 (seed)",
            name="LeNet-5",
            builder=lenet5,
            # As the seed writes it: tanh, average pooling, 5 epochs, MNIST resized to 32 × 32.
            recipe=Recipe(activation="tanh", pooling="average", epochs=5, input_size=(32, 32)),
            lesson="lenet",
            live_label="LeNet-5",
            shipped_file="lenet5.keras",
        ),
        ModelSpec(
            key="alexnet",
            label="AlexNet (MNIST)",
            name="AlexNet",
            builder=alexnet_mnist,
            # ReLU, max pooling, 3 epochs; it resizes 28 × 28 to 64 × 64 itself.
            recipe=Recipe(activation="relu", pooling="max", epochs=3, input_size=(28, 28)),
            lesson="alexnet",
            live_label="AlexNet",
            shipped_file="alexnet.keras",
        ),
        ModelSpec(
            key="lenet_original",
            label="LeNet-5 (1998 layout, modern form)",
            name="LeNet-5, 1998 layout",
            builder=lenet5_original,
            # Trained like the seed's LeNet for a fair comparison.
            recipe=Recipe(activation="tanh", pooling="average", epochs=5, input_size=(32, 32)),
            lesson="lenet",
        ),
    )
}


def model_spec(key: str) -> ModelSpec:
    """The :class:`ModelSpec` of ``key``.

    Raises
    ------
    ValueError
        For an unknown key, naming the known ones.
    """
    if key not in MODEL_SPECS:
        raise ValueError(f"Unknown model '{key}'; choose one of {sorted(MODEL_SPECS)}.")
    return MODEL_SPECS[key]


def shipped_files() -> dict[str, str]:
    """Key → file name under :data:`cnnviz.MODELS_DIR` of every shipped model, in order.

    >>> shipped_files()
    {'lenet': 'lenet5.keras', 'alexnet': 'alexnet.keras'}
    """
    return {key: spec.shipped_file for key, spec in MODEL_SPECS.items() if spec.shipped_file}


def live_models() -> dict[str, str]:
    """Key → choice label of every model the training page trains live, in order.

    >>> live_models()
    {'lenet': 'LeNet-5', 'alexnet': 'AlexNet'}
    """
    return {key: spec.live_label for key, spec in MODEL_SPECS.items() if spec.live_label}


def make_optimizer(config: TrainingConfig) -> keras.optimizers.Optimizer:
    """The optimizer named by ``config`` with its learning rate (other settings: keras').

    Adam is keras' Adam computed by TensorFlow's fused kernel (:mod:`cnnviz.optimizers`): the
    same update, in one pass over each weight instead of a dozen.
    """
    from keras import optimizers

    from cnnviz.optimizers import FusedAdam

    optimizer_class = {
        "adam": FusedAdam,
        "sgd": optimizers.SGD,
        "rmsprop": optimizers.RMSprop,
    }[config.optimizer]
    return optimizer_class(learning_rate=config.learning_rate)


def build_model(
    config: TrainingConfig, *, jit_compile: bool | str = "auto", steps_per_execution: int = 1
) -> keras.Model:
    """The model ``config`` names, compiled as the seed compiles it.

    Loss: sparse categorical cross-entropy; metric: accuracy; weights initialised from
    ``config.seed``, the same for every precision. Under ``"mixed_bfloat16"`` every layer but
    the output computes in bfloat16; weights stay float32. ``jit_compile`` and
    ``steps_per_execution`` only change how fast keras runs the training step (the training
    engine sets them), never what it computes.
    """
    import keras

    keras.utils.set_random_seed(config.seed)
    # Layers take keras' dtype policy when they are created. It is per thread, and put back
    # at once, so a page building a float32 model at the same time is not affected.
    previous_policy = keras.config.dtype_policy()
    keras.config.set_dtype_policy(config.precision)
    try:
        model = MODEL_SPECS[config.model].builder(
            activation=config.resolved_activation, pooling=config.resolved_pooling
        )
    finally:
        keras.config.set_dtype_policy(previous_policy)
    model.compile(
        optimizer=make_optimizer(config),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
        jit_compile=jit_compile,
        steps_per_execution=steps_per_execution,
    )
    return model


def float32_copy(model: keras.Model) -> keras.Model:
    """An uncompiled copy of ``model`` that computes in float32, with the same weights.

    For a model trained under ``"mixed_bfloat16"`` (whose weights are float32 already) this is
    the model to keep: it predicts and saves like a model trained in float32, and runs fast on
    every CPU. For a float32 model it is simply a copy without the optimizer.
    """
    bare = type(model).from_config(_float32_policies(model.get_config()))
    bare.set_weights(model.get_weights())
    return bare


def _float32_policies(config: Any) -> Any:
    """A keras config with every dtype policy in it replaced by float32."""
    if isinstance(config, dict):
        if str(config.get("class_name", "")).endswith("DTypePolicy"):
            return "float32"
        return {key: _float32_policies(value) for key, value in config.items()}
    if isinstance(config, list):
        return [_float32_policies(value) for value in config]
    return config


def input_size(model: keras.Model) -> tuple[int, int]:
    """The (height, width) of the images ``model`` takes, e.g. (32, 32) for LeNet-5."""
    shape = model.inputs[0].shape  # (batch, height, width, channels)
    if len(shape) != 4 or shape[1] is None or shape[2] is None:
        raise ValueError(f"Expected a model taking (batch, H, W, C) images, got input {shape}.")
    return int(shape[1]), int(shape[2])


def summary_table(model: keras.Model) -> list[dict[str, Any]]:
    """``model.summary()`` as rows for a table: "Layer", "Type", "Output shape", "Parameters".

    Output shapes leave out the batch axis, e.g. "32×32×6".
    """
    rows = []
    for layer in model.layers:
        shape = layer.output.shape[1:]  # drop the batch axis
        rows.append(
            {
                "Layer": layer.name,
                "Type": type(layer).__name__,
                "Output shape": "×".join(str(size) for size in shape),
                "Parameters": int(layer.count_params()),
            }
        )
    return rows
