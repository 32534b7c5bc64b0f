"""Distil a fine-tuned BERT classifier into a smaller, faster student.

  # teacher: a run_classifier.py run directory; student: 3 of its 6 layers (DistilBERT's init)
  python run_distillation.py --teacher_dir=/tmp/bert_tf_demo --student_layers=3 \
    --output_dir=/tmp/bert_tf_student --do_eval

  # student: a smaller pretrained BERT with the same vocabulary (any --init_checkpoint form)
  python run_distillation.py --teacher_dir=/tmp/mrpc_output --init_checkpoint=uncased_L-4_H-256_A-4 \
    --hidden_weight=1.0 --output_dir=/tmp/mrpc_student --do_eval

Loss = kd_weight * T^2 * KL(teacher/T || student/T) + (1 - kd_weight) * cross entropy on the
gold labels (+ hidden_weight * MSE between mapped hidden states, through a learned
projection when the widths differ). --transfer_file adds unlabelled text (one example per
line, `text_a` or `text_a<TAB>text_b`) that only the teacher's soft targets label.
Task, data, sequence length and casing default to what the teacher's run_info.json
recorded; every run_classifier.py flag applies. The output directory is a normal
classifier run (bert_config.json, vocab.txt, run_info.json, model.ckpt-N under the
original names): run_classifier.py --init_checkpoint=<it> and export_model.py take it.
"""

from __future__ import annotations

import os

import tensorflow as tf
from absl import flags, logging

import run_classifier  # the classifier's flags, data pipeline and evaluation
from bert_tf import checkpoints, cli, distillation, models
from bert_tf.config import BertConfig
from bert_tf.data import classifier, records

FLAGS = flags.FLAGS

flags.DEFINE_string("teacher_dir", None,
                    "(new) The teacher: a fine-tuning run directory (run_classifier.py "
                    "--output_dir) with bert_config.json, vocab.txt, run_info.json, model.ckpt-N.")
flags.DEFINE_integer("student_layers", None,
                     "(new) Build the student from the teacher's k evenly spaced layers (the top "
                     "one included). Otherwise --init_checkpoint names a smaller pretrained BERT "
                     "with the teacher's vocabulary.")
flags.DEFINE_float("kd_weight", 0.5, "(new) Weight of the soft-target (KL) term; 1 - kd_weight "
                   "weighs the gold-label cross entropy.")
flags.DEFINE_float("temperature", 2.0, "(new) Softmax temperature T of the soft-target term.")
flags.DEFINE_float("hidden_weight", 0.0, "(new) Weight of the per-layer hidden-state MSE "
                   "(student layer i vs the teacher layer it was mapped to); 0 = off.")
flags.DEFINE_string("transfer_file", None, "(new) Unlabelled text, one example per line "
                    "(text_a, or text_a<TAB>text_b), labelled by the teacher's soft targets.")


def load_teacher_info(teacher_dir: str | None) -> dict:
    """The teacher's run_info.json, checked: a classifier run with a checkpoint."""
    if not teacher_dir:
        raise flags.ValidationError("--teacher_dir is required")
    path = os.path.join(teacher_dir, cli.RUN_INFO)
    if not tf.io.gfile.exists(path):
        raise flags.ValidationError(f"--teacher_dir: {path} does not exist (expected a run "
                                    "directory written by run_classifier.py --do_train)")
    info = cli.load_run_info(teacher_dir)
    if info.get("model_type") != "classifier":
        raise flags.ValidationError(f"--teacher_dir: {path} says model_type "
                                    f"{info.get('model_type')!r}; run_distillation.py distils "
                                    "classifier runs")
    checkpoints.resolve_checkpoint_path(teacher_dir)  # a clear error if none was saved
    return info


def _apply_teacher_defaults(info: dict) -> None:
    """Task, sequence length and casing follow the teacher unless given."""
    for name in ("task_name", "max_seq_length", "do_lower_case"):
        if not FLAGS[name].present and info.get(name) is not None:
            FLAGS[name].value = info[name]


def student_files(teacher_dir: str, teacher_config: BertConfig):
    """(ModelFiles of the student, its initial checkpoint: a path or TF1-name values)."""
    teacher_vocab = os.path.join(teacher_dir, "vocab.txt")
    if FLAGS.student_layers is not None:
        if FLAGS.init_checkpoint:
            raise flags.ValidationError("pass --student_layers or --init_checkpoint, not both")
        config = distillation.student_config(teacher_config, FLAGS.student_layers)
        layers = distillation.select_layers(teacher_config.num_hidden_layers,
                                            FLAGS.student_layers)
        logging.info("Student: teacher layers %s", layers)
        values = distillation.student_values(checkpoints.read_checkpoint(teacher_dir), layers)
        return cli.ModelFiles(config, None, teacher_vocab), values
    if not FLAGS.init_checkpoint:
        raise flags.ValidationError("the student needs --student_layers=k or an "
                                    "--init_checkpoint (a smaller pretrained BERT)")
    files = cli.resolve_model_files(require_checkpoint=True)
    with open(files.vocab_file, "rb") as a, open(teacher_vocab, "rb") as b:
        if a.read().split() != b.read().split():
            raise flags.ValidationError(
                f"--vocab_file {files.vocab_file} differs from the teacher's {teacher_vocab}: "
                "student and teacher must share one vocabulary")
    return files, files.init_checkpoint


def transfer_examples(path: str) -> list[classifier.InputExample]:
    if not tf.io.gfile.exists(path):
        raise flags.ValidationError(f"--transfer_file={path} does not exist")
    with tf.io.gfile.GFile(path) as f:
        lines = [line.rstrip("\n") for line in f if line.strip()]
    if not lines:
        raise flags.ValidationError(f"--transfer_file={path} holds no text")
    return [classifier.InputExample(f"transfer-{i}", *(line.split("\t", 1) + [None])[:2])
            for i, line in enumerate(lines)]


def write_transfer_features(examples, labels, tokenizer) -> str:
    """Transfer records: is_real_example 0 marks "no gold label" (the soft term only)."""
    features = classifier.convert_examples_to_features(examples, labels, FLAGS.max_seq_length,
                                                       tokenizer)
    path = os.path.join(FLAGS.output_dir, "transfer.tf_record")
    records.write_examples(path, ({**f, "is_real_example": [0]} for f in features))
    return path


def build_teacher(teacher_dir: str, config: BertConfig, num_labels: int):
    teacher = models.BertClassifier(models.BertEncoder(config), num_labels)
    checkpoints.load_weights(teacher, teacher_dir)
    return teacher


def main(_):
    if FLAGS.num_restarts > 1:  # a run_classifier flag this script shares but does not run
        raise flags.ValidationError("--num_restarts is not supported by run_distillation.py")
    info = load_teacher_info(FLAGS.teacher_dir)
    _apply_teacher_defaults(info)
    processor = run_classifier.processor_from_flags()
    if not FLAGS.data_dir:
        raise flags.ValidationError("--data_dir is required")
    labels = processor.get_labels()
    if labels != info.get("labels"):
        raise flags.ValidationError(f"--task_name={FLAGS.task_name} has labels {labels} but the "
                                    f"teacher was trained on {info.get('labels')}")
    teacher_config = BertConfig.from_json_file(os.path.join(FLAGS.teacher_dir,
                                                            "bert_config.json"))
    distillation.check_settings(FLAGS.kd_weight, FLAGS.temperature, FLAGS.hidden_weight)
    files, init = student_files(FLAGS.teacher_dir, teacher_config)
    cli.make_output_dir()
    tokenizer = cli.load_tokenizer(files.vocab_file, files.config)
    examples = processor.get_train_examples(FLAGS.data_dir)
    paths = [run_classifier.write_features(examples, processor, tokenizer, "train")]
    if FLAGS.transfer_file:
        transfer = transfer_examples(FLAGS.transfer_file)
        paths.append(write_transfer_features(transfer, labels, tokenizer))
        examples = examples + transfer
    num_train_steps, num_warmup_steps = cli.steps_for_epochs(len(examples))
    cli.save_run_info(files, "classifier", labels, task_name=FLAGS.task_name.lower(),
                      distilled_from=os.path.abspath(FLAGS.teacher_dir),
                      kd_weight=FLAGS.kd_weight, temperature=FLAGS.temperature,
                      hidden_weight=FLAGS.hidden_weight)
    strategy = cli.strategy_from_flags()
    with strategy.scope():
        teacher = build_teacher(FLAGS.teacher_dir, teacher_config, len(labels))
    loss = distillation.DistillationLoss(teacher, FLAGS.kd_weight, FLAGS.temperature,
                                         FLAGS.hidden_weight,
                                         files.config.num_hidden_layers)
    trainer = cli.make_trainer(
        lambda: models.BertClassifier(models.BertEncoder(files.config), len(labels)), loss,
        num_train_steps, num_warmup_steps, strategy, loss.extra_variables)
    logging.info("***** Distilling *****\n  Num examples = %d\n  Num steps = %d", len(examples),
                 num_train_steps)
    cli.fit(trainer, paths, classifier.name_to_features(FLAGS.max_seq_length), init)
    if FLAGS.do_eval:
        result = run_classifier.evaluate(trainer, processor, tokenizer)[""]
        print(f"Student dev accuracy {result.get('eval_accuracy', float('nan')):.4f} after "
              f"{trainer.global_step} steps; outputs in {FLAGS.output_dir}")
    if FLAGS.do_predict:
        run_classifier.predict(trainer, processor, tokenizer)


if __name__ == "__main__":
    cli.run(main)
