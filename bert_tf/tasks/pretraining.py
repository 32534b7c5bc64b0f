"""Masked LM + next sentence prediction pretraining (run_pretraining.py); from a released
checkpoint (MLM and NSP heads included) it is continued pretraining."""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from bert_tf import losses, models
from bert_tf.data import pretraining, records
from bert_tf.errors import DataError, UsageError
from bert_tf.io import expand_globs
from bert_tf.tasks.base import Task


class PretrainingTask(Task):
    model_type = "pretrainer"
    recorded_flags = ("max_seq_length", "max_predictions_per_seq")
    modes = ("do_train", "do_eval")
    init_optimizer = True
    needs_vocab = False  # --vocab_file is optional: checked against the model, copied along

    def validate(self) -> None:
        self.input_files = expand_globs(self.s.input_file or "", "input_file")
        vocab_file = self.s.get("vocab_file")
        if vocab_file:  # the vocab of the data must be the model's, row for row
            with tf.io.gfile.GFile(vocab_file) as f:
                size = sum(1 for line in f if line.strip())
            if size != self.files.config.vocab_size:
                raise UsageError(
                    f"--vocab_file {vocab_file} has {size} entries but the model's vocab_size is "
                    f"{self.files.config.vocab_size} ({self.files.config_file}): a vocabulary "
                    "for continued pretraining keeps the checkpoint's size (extend it through "
                    "its [unusedN] entries: create_vocab.py --base_vocab_file)")

    def evaluates_or_predicts(self) -> bool:
        return bool(self.s.do_eval)

    def train_examples(self) -> list[str]:
        return self.input_files

    def train_steps(self, examples) -> tuple[int, int]:
        return self.s.num_train_steps, self.s.num_warmup_steps

    def train_records(self, examples) -> list[str]:
        return self.input_files

    def training_dataset(self, files, batch_size, ctx=None) -> tf.data.Dataset:
        # Only input_ids/input_mask/segment_ids are cut (padded_features): masked_lm_* are
        # per prediction, and their positions point at real tokens, which trimming keeps.
        return pretraining.pretraining_dataset(files, self.s.max_seq_length,
                                               self.s.max_predictions_per_seq, batch_size,
                                               is_training=True, seed=self.s.seed,
                                               input_context=ctx, **self.padding_options())

    def build_model(self, config) -> keras.Model:
        return models.BertPretrainer(models.BertEncoder(config))

    def loss_fn(self, strategy):
        return losses.pretraining_loss

    def evaluate(self, trainer) -> dict[str, float]:
        """The original's metric_fn over max_eval_steps batches (the eval input repeats)."""
        s = self.s
        dataset = pretraining.pretraining_dataset(
            self.input_files, s.max_seq_length, s.max_predictions_per_seq, s.eval_batch_size,
            is_training=False).take(s.max_eval_steps)
        sums = dict.fromkeys(("mlm_correct", "mlm_weight", "mlm_loss", "nsp_correct",
                              "nsp_loss", "n", "loss", "batches"), 0.0)
        with records.reading(self.input_files):
            outputs = list(trainer.predict(dataset))
        for batch, out in outputs:
            example_losses = {k: np.asarray(v)
                              for k, v in losses.pretraining_losses(out, batch).items()}
            w = batch["masked_lm_weights"]
            sums["mlm_correct"] += float(np.sum(w * (out["mlm_logits"].argmax(-1)
                                                     == batch["masked_lm_ids"])))
            sums["mlm_weight"] += float(np.sum(w))
            sums["mlm_loss"] += float(np.sum(w * example_losses["masked_lm_example_loss"]))
            labels = batch["next_sentence_labels"].reshape(-1)
            sums["nsp_correct"] += float(np.sum(out["nsp_logits"].argmax(-1) == labels))
            sums["nsp_loss"] += float(np.sum(example_losses["next_sentence_example_loss"]))
            sums["n"] += len(labels)
            sums["loss"] += float(example_losses["masked_lm_loss"]
                                  + example_losses["next_sentence_loss"])
            sums["batches"] += 1
        if not sums["batches"]:
            raise DataError(f"--input_file {s.input_file!r} has no eval examples")
        result = {
            "global_step": trainer.global_step,
            "loss": sums["loss"] / sums["batches"],
            "masked_lm_accuracy": sums["mlm_correct"] / max(sums["mlm_weight"], 1e-12),
            "masked_lm_loss": sums["mlm_loss"] / max(sums["mlm_weight"], 1e-12),
            "next_sentence_accuracy": sums["nsp_correct"] / sums["n"],
            "next_sentence_loss": sums["nsp_loss"] / sums["n"],
        }
        self.write_eval_results(result)
        return result

