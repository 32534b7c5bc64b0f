"""BERT models: the encoder (original `modeling.BertModel`) and task models on top of it.

All are functional Keras models, so every variable exists right after
construction: checkpoints load and SavedModels export without a dummy call.

Example:
  >>> from bert_tf.config import BertConfig
  >>> from bert_tf.models import BertEncoder
  >>> encoder = BertEncoder(BertConfig(vocab_size=100, hidden_size=32, num_hidden_layers=2,
  ...                                  num_attention_heads=4, intermediate_size=64))
  >>> ids = tf.constant([[2, 5, 7, 3, 0]])
  >>> out = encoder({"input_word_ids": ids, "input_mask": tf.cast(ids > 0, tf.int32),
  ...                "input_type_ids": tf.zeros_like(ids)})
  >>> out["sequence_output"].shape, out["pooled_output"].shape, len(out["encoder_outputs"])
  (TensorShape([1, 5, 32]), TensorShape([1, 32]), 2)
"""

from __future__ import annotations

from typing import Sequence

import keras
import tensorflow as tf  # noqa: F401  (used by the doctest above)

from bert_tf.config import BertConfig
from bert_tf.layers import (BertEmbeddings, DecoderBlock, MaskedLMHead, OutputProjection,
                            TransformerBlock, attention_mask_adder)
from bert_tf.layers.embeddings import initializer
from bert_tf.errors import UsageError

INPUT_NAMES = ("input_word_ids", "input_mask", "input_type_ids")


def encoder_inputs(seq_length: int | None = None) -> dict[str, keras.KerasTensor]:
    """The three int32 inputs [batch_size, seq_length] (TF-Hub names)."""
    return {name: keras.Input(shape=(seq_length,), dtype="int32", name=name)
            for name in INPUT_NAMES}


def model_inputs(model: keras.Model, batch: dict) -> dict:
    """The entries of `batch` that `model` takes (batches also carry labels etc.)."""
    return {name: batch[name] for name in model.input}


@keras.saving.register_keras_serializable(package="bert_tf")
class BertEncoder(keras.Model):
    """The BERT encoder: embeddings, `num_hidden_layers` post-LN blocks, tanh pooler.

    Inputs (dict of int32 [batch_size, seq_length]): `input_word_ids`,
    `input_mask` (1 = real token, 0 = padding), `input_type_ids` (segment ids).

    Outputs (dict):
      sequence_output: float32 [batch_size, seq_length, hidden_size], the last layer.
      pooled_output: [batch_size, hidden_size], tanh(Dense(sequence_output[:, 0])).
      encoder_outputs: list of num_hidden_layers float32 [batch_size, seq_length, hidden_size].
    """

    sequence_outputs = ("sequence_output", "encoder_outputs")

    def __init__(self, config: BertConfig | dict, name: str = "bert", **kwargs):
        if isinstance(config, dict):
            config = BertConfig(**config)
        inputs = encoder_inputs()
        embeddings = BertEmbeddings(
            config.vocab_size, config.hidden_size, config.max_position_embeddings,
            config.type_vocab_size, config.hidden_dropout_prob, config.initializer_range,
            name="embeddings")
        blocks = [
            TransformerBlock(config.hidden_size, config.num_attention_heads,
                             config.intermediate_size, config.hidden_act,
                             config.hidden_dropout_prob, config.attention_probs_dropout_prob,
                             config.initializer_range, name=f"layer_{i}")
            for i in range(config.num_hidden_layers)]
        pooler = keras.layers.Dense(config.hidden_size, activation="tanh",
                                    kernel_initializer=initializer(config.initializer_range),
                                    name="pooler")

        x = embeddings(inputs["input_word_ids"], inputs["input_type_ids"])
        layer_outputs = []
        for block in blocks:
            x = block(x, inputs["input_mask"])
            layer_outputs.append(x)
        outputs = {"sequence_output": x, "pooled_output": pooler(x[:, 0, :]),
                   "encoder_outputs": layer_outputs}
        super().__init__(inputs=inputs, outputs=outputs, name=name, **kwargs)
        self.config = config
        self.embeddings = embeddings
        self.transformer_layers = blocks
        self.pooler = pooler

    def get_config(self):
        return {"name": self.name, "config": self.config.to_dict()}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class _TaskModel(keras.Model):
    """A functional model of `encoder` plus a head; serializes the encoder inside."""

    # Outputs with one row per input token: predict runs them on trimmed batches and
    # pads them back (see `Trainer.predict`).
    sequence_outputs: tuple[str, ...] = ()

    def get_config(self):
        return {"name": self.name, "encoder": keras.saving.serialize_keras_object(self.encoder),
                **self._head_config()}

    def _head_config(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["encoder"] = keras.saving.deserialize_keras_object(config["encoder"])
        return cls(**config)


@keras.saving.register_keras_serializable(package="bert_tf")
class BertPretrainer(_TaskModel):
    """Encoder + masked-LM head (`cls/predictions`) + next-sentence head (`cls/seq_relationship`).

    Inputs: the encoder inputs plus `masked_lm_positions` int32 [batch_size, max_predictions].
    Outputs: `mlm_logits` float32 [batch_size, max_predictions, vocab_size],
             `nsp_logits` float32 [batch_size, 2] (0 = is next, 1 = random).
    """

    def __init__(self, encoder: BertEncoder, name: str = "bert_pretrainer", **kwargs):
        cfg = encoder.config
        inputs = encoder_inputs()
        inputs["masked_lm_positions"] = keras.Input(shape=(None,), dtype="int32",
                                                    name="masked_lm_positions")
        mlm = MaskedLMHead(encoder.embeddings, cfg.hidden_act, cfg.initializer_range,
                           name="predictions")
        nsp = OutputProjection(2, initializer_range=cfg.initializer_range,
                               name="seq_relationship")
        enc = encoder({k: inputs[k] for k in INPUT_NAMES})
        outputs = {"mlm_logits": mlm(enc["sequence_output"], inputs["masked_lm_positions"]),
                   "nsp_logits": nsp(enc["pooled_output"])}
        super().__init__(inputs=inputs, outputs=outputs, name=name, **kwargs)
        self.encoder, self.mlm, self.nsp = encoder, mlm, nsp


@keras.saving.register_keras_serializable(package="bert_tf")
class BertClassifier(_TaskModel):
    """run_classifier's model: dropout on the pooled output, then `output_weights/output_bias`.

    Outputs: `logits` float32 [batch_size, num_labels] (num_labels 1 = regression).
    """

    def __init__(self, encoder: BertEncoder, num_labels: int, dropout_rate: float = 0.1,
                 name: str = "bert_classifier", **kwargs):
        inputs = encoder_inputs()
        head = OutputProjection(num_labels, dropout_rate, encoder.config.initializer_range,
                                name="classifier")
        outputs = {"logits": head(encoder(inputs)["pooled_output"])}
        super().__init__(inputs=inputs, outputs=outputs, name=name, **kwargs)
        self.encoder, self.head = encoder, head
        self.num_labels, self.dropout_rate = num_labels, dropout_rate

    def _head_config(self):
        return {"num_labels": self.num_labels, "dropout_rate": self.dropout_rate}


@keras.saving.register_keras_serializable(package="bert_tf")
class BertSpanLabeler(_TaskModel):
    """run_squad's model: `cls/squad/output_weights` [2, hidden] on every token.

    Outputs: `start_logits`, `end_logits` float32 [batch_size, seq_length].
    """

    sequence_outputs = ("start_logits", "end_logits")

    def __init__(self, encoder: BertEncoder, name: str = "bert_span_labeler", **kwargs):
        inputs = encoder_inputs()
        head = OutputProjection(2, initializer_range=encoder.config.initializer_range,
                                name="squad")
        logits = head(encoder(inputs)["sequence_output"])
        outputs = {"start_logits": logits[:, :, 0], "end_logits": logits[:, :, 1]}
        super().__init__(inputs=inputs, outputs=outputs, name=name, **kwargs)
        self.encoder, self.head = encoder, head


@keras.saving.register_keras_serializable(package="bert_tf")
class BertTokenTagger(_TaskModel):
    """run_ner's model: dropout, then `cls/ner/output_weights` [num_labels, hidden] per token.

    Outputs: `logits` float32 [batch_size, seq_length, num_labels].
    """

    sequence_outputs = ("logits",)

    def __init__(self, encoder: BertEncoder, num_labels: int, dropout_rate: float = 0.1,
                 name: str = "bert_token_tagger", **kwargs):
        inputs = encoder_inputs()
        head = OutputProjection(num_labels, dropout_rate, encoder.config.initializer_range,
                                name="ner")
        outputs = {"logits": head(encoder(inputs)["sequence_output"])}
        super().__init__(inputs=inputs, outputs=outputs, name=name, **kwargs)
        self.encoder, self.head = encoder, head
        self.num_labels, self.dropout_rate = num_labels, dropout_rate

    def _head_config(self):
        return {"num_labels": self.num_labels, "dropout_rate": self.dropout_rate}


DECODER_INITS = ("bert", "shared", "random")
DECODER_WORD_TABLES = ("encoder", "own")


def check_decoder_options(decoder_init: str, decoder_word_table: str) -> None:
    """Raises UsageError for a `BertSeq2Seq` decoder mode or word table it cannot build."""
    if decoder_init not in DECODER_INITS:
        raise UsageError(f"--decoder_init={decoder_init!r}: expected one of {DECODER_INITS}")
    if decoder_word_table not in DECODER_WORD_TABLES:
        raise UsageError(f"--decoder_word_table={decoder_word_table!r}: expected one of "
                         f"{DECODER_WORD_TABLES}")
    if decoder_init == "shared" and decoder_word_table == "own":
        raise UsageError("--decoder_word_table=own needs a decoder of its own: "
                         "--decoder_init=bert or random, not shared")


@keras.saving.register_keras_serializable(package="bert_tf")
class BertSeq2Seq(_TaskModel):
    """bert2bert (Rothe et al., TACL 2020): the BERT encoder and a BERT-shaped decoder.

    The decoder embeds the target with a word table that the output projection uses
    too (tied, after the `cls/predictions` transform and with its output bias), then
    runs `num_hidden_layers` `DecoderBlock`s: causal self-attention, cross-attention
    over the encoder output, feed-forward.

    decoder_init:
      "bert"   (bert2bert) the decoder's position/type embeddings, LayerNorm and
               blocks are its own variables, warm-started from the same BERT
               checkpoint as the encoder; only cross-attention starts random.
      "shared" (bertShare) the decoder uses the encoder's embeddings and block
               variables; only cross-attention is its own.
      "random" (bert2rnd) the decoder's own variables start random.

    decoder_word_table:
      "encoder" the decoder's word table is the encoder's (one table for source,
               target and output).
      "own"    the decoder has its own, warm-started like its other embeddings
               (Hugging Face's EncoderDecoderModel); the output projection's
               gradient then never moves the encoder's input embeddings.

    target_vocab: token ids the decoder may output (run_seq2seq passes the training
      targets' wordpieces); the others' logits are -10000 (`MaskedLMHead` output_ids).
      None: the whole vocabulary.

    Inputs: the encoder inputs plus `decoder_input_ids` int32 [batch_size, target_length]:
      [CLS] y_1 ... y_{n-1}, the target shifted right ([CLS] starts, [SEP] ends).
    Outputs: `logits` float32 [batch_size, target_length, vocab_size], for y_1 ... y_n.
    """

    def __init__(self, encoder: BertEncoder, decoder_init: str = "bert",
                 target_vocab: Sequence[int] | None = None, decoder_word_table: str = "encoder",
                 name: str = "bert_seq2seq", **kwargs):
        check_decoder_options(decoder_init, decoder_word_table)
        cfg = encoder.config
        inputs = encoder_inputs()
        inputs["decoder_input_ids"] = keras.Input(shape=(None,), dtype="int32",
                                                  name="decoder_input_ids")
        shared = decoder_init == "shared"
        embeddings = encoder.embeddings if shared else BertEmbeddings(
            cfg.vocab_size, cfg.hidden_size, cfg.max_position_embeddings, cfg.type_vocab_size,
            cfg.hidden_dropout_prob, cfg.initializer_range,
            shared_word_embeddings=encoder.embeddings if decoder_word_table == "encoder" else None,
            name="decoder_embeddings")
        blocks = [
            DecoderBlock(cfg.hidden_size, cfg.num_attention_heads, cfg.intermediate_size,
                         cfg.hidden_act, cfg.hidden_dropout_prob,
                         cfg.attention_probs_dropout_prob, cfg.initializer_range,
                         shared=encoder.transformer_layers[i] if shared else None,
                         name=f"decoder_layer_{i}")
            for i in range(cfg.num_hidden_layers)]
        head = MaskedLMHead(embeddings, cfg.hidden_act, cfg.initializer_range,
                            output_ids=target_vocab, name="predictions")
        source = encoder({k: inputs[k] for k in INPUT_NAMES})["sequence_output"]
        target = inputs["decoder_input_ids"]
        x = embeddings(target, keras.ops.zeros_like(target))
        for block in blocks:
            x = block(x, source, inputs["input_mask"])
        super().__init__(inputs=inputs, outputs={"logits": head(x)}, name=name, **kwargs)
        self.encoder, self.decoder_embeddings, self.decoder_layers = encoder, embeddings, blocks
        self.lm_head, self.decoder_init = head, decoder_init
        self.decoder_word_table, self.target_vocab = decoder_word_table, head.output_ids
        self._draw_new_matrices(cfg.initializer_range)

    def _draw_new_matrices(self, stddev: float) -> None:
        """Redraws the matrices this model adds to its encoder from normal(0, stddev).

        Hugging Face's EncoderDecoderModel draws the weights that a warm start does not
        load (cross-attention, the head's transform) from the untruncated normal; with
        the original's truncated normal, headlines ROUGE-2 was 4 points lower
        (docs/results.md). Biases and LayerNorm (vectors) keep their zeros and ones;
        the encoder, possibly loaded already, is left as it is.
        """
        encoder = {id(w) for w in self.encoder.weights}
        seed = keras.random.SeedGenerator()
        for w in self.weights:
            if len(w.shape) == 2 and id(w) not in encoder:
                w.assign(keras.random.normal(w.shape, stddev=stddev, seed=seed))

    def _head_config(self):
        return {"decoder_init": self.decoder_init, "target_vocab": self.target_vocab,
                "decoder_word_table": self.decoder_word_table}

    # -- incremental decoding (see bert_tf.decoding) -------------------------

    def initial_cache(self, inputs: dict[str, tf.Tensor], max_length: int) -> dict:
        """Encodes the source once; returns the decoding cache for `max_length` positions.

        Returns a dict of float32 tensors, each with the batch first: per layer
        "layer_i": {"key", "value": zeros [B, N, L, H]}, the self-attention cache
        that beam search tiles and reorders; and "source" (per source, never tiled:
        the beams of a source share it): {"bias": [B, 1, 1, S]} and per layer
        "layer_i": {"key", "value": [B, N, S, H]}, the cross-attention's.
        """
        source = self.encoder({k: inputs[k] for k in INPUT_NAMES},
                              training=False)["sequence_output"]
        b = tf.shape(source)[0]
        cache = {"source": {"bias": attention_mask_adder(inputs["input_mask"])}}
        for i, block in enumerate(self.decoder_layers):
            heads = block.attention
            zeros = tf.zeros([b, heads.num_heads, max_length, heads.head_size], source.dtype)
            cache[f"layer_{i}"] = {"key": zeros, "value": zeros}
            cross_key, cross_value = block.cross_keys_values(source)
            cache["source"][f"layer_{i}"] = {"key": cross_key, "value": cross_value}
        return cache

    def decode_step(self, ids: tf.Tensor, position: tf.Tensor, cache: dict,
                    output_weights: tuple[tf.Tensor, tf.Tensor] | None = None
                    ) -> tuple[tf.Tensor, dict]:
        """Next-token logits for ids [B, 1] at `position`: (float32 [B, V], cache).

        V = len(target_vocab), column j scoring id target_vocab[j] (the ids outside
        it are never output), or vocab_size. `output_weights`: the head's, gathered
        once per search (`MaskedLMHead.output_weights`).
        """
        x = self.decoder_embeddings(ids, tf.zeros_like(ids), position_offset=position,
                                    training=False)
        cache, source = dict(cache), cache["source"]
        for i, block in enumerate(self.decoder_layers):
            x, cache[f"layer_{i}"] = block.step(x, position, cache[f"layer_{i}"],
                                                source[f"layer_{i}"], source["bias"])
        return self.lm_head.project(x[:, 0], output_weights), cache
