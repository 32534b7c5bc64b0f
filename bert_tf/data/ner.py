"""Named-entity recognition data for run_ner: CoNLL / JSONL readers, features, decoding, metrics.

The original BERT release has no NER script; this follows the recipe of its
paper (section 5.3) and of the widely used TF BERT-NER scripts:

  read_examples / read_conll / read_jsonl   files -> NerExample (words, word-level tags)
  get_labels                                the label list of a training set
  convert_examples_to_features              NerExample -> NerFeatures (one per window)
  file_based_convert_examples_to_features   ... and written to a TFRecord file (atomically)
  name_to_features                          parsing spec for `bert_tf.data.records.dataset`
  decode_predictions                        per-feature label ids -> per-sentence word tags
  write_predictions                         word tags -> test_predictions.txt (CoNLL columns)
  ner_metrics / ner_eval_results            entity P/R/F1 (seqeval) and token accuracy

Labels sit on the FIRST wordpiece of each word. Every other position (the rest
of a word's pieces, [CLS], [SEP], padding) has label id 0 and label weight 0.0,
so the loss sum(w * ce) / sum(w) (`bert_tf.losses.tagging_loss`) counts each word
once. A word the tokenizer drops entirely (control characters only, a lone
combining accent) is fed as [UNK], so every word keeps exactly one position and
gets a prediction. A sentence longer than max_seq_length - 2 wordpieces is cut
into consecutive, NON-overlapping windows at word boundaries (a word's pieces
never straddle two windows), so every word is predicted exactly once, in the
window that holds it. Only a single word with more than max_seq_length - 2
pieces loses its trailing pieces; its label sits on the first one anyway.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
from typing import Iterable, Sequence

import numpy as np
import tensorflow as tf
from absl import logging

from bert_tf import io as bert_io
from bert_tf import tokenization
from bert_tf.data import packing, records
from bert_tf.errors import DataError, MissingFileError, UsageError

# CoNLL-2003 separates documents with this pseudo-word; it is not a sentence.
DOCSTART = "-DOCSTART-"
# The name run_ner writes its predictions under (in --output_dir).
PREDICTIONS_FILE = "test_predictions.txt"
# BIO (IOB1 and IOB2) and BIOES tags: O, or a prefix, a hyphen and an entity type.
_TAG_RE = re.compile(r"^(?:O|[BIES]-\S+)$")
# Column separators of CoNLL files: ASCII blanks only, so a word holding a
# no-break space or a control character stays one word.
_COLUMN_RE = re.compile(r"[ \t]+")
_NUM_LOGGED_FEATURES = 5


class NerDataError(DataError):
    """An NER data file is missing, malformed, or has a tag the label list lacks."""


@dataclasses.dataclass
class NerExample:
    """One sentence: its words and, when known, their tags (same length).

    `source` is the file it came from and `lines` the 1-based line of each word
    in it (for JSONL, the object's line), so errors can point at the input.
    """

    guid: str
    words: list[str]
    tags: list[str] | None = None
    source: str = ""
    lines: list[int] | None = None

    def where(self, i: int) -> str:
        """'file, line N' of word i (for error messages)."""
        line = self.lines[i] if self.lines else None
        src = self.source or self.guid
        return f"{src}, line {line}" if line is not None else f"{src} (word {i})"


@dataclasses.dataclass
class NerFeatures:
    """One window of one sentence, packed as `[CLS] wordpieces [SEP]`, padded.

    `word_indices[k]` is the index (in `NerExample.words` of sentence
    `sentence_index`) of the k-th word of this window and `positions[k]` the
    position of that word's first wordpiece in `tokens` / `input_ids`.
    input_ids, input_mask, segment_ids, label_ids: int lists of length
    max_seq_length; label_weights: float list of that length, 1.0 on the first
    wordpiece of each word whose tag is known, 0.0 elsewhere.
    """

    sentence_index: int
    window_index: int
    tokens: list[str]
    word_indices: list[int]
    positions: list[int]
    input_ids: list[int]
    input_mask: list[int]
    segment_ids: list[int]
    label_ids: list[int]
    label_weights: list[float]

    def to_record(self) -> dict[str, list]:
        """The TFRecord features (see `name_to_features`)."""
        return {"input_ids": self.input_ids, "input_mask": self.input_mask,
                "segment_ids": self.segment_ids, "label_ids": self.label_ids,
                "label_weights": np.asarray(self.label_weights, np.float32)}


# ---------------------------------------------------------------------------------------------
# Reading


def _read_text(path: str) -> list[str]:
    """The file's lines (UTF-8, a BOM and CR/LF line ends tolerated), without their ends."""
    text = bert_io.read_text(path, "NER data file", NerDataError)
    # split("\n"), not splitlines(): a word may be a lone \x0b, \x0c or \x1c..\x1e,
    # which splitlines() would take for line breaks.
    return [line[:-1] if line.endswith("\r") else line for line in text.split("\n")]


def _check_tag(tag: str, where: str) -> str:
    if not _TAG_RE.match(tag):
        raise NerDataError(f"{where}: tag {tag!r} is not O, B-TYPE, I-TYPE, E-TYPE or S-TYPE "
                           "(BIO or BIOES tagging)")
    return tag


def read_conll(path: str, require_tags: bool = False) -> list[NerExample]:
    """A CoNLL-2003 style file -> one NerExample per sentence.

    One word per line, columns separated by spaces or tabs, the word in the
    first column and its tag in the LAST one (`word POS chunk NER` or `word NER`),
    a blank line between sentences; `-DOCSTART-` lines are skipped. Every line
    must have the same number of columns; a file of ONE column has no tags
    (predict-only), unless `require_tags` (train/dev), which makes it an error.
    """
    examples: list[NerExample] = []
    words: list[str] = []
    tags: list[str] = []
    lines: list[int] = []
    columns = first_line = None

    def flush():
        if words:
            examples.append(NerExample(f"{os.path.basename(path)}-{len(examples)}", list(words),
                                       list(tags) if columns > 1 else None, path, list(lines)))
            words.clear()
            tags.clear()
            lines.clear()

    for n, line in enumerate(_read_text(path), start=1):
        row = _COLUMN_RE.split(line.strip(" \t"))
        if row == [""]:
            flush()
            continue
        if row[0] == DOCSTART:
            flush()
            continue
        if columns is None:
            columns, first_line = len(row), n
            if columns == 1 and require_tags:
                raise NerDataError(f"{path}, line {n}: one column, but this file needs tags: "
                                   "expected `word ... tag` (the tag in the last column)")
        elif len(row) != columns:
            raise NerDataError(f"{path}, line {n}: {len(row)} columns, but line {first_line} has "
                               f"{columns}; every line must have the same whitespace-separated "
                               "columns (word ... tag)")
        words.append(row[0])
        lines.append(n)
        if columns > 1:
            tags.append(_check_tag(row[-1], f"{path}, line {n}"))
    flush()
    if not examples:
        raise NerDataError(f"NER data file {path!r} has no sentences")
    return examples


def _string_list(obj: dict, key: str, where: str) -> list[str]:
    value = obj[key]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise NerDataError(f"{where}: {key!r} must be a list of strings")
    return value


def read_jsonl(path: str, require_tags: bool = False) -> list[NerExample]:
    """JSON lines, one sentence per line: {"tokens": [...], "tags": [...]}.

    "tags" may be absent (predict-only) unless `require_tags`. Blank lines and
    objects with an empty token list are skipped.
    """
    examples: list[NerExample] = []
    for n, text in enumerate(_read_text(path), start=1):
        if not text.strip():
            continue
        where = f"{path}, line {n}"
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as e:
            raise NerDataError(f"{where}: not valid JSON: {e.msg}") from None
        if not isinstance(obj, dict) or "tokens" not in obj:
            raise NerDataError(f"{where}: expected an object with a \"tokens\" list (and \"tags\")")
        words = _string_list(obj, "tokens", where)
        tags = None
        if "tags" in obj:
            tags = [_check_tag(t, where) for t in _string_list(obj, "tags", where)]
            if len(tags) != len(words):
                raise NerDataError(f"{where}: {len(words)} tokens but {len(tags)} tags; each "
                                   "token needs exactly one tag")
        elif require_tags:
            raise NerDataError(f"{where}: no \"tags\" list, but this file needs tags")
        if not words:
            logging.warning("%s: empty sentence skipped", where)
            continue
        examples.append(NerExample(f"{os.path.basename(path)}-{len(examples)}", words, tags,
                                   path, [n] * len(words)))
    if not examples:
        raise NerDataError(f"NER data file {path!r} has no sentences")
    return examples


def read_examples(path: str, require_tags: bool = False,
                  label_list: Sequence[str] | None = None) -> list[NerExample]:
    """A `.jsonl` / `.json` file (read_jsonl) or any other (read_conll, CoNLL columns).

    With `label_list`, every tag must be in it (`check_tags`).
    """
    reader = read_jsonl if path.lower().endswith((".jsonl", ".json")) else read_conll
    examples = reader(path, require_tags=require_tags)
    if label_list is not None:
        check_tags(examples, label_list)
    return examples


# File names looked for in a data directory, per split, in this order.
_SPLIT_STEMS = {"train": ("train", "eng.train"), "dev": ("dev", "valid", "eng.testa"),
                "test": ("test", "eng.testb")}
_SPLIT_EXTS = (".txt", ".conll", ".tsv", ".jsonl", "")


def find_split_file(data_dir: str, split: str) -> str:
    """The file of split "train", "dev" or "test" in data_dir.

    Looks for {train,dev,valid,test}.{txt,conll,tsv,jsonl} and CoNLL-2003's own
    eng.train / eng.testa / eng.testb.
    """
    if split not in _SPLIT_STEMS:
        raise ValueError(f"split must be one of {list(_SPLIT_STEMS)}, got {split!r}")
    tried = []
    for stem in _SPLIT_STEMS[split]:
        for ext in _SPLIT_EXTS:
            path = os.path.join(data_dir, stem + ext)
            if tf.io.gfile.exists(path) and not tf.io.gfile.isdir(path):
                return path
            tried.append(stem + ext)
    raise MissingFileError(f"no {split} file in --data_dir {data_dir!r}; looked for "
                            f"{', '.join(tried)}")


def get_labels(examples: Iterable[NerExample]) -> list[str]:
    """The label list of a training set: "O" first, then by entity type, B I (E S) within a type.

    Every entity type seen gets all its tags, B- and I- (and E- and S- when the
    data is BIOES, i.e. has any E- or S- tag), whether or not each occurs, so a
    dev set is not refused for an I-X the training set happens to lack. For
    CoNLL-2003 this gives
    ["O", "B-LOC", "I-LOC", "B-MISC", "I-MISC", "B-ORG", "I-ORG", "B-PER", "I-PER"].
    "O" is always included: it is label id 0, the id of the positions the loss ignores.
    """
    tags = {t for e in examples for t in (e.tags or ())}
    if not tags:
        raise NerDataError("the training data has no tags, so there is no label list")
    prefixes = "BIES" if is_bioes(tags) else "BI"
    kinds = sorted({t[2:] for t in tags if t != "O"})
    return ["O", *(f"{p}-{kind}" for kind in kinds for p in prefixes)]


def validate_label_list(label_list: Sequence[str], what: str = "--label_list") -> list[str]:
    """Checks an explicit label list (tags of the BIO / BIOES form, no duplicates)."""
    label_list = list(label_list)
    if not label_list:
        raise NerDataError(f"{what} is empty")
    for tag in label_list:
        _check_tag(tag, what)
    dupes = sorted({t for t in label_list if label_list.count(t) > 1})
    if dupes:
        raise NerDataError(f"{what} repeats {dupes}")
    return label_list


def check_tags(examples: Iterable[NerExample], label_list: Sequence[str]) -> None:
    """Raises NerDataError naming file, line and tag for the first tag not in label_list."""
    known = set(label_list)
    for e in examples:
        for i, tag in enumerate(e.tags or ()):
            if tag not in known:
                raise NerDataError(f"{e.where(i)}: tag {tag!r} is not in the label list "
                                   f"{list(label_list)} (taken from the training data or "
                                   "--label_list)")


# ---------------------------------------------------------------------------------------------
# Features


def word_pieces(tokenizer: tokenization.FullTokenizer, word: str) -> list[str]:
    """A word's wordpieces; ["[UNK]"] when the tokenizer drops it all (e.g. control characters)."""
    return tokenizer.tokenize(word) or ["[UNK]"]


def _windows(pieces: list[list[str]], budget: int) -> list[tuple[int, int]]:
    """Greedy consecutive [start, end) word ranges whose pieces fit `budget` tokens."""
    spans, start, used = [], 0, 0
    for i, p in enumerate(pieces):
        n = min(len(p), budget)
        if used + n > budget and i > start:
            spans.append((start, i))
            start, used = i, 0
        used += n
    spans.append((start, len(pieces)))
    return spans


def _window_features(example: NerExample, sentence_index: int, window_index: int,
                     pieces: list[list[str]], span: tuple[int, int], label_map: dict[str, int],
                     max_seq_length: int, tokenizer: tokenization.FullTokenizer) -> NerFeatures:
    """`[CLS] pieces of words span[0]..span[1]-1 [SEP]`, each word's label on its first piece."""
    tokens = ["[CLS]"]
    label_ids, weights = [0], [0.0]
    word_indices, positions = [], []
    known = example.tags is not None
    for w in range(*span):
        word = pieces[w][: max_seq_length - 2]
        word_indices.append(w)
        positions.append(len(tokens))
        tokens.extend(word)
        label_ids += [label_map[example.tags[w]] if known else 0] + [0] * (len(word) - 1)
        weights += [1.0 if known else 0.0] + [0.0] * (len(word) - 1)
    tokens.append("[SEP]")
    label_ids.append(0)
    weights.append(0.0)
    pad = max_seq_length - len(tokens)
    inputs = packing.to_features(tokenizer, tokens, [0] * len(tokens), max_seq_length)
    return NerFeatures(sentence_index, window_index, tokens, word_indices, positions,
                       inputs["input_ids"], inputs["input_mask"], inputs["segment_ids"],
                       label_ids + [0] * pad, weights + [0.0] * pad)


def convert_examples_to_features(examples: Sequence[NerExample], label_list: Sequence[str],
                                 max_seq_length: int, tokenizer: tokenization.FullTokenizer
                                 ) -> list[NerFeatures]:
    """Sentences -> features, one per window (see the module docstring), in sentence order.

    Every tag must be in `label_list` (an error names file, line and tag).
    Segment ids are all 0 (one sentence per sequence).
    """
    if max_seq_length < 3:
        raise UsageError(f"max_seq_length must be at least 3 ([CLS] word [SEP]), got "
                         f"{max_seq_length}")
    label_list = validate_label_list(label_list, "label_list")
    check_tags(examples, label_list)
    label_map = {t: i for i, t in enumerate(label_list)}
    features, split = [], 0
    for s, example in enumerate(examples):
        pieces = [word_pieces(tokenizer, w) for w in example.words]
        spans = _windows(pieces, max_seq_length - 2)
        split += len(spans) > 1
        for k, span in enumerate(spans):
            f = _window_features(example, s, k, pieces, span, label_map, max_seq_length,
                                 tokenizer)
            if len(features) < _NUM_LOGGED_FEATURES:
                logging.info("*** Example ***\nguid: %s (window %d)\ntokens: %s\ninput_ids: %s\n"
                             "label_ids: %s", example.guid, k, " ".join(f.tokens),
                             " ".join(map(str, f.input_ids)), " ".join(map(str, f.label_ids)))
            features.append(f)
    if split:
        logging.info("%d of %d sentences are longer than max_seq_length=%d and were split into "
                     "windows (%d features)", split, len(examples), max_seq_length, len(features))
    return features


def write_features(features: Iterable[NerFeatures], output_file: str) -> int:
    """Writes the features' records to output_file atomically; returns how many."""
    return records.write_examples(output_file, (f.to_record() for f in features))


def file_based_convert_examples_to_features(examples: Sequence[NerExample],
                                            label_list: Sequence[str], max_seq_length: int,
                                            tokenizer: tokenization.FullTokenizer,
                                            output_file: str) -> list[NerFeatures]:
    """convert_examples_to_features, then write_features; returns the features (for decoding)."""
    features = convert_examples_to_features(examples, label_list, max_seq_length, tokenizer)
    write_features(features, output_file)
    return features


def name_to_features(max_seq_length: int) -> dict:
    """Parsing spec of the NER records (for `records.dataset`).

    input_ids, input_mask, segment_ids, label_ids: int64 [max_seq_length];
    label_weights: float32 [max_seq_length].
    """
    return records.fixed_features({
        "input_ids": (max_seq_length, tf.int64), "input_mask": (max_seq_length, tf.int64),
        "segment_ids": (max_seq_length, tf.int64), "label_ids": (max_seq_length, tf.int64),
        "label_weights": (max_seq_length, tf.float32)})


# ---------------------------------------------------------------------------------------------
# Decoding and output


def decode_predictions(examples: Sequence[NerExample], features: Sequence[NerFeatures],
                       predicted_ids: np.ndarray, label_list: Sequence[str]) -> list[list[str]]:
    """Per-feature label ids -> per-sentence word tags, in the original word order.

    predicted_ids: int [num_features, seq_length] (e.g. argmax of the tagger's
    logits), row i for features[i]; extra rows after the last feature (padding
    added for fixed batch sizes) are ignored. Returns one list of tags per
    example, as long as its words.
    """
    predicted_ids = np.asarray(predicted_ids)
    if predicted_ids.ndim != 2 or predicted_ids.shape[0] < len(features):
        raise ValueError(f"predicted_ids must be [num_features >= {len(features)}, seq_length], "
                         f"got shape {predicted_ids.shape}")
    tags: list[list[str | None]] = [[None] * len(e.words) for e in examples]
    for i, f in enumerate(features):
        row = predicted_ids[i]
        for w, p in zip(f.word_indices, f.positions):
            label = int(row[p])
            if not 0 <= label < len(label_list):
                raise ValueError(f"feature {i}: predicted label id {label} is outside "
                                 f"[0, {len(label_list)})")
            if tags[f.sentence_index][w] is not None:
                raise ValueError(f"word {w} of sentence {f.sentence_index} is predicted twice; "
                                 "the features do not belong to these examples")
            tags[f.sentence_index][w] = label_list[label]
    for s, sentence in enumerate(tags):
        if None in sentence:
            raise ValueError(f"sentence {s} ({examples[s].guid}): word {sentence.index(None)} "
                             "has no prediction; the features do not cover these examples")
    return tags  # type: ignore[return-value]


def _cell(word: str) -> str:
    # A JSONL token may hold blanks; keep the CoNLL columns aligned.
    return _COLUMN_RE.sub("_", word.replace("\n", "_").replace("\r", "_")) or "_"


def predictions_text(examples: Sequence[NerExample], predicted_tags: Sequence[Sequence[str]]
                     ) -> str:
    """CoNLL text: `word gold predicted` (or `word predicted` without gold), blank line after
    each sentence. Blanks inside a word become "_" so the columns stay aligned."""
    if len(examples) != len(predicted_tags):
        raise ValueError(f"{len(examples)} sentences but {len(predicted_tags)} tag lists")
    out = []
    for e, pred in zip(examples, predicted_tags):
        if len(pred) != len(e.words):
            raise ValueError(f"{e.guid}: {len(e.words)} words but {len(pred)} predicted tags")
        gold = e.tags if e.tags is not None else [None] * len(e.words)
        for word, g, p in zip(e.words, gold, pred):
            out.append(f"{_cell(word)} {p}\n" if g is None else f"{_cell(word)} {g} {p}\n")
        out.append("\n")
    return "".join(out)


def write_predictions(output_file: str, examples: Sequence[NerExample],
                      predicted_tags: Sequence[Sequence[str]]) -> None:
    """Writes `predictions_text` to output_file whole or not at all."""
    bert_io.atomic_write_text(output_file, predictions_text(examples, predicted_tags))


# ---------------------------------------------------------------------------------------------
# Metrics


def _seqeval():
    try:
        import seqeval.metrics
        import seqeval.scheme
    except ImportError:
        raise ImportError("NER metrics need the seqeval package: pip install seqeval") from None
    return seqeval.metrics, seqeval.scheme


def is_bioes(tags: Iterable[str]) -> bool:
    """Whether any tag is an E- or S- tag (BIOES rather than BIO)."""
    return any(t[:2] in ("E-", "S-") for t in tags)


def ner_metrics(gold_tags: Sequence[Sequence[str]], predicted_tags: Sequence[Sequence[str]],
                scheme: str = "auto") -> dict[str, float]:
    """Entity-level precision/recall/F1 (micro, seqeval) and token accuracy.

    scheme "bio": seqeval's default mode, which counts entities as conlleval
    does (IOB1 or IOB2; the CoNLL-2003 convention). "bioes": strict mode with
    the IOBES scheme (an entity counts only if its whole B..E / S span is
    well-formed). "auto": "bioes" when the gold tags contain E- or S- tags,
    else "bio". Returns eval_precision, eval_recall, eval_f1, eval_accuracy
    and eval_f1_<TYPE> per entity type in the gold or predicted tags.
    """
    metrics, schemes = _seqeval()
    gold = [list(s) for s in gold_tags]
    pred = [list(s) for s in predicted_tags]
    if len(gold) != len(pred) or any(len(g) != len(p) for g, p in zip(gold, pred)):
        raise ValueError("gold and predicted tags must have the same sentences and lengths")
    if scheme == "auto":
        scheme = "bioes" if is_bioes(t for s in gold for t in s) else "bio"
    if scheme == "bio":
        kw = {}
    elif scheme == "bioes":
        kw = {"mode": "strict", "scheme": schemes.IOBES}
    else:
        raise ValueError(f"scheme must be 'auto', 'bio' or 'bioes', got {scheme!r}")
    out = {"eval_precision": metrics.precision_score(gold, pred, zero_division=0, **kw),
           "eval_recall": metrics.recall_score(gold, pred, zero_division=0, **kw),
           "eval_f1": metrics.f1_score(gold, pred, zero_division=0, **kw),
           "eval_accuracy": metrics.accuracy_score(gold, pred)}
    report = metrics.classification_report(gold, pred, output_dict=True, zero_division=0, **kw)
    for kind, row in sorted(report.items()):
        if not kind.endswith(" avg"):
            out[f"eval_f1_{kind}"] = row["f1-score"]
    return {k: float(v) for k, v in out.items()}


def _weighted_ce(logits: np.ndarray, label_ids: np.ndarray, weights: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Per-feature sum(w * ce) and sum(w): float64 [num_features] each."""
    x = logits.astype(np.float64)
    x = x - x.max(-1, keepdims=True)
    log_probs = x - np.log(np.exp(x).sum(-1, keepdims=True))
    ce = -np.take_along_axis(log_probs, label_ids[..., None], -1)[..., 0]
    return (weights * ce).sum(-1), weights.sum(-1)


def ner_eval_results(examples: Sequence[NerExample], features: Sequence[NerFeatures],
                     logits: np.ndarray, label_list: Sequence[str], batch_size: int,
                     scheme: str = "auto") -> tuple[dict[str, float], list[list[str]]]:
    """eval_results.txt values for run_ner, and the predicted tags per sentence.

    logits: float [num_features (or more, padding), seq_length, num_labels].
    eval_loss: sum(w * ce) / sum(w) over all labelled words; loss: the mean of
    that per batch of `batch_size` features (the Estimator's "loss"); plus
    `ner_metrics` on the sentences whose gold tags are known.
    """
    logits = np.asarray(logits)[: len(features)]
    ids = np.array([f.label_ids for f in features], np.int64)
    weights = np.array([f.label_weights for f in features], np.float64)
    num, den = _weighted_ce(logits, ids, weights)
    batches = [num[i:i + batch_size].sum() / den[i:i + batch_size].sum()
               for i in range(0, len(features), batch_size) if den[i:i + batch_size].sum() > 0]
    predicted = decode_predictions(examples, features, logits.argmax(-1), label_list)
    labelled = [i for i, e in enumerate(examples) if e.tags is not None]
    if not labelled:
        raise NerDataError("the evaluation data has no gold tags")
    result = {"eval_loss": float(num.sum() / den.sum()) if den.sum() else 0.0,
              "loss": float(np.mean(batches)) if batches else 0.0,
              **ner_metrics([examples[i].tags for i in labelled],
                            [predicted[i] for i in labelled], scheme)}
    return result, predicted
