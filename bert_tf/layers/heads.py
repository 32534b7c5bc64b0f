"""Output heads on top of the encoder, with the original's variable layouts."""

from __future__ import annotations

from typing import Sequence

import keras
import numpy as np
import tensorflow as tf

from bert_tf.layers.activations import get_activation
from bert_tf.layers.embeddings import BertEmbeddings, initializer, layer_norm


@keras.saving.register_keras_serializable(package="bert_tf")
class OutputProjection(keras.layers.Layer):
    """logits = x @ output_weights^T + output_bias, with `output_weights` [units, hidden_size].

    The original's heads (next sentence, classifier, SQuAD) store their weights
    transposed relative to a Dense kernel; keeping that layout keeps checkpoints
    loadable both ways without transposes. Optional dropout on the input, as the
    original classifier applies to the pooled output.

    Call arguments:
      x: float Tensor [..., hidden_size].

    Returns:
      float32 Tensor [..., units].
    """

    def __init__(self, units: int, dropout_rate: float = 0.0, initializer_range: float = 0.02,
                 **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.dropout_rate = dropout_rate
        self.initializer_range = initializer_range
        self.dropout = keras.layers.Dropout(dropout_rate, name="dropout")

    def build(self, input_shape):
        self.output_weights = self.add_weight(
            name="output_weights", shape=(self.units, input_shape[-1]),
            initializer=initializer(self.initializer_range))
        self.output_bias = self.add_weight(name="output_bias", shape=(self.units,),
                                           initializer="zeros")
        self.built = True

    def call(self, x, training=None):
        x = self.dropout(x, training=training)
        # On a [rows, hidden] matrix: a broadcast batched matmul's weight gradient
        # would be computed per example and then summed.
        leading = tf.shape(x)[:-1]
        x = tf.reshape(x, [-1, x.shape[-1]])
        logits = tf.matmul(x, self.output_weights, transpose_b=True) + self.output_bias
        return tf.cast(tf.reshape(logits, tf.concat([leading, [self.units]], 0)), tf.float32)

    def get_config(self):
        return {**super().get_config(), "units": self.units, "dropout_rate": self.dropout_rate,
                "initializer_range": self.initializer_range}


@keras.saving.register_keras_serializable(package="bert_tf")
class MaskedLMHead(keras.layers.Layer):
    """The original `cls/predictions` head: Dense(hidden, act) -> LayerNorm -> tied output.

    logits = LN(act(x W + b)) @ word_embeddings^T + output_bias.

    Args:
      embeddings: the encoder's `BertEmbeddings`, whose word table is shared. It is
        not part of `get_config`; the model that owns both passes it again.
      output_ids: token ids that may be predicted (a decoder's output shortlist, as
        Jean et al., 2015): only their rows of the table are multiplied; every other
        logit is -10000 (the original's mask value), so its softmax probability and
        gradient are exactly 0. None: the whole vocabulary.

    Call arguments:
      sequence_output: float Tensor [batch_size, seq_length, hidden_size].
      positions: int32 Tensor [batch_size, max_predictions_per_seq], or None for
        every position (a decoder's next-token logits).

    Returns:
      float32 logits [batch_size, max_predictions_per_seq (or seq_length), vocab_size].
    """

    def __init__(self, embeddings: BertEmbeddings, hidden_act: str = "gelu",
                 initializer_range: float = 0.02, output_ids: Sequence[int] | None = None,
                 **kwargs):
        super().__init__(**kwargs)
        self.embeddings = embeddings
        self.hidden_act = hidden_act
        self.initializer_range = initializer_range
        self.output_ids = None if output_ids is None else sorted({int(i) for i in output_ids})
        if self.output_ids is not None:
            vocab_size = embeddings.vocab_size
            if not self.output_ids or self.output_ids[0] < 0 or self.output_ids[-1] >= vocab_size:
                raise ValueError(f"output_ids must be a non-empty set of ids in [0, {vocab_size})")
            # Column of each vocabulary id in [shortlist logits, -10000].
            columns = np.full(vocab_size, len(self.output_ids), np.int32)
            columns[self.output_ids] = np.arange(len(self.output_ids))
            self._columns = columns
        self.transform = keras.layers.Dense(
            embeddings.hidden_size, activation=get_activation(hidden_act),
            kernel_initializer=initializer(initializer_range), name="transform")
        self.layer_norm = layer_norm("LayerNorm")

    def build(self, input_shape=None):
        h = self.embeddings.hidden_size
        self.transform.build((None, None, h))
        self.layer_norm.build((None, None, h))
        self.output_bias = self.add_weight(name="output_bias",
                                           shape=(self.embeddings.vocab_size,),
                                           initializer="zeros")
        self.built = True

    def call(self, sequence_output, positions=None):
        if positions is None:
            x = sequence_output
        else:
            x = tf.gather(sequence_output, positions, batch_dims=1)
        b, p = tf.shape(x)[0], tf.shape(x)[1]
        # [B * P, hidden], as the original's gather_indexes: plain 2-D MatMuls, whose
        # [vocab, hidden] gradient is one product, not one per example then summed.
        logits = self.project(tf.reshape(x, [-1, self.embeddings.hidden_size]))
        if self.output_ids is not None:
            logits = tf.gather(tf.pad(logits, [[0, 0], [0, 1]], constant_values=-10000.0),
                               self._columns, axis=1)
        return tf.reshape(logits, [b, p, self.embeddings.vocab_size])

    def output_weights(self) -> tuple[tf.Tensor, tf.Tensor]:
        """(table [V, hidden], bias [V]) of the predictable ids: the word table and
        output bias, or their `output_ids` rows (V = len(output_ids)). A decoder
        gathers them once per search instead of once per step."""
        table, bias = self.embeddings.word_embeddings, self.output_bias
        if self.output_ids is None:
            return tf.convert_to_tensor(table), tf.convert_to_tensor(bias)
        return tf.gather(table, self.output_ids), tf.gather(bias, self.output_ids)

    def project(self, x: tf.Tensor, weights: tuple[tf.Tensor, tf.Tensor] | None = None
                ) -> tf.Tensor:
        """x float [N, hidden] -> float32 logits [N, V] over `output_weights` (or `weights`)."""
        x = tf.cast(self.layer_norm(self.transform(x)), self.compute_dtype)
        table, bias = weights or self.output_weights()
        # (table @ x^T)^T, not x @ table^T: oneDNN repacks a transposed [vocab, hidden]
        # operand on every call (forward 2.5x slower, train step +170 ms at BERT-base).
        logits = tf.transpose(tf.matmul(tf.cast(table, x.dtype), x, transpose_b=True))
        return tf.cast(logits + tf.cast(bias, x.dtype), tf.float32)

    def get_config(self):
        return {**super().get_config(), "hidden_act": self.hidden_act,
                "initializer_range": self.initializer_range, "output_ids": self.output_ids}
