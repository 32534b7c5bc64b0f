"""TFRecord writing and reading shared by every task's data pipeline."""

from __future__ import annotations

import contextlib
import dataclasses
import os
from typing import Iterable, Iterator, Mapping, Sequence

import numpy as np
import tensorflow as tf
from bert_tf.errors import DataError, UsageError

# Record feature names (the original's) -> model input names (TF-Hub's).
MODEL_INPUT_NAMES = {"input_ids": "input_word_ids", "input_mask": "input_mask",
                     "segment_ids": "input_type_ids"}


# Training batches are cut to a multiple of this (--dynamic_padding): at most
# max_seq_length / 16 shapes for tf.function and XLA to compile.
BUCKET_MULTIPLE = 16
# --group_by_length sorts windows of this many batches by length (Hugging Face's megabatches).
LENGTH_WINDOW = 50


@dataclasses.dataclass(frozen=True)
class PaddedGroup:
    """Sequence features padded at the end to one length; `mask` is nonzero on real positions.

    Names are the records' (the original's: input_ids, input_mask, segment_ids, ...).
    Features indexed per prediction or per sentence (masked_lm_*, cls_positions) are
    not sequence features: they hold positions, which stay valid when padding is cut.
    """

    mask: str
    features: tuple[str, ...]


ENCODER_INPUTS = PaddedGroup("input_mask", ("input_ids", "input_mask", "segment_ids"))


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


def real_lengths(mask: tf.Tensor) -> tf.Tensor:
    """int32 [batch]: one past each row's last nonzero position of `mask` [batch, length]."""
    positions = tf.range(1, tf.shape(mask)[1] + 1)
    return tf.reduce_max(tf.where(tf.not_equal(mask, 0), positions[None, :], 0), axis=1)


def bucket_length(used: tf.Tensor, full: tf.Tensor, multiple: int = BUCKET_MULTIPLE
                  ) -> tf.Tensor:
    """The length a batch runs at: `used` rounded up to a multiple of `multiple` (at
    least one multiple), never beyond the padded length `full` (the same rule as
    `bert_tf.inference.trimmed_length`, in graph ops)."""
    used = tf.maximum(tf.cast(used, tf.int32), 1)
    return tf.minimum(tf.cast(full, tf.int32), -(-used // multiple) * multiple)


def trim_batch(batch: Mapping[str, tf.Tensor], groups: Sequence[PaddedGroup],
               multiple: int = BUCKET_MULTIPLE) -> dict[str, tf.Tensor]:
    """Cuts each group's features [batch, max_length] to the batch's longest real sequence,
    rounded up by `bucket_length`; only padding at the end is removed.

    `batch` holds model input names (`MODEL_INPUT_NAMES`) or record names.
    """
    out = dict(batch)
    for group in groups:
        mask = out[_model_name(group.mask, out)]
        length = bucket_length(tf.reduce_max(real_lengths(mask)), tf.shape(mask)[1], multiple)
        for name in group.features:
            name = _model_name(name, out)
            out[name] = out[name][:, :length]
    return out


def _model_name(name: str, batch: Mapping) -> str:
    return name if name in batch else MODEL_INPUT_NAMES.get(name, name)


def _length_grouped(batch: Mapping[str, tf.Tensor], groups: Sequence[PaddedGroup],
                    batch_size: int, seed: tf.Tensor) -> dict[str, tf.Tensor]:
    """A window of records [window * batch_size, ...] -> batches [window, batch_size, ...]
    of rows sorted by real length (all groups' summed), the batches in an order drawn
    from `seed` (stateless: the same after a resume)."""
    total = tf.add_n([real_lengths(batch[_model_name(g.mask, batch)]) for g in groups])
    order = tf.argsort(total, stable=True)
    window = tf.shape(order)[0] // batch_size
    batches = tf.argsort(tf.random.stateless_uniform([window], seed))
    return {name: tf.gather(tf.reshape(tf.gather(t, order),
                                       tf.concat([[window, batch_size], tf.shape(t)[1:]], 0)),
                            batches)
            for name, t in batch.items()}


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
            repeat: bool | None = None, sequence_features: Sequence[PaddedGroup] = (),
            dynamic_padding: bool = False, group_by_length: bool = False,
            bucket_multiple: int = BUCKET_MULTIPLE) -> tf.data.Dataset:
    """Batches of decoded features from TFRecord files.

    Training reads files in parallel, repeats and shuffles (as the original's
    input_fn); evaluation reads in order, once, keeping the last partial batch.
    With `input_context` (tf.distribute) each input pipeline reads its own shard
    of the files, or of the records when there are fewer files than pipelines.

    Each feature is [batch_size, length from `name_to_features`], unless
    `dynamic_padding`: then every `sequence_features` group is cut to its batch's
    longest real sequence rounded up to a multiple of `bucket_multiple` (the
    length dimension becomes None). `group_by_length` (needs `sequence_features`)
    sorts windows of LENGTH_WINDOW batches by real length before batching, as
    Hugging Face's group_by_length: batches of similar lengths, so less padding.
    """
    if group_by_length and not sequence_features:
        raise ValueError("group_by_length needs the sequence_features whose lengths group")
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
    if group_by_length:
        # Whole windows, each cut into batches of similar lengths; the batches of a window
        # come in a random order so that lengths do not rise step after step.
        d = d.batch(batch_size * LENGTH_WINDOW, drop_remainder=True).enumerate()
        d = d.map(lambda i, r: _length_grouped(_decode(r, name_to_features), sequence_features,
                                               batch_size, tf.stack([seed or 0, i])),
                  num_parallel_calls=tf.data.AUTOTUNE)
        d = d.unbatch()
    else:
        d = d.batch(batch_size, drop_remainder=drop_remainder)
        d = d.map(lambda r: _decode(r, name_to_features), num_parallel_calls=tf.data.AUTOTUNE)
    if dynamic_padding and sequence_features:
        d = d.map(lambda b: trim_batch(b, sequence_features, bucket_multiple),
                  num_parallel_calls=tf.data.AUTOTUNE)
    return d.prefetch(tf.data.AUTOTUNE)
