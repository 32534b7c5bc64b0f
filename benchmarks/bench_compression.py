"""Compression, measured side by side: distilled students and int8 LiteRT vs the float32 teacher.

  python benchmarks/bench_compression.py --teacher_dir=/tmp/bert_tf_demo \
      --student_dir=/tmp/bert_tf_student

Latency rows (one process, interleaved rounds, warm-up excluded), batch 1 and 8, S128,
BERT-base size with random weights (all-MiniLM-L6-v2 is too small to show the
BERT-base costs the targets are about):
  teacher fp32        bert_tf BertClassifier, 12 layers, TensorFlow float32
  model_garden_xla    tf-models-official BertEncoderV2, 12 layers, float32, XLA
  teacher_int8        the 12-layer classifier as LiteRT dynamic-range int8
  student_fp32        a half-depth (6-layer) classifier, TensorFlow float32
  student_int8        the 6-layer classifier as LiteRT dynamic-range int8
Accuracy (data/sentiment dev) comes from the real MiniLM-based runs: the teacher
(--teacher_dir, fine-tuned from all-MiniLM-L6-v2) and its student (--student_dir, from
run_distillation.py), each in TensorFlow float32 and as LiteRT int8. The Model Garden row
runs the teacher's architecture with the same weights, so its accuracy is the teacher's.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

from common import BERT_BASE, interleaved_median_times, positive_int, print_table, random_inputs

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def classifier(config_dict: dict, layers: int):
    from bert_tf import models
    from bert_tf.config import BertConfig

    config = BertConfig(**{**config_dict, "num_hidden_layers": layers})
    return models.BertClassifier(models.BertEncoder(config), 2)


def tf_row(model):
    f = tf.function(lambda x: model(x, training=False)["logits"])
    return lambda x: f({k: tf.constant(v) for k, v in x.items()}).numpy()


def litert_row(layers: int, seq: int, cache_dir: str):
    """A BERT-base-width classifier of `layers` layers as LiteRT int8, converted in a child
    process (a BERT-base conversion peaks at several GB; the child returns them) and kept
    in cache_dir."""
    from bert_tf import litert

    path = os.path.join(cache_dir, f"bert_base_L{layers}_S{seq}_int8.tflite")
    if not os.path.exists(path):
        subprocess.run([sys.executable, os.path.abspath(__file__), "--convert_only",
                        str(layers), "--seq", str(seq), "--cache_dir", cache_dir], check=True)
    runner = litert.LiteRTModel(path)
    return lambda x: runner(x)["logits"]


def convert_only(layers: int, seq: int, cache_dir: str) -> None:
    import keras

    from bert_tf import litert

    keras.utils.set_random_seed(0)
    content = litert.convert(classifier(BERT_BASE, layers), "classifier", seq, "dynamic_int8")
    path = os.path.join(cache_dir, f"bert_base_L{layers}_S{seq}_int8.tflite")
    os.makedirs(cache_dir, exist_ok=True)
    with open(path + ".tmp", "wb") as f:
        f.write(content)
    os.replace(path + ".tmp", path)


def model_garden_row():
    from official.nlp.modeling import networks

    model = networks.BertEncoderV2(
        vocab_size=BERT_BASE["vocab_size"], hidden_size=768, num_layers=12,
        num_attention_heads=12, inner_dim=3072, max_sequence_length=512, type_vocab_size=2)
    f = tf.function(lambda x: model(x, training=False)["pooled_output"], jit_compile=True)
    return lambda x: f({k: tf.constant(v) for k, v in x.items()}).numpy()


def latency(batches: list[int], seq: int, repeats: int, cache_dir: str
            ) -> dict[tuple[str, int], float]:
    int8 = {layers: litert_row(layers, seq, cache_dir) for layers in (12, 6)}
    rows = {"teacher_fp32": tf_row(classifier(BERT_BASE, 12)),
            "model_garden_xla": model_garden_row(), "teacher_int8": int8[12],
            "student_fp32": tf_row(classifier(BERT_BASE, 6)), "student_int8": int8[6]}
    out = {}
    for batch in batches:
        x = random_inputs(batch, seq)
        seconds = interleaved_median_times({n: (lambda f=f: f(x)) for n, f in rows.items()},
                                           warmup=1, repeats=repeats)
        out.update({(name, batch): t for name, t in seconds.items()})
    return out


def dev_accuracy(run_dir: str, data_dir: str) -> dict[str, float]:
    """Dev accuracy of a classifier run directory in TensorFlow float32 and LiteRT int8."""
    from bert_tf import checkpoints, litert, models, run_info
    from bert_tf.config import BertConfig
    from bert_tf.data import classifier as cls_data
    from bert_tf.tokenization import FullTokenizer

    info = run_info.read(run_dir).to_dict()
    seq = info["max_seq_length"]
    config = BertConfig.from_json_file(os.path.join(run_dir, "bert_config.json"))
    model = models.BertClassifier(models.BertEncoder(config), len(info["labels"]))
    checkpoints.load_weights(model, run_dir)
    processor = cls_data.get_processor(info["task_name"])
    examples = processor.get_dev_examples(data_dir)
    tokenizer = FullTokenizer(os.path.join(run_dir, "vocab.txt"), info["do_lower_case"])
    feats = cls_data.convert_examples_to_features(examples, info["labels"], seq, tokenizer)
    x = {"input_word_ids": np.array([f["input_ids"] for f in feats], np.int32),
         "input_mask": np.array([f["input_mask"] for f in feats], np.int32),
         "input_type_ids": np.array([f["segment_ids"] for f in feats], np.int32)}
    labels = np.array([f["label_ids"][0] for f in feats])
    runner = litert.LiteRTModel(litert.convert(model, "classifier", seq, "dynamic_int8"))
    fp32 = np.concatenate([tf_row(model)({k: v[i:i + 32] for k, v in x.items()})
                           for i in range(0, len(labels), 32)])
    int8 = runner(x)["logits"]
    return {"fp32": float(np.mean(fp32.argmax(-1) == labels)),
            "int8": float(np.mean(int8.argmax(-1) == labels)),
            "max_abs_logit_diff": float(np.abs(int8 - fp32).max())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--teacher_dir", help="run_classifier.py --demo output (MiniLM teacher)")
    parser.add_argument("--student_dir", help="run_distillation.py output (its student)")
    parser.add_argument("--data_dir", default=os.path.join(ROOT, "data", "sentiment"))
    parser.add_argument("--repeats", type=positive_int, default=5)
    parser.add_argument("--seq", type=positive_int, default=128)
    parser.add_argument("--cache_dir", default="/tmp/bert_tf_bench_compression",
                        help="where the BERT-base-size .tflite files are kept")
    parser.add_argument("--convert_only", type=positive_int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.convert_only:
        return convert_only(args.convert_only, args.seq, args.cache_dir)
    accuracy = {}
    for name, d in (("teacher", args.teacher_dir), ("student", args.student_dir)):
        if d:
            accuracy[name] = dev_accuracy(d, args.data_dir)
            print(f"{name} ({d}): {accuracy[name]}")
    seconds = latency([1, 8], args.seq, args.repeats, args.cache_dir)
    rows = []
    for (name, batch), t in seconds.items():
        who, kind = ("teacher", "fp32") if name == "model_garden_xla" else name.split("_")
        acc = accuracy.get(who, {}).get(kind)
        rows.append({"row": name, "batch": batch, "ms": f"{1000 * t:.0f}",
                     "vs_teacher_fp32": f"{seconds['teacher_fp32', batch] / t:.2f}x",
                     "vs_mg_xla": f"{seconds['model_garden_xla', batch] / t:.2f}x",
                     "dev_acc": "" if acc is None else f"{acc:.3f}"})
    print_table(rows, ["row", "batch", "ms", "vs_teacher_fp32", "vs_mg_xla", "dev_acc"])


if __name__ == "__main__":
    main()
