"""Per-task losses with the original's normalisations: (model, batch, training) -> loss.

Each returns the scalar loss of one replica's batch; the training loop averages
replicas and accumulation steps.
"""

from __future__ import annotations

from typing import Callable, Mapping, Sequence

import keras
import tensorflow as tf

from bert_tf.models import model_inputs
from bert_tf.errors import UsageError


def _ce(labels: tf.Tensor, logits: tf.Tensor) -> tf.Tensor:
    """-log softmax(logits)[label], float32."""
    return tf.nn.sparse_softmax_cross_entropy_with_logits(tf.cast(labels, tf.int32),
                                                          tf.cast(logits, tf.float32))


def pretraining_losses(outputs: Mapping[str, tf.Tensor], batch: Mapping[str, tf.Tensor]
                       ) -> dict[str, tf.Tensor]:
    """The original's MLM and NSP losses and their per-example values.

    MLM: sum(w * ce) / (sum(w) + 1e-5) over the masked positions, weighted by
    `masked_lm_weights` (0 for padding predictions). NSP: mean ce over the batch.
    """
    weights = tf.cast(batch["masked_lm_weights"], tf.float32)
    mlm_ce = _ce(batch["masked_lm_ids"], outputs["mlm_logits"])  # [batch, predictions]
    mlm_loss = tf.reduce_sum(weights * mlm_ce) / (tf.reduce_sum(weights) + 1e-5)
    nsp_ce = _ce(tf.reshape(batch["next_sentence_labels"], [-1]), outputs["nsp_logits"])
    nsp_loss = tf.reduce_mean(nsp_ce)
    return {"masked_lm_loss": mlm_loss, "next_sentence_loss": nsp_loss,
            "masked_lm_example_loss": mlm_ce, "next_sentence_example_loss": nsp_ce}


def pretraining_loss(model: keras.Model, batch: Mapping[str, tf.Tensor], training: bool) -> tf.Tensor:
    """Total pretraining loss = MLM + NSP."""
    losses = pretraining_losses(model(model_inputs(model, batch), training=training), batch)
    return losses["masked_lm_loss"] + losses["next_sentence_loss"]


def classification_example_losses(logits: tf.Tensor, batch: Mapping[str, tf.Tensor]
                                   ) -> tf.Tensor:
    """Per-example loss [batch_size]: cross entropy; squared error when num_labels == 1."""
    if logits.shape[-1] == 1:
        labels = tf.cast(tf.reshape(batch["label_ids"], [-1]), tf.float32)
        return tf.square(tf.cast(logits[:, 0], tf.float32) - labels)
    return _ce(tf.reshape(batch["label_ids"], [-1]), logits)


def classification_loss(model: keras.Model, batch: Mapping[str, tf.Tensor], training: bool
                        ) -> tf.Tensor:
    """run_classifier: mean cross entropy; mean squared error when num_labels == 1 (STS-B)."""
    logits = model(model_inputs(model, batch), training=training)["logits"]
    return tf.reduce_mean(classification_example_losses(logits, batch))


def multi_label_example_losses(logits: tf.Tensor, batch: Mapping[str, tf.Tensor]) -> tf.Tensor:
    """Per-example loss [batch_size]: binary cross entropy of sigmoid(logits) [batch_size,
    num_labels] against the multi-hot `label_ids` [batch_size, num_labels], summed over labels."""
    labels = tf.cast(batch["label_ids"], tf.float32)
    bce = tf.nn.sigmoid_cross_entropy_with_logits(labels, tf.cast(logits, tf.float32))
    return tf.reduce_sum(bce, axis=-1)


def multi_label_loss(model: keras.Model, batch: Mapping[str, tf.Tensor], training: bool
                     ) -> tf.Tensor:
    """run_classifier --multi_label: binary cross entropy summed over the labels, averaged
    over the examples (so each label's term weighs as much as one softmax example's)."""
    logits = model(model_inputs(model, batch), training=training)["logits"]
    return tf.reduce_mean(multi_label_example_losses(logits, batch))


def span_example_losses(outputs: Mapping[str, tf.Tensor], batch: Mapping[str, tf.Tensor]
                        ) -> tf.Tensor:
    """Per-example (ce of the start position + ce of the end position) / 2, [batch_size]."""
    start = _ce(tf.reshape(batch["start_positions"], [-1]), outputs["start_logits"])
    end = _ce(tf.reshape(batch["end_positions"], [-1]), outputs["end_logits"])
    return (start + end) / 2.0


def span_loss(model: keras.Model, batch: Mapping[str, tf.Tensor], training: bool) -> tf.Tensor:
    """run_squad: (mean ce of the start position + mean ce of the end position) / 2."""
    out = model(model_inputs(model, batch), training=training)
    return tf.reduce_mean(span_example_losses(out, batch))


def masked_span_loss(model: keras.Model, batch: Mapping[str, tf.Tensor], training: bool
                     ) -> tf.Tensor:
    """run_squad with --dynamic_padding: `span_loss` with the padding positions' logits
    at -10000 (as attention masks them), so the softmax covers the real tokens only and
    the loss is the same at any length the batch is cut to. (The original's softmax
    also covers max_seq_length's padding; --dynamic_padding=false keeps that.)"""
    out = model(model_inputs(model, batch), training=training)
    # [batch_size, seq_length]: 0 on real tokens, -10000 on padding.
    adder = (1.0 - tf.cast(batch["input_mask"], tf.float32)) * -10000.0
    out = {k: tf.cast(out[k], tf.float32) + adder for k in ("start_logits", "end_logits")}
    return tf.reduce_mean(span_example_losses(out, batch))


def tagging_token_losses(logits: tf.Tensor, batch: Mapping[str, tf.Tensor]
                         ) -> tuple[tf.Tensor, tf.Tensor]:
    """(ce, weight) per position [batch_size, seq_length]; weight 1 on each word's first
    wordpiece (the labelled positions), 0 elsewhere."""
    weights = tf.cast(batch["label_weights"], tf.float32)
    return _ce(tf.maximum(batch["label_ids"], 0), logits), weights


def tagging_loss(model: keras.Model, batch: Mapping[str, tf.Tensor], training: bool) -> tf.Tensor:
    """run_ner: ce averaged over labelled positions (each word's first wordpiece)."""
    logits = model(model_inputs(model, batch), training=training)["logits"]
    ce, weights = tagging_token_losses(logits, batch)
    return tf.math.divide_no_nan(tf.reduce_sum(weights * ce), tf.reduce_sum(weights))


def token_cross_entropy(logits: tf.Tensor, target_ids: tf.Tensor,
                        label_smoothing: float = 0.0,
                        vocab_ids: Sequence[int] | None = None) -> tf.Tensor:
    """Per-token cross entropy float32 [batch_size, length] of next-token logits.

    With label_smoothing e the target distribution is (1 - e) on the reference
    token plus e spread evenly over the vocabulary (Szegedy et al., 2016), or over
    `vocab_ids` when the model can output only those.
    """
    logits = tf.cast(logits, tf.float32)
    ce = _ce(target_ids, logits)
    if label_smoothing:
        log_probs = tf.nn.log_softmax(logits)
        if vocab_ids is not None:
            log_probs = tf.gather(log_probs, vocab_ids, axis=-1)
        ce = (1.0 - label_smoothing) * ce - label_smoothing * tf.reduce_mean(log_probs, -1)
    return ce


def seq2seq_loss(label_smoothing: float = 0.0) -> Callable[..., tf.Tensor]:
    """run_seq2seq: token cross entropy averaged over real target tokens (`target_mask`)."""
    if not 0.0 <= label_smoothing < 1.0:
        raise UsageError(f"--label_smoothing must be in [0, 1), got {label_smoothing}")

    def loss(model: keras.Model, batch: Mapping[str, tf.Tensor], training: bool) -> tf.Tensor:
        logits = model(model_inputs(model, batch), training=training)["logits"]
        ce = token_cross_entropy(logits, batch["target_ids"], label_smoothing,
                                 getattr(model, "target_vocab", None))
        weights = tf.cast(batch["target_mask"], tf.float32)
        return tf.math.divide_no_nan(tf.reduce_sum(weights * ce), tf.reduce_sum(weights))

    return loss


def summarization_loss(model: keras.Model, batch: Mapping[str, tf.Tensor], training: bool
                       ) -> tf.Tensor:
    """Binary cross entropy of each real sentence's oracle label, averaged over the
    batch's real sentences (PreSumm sums BCE over sentences, masked)."""
    logits = model(model_inputs(model, batch), training=training)["logits"]
    mask = tf.cast(batch["sentence_mask"], tf.float32)
    bce = tf.nn.sigmoid_cross_entropy_with_logits(tf.cast(batch["labels"], tf.float32), logits)
    return tf.math.divide_no_nan(tf.reduce_sum(bce * mask), tf.reduce_sum(mask))
