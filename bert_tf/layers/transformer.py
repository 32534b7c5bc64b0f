"""The post-LN transformer block of the original `transformer_model`."""

from __future__ import annotations

import keras
import tensorflow as tf

from bert_tf.layers.activations import get_activation
from bert_tf.layers.attention import SelfAttention
from bert_tf.layers.embeddings import initializer, layer_norm


@keras.saving.register_keras_serializable(package="bert_tf")
class TransformerBlock(keras.layers.Layer):
    """h = LN(x + Dropout(Dense(Attention(x)))); out = LN(h + Dropout(Dense(act(Dense(h))))).

    Call arguments:
      x: float32 Tensor [batch_size, seq_length, hidden_size].
      input_mask: int Tensor [batch_size, seq_length], 1 = token, 0 = padding.

    Returns:
      float32 Tensor [batch_size, seq_length, hidden_size]. The residual stream
      stays in float32 under mixed precision; only the matmuls run in low precision.
    """

    def __init__(self, hidden_size: int, num_heads: int, intermediate_size: int,
                 hidden_act: str = "gelu", hidden_dropout_prob: float = 0.1,
                 attention_probs_dropout_prob: float = 0.1, initializer_range: float = 0.02,
                 **kwargs):
        super().__init__(**kwargs)
        self.hidden_size = hidden_size
        self.num_heads = num_heads
        self.intermediate_size = intermediate_size
        self.hidden_act = hidden_act
        self.hidden_dropout_prob = hidden_dropout_prob
        self.attention_probs_dropout_prob = attention_probs_dropout_prob
        self.initializer_range = initializer_range
        init = initializer(initializer_range)
        self.attention = SelfAttention(num_heads, hidden_size // num_heads,
                                       attention_probs_dropout_prob, initializer_range,
                                       name="attention")
        self.attention_output = keras.layers.Dense(hidden_size, kernel_initializer=init,
                                                   name="attention_output")
        self.attention_layer_norm = layer_norm("attention_layer_norm")
        self.intermediate = keras.layers.Dense(intermediate_size,
                                               activation=get_activation(hidden_act),
                                               kernel_initializer=init, name="intermediate")
        self.output_dense = keras.layers.Dense(hidden_size, kernel_initializer=init,
                                               name="output")
        self.output_layer_norm = layer_norm("output_layer_norm")
        self.dropout = keras.layers.Dropout(hidden_dropout_prob, name="dropout")

    def build(self, input_shape):
        h, i = self.hidden_size, self.intermediate_size
        self.attention.build(input_shape)
        self.attention_output.build((None, None, h))
        self.attention_layer_norm.build((None, None, h))
        self.intermediate.build((None, None, h))
        self.output_dense.build((None, None, i))
        self.output_layer_norm.build((None, None, h))
        self.built = True

    def call(self, x, input_mask, training=None):
        shape = tf.shape(x)
        # Dense layers on a [batch * seq, hidden] matrix, as the original's
        # reshape_to_matrix: plain MatMuls that oneDNN fuses with bias and GELU.
        x = tf.reshape(x, [-1, self.hidden_size])
        h = self.attention_sublayer(x, self.attention(x, input_mask, training=training), training)
        return tf.reshape(self.feed_forward(h, training), shape)

    def attention_sublayer(self, x: tf.Tensor, context: tf.Tensor, training=None) -> tf.Tensor:
        """LN(x + Dropout(Dense(context))) for the attention's heads `context` [rows, hidden]."""
        attn = self.dropout(self.attention_output(context), training=training)
        return self.attention_layer_norm(x + tf.cast(attn, x.dtype))

    def feed_forward(self, h: tf.Tensor, training=None) -> tf.Tensor:
        """LN(h + Dropout(Dense(act(Dense(h))))) on [rows, hidden]."""
        out = self.dropout(self.output_dense(self.intermediate(h)), training=training)
        return self.output_layer_norm(h + tf.cast(out, h.dtype))

    def get_config(self):
        return {**super().get_config(), "hidden_size": self.hidden_size,
                "num_heads": self.num_heads, "intermediate_size": self.intermediate_size,
                "hidden_act": self.hidden_act, "hidden_dropout_prob": self.hidden_dropout_prob,
                "attention_probs_dropout_prob": self.attention_probs_dropout_prob,
                "initializer_range": self.initializer_range}
