"""Creates masked-LM / next-sentence TFRecord examples for BERT pretraining.

The original script's flags, defaults and output. With the defaults (one process)
the records are the same as the original's for the same input, vocab and seed.

  python create_pretraining_data.py \
    --input_file=data/sample_text.txt --output_file=/tmp/tf_examples.tfrecord \
    --vocab_file=$BERT_BASE_DIR/vocab.txt --do_lower_case=True \
    --max_seq_length=128 --max_predictions_per_seq=20 --masked_lm_prob=0.15 \
    --random_seed=12345 --dupe_factor=5

Large corpora: `--num_workers=8` (or `--docs_per_shard=N`) streams the input in
shards of documents, processes them in parallel and writes
`<output_file>-00000-of-000NN` ...; the records depend on --docs_per_shard and
--random_seed, not on --num_workers.
"""

from __future__ import annotations

from absl import flags, logging

from bert_tf import cli
from bert_tf.data import pretraining

flags.DEFINE_string("input_file", None,
                    "Input raw text file (or comma-separated list of files).")
flags.DEFINE_string("output_file", None,
                    "Output TF example file (or comma-separated list of files).")
flags.DEFINE_string("vocab_file", None,
                    "The vocabulary file that the BERT model was trained on.")
flags.DEFINE_bool("do_lower_case", True,
                  "Whether to lower case the input text. Should be True for uncased "
                  "models and False for cased models.")
flags.DEFINE_bool("do_whole_word_mask", False,
                  "Whether to use whole word masking rather than per-WordPiece masking.")
flags.DEFINE_integer("max_seq_length", 128, "Maximum sequence length.")
flags.DEFINE_integer("max_predictions_per_seq", 20,
                     "Maximum number of masked LM predictions per sequence.")
flags.DEFINE_integer("random_seed", 12345, "Random seed for data generation.")
flags.DEFINE_integer("dupe_factor", 10,
                     "Number of times to duplicate the input data (with different masks).")
flags.DEFINE_float("masked_lm_prob", 0.15, "Masked LM probability.")
flags.DEFINE_float("short_seq_prob", 0.1,
                   "Probability of creating sequences which are shorter than the "
                   "maximum length.")
# Additions.
flags.DEFINE_integer("num_workers", 1,
                     "Worker processes. 1 = the original single-process algorithm (all "
                     "documents in memory). > 1 = sharded mode: the input is streamed in "
                     "shards of --docs_per_shard documents, one output file per shard.")
flags.DEFINE_integer("docs_per_shard", 0,
                     "Documents per shard in sharded mode; > 0 also selects sharded mode "
                     "with --num_workers=1. 0 = %d when --num_workers > 1. A shard also ends "
                     "after %dM characters of text. Random next sentences come from the same "
                     "shard; the output depends on this flag and --random_seed, not on "
                     "--num_workers."
                     % (pretraining.DEFAULT_DOCS_PER_SHARD, pretraining.MAX_SHARD_CHARS >> 20))
flags.DEFINE_integer("log_examples", 3, "How many instances to log in full.")
cli.define_dry_run_flag()

FLAGS = flags.FLAGS


def main(_):
    options = pretraining.PretrainingOptions(
        max_seq_length=FLAGS.max_seq_length,
        max_predictions_per_seq=FLAGS.max_predictions_per_seq,
        masked_lm_prob=FLAGS.masked_lm_prob,
        short_seq_prob=FLAGS.short_seq_prob,
        dupe_factor=FLAGS.dupe_factor,
        do_whole_word_mask=FLAGS.do_whole_word_mask)
    if FLAGS.dry_run:  # the flag rules checked the files
        options.validate()
        values = cli.flag_values()[0]
        print("\n".join(f"  --{k}={values[k]}" for k in sorted(values)))
        return
    stats = pretraining.create_pretraining_data(
        FLAGS.input_file, FLAGS.output_file, FLAGS.vocab_file, FLAGS.do_lower_case, options,
        random_seed=FLAGS.random_seed, num_workers=FLAGS.num_workers,
        docs_per_shard=FLAGS.docs_per_shard, log_examples=FLAGS.log_examples)
    logging.info("%d documents -> %d instances in %d file(s), %.1f s (%.0f instances/s)",
                 stats.documents, stats.instances, len(stats.output_files), stats.seconds,
                 stats.instances_per_second)


if __name__ == "__main__":
    flags.mark_flag_as_required("input_file")
    flags.mark_flag_as_required("output_file")
    flags.mark_flag_as_required("vocab_file")
    cli.run(main)
