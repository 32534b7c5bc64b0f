"""Encoder inference, BERT-base: bert_tf vs TF Model Garden vs keras-hub, measured in one run.

  python benchmarks/bench_encoder.py            # S128 batch 1 and 8, S512 batch 1
  python benchmarks/bench_encoder.py --full     # also S512 batch 8

Same config and inputs for all three, random weights, warm-up excluded; each shape is
timed in interleaved rounds (one call of every row and of the matmul probe per round,
median over rounds), so a shared machine's slow spells fall on all rows alike. Prints
seq/s, GFLOP/s, the fraction of the matmul peak measured in those rounds, and ratios
against the Model Garden (with XLA) and keras-hub in the same precision.
bfloat16 rows: keras-hub with a mixed_bfloat16 policy (float32 weights cast per call),
bert_tf with --inference_dtype=bfloat16 (weights stored in bfloat16; LayerNorm and
softmax in float32) and the Model Garden with a mixed_bfloat16 policy.
"""

from __future__ import annotations

import argparse

from common import (BERT_BASE, encoder_flops, interleaved_median_times, matmul_probe,
                    positive_int, print_table, random_inputs)

import tensorflow as tf  # noqa: E402


def ours(dtype: str):
    from bert_tf.config import BertConfig
    from bert_tf.models import BertEncoder

    with policy(dtype, pure=True):
        model = BertEncoder(BertConfig(**BERT_BASE))
    return lambda x: model(x, training=False)["sequence_output"]


def model_garden(dtype: str):
    import tf_keras
    from official.nlp.modeling import networks

    tf_keras.mixed_precision.set_global_policy("mixed_bfloat16" if dtype == "bfloat16" else "float32")
    try:
        model = networks.BertEncoderV2(
            vocab_size=BERT_BASE["vocab_size"], hidden_size=768, num_layers=12,
            num_attention_heads=12, inner_dim=3072, max_sequence_length=512, type_vocab_size=2)
        model(random_inputs(1, 8))  # tf_keras builds its layers (and their dtypes) at first call
    finally:
        tf_keras.mixed_precision.set_global_policy("float32")
    return lambda x: model(x, training=False)["sequence_output"]


def keras_hub_bert(dtype: str):
    import keras_hub

    with policy(dtype, pure=False):
        model = keras_hub.models.BertBackbone(
            vocabulary_size=BERT_BASE["vocab_size"], num_layers=12, num_heads=12, hidden_dim=768,
            intermediate_dim=3072, max_sequence_length=512, num_segments=2)

    def call(x):
        return model({"token_ids": x["input_word_ids"], "segment_ids": x["input_type_ids"],
                      "padding_mask": x["input_mask"]}, training=False)["sequence_output"]
    return call


def policy(dtype: str, pure: bool):
    """float32, or bfloat16: pure (our inference dtype) or mixed (Keras' mixed_bfloat16)."""
    from bert_tf.training import dtype_policy

    return dtype_policy("float32" if dtype == "float32" else
                        ("bfloat16" if pure else "mixed_bfloat16"))


IMPLEMENTATIONS = {"bert_tf": ours, "model_garden": model_garden, "keras_hub": keras_hub_bert}


def run(shapes, dtypes, repeats: int) -> list[dict]:
    rows = []
    for dtype in dtypes:
        probe, probe_flops = matmul_probe(tf.as_dtype(dtype))
        models = {name: build(dtype) for name, build in IMPLEMENTATIONS.items()}
        for batch, seq in shapes:
            x = {k: tf.constant(v) for k, v in random_inputs(batch, seq).items()}
            cases = {"matmul": probe}
            for name, fn in models.items():
                for xla in (False, True):
                    f = tf.function(fn, jit_compile=xla)
                    cases[name, xla] = lambda f=f: f(x).numpy()
            seconds = interleaved_median_times(cases, warmup=2, repeats=repeats)
            peak = probe_flops / seconds.pop("matmul") / 1e9
            print(f"{dtype} {batch} x {seq}: matmul peak (2048x2048) {peak:.0f} GFLOP/s")
            for (name, xla), t in seconds.items():
                gflops = encoder_flops(batch, seq) / t / 1e9
                rows.append(dict(dtype=dtype, impl=name, batch=batch, seq=seq, xla=xla,
                                 seq_per_s=batch / t, gflops=gflops, peak=gflops / peak))
    return rows


def add_ratios(rows: list[dict]) -> None:
    def find(r, impl, xla):
        return next(x for x in rows if (x["dtype"], x["batch"], x["seq"], x["impl"], x["xla"])
                    == (r["dtype"], r["batch"], r["seq"], impl, xla))

    for r in rows:
        r["vs_mg_xla"] = r["seq_per_s"] / find(r, "model_garden", True)["seq_per_s"]
        r["vs_keras_hub"] = r["seq_per_s"] / find(r, "keras_hub", r["xla"])["seq_per_s"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="also S512 batch 8 (slow on CPU)")
    parser.add_argument("--repeats", type=positive_int, default=5)
    parser.add_argument("--dtypes", default="float32,bfloat16")
    args = parser.parse_args()
    dtypes = args.dtypes.split(",")
    if not set(dtypes) <= {"float32", "bfloat16"}:
        parser.error(f"--dtypes={args.dtypes}: expected float32 and/or bfloat16, comma-separated")
    shapes = [(1, 128), (8, 128), (1, 512)] + ([(8, 512)] if args.full else [])
    rows = run(shapes, dtypes, args.repeats)
    add_ratios(rows)
    for r in rows:
        r.update(seq_per_s=f"{r['seq_per_s']:.2f}", gflops=f"{r['gflops']:.0f}",
                 peak=f"{100 * r['peak']:.0f}%", vs_mg_xla=f"{r['vs_mg_xla']:.2f}x",
                 vs_keras_hub=f"{r['vs_keras_hub']:.2f}x")
    print_table(rows, ["dtype", "impl", "batch", "seq", "xla", "seq_per_s", "gflops", "peak",
                       "vs_mg_xla", "vs_keras_hub"])


if __name__ == "__main__":
    main()
