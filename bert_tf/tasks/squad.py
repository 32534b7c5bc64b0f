"""SQuAD 1.1 / 2.0 question answering: run_squad.py (its docstring lists the output files)."""

from __future__ import annotations

import os
import random

import keras
from absl import logging

from bert_tf import losses, models, squad_eval
from bert_tf.data import records, squad
from bert_tf.errors import UsageError
from bert_tf.tasks.base import Task


class SquadTask(Task):
    model_type = "squad"
    # --version_2_with_negative describes the predict file, not the model: a SQuAD 2.0 model
    # predicts a v1 file without null answers.
    recorded_flags = ("max_seq_length", "do_lower_case", "doc_stride", "max_query_length",
                      "max_answer_length")
    modes = ("do_train", "do_predict")
    restart_metrics = ("f1",)

    def validate(self) -> None:
        s = self.s
        self.require_files(("do_train", "train_file"), ("do_predict", "predict_file"))
        squad.check_lengths(s.max_seq_length, s.doc_stride, s.max_query_length)
        if s.tune_null_threshold and not s.version_2_with_negative:
            raise UsageError("--tune_null_threshold needs --version_2_with_negative")

    def check_restarts(self) -> None:
        """The dev evaluation of a restart is --do_predict on a --predict_file with answers."""
        s = self.s
        if not s.do_train:
            raise UsageError("--num_restarts needs --do_train")
        if not s.do_predict or not self._has_answers():
            raise UsageError("--num_restarts picks the best restart on the dev set: it needs "
                             "--do_predict on a --predict_file with answers"
                             + (f" ({s.predict_file} has none)" if s.do_predict else ""))

    def _has_answers(self) -> bool:
        dataset = squad.load_squad_json(self.s.predict_file)
        return any(qa.get("answers") or qa.get("is_impossible") for article in dataset["data"]
                   for p in article["paragraphs"] for qa in p["qas"])

    def build_model(self, config) -> keras.Model:
        return models.BertSpanLabeler(models.BertEncoder(config))

    def loss_fn(self, strategy):
        # Cut batches have no padding positions for the softmax: mask them at any length.
        return losses.masked_span_loss if self.s.get("dynamic_padding") else losses.span_loss

    def evaluates_or_predicts(self) -> bool:
        return bool(self.s.do_predict)

    # -- data -----------------------------------------------------------------

    def train_examples(self) -> list:
        examples = squad.read_squad_examples(self.s.train_file, True,
                                             self.s.version_2_with_negative)
        random.Random(12345).shuffle(examples)  # the original's fixed shuffle
        return examples

    def _features(self, examples, is_training: bool, filename: str):
        """Writes features to output_dir/<filename>; returns (writer, features kept in memory)."""
        s, kept = self.s, []
        with squad.FeatureWriter(os.path.join(s.output_dir, filename), is_training) as writer:
            def output_fn(feature):
                writer.process_feature(feature)
                if not is_training:
                    kept.append(feature)

            squad.convert_examples_to_features(examples, self.tokenizer, s.max_seq_length,
                                               s.doc_stride, s.max_query_length, is_training,
                                               output_fn)
        return writer, kept

    def train_records(self, examples) -> list[str]:
        writer, _ = self._features(examples, True, "train.tf_record")
        logging.info("***** Running training *****\n  Num orig examples = %d\n  Num split "
                     "examples = %d\n  Batch size = %d", len(examples), writer.num_features,
                     self.s.train_batch_size)
        return [writer.filename]

    def name_to_features(self, training: bool) -> dict:
        return squad.name_to_features(self.s.max_seq_length, training)

    # -- prediction and evaluation -----------------------------------------------

    def predict(self, trainer) -> dict:
        s = self.s
        examples = squad.read_squad_examples(s.predict_file, False, s.version_2_with_negative)
        writer, features = self._features(examples, False, "eval.tf_record")
        logging.info("***** Running predictions *****\n  Num orig examples = %d\n  Num split "
                     "examples = %d\n  Batch size = %d", len(examples), len(features),
                     s.predict_batch_size)
        results = []
        with records.reading([writer.filename]):
            for batch, out in trainer.predict(self.eval_dataset(writer.filename,
                                                                s.predict_batch_size)):
                results += [squad.RawResult(int(u), st, e) for u, st, e in
                            zip(batch["unique_ids"], out["start_logits"], out["end_logits"])]
                if len(results) % 1000 < len(batch["unique_ids"]):
                    logging.info("Processing example: %d", len(results))
        out_dir = s.output_dir
        result = squad.write_predictions(
            examples, features, results, s.n_best_size, s.max_answer_length, s.do_lower_case,
            os.path.join(out_dir, "predictions.json"),
            os.path.join(out_dir, "nbest_predictions.json"),
            os.path.join(out_dir, "null_odds.json") if s.version_2_with_negative else None,
            s.version_2_with_negative, s.null_score_diff_threshold, s.verbose_logging)
        return self._score(result)

    def _score(self, result) -> dict:
        """Official SQuAD scores of the predictions, when the predict file has answers."""
        s = self.s
        if not self._has_answers():
            logging.info("%s has no answers; not scoring", s.predict_file)
            return {}
        dataset = squad.load_squad_json(s.predict_file)
        scores = squad_eval.evaluate(dataset, result.predictions, na_probs=result.null_odds,
                                     version_2_with_negative=s.version_2_with_negative)
        if s.tune_null_threshold:
            scores.update(squad_eval.tune_null_threshold(dataset, result.nbest, result.null_odds))
            logging.info("Best null_score_diff_threshold for F1: %.4f (F1 %.2f)",
                         scores["best_f1_thresh"], scores["best_f1"])
        self.write_eval_results(scores)
        return scores
