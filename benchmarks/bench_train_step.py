"""Pretraining train step, BERT-base: bert_tf vs the TF Model Garden, measured in one run.

  python benchmarks/bench_train_step.py [--batch 8] [--seq 128] [--repeats 5]

One step = forward (MLM on max_predictions_per_seq positions + NSP), backward, and
the optimizer update (AdamWeightDecay, weight decay 0.01, clip norm 1.0 for both).
bert_tf runs its Trainer's own loop (`iterations_per_loop` steps per tf.function
call, here 1); the Model Garden runs BertPretrainerV2 + BertEncoderV2 and its
`official.nlp.optimization.create_optimizer` in a tf.function with a GradientTape,
as its training examples do. Random weights and data, warm-up excluded; the four
rows and a matmul probe are timed in interleaved rounds (one step of each per round,
median over rounds). A step is about 3x the forward FLOPs.
"""

from __future__ import annotations

import argparse
import tempfile

from common import (BERT_BASE, encoder_flops, interleaved_median_times, matmul_probe,
                    positive_int, print_table)

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402


def batch_data(batch: int, seq: int, predictions: int, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    ids = rng.integers(1000, BERT_BASE["vocab_size"], size=(batch, seq)).astype(np.int32)
    positions = np.sort(rng.permutation(seq - 1)[:predictions] + 1)
    return {"input_word_ids": ids, "input_mask": np.ones_like(ids),
            "input_type_ids": np.zeros_like(ids),
            "masked_lm_positions": np.tile(positions.astype(np.int32), (batch, 1)),
            "masked_lm_ids": ids[:, positions],
            "masked_lm_weights": np.ones((batch, predictions), np.float32),
            "next_sentence_labels": rng.integers(0, 2, size=(batch, 1)).astype(np.int32)}


def ours(data: dict, xla: bool, num_layers: int):
    from bert_tf import losses, models, training
    from bert_tf.config import BertConfig

    config = training.TrainConfig(output_dir=tempfile.mkdtemp(), num_train_steps=10 ** 6,
                                  num_warmup_steps=10 ** 4, learning_rate=1e-4, xla=xla,
                                  iterations_per_loop=1)
    trainer = training.Trainer(
        lambda: models.BertPretrainer(models.BertEncoder(
            BertConfig(**{**BERT_BASE, "num_hidden_layers": num_layers}))),
        losses.pretraining_loss, config)
    iterator = iter(trainer.strategy.distribute_datasets_from_function(
        lambda ctx: tf.data.Dataset.from_tensors(data).repeat()))
    loop = trainer._build_train_loop()
    one = tf.constant(1)
    return lambda: float(loop(iterator, one))


def model_garden(data: dict, xla: bool, num_layers: int):
    import tf_keras
    from official.nlp import optimization
    from official.nlp.modeling import layers, models, networks

    encoder = networks.BertEncoderV2(
        vocab_size=BERT_BASE["vocab_size"], hidden_size=768, num_layers=num_layers,
        num_attention_heads=12, inner_dim=3072, max_sequence_length=512, type_vocab_size=2)
    model = models.BertPretrainerV2(encoder, classification_heads=[
        layers.ClassificationHead(inner_dim=768, num_classes=2, name="next_sentence")])
    optimizer = optimization.create_optimizer(1e-4, 10 ** 6, 10 ** 4)
    optimizer.global_clipnorm = 1.0
    inputs = {k: data[k] for k in ("input_word_ids", "input_mask", "input_type_ids",
                                    "masked_lm_positions")}
    inputs = {k: tf.constant(v) for k, v in inputs.items()}
    labels = {k: tf.constant(data[k]) for k in
              ("masked_lm_ids", "masked_lm_weights", "next_sentence_labels")}
    ce = tf_keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction="none")

    @tf.function(jit_compile=xla)
    def step():
        with tf.GradientTape() as tape:
            out = model(inputs, training=True)
            w = labels["masked_lm_weights"]
            mlm = tf.reduce_sum(ce(labels["masked_lm_ids"], out["mlm_logits"]) * w) / (
                tf.reduce_sum(w) + 1e-5)
            nsp = tf.reduce_mean(ce(labels["next_sentence_labels"][:, 0], out["next_sentence"]))
            loss = mlm + nsp
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        return loss

    return lambda: float(step())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=positive_int, default=8)
    parser.add_argument("--seq", type=positive_int, default=128)
    parser.add_argument("--predictions", type=positive_int, default=20)
    parser.add_argument("--repeats", type=positive_int, default=5)
    parser.add_argument("--layers", type=positive_int, default=12, help="fewer for a quick smoke run")
    args = parser.parse_args()
    data = batch_data(args.batch, args.seq, args.predictions)
    flops = 3 * encoder_flops(args.batch, args.seq, layers=args.layers)
    probe, probe_flops = matmul_probe(tf.float32)
    cases = {"matmul": probe}
    for name, build in (("bert_tf", ours), ("model_garden", model_garden)):
        for xla in (False, True):
            cases[name, xla] = build(data, xla, args.layers)
    seconds = interleaved_median_times(cases, warmup=2, repeats=args.repeats)
    peak = probe_flops / seconds.pop("matmul") / 1e9
    print(f"matmul peak (2048x2048): float32 {peak:.0f} GFLOP/s")
    rows = [dict(impl=name, xla=xla, seq_per_s=args.batch / t, gflops=flops / t / 1e9)
            for (name, xla), t in seconds.items()]
    best_mg = max(r["seq_per_s"] for r in rows if r["impl"] == "model_garden")
    mg_xla = next(r["seq_per_s"] for r in rows if r["impl"] == "model_garden" and r["xla"])
    for r in rows:
        r.update(vs_mg_xla=f"{r['seq_per_s'] / mg_xla:.2f}x",
                 vs_best_mg=f"{r['seq_per_s'] / best_mg:.2f}x",
                 peak=f"{100 * r['gflops'] / peak:.0f}%", seq_per_s=f"{r['seq_per_s']:.2f}",
                 gflops=f"{r['gflops']:.0f}")
    print(f"BERT-base pretraining step, batch {args.batch}, seq {args.seq}, "
          f"{args.predictions} masked positions, float32")
    print_table(rows, ["impl", "xla", "seq_per_s", "gflops", "peak", "vs_mg_xla", "vs_best_mg"])


if __name__ == "__main__":
    main()
