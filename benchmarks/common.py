"""Shared benchmark helpers: timing in interleaved rounds (warm-up excluded), a matmul probe."""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from typing import Callable, Hashable

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

BERT_BASE = dict(vocab_size=30522, hidden_size=768, num_hidden_layers=12, num_attention_heads=12,
                 intermediate_size=3072, max_position_embeddings=512, type_vocab_size=2)


def encoder_flops(batch: int, seq: int, layers: int = 12, hidden: int = 768,
                  intermediate: int = 3072) -> float:
    """Forward FLOPs: 2 x (matmul params) x tokens + attention scores and context."""
    per_token = 2 * layers * (4 * hidden * hidden + 2 * hidden * intermediate)
    attention = 2 * 2 * layers * seq * seq * hidden
    return batch * (seq * per_token + attention)


def positive_int(value: str) -> int:
    """argparse type: an integer >= 1 (counts, repeats, sizes)."""
    try:
        n = int(value)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got {value!r}")
    return n


def executable(value: str) -> str:
    """argparse type: an executable file (--hf_python), so a wrong path is one clear line."""
    if not (os.path.isfile(value) and os.access(value, os.X_OK)):
        raise argparse.ArgumentTypeError(f"{value!r} is not an executable file")
    return value


def interleaved_median_times(fns: dict[Hashable, Callable[[], object]], warmup: int = 1,
                             repeats: int = 5) -> dict[Hashable, float]:
    """Median wall time of each fn (which must block until done) after `warmup` calls,
    timed in rounds (one call of each per round, in a new seeded order each round), so
    a shared machine's slow spells, and whatever a row leaves behind for the next one,
    fall on every row alike."""
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    times: dict[Hashable, list[float]] = {name: [] for name in fns}
    order, rng = list(fns), random.Random(0)
    for _ in range(repeats):
        rng.shuffle(order)
        for name in order:
            start = time.perf_counter()
            fns[name]()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}


def median_time(fn: Callable[[], object], warmup: int = 2, repeats: int = 5) -> float:
    """Median wall time of fn() alone (a single row)."""
    return interleaved_median_times({"fn": fn}, warmup, repeats)["fn"]


def matmul_probe(dtype: tf.DType, n: int = 2048) -> tuple[Callable[[], object], float]:
    """(one tf.matmul on n x n, its FLOPs): a row to time in the same rounds as the models,
    so the fraction of peak is measured under the same load."""
    a = tf.random.normal([n, n], dtype=tf.float32)
    a, b = tf.cast(a, dtype), tf.cast(tf.transpose(a), dtype)
    f = tf.function(lambda x, y: tf.matmul(x, y))
    return (lambda: f(a, b).numpy()), 2.0 * n ** 3


def random_inputs(batch: int, seq: int, vocab: int = 30522, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    ids = rng.integers(1000, vocab, size=(batch, seq)).astype(np.int32)
    return {"input_word_ids": ids, "input_mask": np.ones_like(ids),
            "input_type_ids": np.zeros_like(ids)}


def print_table(rows: list[dict], columns: list[str]) -> None:
    widths = [max(len(c), *(len(str(r.get(c, ""))) for r in rows)) for c in columns]
    print("  ".join(c.ljust(w) for c, w in zip(columns, widths)))
    for r in rows:
        print("  ".join(str(r.get(c, "")).ljust(w) for c, w in zip(columns, widths)))
