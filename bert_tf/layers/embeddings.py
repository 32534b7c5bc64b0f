"""Word + token type + position embeddings, as the original `embedding_lookup` and
`embedding_postprocessor`."""

from __future__ import annotations

import keras
import tensorflow as tf


def initializer(stddev: float) -> keras.initializers.Initializer:
    """The original's `create_initializer`: truncated normal with `initializer_range`."""
    return keras.initializers.TruncatedNormal(stddev=stddev)


def layer_norm(name: str) -> keras.layers.LayerNormalization:
    """LayerNorm with the original's epsilon 1e-12, computed in float32 under mixed precision."""
    return keras.layers.LayerNormalization(epsilon=1e-12, name=name, dtype="float32")


@keras.saving.register_keras_serializable(package="bert_tf")
class BertEmbeddings(keras.layers.Layer):
    """Sums word, token type and absolute position embeddings, then LayerNorm and dropout.

    Args:
      shared_word_embeddings: another `BertEmbeddings` whose word table this one
        uses (a bert2bert decoder ties its words to the encoder's). Not part of
        `get_config`; the model that owns both passes it again.

    Call arguments:
      input_ids: int32 Tensor [batch_size, seq_length].
      token_type_ids: int32 Tensor [batch_size, seq_length].
      position_offset: int32 scalar, the position of the first token (a decoder
        step embeds one token at its position in the output).

    Returns:
      float32 Tensor [batch_size, seq_length, hidden_size].
    """

    def __init__(self, vocab_size: int, hidden_size: int, max_position_embeddings: int = 512,
                 type_vocab_size: int = 16, dropout_rate: float = 0.1,
                 initializer_range: float = 0.02,
                 shared_word_embeddings: "BertEmbeddings | None" = None, **kwargs):
        super().__init__(**kwargs)
        self.shared_word_embeddings = shared_word_embeddings
        self.vocab_size = vocab_size
        self.hidden_size = hidden_size
        self.max_position_embeddings = max_position_embeddings
        self.type_vocab_size = type_vocab_size
        self.dropout_rate = dropout_rate
        self.initializer_range = initializer_range
        self.layer_norm = layer_norm("LayerNorm")
        self.dropout = keras.layers.Dropout(dropout_rate, name="dropout")

    def build(self, input_shape=None):
        def table(name: str, rows: int) -> keras.Variable:
            return self.add_weight(name=name, shape=(rows, self.hidden_size),
                                   initializer=initializer(self.initializer_range))

        shared = self.shared_word_embeddings
        self.word_embeddings = (shared.word_embeddings if shared is not None
                                else table("word_embeddings", self.vocab_size))
        self.token_type_embeddings = table("token_type_embeddings", self.type_vocab_size)
        self.position_embeddings = table("position_embeddings", self.max_position_embeddings)
        self.layer_norm.build((None, None, self.hidden_size))
        self.built = True

    def call(self, input_ids, token_type_ids, position_offset=0, training=None):
        seq_length = input_ids.shape[1]
        if seq_length is not None and seq_length > self.max_position_embeddings:
            raise ValueError(f"sequence length {seq_length} exceeds max_position_embeddings "
                             f"{self.max_position_embeddings}")
        if seq_length is None:
            seq_length = tf.shape(input_ids)[1]
        x = (tf.gather(self.word_embeddings, input_ids)
             + tf.gather(self.token_type_embeddings, token_type_ids)
             # tf.slice: a slice of static size under XLA even from a tensor offset.
             + tf.slice(self.position_embeddings, [position_offset, 0], [seq_length, -1]))
        return self.dropout(self.layer_norm(x), training=training)

    def get_config(self):
        return {**super().get_config(), "vocab_size": self.vocab_size,
                "hidden_size": self.hidden_size,
                "max_position_embeddings": self.max_position_embeddings,
                "type_vocab_size": self.type_vocab_size, "dropout_rate": self.dropout_rate,
                "initializer_range": self.initializer_range}
