"""Extractive summarization with BERT (BertSumExt, Liu and Lapata 2019), in the original's style.

  python run_summarization.py --data_dir=$DATA --init_checkpoint=$BERT_BASE_DIR/bert_model.ckpt \
    --do_train --do_eval --do_predict --max_seq_length=512 --train_batch_size=32 \
    --learning_rate=5e-5 --num_train_epochs=3.0 --output_dir=/tmp/sum_output/

Data: .jsonl files ({"text": "..."} or {"sentences": [...]}, plus "summary"),
CNN/DailyMail .story files or a directory of them (`@highlight` lines are the
summary), and for --predict_file also plain text (one document per line). Raw text
is split into sentences by `bert_tf.data.summarization.split_sentences` (English
and CJK punctuation; no Java). --data_dir holds train.jsonl, dev.jsonl, test.jsonl.

Training labels are the greedy oracle (--oracle_sentences). Inference ranks the
sentences by score, skips one sharing a trigram with a chosen one (--block_trigram),
keeps --max_summary_sentences, in document order. Writes eval_results.txt (ROUGE-1/2/Lsum
F1 with 95% bootstrap intervals, rouge-score with a tokenizer that keeps CJK text; the same
for Lead-3 and the Oracle on that data) and predictions.jsonl (chosen sentence indices,
every sentence's score, the summary text).
Documents beyond --max_seq_length wordpieces are cut, counted and logged; above the
checkpoint's 512 positions pass --max_position_embeddings (new rows start as the last
learned one). --sentence_pooling=mean takes each sentence's mean token vector instead of
its [CLS] vector, for checkpoints trained with mean pooling (sentence-transformers).
"""

from __future__ import annotations

import json
import os

import numpy as np
import tensorflow as tf
from absl import flags, logging

from bert_tf import cli, models, summarization, tasks, text_metrics
from bert_tf.data import records
from bert_tf.data import summarization as data
from bert_tf.io import atomic_open

FLAGS = flags.FLAGS

flags.DEFINE_string("data_dir", None, "Directory with train.jsonl, dev.jsonl and test.jsonl.")
flags.DEFINE_string("train_file", None, "Training .jsonl / .story file or .story directory.")
flags.DEFINE_string("eval_file", None, "Evaluation file (overrides --data_dir's dev.jsonl).")
flags.DEFINE_string("predict_file", None, "Documents to summarize: .jsonl, .story, or plain text "
                    "with one document per line (overrides --data_dir's test.jsonl).")
flags.DEFINE_bool("do_eval", False, "Whether to run eval on the dev set.")
flags.DEFINE_bool("do_predict", False, "Whether to summarize --predict_file.")
flags.DEFINE_integer("eval_batch_size", 8, "Total batch size for eval.")
flags.DEFINE_integer("predict_batch_size", 8, "Total batch size for predict.")
flags.DEFINE_integer("inter_layers", 2, "Transformer layers over the sentence vectors.")
flags.DEFINE_enum("sentence_pooling", "cls", list(summarization.SENTENCE_POOLING),
                  "A sentence's vector: its [CLS] vector (BertSumExt), or the mean of its "
                  "tokens' vectors, for checkpoints trained with mean pooling (sentence-"
                  "transformers such as all-MiniLM-L6-v2).")
flags.DEFINE_integer("max_sentences", 64, "Most sentences of a document the model sees.")
flags.DEFINE_integer("oracle_sentences", 3, "Most sentences of the greedy oracle (the labels).")
flags.DEFINE_integer("max_summary_sentences", 3, "Sentences in a predicted summary.")
flags.DEFINE_bool("block_trigram", True, "Skip a sentence sharing a trigram with a chosen one.")
flags.DEFINE_integer("max_position_embeddings", None,
                     "Grow the position table to this many rows (>= the checkpoint's) for "
                     "--max_seq_length beyond it; new rows start as the last learned one.")
cli.define_model_flags(max_seq_length=512)
cli.define_train_flags()

# A document needs two sentences to leave one out; shorter ones are skipped (and counted)
# in training and evaluation, and summarized as themselves in prediction.
MIN_SENTENCES = 2
PREDICTIONS_FILE = "predictions.jsonl"


def _file(flag: str, split: str) -> str:
    return cli.data_file(flag, split, lambda directory, name: os.path.join(directory,
                                                                            f"{name}.jsonl"))


def _check_flags() -> None:
    if not (FLAGS.do_train or FLAGS.do_eval or FLAGS.do_predict):
        raise ValueError("At least one of `do_train`, `do_eval` or `do_predict' must be True.")
    for name in ("max_sentences", "oracle_sentences", "max_summary_sentences"):
        if getattr(FLAGS, name) < 1:
            raise flags.ValidationError(f"--{name} must be >= 1, got {getattr(FLAGS, name)}")
    if FLAGS.inter_layers < 0:
        raise flags.ValidationError(f"--inter_layers must be >= 0, got {FLAGS.inter_layers}")
    if FLAGS.max_seq_length < 3:
        raise flags.ValidationError(f"--max_seq_length must be >= 3, got {FLAGS.max_seq_length}")


def _read(flag: str, split: str, labelled: bool):
    """Examples of a split; with `labelled`, documents too short to summarize are skipped."""
    path = _file(flag, split)
    examples = data.read_examples(path, require_summary=labelled)
    if not examples:
        raise data.SummarizationDataError(f"{path} has no documents")
    if labelled:
        kept = [e for e in examples if len(e.sentences) >= MIN_SENTENCES]
        if len(kept) < len(examples):
            logging.warning("%s: skipped %d of %d documents with fewer than %d sentences",
                            path, len(examples) - len(kept), len(examples), MIN_SENTENCES)
        if not kept:
            raise data.SummarizationDataError(f"{path}: every document has fewer than "
                                              f"{MIN_SENTENCES} sentences")
        examples = kept
    return examples


def _features(examples, tokenizer, name: str):
    features = data.convert_examples(examples, tokenizer, FLAGS.max_seq_length,
                                     FLAGS.max_sentences, FLAGS.oracle_sentences)
    c = data.counts(features)
    logging.info("%s: %d documents, %d sentences kept", name, c["documents"], c["sentences_kept"])
    if c["documents_cut"]:
        logging.warning("%s: %d of %d documents were cut to --max_seq_length=%d / "
                        "--max_sentences=%d: %d sentences and %d wordpieces dropped (raise "
                        "--max_seq_length, with --max_position_embeddings beyond the "
                        "checkpoint's, to keep them)", name, c["documents_cut"], c["documents"],
                        FLAGS.max_seq_length, FLAGS.max_sentences, c["sentences_cut"],
                        c["wordpieces_cut"])
    return features


def _dataset(features, batch_size: int) -> tf.data.Dataset:
    columns = {records.MODEL_INPUT_NAMES.get(k, k): np.array([f.to_record()[k] for f in features],
                                                            np.int32)
               for k in features[0].to_record()}
    return tf.data.Dataset.from_tensor_slices(columns).batch(batch_size)


def _scores(trainer, features, batch_size: int) -> tuple[list[np.ndarray], np.ndarray]:
    """Each document's sentence scores (kept sentences only) and logits [docs, max_sentences]."""
    logits = np.concatenate([out["logits"] for _, out in
                             trainer.predict(_dataset(features, batch_size))])
    probabilities = 1.0 / (1.0 + np.exp(-logits))
    return [p[:f.num_sentences] for p, f in zip(probabilities, features)], logits


def _summaries(examples, scores) -> list[list[int]]:
    return [data.select_sentences(e.sentences, s, FLAGS.max_summary_sentences,
                                  FLAGS.block_trigram) for e, s in zip(examples, scores)]


def evaluate(trainer, tokenizer) -> dict:
    examples = _read("eval_file", "dev", labelled=True)
    features = _features(examples, tokenizer, "eval")
    scores, logits = _scores(trainer, features, FLAGS.eval_batch_size)
    labels = np.array([f.labels for f in features], np.float32)
    mask = np.array([f.sentence_mask for f in features], np.float32)
    bce = np.maximum(logits, 0) - logits * labels + np.log1p(np.exp(-np.abs(logits)))
    references = [data.summary_text(e.summary, range(len(e.summary))) for e in examples]
    chosen = {"": _summaries(examples, scores),
              "lead3_": [data.lead(e.sentences) for e in examples],
              "oracle_": [np.flatnonzero(f.labels).tolist() for f in features]}
    result = {"eval_loss": float((bce * mask).sum() / mask.sum()),
              "global_step": trainer.global_step, "eval_documents": len(examples)}
    for prefix, picks in chosen.items():
        texts = [data.summary_text(e.sentences, p) for e, p in zip(examples, picks)]
        rouge = text_metrics.rouge(texts, references, seed=FLAGS.seed)
        result.update({f"{prefix}{k}": v for k, v in rouge.items()})
    cli.write_eval_results(result)
    return result


def predict(trainer, tokenizer) -> None:
    examples = _read("predict_file", "test", labelled=False)
    features = _features(examples, tokenizer, "predict")
    scores, _ = _scores(trainer, features, FLAGS.predict_batch_size)
    with atomic_open(os.path.join(FLAGS.output_dir, PREDICTIONS_FILE)) as f:
        for example, s, picks in zip(examples, scores, _summaries(examples, scores)):
            f.write(json.dumps({"id": example.guid, "sentence_indices": picks,
                                "scores": [round(float(x), 6) for x in s],
                                "summary": data.summary_text(example.sentences, picks)},
                               ensure_ascii=False) + "\n")
    logging.info("Summarized %d documents into %s", len(examples), PREDICTIONS_FILE)


def main(_):
    _check_flags()
    files = cli.resolve_model_files(max_position_embeddings=FLAGS.max_position_embeddings)
    cli.make_output_dir()
    tokenizer = cli.load_tokenizer(files.vocab_file, files.config)
    num_train_steps = num_warmup_steps = 0
    if FLAGS.do_train:
        train_examples = _read("train_file", "train", labelled=True)
        num_train_steps, num_warmup_steps = cli.steps_for_epochs(len(train_examples))
        cli.save_run_info(files, "summarizer", None, max_sentences=FLAGS.max_sentences,
                          inter_layers=FLAGS.inter_layers,
                          sentence_pooling=FLAGS.sentence_pooling,
                          max_summary_sentences=FLAGS.max_summary_sentences,
                          block_trigram=FLAGS.block_trigram)
    # A fine-tuned run directory recorded its model's shape; flags given win.
    info = cli.load_run_info(files.init_checkpoint)
    inter_layers, pooling = (FLAGS[name].value if FLAGS[name].present
                             else info.get(name, FLAGS[name].value)
                             for name in ("inter_layers", "sentence_pooling"))
    trainer = cli.make_trainer(
        lambda: summarization.BertExtractiveSummarizer(models.BertEncoder(files.config),
                                                       inter_layers, sentence_pooling=pooling),
        tasks.summarization_loss, num_train_steps, num_warmup_steps)
    extend = bool(FLAGS.max_position_embeddings)
    if FLAGS.do_train:
        path = os.path.join(FLAGS.output_dir, "train.tf_record")
        records.write_examples(path, (f.to_record() for f in
                                      _features(train_examples, tokenizer, "train")))
        cli.fit(trainer, [path], data.name_to_features(FLAGS.max_seq_length, FLAGS.max_sentences),
                files.init_checkpoint, extend_positions=extend)
    if FLAGS.do_eval or FLAGS.do_predict:
        cli.restore_for_inference(trainer, files.init_checkpoint, FLAGS.do_train, extend)
    if FLAGS.do_eval:
        evaluate(trainer, tokenizer)
    if FLAGS.do_predict:
        predict(trainer, tokenizer)


if __name__ == "__main__":
    cli.run(main)
