"""Multi-head scaled dot-product self-attention, as the original `attention_layer`.

Shape legend (the original's):
  B = batch size, F = `from` sequence length, T = `to` sequence length,
  N = number of attention heads, H = size per head, D = N * H = hidden size.
"""

from __future__ import annotations

import math

import keras
import tensorflow as tf

from bert_tf.layers.embeddings import initializer


def attention_mask_adder(input_mask: tf.Tensor) -> tf.Tensor:
    """[B, T] 0/1 mask -> float32 [B, 1, 1, T] bias: 0 where attended, -10000 where masked.

    The original adds -10000 (not -inf) before the softmax, so a fully masked row
    stays finite; we keep the constant for bit-compatible outputs.
    """
    mask = tf.cast(input_mask, tf.float32)[:, None, None, :]
    return (1.0 - mask) * -10000.0


@keras.saving.register_keras_serializable(package="bert_tf")
class SelfAttention(keras.layers.Layer):
    """softmax(Q K^T / sqrt(H) + mask) V over N heads.

    Call arguments:
      x: float Tensor [B * F, D] (self-attention: F = T).
      input_mask: int Tensor [B, T], 1 for tokens to attend to, 0 for padding.

    Returns:
      Tensor [B * F, D], the heads' contexts concatenated (before the output dense).
    """

    def __init__(self, num_heads: int, head_size: int, dropout_rate: float = 0.1,
                 initializer_range: float = 0.02, **kwargs):
        super().__init__(**kwargs)
        self.num_heads = num_heads
        self.head_size = head_size
        self.dropout_rate = dropout_rate
        self.initializer_range = initializer_range
        width = num_heads * head_size
        self.query, self.key, self.value = (
            keras.layers.Dense(width, kernel_initializer=initializer(initializer_range), name=n)
            for n in ("query", "key", "value"))
        self.dropout = keras.layers.Dropout(dropout_rate, name="dropout")

    def build(self, input_shape):
        for dense in (self.query, self.key, self.value):
            dense.build(input_shape)
        self.built = True

    def heads(self, dense: keras.layers.Dense, x: tf.Tensor, b: tf.Tensor,
              s: tf.Tensor) -> tf.Tensor:
        """dense(x) split into heads: [B * S, D] -> [B, N, S, H]."""
        return tf.transpose(tf.reshape(dense(x), [b, s, self.num_heads, self.head_size]),
                            [0, 2, 1, 3])

    def attend(self, q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, bias: tf.Tensor,
               training=None) -> tf.Tensor:
        """softmax(q k^T / sqrt(H) + bias) v for q [B, N, F, H], k and v [B, N, T, H]
        and an additive float32 bias broadcastable to [B, N, F, T]; returns [B * F, D]."""
        # Scaled after the product, in the original's order.
        scores = tf.matmul(q, k, transpose_b=True) * (1.0 / math.sqrt(float(self.head_size)))
        # Softmax in float32 even under mixed precision.
        probs = tf.cast(tf.nn.softmax(tf.cast(scores, tf.float32) + bias), self.compute_dtype)
        probs = self.dropout(probs, training=training)
        context = tf.transpose(tf.matmul(probs, v), [0, 2, 1, 3])  # [B, F, N, H]
        return tf.reshape(context, [-1, self.num_heads * self.head_size])

    def call(self, x, input_mask, training=None):
        b, s = tf.shape(input_mask)[0], tf.shape(input_mask)[1]
        q, k, v = (self.heads(dense, x, b, s) for dense in (self.query, self.key, self.value))
        return self.attend(q, k, v, attention_mask_adder(input_mask), training)

    def get_config(self):
        return {**super().get_config(), "num_heads": self.num_heads,
                "head_size": self.head_size, "dropout_rate": self.dropout_rate,
                "initializer_range": self.initializer_range}
