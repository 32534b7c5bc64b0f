"""Run masked LM / next sentence masked_lm pre-training for BERT (the original's run_pretraining.py).

  python run_pretraining.py --input_file=/tmp/tf_examples.tfrecord --output_dir=/tmp/pretraining_output \
    --do_train=True --do_eval=True --bert_config_file=$BERT_BASE_DIR/bert_config.json \
    --init_checkpoint=$BERT_BASE_DIR/bert_model.ckpt --train_batch_size=32 --max_seq_length=128 \
    --max_predictions_per_seq=20 --num_train_steps=20 --num_warmup_steps=10 --learning_rate=2e-5

Writes model.ckpt-N (original variable names, Adam slots, global_step) to --output_dir,
resumes from the newest one there, and writes eval_results.txt with the original keys.
"""

from __future__ import annotations

import os

import numpy as np
from absl import flags, logging

from bert_tf import cli, models, tasks, training
from bert_tf.data import pretraining, records
from bert_tf.io import atomic_write_text, expand_globs

FLAGS = flags.FLAGS

flags.DEFINE_string("input_file", None,
                    "Input TF example files (can be a glob or comma separated).")
flags.DEFINE_integer("max_predictions_per_seq", 20,
                     "Maximum number of masked LM predictions per sequence. Must match data "
                     "generation.")
flags.DEFINE_bool("do_eval", False, "Whether to run eval on the dev set.")
flags.DEFINE_integer("eval_batch_size", 8, "Total batch size for eval.")
flags.DEFINE_integer("num_train_steps", 100000, "Number of training steps.")
flags.DEFINE_integer("num_warmup_steps", 10000, "Number of warmup steps.")
flags.DEFINE_integer("max_eval_steps", 100, "Maximum number of eval steps.")
cli.define_model_flags(max_seq_length=128, vocab=False)
cli.define_train_flags(epochs=False)


def train(trainer: training.Trainer, input_files: list[str], init_checkpoint: str | None) -> None:
    micro_batch = cli.check_batch_size("train_batch_size", FLAGS.grad_accum_steps)
    restored = trainer.restore(init_checkpoint, init_optimizer=True)
    logging.info("Training from %s at step %d of %d", restored, trainer.global_step,
                 FLAGS.num_train_steps)

    def dataset_fn(ctx):
        return pretraining.pretraining_dataset(
            input_files, FLAGS.max_seq_length, FLAGS.max_predictions_per_seq,
            ctx.get_per_replica_batch_size(micro_batch), is_training=True, seed=FLAGS.seed,
            input_context=ctx)

    with records.reading(input_files):
        trainer.train(dataset_fn, FLAGS.train_batch_size)


def evaluate(trainer: training.Trainer, input_files: list[str]) -> dict[str, float]:
    """The original's metric_fn over max_eval_steps batches (the eval input repeats)."""
    dataset = pretraining.pretraining_dataset(
        input_files, FLAGS.max_seq_length, FLAGS.max_predictions_per_seq, FLAGS.eval_batch_size,
        is_training=False).take(FLAGS.max_eval_steps)
    sums = dict.fromkeys(("mlm_correct", "mlm_weight", "mlm_loss", "nsp_correct", "nsp_loss",
                          "n", "loss", "batches"), 0.0)
    with records.reading(input_files):
        outputs = list(trainer.predict(dataset))
    for batch, out in outputs:
        losses = {k: np.asarray(v) for k, v in tasks.pretraining_losses(out, batch).items()}
        w = batch["masked_lm_weights"]
        sums["mlm_correct"] += float(np.sum(w * (out["mlm_logits"].argmax(-1) == batch["masked_lm_ids"])))
        sums["mlm_weight"] += float(np.sum(w))
        sums["mlm_loss"] += float(np.sum(w * losses["masked_lm_example_loss"]))
        labels = batch["next_sentence_labels"].reshape(-1)
        sums["nsp_correct"] += float(np.sum(out["nsp_logits"].argmax(-1) == labels))
        sums["nsp_loss"] += float(np.sum(losses["next_sentence_example_loss"]))
        sums["n"] += len(labels)
        sums["loss"] += float(losses["masked_lm_loss"] + losses["next_sentence_loss"])
        sums["batches"] += 1
    if not sums["batches"]:
        raise ValueError(f"--input_file {FLAGS.input_file!r} has no eval examples")
    return {
        "global_step": trainer.global_step,
        "loss": sums["loss"] / sums["batches"],
        "masked_lm_accuracy": sums["mlm_correct"] / max(sums["mlm_weight"], 1e-12),
        "masked_lm_loss": sums["mlm_loss"] / max(sums["mlm_weight"], 1e-12),
        "next_sentence_accuracy": sums["nsp_correct"] / sums["n"],
        "next_sentence_loss": sums["nsp_loss"] / sums["n"],
    }


def main(_):
    if not FLAGS.do_train and not FLAGS.do_eval:
        raise ValueError("At least one of `do_train` or `do_eval` must be True.")
    files = cli.resolve_model_files()
    output_dir = cli.make_output_dir()
    input_files = expand_globs(FLAGS.input_file or "", "input_file")
    logging.info("*** Input Files ***\n  %s", "\n  ".join(input_files))
    strategy = cli.strategy_from_flags()
    trainer = training.Trainer(lambda: models.BertPretrainer(models.BertEncoder(files.config)),
                               tasks.pretraining_loss,
                               cli.train_config(FLAGS.num_train_steps, FLAGS.num_warmup_steps),
                               strategy)
    if FLAGS.do_train:
        train(trainer, input_files, files.init_checkpoint)
    else:
        trainer.restore(files.init_checkpoint, init_optimizer=True)
    if FLAGS.do_eval:
        result = evaluate(trainer, input_files)
        logging.info("***** Eval results *****")
        for key in sorted(result):
            logging.info("  %s = %s", key, result[key])
        atomic_write_text(os.path.join(output_dir, "eval_results.txt"),
                          "".join(f"{k} = {result[k]}\n" for k in sorted(result)))


if __name__ == "__main__":
    cli.run(main)
