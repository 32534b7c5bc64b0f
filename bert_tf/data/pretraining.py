"""Pretraining data: the original `create_pretraining_data` algorithm and the reader for it.

Writing (`create_pretraining_data`): text files hold one sentence per line with a
blank line between documents. Each document is cut into [CLS] A [SEP] B [SEP]
instances (B is the real continuation or, half the time, a span of another
document), then up to `max_predictions_per_seq` wordpieces are masked. Given the
same files, vocabulary, options and `random_seed`, the single-process mode makes
the same `random.Random` draws in the same order as the original script and so
writes the same records.

Sharded mode (`num_workers > 1` or `docs_per_shard > 0`) streams the input in
shards of whole documents; each shard is processed alone (random next sentences
come from the same shard) with a seed derived from `random_seed` and the shard
index, and goes to its own file `<output_file>-SSSSS-of-NNNNN`. The output does
not depend on `num_workers`, and the corpus never has to fit in memory.

Reading (`pretraining_dataset`): batches of the records for `run_pretraining`.

Records are serialized deterministically, so a run repeated with the same seed
writes the same bytes (protobuf's default map order changes between processes).

Example:
  >>> stats = create_pretraining_data(                          # doctest: +SKIP
  ...     "data/sample_text.txt", "/tmp/tf_examples.tfrecord", "vocab.txt",
  ...     options=PretrainingOptions(dupe_factor=5), random_seed=12345)
  >>> batches = pretraining_dataset(["/tmp/tf_examples.tfrecord"], 128, 20,
  ...                               batch_size=32, is_training=True)  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import multiprocessing
import os
import random
import time
from typing import Callable, Iterator, Mapping, Sequence, TypeVar

import tensorflow as tf
from absl import logging
from tensorflow.core.example import example_pb2

from bert_tf import tokenization
from bert_tf.data import records
from bert_tf.errors import MissingFileError, UsageError

T = TypeVar("T")

# A sentence is a list of wordpieces; a document a list of sentences.
Sentence = list[str]
Document = list[Sentence]

CLS, SEP, MASK = "[CLS]", "[SEP]", "[MASK]"

# Shard size when sharded mode is chosen by --num_workers alone. A constant, so that
# the output never depends on how many workers ran.
DEFAULT_DOCS_PER_SHARD = 2000
# A shard also ends once its text passes this many characters. A worker holds one
# shard: its wordpieces and its serialized records, measured at about 25 bytes per
# input character with dupe_factor 10, so this keeps a worker near 0.5 GB or less.
MAX_SHARD_CHARS = 16 << 20

_READ_BLOCK = 1 << 20
_LOG_EVERY_S = 10.0


# ----------------------------------------------------------------------------- options


@dataclasses.dataclass(frozen=True)
class PretrainingOptions:
    """The original script's generation flags (same names, defaults and meanings)."""

    max_seq_length: int = 128
    max_predictions_per_seq: int = 20
    masked_lm_prob: float = 0.15
    short_seq_prob: float = 0.1
    dupe_factor: int = 10
    do_whole_word_mask: bool = False

    def validate(self) -> None:
        """Raises ValueError naming the flag for values the algorithm cannot use."""
        # [CLS] A [SEP] B [SEP] needs at least one token in A and in B.
        if self.max_seq_length < 5:
            raise UsageError(f"--max_seq_length={self.max_seq_length}: must be at least 5 "
                             "([CLS] A [SEP] B [SEP] with one token in A and in B)")
        if self.max_predictions_per_seq < 0:
            raise UsageError(f"--max_predictions_per_seq={self.max_predictions_per_seq}: "
                             "must be >= 0")
        if not 0.0 <= self.masked_lm_prob <= 1.0:
            raise UsageError(f"--masked_lm_prob={self.masked_lm_prob}: must be in [0, 1]")
        if not 0.0 <= self.short_seq_prob <= 1.0:
            raise UsageError(f"--short_seq_prob={self.short_seq_prob}: must be in [0, 1]")
        if self.dupe_factor < 1:
            raise UsageError(f"--dupe_factor={self.dupe_factor}: must be at least 1")


@dataclasses.dataclass
class TrainingInstance:
    """One sentence pair: tokens `[CLS] A [SEP] B [SEP]` after masking.

    `masked_lm_positions` are ascending indices into `tokens`; `masked_lm_labels`
    the original wordpieces there. `is_random_next` is the NSP label (True = B is
    from another document).
    """

    tokens: list[str]
    segment_ids: list[int]
    masked_lm_positions: list[int]
    masked_lm_labels: list[str]
    is_random_next: bool

    def __str__(self) -> str:
        return (f"tokens: {' '.join(self.tokens)}\n"
                f"segment_ids: {' '.join(map(str, self.segment_ids))}\n"
                f"is_random_next: {self.is_random_next}\n"
                f"masked_lm_positions: {' '.join(map(str, self.masked_lm_positions))}\n"
                f"masked_lm_labels: {' '.join(self.masked_lm_labels)}\n")


@dataclasses.dataclass
class DataStats:
    """What a `create_pretraining_data` run produced."""

    documents: int
    instances: int
    output_files: list[str]
    seconds: float

    @property
    def instances_per_second(self) -> float:
        return self.instances / max(self.seconds, 1e-9)


# ----------------------------------------------------------------------------- algorithm


def truncate_seq_pair(tokens_a: Sequence[str], tokens_b: Sequence[str], max_num_tokens: int,
                      rng: random.Random) -> tuple[list[str], list[str]]:
    """Trims the longer side, one token at a time from its front or back, to fit.

    Same draws as the original (one `rng.random()` per removed token; ties trim B),
    but it moves window ends instead of deleting from lists, so a very long
    sentence costs linear, not quadratic, time.
    """
    a0, a1, b0, b1 = 0, len(tokens_a), 0, len(tokens_b)
    while (a1 - a0) + (b1 - b0) > max_num_tokens:
        front = rng.random() < 0.5
        if a1 - a0 > b1 - b0:
            if front:
                a0 += 1
            else:
                a1 -= 1
        elif front:
            b0 += 1
        else:
            b1 -= 1
    return list(tokens_a[a0:a1]), list(tokens_b[b0:b1])


def create_masked_lm_predictions(
        tokens: Sequence[str], masked_lm_prob: float, max_predictions_per_seq: int,
        vocab_words: Sequence[str], rng: random.Random,
        do_whole_word_mask: bool = False) -> tuple[list[str], list[int], list[str]]:
    """Masks up to `min(max_predictions_per_seq, max(1, round(len * prob)))` wordpieces.

    Each chosen wordpiece becomes [MASK] (80%), stays (10%) or becomes a random
    vocabulary word (10%). With whole-word masking a word's `##` pieces are chosen
    together with it, but the 80/10/10 draw is still made per wordpiece (as the
    original does). Returns (output tokens, ascending positions, original labels).
    """
    candidates: list[list[int]] = []
    for i, token in enumerate(tokens):
        if token == CLS or token == SEP:
            continue
        # As in the original, a "##" piece right after [SEP] joins the last word of A.
        if do_whole_word_mask and candidates and token.startswith("##"):
            candidates[-1].append(i)
        else:
            candidates.append([i])
    rng.shuffle(candidates)

    output = list(tokens)
    num_to_predict = min(max_predictions_per_seq,
                         max(1, int(round(len(tokens) * masked_lm_prob))))
    positions: list[int] = []
    # Candidate index sets are disjoint, so (unlike the original's covered-index
    # bookkeeping, which never triggers) no overlap check is needed.
    for index_set in candidates:
        if len(positions) >= num_to_predict:
            break
        # A whole word that would overshoot the budget is skipped, not split.
        if len(positions) + len(index_set) > num_to_predict:
            continue
        for index in index_set:
            if rng.random() < 0.8:
                output[index] = MASK
            elif rng.random() < 0.5:
                pass  # keep the original wordpiece
            else:
                output[index] = vocab_words[rng.randint(0, len(vocab_words) - 1)]
            positions.append(index)
    positions.sort()
    return output, positions, [tokens[p] for p in positions]


def _random_document_index(num_documents: int, document_index: int, rng: random.Random) -> int:
    # Up to 10 tries to pick another document (the original's bound; with one
    # document the same one is used).
    for _ in range(10):
        index = rng.randint(0, num_documents - 1)
        if index != document_index:
            break
    return index


def _make_instance(tokens_a: list[str], tokens_b: list[str], is_random_next: bool,
                   options: PretrainingOptions, vocab_words: Sequence[str],
                   rng: random.Random) -> TrainingInstance:
    tokens = [CLS, *tokens_a, SEP, *tokens_b, SEP]
    segment_ids = [0] * (len(tokens_a) + 2) + [1] * (len(tokens_b) + 1)
    tokens, positions, labels = create_masked_lm_predictions(
        tokens, options.masked_lm_prob, options.max_predictions_per_seq, vocab_words, rng,
        options.do_whole_word_mask)
    return TrainingInstance(tokens, segment_ids, positions, labels, is_random_next)


def create_instances_from_document(documents: Sequence[Document], document_index: int,
                                   options: PretrainingOptions, vocab_words: Sequence[str],
                                   rng: random.Random) -> list[TrainingInstance]:
    """Cuts one document into sentence-pair instances (the original's procedure).

    Sentences are gathered until they reach a target length (`max_seq_length - 3`,
    or with probability `short_seq_prob` a random length in [2, that]); a random
    number of them forms A. B is the rest of the chunk, or (always for a one-sentence
    chunk, otherwise half the time) sentences from a random other document, in which
    case the unused sentences of the chunk are put back for the next instance.
    """
    document = documents[document_index]
    max_num_tokens = options.max_seq_length - 3
    target_seq_length = max_num_tokens
    if rng.random() < options.short_seq_prob:
        target_seq_length = rng.randint(2, max_num_tokens)

    instances = []
    chunk: list[Sentence] = []
    chunk_length = 0
    i = 0
    while i < len(document):
        chunk.append(document[i])
        chunk_length += len(document[i])
        if i == len(document) - 1 or chunk_length >= target_seq_length:
            a_end = rng.randint(1, len(chunk) - 1) if len(chunk) >= 2 else 1
            tokens_a = [t for sentence in chunk[:a_end] for t in sentence]
            tokens_b: list[str] = []
            # Short-circuit as the original: a one-sentence chunk draws nothing here.
            is_random_next = len(chunk) == 1 or rng.random() < 0.5
            if is_random_next:
                target_b_length = target_seq_length - len(tokens_a)
                other = documents[_random_document_index(len(documents), document_index, rng)]
                j = rng.randint(0, len(other) - 1)
                while j < len(other):
                    tokens_b.extend(other[j])
                    if len(tokens_b) >= target_b_length:
                        break
                    j += 1
                i -= len(chunk) - a_end  # put the unused sentences back
            else:
                for sentence in chunk[a_end:]:
                    tokens_b.extend(sentence)
            tokens_a, tokens_b = truncate_seq_pair(tokens_a, tokens_b, max_num_tokens, rng)
            instances.append(_make_instance(tokens_a, tokens_b, is_random_next, options,
                                            vocab_words, rng))
            chunk, chunk_length = [], 0
        i += 1
    return instances


def create_training_instances(documents: list[Document], vocab_words: Sequence[str],
                              options: PretrainingOptions, rng: random.Random,
                              encode: Callable[[TrainingInstance], T] | None = None,
                              log_prefix: str | None = None) -> list:
    """All instances of `dupe_factor` passes over the documents, shuffled.

    Shuffles `documents` in place first (the original's draw order). `encode` maps
    each instance as soon as it is made (e.g. to a serialized record, which is far
    smaller than the instance); the final shuffle only depends on how many there
    are, so encoding changes nothing about the order. With `log_prefix`, progress
    is logged per pass.
    """
    rng.shuffle(documents)
    out: list = []
    start = time.perf_counter()
    for dupe in range(options.dupe_factor):
        for index in range(len(documents)):
            made = create_instances_from_document(documents, index, options, vocab_words, rng)
            out.extend(map(encode, made) if encode else made)
        if log_prefix is not None:
            elapsed = time.perf_counter() - start
            logging.info("%spass %d/%d: %d instances (%.0f instances/s)", log_prefix, dupe + 1,
                         options.dupe_factor, len(out), len(out) / max(elapsed, 1e-9))
    rng.shuffle(out)
    return out


# ----------------------------------------------------------------------------- records


def name_to_features(max_seq_length: int, max_predictions_per_seq: int
                     ) -> dict[str, tf.io.FixedLenFeature]:
    """The records' parsing spec (the original run_pretraining's feature names).

    input_ids, input_mask, segment_ids: int64 [max_seq_length];
    masked_lm_positions, masked_lm_ids: int64 [max_predictions_per_seq];
    masked_lm_weights: float32 [max_predictions_per_seq]; next_sentence_labels: int64 [1].
    """
    return records.fixed_features({
        "input_ids": (max_seq_length, tf.int64),
        "input_mask": (max_seq_length, tf.int64),
        "segment_ids": (max_seq_length, tf.int64),
        "masked_lm_positions": (max_predictions_per_seq, tf.int64),
        "masked_lm_ids": (max_predictions_per_seq, tf.int64),
        "masked_lm_weights": (max_predictions_per_seq, tf.float32),
        "next_sentence_labels": (1, tf.int64),
    })


def pretraining_dataset(files: Sequence[str], max_seq_length: int, max_predictions_per_seq: int,
                        batch_size: int, is_training: bool, seed: int | None = None,
                        input_context: tf.distribute.InputContext | None = None,
                        **padding) -> tf.data.Dataset:
    """Batches for run_pretraining, read as the original's input_fn reads them.

    Training reads files in parallel and shuffles; evaluation reads in order. Both
    repeat and drop the last partial batch, as the original (evaluation runs a
    fixed `max_eval_steps`). Yields int32 `input_word_ids`, `input_mask`,
    `input_type_ids` [batch_size, max_seq_length]; int32 `masked_lm_positions`,
    `masked_lm_ids` and float32 `masked_lm_weights` [batch_size, max_predictions_per_seq];
    int32 `next_sentence_labels` [batch_size, 1]. `padding`: records.dataset's
    dynamic padding arguments (sequence_features=(records.ENCODER_INPUTS,), ...).
    """
    return records.dataset(list(files), name_to_features(max_seq_length, max_predictions_per_seq),
                           batch_size, is_training, drop_remainder=True, seed=seed,
                           input_context=input_context, repeat=True, **padding)


class InstanceEncoder:
    """TrainingInstance -> serialized tf.train.Example with the original's features.

    Serialization is deterministic (map keys sorted): protobuf's default order of
    the feature map varies from process to process, which would make identical
    runs write different bytes.
    """

    def __init__(self, vocab: Mapping[str, int], max_seq_length: int,
                 max_predictions_per_seq: int):
        self.vocab = vocab
        self.max_seq_length = max_seq_length
        self.max_predictions_per_seq = max_predictions_per_seq

    def features(self, instance: TrainingInstance) -> dict[str, list]:
        """The padded feature lists (input_ids ... next_sentence_labels)."""
        vocab = self.vocab
        n, pad = len(instance.tokens), self.max_seq_length - len(instance.tokens)
        m = len(instance.masked_lm_positions)
        mpad = self.max_predictions_per_seq - m
        if pad < 0 or mpad < 0:
            raise ValueError(f"instance of {n} tokens / {m} predictions exceeds max_seq_length="
                             f"{self.max_seq_length} / max_predictions_per_seq="
                             f"{self.max_predictions_per_seq}")
        return {
            "input_ids": [vocab[t] for t in instance.tokens] + [0] * pad,
            "input_mask": [1] * n + [0] * pad,
            "segment_ids": list(instance.segment_ids) + [0] * pad,
            "masked_lm_positions": list(instance.masked_lm_positions) + [0] * mpad,
            "masked_lm_ids": [vocab[t] for t in instance.masked_lm_labels] + [0] * mpad,
            "masked_lm_weights": [1.0] * m + [0.0] * mpad,
            "next_sentence_labels": [1 if instance.is_random_next else 0],
        }

    def __call__(self, instance: TrainingInstance) -> bytes:
        example = example_pb2.Example()
        feature = example.features.feature
        for name, values in self.features(instance).items():
            if name == "masked_lm_weights":
                feature[name].float_list.value.extend(values)
            else:
                feature[name].int64_list.value.extend(values)
        return example.SerializeToString(deterministic=True)


def decode_record(record: bytes) -> dict[str, list]:
    """Serialized example -> {feature name: list of values} (for logs and tests)."""
    example = example_pb2.Example.FromString(record)
    out = {}
    for name, feature in example.features.feature.items():
        kind = feature.WhichOneof("kind")
        out[name] = list(getattr(feature, kind).value)
    return out


def format_record(record: bytes, inv_vocab: Mapping[int, str]) -> str:
    """A short description of one record for the log (padding and constant features left out)."""
    f = decode_record(record)
    n = sum(f["input_mask"])
    m = int(sum(f["masked_lm_weights"]))
    ids, labels = f["input_ids"][:n], f["masked_lm_ids"][:m]
    len_b = sum(f["segment_ids"])
    return "\n".join([
        f"tokens: {' '.join(inv_vocab.get(i, '?') for i in ids)}",
        f"input_ids: {' '.join(map(str, ids))}",
        f"length: {n} of {len(f['input_ids'])} (segment A {n - len_b}, B {len_b})",
        f"masked_lm_positions: {' '.join(map(str, f['masked_lm_positions'][:m]))}",
        f"masked_lm_ids: {' '.join(map(str, labels))} "
        f"({' '.join(inv_vocab.get(i, '?') for i in labels)})",
        f"next_sentence_labels: {f['next_sentence_labels'][0]}",
    ])


def _write_round_robin(items: Sequence[bytes], output_files: Sequence[str]) -> None:
    """Record i goes to output_files[i % len(output_files)] (the original's split)."""
    with contextlib.ExitStack() as stack:
        writers = [stack.enter_context(records.record_writer(p)) for p in output_files]
        for i, item in enumerate(items):
            writers[i % len(writers)].write(item)


# ----------------------------------------------------------------------------- input


def expand_input_patterns(patterns: str | Sequence[str], sort: bool = False) -> list[str]:
    """Comma-separated globs -> files, in the order `tf.io.gfile.glob` lists them.

    The original keeps the filesystem's order of one pattern's matches; `sort=True`
    sorts them instead (sharded mode, so that shards do not depend on the filesystem).
    """
    if isinstance(patterns, str):
        patterns = patterns.split(",")
    files: list[str] = []
    for pattern in filter(None, (p.strip() for p in patterns)):
        matched = tf.io.gfile.glob(pattern)
        if not matched:
            raise MissingFileError(f"--input_file: no file matches {pattern!r}")
        files.extend(sorted(matched) if sort else matched)
    if not files:
        raise MissingFileError("--input_file is empty; expected comma-separated file patterns")
    for path in files:
        if tf.io.gfile.isdir(path):
            raise UsageError(f"--input_file: {path!r} is a directory, expected text files")
    return files


def _lines(path: str, offset: int = 0) -> Iterator[tuple[int, bytes]]:
    """(byte offset, line without its newline) from `offset` on, split at b"\\n" only."""
    with tf.io.gfile.GFile(path, "rb") as f:
        if offset:
            f.seek(offset)
        pos, rest = offset, b""
        while True:
            block = f.read(_READ_BLOCK)
            if not block:
                break
            parts = (rest + block).split(b"\n")
            rest = parts.pop()
            for part in parts:
                yield pos, part
                pos += len(part) + 1
        if rest:
            yield pos, rest


def _decoded_lines(path: str, offset: int = 0, skip_invalid: bool = False
                   ) -> Iterator[tuple[int, str | None]]:
    """(byte offset, stripped text) per line, as the original reads them.

    The original reads through TF's line reader, which drops every "\\r" (not only
    at line ends), and decodes UTF-8 strictly. With `skip_invalid` a line that is not
    UTF-8 yields None as its text instead of stopping the read.
    """
    for lineno, (pos, raw) in enumerate(_lines(path, offset), 1):
        if b"\r" in raw:
            raw = raw.replace(b"\r", b"")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            if skip_invalid:
                yield pos, None
                continue
            where = f"line {lineno}" if not offset else f"byte {pos}"
            raise UsageError(f"--input_file: {path!r} {where} is not UTF-8 text: {e}") from None
        yield pos, text.strip()


def read_documents(input_files: Sequence[str], tokenizer: tokenization.FullTokenizer,
                   log_progress: bool = False) -> list[Document]:
    """All documents of the files, tokenized (the original's reader; keeps all in memory).

    A blank line ends a document, also across file boundaries (a file without a
    trailing blank line continues into the next file, as in the original). Lines
    that tokenize to nothing and documents without tokens are dropped.
    """
    documents: list[Document] = [[]]
    last_log = time.perf_counter()
    for path in input_files:
        for _, line in _decoded_lines(path):
            if not line:
                documents.append([])
                continue
            tokens = tokenizer.tokenize(line)
            if tokens:
                documents[-1].append(tokens)
            if log_progress and time.perf_counter() - last_log > _LOG_EVERY_S:
                last_log = time.perf_counter()
                logging.info("Read %d documents (now in %s)", len(documents), path)
    return [d for d in documents if d]


@dataclasses.dataclass(frozen=True)
class _Position:
    file_index: int
    offset: int


def _raw_documents(files: Sequence[str], start: _Position = _Position(0, 0)
                   ) -> Iterator[tuple[_Position, list[str]]]:
    """(position of first line, lines) of each run of non-blank lines from `start` on."""
    lines: list[str] = []
    first = start
    for file_index in range(start.file_index, len(files)):
        offset = start.offset if file_index == start.file_index else 0
        for pos, line in _decoded_lines(files[file_index], offset):
            if line:
                if not lines:
                    first = _Position(file_index, pos)
                lines.append(line)
            elif lines:
                yield first, lines
                lines = []
    if lines:
        yield first, lines


# ----------------------------------------------------------------------------- sharded mode


@dataclasses.dataclass(frozen=True)
class _ShardTask:
    index: int
    num_shards: int
    files: tuple[str, ...]
    start: _Position
    num_documents: int
    output_file: str
    seed: int
    options: PretrainingOptions
    vocab_file: str
    do_lower_case: bool
    log_examples: int


@dataclasses.dataclass(frozen=True)
class _ShardResult:
    index: int
    documents: int
    instances: int
    output_file: str
    examples: tuple[bytes, ...]


def shard_seed(random_seed: int, shard_index: int) -> int:
    """The seed of one shard: a 64-bit hash of (random_seed, shard_index)."""
    digest = hashlib.sha256(f"bert_tf.pretraining:{random_seed}:{shard_index}".encode()).digest()
    return int.from_bytes(digest[:8], "little")


def shard_file_name(output_file: str, index: int, num_shards: int) -> str:
    return f"{output_file}-{index:05d}-of-{num_shards:05d}"


@dataclasses.dataclass(frozen=True)
class ShardPlan:
    """Where a shard's first document starts, and how many documents it has."""

    start: _Position
    num_documents: int
    num_chars: int


def plan_shards(files: Sequence[str], docs_per_shard: int,
                max_shard_chars: int = MAX_SHARD_CHARS) -> tuple[list[ShardPlan], int]:
    """One streaming pass over the input: the shards and the number of raw documents.

    A shard is `docs_per_shard` consecutive documents, or fewer when their text
    passes `max_shard_chars` (book-length documents would otherwise make shards,
    and the workers' memory, huge). A last shard with less than half of both is
    folded into the one before, so no shard is tiny (random next sentences come
    from within a shard). Only positions and counts are kept, never text.
    """
    plans: list[ShardPlan] = []
    start, docs, chars, total = None, 0, 0, 0
    last_log = time.perf_counter()
    for position, lines in _raw_documents(files):
        if start is None:
            start = position
        docs += 1
        chars += sum(map(len, lines))
        total += 1
        if docs == docs_per_shard or chars >= max_shard_chars:
            plans.append(ShardPlan(start, docs, chars))
            start, docs, chars = None, 0, 0
        if time.perf_counter() - last_log > _LOG_EVERY_S:
            last_log = time.perf_counter()
            logging.info("Planning shards: %d documents so far", total)
    if start is not None:
        if plans and docs < docs_per_shard / 2 and chars < max_shard_chars / 2:
            last = plans.pop()
            plans.append(ShardPlan(last.start, last.num_documents + docs, last.num_chars + chars))
        else:
            plans.append(ShardPlan(start, docs, chars))
    return plans, total


_WORKER_TOKENIZERS: dict[tuple[str, bool], tokenization.FullTokenizer] = {}


def _shard_tokenizer(vocab_file: str, do_lower_case: bool) -> tokenization.FullTokenizer:
    # One tokenizer (and word cache) per worker process, reused across its shards.
    key = (vocab_file, do_lower_case)
    if key not in _WORKER_TOKENIZERS:
        _WORKER_TOKENIZERS[key] = tokenization.FullTokenizer(vocab_file, do_lower_case)
    return _WORKER_TOKENIZERS[key]


def _process_shard(task: _ShardTask) -> _ShardResult:
    """Reads, generates and writes one shard (runs in a worker process)."""
    tokenizer = _shard_tokenizer(task.vocab_file, task.do_lower_case)
    documents: list[Document] = []
    for n, (_, lines) in enumerate(_raw_documents(task.files, task.start)):
        if n == task.num_documents:
            break
        document = [tokens for tokens in map(tokenizer.tokenize, lines) if tokens]
        if document:
            documents.append(document)
    items: list[bytes] = []
    if documents:
        encoder = InstanceEncoder(tokenizer.vocab, task.options.max_seq_length,
                                  task.options.max_predictions_per_seq)
        items = create_training_instances(documents, list(tokenizer.vocab), task.options,
                                          random.Random(task.seed), encoder)
    _write_round_robin(items, [task.output_file])
    return _ShardResult(task.index, len(documents), len(items), task.output_file,
                        tuple(items[:task.log_examples]))


def _run_sharded(files: list[str], output_file: str, vocab_file: str,
                 tokenizer: tokenization.FullTokenizer, options: PretrainingOptions,
                 random_seed: int, num_workers: int, docs_per_shard: int,
                 log_examples: int) -> DataStats:
    start_time = time.perf_counter()
    plans, raw_documents = plan_shards(files, docs_per_shard)
    if not plans:
        raise UsageError(f"--input_file: no documents in {files}; expected one sentence per "
                         "line and blank lines between documents")
    n = len(plans)
    tasks = []
    for k, plan in enumerate(plans):
        # A shard reads from its start through the file where the next shard starts.
        first_file = plan.start.file_index
        last_file = plans[k + 1].start.file_index if k + 1 < n else len(files) - 1
        tasks.append(_ShardTask(
            k, n, tuple(files[first_file:last_file + 1]), _Position(0, plan.start.offset),
            plan.num_documents, shard_file_name(output_file, k, n), shard_seed(random_seed, k),
            options, vocab_file, tokenizer.do_lower_case, log_examples if k == 0 else 0))
    logging.info("%d documents in %d shards of about %d documents, %d worker(s)",
                 raw_documents, n, docs_per_shard, num_workers)
    _warn_stale_shards(output_file, {t.output_file for t in tasks})
    results: list[_ShardResult] = []
    documents = instances = 0
    for result in _map_shards(tasks, num_workers):
        results.append(result)
        documents += result.documents
        instances += result.instances
        elapsed = time.perf_counter() - start_time
        rate = instances / max(elapsed, 1e-9)
        eta = elapsed / len(results) * (n - len(results))
        logging.info("Shard %d/%d done (%d of %d): %d documents, %d instances; total %d "
                     "instances, %.0f instances/s, ETA %.0f s", result.index + 1, n,
                     len(results), n, result.documents, result.instances, instances, rate, eta)
        for record in result.examples:
            logging.info("*** Example ***\n%s", format_record(record, tokenizer.inv_vocab))
    outputs = [t.output_file for t in tasks]
    if documents == 0:
        for path in outputs:
            tf.io.gfile.remove(path)
        raise UsageError(f"--input_file: no text left after tokenization in {files}")
    return DataStats(documents, instances, outputs, time.perf_counter() - start_time)


def _warn_stale_shards(output_file: str, outputs: set[str]) -> None:
    # Shards of an earlier run with another shard count would mix into `<output_file>-*`.
    stale = sorted(set(tf.io.gfile.glob(f"{output_file}-?????-of-?????")) - outputs)
    if stale:
        logging.warning("%d shard file(s) of an earlier run are left beside the new ones, "
                        "e.g. %s; remove them before reading %s-*", len(stale), stale[0],
                        output_file)


def _map_shards(tasks: list[_ShardTask], num_workers: int) -> Iterator[_ShardResult]:
    if num_workers <= 1 or len(tasks) == 1:
        yield from map(_process_shard, tasks)
        return
    # "spawn": workers must not inherit the parent's TensorFlow runtime threads (fork).
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(min(num_workers, len(tasks))) as pool:
        yield from pool.imap_unordered(_process_shard, tasks)


# ----------------------------------------------------------------------------- entry point


def load_tokenizer(vocab_file: str, do_lower_case: bool = True) -> tokenization.FullTokenizer:
    """FullTokenizer for --vocab_file, with errors that name the flag; needs [MASK] too."""
    try:
        tokenizer = tokenization.FullTokenizer(vocab_file, do_lower_case)
    except tokenization.VocabError as e:
        raise tokenization.VocabError(f"--vocab_file: {e}") from None
    if MASK not in tokenizer.vocab:
        raise tokenization.VocabError(f"--vocab_file: {vocab_file!r} lacks the [MASK] token")
    return tokenizer


def check_writable(path: str, flag: str = "output_file") -> None:
    """Fails early (before hours of work) when `path` cannot be written."""
    if tf.io.gfile.isdir(path):
        raise UsageError(f"--{flag}: {path!r} is a directory, expected a file path")
    parent = os.path.dirname(path)
    probe = f"{path}.probe-{os.getpid()}"
    try:
        if parent:
            tf.io.gfile.makedirs(parent)
        with tf.io.gfile.GFile(probe, "wb") as f:
            f.write(b"")
        tf.io.gfile.remove(probe)
    except (tf.errors.OpError, OSError) as e:
        raise UsageError(f"--{flag}: cannot write {path!r}: {getattr(e, 'message', e)}") from None


def create_pretraining_data(input_files: str | Sequence[str], output_files: str | Sequence[str],
                            vocab_file: str, do_lower_case: bool = True,
                            options: PretrainingOptions = PretrainingOptions(),
                            random_seed: int = 12345, num_workers: int = 1,
                            docs_per_shard: int = 0, log_examples: int = 3) -> DataStats:
    """Text files -> TFRecord files of pretraining instances.

    Args:
      input_files: comma-separated globs (or a list of them), as --input_file.
      output_files: comma-separated paths (or a list). Single-process mode spreads
        records over them round-robin, as the original; sharded mode needs one path,
        the prefix of `<output_file>-SSSSS-of-NNNNN`.
      vocab_file, do_lower_case: the tokenizer's (each sharded-mode worker builds its own).
      options: generation options (validated here).
      random_seed: seeds `random.Random` (the original's), or the shard seeds.
      num_workers: worker processes; > 1 selects sharded mode.
      docs_per_shard: documents per shard; > 0 selects sharded mode. 0 with
        num_workers > 1 means DEFAULT_DOCS_PER_SHARD.
      log_examples: how many instances to log in full.

    Returns: DataStats (documents, instances, output files, seconds).
    """
    options.validate()
    if num_workers < 1:
        raise UsageError(f"--num_workers={num_workers}: must be at least 1")
    if docs_per_shard < 0:
        raise UsageError(f"--docs_per_shard={docs_per_shard}: must be >= 0")
    tokenizer = load_tokenizer(vocab_file, do_lower_case)
    if isinstance(output_files, str):
        output_files = output_files.split(",")
    output_files = [p.strip() for p in output_files if p.strip()]
    if not output_files:
        raise UsageError("--output_file is empty; expected a file path")
    sharded = num_workers > 1 or docs_per_shard > 0
    if sharded and len(output_files) != 1:
        raise UsageError(f"--output_file: sharded mode (--num_workers/--docs_per_shard) writes "
                         f"<output_file>-SSSSS-of-NNNNN and takes one path, got {output_files}")
    files = expand_input_patterns(input_files, sort=sharded)
    for path in output_files:
        check_writable(path)
    logging.info("*** Reading from %d input file(s) ***", len(files))
    for path in files[:10]:
        logging.info("  %s", path)
    if sharded:
        return _run_sharded(files, output_files[0], vocab_file, tokenizer, options, random_seed,
                            num_workers, docs_per_shard or DEFAULT_DOCS_PER_SHARD, log_examples)
    return _run_single(files, output_files, tokenizer, options, random_seed, log_examples)


def _run_single(files: list[str], output_files: list[str], tokenizer: tokenization.FullTokenizer,
                options: PretrainingOptions, random_seed: int, log_examples: int) -> DataStats:
    """The original script's path: all documents in memory, one rng, round-robin outputs."""
    start = time.perf_counter()
    documents = read_documents(files, tokenizer, log_progress=True)
    if not documents:
        raise UsageError(f"--input_file: no documents in {files}; expected one sentence per "
                         "line and blank lines between documents")
    logging.info("Read %d documents in %.1f s", len(documents), time.perf_counter() - start)
    encoder = InstanceEncoder(tokenizer.vocab, options.max_seq_length,
                              options.max_predictions_per_seq)
    items = create_training_instances(documents, list(tokenizer.vocab), options,
                                      random.Random(random_seed), encoder, log_prefix="")
    logging.info("*** Writing to %d output file(s) ***", len(output_files))
    for path in output_files:
        logging.info("  %s", path)
    _write_round_robin(items, output_files)
    for record in items[:log_examples]:
        logging.info("*** Example ***\n%s", format_record(record, tokenizer.inv_vocab))
    seconds = time.perf_counter() - start
    logging.info("Wrote %d total instances (%.0f instances/s)", len(items),
                 len(items) / max(seconds, 1e-9))
    return DataStats(len(documents), len(items), output_files, seconds)
