"""The trained models, read a digit with them, and look inside: what every layer sees.

:func:`load_registry` loads the shipped models from :data:`cnnviz.MODELS_DIR` only (never from a
path a user typed), with keras' safe mode on. One broken file does not stop the others: each
model comes back as a :class:`ModelStatus` with either the model or a clear error.

Streamlit shares one loaded model between every student's session (``st.cache_resource``), so
every call into a model here holds that model's lock, and calls the model directly
(``model(x, training=False)``, traced once into a ``tf.function``) rather than ``predict``,
which TensorFlow does not promise to be thread-safe. TensorFlow is imported only inside the
functions that need it.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from cnnviz import MODELS_DIR
from cnnviz.data import MNIST_CLASSES, MNIST_IMAGE_SHAPE, to_model_input
from cnnviz.models import MODEL_SPECS, input_size, settings_label, shipped_files
from cnnviz.training.records import trained_config

__all__ = [
    "CONVOLUTION",
    "POOLING",
    "FirstLayerFilters",
    "LayerActivation",
    "ModelStatus",
    "activation_maps",
    "feature_layers",
    "first_layer_filters",
    "input_size",
    "load_model_file",
    "load_registry",
    "model_input",
    "predict_digit",
    "predict_digits",
]

if TYPE_CHECKING:  # only for type hints: importing keras costs seconds
    import keras

# Digits per call into a model: AlexNet's first maps for 1,000 digits take 38 MB.
PREDICT_BATCH_SIZE = 1000
# The layers whose outputs are shown as activation maps, by kind.
CONVOLUTION = "convolution"
POOLING = "pooling"


@dataclass(frozen=True)
class ModelStatus:
    """One shipped model: loaded, or the reason it could not be.

    Attributes
    ----------
    name : str
        The registry key, e.g. "lenet".
    label : str
        What the page shows: how the model was trained, from the history beside it, e.g.
        "LeNet-5 (8 epochs, augmented)"; its recipe's label when it has no history.
    path : Path
        The file under the models directory.
    model : keras.Model or None
        The loaded model, or None when ``error`` says why not.
    error : str or None
        A message a teacher can act on, or None when the model loaded.
    """

    name: str
    label: str
    path: Path
    model: keras.Model | None
    error: str | None

    @property
    def ok(self) -> bool:
        """Whether the model loaded and can be used."""
        return self.model is not None


@dataclass(frozen=True)
class LayerActivation:
    """What one convolution or pooling layer outputs for one image.

    Attributes
    ----------
    name : str
        The layer's name in the model, e.g. "C1".
    kind : str
        :data:`CONVOLUTION` or :data:`POOLING`.
    layer_type : str
        The keras class, e.g. "Conv2D" or "AveragePooling2D".
    maps : ndarray, shape (H, W, C), float32
        One feature map per channel.
    """

    name: str
    kind: str
    layer_type: str
    maps: np.ndarray


@dataclass(frozen=True)
class FirstLayerFilters:
    """The first convolution's filters, the patterns the network looks for in the pixels.

    Attributes
    ----------
    layer_name : str
    kernels : ndarray, shape (filters, kernel height, kernel width), float32
        Each filter's weights on the (single, grey) input channel.
    bias : ndarray, shape (filters,), float32
    """

    layer_name: str
    kernels: np.ndarray
    bias: np.ndarray


def _check_file_name(name: str, file_name: str) -> None:
    """A registry entry must be a plain file name, so nothing outside the directory is read."""
    if Path(file_name).name != file_name or file_name in ("", ".", ".."):
        raise ValueError(
            f"Model '{name}' must name a file inside the models directory, got '{file_name}'."
        )


def _describe_mismatch(model: keras.Model) -> str | None:
    """Why ``model`` is not a digit classifier the page can use, or None when it is."""
    try:
        height, width = input_size(model)
    except ValueError as error:
        return str(error)
    channels = model.inputs[0].shape[-1]
    outputs = model.outputs[0].shape
    if channels != 1 or height < MNIST_IMAGE_SHAPE[0] or width < MNIST_IMAGE_SHAPE[1]:
        return (
            f"it takes images of shape {height}×{width}×{channels}; a digit model needs one grey "
            "channel and at least 28×28 pixels"
        )
    if len(outputs) != 2 or outputs[-1] != MNIST_CLASSES:
        return f"its output has shape {tuple(outputs)}; a digit model outputs 10 probabilities"
    return None


def load_model_file(path: Path) -> keras.Model:
    """Load one ``.keras`` file in safe mode (no arbitrary code), without optimizer state.

    Raises
    ------
    ValueError
        If the file cannot be loaded or is not a digit classifier; the message names the file
        and says what went wrong.
    """
    import keras  # lazy: TensorFlow takes seconds to import

    try:
        model = keras.models.load_model(path, safe_mode=True, compile=False)
    except Exception as error:  # keras raises many types for a damaged or foreign file
        raise ValueError(
            f"'{path.name}' could not be loaded ({type(error).__name__}: {error}). "
            "The file may be damaged or from another keras version: retrain it with "
            "`python -m cnnviz.train`."
        ) from error
    mismatch = _describe_mismatch(model)
    if mismatch is not None:
        raise ValueError(f"'{path.name}' is not a digit model: {mismatch}.")
    return model


def load_registry(
    models_dir: Path = MODELS_DIR, files: dict[str, str] | None = None
) -> dict[str, ModelStatus]:
    """Load every shipped model, each independently: one broken file leaves the others usable.

    Parameters
    ----------
    models_dir : Path
        The app always uses :data:`cnnviz.MODELS_DIR`; tests pass a temporary directory.
    files : dict of str to str, optional
        Registry name → file name inside ``models_dir``; defaults to
        :func:`cnnviz.models.shipped_files`. Plain file names only.

    Returns
    -------
    dict of str to ModelStatus
        In the order of ``files``.
    """
    files = shipped_files() if files is None else files
    models_dir = Path(models_dir)
    registry = {}
    for name, file_name in files.items():
        _check_file_name(name, file_name)
        path = models_dir / file_name
        # Named by how it was trained ("LeNet-5 (8 epochs, augmented)"), from its history.
        config = trained_config(path) if name in MODEL_SPECS else None
        if config is not None:
            label = settings_label(config)
        else:
            label = MODEL_SPECS[name].label if name in MODEL_SPECS else name
        model, error = None, None
        if not path.is_file():
            error = (
                f"{label}: '{file_name}' is not in the models directory yet. Train it before "
                f"class with `python -m cnnviz.train {name}`."
            )
        else:
            try:
                model = load_model_file(path)
            except ValueError as load_error:
                error = f"{label}: {load_error}"
        registry[name] = ModelStatus(name=name, label=label, path=path, model=model, error=error)
    return registry


class _ModelTools:
    """A model's lock and the activation sub-model built from it (built once, on first use)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.forward = None  # the model's forward pass as one compiled TF graph
        self.activation_model: keras.Model | None = None
        self.activation_layers: list[LayerActivation] | None = None


_TOOLS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_TOOLS_LOCK = threading.Lock()


def _tools(model: keras.Model) -> _ModelTools:
    """The lock and cached sub-model of ``model``, created once per model object."""
    with _TOOLS_LOCK:
        tools = _TOOLS.get(model)
        if tools is None:
            tools = _TOOLS[model] = _ModelTools()
        return tools


def _check_digit(image28: np.ndarray) -> np.ndarray:
    """Return ``image28`` as an array after checking it is one (28, 28) digit.

    Scaling (uint8 in [0, 255] or float in [0, 1]) is left to :func:`cnnviz.data.to_model_input`.
    """
    image28 = np.asarray(image28)
    if image28.shape != MNIST_IMAGE_SHAPE:
        raise ValueError(
            f"Expected one 28×28 digit (as canvas_to_mnist returns), got shape {image28.shape}."
        )
    return image28


def model_input(model: keras.Model, image28: np.ndarray) -> np.ndarray:
    """The digit as ``model`` takes it: (1, H, W, 1) float32.

    LeNet-5 takes 32 × 32, so the digit is resized bilinearly exactly as its training images
    were (:func:`cnnviz.data.to_model_input`); AlexNet takes 28 × 28 and resizes inside itself.
    """
    return to_model_input(_check_digit(image28), size=input_size(model))


def predict_digit(model: keras.Model, image28: np.ndarray) -> np.ndarray:
    """The model's ten class probabilities for one (28, 28) digit in [0, 1].

    Returns
    -------
    ndarray, shape (10,), float32
        Probability of each digit 0–9; they sum to 1.
    """
    return predict_digits(model, _check_digit(image28)[np.newaxis])[0]


def predict_digits(model: keras.Model, images28: np.ndarray) -> np.ndarray:
    """The model's ten class probabilities for each of a batch of (28, 28) digits in [0, 1].

    One call into the model for the whole batch (a sweep of a slider's range costs about as
    much as one digit). The forward pass is traced once for any batch size.

    Parameters
    ----------
    images28 : ndarray, shape (N, 28, 28)

    Returns
    -------
    ndarray, shape (N, 10), float32
    """
    import tensorflow as tf  # lazy: TensorFlow takes seconds to import

    images28 = np.asarray(images28)
    if images28.ndim != 3 or images28.shape[1:] != MNIST_IMAGE_SHAPE or len(images28) == 0:
        raise ValueError(
            f"Expected a batch of 28×28 digits, shape (N, 28, 28), got shape {images28.shape}."
        )
    if len(images28) > PREDICT_BATCH_SIZE:  # a test set: in pieces, so memory stays small
        return np.concatenate(
            [
                predict_digits(model, images28[start : start + PREDICT_BATCH_SIZE])
                for start in range(0, len(images28), PREDICT_BATCH_SIZE)
            ]
        )
    batch = to_model_input(images28, size=input_size(model))  # (N, H, W, 1)
    tools = _tools(model)
    with tools.lock:
        if tools.forward is None:
            # Calling a keras model eagerly walks its layers in Python (several ms); traced
            # once into a graph, one call costs about a millisecond. Same weights, same maths.
            # A weak reference, so a session's model can still be freed when the session ends.
            # The batch dimension is left open so every batch size shares one trace.
            model_ref = weakref.ref(model)
            signature = tf.TensorSpec((None, *batch.shape[1:]), tf.float32)
            tools.forward = tf.function(
                lambda images: model_ref()(images, training=False), input_signature=[signature]
            )
        probabilities = tools.forward(tf.constant(batch, dtype=tf.float32))
    return np.asarray(probabilities, dtype=np.float32)


def _layer_kind(layer: keras.layers.Layer) -> str | None:
    """:data:`CONVOLUTION`, :data:`POOLING`, or None for a layer whose maps are not shown."""
    from keras import layers

    if isinstance(layer, layers.Conv2D):
        return CONVOLUTION
    if isinstance(layer, (layers.MaxPooling2D, layers.AveragePooling2D)):
        return POOLING
    return None


def feature_layers(model: keras.Model) -> list[keras.layers.Layer]:
    """The model's 2-D convolution and pooling layers, input to output."""
    return [layer for layer in model.layers if _layer_kind(layer) is not None]


def activation_maps(model: keras.Model, image28: np.ndarray) -> list[LayerActivation]:
    """What every convolution and pooling layer outputs for one digit, input to output.

    The sub-model that exposes those outputs is built once per model and cached.

    Returns
    -------
    list of LayerActivation
        One per layer, each with maps of shape (H, W, C).
    """
    import keras  # lazy: TensorFlow takes seconds to import

    tools = _tools(model)
    batch = model_input(model, image28)
    with tools.lock:
        if tools.activation_model is None:
            layers = feature_layers(model)
            if not layers:
                raise ValueError(f"Model '{model.name}' has no convolution or pooling layers.")
            tools.activation_model = keras.Model(
                inputs=model.inputs[0], outputs=[layer.output for layer in layers]
            )
            tools.activation_layers = [
                LayerActivation(layer.name, _layer_kind(layer), type(layer).__name__, np.empty(0))
                for layer in layers
            ]
        outputs = tools.activation_model(batch, training=False)
    if not isinstance(outputs, (list, tuple)):  # a single layer's output comes back bare
        outputs = [outputs]
    return [
        LayerActivation(
            name=layer.name,
            kind=layer.kind,
            layer_type=layer.layer_type,
            maps=np.asarray(output, dtype=np.float32)[0],  # (H, W, C)
        )
        for layer, output in zip(tools.activation_layers, outputs, strict=True)
    ]


def first_layer_filters(model: keras.Model) -> FirstLayerFilters:
    """The weights of the model's first convolution, one 2-D kernel per filter.

    Raises
    ------
    ValueError
        If the model has no convolution.
    """
    for layer in feature_layers(model):
        if _layer_kind(layer) == CONVOLUTION:
            weights = [np.asarray(weight) for weight in layer.get_weights()]
            kernel = weights[0]
            bias = weights[1] if len(weights) > 1 else np.zeros(kernel.shape[-1])  # use_bias=False
            # keras keeps (kernel height, kernel width, input channels, filters); the models
            # here read one grey channel, so channel 0 is the whole filter.
            kernels = np.moveaxis(kernel[:, :, 0, :], -1, 0).astype(np.float32)
            return FirstLayerFilters(layer.name, kernels, bias.astype(np.float32))
    raise ValueError(f"Model '{model.name}' has no convolution layer.")
