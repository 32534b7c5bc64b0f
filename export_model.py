"""Export a BERT model as a SavedModel that takes raw text (TF Serving, TF Hub).

  # a fine-tuned run directory holds its config, vocab, labels and checkpoints
  python export_model.py --init_checkpoint=/tmp/mrpc_output --export_dir=/tmp/mrpc_export/1

  # an original checkpoint as a TF-Hub-style preprocessor + encoder pair
  python export_model.py --model_type=encoder --hub_format \
    --init_checkpoint=$BERT_BASE_DIR/bert_model.ckpt --export_dir=/tmp/bert_hub

  # a run_summarization output directory: raw documents -> summary and sentence scores
  python export_model.py --init_checkpoint=/tmp/sum_output --export_dir=/tmp/sum_export/1

  # LiteRT (TFLite) for CPUs and phones, weights in int8: <export_dir>/model.tflite
  python export_model.py --init_checkpoint=/tmp/mrpc_output --export_dir=/tmp/mrpc_litert \
    --format=litert --quantize=dynamic_int8
  python run_classifier.py --task_name=MRPC --data_dir=$GLUE_DIR/MRPC --do_eval \
    --init_checkpoint=/tmp/mrpc_output --litert_model=/tmp/mrpc_litert/model.tflite \
    --output_dir=/tmp/mrpc_litert_eval

Signatures: serving_default (raw strings; for SQuAD `question` and `context`; for the
summarizer whole documents, split into sentences in the graph),
serving_pairs (text_a, text_b) for encoder/pretrainer/classifier, and
serving_features (int32 input_word_ids, input_mask, input_type_ids), and embed
(raw strings -> pooled vectors, --pooling and --normalize; not for seq2seq/summarizer).
"""

from __future__ import annotations

import os

import keras
import tensorflow as tf
from absl import flags, logging

from bert_tf import checkpoints, cli, embeddings, export, litert, models, run_info, runner
from bert_tf import summarization, training
from bert_tf.errors import UsageError
from bert_tf.io import atomic_open
from bert_tf.text import BertPreprocessor

FLAGS = flags.FLAGS

flags.DEFINE_enum("model_type", None, list(export.MODEL_TYPES),
                  "What to export; default: the run_info.json of a fine-tuning run.")
flags.DEFINE_string("export_dir", None, "Where to write the SavedModel (e.g. .../model/1).")
flags.DEFINE_list("label_list", None, "Class names or tags in id order; default: from "
                  "run_info.json beside the checkpoint.")
flags.DEFINE_integer("max_query_length", 64, "(squad) Maximum question length in wordpieces.")
flags.DEFINE_integer("max_answer_length", 30, "(squad) Maximum answer length in wordpieces.")
flags.DEFINE_integer("inter_layers", 2, "(summarizer) Transformer layers over sentences.")
flags.DEFINE_enum("sentence_pooling", "cls", list(summarization.SENTENCE_POOLING),
                  "(summarizer) Sentence vectors: [CLS] or the mean of the sentence's tokens.")
flags.DEFINE_integer("max_sentences", 64, "(summarizer) Most sentences of a document scored.")
flags.DEFINE_integer("max_summary_sentences", 3, "(summarizer) Sentences in a summary.")
flags.DEFINE_bool("block_trigram", True, "(summarizer) Skip a sentence sharing a trigram with "
                  "a chosen one.")
flags.DEFINE_bool("hub_format", False, "Write a TF-Hub preprocessor + encoder pair instead.")
flags.DEFINE_integer("max_decode_length", 64, "(seq2seq) Most wordpieces to generate; default: "
                     "the run's.")
flags.DEFINE_integer("beam_size", 4, "(seq2seq) Beam width; 1 is greedy decoding.")
flags.DEFINE_float("alpha", 0.6, "(seq2seq) Beam search length penalty ((5 + length) / 6) ** alpha.")
flags.DEFINE_enum("format", "saved_model", ["saved_model", "litert"],
                  "(new) saved_model (raw-text signatures), or litert: <export_dir>/model.tflite "
                  "taking int32 [batch, max_seq_length] input_word_ids/input_mask/input_type_ids "
                  "(encoder, classifier, squad, ner).")
flags.DEFINE_enum("quantize", "none", list(litert.QUANTIZE),
                  "(new, --format=litert) none (float32), float16 (half-size weights) or "
                  "dynamic_int8 (int8 weights, int8 matmuls; about 3x faster on CPUs).")
flags.DEFINE_enum("pooling", "mean", list(embeddings.POOLING),
                  "(new) The `embed` signature's pooling of the last layer's token vectors.")
flags.DEFINE_bool("normalize", False, "(new) L2-normalise the `embed` signature's vectors.")
cli.define_inference_dtype_flag()
cli.define_model_flags(max_seq_length=128)


# Export settings a run directory records; a flag given on the command line wins.
RECORDED = ("do_lower_case", "max_seq_length", "label_list", "max_query_length",
            "max_answer_length", "max_decode_length", "inter_layers", "sentence_pooling",
            "max_sentences", "max_summary_sentences", "block_trigram")


def build_model(model_type: str, s: runner.Settings, config, info: run_info.RunInfo
                ) -> keras.Model:
    """The model to export; a seq2seq model takes the run's decoder_init, target_vocab and
    decoder_word_table."""
    labels = s.label_list
    with training.dtype_policy(s.inference_dtype):
        encoder = models.BertEncoder(config)
        if model_type == "classifier":
            return models.BertClassifier(encoder, len(labels) if labels else 1)
        if model_type == "seq2seq":
            return models.BertSeq2Seq(encoder, info.get("decoder_init", "bert"),
                                      info.get("target_vocab"),
                                      info.get("decoder_word_table", "encoder"))
        return {"encoder": lambda: encoder, "pretrainer": lambda: models.BertPretrainer(encoder),
                "squad": lambda: models.BertSpanLabeler(encoder),
                "ner": lambda: models.BertTokenTagger(encoder, len(labels)),
                "summarizer": lambda: summarization.BertExtractiveSummarizer(
                    encoder, s.inter_layers, sentence_pooling=s.sentence_pooling)}[model_type]()


def _check_format(model_type: str) -> None:
    if FLAGS.format != "litert":
        if FLAGS.quantize != "none":
            raise UsageError(f"--quantize={FLAGS.quantize} needs --format=litert")
        return
    if model_type not in litert.MODEL_TYPES:
        raise UsageError(f"--format=litert --quantize={FLAGS.quantize}: unsupported "
                                    f"for model type {model_type!r} (supported: "
                                    f"{', '.join(litert.MODEL_TYPES)})")
    if FLAGS.hub_format or FLAGS.inference_dtype != "float32":
        raise UsageError("--format=litert takes float32 weights and no --hub_format; "
                                    "use --quantize=float16 or dynamic_int8 to shrink them")


def write_litert(model, model_type: str, seq_length: int, vocab_file: str) -> str:
    """<export_dir>/model.tflite, with vocab.txt beside it."""
    content = litert.convert(model, model_type, seq_length, FLAGS.quantize)
    tf.io.gfile.makedirs(FLAGS.export_dir)
    path = os.path.join(FLAGS.export_dir, "model.tflite")
    with atomic_open(path, "wb") as f:
        f.write(content)
    with tf.io.gfile.GFile(vocab_file, "rb") as src, atomic_open(
            os.path.join(FLAGS.export_dir, "vocab.txt"), "wb") as dst:
        dst.write(src.read())
    return path


def resolve() -> tuple[str, runner.Settings, runner.ModelFiles, run_info.RunInfo]:
    """(model type, settings merged with the checkpoint's run_info.json, files, RunInfo)."""
    values, given = cli.flag_values()
    if not values["export_dir"]:
        raise UsageError("--export_dir is required")
    files = runner.resolve_model_files(runner.Settings(values), require_checkpoint=True)
    info = run_info.read(files.init_checkpoint) or run_info.RunInfo()
    model_type = values["model_type"] or info.model_type
    if not model_type:
        raise UsageError("--model_type is required (no run_info.json beside --init_checkpoint)")
    values, origin = run_info.merge(values, given, info, RECORDED)
    if model_type == "seq2seq" and "max_seq_length" not in given:
        # its sources are packed to the run's --max_source_length
        values["max_seq_length"] = info.get("max_source_length", values["max_seq_length"])
    s = runner.Settings(values, origin)
    if model_type == "ner" and not s.label_list:
        raise UsageError("--label_list is required to export a ner model")
    runner.check_length("max_seq_length", s.max_seq_length, files.config)
    if model_type == "seq2seq":
        runner.check_length("max_decode_length", s.max_decode_length, files.config)
    _check_format(model_type)
    return model_type, s, files, info


def main(_):
    model_type, s, files, info = resolve()
    if s.dry_run:
        print(f"Export of a {model_type}: the flags resolve to\n{runner.describe(s, s.values())}")
        return
    model = build_model(model_type, s, files.config, info)
    checkpoints.load_weights(model, files.init_checkpoint)
    if FLAGS.format == "litert":
        path = write_litert(model, model_type, s.max_seq_length, files.vocab_file)
        logging.info("Wrote a %s LiteRT model (%s) to %s", model_type, FLAGS.quantize, path)
        return
    preprocessor = BertPreprocessor(files.vocab_file, s.do_lower_case, s.max_seq_length)
    if FLAGS.hub_format:
        paths = export.export_hub_pair(export._encoder_of(model), preprocessor, FLAGS.export_dir)
        logging.info("Wrote the preprocessor to %s and the encoder to %s", *paths)
        return
    if info.get("truncation", "head") != "head":
        logging.warning("The run used --truncation=%s; the exported model's in-graph "
                        "tokenizer keeps the first max_seq_length wordpieces (head)",
                        info.get("truncation"))
    if info.get("doc_stride"):
        logging.warning("The run used --doc_stride=%d: the exported model classifies one window "
                        "per text (its first max_seq_length wordpieces). For longer texts, split "
                        "them into windows and combine their logits (%s) before serving",
                        info.get("doc_stride"), info.get("doc_aggregation", "mean"))
    module = export.ServingModule(model, model_type, preprocessor, s.label_list,
                                  s.max_query_length, s.max_answer_length, s.max_decode_length,
                                  s.beam_size, s.alpha, s.max_sentences,
                                  s.max_summary_sentences, s.block_trigram, FLAGS.pooling,
                                  FLAGS.normalize, multi_label=bool(info.get("multi_label")),
                                  multi_label_threshold=info.get("multi_label_threshold", 0.5),
                                  label_delimiter=info.get("label_delimiter", ","))
    export.export_model(module, FLAGS.export_dir)
    logging.info("Wrote a %s SavedModel to %s", model_type, FLAGS.export_dir)


if __name__ == "__main__":
    cli.run(main)
