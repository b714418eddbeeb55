"""The seed notebook's two models, verbatim: the reference cnnviz is measured and tested against.

Used by ``bench.train_speed`` (the seed's own training, timed) and ``tests/test_models.py``
(cnnviz's models must match these layer by layer). Kept apart from ``cnnviz.models`` on purpose:
an independent copy of what the notebook wrote, not a re-use of the code under test.
"""

from __future__ import annotations


def seed_lenet5():
    """The notebook's LeNet5(), verbatim but for keras 3's Input instead of input_shape."""
    from tensorflow.keras import layers, models

    model = models.Sequential()
    model.add(layers.Input(shape=(32, 32, 1)))
    model.add(
        layers.Conv2D(6, kernel_size=(5, 5), strides=(1, 1), activation="tanh", padding="same")
    )
    model.add(layers.AveragePooling2D(pool_size=(2, 2), strides=(2, 2)))
    model.add(
        layers.Conv2D(16, kernel_size=(5, 5), strides=(1, 1), activation="tanh", padding="valid")
    )
    model.add(layers.AveragePooling2D(pool_size=(2, 2), strides=(2, 2)))
    model.add(layers.Flatten())
    model.add(layers.Dense(120, activation="tanh"))
    model.add(layers.Dense(84, activation="tanh"))
    model.add(layers.Dense(10, activation="softmax"))
    return model


def seed_alexnet_mnist():
    """The notebook's AlexNet_MNIST(), verbatim but for keras 3's InputLayer(shape=...)."""
    from tensorflow.keras import layers, models

    model = models.Sequential()
    model.add(layers.InputLayer(shape=(28, 28, 1)))
    model.add(layers.Resizing(64, 64))
    model.add(layers.Conv2D(48, (11, 11), strides=(4, 4), padding="valid", activation="relu"))
    model.add(layers.MaxPooling2D(pool_size=(3, 3), strides=(2, 2), padding="valid"))
    model.add(layers.Conv2D(128, (5, 5), strides=(1, 1), padding="same", activation="relu"))
    model.add(layers.MaxPooling2D(pool_size=(3, 3), strides=(2, 2), padding="valid"))
    model.add(layers.Conv2D(192, (3, 3), strides=(1, 1), padding="same", activation="relu"))
    model.add(layers.Conv2D(192, (3, 3), strides=(1, 1), padding="same", activation="relu"))
    model.add(layers.Conv2D(128, (3, 3), strides=(1, 1), padding="same", activation="relu"))
    model.add(layers.MaxPooling2D(pool_size=(3, 3), strides=(2, 2), padding="same"))
    model.add(layers.Flatten())
    model.add(layers.Dense(1024, activation="relu"))
    model.add(layers.Dropout(0.5))
    model.add(layers.Dense(1024, activation="relu"))
    model.add(layers.Dropout(0.5))
    model.add(layers.Dense(10, activation="softmax"))
    return model
