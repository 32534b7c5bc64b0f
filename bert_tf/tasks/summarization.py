"""Extractive summarization (BertSumExt, Liu and Lapata 2019): run_summarization.py."""

from __future__ import annotations

import json
import os

import keras
import numpy as np
import tensorflow as tf
from absl import logging

from bert_tf import losses, models, runner, summarization, text_metrics
from bert_tf.data import records
from bert_tf.data import summarization as data
from bert_tf.errors import UsageError
from bert_tf.io import atomic_open
from bert_tf.tasks.base import Task

# A document needs two sentences to leave one out; shorter ones are skipped (and counted)
# in training and evaluation, and summarized as themselves in prediction.
MIN_SENTENCES = 2
PREDICTIONS_FILE = "predictions.jsonl"


class SummarizationTask(Task):
    model_type = "summarizer"
    recorded_flags = ("data_dir", "max_seq_length", "do_lower_case", "max_sentences",
                      "oracle_sentences", "inter_layers", "sentence_pooling",
                      "max_summary_sentences", "block_trigram")

    @classmethod
    def model_files(cls, s) -> runner.ModelFiles:
        return runner.resolve_model_files(s, max_position_embeddings=s.max_position_embeddings)

    def validate(self) -> None:
        if self.s.max_seq_length < 3:
            raise UsageError(f"--max_seq_length must be >= 3, got {self.s.max_seq_length}")
        for mode, flag, split in (("do_train", "train_file", "train"),
                                  ("do_eval", "eval_file", "dev"),
                                  ("do_predict", "predict_file", "test")):
            if self.s.get(mode):
                self._file(flag, split)

    @property
    def extend_positions(self) -> bool:
        return bool(self.s.max_position_embeddings)

    def build_model(self, config) -> keras.Model:
        return summarization.BertExtractiveSummarizer(models.BertEncoder(config),
                                                      self.s.inter_layers,
                                                      sentence_pooling=self.s.sentence_pooling)

    def loss_fn(self, strategy):
        return losses.summarization_loss

    # -- data -----------------------------------------------------------------

    def _file(self, flag: str, split: str) -> str:
        return self.data_file(flag, split, lambda d, name: os.path.join(d, f"{name}.jsonl"))

    def _read(self, flag: str, split: str, labelled: bool) -> list:
        """Examples of a split; with `labelled`, documents too short to summarize are skipped."""
        path = self._file(flag, split)
        examples = data.read_examples(path, require_summary=labelled)
        if not examples:
            raise data.SummarizationDataError(f"{path} has no documents")
        if labelled:
            kept = [e for e in examples if len(e.sentences) >= MIN_SENTENCES]
            if len(kept) < len(examples):
                logging.warning("%s: skipped %d of %d documents with fewer than %d sentences",
                                path, len(examples) - len(kept), len(examples), MIN_SENTENCES)
            if not kept:
                raise data.SummarizationDataError(f"{path}: every document has fewer than "
                                                  f"{MIN_SENTENCES} sentences")
            examples = kept
        return examples

    def _features(self, examples, name: str) -> list:
        s = self.s
        features = data.convert_examples(examples, self.tokenizer, s.max_seq_length,
                                         s.max_sentences, s.oracle_sentences)
        c = data.counts(features)
        logging.info("%s: %d documents, %d sentences kept", name, c["documents"],
                     c["sentences_kept"])
        if c["documents_cut"]:
            logging.warning("%s: %d of %d documents were cut to --max_seq_length=%d / "
                            "--max_sentences=%d: %d sentences and %d wordpieces dropped (raise "
                            "--max_seq_length, with --max_position_embeddings beyond the "
                            "checkpoint's, to keep them)", name, c["documents_cut"],
                            c["documents"], s.max_seq_length, s.max_sentences,
                            c["sentences_cut"], c["wordpieces_cut"])
        return features

    def train_examples(self) -> list:
        return self._read("train_file", "train", labelled=True)

    def train_records(self, examples) -> list[str]:
        path = self.record_path("train")
        records.write_examples(path, (f.to_record() for f in self._features(examples, "train")))
        return [path]

    def name_to_features(self, training: bool) -> dict:
        return data.name_to_features(self.s.max_seq_length, self.s.max_sentences)

    def _scores(self, trainer, features, batch_size: int) -> tuple[list[np.ndarray], np.ndarray]:
        """Each document's sentence scores (kept sentences only), logits [docs, max_sentences]."""
        columns = {records.MODEL_INPUT_NAMES.get(k, k):
                   np.array([f.to_record()[k] for f in features], np.int32)
                   for k in features[0].to_record()}
        dataset = tf.data.Dataset.from_tensor_slices(columns).batch(batch_size)
        logits = np.concatenate([out["logits"] for _, out in trainer.predict(dataset)])
        probabilities = 1.0 / (1.0 + np.exp(-logits))
        return [p[:f.num_sentences] for p, f in zip(probabilities, features)], logits

    def _summaries(self, examples, scores) -> list[list[int]]:
        return [data.select_sentences(e.sentences, s, self.s.max_summary_sentences,
                                      self.s.block_trigram) for e, s in zip(examples, scores)]

    # -- evaluation and prediction -----------------------------------------------

    def evaluate(self, trainer) -> dict:
        examples = self._read("eval_file", "dev", labelled=True)
        features = self._features(examples, "eval")
        scores, logits = self._scores(trainer, features, self.s.eval_batch_size)
        labels = np.array([f.labels for f in features], np.float32)
        mask = np.array([f.sentence_mask for f in features], np.float32)
        bce = np.maximum(logits, 0) - logits * labels + np.log1p(np.exp(-np.abs(logits)))
        references = [data.summary_text(e.summary, range(len(e.summary))) for e in examples]
        chosen = {"": self._summaries(examples, scores),
                  "lead3_": [data.lead(e.sentences) for e in examples],
                  "oracle_": [np.flatnonzero(f.labels).tolist() for f in features]}
        result = {"eval_loss": float((bce * mask).sum() / mask.sum()),
                  "global_step": trainer.global_step, "eval_documents": len(examples)}
        for prefix, picks in chosen.items():
            texts = [data.summary_text(e.sentences, p) for e, p in zip(examples, picks)]
            rouge = text_metrics.rouge(texts, references, seed=self.s.seed)
            result.update({f"{prefix}{k}": v for k, v in rouge.items()})
        self.write_eval_results(result)
        return result

    def predict(self, trainer) -> None:
        examples = self._read("predict_file", "test", labelled=False)
        features = self._features(examples, "predict")
        scores, _ = self._scores(trainer, features, self.s.predict_batch_size)
        with atomic_open(os.path.join(self.s.output_dir, PREDICTIONS_FILE)) as f:
            for example, s, picks in zip(examples, scores, self._summaries(examples, scores)):
                f.write(json.dumps({"id": example.guid, "sentence_indices": picks,
                                    "scores": [round(float(x), 6) for x in s],
                                    "summary": data.summary_text(example.sentences, picks)},
                                   ensure_ascii=False) + "\n")
        logging.info("Summarized %d documents into %s", len(examples), PREDICTIONS_FILE)
