"""Run masked LM / next sentence masked_lm pre-training for BERT (the original's run_pretraining.py).

  python run_pretraining.py --input_file=/tmp/tf_examples.tfrecord --output_dir=/tmp/pretraining_output \
    --do_train=True --do_eval=True --bert_config_file=$BERT_BASE_DIR/bert_config.json \
    --init_checkpoint=$BERT_BASE_DIR/bert_model.ckpt --train_batch_size=32 --max_seq_length=128 \
    --max_predictions_per_seq=20 --num_train_steps=20 --num_warmup_steps=10 --learning_rate=2e-5

Writes model.ckpt-N (original variable names, Adam slots, global_step) to --output_dir,
resumes from the newest one there, and writes eval_results.txt with the original keys.
"""

from absl import flags

from bert_tf import cli
from bert_tf.tasks.pretraining import PretrainingTask

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
flags.DEFINE_string("vocab_file", None,
                    "(new) The vocabulary of the data; checked against the model's vocab_size "
                    "and copied into --output_dir. Default: the vocab.txt beside "
                    "--init_checkpoint, if any.")
cli.define_model_flags(max_seq_length=128, vocab=False)
cli.define_train_flags(epochs=False)

if __name__ == "__main__":
    cli.run_task(PretrainingTask)
