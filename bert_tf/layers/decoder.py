"""The bert2bert decoder block: causal self-attention, cross-attention, feed-forward (post-LN).

Rothe, Narayan and Severyn (TACL 2020) warm-start a Transformer decoder from BERT:
its self-attention and feed-forward sublayers have BERT's shapes and names, so they
load from a BERT layer; only the cross-attention over the encoder is new.

Shape legend: B = batch size (sources), K = hypotheses (beams) per source, F = target
positions in this call, S = source length, L = cache length (the longest output),
N = heads, H = size per head, D = N * H.
"""

from __future__ import annotations

import keras
import tensorflow as tf

from bert_tf.layers.attention import SelfAttention, attention_mask_adder
from bert_tf.layers.embeddings import initializer, layer_norm
from bert_tf.layers.transformer import TransformerBlock

# Sublayers a bertShare decoder block takes from its encoder block.
_SHARED = ("attention", "attention_output", "attention_layer_norm", "intermediate",
           "output_dense", "output_layer_norm")


def causal_bias(length: tf.Tensor) -> tf.Tensor:
    """float32 [1, 1, F, F]: 0 where position j <= i may be attended, -10000 after.

    The original's additive -10000 (not -inf), as for padding.
    """
    allowed = tf.linalg.band_part(tf.ones([length, length]), -1, 0)
    return ((1.0 - allowed) * -10000.0)[None, None]


def step_bias(position: tf.Tensor, length: int) -> tf.Tensor:
    """float32 [1, 1, 1, L]: the cache slots up to `position` attended, later ones masked."""
    allowed = tf.cast(tf.range(length) <= position, tf.float32)
    return ((1.0 - allowed) * -10000.0)[None, None, None]


@keras.saving.register_keras_serializable(package="bert_tf")
class DecoderBlock(TransformerBlock):
    """h = LN(x + SelfAttn(x, causal)); c = LN(h + CrossAttn(h, encoder)); out = LN(c + FFN(c)).

    Args (besides TransformerBlock's):
      shared: an encoder `TransformerBlock` whose self-attention and feed-forward
        sublayers this block uses as its own (bertShare). Not part of
        `get_config`; the model passes it again.

    Call arguments (teacher forcing):
      x: float Tensor [B, F, D], the embedded target prefix.
      encoder_output: float Tensor [B, S, D].
      encoder_mask: int Tensor [B, S], 1 for source tokens, 0 for padding.

    Returns:
      float32 Tensor [B, F, D]; position i sees target positions <= i only.
    """

    def __init__(self, *args, shared: TransformerBlock | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.shared = shared
        if shared is not None:
            for name in _SHARED:
                setattr(self, name, getattr(shared, name))
        self.cross_attention = SelfAttention(
            self.num_heads, self.hidden_size // self.num_heads, self.attention_probs_dropout_prob,
            self.initializer_range, name="cross_attention")
        self.cross_attention_output = keras.layers.Dense(
            self.hidden_size, kernel_initializer=initializer(self.initializer_range),
            name="cross_attention_output")
        self.cross_attention_layer_norm = layer_norm("cross_attention_layer_norm")

    def build(self, input_shape):
        h, i = self.hidden_size, self.intermediate_size
        for layer, width in ((self.attention, h), (self.attention_output, h),
                             (self.attention_layer_norm, h), (self.cross_attention, h),
                             (self.cross_attention_output, h),
                             (self.cross_attention_layer_norm, h), (self.intermediate, h),
                             (self.output_dense, i), (self.output_layer_norm, h)):
            if not layer.built:  # a shared sublayer was built by its encoder block
                layer.build((None, width))
        self.built = True

    def call(self, x, encoder_output, encoder_mask, training=None):
        shape = tf.shape(x)
        b, f = shape[0], shape[1]
        x = tf.reshape(x, [-1, self.hidden_size])
        sa = self.attention
        q, k, v = (sa.heads(d, x, b, f) for d in (sa.query, sa.key, sa.value))
        h = self.attention_sublayer(x, sa.attend(q, k, v, causal_bias(f), training), training)
        cross_key, cross_value = self.cross_keys_values(encoder_output)
        out = self._cross_and_feed_forward(h, b, f, cross_key, cross_value,
                                           attention_mask_adder(encoder_mask), training)
        return tf.reshape(out, shape)

    def cross_keys_values(self, encoder_output: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        """Cross-attention keys and values [B, N, S, H]: computed once per source."""
        ca = self.cross_attention
        b, s = tf.shape(encoder_output)[0], tf.shape(encoder_output)[1]
        flat = tf.reshape(encoder_output, [-1, self.hidden_size])
        return ca.heads(ca.key, flat, b, s), ca.heads(ca.value, flat, b, s)

    def step(self, x: tf.Tensor, position: tf.Tensor, cache: dict[str, tf.Tensor],
             cross: dict[str, tf.Tensor], encoder_bias: tf.Tensor
             ) -> tuple[tf.Tensor, dict[str, tf.Tensor]]:
        """One output position with a key/value cache (inference).

        Args:
          x: float Tensor [B * K, 1, D], the embedded token at `position` of K
            hypotheses (beams) per source, a source's adjacent.
          position: int32 scalar.
          cache: "key", "value" [B * K, N, L, H], this block's self-attention keys
            and values of the earlier positions (zeros from `position` on).
          cross: "key", "value" [B, N, S, H] from `cross_keys_values`, once per source.
          encoder_bias: float32 [B, 1, 1, S] from `attention_mask_adder`.

        Returns:
          ([B * K, 1, D], the cache with this position's key and value written in).
        """
        rows = tf.shape(x)[0]
        x = tf.reshape(x, [-1, self.hidden_size])
        sa = self.attention
        q, k, v = (sa.heads(d, x, rows, 1) for d in (sa.query, sa.key, sa.value))
        length = cache["key"].shape[2]
        # Write slot `position` by adding into zeros: the same shapes every step, so
        # the loop compiles once (XLA, TPU) and beams reorder the cache by gathering.
        slot = tf.one_hot(position, length, dtype=k.dtype)[None, None, :, None]
        keys, values = cache["key"] + slot * k, cache["value"] + slot * v
        context = sa.attend(q, keys, values, step_bias(position, length))
        h = self.attention_sublayer(x, context)
        # A source's K hypotheses attend to it as K query positions.
        sources = tf.shape(cross["key"])[0]
        out = self._cross_and_feed_forward(h, sources, rows // sources, cross["key"],
                                           cross["value"], encoder_bias, None)
        return tf.reshape(out, [rows, 1, self.hidden_size]), {"key": keys, "value": values}

    def _cross_and_feed_forward(self, h, b, f, cross_key, cross_value, encoder_bias, training):
        ca = self.cross_attention
        context = ca.attend(ca.heads(ca.query, h, b, f), cross_key, cross_value, encoder_bias,
                            training)
        attn = self.dropout(self.cross_attention_output(context), training=training)
        c = self.cross_attention_layer_norm(h + tf.cast(attn, h.dtype))
        return self.feed_forward(c, training)
