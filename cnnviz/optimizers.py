"""Adam in one pass over each weight: keras' Adam, computed by TensorFlow's fused kernel.

Keras' :class:`keras.optimizers.Adam` updates each weight with about a dozen element-wise
operations (subtract, multiply, assign-add for the first moment, the same for the second, then
square root, add, divide, assign-subtract), and TensorFlow runs each one as its own pass over
the weight's memory. TensorFlow's ``ResourceApplyAdam`` kernel computes the very same formula in
a single pass::

    alpha = learning_rate * sqrt(1 - beta_2**t) / (1 - beta_1**t)
    m += (gradient - m) * (1 - beta_1)
    v += (gradient**2 - v) * (1 - beta_2)
    weight -= alpha * m / (sqrt(v) + epsilon)

with ``t`` the number of the step (counted from 1) and ``epsilon`` outside the square root, as
keras writes it. Only the order of float rounding can differ, and each step is shorter
(the LeNet-5 and AlexNet step times are in bench/README.md, "Training speed").

This module imports keras when it is imported: import it only where a model is built.
"""

from __future__ import annotations

import keras
import tensorflow as tf


@keras.saving.register_keras_serializable(package="cnnviz")
class FusedAdam(keras.optimizers.Adam):
    """:class:`keras.optimizers.Adam` whose update runs as one fused TensorFlow kernel per weight.

    Same arguments, same slot variables (``m`` and ``v``), same formula and same results up to
    float rounding. ``amsgrad=True``, which the fused kernel lacks, falls back to keras' own
    update.
    """

    def update_step(self, gradient, variable, learning_rate):
        if self.amsgrad:
            return super().update_step(gradient, variable, learning_rate)
        dtype = variable.dtype
        step = tf.cast(self.iterations + 1, dtype)  # keras increments it after the update
        beta_1 = tf.cast(self.beta_1, dtype)
        beta_2 = tf.cast(self.beta_2, dtype)
        index = self._get_variable_index(variable)
        tf.raw_ops.ResourceApplyAdam(
            var=variable.handle,
            m=self._momentums[index].handle,
            v=self._velocities[index].handle,
            beta1_power=tf.pow(beta_1, step),
            beta2_power=tf.pow(beta_2, step),
            lr=tf.cast(learning_rate, dtype),
            beta1=beta_1,
            beta2=beta_2,
            epsilon=tf.cast(self.epsilon, dtype),
            # Dense even for embedding-style sparse gradients, which none of cnnviz's models has.
            grad=tf.cast(tf.convert_to_tensor(gradient), dtype),
        )
        return None
