"""BertSumExt (Liu and Lapata, EMNLP 2019): extractive summarization on a BERT encoder.

The document is one sequence `[CLS] s1 [SEP] [CLS] s2 [SEP] ...` with interval
segment ids (0/1 alternating by sentence, see `bert_tf.data.summarization`). The
encoder's vector at each sentence's [CLS] is that sentence's vector; `inter_layers`
Transformer blocks over the sentences (with sinusoidal sentence-position
encodings) and a sigmoid scorer give each sentence the probability that it
belongs to the summary.

With `sentence_pooling="mean"` (an addition to BertSumExt) a sentence's vector is
the mean of its tokens' vectors, [CLS] to [SEP]: for checkpoints trained with mean
pooling, such as sentence-transformers' all-MiniLM-L6-v2, whose [CLS] vector says
little about the sentence (a logistic-regression probe on its frozen [CLS] vectors
separates the bundled sample's summary sentences no better than the majority class,
67%; on the mean vectors, 100%).

The inter-sentence blocks are the encoder's own post-LN `TransformerBlock`
(8 heads, feed-forward 2048, GELU, dropout 0.1); PreSumm's are pre-LN with a final
LayerNorm. TF1 checkpoint names, under `cls/summarization/` (documented in
`bert_tf.checkpoints`):

  cls/summarization/layer_{i}/...    the `bert/encoder/layer_{i}/...` names of block i
  cls/summarization/output_weights   [1, hidden_size]
  cls/summarization/output_bias      [1]

Example:
  >>> from bert_tf.config import BertConfig
  >>> from bert_tf.models import BertEncoder
  >>> encoder = BertEncoder(BertConfig(vocab_size=100, hidden_size=32, num_hidden_layers=1,
  ...                                  num_attention_heads=4, intermediate_size=64))
  >>> model = BertExtractiveSummarizer(encoder, inter_layers=1, inter_intermediate_size=64)
  >>> ids = tf.constant([[2, 5, 3, 2, 7, 8, 3, 0]])
  >>> out = model({"input_word_ids": ids, "input_mask": tf.cast(ids > 0, tf.int32),
  ...              "input_type_ids": tf.constant([[0, 0, 0, 1, 1, 1, 1, 0]]),
  ...              "cls_positions": tf.constant([[0, 3, 0]]),
  ...              "sentence_mask": tf.constant([[1, 1, 0]])})
  >>> out["scores"].shape, float(out["scores"][0, 2])
  (TensorShape([1, 3]), 0.0)
"""

from __future__ import annotations

import math
import keras
import tensorflow as tf

from bert_tf.layers import OutputProjection, TransformerBlock
from bert_tf.models import INPUT_NAMES, BertEncoder, _TaskModel, encoder_inputs
from bert_tf.errors import UsageError

SENTENCE_INPUTS = ("cls_positions", "sentence_mask")
SENTENCE_POOLING = ("cls", "mean")


def sinusoidal_positions(length: tf.Tensor, dim: int) -> tf.Tensor:
    """Transformer position encodings, float32 [length, dim]: sin on even, cos on odd
    dimensions, wavelengths 2 pi .. 10000 * 2 pi (PreSumm's PositionalEncoding)."""
    position = tf.cast(tf.range(length), tf.float32)[:, None]
    inverse = tf.exp(tf.range(0, dim, 2, dtype=tf.float32) * -(math.log(10000.0) / dim))
    angles = position * inverse[None]  # [length, ceil(dim / 2)]
    # Interleave sin and cos: [length, dim / 2, 2] -> [length, dim].
    both = tf.stack([tf.sin(angles), tf.cos(angles)], axis=-1)
    return tf.reshape(both, [length, -1])[:, :dim]


@keras.saving.register_keras_serializable(package="bert_tf")
class SentenceScorer(keras.layers.Layer):
    """Sentence vectors at the [CLS] positions -> inter-sentence Transformer -> logits.

    Call arguments:
      sequence_output: float32 [batch_size, seq_length, hidden_size], the encoder's.
      cls_positions: int32 [batch_size, max_sentences], each sentence's [CLS] position.
      sentence_mask: int32 [batch_size, max_sentences], 1 = a real sentence, 0 = padding.
      input_mask: int32 [batch_size, seq_length]; needed with sentence_pooling="mean"
        (a sentence runs from its [CLS] to the next one's, the last to the end).

    Returns:
      float32 logits [batch_size, max_sentences]; padding sentences get -10000.
    """

    def __init__(self, hidden_size: int, inter_layers: int = 2, num_heads: int = 8,
                 intermediate_size: int = 2048, dropout_rate: float = 0.1,
                 initializer_range: float = 0.02, sentence_pooling: str = "cls", **kwargs):
        super().__init__(**kwargs)
        if sentence_pooling not in SENTENCE_POOLING:
            raise UsageError(f"--sentence_pooling={sentence_pooling!r}: expected one of "
                             f"{SENTENCE_POOLING}")
        if hidden_size % num_heads:
            raise ValueError(f"hidden_size {hidden_size} is not a multiple of the {num_heads} "
                             "inter-sentence attention heads")
        self.hidden_size, self.inter_layers, self.num_heads = hidden_size, inter_layers, num_heads
        self.intermediate_size, self.dropout_rate = intermediate_size, dropout_rate
        self.initializer_range, self.sentence_pooling = initializer_range, sentence_pooling
        self.transformer_layers = [
            TransformerBlock(hidden_size, num_heads, intermediate_size, "gelu", dropout_rate,
                             dropout_rate, initializer_range, name=f"layer_{i}")
            for i in range(inter_layers)]
        self.dropout = keras.layers.Dropout(dropout_rate, name="dropout")
        self.scorer = OutputProjection(1, initializer_range=initializer_range, name="scorer")

    def build(self, input_shape=None):
        for block in self.transformer_layers:
            block.build((None, None, self.hidden_size))
        self.scorer.build((None, self.hidden_size))
        self.built = True

    def call(self, sequence_output, cls_positions, sentence_mask, input_mask=None,
             training=None):
        mask = tf.cast(sentence_mask, tf.float32)
        sequence_output = tf.cast(sequence_output, tf.float32)
        if self.sentence_pooling == "mean":
            x = _sentence_means(sequence_output, cls_positions, sentence_mask, input_mask)
        else:
            x = tf.gather(sequence_output, cls_positions, batch_dims=1)
        x = x * mask[:, :, None] + sinusoidal_positions(tf.shape(x)[1], self.hidden_size)[None]
        x = self.dropout(x, training=training)
        for block in self.transformer_layers:
            x = block(x, sentence_mask, training=training)
        logits = self.scorer(x)[:, :, 0]
        return logits * mask + (1.0 - mask) * -10000.0

    def get_config(self):
        return {**super().get_config(), "hidden_size": self.hidden_size,
                "inter_layers": self.inter_layers, "num_heads": self.num_heads,
                "intermediate_size": self.intermediate_size, "dropout_rate": self.dropout_rate,
                "initializer_range": self.initializer_range,
                "sentence_pooling": self.sentence_pooling}


def _sentence_means(sequence_output, cls_positions, sentence_mask, input_mask) -> tf.Tensor:
    """Each sentence's mean token vector, float32 [batch_size, max_sentences, hidden_size]."""
    length = tf.reduce_sum(tf.cast(input_mask, tf.int32), axis=1, keepdims=True)
    # A sentence ends where the next real one starts; the last at the end of the input.
    following = tf.concat([cls_positions[:, 1:], tf.zeros_like(cls_positions[:, :1])], 1)
    has_next = tf.concat([sentence_mask[:, 1:], tf.zeros_like(sentence_mask[:, :1])], 1) > 0
    end = tf.where(has_next, following, length)
    t = tf.range(tf.shape(sequence_output)[1])[None, None, :]
    spans = ((t >= cls_positions[:, :, None]) & (t < end[:, :, None])
             & (sentence_mask[:, :, None] > 0))  # [batch, sentences, seq_length]
    spans = tf.cast(spans, tf.float32)
    total = tf.matmul(spans, sequence_output)
    return tf.math.divide_no_nan(total, tf.reduce_sum(spans, -1, keepdims=True))


@keras.saving.register_keras_serializable(package="bert_tf")
class BertExtractiveSummarizer(_TaskModel):
    """run_summarization's model (BertSumExt): encoder + `SentenceScorer` (`cls/summarization`).

    Inputs: the encoder inputs [batch_size, seq_length] plus `cls_positions` and
    `sentence_mask`, int32 [batch_size, max_sentences].
    Outputs: `logits` float32 [batch_size, max_sentences] (-10000 on padding) and
    `scores` = sigmoid(logits), 0 on padding.
    """

    def __init__(self, encoder: BertEncoder, inter_layers: int = 2, inter_heads: int = 8,
                 inter_intermediate_size: int = 2048, dropout_rate: float = 0.1,
                 sentence_pooling: str = "cls", name: str = "bert_summarizer", **kwargs):
        cfg = encoder.config
        inputs = encoder_inputs()
        for input_name in SENTENCE_INPUTS:
            inputs[input_name] = keras.Input(shape=(None,), dtype="int32", name=input_name)
        head = SentenceScorer(cfg.hidden_size, inter_layers, inter_heads, inter_intermediate_size,
                              dropout_rate, cfg.initializer_range, sentence_pooling,
                              name="summarization")
        sequence = encoder({k: inputs[k] for k in INPUT_NAMES})["sequence_output"]
        logits = head(sequence, inputs["cls_positions"], inputs["sentence_mask"],
                      inputs["input_mask"])
        # sigmoid(-10000) is exactly 0 in float32: padding sentences score 0.
        scores = keras.layers.Activation("sigmoid", name="sigmoid", dtype="float32")(logits)
        super().__init__(inputs=inputs, outputs={"logits": logits, "scores": scores}, name=name,
                         **kwargs)
        self.encoder, self.head = encoder, head
        self.inter_layers, self.inter_heads = inter_layers, inter_heads
        self.inter_intermediate_size, self.dropout_rate = inter_intermediate_size, dropout_rate
        self.sentence_pooling = sentence_pooling

    def _head_config(self):
        return {"inter_layers": self.inter_layers, "inter_heads": self.inter_heads,
                "inter_intermediate_size": self.inter_intermediate_size,
                "dropout_rate": self.dropout_rate, "sentence_pooling": self.sentence_pooling}

