"""Sequence-to-sequence generation warm-started from BERT (bert2bert), in the original's style.

  python run_seq2seq.py --init_checkpoint=$BERT_DIR/bert_model.ckpt --do_lower_case=False \
    --train_file=train.tsv --eval_file=dev.tsv --do_train --do_eval \
    --max_source_length=128 --max_target_length=64 --train_batch_size=32 \
    --learning_rate=5e-5 --num_train_epochs=3.0 --output_dir=/tmp/translation

Rothe, Narayan and Severyn (TACL 2020): the encoder and the decoder both start from
the BERT checkpoint (--decoder_init=bert; `shared` ties them, `random` starts the
decoder from scratch); only the decoder's cross-attention is new. Files are TSV,
CSV or JSONL with --source_column and --target_column. --do_eval writes
eval_results.txt (eval_loss and BLEU with sacreBLEU, or ROUGE with rouge-score:
--metric) and eval_predictions.tsv; --do_predict writes predictions.tsv
(source, reference, hypothesis). Decoding is beam search (--beam_size, --alpha)
with a key/value cache; --beam_size=1 is greedy.
"""

from __future__ import annotations

import csv
import os

import numpy as np
import tensorflow as tf
from absl import flags, logging

from bert_tf import cli, decoding, inference, models, tasks, text, text_metrics
from bert_tf.data import records, seq2seq
from bert_tf.io import atomic_open

FLAGS = flags.FLAGS

flags.DEFINE_string("train_file", None, "TSV, CSV or JSONL file of training pairs.")
flags.DEFINE_string("eval_file", None, "File of pairs to evaluate on (--do_eval).")
flags.DEFINE_string("predict_file", None, "File of sources (targets optional) to generate for.")
flags.DEFINE_string("source_column", "source", "Source column: a header name, JSON key or "
                    "0-based index.")
flags.DEFINE_string("target_column", "target", "Target column: a header name, JSON key or "
                    "0-based index.")
flags.DEFINE_integer("max_source_length", 128, "Source wordpieces per example, with [CLS] "
                     "and [SEP]; longer sources are truncated (and counted in the log).",
                     lower_bound=3)
flags.DEFINE_integer("max_target_length", 64, "Target wordpieces in training, with the "
                     "start/end token; longer targets are truncated.", lower_bound=2)
flags.DEFINE_integer("max_decode_length", None, "Most wordpieces to generate (with the end "
                     "token); default: --max_target_length.")
flags.DEFINE_enum("decoder_init", None, list(models.DECODER_INITS),
                  "bert: decoder warm-started from the checkpoint (bert2bert); shared: the "
                  "decoder uses the encoder's weights (bertShare); random: decoder from scratch "
                  "(bert2rnd). Default: the run's own (run_info.json), else bert.")
flags.DEFINE_enum("target_vocab", "train", ["train", "all"],
                  "(new) train: the decoder outputs only wordpieces that occur in the training "
                  "targets (plus [SEP]); with BERT's 30k-word softmax a small data set otherwise "
                  "takes far longer to learn (README). all: the whole vocabulary.")
flags.DEFINE_integer("beam_size", 4, "Beam width; 1 is greedy decoding.")
flags.DEFINE_float("alpha", 0.6, "Length penalty ((5 + length) / 6) ** alpha of beam search.",
                   lower_bound=0.0)
flags.DEFINE_bool("padded_decode", False, "Pad every batch to the full batch size and "
                  "--max_source_length, so decoding has static shapes (TPUs; XLA compiles once).")
flags.DEFINE_float("label_smoothing", 0.0, "Label smoothing of the training loss, in [0, 1).")
flags.DEFINE_enum("metric", "bleu", ["bleu", "rouge"], "bleu (sacreBLEU, translation) or "
                  "rouge (rouge-score: rouge1, rouge2, rougeLsum; summarization).")
flags.DEFINE_enum("bleu_tokenize", "13a", list(text_metrics.BLEU_TOKENIZERS),
                  "sacreBLEU tokenizer: 13a (default), zh for Chinese, intl, char, ...")
flags.DEFINE_bool("do_eval", False, "Whether to evaluate on --eval_file.")
flags.DEFINE_bool("do_predict", False, "Whether to generate for --predict_file.")
flags.DEFINE_integer("eval_batch_size", 8, "Total batch size for eval.")
flags.DEFINE_integer("predict_batch_size", 8, "Total batch size for predict.")
cli.define_model_flags(max_seq_length=None)
cli.define_train_flags()


def _check_flags() -> None:
    if not (FLAGS.do_train or FLAGS.do_eval or FLAGS.do_predict):
        raise ValueError("At least one of `do_train`, `do_eval` or `do_predict' must be True.")
    for do, name in (("do_train", "train_file"), ("do_eval", "eval_file"),
                     ("do_predict", "predict_file")):
        if getattr(FLAGS, do) and not getattr(FLAGS, name):
            raise flags.ValidationError(f"--{do} needs --{name}")


def _decode_length() -> int:
    return FLAGS.max_decode_length or FLAGS.max_target_length


def _features(pairs, tokenizer, name: str, targets: bool) -> str:
    path = os.path.join(FLAGS.output_dir, f"{name}.tf_record")
    seq2seq.write_features(pairs if targets else [seq2seq.Pair(p.guid, p.source) for p in pairs],
                           tokenizer, FLAGS.max_source_length, FLAGS.max_target_length, path)
    return path


def _batches(path: str, batch_size: int, targets: bool) -> tf.data.Dataset:
    spec = seq2seq.name_to_features(FLAGS.max_source_length,
                                    FLAGS.max_target_length if targets else None)
    return records.dataset([path], spec, batch_size, is_training=False)


def generate(trainer, pairs, tokenizer, batch_size: int) -> list[str]:
    """Hypothesis texts for the pairs' sources, in order."""
    model, vocab = trainer.model, tokenizer.inv_vocab
    vocab_tokens = tf.constant([vocab.get(i, "[UNK]") for i in range(max(vocab) + 1)])
    bos, eos = tokenizer.vocab["[CLS]"], tokenizer.vocab["[SEP]"]

    @tf.function(jit_compile=FLAGS.xla, reduce_retracing=True)
    def run(inputs):
        ids, _ = decoding.generate(model, inputs, _decode_length(), bos, eos, FLAGS.beam_size,
                                   FLAGS.alpha)
        return text.detokenize(ids, vocab_tokens, eos, (0, bos))

    path = _features(pairs, tokenizer, "generate", targets=False)
    hypotheses = []
    with records.reading([path]):
        for batch in _batches(path, batch_size, targets=False):
            inputs = {k: batch[k] for k in models.INPUT_NAMES}
            n = int(inputs["input_mask"].shape[0])
            if FLAGS.padded_decode:  # every call [batch_size, max_source_length]
                inputs = {k: tf.pad(v, [[0, batch_size - n], [0, 0]]) for k, v in inputs.items()}
            else:  # only as long as the batch's longest source
                used = int(tf.reduce_max(tf.reduce_sum(inputs["input_mask"], 1)))
                length = inference.trimmed_length(used, FLAGS.max_source_length, 16)
                inputs = {k: v[:, :length] for k, v in inputs.items()}
            hypotheses += [t.decode("utf-8") for t in run(inputs).numpy()[:n]]
            logging.info("Generated %d of %d", len(hypotheses), len(pairs))
    return hypotheses


def _eval_loss(trainer, path: str) -> dict:
    """Teacher-forced token cross entropy over the whole eval set.

    Reference tokens the decoder cannot output (outside --target_vocab=train's
    vocabulary: cross entropy ~10000) are left out of eval_loss and counted in
    eval_tokens_outside_vocab.
    """
    model = trainer.model
    allowed = None
    if model.target_vocab is not None:
        allowed = np.zeros(model.encoder.config.vocab_size, np.float32)
        allowed[model.target_vocab] = 1.0

    @tf.function
    def sums(batch):
        logits = model(models.model_inputs(model, batch), training=False)["logits"]
        ce = tasks.token_cross_entropy(logits, batch["target_ids"])
        weights = tf.cast(batch["target_mask"], tf.float32)
        reachable = weights
        if allowed is not None:
            reachable *= tf.gather(allowed, batch["target_ids"])
        return (tf.reduce_sum(reachable * ce), tf.reduce_sum(reachable),
                tf.reduce_sum(weights - reachable))

    total = np.zeros(3)
    with records.reading([path]):
        for batch in _batches(path, FLAGS.eval_batch_size, targets=True):
            total += [float(x) for x in sums(batch)]
    return {"eval_loss": float(total[0] / max(total[1], 1.0)),
            "eval_tokens_outside_vocab": int(total[2])}


def score(hypotheses: list[str], references: list[str]) -> dict:
    if FLAGS.metric == "bleu":
        return text_metrics.bleu(hypotheses, references, FLAGS.bleu_tokenize)
    return text_metrics.rouge([text_metrics.sentence_lines(h) for h in hypotheses],
                              [text_metrics.sentence_lines(r) for r in references])


def _write_tsv(name: str, pairs, hypotheses) -> None:
    def cell(s: str | None) -> str:
        return " ".join((s or "").split())  # no tabs or newlines inside a cell

    with atomic_open(os.path.join(FLAGS.output_dir, name), "w") as f:
        writer = csv.writer(f, delimiter="\t", quoting=csv.QUOTE_NONE, quotechar=None,
                            escapechar=None, lineterminator="\n")
        writer.writerow(["source", "reference", "hypothesis"])
        writer.writerows([cell(p.source), cell(p.target), cell(h)]
                         for p, h in zip(pairs, hypotheses))


def evaluate(trainer, tokenizer) -> dict:
    pairs = seq2seq.read_pairs(FLAGS.eval_file, FLAGS.source_column, FLAGS.target_column)
    result = _eval_loss(trainer, _features(pairs, tokenizer, "eval", True))
    hypotheses = generate(trainer, pairs, tokenizer, FLAGS.eval_batch_size)
    result.update(score(hypotheses, [p.target for p in pairs]))
    result.update(global_step=trainer.global_step, eval_examples=len(pairs))
    _write_tsv("eval_predictions.tsv", pairs, hypotheses)
    cli.write_eval_results(result)
    return result


def predict(trainer, tokenizer) -> None:
    pairs = seq2seq.read_pairs(FLAGS.predict_file, FLAGS.source_column, FLAGS.target_column,
                               require_target=False)
    _write_tsv("predictions.tsv", pairs,
               generate(trainer, pairs, tokenizer, FLAGS.predict_batch_size))
    logging.info("Wrote %d hypotheses to predictions.tsv", len(pairs))


def main(_):
    _check_flags()
    files = cli.resolve_model_files()
    cli.make_output_dir()
    tokenizer = cli.load_tokenizer(files.vocab_file, files.config)
    decoder_init = (FLAGS.decoder_init
                    or cli.load_run_info(FLAGS.init_checkpoint).get("decoder_init") or "bert")
    num_train_steps = num_warmup_steps = 0
    target_vocab = cli.load_run_info(FLAGS.init_checkpoint).get("target_vocab")
    if FLAGS.do_train:
        train_pairs = seq2seq.read_pairs(FLAGS.train_file, FLAGS.source_column,
                                         FLAGS.target_column)
        num_train_steps, num_warmup_steps = cli.steps_for_epochs(len(train_pairs))
        target_vocab = (seq2seq.target_vocabulary(train_pairs, tokenizer, FLAGS.max_target_length)
                        if FLAGS.target_vocab == "train" else None)
        if target_vocab:
            logging.info("Output vocabulary: the %d wordpieces of the training targets",
                         len(target_vocab))
        cli.save_run_info(files, "seq2seq", decoder_init=decoder_init,
                          max_source_length=FLAGS.max_source_length,
                          max_target_length=FLAGS.max_target_length,
                          max_decode_length=_decode_length(), target_vocab=target_vocab)
    trainer = cli.make_trainer(
        lambda: models.BertSeq2Seq(models.BertEncoder(files.config), decoder_init, target_vocab),
        tasks.seq2seq_loss(FLAGS.label_smoothing), num_train_steps, num_warmup_steps)
    if FLAGS.do_train:
        path = _features(train_pairs, tokenizer, "train", targets=True)
        cli.fit(trainer, [path], seq2seq.name_to_features(FLAGS.max_source_length,
                                                          FLAGS.max_target_length),
                files.init_checkpoint)
    if FLAGS.do_eval or FLAGS.do_predict:
        cli.restore_for_inference(trainer, files.init_checkpoint, FLAGS.do_train)
    if FLAGS.do_eval:
        evaluate(trainer, tokenizer)
    if FLAGS.do_predict:
        predict(trainer, tokenizer)


if __name__ == "__main__":
    cli.run(main)
