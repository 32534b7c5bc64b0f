"""BERT-large pretraining throughput on a GPU, as a fraction of its measured bf16 matmul peak.

  python benchmarks/bench_gpu_pretraining.py [--precision mixed_bfloat16] [--xla]
      [--shapes 128x64,512x16] [--steps 10]
  python benchmarks/bench_gpu_pretraining.py --smoke     # tiny model, any device

Runs bert_tf's own training loop (Trainer: MLM + NSP, AdamWeightDecay, clipping)
for `--steps` steps per tf.function call on every local GPU (MirroredStrategy),
on random data, and reports sequences/s and achieved FLOP/s against this GPU's
peak, measured in the same run as a large bf16 matmul. A BERT-large training
sequence at S128 is about 3 x 2 x 335M x 128 ~= 240 GFLOP (plus attention).
NVIDIA's published TF2 BERT-large pretraining reaches about 37% of an A100's peak.
"""

from __future__ import annotations

import argparse
import tempfile

from common import encoder_flops, median_time, positive_int, print_table

import tensorflow as tf  # noqa: E402

from bert_tf import models, losses, training  # noqa: E402
from bert_tf.config import BertConfig  # noqa: E402
from bench_train_step import batch_data  # noqa: E402

LARGE = dict(vocab_size=30522, hidden_size=1024, num_hidden_layers=24, num_attention_heads=16,
             intermediate_size=4096, max_position_embeddings=512, type_vocab_size=2)
TINY = dict(vocab_size=30522, hidden_size=64, num_hidden_layers=2, num_attention_heads=2,
            intermediate_size=256, max_position_embeddings=512, type_vocab_size=2)


def matmul_peak(dtype: tf.DType, n: int) -> float:
    """Sustained n x n matmul GFLOP/s (10 products chained per call, to hide launch cost)."""
    a = tf.cast(tf.random.normal([n, n]) / n ** 0.5, dtype)

    @tf.function
    def chain(x):
        for _ in range(10):
            x = tf.matmul(x, a)
        return tf.reduce_sum(tf.cast(x[:1, :1], tf.float32))

    seconds = median_time(lambda: chain(a).numpy(), warmup=2, repeats=5)
    return 10 * 2 * n ** 3 / seconds / 1e9


def step_flops(cfg: dict, seq: int, predictions: int) -> float:
    """FLOPs of one training sequence: 3x the forward (encoder + MLM head on its positions)."""
    h = cfg["hidden_size"]
    forward = encoder_flops(1, seq, cfg["num_hidden_layers"], h, cfg["intermediate_size"])
    forward += predictions * 2 * (h * h + h * cfg["vocab_size"])
    return 3 * forward


def measure(cfg: dict, seq: int, batch: int, steps: int, precision: str, xla: bool,
            strategy: tf.distribute.Strategy, repeats: int) -> float:
    """Sequences per second of the training loop (global batch `batch` per step)."""
    training.set_precision(precision)
    predictions = max(1, round(0.15 * seq))
    config = training.TrainConfig(output_dir=tempfile.mkdtemp(), num_train_steps=10 ** 6,
                                  num_warmup_steps=10 ** 4, learning_rate=1e-4, xla=xla)
    trainer = training.Trainer(
        lambda: models.BertPretrainer(models.BertEncoder(BertConfig(**cfg))),
        losses.pretraining_loss, config, strategy)
    per_replica = batch // strategy.num_replicas_in_sync
    data = batch_data(per_replica, seq, predictions)
    iterator = iter(strategy.distribute_datasets_from_function(
        lambda ctx: tf.data.Dataset.from_tensors(data).repeat()))
    loop = trainer._build_train_loop()
    n = tf.constant(steps)
    seconds = median_time(lambda: float(loop(iterator, n)), warmup=1, repeats=repeats)
    training.set_precision("float32")
    return batch * steps / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--precision", default="mixed_bfloat16", choices=training.PRECISIONS)
    parser.add_argument("--xla", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--shapes", default="128x64,512x16",
                        help="comma-separated SEQxGLOBAL_BATCH")
    parser.add_argument("--steps", type=positive_int, default=10, help="steps per tf.function call")
    parser.add_argument("--repeats", type=positive_int, default=3)
    parser.add_argument("--smoke", action="store_true", help="a tiny model, for any device")
    args = parser.parse_args()
    gpus = tf.config.list_logical_devices("GPU")
    if not gpus and not args.smoke:
        raise SystemExit("no GPU found (use --smoke to check the script on a CPU)")
    strategy = tf.distribute.MirroredStrategy() if gpus else tf.distribute.get_strategy()
    cfg = TINY if args.smoke else LARGE
    peak = matmul_peak(tf.bfloat16, 1024 if args.smoke else 8192) * max(1, len(gpus))
    print(f"devices: {len(gpus) or 1} x {gpus[0].name if gpus else 'CPU'}; measured bf16 matmul "
          f"peak {peak / 1e3:.1f} TFLOP/s in all")
    rows = []
    for shape in args.shapes.split(","):
        seq, batch = (int(x) for x in shape.split("x"))
        seq_per_s = measure(cfg, seq, batch, args.steps, args.precision, args.xla, strategy,
                            args.repeats)
        tflops = seq_per_s * step_flops(cfg, seq, max(1, round(0.15 * seq))) / 1e12
        rows.append(dict(model="tiny" if args.smoke else "BERT-large", seq=seq, batch=batch,
                         precision=args.precision, xla=args.xla, seq_per_s=f"{seq_per_s:.1f}",
                         tflops=f"{tflops:.1f}", of_peak=f"{100 * tflops * 1e3 / peak:.0f}%"))
    print_table(rows, ["model", "seq", "batch", "precision", "xla", "seq_per_s", "tflops",
                       "of_peak"])


if __name__ == "__main__":
    main()
