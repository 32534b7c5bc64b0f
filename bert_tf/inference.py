"""Batched inference on variable-length inputs without paying for padding.

Inputs are sorted by length inside windows of `window` examples and each batch
is cut to its own longest example (rounded up to a multiple of `multiple`, to
bound the number of shapes a compiled function sees). Results come back in the
original order. Short real-world text then costs what it is, not max_seq_length.
"""

from __future__ import annotations

from typing import Iterable, Iterator, Mapping, Sequence

import numpy as np

from bert_tf.data.records import MODEL_INPUT_NAMES


def trimmed_length(used: int, full: int, multiple: int) -> int:
    """The length a batch runs at: its longest input rounded up to a multiple of
    `multiple` (at least one), never beyond the padded length `full`."""
    return min(full, -(-max(used, 1) // multiple) * multiple)


def length_batches(features: Sequence[Mapping[str, Sequence[int]]], batch_size: int,
                   multiple: int = 8, window: int = 64
                   ) -> Iterator[tuple[np.ndarray, dict[str, np.ndarray]]]:
    """Yields (indices into `features`, model inputs [batch, length]) for every feature once.

    Each feature holds equal-length, zero-padded `input_ids`, `input_mask`,
    `segment_ids` (the original's feature names).
    """
    if batch_size < 1:
        raise ValueError(f"batch size must be >= 1, got {batch_size}")
    lengths = np.array([int(np.sum(f["input_mask"])) for f in features])
    span = batch_size * window
    for start in range(0, len(features), span):
        chunk = np.arange(start, min(start + span, len(features)))
        chunk = chunk[np.argsort(lengths[chunk], kind="stable")]
        for b in range(0, len(chunk), batch_size):
            idx = chunk[b:b + batch_size]
            full = len(features[idx[0]]["input_ids"])
            length = trimmed_length(int(lengths[idx].max()), full, multiple)
            yield idx, {model_name: np.array([features[i][name][:length] for i in idx], np.int32)
                        for name, model_name in MODEL_INPUT_NAMES.items()}


def restore_order(pieces: Iterable[tuple[np.ndarray, np.ndarray]], total: int) -> list:
    """[(indices, rows)] -> list of rows in index order (rows may differ in length)."""
    out: list = [None] * total
    for idx, rows in pieces:
        for i, row in zip(idx, rows):
            out[i] = row
    return out
