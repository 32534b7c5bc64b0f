"""Named-entity recognition (token tagging): run_ner.py (its docstring gives the file formats)."""

from __future__ import annotations

import os

import keras
import numpy as np
from absl import logging

from bert_tf import losses, models
from bert_tf.data import ner, records
from bert_tf.errors import UsageError
from bert_tf.tasks.base import Task


class NerTask(Task):
    model_type = "ner"
    recorded_flags = ("data_dir", "label_list", "max_seq_length", "do_lower_case")
    restart_metrics = ("eval_f1",)
    padded_features = (records.PaddedGroup("input_mask", ("input_ids", "input_mask", "segment_ids",
                                                          "label_ids", "label_weights")),)

    def _file(self, flag: str, split: str) -> str:
        return self.data_file(flag, split, ner.find_split_file)

    def validate(self) -> None:
        s = self.s
        if s.label_list:
            self._labels = ner.validate_label_list(s.label_list)
        elif not s.do_train and not s.train_file and not s.data_dir:
            raise UsageError("--label_list is required without training data")
        else:
            self._labels = None  # read from the training file
        for mode, flag, split in (("do_train", "train_file", "train"),
                                  ("do_eval", "eval_file", "dev"),
                                  ("do_predict", "predict_file", "test")):
            if s.get(mode):
                self._file(flag, split)  # a clear error now if it is missing

    def labels(self) -> list[str]:
        if self._labels is None:
            self._labels = ner.get_labels(ner.read_examples(self._file("train_file", "train"),
                                                            require_tags=True))
            logging.info("Labels: %s", self._labels)
        return self._labels

    def build_model(self, config) -> keras.Model:
        return models.BertTokenTagger(models.BertEncoder(config), len(self.labels()))

    def loss_fn(self, strategy):
        return losses.tagging_loss

    # -- data -----------------------------------------------------------------

    def train_examples(self) -> list:
        return ner.read_examples(self._file("train_file", "train"), True, self.labels())

    def _features(self, examples, name: str):
        path = self.record_path(name)
        features = ner.file_based_convert_examples_to_features(
            examples, self.labels(), self.s.max_seq_length, self.tokenizer, path)
        return path, features

    def train_records(self, examples) -> list[str]:
        return [self._features(examples, "train")[0]]

    def name_to_features(self, training: bool) -> dict:
        return ner.name_to_features(self.s.max_seq_length)

    def _logits(self, trainer, path: str, batch_size: int) -> np.ndarray:
        with records.reading([path]):
            return np.concatenate([out["logits"] for _, out in
                                   trainer.predict(self.eval_dataset(path, batch_size))])

    # -- evaluation and prediction -----------------------------------------------

    def evaluate(self, trainer) -> dict:
        s, labels = self.s, self.labels()
        examples = ner.read_examples(self._file("eval_file", "dev"), True, labels)
        path, features = self._features(examples, "eval")
        result, _ = ner.ner_eval_results(examples, features,
                                         self._logits(trainer, path, s.eval_batch_size), labels,
                                         s.eval_batch_size)
        result["global_step"] = trainer.global_step
        self.write_eval_results(result)
        return result

    def predict(self, trainer) -> None:
        s, labels = self.s, self.labels()
        examples = ner.read_examples(self._file("predict_file", "test"), False, labels)
        path, features = self._features(examples, "predict")
        logits = self._logits(trainer, path, s.predict_batch_size)
        tags = ner.decode_predictions(examples, features, logits.argmax(-1), labels)
        ner.write_predictions(os.path.join(s.output_dir, ner.PREDICTIONS_FILE), examples, tags)
        logging.info("Tagged %d sentences into %s", len(examples), ner.PREDICTIONS_FILE)
