"""Sentence (pair) classification data: GLUE, XNLI and any TSV/CSV/JSONL file.

Processors read each task's real file format into `InputExample`s, as the
original run_classifier's do; `file_based_convert_examples_to_features` turns
them into the original's TFRecord features (input_ids, input_mask, segment_ids,
label_ids, is_real_example). Pairs are truncated like the original: one token at a
time from the longer side; single texts keep their first max_seq_length - 2 pieces.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import json
import os
from typing import Any, Iterable, Sequence

import tensorflow as tf
from absl import logging

from bert_tf import tokenization
from bert_tf.data import packing, records
from bert_tf.io import atomic_write_text


class DataError(ValueError):
    """A data file is missing, empty or malformed."""


@dataclasses.dataclass
class InputExample:
    """A single training/test example: text_a, optional text_b, and its label (str or float)."""

    guid: str
    text_a: str
    text_b: str | None = None
    label: Any = None


class PaddingInputExample:
    """A fake example so the number of examples is a multiple of the batch size (TPU)."""


def read_tsv(path: str, delimiter: str = "\t", quotechar: str | None = None) -> list[list[str]]:
    """Rows of a UTF-8 TSV/CSV file; a clear error if it is missing or empty."""
    if not tf.io.gfile.exists(path):
        raise DataError(f"data file {path!r} does not exist")
    with tf.io.gfile.GFile(path, "r") as f:
        rows = list(csv.reader(f, delimiter=delimiter, quotechar=quotechar))
    if not rows:
        raise DataError(f"data file {path!r} is empty")
    return rows


def _cell(row: Sequence[str], index: int, path: str, line: int) -> str:
    try:
        return row[index]
    except IndexError:
        raise DataError(f"{path}, line {line}: expected at least {index + 1} columns, found "
                        f"{len(row)}: {row!r}") from None


class DataProcessor:
    """Reads a task's train/dev/test files. Subclasses describe their columns."""

    labels: Sequence[str] | None = ("0", "1")
    train_file, dev_file, test_file = "train.tsv", "dev.tsv", "test.tsv"
    header = True           # skip the first line of every file
    test_header = None      # for test files, when it differs from `header`
    text_a: int = 0
    text_b: int | None = None
    label: int = -1
    test_text_a: int | None = None  # test files often lack the label column
    test_text_b: int | None = None

    @property
    def is_regression(self) -> bool:
        return self.labels is None

    def get_labels(self) -> list[str] | None:
        return None if self.labels is None else list(self.labels)

    def get_train_examples(self, data_dir: str) -> list[InputExample]:
        return self._read(os.path.join(data_dir, self.train_file), "train")

    def get_dev_examples(self, data_dir: str) -> list[InputExample]:
        return self._read(os.path.join(data_dir, self.dev_file), "dev")

    def get_test_examples(self, data_dir: str) -> list[InputExample]:
        return self._read(os.path.join(data_dir, self.test_file), "test")

    def get_eval_sets(self, data_dir: str) -> dict[str, list[InputExample]]:
        """{file suffix: examples}: "" for the dev set (MNLI adds "_mismatched")."""
        return {"": self.get_dev_examples(data_dir)}

    def get_test_sets(self, data_dir: str) -> dict[str, list[InputExample]]:
        return {"": self.get_test_examples(data_dir)}

    def _read(self, path: str, set_type: str) -> list[InputExample]:
        rows = read_tsv(path)
        header = self.header if set_type != "test" or self.test_header is None else self.test_header
        examples = []
        for i, row in enumerate(rows):
            if header and i == 0:
                continue
            example = self._example(row, f"{set_type}-{i}", set_type, path, i + 1)
            if example is not None:
                examples.append(example)
        if not examples:
            raise DataError(f"data file {path!r} has no examples")
        return examples

    def _example(self, row: list[str], guid: str, set_type: str, path: str,
                 line: int) -> InputExample | None:
        test = set_type == "test"
        a = self.test_text_a if test and self.test_text_a is not None else self.text_a
        b = self.test_text_b if test and self.test_text_a is not None else self.text_b
        text_a = _cell(row, a, path, line)
        text_b = None if b is None else _cell(row, b, path, line)
        if test and self.test_text_a is not None:
            label = self.labels[0] if self.labels else 0.0
        else:
            label = self._label(_cell(row, self.label, path, line), path, line)
        return InputExample(guid, text_a, text_b, label)

    def _label(self, value: str, path: str, line: int) -> Any:
        if self.labels is None:
            try:
                return float(value)
            except ValueError:
                raise DataError(f"{path}, line {line}: label {value!r} is not a number") from None
        if value not in self.labels:
            raise DataError(f"{path}, line {line}: label {value!r} is not one of "
                            f"{list(self.labels)}")
        return value


class ColaProcessor(DataProcessor):
    """CoLA: train/dev have no header (source, label, mark, sentence); test has one (id, sentence)."""

    header, test_header = False, True
    text_a, label = 3, 1
    test_text_a = 1


class Sst2Processor(DataProcessor):
    """SST-2: sentence, label; test: index, sentence."""

    text_a, label = 0, 1
    test_text_a = 1


class MrpcProcessor(DataProcessor):
    """MRPC: Quality, #1 ID, #2 ID, #1 String, #2 String (test: label column is a placeholder)."""

    text_a, text_b, label = 3, 4, 0

    def _example(self, row, guid, set_type, path, line):
        if set_type == "test":  # the original predicts with label "0"
            return InputExample(guid, _cell(row, 3, path, line), _cell(row, 4, path, line), "0")
        return super()._example(row, guid, set_type, path, line)


class StsbProcessor(DataProcessor):
    """STS-B: regression on a 0-5 similarity score; sentence1, sentence2 at columns 7, 8."""

    labels = None
    text_a, text_b, label = 7, 8, -1
    test_text_a, test_text_b = 7, 8


class QqpProcessor(DataProcessor):
    """QQP: id, qid1, qid2, question1, question2, is_duplicate; test: id, question1, question2."""

    text_a, text_b, label = 3, 4, 5
    test_text_a, test_text_b = 1, 2


class MnliProcessor(DataProcessor):
    """MNLI: sentence1, sentence2 at columns 8, 9, gold label last; matched and mismatched sets."""

    labels = ("contradiction", "entailment", "neutral")
    dev_file, test_file = "dev_matched.tsv", "test_matched.tsv"
    text_a, text_b, label = 8, 9, -1
    test_text_a, test_text_b = 8, 9

    def get_eval_sets(self, data_dir):
        return {"": self.get_dev_examples(data_dir),
                "_mismatched": self._read(os.path.join(data_dir, "dev_mismatched.tsv"), "dev")}

    def get_test_sets(self, data_dir):
        return {"": self.get_test_examples(data_dir),
                "_mismatched": self._read(os.path.join(data_dir, "test_mismatched.tsv"), "test")}


class QnliProcessor(DataProcessor):
    """QNLI: index, question, sentence, label."""

    labels = ("entailment", "not_entailment")
    text_a, text_b, label = 1, 2, -1
    test_text_a, test_text_b = 1, 2


class RteProcessor(QnliProcessor):
    """RTE: index, sentence1, sentence2, label."""


class WnliProcessor(DataProcessor):
    """WNLI: index, sentence1, sentence2, label (0/1)."""

    text_a, text_b, label = 1, 2, -1
    test_text_a, test_text_b = 1, 2


class XnliProcessor(DataProcessor):
    """XNLI as the original: train on MultiNLI machine-translated to `language`, dev on XNLI."""

    labels = ("contradiction", "entailment", "neutral")

    def __init__(self, language: str = "zh"):
        self.language = language

    def get_train_examples(self, data_dir):
        path = os.path.join(data_dir, "multinli", f"multinli.train.{self.language}.tsv")
        examples = []
        for i, row in enumerate(read_tsv(path)[1:], start=2):
            label = _cell(row, 2, path, i)
            label = "contradiction" if label == "contradictory" else label
            examples.append(InputExample(f"train-{i - 2}", _cell(row, 0, path, i),
                                         _cell(row, 1, path, i), self._label(label, path, i)))
        return examples

    def get_dev_examples(self, data_dir):
        path = os.path.join(data_dir, "xnli.dev.tsv")
        examples = []
        for i, row in enumerate(read_tsv(path)[1:], start=2):
            if _cell(row, 0, path, i) != self.language:
                continue
            examples.append(InputExample(f"dev-{i - 2}", _cell(row, 6, path, i),
                                         _cell(row, 7, path, i),
                                         self._label(_cell(row, 1, path, i), path, i)))
        if not examples:
            raise DataError(f"{path} has no examples for language {self.language!r}")
        return examples

    def get_test_sets(self, data_dir):
        raise DataError("XNLI has no test set in the original; use --do_eval")


class GenericProcessor(DataProcessor):
    """Any TSV, CSV or JSONL file: train/dev/test.{tsv,csv,jsonl} in data_dir.

    Columns are header names (the file's first line is then its header) or
    0-based indexes (then there is no header line); JSONL uses keys. The label
    list is given, or the sorted labels of the training file.
    """

    def __init__(self, text_a_column: str | None = None, text_b_column: str | None = None,
                 label_column: str | None = None, label_list: Sequence[str] | None = None):
        self.text_a_column = text_a_column or "sentence"
        self.text_b_column = text_b_column
        self.label_column = label_column or "label"
        self.labels = tuple(label_list) if label_list else None
        self._given_labels = bool(label_list)

    @property
    def is_regression(self) -> bool:
        return False

    def _file(self, data_dir: str, stem: str) -> str:
        for ext in ("tsv", "csv", "jsonl"):
            path = os.path.join(data_dir, f"{stem}.{ext}")
            if tf.io.gfile.exists(path):
                return path
        raise DataError(f"no {stem}.tsv, {stem}.csv or {stem}.jsonl in --data_dir {data_dir!r}")

    def get_train_examples(self, data_dir):
        examples = self._read(self._file(data_dir, "train"), "train")
        if not self._given_labels:
            self.labels = tuple(sorted({e.label for e in examples}))
            logging.info("Labels from the training data: %s", list(self.labels))
        return examples

    def get_labels(self):
        if self.labels is None:
            raise DataError("the label list is unknown: pass --label_list or train first "
                            "(the labels are read from the training file)")
        return list(self.labels)

    def get_dev_examples(self, data_dir):
        return self._read(self._file(data_dir, "dev"), "dev")

    def get_test_examples(self, data_dir):
        return self._read(self._file(data_dir, "test"), "test")

    def _read(self, path: str, set_type: str) -> list[InputExample]:
        if path.endswith(".jsonl"):
            records_ = _read_jsonl(path)
        else:
            rows = read_tsv(path, "," if path.endswith(".csv") else "\t",
                            '"' if path.endswith(".csv") else None)
            records_ = _rows_to_records(rows, self._columns(), path,
                                        optional=self.label_column if set_type == "test" else None)
        examples = []
        for line, rec in records_:
            text_a = self._get(rec, self.text_a_column, path, line)
            text_b = self._get(rec, self.text_b_column, path, line) if self.text_b_column else None
            has_label = self.label_column in rec
            if has_label:
                label = str(rec[self.label_column])
                if self.labels is not None and label not in self.labels:
                    hint = " (--label_list does not match the data)" if self._given_labels else ""
                    raise DataError(f"{path}, line {line}: label {label!r} is not one of "
                                    f"{list(self.labels)}{hint}")
            elif set_type == "test":
                label = None  # filled with the first label at conversion time
            else:
                raise DataError(f"{path}, line {line}: no label column {self.label_column!r}")
            examples.append(InputExample(f"{set_type}-{line}", text_a, text_b, label))
        if not examples:
            raise DataError(f"data file {path!r} has no examples")
        return examples

    def _columns(self) -> list[str]:
        return [c for c in (self.text_a_column, self.text_b_column, self.label_column) if c]

    @staticmethod
    def _get(rec: dict, column: str, path: str, line: int) -> str:
        if column not in rec:
            raise DataError(f"{path}, line {line}: no column {column!r}; found {sorted(rec)}")
        return str(rec[column])


def _read_jsonl(path: str) -> list[tuple[int, dict]]:
    if not tf.io.gfile.exists(path):
        raise DataError(f"data file {path!r} does not exist")
    out = []
    with tf.io.gfile.GFile(path, "r") as f:
        for line, text in enumerate(f, start=1):
            if not text.strip():
                continue
            try:
                obj = json.loads(text)
            except json.JSONDecodeError as e:
                raise DataError(f"{path}, line {line}: not valid JSON: {e}") from None
            if not isinstance(obj, dict):
                raise DataError(f"{path}, line {line}: expected a JSON object")
            out.append((line, obj))
    return out


def _rows_to_records(rows: list[list[str]], columns: list[str], path: str,
                     optional: str | None = None) -> list[tuple[int, dict]]:
    """Rows -> (line, {column: value}). Integer columns index rows of a header-less file;
    names are looked up in the header line. A column a row lacks is left out, and the
    `optional` column (test labels) may be absent from the header."""
    if all(c.lstrip("-").isdigit() for c in columns):
        return [(i, {c: row[int(c)] for c in columns if -len(row) <= int(c) < len(row)})
                for i, row in enumerate(rows, start=1) if row]
    header = rows[0]
    missing = [c for c in columns if c not in header and c != optional]
    if missing:
        raise DataError(f"{path}: the header {header} lacks the column(s) {missing}")
    out = []
    for i, row in enumerate(rows[1:], start=2):
        if not row:
            continue
        if len(row) != len(header):
            raise DataError(f"{path}, line {i}: {len(row)} columns, the header has {len(header)}")
        out.append((i, dict(zip(header, row))))
    return out


TASKS = {
    "cola": ColaProcessor, "sst-2": Sst2Processor, "sst2": Sst2Processor,
    "mrpc": MrpcProcessor, "sts-b": StsbProcessor, "stsb": StsbProcessor, "qqp": QqpProcessor,
    "mnli": MnliProcessor, "qnli": QnliProcessor, "rte": RteProcessor, "wnli": WnliProcessor,
    "xnli": XnliProcessor, "generic": GenericProcessor,
}


def get_processor(task_name: str, language: str = "zh", text_a_column: str | None = None,
                  text_b_column: str | None = None, label_column: str | None = None,
                  label_list: Sequence[str] | None = None) -> DataProcessor:
    """The processor for `task_name` (case-insensitive); options apply to XNLI / generic."""
    name = task_name.lower()
    if name not in TASKS:
        raise DataError(f"Task not found: {task_name!r}; valid tasks: {', '.join(TASKS)}")
    if name == "xnli":
        return XnliProcessor(language)
    if name == "generic":
        return GenericProcessor(text_a_column, text_b_column, label_column, label_list)
    return TASKS[name]()


# ---------------------------------------------------------------------------
# Features.

def convert_single_example(ex_index: int, example: InputExample | PaddingInputExample,
                           label_list: Sequence[str] | None, max_seq_length: int,
                           tokenizer: tokenization.FullTokenizer) -> dict[str, list]:
    """One example -> the original's features (a padding example gives all zeros)."""
    if isinstance(example, PaddingInputExample):
        zeros = [0] * max_seq_length
        return {"input_ids": zeros, "input_mask": zeros, "segment_ids": zeros,
                "label_ids": [0.0 if label_list is None else 0], "is_real_example": [0]}
    tokens, features = packing.encode_pair(tokenizer, example.text_a, example.text_b,
                                           max_seq_length)
    if label_list is None:
        label = [float(example.label)]
    else:
        value = label_list[0] if example.label is None else example.label
        if value not in label_list:
            raise DataError(f"example {example.guid}: label {value!r} is not one of {list(label_list)}")
        label = [list(label_list).index(value)]
    if ex_index < 3:
        logging.info("*** Example ***\nguid: %s\ntokens: %s\ninput_ids: %s\nlabel: %s",
                     example.guid, " ".join(tokens), " ".join(map(str, features["input_ids"])),
                     example.label)
    return {**features, "label_ids": label, "is_real_example": [1]}


def _fingerprint(examples: Sequence, label_list, max_seq_length: int,
                 tokenizer: tokenization.FullTokenizer) -> str:
    h = hashlib.sha256()
    h.update(json.dumps([max_seq_length, label_list, tokenizer.do_lower_case,
                         os.path.abspath(tokenizer.vocab_file), len(tokenizer.vocab)]).encode())
    for e in examples:
        h.update(repr(dataclasses.astuple(e) if dataclasses.is_dataclass(e) else "pad").encode())
    return h.hexdigest()


def file_based_convert_examples_to_features(examples: Sequence, label_list: Sequence[str] | None,
                                            max_seq_length: int,
                                            tokenizer: tokenization.FullTokenizer,
                                            output_file: str) -> int:
    """Writes the examples' features to `output_file` (atomically); returns the count.

    A file written earlier from exactly the same examples and settings (recorded
    in `<output_file>.json`) is reused, so resuming a run does not redo the work.
    """
    fingerprint = _fingerprint(examples, label_list, max_seq_length, tokenizer)
    sidecar = output_file + ".json"
    if tf.io.gfile.exists(output_file) and tf.io.gfile.exists(sidecar):
        with tf.io.gfile.GFile(sidecar) as f:
            meta = json.load(f)
        if meta.get("fingerprint") == fingerprint:
            logging.info("Reusing features in %s", output_file)
            return meta["count"]
    count = records.write_examples(output_file, (
        convert_single_example(i, e, label_list, max_seq_length, tokenizer)
        for i, e in enumerate(examples)))
    atomic_write_text(sidecar, json.dumps({"fingerprint": fingerprint, "count": count}))
    return count


def name_to_features(max_seq_length: int, is_regression: bool = False) -> dict:
    """Parsing spec of the classifier records (for `records.dataset`)."""
    return records.fixed_features({
        "input_ids": (max_seq_length, tf.int64), "input_mask": (max_seq_length, tf.int64),
        "segment_ids": (max_seq_length, tf.int64),
        "label_ids": (1, tf.float32 if is_regression else tf.int64),
        "is_real_example": (1, tf.int64)})

