"""TFRecord writing and reading shared by every task's data pipeline."""

from __future__ import annotations

import contextlib
import os
from typing import Iterable, Iterator, Mapping, Sequence

import numpy as np
import tensorflow as tf
from bert_tf.errors import DataError, UsageError

# Record feature names (the original's) -> model input names (TF-Hub's).
MODEL_INPUT_NAMES = {"input_ids": "input_word_ids", "input_mask": "input_mask",
                     "segment_ids": "input_type_ids"}


class RecordError(DataError):
    """A TFRecord file is missing, corrupt or has the wrong features."""


def int_feature(values: Iterable[int]) -> tf.train.Feature:
    return tf.train.Feature(int64_list=tf.train.Int64List(value=list(values)))


def float_feature(values: Iterable[float]) -> tf.train.Feature:
    return tf.train.Feature(float_list=tf.train.FloatList(value=list(values)))


def to_example(features: Mapping[str, Sequence[int] | Sequence[float] | np.ndarray]) -> bytes:
    """{name: int or float values} -> serialized tf.train.Example (floats by dtype)."""
    feats = {}
    for name, values in features.items():
        arr = np.asarray(values)
        feats[name] = float_feature(arr.ravel()) if arr.dtype.kind == "f" else int_feature(arr.ravel())
    # deterministic: protobuf would otherwise order the feature map differently per process.
    return tf.train.Example(features=tf.train.Features(feature=feats)).SerializeToString(
        deterministic=True)


@contextlib.contextmanager
def record_writer(path: str) -> Iterator[tf.io.TFRecordWriter]:
    """A TFRecordWriter whose file appears at `path` only once it is complete."""
    tmp = f"{path}.tmp-{os.getpid()}"
    parent = os.path.dirname(path)
    if parent:
        tf.io.gfile.makedirs(parent)
    try:
        writer = tf.io.TFRecordWriter(tmp)
    except (tf.errors.OpError, OSError) as e:
        raise UsageError(f"cannot write {path!r}: {getattr(e, 'message', e)}") from None
    try:
        with writer:
            yield writer
        tf.io.gfile.rename(tmp, path, overwrite=True)
    finally:
        if tf.io.gfile.exists(tmp):
            tf.io.gfile.remove(tmp)


def write_examples(path: str, examples: Iterable[Mapping]) -> int:
    """Writes feature dicts (see `to_example`) atomically; returns how many were written."""
    n = 0
    with record_writer(path) as writer:
        for features in examples:
            writer.write(to_example(features))
            n += 1
    return n


def fixed_features(spec: Mapping[str, tuple[int, tf.DType]]) -> dict[str, tf.io.FixedLenFeature]:
    """{name: (length, int64|float32)} -> parsing spec for `tf.io.parse_example`."""
    return {name: tf.io.FixedLenFeature([length], dtype) for name, (length, dtype) in spec.items()}


def _decode(records: tf.Tensor, name_to_features: Mapping) -> dict[str, tf.Tensor]:
    example = tf.io.parse_example(records, name_to_features)
    # tf.Example holds int64, TPUs want int32; model inputs take TF-Hub names.
    out = {}
    for name, t in example.items():
        if t.dtype == tf.int64:
            t = tf.cast(t, tf.int32)
        out[MODEL_INPUT_NAMES.get(name, name)] = t
    return out


def check_files(files: Sequence[str]) -> None:
    """Clear errors for missing or empty record files before a pipeline is built."""
    if not files:
        raise RecordError("no input TFRecord files given")
    for f in files:
        if not tf.io.gfile.exists(f):
            raise RecordError(f"TFRecord file {f!r} does not exist")
        if tf.io.gfile.stat(f).length == 0:
            raise RecordError(f"TFRecord file {f!r} is empty")


def find_corrupt_file(files: Sequence[str]) -> str | None:
    """Reads every record of every file; returns a message naming the first bad one."""
    for f in files:
        try:
            for _ in tf.data.TFRecordDataset(f):
                pass
        except tf.errors.DataLossError as e:
            return f"TFRecord file {f!r} is corrupt or truncated: {e.message}"
    return None


@contextlib.contextmanager
def reading(files: Sequence[str]) -> Iterator[None]:
    """Turns tf.data's anonymous corrupt-record error into one that names the file."""
    try:
        yield
    except tf.errors.DataLossError as e:
        raise RecordError(find_corrupt_file(files) or f"corrupt TFRecord input among {list(files)}: "
                          f"{e.message}") from None


def dataset(files: Sequence[str], name_to_features: Mapping, batch_size: int, is_training: bool,
            drop_remainder: bool | None = None, shuffle_buffer: int = 100, seed: int | None = None,
            input_context: tf.distribute.InputContext | None = None,
            repeat: bool | None = None) -> tf.data.Dataset:
    """Batches of decoded features from TFRecord files.

    Training reads files in parallel, repeats and shuffles (as the original's
    input_fn); evaluation reads in order, once, keeping the last partial batch.
    With `input_context` (tf.distribute) each input pipeline reads its own shard
    of the files, or of the records when there are fewer files than pipelines.
    """
    check_files(files)
    drop_remainder = is_training if drop_remainder is None else drop_remainder
    repeat = is_training if repeat is None else repeat
    d = tf.data.Dataset.from_tensor_slices(list(files))
    shard_records = False
    if input_context and input_context.num_input_pipelines > 1:
        if len(files) >= input_context.num_input_pipelines:
            d = d.shard(input_context.num_input_pipelines, input_context.input_pipeline_id)
        else:
            shard_records = True
    if is_training:
        d = d.shuffle(len(files), seed=seed)
        d = d.interleave(tf.data.TFRecordDataset, cycle_length=min(4, len(files)),
                         num_parallel_calls=tf.data.AUTOTUNE, deterministic=seed is not None)
    else:
        d = d.flat_map(tf.data.TFRecordDataset)
    if shard_records:
        d = d.shard(input_context.num_input_pipelines, input_context.input_pipeline_id)
    if repeat:
        d = d.repeat()
    if is_training and shuffle_buffer:
        d = d.shuffle(shuffle_buffer, seed=seed)
    d = d.batch(batch_size, drop_remainder=drop_remainder)
    d = d.map(lambda r: _decode(r, name_to_features), num_parallel_calls=tf.data.AUTOTUNE)
    return d.prefetch(tf.data.AUTOTUNE)
