"""Learns a BERT WordPiece vocab.txt from raw text, or extends one for a domain.

  python create_vocab.py --input_file=data/sample_text.txt --output_file=/tmp/vocab.txt \
    --vocab_size=2000 --num_unused=100

  python create_vocab.py --input_file=data/sample_text.txt --output_file=/tmp/vocab_ext.txt \
    --base_vocab_file=/tmp/vocab.txt --max_new_tokens=20
"""

from __future__ import annotations

from absl import flags, logging

from bert_tf import cli, tokenization, vocab
from bert_tf.data import pretraining
from bert_tf.errors import UsageError

flags.DEFINE_string("input_file", None, "Raw text file(s): comma-separated list of globs.")
flags.DEFINE_string("output_file", None, "Where to write vocab.txt.")
flags.DEFINE_integer("vocab_size", 30522, "Target vocab size (reserved tokens included).")
flags.DEFINE_bool("do_lower_case", True, "Lower-case and strip accents (uncased models).")
flags.DEFINE_integer("num_unused", 994, "How many [unusedN] slots to reserve.")
flags.DEFINE_integer("min_count", vocab.DEFAULT_MIN_COUNT,
                     "Add no piece seen fewer times than this (the learner's lower frequency "
                     "bound). Lower it when a small corpus learns far fewer than --vocab_size "
                     "tokens.", lower_bound=1)
flags.DEFINE_integer("max_input_lines", None, "Read at most this many non-empty lines (default: all).")
flags.DEFINE_string("base_vocab_file", None,
                    "Extend this vocab instead of learning one: frequent domain words that it "
                    "splits into >= 3 pieces replace its [unusedN] slots.")
flags.DEFINE_integer("max_new_tokens", 100, "With --base_vocab_file: words to add.")
cli.define_dry_run_flag()
FLAGS = flags.FLAGS


def main(_) -> None:
    if not FLAGS.input_file:
        raise UsageError("--input_file is required")
    if not FLAGS.output_file:
        raise UsageError("--output_file is required")
    files = pretraining.expand_input_patterns(FLAGS.input_file)
    base = list(tokenization.load_vocab(FLAGS.base_vocab_file)) if FLAGS.base_vocab_file else None
    if FLAGS.dry_run:  # every check that needs no pass over the text
        if base is None:
            vocab.check_vocab_size(FLAGS.vocab_size, FLAGS.num_unused)
        else:
            vocab.unused_slots(base, FLAGS.max_new_tokens)
        print(f"Dry run: {len(files)} input file(s) found, settings checked; nothing learned "
              f"or written to {FLAGS.output_file}.")
        return
    if base is not None:
        tokens, report = vocab.extend_vocab(base, files, FLAGS.max_new_tokens,
                                            FLAGS.do_lower_case, FLAGS.max_input_lines or 0)
        logging.info("%s: %s", FLAGS.output_file, report)
        print(report)
    else:
        tokens = vocab.learn_vocab(files, FLAGS.vocab_size, FLAGS.do_lower_case,
                                   FLAGS.num_unused, FLAGS.max_input_lines or 0,
                                   FLAGS.min_count)
        logging.info("Learned %d tokens", len(tokens))
    vocab.write_vocab(tokens, FLAGS.output_file)
    print(f"wrote {len(tokens)} tokens to {FLAGS.output_file}")


if __name__ == "__main__":
    cli.run(main)
