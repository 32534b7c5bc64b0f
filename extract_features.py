"""Extract pre-computed feature vectors from BERT (the original's extract_features.py).

Each input line is `text_a` or `text_a ||| text_b`; each output line is JSON:
{"linex_index": i, "features": [{"token": t, "layers": [{"index": -1, "values": [...]}]}]}
with values rounded to 6 decimals, for the real tokens of each line.

  python extract_features.py --input_file=input.txt --output_file=output.jsonl \
    --vocab_file=$BERT_BASE_DIR/vocab.txt --bert_config_file=$BERT_BASE_DIR/bert_config.json \
    --init_checkpoint=$BERT_BASE_DIR/bert_model.ckpt --layers=-1,-2,-3,-4 --max_seq_length=128
"""

from __future__ import annotations

import json
import re

import numpy as np
import tensorflow as tf
from absl import flags, logging

from bert_tf import checkpoints, cli, embeddings, inference, models, runner, training
from bert_tf.errors import DataError, MissingFileError, UsageError
from bert_tf.data.packing import encode_pair
from bert_tf.io import atomic_open

FLAGS = flags.FLAGS

flags.DEFINE_string("input_file", None, "Text file: one `text_a` or `text_a ||| text_b` per line.")
flags.DEFINE_string("output_file", None, "JSON-lines output file.")
flags.DEFINE_string("layers", "-1,-2,-3,-4", "Comma-separated encoder layer indexes to output.")
flags.DEFINE_integer("batch_size", 32, "Batch size for predictions.")
flags.DEFINE_enum("pooling", None, list(embeddings.POOLING),
                  "(new) One vector per line instead of per token: cls, mean or max over the "
                  "real tokens of the one layer in --layers (default -1), or pooler.")
flags.DEFINE_bool("normalize", False, "(new, with --pooling) L2-normalise each vector.")
flags.DEFINE_enum("output_format", "jsonl", ["jsonl", "npy"],
                  "(new) jsonl, or npy (with --pooling): a float32 [lines, hidden] array.")
flags.DEFINE_bool("use_one_hot_embeddings", False,
                  "Accepted for compatibility; embedding lookups are gathers on every device.")
cli.define_model_flags(max_seq_length=128)
cli.define_runtime_flags()
cli.define_tpu_flags()


def read_examples(input_file: str) -> list[tuple[str, str | None]]:
    """Lines -> (text_a, text_b or None); the line number is the example's unique id."""
    if not tf.io.gfile.exists(input_file):
        raise MissingFileError(f"--input_file {input_file!r} does not exist")
    with tf.io.gfile.GFile(input_file, "rb") as f:
        text = f.read().decode("utf-8", "ignore")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    examples = []
    for line in lines:
        m = re.match(r"^(.*) \|\|\| (.*)$", line.strip())
        examples.append((m.group(1), m.group(2)) if m else (line.strip(), None))
    if not examples:
        raise DataError(f"--input_file {input_file!r} is empty")
    return examples


def parse_layers(value: str, num_layers: int) -> list[int]:
    try:
        indexes = [int(x) for x in value.split(",")]
    except ValueError:
        raise UsageError(f"--layers={value!r}: expected comma-separated integers") from None
    bad = [i for i in indexes if not -num_layers <= i < num_layers]
    if bad:
        raise UsageError(f"--layers={value!r}: {bad} out of range for a model with "
                                    f"{num_layers} layers")
    return indexes


def main(_):
    s = runner.Settings(cli.flag_values()[0])
    files = runner.resolve_model_files(s, require_checkpoint=True)
    runner.check_model_settings(s, files)
    if not FLAGS.output_file:
        raise UsageError("--output_file is required")
    layer_indexes = parse_layers(FLAGS.layers, files.config.num_hidden_layers)
    if FLAGS.pooling is None and (FLAGS.normalize or FLAGS.output_format != "jsonl"):
        raise UsageError("--normalize and --output_format=npy need --pooling")
    if FLAGS.pooling is not None:
        if not FLAGS["layers"].present:
            layer_indexes = [-1]
        if len(layer_indexes) != 1 or (FLAGS.pooling == "pooler" and layer_indexes != [-1]):
            raise UsageError(f"--pooling={FLAGS.pooling} takes one layer in --layers "
                             f"(-1 for pooler), got --layers={FLAGS.layers!r}")
    tokenizer = runner.load_tokenizer(files.vocab_file, files.config, FLAGS.do_lower_case)
    examples = read_examples(FLAGS.input_file)
    if FLAGS.dry_run:
        print(f"{len(examples)} lines; the flags resolve to\n{runner.describe(s, s.values())}")
        return
    strategy = runner.build_strategy(s)
    with strategy.scope(), training.dtype_policy(FLAGS.inference_dtype):
        encoder = models.BertEncoder(files.config)
    checkpoints.load_weights(encoder, files.init_checkpoint)

    spec = {n: tf.TensorSpec([None, None], tf.int32) for n in models.INPUT_NAMES}

    @tf.function(input_signature=[spec], jit_compile=FLAGS.xla)
    def layers_fn(batch):
        outputs = encoder(batch, training=False)["encoder_outputs"]
        return [tf.cast(outputs[i], tf.float32) for i in layer_indexes]

    if FLAGS.pooling is not None:
        pooling, normalize = FLAGS.pooling, FLAGS.normalize

        @tf.function(input_signature=[spec], jit_compile=FLAGS.xla)
        def pooled_fn(batch):
            out = encoder(batch, training=False)
            layer = out["encoder_outputs"][layer_indexes[0]]
            return embeddings.embed({"sequence_output": layer,
                                     "pooled_output": out["pooled_output"]},
                                    batch["input_mask"], pooling, normalize)

    tokens, features = zip(*(encode_pair(tokenizer, a, b, FLAGS.max_seq_length)
                             for a, b in examples))
    for i in range(min(3, len(tokens))):
        logging.info("Example %d tokens: %s", i, " ".join(tokens[i]))
    if FLAGS.pooling is not None:
        write_pooled(pooled_fn, features)
        return
    window = 64 * FLAGS.batch_size
    with atomic_open(FLAGS.output_file) as writer:
        for start in range(0, len(features), window):
            chunk = features[start:start + window]
            pieces = []
            for idx, batch in inference.length_batches(chunk, FLAGS.batch_size, window=64):
                outs = [o.numpy() for o in layers_fn(batch)]
                pieces.append((idx, [[o[k] for o in outs] for k in range(len(idx))]))
            for offset, layer_values in enumerate(inference.restore_order(pieces, len(chunk))):
                writer.write(json.dumps(_to_json(start + offset, tokens[start + offset],
                                                 layer_indexes, layer_values)) + "\n")
            logging.info("Wrote %d of %d lines", min(start + window, len(features)), len(features))


def write_pooled(pooled_fn, features) -> None:
    """One vector per input line: JSON lines {"linex_index", "values"} or a .npy array."""
    pieces = [(idx, pooled_fn(batch).numpy())
              for idx, batch in inference.length_batches(features, FLAGS.batch_size, window=64)]
    vectors = np.stack(inference.restore_order(pieces, len(features))).astype(np.float32)
    if FLAGS.output_format == "npy":
        with atomic_open(FLAGS.output_file, "wb") as f:
            np.save(f, vectors)
    else:
        with atomic_open(FLAGS.output_file) as writer:
            for i, v in enumerate(vectors):
                writer.write(json.dumps({"linex_index": i, "values": v.tolist()}) + "\n")
    logging.info("Wrote %d vectors of size %d to %s", *vectors.shape, FLAGS.output_file)


def _to_json(unique_id: int, tokens: list[str], layer_indexes: list[int],
             layer_values: list[np.ndarray]) -> dict:
    return {"linex_index": unique_id, "features": [
        {"token": token, "layers": [
            {"index": index, "values": [round(float(x), 6) for x in values[i]]}
            for index, values in zip(layer_indexes, layer_values)]}
        for i, token in enumerate(tokens)]}


if __name__ == "__main__":
    cli.run(main)
