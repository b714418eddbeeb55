"""Keras callbacks that misbehave on purpose, defined at module level so that a training worker
process can unpickle them (tests/test_training_worker.py, tests/test_page_training.py)."""

import keras


class RaiseAtFirstPoint(keras.callbacks.Callback):
    """Raises ``RuntimeError(message)`` at the first live point of a training."""

    def __init__(self, message: str) -> None:
        super().__init__()
        self.message = message

    def on_train_batch_end(self, batch, logs=None):
        raise RuntimeError(self.message)


class RaiseAtTrainBegin(keras.callbacks.Callback):
    """Raises ``RuntimeError(message)`` before the first batch, as a broken model build would."""

    def __init__(self, message: str) -> None:
        super().__init__()
        self.message = message

    def on_train_begin(self, logs=None):
        raise RuntimeError(self.message)


class SegfaultAtFirstPoint(keras.callbacks.Callback):
    """Reads address 0 at the first live point: a real segmentation fault in the process that
    trains, as a bug in a native kernel (oneDNN's, say) would cause."""

    def on_train_batch_end(self, batch, logs=None):
        import ctypes
        import faulthandler

        faulthandler.disable()  # die by the signal itself, as native code would, not a dump
        ctypes.string_at(0)
