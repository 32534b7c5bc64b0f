"""Run BERT on SQuAD 1.1 and SQuAD 2.0 (the original's run_squad.py).

  python run_squad.py --vocab_file=$BERT_BASE_DIR/vocab.txt \
    --bert_config_file=$BERT_BASE_DIR/bert_config.json \
    --init_checkpoint=$BERT_BASE_DIR/bert_model.ckpt --do_train=True \
    --train_file=$SQUAD_DIR/train-v1.1.json --do_predict=True \
    --predict_file=$SQUAD_DIR/dev-v1.1.json --train_batch_size=12 --learning_rate=3e-5 \
    --num_train_epochs=2.0 --max_seq_length=384 --doc_stride=128 --output_dir=/tmp/squad_base/

Writes predictions.json, nbest_predictions.json and (v2) null_odds.json like the
original; when the predict file has answers it also scores them with the official
SQuAD rules into eval_results.txt, and --tune_null_threshold (new) reports the best
null_score_diff_threshold for SQuAD 2.0 in the same run.
"""

from __future__ import annotations

import os
import random

import tensorflow as tf
from absl import flags, logging

from bert_tf import cli, models, restarts, squad_eval, tasks
from bert_tf.data import records, squad
from bert_tf.io import atomic_write_text

FLAGS = flags.FLAGS

flags.DEFINE_string("train_file", None, "SQuAD json for training. E.g., train-v1.1.json")
flags.DEFINE_string("predict_file", None,
                    "SQuAD json for predictions. E.g., dev-v1.1.json or test-v1.1.json")
flags.DEFINE_integer("doc_stride", 128,
                     "When splitting up a long document into chunks, how much stride to take "
                     "between chunks.")
flags.DEFINE_integer("max_query_length", 64,
                     "The maximum number of tokens for the question. Questions longer than this "
                     "will be truncated to this length.")
flags.DEFINE_bool("do_predict", False, "Whether to run eval on the dev set.")
flags.DEFINE_integer("predict_batch_size", 8, "Total batch size for predictions.")
flags.DEFINE_integer("n_best_size", 20,
                     "The total number of n-best predictions to generate in the "
                     "nbest_predictions.json output file.")
flags.DEFINE_integer("max_answer_length", 30,
                     "The maximum length of an answer that can be generated. This is needed "
                     "because the start and end predictions are not conditioned on one another.")
flags.DEFINE_bool("verbose_logging", False,
                  "If true, all of the warnings related to data processing will be printed. "
                  "A number of warnings are expected for a normal SQuAD evaluation.")
flags.DEFINE_bool("version_2_with_negative", False,
                  "If true, the SQuAD examples contain some that do not have an answer.")
flags.DEFINE_float("null_score_diff_threshold", 0.0,
                   "If null_score - best_non_null is greater than the threshold predict null.")
flags.DEFINE_bool("tune_null_threshold", False,
                  "(new) SQuAD 2.0: find the null_score_diff_threshold with the best F1 on "
                  "--predict_file and report best_f1 / best_exact with their thresholds.")
cli.define_model_flags(max_seq_length=384)
cli.define_train_flags()
restarts.define_flags()


def _features(examples, tokenizer, is_training: bool, filename: str):
    """Writes features to output_dir/<filename>; returns (writer, features kept in memory)."""
    kept = []
    with squad.FeatureWriter(os.path.join(FLAGS.output_dir, filename), is_training) as writer:
        def output_fn(feature):
            writer.process_feature(feature)
            if not is_training:
                kept.append(feature)

        squad.convert_examples_to_features(examples, tokenizer, FLAGS.max_seq_length,
                                           FLAGS.doc_stride, FLAGS.max_query_length, is_training,
                                           output_fn)
    return writer, kept


def train(trainer, train_examples, tokenizer, init_checkpoint) -> None:
    writer, _ = _features(train_examples, tokenizer, True, "train.tf_record")
    logging.info("***** Running training *****\n  Num orig examples = %d\n  Num split examples "
                 "= %d\n  Batch size = %d\n  Num steps = %d", len(train_examples),
                 writer.num_features, FLAGS.train_batch_size, trainer.config.num_train_steps)
    cli.fit(trainer, [writer.filename], squad.name_to_features(FLAGS.max_seq_length, True),
            init_checkpoint)


def predict(trainer, tokenizer, examples) -> dict:
    writer, features = _features(examples, tokenizer, False, "eval.tf_record")
    logging.info("***** Running predictions *****\n  Num orig examples = %d\n  Num split "
                 "examples = %d\n  Batch size = %d", len(examples), len(features),
                 FLAGS.predict_batch_size)
    dataset = records.dataset([writer.filename], squad.name_to_features(FLAGS.max_seq_length, False),
                              FLAGS.predict_batch_size, is_training=False)
    results = []
    for batch, out in trainer.predict(dataset):
        results += [squad.RawResult(int(u), s, e) for u, s, e in
                    zip(batch["unique_ids"], out["start_logits"], out["end_logits"])]
        if len(results) % 1000 < len(batch["unique_ids"]):
            logging.info("Processing example: %d", len(results))
    out_dir = FLAGS.output_dir
    result = squad.write_predictions(
        examples, features, results, FLAGS.n_best_size, FLAGS.max_answer_length,
        FLAGS.do_lower_case, os.path.join(out_dir, "predictions.json"),
        os.path.join(out_dir, "nbest_predictions.json"),
        os.path.join(out_dir, "null_odds.json") if FLAGS.version_2_with_negative else None,
        FLAGS.version_2_with_negative, FLAGS.null_score_diff_threshold, FLAGS.verbose_logging)
    return evaluate(result)


def evaluate(result) -> dict:
    """Official SQuAD scores of the predictions, when the predict file has answers."""
    dataset = squad.load_squad_json(FLAGS.predict_file)
    if not any(qa.get("answers") or qa.get("is_impossible") for article in dataset["data"]
               for p in article["paragraphs"] for qa in p["qas"]):
        logging.info("%s has no answers; not scoring", FLAGS.predict_file)
        return {}
    scores = squad_eval.evaluate(dataset, result.predictions, na_probs=result.null_odds,
                                 version_2_with_negative=FLAGS.version_2_with_negative)
    if FLAGS.tune_null_threshold:
        if not FLAGS.version_2_with_negative:
            raise flags.ValidationError("--tune_null_threshold needs --version_2_with_negative")
        scores.update(squad_eval.tune_null_threshold(dataset, result.nbest, result.null_odds))
        logging.info("Best null_score_diff_threshold for F1: %.4f (F1 %.2f)",
                     scores["best_f1_thresh"], scores["best_f1"])
    atomic_write_text(os.path.join(FLAGS.output_dir, "eval_results.txt"),
                      "".join(f"{k} = {scores[k]}\n" for k in sorted(scores)))
    for key in sorted(scores):
        logging.info("  %s = %s", key, scores[key])
    return scores


def main(argv):
    if FLAGS.num_restarts > 1:
        restarts.run(main, argv, ("f1",))
        return
    if not FLAGS.do_train and not FLAGS.do_predict:
        raise ValueError("At least one of `do_train` or `do_predict` must be True.")
    if FLAGS.do_train and not FLAGS.train_file:
        raise ValueError("If `do_train` is True, then `train_file` must be specified.")
    if FLAGS.do_predict and not FLAGS.predict_file:
        raise ValueError("If `do_predict` is True, then `predict_file` must be specified.")
    for flag in ("train_file", "predict_file"):
        path = getattr(FLAGS, flag)
        if path and not tf.io.gfile.exists(path):
            raise FileNotFoundError(f"--{flag} {path!r} does not exist")
    files = cli.resolve_model_files()
    squad.check_lengths(FLAGS.max_seq_length, FLAGS.doc_stride, FLAGS.max_query_length)
    cli.make_output_dir()
    tokenizer = cli.load_tokenizer(files.vocab_file, files.config)
    num_train_steps = num_warmup_steps = 0
    if FLAGS.do_train:
        train_examples = squad.read_squad_examples(FLAGS.train_file, True,
                                                   FLAGS.version_2_with_negative)
        num_train_steps, num_warmup_steps = cli.steps_for_epochs(len(train_examples))
        random.Random(12345).shuffle(train_examples)
        cli.save_run_info(files, "squad", max_query_length=FLAGS.max_query_length,
                          max_answer_length=FLAGS.max_answer_length)
    trainer = cli.make_trainer(lambda: models.BertSpanLabeler(models.BertEncoder(files.config)),
                               tasks.span_loss, num_train_steps, num_warmup_steps)
    if FLAGS.do_train:
        train(trainer, train_examples, tokenizer, files.init_checkpoint)
    if FLAGS.do_predict:
        examples = squad.read_squad_examples(FLAGS.predict_file, False,
                                             FLAGS.version_2_with_negative)
        cli.restore_for_inference(trainer, files.init_checkpoint, FLAGS.do_train)
        predict(trainer, tokenizer, examples)


if __name__ == "__main__":
    cli.run(main)
