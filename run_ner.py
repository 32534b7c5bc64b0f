"""BERT fine-tuning for named-entity recognition (token tagging), in the original's style.

  python run_ner.py --data_dir=$CONLL_DIR --vocab_file=$BERT_BASE_DIR/vocab.txt \
    --bert_config_file=$BERT_BASE_DIR/bert_config.json \
    --init_checkpoint=$BERT_BASE_DIR/bert_model.ckpt --do_lower_case=False \
    --do_train --do_eval --do_predict --max_seq_length=128 --train_batch_size=32 \
    --learning_rate=2e-5 --num_train_epochs=3.0 --output_dir=/tmp/ner_output/

--data_dir holds train.txt, dev.txt and test.txt in CoNLL-2003 format (one token
per line, tag in the last column, blank line between sentences) or .jsonl files
with "tokens" and "tags"; --train_file/--eval_file/--predict_file name files
directly. Writes eval_results.txt (entity precision/recall/F1 with seqeval) and
test_predictions.txt (`word [gold] predicted` per line, aligned to the input words).
"""

from __future__ import annotations

import os

import numpy as np
from absl import flags, logging

from bert_tf import cli, models, restarts, tasks
from bert_tf.data import ner, records

FLAGS = flags.FLAGS

flags.DEFINE_string("data_dir", None, "Directory with train.txt, dev.txt and test.txt "
                    "(CoNLL format) or .jsonl files.")
flags.DEFINE_string("train_file", None, "Training file (overrides --data_dir's train.txt).")
flags.DEFINE_string("eval_file", None, "Evaluation file (overrides --data_dir's dev.txt).")
flags.DEFINE_string("predict_file", None, "Prediction file (overrides --data_dir's test.txt).")
flags.DEFINE_list("label_list", None, "The tags, in id order; default: from the training file.")
flags.DEFINE_bool("do_eval", False, "Whether to run eval on the dev set.")
flags.DEFINE_bool("do_predict", False, "Whether to tag the test set.")
flags.DEFINE_integer("eval_batch_size", 8, "Total batch size for eval.")
flags.DEFINE_integer("predict_batch_size", 8, "Total batch size for predict.")
cli.define_model_flags(max_seq_length=128)
cli.define_train_flags()
restarts.define_flags()


def _file(flag: str, split: str) -> str:
    return cli.data_file(flag, split, ner.find_split_file)


def _labels() -> list[str]:
    if FLAGS.label_list:
        return ner.validate_label_list(FLAGS.label_list)
    if not FLAGS.do_train and not FLAGS.train_file and not FLAGS.data_dir:
        raise flags.ValidationError("--label_list is required without training data")
    return ner.get_labels(ner.read_examples(_file("train_file", "train"), require_tags=True))


def _features(examples, labels, tokenizer, name: str):
    path = os.path.join(FLAGS.output_dir, f"{name}.tf_record")
    features = ner.file_based_convert_examples_to_features(examples, labels, FLAGS.max_seq_length,
                                                           tokenizer, path)
    return path, features


def _logits(trainer, path: str, batch_size: int) -> np.ndarray:
    dataset = records.dataset([path], ner.name_to_features(FLAGS.max_seq_length), batch_size,
                              is_training=False)
    with records.reading([path]):
        return np.concatenate([out["logits"] for _, out in trainer.predict(dataset)])


def evaluate(trainer, labels, tokenizer) -> dict:
    examples = ner.read_examples(_file("eval_file", "dev"), True, labels)
    path, features = _features(examples, labels, tokenizer, "eval")
    result, _ = ner.ner_eval_results(examples, features,
                                     _logits(trainer, path, FLAGS.eval_batch_size), labels,
                                     FLAGS.eval_batch_size)
    result["global_step"] = trainer.global_step
    cli.write_eval_results(result)
    return result


def predict(trainer, labels, tokenizer) -> None:
    examples = ner.read_examples(_file("predict_file", "test"), False, labels)
    path, features = _features(examples, labels, tokenizer, "predict")
    logits = _logits(trainer, path, FLAGS.predict_batch_size)
    tags = ner.decode_predictions(examples, features, logits.argmax(-1), labels)
    ner.write_predictions(os.path.join(FLAGS.output_dir, ner.PREDICTIONS_FILE), examples, tags)
    logging.info("Tagged %d sentences into %s", len(examples), ner.PREDICTIONS_FILE)


def main(argv):
    if FLAGS.num_restarts > 1:
        restarts.run(main, argv, ("eval_f1",))
        return
    if not (FLAGS.do_train or FLAGS.do_eval or FLAGS.do_predict):
        raise ValueError("At least one of `do_train`, `do_eval` or `do_predict' must be True.")
    files = cli.resolve_model_files()
    cli.make_output_dir()
    tokenizer = cli.load_tokenizer(files.vocab_file, files.config)
    labels = _labels()
    logging.info("Labels: %s", labels)
    num_train_steps = num_warmup_steps = 0
    if FLAGS.do_train:
        train_examples = ner.read_examples(_file("train_file", "train"), True, labels)
        num_train_steps, num_warmup_steps = cli.steps_for_epochs(len(train_examples))
        cli.save_run_info(files, "ner", labels)
    trainer = cli.make_trainer(
        lambda: models.BertTokenTagger(models.BertEncoder(files.config), len(labels)),
        tasks.tagging_loss, num_train_steps, num_warmup_steps)
    if FLAGS.do_train:
        path, _ = _features(train_examples, labels, tokenizer, "train")
        cli.fit(trainer, [path], ner.name_to_features(FLAGS.max_seq_length), files.init_checkpoint)
    if FLAGS.do_eval or FLAGS.do_predict:
        cli.restore_for_inference(trainer, files.init_checkpoint, FLAGS.do_train)
    if FLAGS.do_eval:
        evaluate(trainer, labels, tokenizer)
    if FLAGS.do_predict:
        predict(trainer, labels, tokenizer)


if __name__ == "__main__":
    cli.run(main)
