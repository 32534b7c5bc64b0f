"""Sentence embeddings: pool an encoder's per-token outputs into one vector per text.

  cls     the [CLS] token's final hidden state (position 0);
  mean    the average over real tokens (input_mask == 1), as sentence-transformers'
          `Pooling(pooling_mode_mean_tokens=True)`: sum(h * mask) / max(sum(mask), 1e-9);
  max     the element-wise maximum over real tokens (padding is set to -1e9 first,
          as sentence-transformers' max pooling);
  pooler  the encoder's pooled_output, tanh(W [CLS] + b), trained by next-sentence
          prediction (weak for similarity, kept for completeness).

`l2_normalize` divides by the vector's L2 norm (torch.nn.functional.normalize's
x / max(||x||, 1e-12)), so a dot product of two outputs is their cosine similarity.
Checkpoints trained with sentence-transformers (all-MiniLM-L6-v2 and others) expect
mean pooling followed by normalisation.
"""

from __future__ import annotations

from typing import Mapping

import tensorflow as tf

from bert_tf.errors import UsageError

POOLING = ("cls", "mean", "max", "pooler")


def check_pooling(pooling: str) -> str:
    if pooling not in POOLING:
        raise UsageError(f"--pooling={pooling!r}: expected one of {', '.join(POOLING)}")
    return pooling


def pool(sequence_output: tf.Tensor, input_mask: tf.Tensor, pooling: str,
         pooled_output: tf.Tensor | None = None) -> tf.Tensor:
    """[batch, seq, hidden] per-token vectors -> [batch, hidden] float32 text vectors.

    Args:
      sequence_output: float [batch, seq, hidden], an encoder layer's output.
      input_mask: int or bool [batch, seq], 1 on real tokens ([CLS], text, [SEP]).
      pooling: one of POOLING.
      pooled_output: float [batch, hidden], the encoder's pooler output; needed for "pooler".
    """
    check_pooling(pooling)
    x = tf.cast(sequence_output, tf.float32)
    if pooling == "cls":
        return x[:, 0]
    if pooling == "pooler":
        if pooled_output is None:
            raise ValueError("pooling='pooler' needs the encoder's pooled_output")
        return tf.cast(pooled_output, tf.float32)
    mask = tf.cast(input_mask, tf.float32)[:, :, None]  # [batch, seq, 1]
    if pooling == "mean":
        return tf.reduce_sum(x * mask, axis=1) / tf.maximum(tf.reduce_sum(mask, axis=1), 1e-9)
    return tf.reduce_max(tf.where(mask > 0, x, -1e9), axis=1)


def l2_normalize(vectors: tf.Tensor) -> tf.Tensor:
    """[batch, hidden] -> the same vectors with unit L2 norm (zero vectors stay zero)."""
    vectors = tf.cast(vectors, tf.float32)
    norm = tf.norm(vectors, axis=-1, keepdims=True)
    return vectors / tf.maximum(norm, 1e-12)


def embed(encoder_outputs: Mapping[str, tf.Tensor], input_mask: tf.Tensor, pooling: str,
          normalize: bool = False) -> tf.Tensor:
    """A BertEncoder's output dict (sequence_output [batch, seq, hidden], pooled_output
    [batch, hidden]) -> [batch, hidden] float32 text vectors, L2-normalised if `normalize`."""
    vectors = pool(encoder_outputs["sequence_output"], input_mask, pooling,
                   encoder_outputs.get("pooled_output"))
    return l2_normalize(vectors) if normalize else vectors
