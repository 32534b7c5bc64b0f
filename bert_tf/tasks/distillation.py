"""Distillation of a fine-tuned classifier into a smaller student: run_distillation.py.

The classification Task with a teacher: its run directory (--teacher_dir) supplies the
task, data, labels, lengths and casing unless given; the student starts from the
teacher's evenly spaced layers (--student_layers) or a smaller pretrained BERT
(--init_checkpoint); the loss is bert_tf.distillation.DistillationLoss. The output
directory is a normal classifier run.
"""

from __future__ import annotations

import os
from typing import Any

import tensorflow as tf
from absl import logging

from bert_tf import checkpoints, distillation, models, run_info, runner
from bert_tf.config import BertConfig
from bert_tf.data import classifier, records
from bert_tf.errors import UsageError
from bert_tf.run_info import RunInfo
from bert_tf.tasks.classification import ClassificationTask


def load_teacher_info(teacher_dir: str | None) -> RunInfo:
    """The teacher's RunInfo, checked: a classifier run with a checkpoint."""
    if not teacher_dir:
        raise UsageError("--teacher_dir is required")
    path = os.path.join(teacher_dir, run_info.RUN_INFO)
    info = run_info.read(teacher_dir)
    if info is None:
        raise UsageError(f"--teacher_dir: {path} does not exist (expected a run directory "
                         "written by run_classifier.py --do_train)")
    if info.model_type != "classifier":
        raise UsageError(f"--teacher_dir: {path} says model_type {info.model_type!r}; "
                         "run_distillation.py distils classifier runs")
    checkpoints.resolve_checkpoint_path(teacher_dir)  # a clear error if none was saved
    return info


class DistillationTask(ClassificationTask):
    restart_metrics = ()  # --num_restarts is run_classifier's

    @classmethod
    def defaults(cls, values: dict[str, Any], given: set[str]) -> dict[str, Any]:
        teacher = load_teacher_info(values["teacher_dir"])
        values, _ = run_info.merge(values, given, teacher, ClassificationTask.recorded_flags,
                                   source=cls.preset_source(values))
        return {**values, "do_train": True}  # distilling is training

    @classmethod
    def preset_source(cls, values: dict[str, Any]) -> str:
        return f"the teacher {values['teacher_dir']}"

    @classmethod
    def model_files(cls, s) -> runner.ModelFiles:
        teacher_vocab = os.path.join(s.teacher_dir, "vocab.txt")
        if s.student_layers is not None:
            if s.init_checkpoint:
                raise UsageError("pass --student_layers or --init_checkpoint, not both")
            teacher = BertConfig.from_json_file(os.path.join(s.teacher_dir, "bert_config.json"))
            return runner.ModelFiles(distillation.student_config(teacher, s.student_layers),
                                     None, teacher_vocab)
        if not s.init_checkpoint:
            raise UsageError("the student needs --student_layers=k or an --init_checkpoint (a "
                             "smaller pretrained BERT)")
        files = runner.resolve_model_files(s, require_checkpoint=True)
        with tf.io.gfile.GFile(files.vocab_file, "rb") as a, \
                tf.io.gfile.GFile(teacher_vocab, "rb") as b:
            if a.read().split() != b.read().split():
                raise UsageError(f"--vocab_file {files.vocab_file} differs from the teacher's "
                                 f"{teacher_vocab}: student and teacher must share one "
                                 "vocabulary")
        return files

    def validate(self) -> None:
        super().validate()
        s = self.s
        teacher = load_teacher_info(s.teacher_dir)
        if teacher.get("multi_label"):
            raise UsageError(f"--teacher_dir={s.teacher_dir} is a --multi_label classifier; "
                             "run_distillation distils single-label (softmax) classifiers")
        teacher_labels = teacher.labels
        distillation.check_settings(s.kd_weight, s.temperature, s.hidden_weight)
        self.teacher_config = BertConfig.from_json_file(os.path.join(s.teacher_dir,
                                                                     "bert_config.json"))
        if self.labels() != teacher_labels:
            raise UsageError(f"--task_name={s.task_name} has labels {self.labels()} but the "
                             f"teacher was trained on {teacher_labels}")

    def run_info(self) -> RunInfo:
        info = super().run_info()
        s = self.s
        info.settings.update(distilled_from=os.path.abspath(s.teacher_dir),
                             kd_weight=s.kd_weight, temperature=s.temperature,
                             hidden_weight=s.hidden_weight)
        return info

    def init_values(self):
        """The teacher's mapped layers (--student_layers), or the smaller BERT's checkpoint."""
        if self.s.student_layers is None:
            return self.files.init_checkpoint
        layers = distillation.select_layers(self.teacher_config.num_hidden_layers,
                                            self.s.student_layers)
        logging.info("Student: teacher layers %s", layers)
        return distillation.student_values(checkpoints.read_checkpoint(self.s.teacher_dir),
                                           layers)

    def loss_fn(self, strategy):
        with strategy.scope():
            teacher = models.BertClassifier(models.BertEncoder(self.teacher_config),
                                            len(self.labels()))
            checkpoints.load_weights(teacher, self.s.teacher_dir)
        return distillation.DistillationLoss(teacher, self.s.kd_weight, self.s.temperature,
                                             self.s.hidden_weight,
                                             self.files.config.num_hidden_layers)

    # -- data -----------------------------------------------------------------

    def train_examples(self) -> list:
        examples = super().train_examples()
        self.num_labelled = len(examples)
        if self.s.transfer_file:
            examples = examples + transfer_examples(self.s.transfer_file)
        logging.info("***** Distilling *****\n  Num examples = %d", len(examples))
        return examples

    def train_records(self, examples) -> list[str]:
        """Transfer records carry is_real_example 0: "no gold label" (the soft term only)."""
        paths = [self.write_features(examples[:self.num_labelled], "train")]
        transfer = examples[self.num_labelled:]
        if transfer:
            features = classifier.convert_examples_to_features(
                transfer, self.labels(), self.s.max_seq_length, self.tokenizer)
            paths.append(self.record_path("transfer"))
            records.write_examples(paths[-1], ({**f, "is_real_example": [0]} for f in features))
        return paths

    def evaluate(self, trainer) -> dict:
        result = super().evaluate(trainer)[""]
        print(f"Student dev accuracy {result.get('eval_accuracy', float('nan')):.4f} after "
              f"{trainer.global_step} steps; outputs in {self.s.output_dir}")
        return result


def transfer_examples(path: str) -> list[classifier.InputExample]:
    """Unlabelled text, one example per line: `text_a` or `text_a<TAB>text_b`."""
    if not tf.io.gfile.exists(path):
        raise UsageError(f"--transfer_file={path} does not exist")
    with tf.io.gfile.GFile(path) as f:
        lines = [line.rstrip("\n") for line in f if line.strip()]
    if not lines:
        raise UsageError(f"--transfer_file={path} holds no text")
    return [classifier.InputExample(f"transfer-{i}", *(line.split("\t", 1) + [None])[:2])
            for i, line in enumerate(lines)]
