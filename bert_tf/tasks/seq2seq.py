"""Sequence-to-sequence generation warm-started from BERT (bert2bert): run_seq2seq.py."""

from __future__ import annotations

import csv
import os

import keras
import numpy as np
import tensorflow as tf
from absl import logging

from bert_tf import decoding, inference, losses, models, text, text_metrics
from bert_tf.data import records, seq2seq
from bert_tf.io import atomic_open
from bert_tf.run_info import RunInfo
from bert_tf.tasks.base import Task


class Seq2SeqTask(Task):
    model_type = "seq2seq"
    recorded_flags = ("do_lower_case", "source_column", "target_column", "max_source_length",
                      "max_target_length", "max_decode_length", "decoder_init",
                      "decoder_word_table")
    # Source and target are cut separately, each to its own longest real sequence.
    padded_features = (records.ENCODER_INPUTS,
                       records.PaddedGroup("target_mask", ("decoder_input_ids", "target_ids",
                                                           "target_mask")))

    def validate(self) -> None:
        self.require_files(("do_train", "train_file"), ("do_eval", "eval_file"),
                           ("do_predict", "predict_file"))
        models.check_decoder_options(self.decoder_init, self.decoder_word_table)
        # The output vocabulary is the run's own unless this run trains a new one.
        self.target_vocab = None if self.s.do_train else (self.info and
                                                          self.info.get("target_vocab"))

    @property
    def decoder_init(self) -> str:
        return self.s.decoder_init or "bert"

    @property
    def decoder_word_table(self) -> str:
        return self.s.get("decoder_word_table") or "encoder"

    @property
    def decode_length(self) -> int:
        return self.s.max_decode_length or self.s.max_target_length

    def run_info(self) -> RunInfo:
        info = super().run_info()
        info.settings.update(decoder_init=self.decoder_init, max_decode_length=self.decode_length,
                             target_vocab=self.target_vocab,
                             decoder_word_table=self.decoder_word_table)
        return info

    def build_model(self, config) -> keras.Model:
        return models.BertSeq2Seq(models.BertEncoder(config), self.decoder_init,
                                  self.target_vocab, self.decoder_word_table)

    def loss_fn(self, strategy):
        return losses.seq2seq_loss(self.s.label_smoothing)

    # -- data -----------------------------------------------------------------

    def train_examples(self) -> list:
        s = self.s
        pairs = seq2seq.read_pairs(s.train_file, s.source_column, s.target_column)
        if s.target_vocab == "train":
            self.target_vocab = seq2seq.target_vocabulary(pairs, self.tokenizer,
                                                          s.max_target_length)
            logging.info("Output vocabulary: the %d wordpieces of the training targets",
                         len(self.target_vocab))
        return pairs

    def _features(self, pairs, name: str, targets: bool) -> str:
        path = self.record_path(name)
        seq2seq.write_features(pairs if targets else [seq2seq.Pair(p.guid, p.source)
                                                      for p in pairs],
                               self.tokenizer, self.s.max_source_length,
                               self.s.max_target_length, path)
        return path

    def train_records(self, examples) -> list[str]:
        return [self._features(examples, "train", targets=True)]

    def name_to_features(self, training: bool, targets: bool = True) -> dict:
        return seq2seq.name_to_features(self.s.max_source_length,
                                        self.s.max_target_length if targets else None)

    def _batches(self, path: str, batch_size: int, targets: bool) -> tf.data.Dataset:
        return records.dataset([path], self.name_to_features(False, targets), batch_size,
                               is_training=False)

    # -- generation and evaluation -----------------------------------------------

    def generate(self, trainer, pairs, batch_size: int) -> list[str]:
        """Hypothesis texts for the pairs' sources, in order."""
        s, model, tokenizer = self.s, trainer.model, self.tokenizer
        vocab = tokenizer.inv_vocab
        vocab_tokens = tf.constant([vocab.get(i, "[UNK]") for i in range(max(vocab) + 1)])
        bos, eos = tokenizer.vocab["[CLS]"], tokenizer.vocab["[SEP]"]

        @tf.function(jit_compile=s.xla, reduce_retracing=True)
        def run(inputs):
            ids, _ = decoding.generate(model, inputs, self.decode_length, bos, eos, s.beam_size,
                                       s.alpha)
            return text.detokenize(ids, vocab_tokens, eos, (0, bos))

        path = self._features(pairs, "generate", targets=False)
        hypotheses = []
        with records.reading([path]):
            for batch in self._batches(path, batch_size, targets=False):
                inputs = {k: batch[k] for k in models.INPUT_NAMES}
                n = int(inputs["input_mask"].shape[0])
                if s.padded_decode:  # every call [batch_size, max_source_length]
                    inputs = {k: tf.pad(v, [[0, batch_size - n], [0, 0]])
                              for k, v in inputs.items()}
                else:  # only as long as the batch's longest source
                    used = int(tf.reduce_max(tf.reduce_sum(inputs["input_mask"], 1)))
                    length = inference.trimmed_length(used, s.max_source_length, 16)
                    inputs = {k: v[:, :length] for k, v in inputs.items()}
                hypotheses += [t.decode("utf-8") for t in run(inputs).numpy()[:n]]
                logging.info("Generated %d of %d", len(hypotheses), len(pairs))
        return hypotheses

    def _eval_loss(self, trainer, path: str) -> dict:
        """Teacher-forced token cross entropy over the whole eval set.

        Reference tokens the decoder cannot output (outside --target_vocab=train's
        vocabulary: cross entropy ~10000) are left out of eval_loss and counted in
        eval_tokens_outside_vocab.
        """
        model = trainer.model
        allowed = None
        if model.target_vocab is not None:
            allowed = np.zeros(model.encoder.config.vocab_size, np.float32)
            allowed[model.target_vocab] = 1.0

        @tf.function
        def sums(batch):
            logits = model(models.model_inputs(model, batch), training=False)["logits"]
            ce = losses.token_cross_entropy(logits, batch["target_ids"])
            weights = tf.cast(batch["target_mask"], tf.float32)
            reachable = weights
            if allowed is not None:
                reachable *= tf.gather(allowed, batch["target_ids"])
            return (tf.reduce_sum(reachable * ce), tf.reduce_sum(reachable),
                    tf.reduce_sum(weights - reachable))

        total = np.zeros(3)
        with records.reading([path]):
            for batch in self._batches(path, self.s.eval_batch_size, targets=True):
                total += [float(x) for x in sums(batch)]
        return {"eval_loss": float(total[0] / max(total[1], 1.0)),
                "eval_tokens_outside_vocab": int(total[2])}

    def score(self, hypotheses: list[str], references: list[str]) -> dict:
        if self.s.metric == "bleu":
            return text_metrics.bleu(hypotheses, references, self.s.bleu_tokenize)
        return text_metrics.rouge([text_metrics.sentence_lines(h) for h in hypotheses],
                                  [text_metrics.sentence_lines(r) for r in references])

    def _write_tsv(self, name: str, pairs, hypotheses) -> None:
        def cell(value: str | None) -> str:
            return " ".join((value or "").split())  # no tabs or newlines inside a cell

        with atomic_open(os.path.join(self.s.output_dir, name), "w") as f:
            writer = csv.writer(f, delimiter="\t", quoting=csv.QUOTE_NONE, quotechar=None,
                                escapechar=None, lineterminator="\n")
            writer.writerow(["source", "reference", "hypothesis"])
            writer.writerows([cell(p.source), cell(p.target), cell(h)]
                             for p, h in zip(pairs, hypotheses))

    def evaluate(self, trainer) -> dict:
        s = self.s
        pairs = seq2seq.read_pairs(s.eval_file, s.source_column, s.target_column)
        result = self._eval_loss(trainer, self._features(pairs, "eval", True))
        hypotheses = self.generate(trainer, pairs, s.eval_batch_size)
        result.update(self.score(hypotheses, [p.target for p in pairs]))
        result.update(global_step=trainer.global_step, eval_examples=len(pairs))
        self._write_tsv("eval_predictions.tsv", pairs, hypotheses)
        self.write_eval_results(result)
        return result

    def predict(self, trainer) -> None:
        s = self.s
        pairs = seq2seq.read_pairs(s.predict_file, s.source_column, s.target_column,
                                   require_target=False)
        self._write_tsv("predictions.tsv", pairs,
                        self.generate(trainer, pairs, s.predict_batch_size))
        logging.info("Wrote %d hypotheses to predictions.tsv", len(pairs))
