"""SQuAD 1.1 / 2.0 for run_squad: examples, sliding-window features, TFRecords, answer decoding.

Every step follows the original `run_squad.py`, so features, record files and the
three output files (predictions.json, nbest_predictions.json, null_odds.json) are
the original's:

  read_squad_examples          SQuAD JSON -> SquadExample (whitespace words + answer word span)
  convert_examples_to_features SquadExample -> InputFeatures, one per doc window
  FeatureWriter                InputFeatures -> TFRecord file (written atomically)
  name_to_features             parsing spec for `bert_tf.data.records.dataset`
  postprocess_predictions      model logits (RawResult) -> predictions / n-best / null odds
  write_predictions_json       those dicts -> the original's JSON files (atomically)

Where the original would crash on odd input (an answer offset outside the
context, a v2 example with no non-null candidate, an example without features
because its context is empty) this module warns and carries on instead; on
well-formed SQuAD the results are the original's. Scoring lives in
`bert_tf.squad_eval`.
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import json
import math
from typing import Any, Callable, Iterable, Mapping, NamedTuple, Sequence

import numpy as np
import tensorflow as tf
from absl import logging

from bert_tf import io as bert_io
from bert_tf import tokenization
from bert_tf.data import records
from bert_tf.errors import DataError, MissingFileError, UsageError

# The first feature's unique id, as in the original; ids then count up by one.
FIRST_UNIQUE_ID = 1000000000
# The original logs the features of the first 20 examples at INFO level.
_NUM_LOGGED_EXAMPLES = 20


class SquadDataError(DataError):
    """A SQuAD JSON file is missing, malformed or lacks an expected key."""


@dataclasses.dataclass
class SquadExample:
    """One question on one paragraph.

    `doc_tokens` is the context split on whitespace. For training,
    `start_position` / `end_position` index the first and last word of the
    answer in `doc_tokens` (-1 for impossible questions); for prediction they
    are None.
    """

    qas_id: str
    question_text: str
    doc_tokens: list[str]
    orig_answer_text: str | None = None
    start_position: int | None = None
    end_position: int | None = None
    is_impossible: bool = False


@dataclasses.dataclass
class InputFeatures:
    """One window ("doc span") of an example, packed as `[CLS] query [SEP] doc window [SEP]`.

    `token_to_orig_map` maps a position in `tokens` (doc tokens only) to the
    index of its word in `example.doc_tokens`; `token_is_max_context` says
    whether this window is the one where that token has the most context on
    both sides. `input_ids`, `input_mask`, `segment_ids` are int lists of length
    max_seq_length. `start_position` / `end_position` index `tokens` (training
    only; 0, i.e. [CLS], when the answer is not inside this window or the
    question is impossible).
    """

    unique_id: int
    example_index: int
    doc_span_index: int
    tokens: list[str]
    token_to_orig_map: dict[int, int]
    token_is_max_context: dict[int, bool]
    input_ids: list[int]
    input_mask: list[int]
    segment_ids: list[int]
    start_position: int | None = None
    end_position: int | None = None
    is_impossible: bool | None = None


class DocSpan(NamedTuple):
    start: int
    length: int


# ---------------------------------------------------------------------------------------------
# Reading SQuAD JSON


def load_squad_json(input_file: str) -> dict[str, Any]:
    """Reads a SQuAD JSON file: an object whose "data" is a list of articles.

    Raises FileNotFoundError or SquadDataError naming the file when it is
    missing, not UTF-8, not JSON, or has no "data" list.
    """
    if not tf.io.gfile.exists(input_file):
        raise MissingFileError(f"SQuAD file {input_file!r} does not exist")
    with tf.io.gfile.GFile(input_file, "rb") as f:
        raw = f.read()
    try:
        dataset = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as e:
        raise SquadDataError(f"SQuAD file {input_file!r} is not UTF-8 text: {e}") from None
    except json.JSONDecodeError as e:
        raise SquadDataError(f"SQuAD file {input_file!r} is not valid JSON: {e.msg} "
                             f"(line {e.lineno}, column {e.colno})") from None
    if not isinstance(dataset, dict) or not isinstance(dataset.get("data"), list):
        raise SquadDataError(f"SQuAD file {input_file!r}: expected a JSON object with a \"data\" "
                             "list of articles, as in train-v1.1.json / dev-v2.0.json")
    return dataset


def _field(obj: Any, key: str, kind: type | tuple[type, ...], where: str) -> Any:
    """obj[key], checked to be of `kind`, or a SquadDataError saying where it is missing."""
    if not isinstance(obj, dict) or key not in obj:
        raise SquadDataError(f"{where} has no {key!r} key")
    value = obj[key]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        names = " or ".join(k.__name__ for k in (kind if isinstance(kind, tuple) else (kind,)))
        raise SquadDataError(f"{where}: {key!r} should be {names}, got {type(value).__name__}")
    return value


def _is_whitespace(c: str) -> bool:
    # The original's definition: narrower than str.isspace() (no NBSP, no U+3000),
    # plus U+202F (narrow no-break space), which SQuAD contexts contain.
    return c in " \t\r\n" or ord(c) == 0x202F


def split_context(paragraph_text: str) -> tuple[list[str], list[int]]:
    """Context -> (whitespace-separated words, index of the word each character belongs to).

    A whitespace character maps to the word before it (-1 before the first word),
    as in the original, e.g. "a bc" -> (["a", "bc"], [0, 0, 1, 1]).
    """
    doc_tokens: list[str] = []
    char_to_word_offset: list[int] = []
    prev_is_whitespace = True
    for c in paragraph_text:
        if _is_whitespace(c):
            prev_is_whitespace = True
        else:
            if prev_is_whitespace:
                doc_tokens.append(c)
            else:
                doc_tokens[-1] += c
            prev_is_whitespace = False
        char_to_word_offset.append(len(doc_tokens) - 1)
    return doc_tokens, char_to_word_offset


def _answer_word_span(answer: Any, doc_tokens: list[str], char_to_word_offset: list[int],
                      where: str) -> tuple[str, int, int] | None:
    """A training answer -> (text, first word, last word), or None (logged) if the
    text cannot be recovered from the context at its `answer_start`."""
    text = _field(answer, "text", str, where)
    offset = _field(answer, "answer_start", int, where)
    end_char = offset + len(text) - 1
    cleaned = " ".join(tokenization.whitespace_tokenize(text))
    if not cleaned or not 0 <= offset <= end_char < len(char_to_word_offset):
        # The original would index out of range (or accept an empty answer); both are bad data.
        logging.warning("Could not find answer: %r at answer_start=%d in a context of %d "
                        "characters (%s); skipping it", text, offset, len(char_to_word_offset),
                        where)
        return None
    start, end = char_to_word_offset[offset], char_to_word_offset[end_char]
    # Only keep answers whose text can be recovered exactly from the words; when
    # it cannot, it is usually odd Unicode, and the original skips the question.
    actual = " ".join(doc_tokens[max(start, 0):end + 1])
    if start < 0 or actual.find(cleaned) == -1:
        logging.warning("Could not find answer: '%s' vs. '%s' (%s); skipping it", actual, cleaned,
                        where)
        return None
    return text, start, end


def _read_question(qa: Any, where: str, doc_tokens: list[str], char_to_word_offset: list[int],
                   is_training: bool, version_2_with_negative: bool) -> SquadExample | None:
    qas_id = _field(qa, "id", (str, int), where)
    where = f"{where} (id {qas_id!r})"
    question_text = _field(qa, "question", str, where)
    example = SquadExample(qas_id=str(qas_id) if isinstance(qas_id, int) else qas_id,
                           question_text=question_text, doc_tokens=doc_tokens)
    if not is_training:
        return example
    if version_2_with_negative:
        example.is_impossible = bool(_field(qa, "is_impossible", (bool, int), where))
    if example.is_impossible:
        example.start_position = example.end_position = -1
        example.orig_answer_text = ""
        return example
    answers = _field(qa, "answers", list, where)
    if len(answers) != 1:
        hint = ("" if version_2_with_negative or answers else
                "; for a SQuAD 2.0 file with unanswerable questions pass --version_2_with_negative")
        raise SquadDataError(f"For training, each question should have exactly 1 answer: {where} "
                             f"has {len(answers)}{hint}")
    span = _answer_word_span(answers[0], doc_tokens, char_to_word_offset, where + ".answers[0]")
    if span is None:
        return None
    example.orig_answer_text, example.start_position, example.end_position = span
    return example


def read_squad_examples(input_file: str, is_training: bool,
                        version_2_with_negative: bool = False) -> list[SquadExample]:
    """Reads a SQuAD JSON file into SquadExamples, in file order.

    For training, each answerable question needs exactly one answer; answers
    whose text cannot be found at their `answer_start` are logged ("Could not
    find answer") and the question is skipped, as in the original. With
    `version_2_with_negative`, training questions need an `is_impossible` key.
    Missing keys or wrong types raise SquadDataError naming the file and the
    position (data[i].paragraphs[j].qas[k]).
    """
    articles = load_squad_json(input_file)["data"]
    examples: list[SquadExample] = []
    num_questions = num_skipped = 0
    for i, article in enumerate(articles):
        where_article = f"{input_file!r}: data[{i}]"
        for j, paragraph in enumerate(_field(article, "paragraphs", list, where_article)):
            where = f"{where_article}.paragraphs[{j}]"
            doc_tokens, char_to_word_offset = split_context(
                _field(paragraph, "context", str, where))
            qas = _field(paragraph, "qas", list, where)
            if not doc_tokens and qas:
                logging.warning("%s has an empty context: its %d question(s) get no features%s",
                                where, len(qas), "" if is_training else
                                " and are predicted as " + ("no answer" if version_2_with_negative
                                                            else "'empty'"))
            for k, qa in enumerate(qas):
                num_questions += 1
                example = _read_question(qa, f"{where}.qas[{k}]", doc_tokens, char_to_word_offset,
                                         is_training, version_2_with_negative)
                if example is None:
                    num_skipped += 1
                else:
                    examples.append(example)
    if num_skipped:
        logging.warning("%s: skipped %d of %d training questions whose answer text could not be "
                        "found in the context", input_file, num_skipped, num_questions)
    if not examples:
        raise SquadDataError(f"SQuAD file {input_file!r} yielded no usable questions "
                             f"({num_questions} read, {num_skipped} skipped)")
    logging.info("Read %d examples from %s", len(examples), input_file)
    return examples


# ---------------------------------------------------------------------------------------------
# Examples -> windowed features


def _improve_answer_span(doc_tokens: Sequence[str], input_start: int, input_end: int,
                         tokenizer: tokenization.FullTokenizer,
                         orig_answer_text: str) -> tuple[int, int]:
    """Returns the tightest wordpiece span inside [input_start, input_end] that spells the answer.

    SQuAD answers are character spans, first projected onto whole words. After
    WordPiece a closer match often exists: for the answer "1895" in the word
    "(1895-1943).", the word span covers "( 1895 - 1943 ) ." but the answer is
    the single token "1895". When nothing matches (e.g. "Japan" inside the word
    "Japanese"), the word span is kept.
    """
    tok_answer_text = " ".join(tokenizer.tokenize(orig_answer_text))
    for new_start in range(input_start, input_end + 1):
        for new_end in range(input_end, new_start - 1, -1):
            if " ".join(doc_tokens[new_start:new_end + 1]) == tok_answer_text:
                return new_start, new_end
    return input_start, input_end


def _check_is_max_context(doc_spans: Sequence[DocSpan], cur_span_index: int,
                          position: int) -> bool:
    """Whether span `cur_span_index` is the one where token `position` has the most context.

    With overlapping windows a token appears in several of them. Its context in a
    window is min(left, right) tokens, plus 0.01 * window length to break ties in
    favour of longer windows; on an exact tie the earlier window wins. E.g. for
    "the man went to the store and bought a gallon of milk" in windows
    B = "to the store and bought" and C = "and bought a gallon of", "bought" has
    context min(4, 0) in B and min(1, 3) in C, so C is its max-context window.
    """
    best_score, best_span_index = None, None
    for span_index, span in enumerate(doc_spans):
        end = span.start + span.length - 1
        if position < span.start or position > end:
            continue
        score = min(position - span.start, end - position) + 0.01 * span.length
        if best_score is None or score > best_score:
            best_score, best_span_index = score, span_index
    return cur_span_index == best_span_index


def doc_spans_for(num_tokens: int, max_tokens_for_doc: int, doc_stride: int) -> list[DocSpan]:
    """Sliding windows of at most `max_tokens_for_doc` tokens, `doc_stride` apart.

    The last window ends at the last token; e.g. 10 tokens, windows of 4, stride 3:
    [0, 4), [3, 7), [6, 10).
    """
    spans: list[DocSpan] = []
    start = 0
    while start < num_tokens:
        length = min(num_tokens - start, max_tokens_for_doc)
        spans.append(DocSpan(start, length))
        if start + length == num_tokens:
            break
        start += min(length, doc_stride)
    return spans


def check_lengths(max_seq_length: int, doc_stride: int, max_query_length: int) -> None:
    """Raises ValueError (naming the flags) for lengths that leave no room for the document."""
    if max_query_length < 0:
        raise UsageError(f"--max_query_length must be >= 0, got {max_query_length}")
    if max_seq_length <= max_query_length + 3:
        raise UsageError(f"The max_seq_length ({max_seq_length}) must be greater than "
                         f"max_query_length ({max_query_length}) + 3")
    if doc_stride < 1:
        raise UsageError(f"--doc_stride must be >= 1, got {doc_stride}")


def _tokenize_doc(tokenizer: tokenization.FullTokenizer, doc_tokens: Sequence[str]
                  ) -> tuple[list[str], list[int], list[int]]:
    """Words -> (wordpieces, word index of each wordpiece, first wordpiece of each word).

    A word that tokenizes to nothing (e.g. only control characters) maps to the
    next word's first wordpiece, as in the original.
    """
    all_doc_tokens: list[str] = []
    tok_to_orig_index: list[int] = []
    orig_to_tok_index: list[int] = []
    for i, word in enumerate(doc_tokens):
        orig_to_tok_index.append(len(all_doc_tokens))
        for sub_token in tokenizer.tokenize(word):
            tok_to_orig_index.append(i)
            all_doc_tokens.append(sub_token)
    return all_doc_tokens, tok_to_orig_index, orig_to_tok_index


def _answer_token_span(example: SquadExample, tokenizer: tokenization.FullTokenizer,
                       all_doc_tokens: list[str], orig_to_tok_index: list[int]) -> tuple[int, int]:
    """The answer's first and last wordpiece in `all_doc_tokens` (-1, -1 if impossible)."""
    if example.is_impossible:
        return -1, -1
    tok_start = orig_to_tok_index[example.start_position]
    if example.end_position < len(example.doc_tokens) - 1:
        tok_end = orig_to_tok_index[example.end_position + 1] - 1
    else:
        tok_end = len(all_doc_tokens) - 1
    return _improve_answer_span(all_doc_tokens, tok_start, tok_end, tokenizer,
                                example.orig_answer_text)


def _log_feature(feature: InputFeatures, is_training: bool) -> None:
    logging.info("*** Example ***")
    logging.info("unique_id: %s", feature.unique_id)
    logging.info("example_index: %s", feature.example_index)
    logging.info("doc_span_index: %s", feature.doc_span_index)
    logging.info("tokens: %s", " ".join(feature.tokens))
    logging.info("token_to_orig_map: %s",
                 " ".join(f"{x}:{y}" for x, y in feature.token_to_orig_map.items()))
    logging.info("token_is_max_context: %s",
                 " ".join(f"{x}:{y}" for x, y in feature.token_is_max_context.items()))
    logging.info("input_ids: %s", " ".join(map(str, feature.input_ids)))
    logging.info("input_mask: %s", " ".join(map(str, feature.input_mask)))
    logging.info("segment_ids: %s", " ".join(map(str, feature.segment_ids)))
    if is_training and feature.is_impossible:
        logging.info("impossible example")
    elif is_training:
        answer = " ".join(feature.tokens[feature.start_position:feature.end_position + 1])
        logging.info("start_position: %d", feature.start_position)
        logging.info("end_position: %d", feature.end_position)
        logging.info("answer: %s", answer)


def _window_features(example: SquadExample, example_index: int, query_tokens: list[str],
                     doc: tuple[list[str], list[int]], doc_spans: list[DocSpan],
                     answer: tuple[int, int] | None, tokenizer: tokenization.FullTokenizer,
                     max_seq_length: int) -> Iterable[InputFeatures]:
    """InputFeatures (without unique_id) for each window of one example.

    `answer` is the answer's wordpiece span for training, None for prediction.
    Layout (query "who ?", window "john smith"):
      tokens:      [CLS] who ? [SEP] john smith [SEP]
      segment_ids: 0     0   0 0     1    1     1
    """
    all_doc_tokens, tok_to_orig_index = doc
    for doc_span_index, span in enumerate(doc_spans):
        tokens = ["[CLS]", *query_tokens, "[SEP]"]
        token_to_orig_map: dict[int, int] = {}
        token_is_max_context: dict[int, bool] = {}
        for split_token_index in range(span.start, span.start + span.length):
            token_to_orig_map[len(tokens)] = tok_to_orig_index[split_token_index]
            token_is_max_context[len(tokens)] = _check_is_max_context(
                doc_spans, doc_span_index, split_token_index)
            tokens.append(all_doc_tokens[split_token_index])
        tokens.append("[SEP]")
        num_a = len(query_tokens) + 2
        pad = max_seq_length - len(tokens)
        start_position = end_position = None
        if answer is not None:
            # A window that does not hold the whole answer (and any window of an
            # impossible question) points at [CLS].
            start_position = end_position = 0
            doc_end = span.start + span.length - 1
            if not example.is_impossible and span.start <= answer[0] and answer[1] <= doc_end:
                start_position = answer[0] - span.start + num_a
                end_position = answer[1] - span.start + num_a
        yield InputFeatures(
            unique_id=-1, example_index=example_index, doc_span_index=doc_span_index,
            tokens=tokens, token_to_orig_map=token_to_orig_map,
            token_is_max_context=token_is_max_context,
            input_ids=tokenizer.convert_tokens_to_ids(tokens) + [0] * pad,
            input_mask=[1] * len(tokens) + [0] * pad,
            segment_ids=[0] * num_a + [1] * (len(tokens) - num_a) + [0] * pad,
            start_position=start_position, end_position=end_position,
            is_impossible=example.is_impossible)


def convert_examples_to_features(examples: Sequence[SquadExample],
                                 tokenizer: tokenization.FullTokenizer, max_seq_length: int,
                                 doc_stride: int, max_query_length: int, is_training: bool,
                                 output_fn: Callable[[InputFeatures], Any]) -> int:
    """Tokenizes examples and calls `output_fn` on one InputFeatures per document window.

    Questions are cut to `max_query_length` wordpieces; documents longer than
    `max_seq_length - len(query) - 3` are split into overlapping windows
    `doc_stride` tokens apart. Unique ids count up from 1000000000 over all
    features. Returns the number of features.
    """
    check_lengths(max_seq_length, doc_stride, max_query_length)
    unique_id = FIRST_UNIQUE_ID
    num_truncated = num_multi_window = 0
    for example_index, example in enumerate(examples):
        query_tokens = tokenizer.tokenize(example.question_text)
        if len(query_tokens) > max_query_length:
            num_truncated += 1
            query_tokens = query_tokens[:max_query_length]
        all_doc_tokens, tok_to_orig_index, orig_to_tok_index = _tokenize_doc(
            tokenizer, example.doc_tokens)
        answer = (_answer_token_span(example, tokenizer, all_doc_tokens, orig_to_tok_index)
                  if is_training else None)
        # The -3 accounts for [CLS], [SEP] and [SEP].
        max_tokens_for_doc = max_seq_length - len(query_tokens) - 3
        doc_spans = doc_spans_for(len(all_doc_tokens), max_tokens_for_doc, doc_stride)
        num_multi_window += len(doc_spans) > 1
        for feature in _window_features(example, example_index, query_tokens,
                                        (all_doc_tokens, tok_to_orig_index), doc_spans, answer,
                                        tokenizer, max_seq_length):
            feature.unique_id = unique_id
            if example_index < _NUM_LOGGED_EXAMPLES:
                _log_feature(feature, is_training)
            output_fn(feature)
            unique_id += 1
    if num_truncated:
        logging.info("%d of %d questions were longer than max_query_length=%d wordpieces and "
                     "were truncated", num_truncated, len(examples), max_query_length)
    logging.info("%d examples -> %d features (%d examples span several windows of "
                 "max_seq_length=%d, doc_stride=%d)", len(examples), unique_id - FIRST_UNIQUE_ID,
                 num_multi_window, max_seq_length, doc_stride)
    return unique_id - FIRST_UNIQUE_ID


# ---------------------------------------------------------------------------------------------
# TFRecords


class FeatureWriter:
    """Writes InputFeatures to a TFRecord file as tf.train.Examples.

    Feature names are the original's: unique_ids, input_ids, input_mask,
    segment_ids and, for training, start_positions, end_positions, is_impossible.
    The file appears at `filename` only after `close()` (or a `with` block that
    ends without an exception), so a crash never leaves a truncated file.
    """

    def __init__(self, filename: str, is_training: bool):
        self.filename = filename
        self.is_training = is_training
        self.num_features = 0
        self._stack = contextlib.ExitStack()
        self._writer = self._stack.enter_context(records.record_writer(filename))

    def process_feature(self, feature: InputFeatures) -> None:
        self.num_features += 1
        values: dict[str, Sequence[int]] = {
            "unique_ids": [feature.unique_id],
            "input_ids": feature.input_ids,
            "input_mask": feature.input_mask,
            "segment_ids": feature.segment_ids,
        }
        if self.is_training:
            values["start_positions"] = [feature.start_position]
            values["end_positions"] = [feature.end_position]
            values["is_impossible"] = [int(bool(feature.is_impossible))]
        self._writer.write(records.to_example(values))

    def close(self) -> None:
        """Finishes the file and moves it into place."""
        self._stack.close()

    def __enter__(self) -> "FeatureWriter":
        return self

    def __exit__(self, *exc_info) -> None:
        # On an exception the temporary file is removed and nothing appears at filename.
        self._stack.__exit__(*exc_info)


def name_to_features(max_seq_length: int, is_training: bool) -> dict[str, tf.io.FixedLenFeature]:
    """The original input_fn's parsing spec: [max_seq_length] int64 inputs, scalar ids/positions.

    After `records.dataset`, a batch holds unique_ids int32 [batch_size],
    input_word_ids / input_mask / input_type_ids int32 [batch_size, max_seq_length]
    and, for training, start_positions / end_positions int32 [batch_size].
    """
    spec = {"unique_ids": tf.io.FixedLenFeature([], tf.int64)}
    spec.update(records.fixed_features({name: (max_seq_length, tf.int64)
                                        for name in ("input_ids", "input_mask", "segment_ids")}))
    if is_training:
        spec["start_positions"] = tf.io.FixedLenFeature([], tf.int64)
        spec["end_positions"] = tf.io.FixedLenFeature([], tf.int64)
    return spec


# ---------------------------------------------------------------------------------------------
# Logits -> answers


class RawResult(NamedTuple):
    """Model output for one feature: start/end logits float [max_seq_length]."""

    unique_id: int
    start_logits: Sequence[float]
    end_logits: Sequence[float]


class SquadPredictions(NamedTuple):
    """Post-processed answers, keyed by question id in example order.

    predictions: qas_id -> answer text ("" predicts no answer in SQuAD 2.0).
    nbest: qas_id -> list of {"text", "probability", "start_logit", "end_logit"}.
    null_odds: qas_id -> null score minus best non-null score (SQuAD 2.0 only,
      None for 1.1); the answer is "" when it exceeds null_score_diff_threshold.
    """

    predictions: "collections.OrderedDict[str, str]"
    nbest: "collections.OrderedDict[str, list[collections.OrderedDict[str, Any]]]"
    null_odds: "collections.OrderedDict[str, float] | None"


class _Prelim(NamedTuple):
    feature_index: int
    start_index: int
    end_index: int
    start_logit: float
    end_logit: float


class _Nbest(NamedTuple):
    text: str
    start_logit: float
    end_logit: float


def _get_best_indexes(logits: Sequence[float], n_best_size: int) -> list[int]:
    """Indexes of the `n_best_size` largest logits, largest first; ties keep index order."""
    # sorted() is stable with reverse=True too, so equal logits stay in index order.
    return sorted(range(len(logits)), key=logits.__getitem__, reverse=True)[:n_best_size]


def _compute_softmax(scores: Sequence[float]) -> list[float]:
    """Softmax over raw scores (max-shifted for stability); [] for no scores."""
    if not scores:
        return []
    max_score = max(scores)
    exp_scores = [math.exp(s - max_score) for s in scores]
    total = 0.0
    for x in exp_scores:  # summed left to right, as the original
        total += x
    return [x / total for x in exp_scores]


def _strip_spaces(text: str) -> tuple[str, dict[int, int]]:
    """Text without " " and a map from each kept character's new index to its old one."""
    ns_to_s_map = {}
    chars = []
    for i, c in enumerate(text):
        if c != " ":
            ns_to_s_map[len(chars)] = i
            chars.append(c)
    return "".join(chars), ns_to_s_map


def get_final_text(pred_text: str, orig_text: str, do_lower_case: bool,
                   verbose_logging: bool = False) -> str:
    """Projects a de-tokenized prediction back onto the original text.

    `orig_text` is the whitespace-word span behind the predicted wordpieces; it
    may hold more than the prediction, e.g. pred_text "steve smith" and
    orig_text "Steve Smith's" should give "Steve Smith": not orig_text (extra
    "'s") and not pred_text (lowercased, accents stripped). The heuristic runs
    BasicTokenizer over orig_text; if the result, spaces removed, has as many
    characters as orig_text without spaces, characters are aligned one to one
    and the prediction is cut from orig_text. Otherwise orig_text is returned.
    """
    tok_text = " ".join(tokenization.BasicTokenizer(do_lower_case=do_lower_case)
                        .tokenize(orig_text))
    start_position = tok_text.find(pred_text)
    if start_position == -1:
        if verbose_logging:
            logging.info("Unable to find text: '%s' in '%s'", pred_text, orig_text)
        return orig_text
    end_position = start_position + len(pred_text) - 1

    orig_ns_text, orig_ns_to_s_map = _strip_spaces(orig_text)
    tok_ns_text, tok_ns_to_s_map = _strip_spaces(tok_text)
    if len(orig_ns_text) != len(tok_ns_text):
        if verbose_logging:
            logging.info("Length not equal after stripping spaces: '%s' vs '%s'",
                         orig_ns_text, tok_ns_text)
        return orig_text

    tok_s_to_ns_map = {s: ns for ns, s in tok_ns_to_s_map.items()}
    positions = []
    for which, position in (("start", start_position), ("end", end_position)):
        ns_position = tok_s_to_ns_map.get(position)
        orig_position = orig_ns_to_s_map.get(ns_position) if ns_position is not None else None
        if orig_position is None:
            if verbose_logging:
                logging.info("Couldn't map %s position", which)
            return orig_text
        positions.append(orig_position)
    return orig_text[positions[0]:positions[1] + 1]


def _as_floats(logits: Any) -> list[float]:
    # Python floats (float32 values widened exactly), as the original's float(x) per logit.
    return np.asarray(logits, dtype=np.float64).ravel().tolist()


def _results_by_id(all_results: Iterable[RawResult]) -> dict[int, tuple[list[float], list[float]]]:
    return {int(r.unique_id): (_as_floats(r.start_logits), _as_floats(r.end_logits))
            for r in all_results}


def _prelim_predictions(features: Sequence[InputFeatures], results: Mapping, n_best_size: int,
                        max_answer_length: int, version_2_with_negative: bool, qas_id: str
                        ) -> tuple[list[_Prelim], float, _Prelim]:
    """Valid candidate spans of one example (best first), its null score and null candidate."""
    prelim: list[_Prelim] = []
    # The null score is the smallest start[0] + end[0] over the example's windows
    # (ints below as in the original, which shows in JSON only for an example without windows).
    score_null, null = 1000000, _Prelim(0, 0, 0, 0, 0)
    for feature_index, feature in enumerate(features):
        if feature.unique_id not in results:
            raise ValueError(f"no model output (RawResult) for feature unique_id="
                             f"{feature.unique_id} of question {qas_id!r}; the predictions "
                             f"cover {len(results)} features")
        start_logits, end_logits = results[feature.unique_id]
        if version_2_with_negative and start_logits[0] + end_logits[0] < score_null:
            score_null = start_logits[0] + end_logits[0]
            null = _Prelim(feature_index, 0, 0, start_logits[0], end_logits[0])
        for start_index in _get_best_indexes(start_logits, n_best_size):
            for end_index in _get_best_indexes(end_logits, n_best_size):
                # Drop impossible spans: in the question or padding, reversed, too
                # long, or starting where another window has more context.
                if (start_index >= len(feature.tokens) or end_index >= len(feature.tokens)
                        or start_index not in feature.token_to_orig_map
                        or end_index not in feature.token_to_orig_map
                        or not feature.token_is_max_context.get(start_index, False)
                        or end_index < start_index
                        or end_index - start_index + 1 > max_answer_length):
                    continue
                prelim.append(_Prelim(feature_index, start_index, end_index,
                                      start_logits[start_index], end_logits[end_index]))
    if version_2_with_negative:
        prelim.append(null)
    prelim.sort(key=lambda p: p.start_logit + p.end_logit, reverse=True)
    return prelim, score_null, null


def _span_text(example: SquadExample, feature: InputFeatures, pred: _Prelim,
               do_lower_case: bool, verbose_logging: bool) -> str:
    """The original text of a predicted wordpiece span."""
    tok_text = " ".join(feature.tokens[pred.start_index:pred.end_index + 1])
    # De-tokenize WordPieces that have been split off, then clean whitespace.
    tok_text = tok_text.replace(" ##", "").replace("##", "")
    tok_text = " ".join(tok_text.strip().split())
    orig_start = feature.token_to_orig_map[pred.start_index]
    orig_end = feature.token_to_orig_map[pred.end_index]
    orig_text = " ".join(example.doc_tokens[orig_start:orig_end + 1])
    return get_final_text(tok_text, orig_text, do_lower_case, verbose_logging)


def _nbest(example: SquadExample, features: Sequence[InputFeatures], prelim: Sequence[_Prelim],
           null: _Prelim, n_best_size: int, do_lower_case: bool, version_2_with_negative: bool,
           verbose_logging: bool) -> list[_Nbest]:
    """Up to n_best_size distinct answer texts (plus "" for SQuAD 2.0), best first."""
    seen: set[str] = set()
    nbest: list[_Nbest] = []
    for pred in prelim:
        if len(nbest) >= n_best_size:
            break
        if pred.start_index > 0:  # a non-null prediction
            text = _span_text(example, features[pred.feature_index], pred, do_lower_case,
                              verbose_logging)
            if text in seen:
                continue
        else:
            text = ""
        seen.add(text)
        nbest.append(_Nbest(text, pred.start_logit, pred.end_logit))
    if version_2_with_negative and "" not in seen:
        nbest.append(_Nbest("", null.start_logit, null.end_logit))
    if not nbest:
        # Rare (no valid span at all, or no features): a nonce answer, as the original.
        nbest.append(_Nbest("empty", 0.0, 0.0))
    return nbest


def postprocess_predictions(all_examples: Sequence[SquadExample],
                            all_features: Sequence[InputFeatures],
                            all_results: Iterable[RawResult], n_best_size: int,
                            max_answer_length: int, do_lower_case: bool,
                            version_2_with_negative: bool = False,
                            null_score_diff_threshold: float = 0.0,
                            verbose_logging: bool = False) -> SquadPredictions:
    """Model logits -> answer texts, n-best lists and (SQuAD 2.0) null odds, as the original.

    For each example, the `n_best_size` best start and end logits of every
    window are paired; spans outside the document, reversed, longer than
    `max_answer_length` wordpieces, or starting where another window has more
    context are dropped. Spans are ranked by start + end logit and mapped back
    to the original text (`get_final_text`). For SQuAD 2.0 the null answer
    scores min over windows of start[0] + end[0]; the prediction is "" when
    null score - best non-null score > `null_score_diff_threshold`.
    """
    by_example: dict[int, list[InputFeatures]] = collections.defaultdict(list)
    for feature in all_features:
        by_example[feature.example_index].append(feature)
    results = _results_by_id(all_results)
    predictions: collections.OrderedDict[str, str] = collections.OrderedDict()
    all_nbest: collections.OrderedDict[str, list] = collections.OrderedDict()
    null_odds = collections.OrderedDict() if version_2_with_negative else None
    for example_index, example in enumerate(all_examples):
        features = by_example[example_index]
        prelim, score_null, null = _prelim_predictions(
            features, results, n_best_size, max_answer_length, version_2_with_negative,
            example.qas_id)
        nbest = _nbest(example, features, prelim, null, n_best_size, do_lower_case,
                       version_2_with_negative, verbose_logging)
        probs = _compute_softmax([e.start_logit + e.end_logit for e in nbest])
        all_nbest[example.qas_id] = [
            collections.OrderedDict(text=e.text, probability=p, start_logit=e.start_logit,
                                    end_logit=e.end_logit) for e, p in zip(nbest, probs)]
        if not version_2_with_negative:
            predictions[example.qas_id] = nbest[0].text
            continue
        best_non_null = next((e for e in nbest if e.text), None)
        if best_non_null is None:
            # No candidate span at all (the original would crash here): predict no answer.
            logging.warning("Question %r has no non-null answer candidate; predicting no answer",
                            example.qas_id)
            null_odds[example.qas_id] = score_null
            predictions[example.qas_id] = ""
            continue
        score_diff = score_null - best_non_null.start_logit - best_non_null.end_logit
        null_odds[example.qas_id] = score_diff
        predictions[example.qas_id] = ("" if score_diff > null_score_diff_threshold
                                       else best_non_null.text)
    return SquadPredictions(predictions, all_nbest, null_odds)


def _write_json(path: str, obj: Any) -> None:
    # The original's format: 4-space indent, non-ASCII escaped, trailing newline.
    bert_io.atomic_write_text(path, json.dumps(obj, indent=4) + "\n")


def write_predictions_json(result: SquadPredictions, output_prediction_file: str,
                           output_nbest_file: str,
                           output_null_log_odds_file: str | None = None) -> None:
    """Writes predictions.json, nbest_predictions.json and, for SQuAD 2.0, null_odds.json.

    Each file is written whole or not at all. null_odds.json is written only
    when `result.null_odds` is not None (SQuAD 2.0) and a path is given.
    """
    logging.info("Writing predictions to: %s", output_prediction_file)
    logging.info("Writing nbest to: %s", output_nbest_file)
    _write_json(output_prediction_file, result.predictions)
    _write_json(output_nbest_file, result.nbest)
    if result.null_odds is not None and output_null_log_odds_file:
        _write_json(output_null_log_odds_file, result.null_odds)


def write_predictions(all_examples: Sequence[SquadExample], all_features: Sequence[InputFeatures],
                      all_results: Iterable[RawResult], n_best_size: int, max_answer_length: int,
                      do_lower_case: bool, output_prediction_file: str, output_nbest_file: str,
                      output_null_log_odds_file: str | None,
                      version_2_with_negative: bool = False,
                      null_score_diff_threshold: float = 0.0,
                      verbose_logging: bool = False) -> SquadPredictions:
    """The original's write_predictions (its flags as arguments); returns what it wrote."""
    result = postprocess_predictions(all_examples, all_features, all_results, n_best_size,
                                     max_answer_length, do_lower_case, version_2_with_negative,
                                     null_score_diff_threshold, verbose_logging)
    write_predictions_json(result, output_prediction_file, output_nbest_file,
                           output_null_log_odds_file)
    return result
