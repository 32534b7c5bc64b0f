"""Source/target pairs for run_seq2seq.py (translation, abstractive summarization).

  read_pairs            a TSV, CSV or JSONL file -> Pair(source, target) per row
  convert_pair          Pair -> encoder inputs and the decoder's shifted target
  write_features        pairs -> a TFRecord file (atomically), with truncation counts
  name_to_features      parsing spec for `bert_tf.data.records.dataset`

The source is packed as BERT packs one text, [CLS] source [SEP]. The target,
cut to max_target_length - 1 wordpieces, becomes (as in Hugging Face's bert2bert)

  decoder_input_ids   [CLS] y_1 ... y_n          [CLS] starts every output
  target_ids          y_1 ... y_n [SEP]          [SEP] ends it
  target_mask         1 ... 1 1, then 0 for padding
"""

from __future__ import annotations

import dataclasses
from typing import Iterable, Sequence

import tensorflow as tf
from absl import logging

from bert_tf import tokenization
from bert_tf.data import classifier, packing, records
from bert_tf.errors import DataError


class Seq2SeqDataError(DataError):
    """A pair file is missing, malformed, or has an empty source or target."""


@dataclasses.dataclass
class Pair:
    """One source text and its target (None where only sources are given)."""

    guid: str
    source: str
    target: str | None = None


def read_pairs(path: str, source_column: str = "source", target_column: str = "target",
               require_target: bool = True) -> list[Pair]:
    """Pairs from a TSV, CSV or JSONL file (format by file name, as run_classifier's
    generic task); columns are header names or 0-based indexes. A JSONL column may
    hold a list of sentences (a summary, as run_summarization's files): they are
    joined one per line, as rougeLsum scores them.

    Raises Seq2SeqDataError naming the file and line of a missing column or an
    empty source or target.
    """
    optional = [] if require_target else [target_column]
    try:
        recs = classifier.read_records(path, [source_column, target_column], optional=optional)
        pairs = []
        for line, rec in recs:
            source = _text(rec, source_column, path, line)
            if not source:
                raise Seq2SeqDataError(f"{path}, line {line}: empty source "
                                       f"(column {source_column!r})")
            target = None
            if require_target or rec.get(target_column) is not None:
                target = _text(rec, target_column, path, line) or None
            if require_target and not target:
                raise Seq2SeqDataError(f"{path}, line {line}: empty target "
                                       f"(column {target_column!r})")
            pairs.append(Pair(f"{path}:{line}", source, target))
    except classifier.DataError as e:
        raise Seq2SeqDataError(str(e)) from None
    if not pairs:
        raise Seq2SeqDataError(f"data file {path!r} has a header line but no pairs")
    return pairs


def _text(rec: dict, column: str, path: str, line: int) -> str:
    value = rec.get(column)
    if isinstance(value, list) and all(isinstance(s, str) for s in value):
        return "\n".join(s.strip() for s in value if s.strip())
    return classifier.text_field(rec, column, path, line).strip()


def convert_pair(pair: Pair, tokenizer: tokenization.FullTokenizer, max_source_length: int,
                 max_target_length: int) -> tuple[dict[str, list[int]], bool, bool]:
    """Pair -> (features, source truncated?, target truncated?).

    Features: input_ids, input_mask, segment_ids [max_source_length]; with a
    target also decoder_input_ids, target_ids, target_mask [max_target_length].
    """
    source = tokenizer.tokenize(pair.source)
    if not source:
        raise Seq2SeqDataError(f"{pair.guid}: the source has no tokens after tokenization")
    tokens, segment_ids = packing.pack_tokens(source, None, max_source_length)
    features = packing.to_features(tokenizer, tokens, segment_ids, max_source_length)
    target_cut = False
    if pair.target is not None:
        target = tokenizer.tokenize(pair.target)
        if not target:
            raise Seq2SeqDataError(f"{pair.guid}: the target has no tokens after tokenization")
        target_cut = len(target) > max_target_length - 1
        ids = tokenizer.convert_tokens_to_ids(target[:max_target_length - 1])
        cls_id, sep_id = tokenizer.convert_tokens_to_ids(["[CLS]", "[SEP]"])
        pad = [0] * (max_target_length - len(ids) - 1)
        features.update(decoder_input_ids=[cls_id] + ids + pad, target_ids=ids + [sep_id] + pad,
                        target_mask=[1] * (len(ids) + 1) + pad)
    return features, len(source) > max_source_length - 2, target_cut


def target_vocabulary(pairs: Sequence[Pair], tokenizer: tokenization.FullTokenizer,
                      max_target_length: int) -> list[int]:
    """The sorted ids of every wordpiece in the (truncated) targets, plus [SEP]: what
    a decoder trained on `pairs` can learn to output (`MaskedLMHead` output_ids)."""
    ids = set(tokenizer.convert_tokens_to_ids(["[SEP]"]))
    for pair in pairs:
        ids.update(tokenizer.convert_tokens_to_ids(
            tokenizer.tokenize(pair.target)[:max_target_length - 1]))
    return sorted(ids)


def write_features(pairs: Sequence[Pair], tokenizer: tokenization.FullTokenizer,
                   max_source_length: int, max_target_length: int, output_file: str) -> int:
    """Writes the pairs' features to output_file atomically, logging what was cut."""
    cut = {"source": 0, "target": 0}

    def features() -> Iterable[dict]:
        for pair in pairs:
            f, source_cut, target_cut = convert_pair(pair, tokenizer, max_source_length,
                                                     max_target_length)
            cut["source"] += source_cut
            cut["target"] += target_cut
            yield f

    n = records.write_examples(output_file, features())
    for side, length in (("source", max_source_length), ("target", max_target_length)):
        if cut[side]:
            logging.warning("%d of %d %ss in %s were longer than --max_%s_length=%d and were "
                            "truncated", cut[side], n, side, output_file, side, length)
    return n


def name_to_features(max_source_length: int, max_target_length: int | None = None) -> dict:
    """Parsing spec of the records (sources only when max_target_length is None)."""
    spec = {name: (max_source_length, tf.int64)
            for name in ("input_ids", "input_mask", "segment_ids")}
    if max_target_length:
        spec.update({name: (max_target_length, tf.int64)
                     for name in ("decoder_input_ids", "target_ids", "target_mask")})
    return records.fixed_features(spec)
