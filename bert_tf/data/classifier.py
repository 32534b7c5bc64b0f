"""Sentence (pair) classification data: GLUE, XNLI and any TSV/CSV/JSONL file.

As the original run_classifier.py:

  get_processor(task_name, **options)       the task's DataProcessor (see TASKS)
  processor.get_{train,dev,test}_examples   the task's files -> InputExample(guid, text_a,
                                            text_b, label)
  processor.get_labels()                    label strings in id order; None for regression (STS-B)
  convert_single_example                    one example -> input_ids, input_mask, segment_ids,
                                            label_ids, is_real_example (zero padded)
  file_based_convert_examples_to_features   ... all of them, written to a TFRecord file
  name_to_features                          its parsing spec for `bert_tf.data.records.dataset`

Files are read with the csv module like the original: UTF-8, tab separated, no
quote character (a '"' is an ordinary character), one example per line. Blank
lines are skipped. A missing or empty file, a row with too few columns, a label
outside the label list or a non-numeric STS-B score is a `DataError` naming the
file and line.

Long texts are truncated exactly as the original does it: a pair loses one
wordpiece at a time from the end of whichever side is longer (text_b on ties)
until [CLS] a [SEP] b [SEP] fits max_seq_length; a single text keeps its first
max_seq_length - 2 wordpieces. Nothing else is dropped; the number of truncated
examples is logged. truncation="tail" keeps the last wordpieces instead and
"head_tail" the first quarter (at most 128) and the rest from the end
(`packing.keep`); a pair keeps the same number of wordpieces per side as "head".

Multi-label examples (GenericProcessor(multi_label=True)) carry a tuple of
labels; with multi_label=True the features hold them as a multi-hot
label_ids [num_labels].

GLUE test sets have no labels: their examples carry label None, which converts
to label id 0, the id of the original's placeholder labels ("0", "contradiction").
MNLI has two dev and two test sets; `get_eval_sets` / `get_test_sets` return them
keyed by output-file suffix ("" matched, "_mismatched"), one entry for other tasks.

Feature files are cached: `file_based_convert_examples_to_features` reuses an
existing record file only when its JSON sidecar shows it was built from exactly
the same examples, labels, max_seq_length, vocab and casing; otherwise (and
always for a file without a sidecar) it rewrites it. The original rewrote eval
and predict files every run and reused train files only on TPU, without checks.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import json
import math
import os
from typing import Any, Iterable, Mapping, Sequence

import tensorflow as tf
from absl import logging

from bert_tf import tokenization
from bert_tf.data import packing, records
from bert_tf.io import atomic_write_text
from bert_tf.errors import DataError, UsageError

# The original logs its first 5 converted examples.
_NUM_LOGGED_EXAMPLES = 5
# Bumped whenever the record layout changes, so older cached features are rebuilt.
_FEATURES_VERSION = 1


@dataclasses.dataclass
class InputExample:
    """One example: text_a, optional text_b (pairs), and its label.

    label is a string from the task's label list, a float for regression
    (STS-B), or None for an unlabelled test example (it is then converted with
    the first label, or 0.0, as the original's placeholder labels).
    """

    guid: str
    text_a: str
    text_b: str | None = None
    label: Any = None


class PaddingInputExample:
    """A fake example that pads the last batch to a full one (TPUs need static shapes).

    It converts to all-zero features with is_real_example = 0, so metrics can
    weigh it out instead of dropping real examples with drop_remainder.
    """


def pad_to_multiple(examples: Sequence, batch_size: int) -> list:
    """`examples` + PaddingInputExamples up to a multiple of batch_size (as the original on TPU)."""
    return list(examples) + [PaddingInputExample()] * (-len(examples) % batch_size)


# ---------------------------------------------------------------------------
# Reading files.

def _read_rows(path: str, delimiter: str = "\t",
               quotechar: str | None = None) -> list[tuple[int, list[str]]]:
    """(line number, cells) for every non-blank row of a UTF-8 delimited file."""
    if not tf.io.gfile.exists(path):
        raise DataError(f"data file {path!r} does not exist")
    if tf.io.gfile.isdir(path):
        raise DataError(f"data file {path!r} is a directory")
    rows = []
    with tf.io.gfile.GFile(path, "r") as f:
        reader = csv.reader(f, delimiter=delimiter, quotechar=quotechar,
                            quoting=csv.QUOTE_MINIMAL if quotechar else csv.QUOTE_NONE)
        try:
            for row in reader:
                if not rows and row:
                    row[0] = row[0].lstrip("\ufeff")  # a byte order mark from spreadsheet exports
                if any(cell.strip() for cell in row):
                    rows.append((reader.line_num, row))
        except UnicodeDecodeError as e:
            raise DataError(f"data file {path!r} is not UTF-8 text: {e}") from None
        except csv.Error as e:  # e.g. a cell over csv.field_size_limit() characters
            raise DataError(f"{path}, line {reader.line_num}: {e}") from None
    if not rows:
        raise DataError(f"data file {path!r} is empty")
    return rows


def read_tsv(path: str, delimiter: str = "\t", quotechar: str | None = None) -> list[list[str]]:
    """Rows of a UTF-8 TSV (or CSV) file, blank lines skipped; a clear error if missing or empty."""
    return [row for _, row in _read_rows(path, delimiter, quotechar)]


def _cell(row: Sequence[str], index: int, path: str, line: int, layout: str) -> str:
    try:
        return row[index]
    except IndexError:
        raise DataError(f"{path}, line {line}: expected at least {index + 1} tab-separated "
                        f"columns ({layout}), found {len(row)}: {row!r}") from None


@dataclasses.dataclass(frozen=True)
class Columns:
    """Where a file keeps its texts and label (0-based; negative counts from the end).

    label None: the file has no labels (GLUE test sets); guid None: guids are
    "<set>-<row index>" as in the original, else "<set>-<value of that column>".
    """

    text_a: int
    text_b: int | None = None
    label: int | None = None
    header: bool = True
    guid: int | None = None

    def min_columns(self) -> int:
        fixed = [i for i in (self.text_a, self.text_b, self.label, self.guid)
                 if i is not None and i >= 0]
        n = max(fixed) + 1
        return n + 1 if self.label is not None and self.label < 0 else n


class DataProcessor:
    """Reads one task's train/dev/test files into InputExamples.

    Subclasses describe their files with `Columns` (`columns` for train/dev,
    `test_columns` for test) and their `labels` (None: regression).
    """

    labels: tuple[str, ...] | None = ("0", "1")
    columns: Columns
    test_columns: Columns
    layout = ""  # the file's columns, for error messages
    train_file, dev_file, test_file = "train.tsv", "dev.tsv", "test.tsv"

    @property
    def is_regression(self) -> bool:
        """True for a real-valued target (one output, squared error): STS-B."""
        return self.labels is None

    def get_labels(self, data_dir: str | None = None) -> list[str] | None:
        """Label strings in id order, or None for a regression task."""
        return None if self.labels is None else list(self.labels)

    def get_train_examples(self, data_dir: str) -> list[InputExample]:
        return self._read(os.path.join(data_dir, self.train_file), "train", self.columns)

    def get_dev_examples(self, data_dir: str) -> list[InputExample]:
        return self._read(os.path.join(data_dir, self.dev_file), "dev", self.columns)

    def get_test_examples(self, data_dir: str) -> list[InputExample]:
        return self._read(os.path.join(data_dir, self.test_file), "test", self.test_columns)

    def get_eval_sets(self, data_dir: str) -> dict[str, list[InputExample]]:
        """{output file suffix: dev examples}: {"": dev}; MNLI adds "_mismatched"."""
        return {"": self.get_dev_examples(data_dir)}

    def get_test_sets(self, data_dir: str) -> dict[str, list[InputExample]]:
        """{output file suffix: test examples}: {"": test}; MNLI adds "_mismatched"."""
        return {"": self.get_test_examples(data_dir)}

    def _read(self, path: str, set_type: str, columns: Columns) -> list[InputExample]:
        rows = _read_rows(path)
        if columns.header:
            rows = rows[1:]
        examples = []
        for i, (line, row) in enumerate(rows, start=1 if columns.header else 0):
            if len(row) < columns.min_columns():
                raise DataError(f"{path}, line {line}: expected at least {columns.min_columns()} "
                                f"tab-separated columns ({self.layout}), found {len(row)}: {row!r}")
            guid = row[columns.guid] if columns.guid is not None else i
            text_b = None if columns.text_b is None else row[columns.text_b]
            label = None if columns.label is None else self._label(row[columns.label], path, line)
            examples.append(InputExample(f"{set_type}-{guid}", row[columns.text_a], text_b, label))
        if not examples:
            raise DataError(f"data file {path!r} has a header line but no examples")
        return examples

    def _label(self, value: str, path: str, line: int) -> str | float:
        if self.labels is None:
            try:
                score = float(value)
            except ValueError:
                score = math.nan
            if not math.isfinite(score):
                raise DataError(f"{path}, line {line}: label {value!r} is not a number "
                                f"(this task is a regression)")
            return score
        if value not in self.labels:
            raise DataError(f"{path}, line {line}: label {value!r} is not one of the task's "
                            f"labels {list(self.labels)}")
        return value


class ColaProcessor(DataProcessor):
    """CoLA: train/dev have NO header line; test has one."""

    layout = "source, label, original mark, sentence; test: index, sentence"
    columns = Columns(text_a=3, label=1, header=False)
    test_columns = Columns(text_a=1)


class Sst2Processor(DataProcessor):
    """SST-2 (and the bundled data/sentiment): 0 negative, 1 positive."""

    layout = "sentence, label; test: index, sentence"
    columns = Columns(text_a=0, label=1)
    test_columns = Columns(text_a=1)


class MrpcProcessor(DataProcessor):
    """MRPC: paraphrase (1) or not (0)."""

    layout = "Quality, #1 ID, #2 ID, #1 String, #2 String; test: index instead of Quality"
    columns = Columns(text_a=3, text_b=4, label=0)
    test_columns = Columns(text_a=3, text_b=4)


class StsbProcessor(DataProcessor):
    """STS-B: a regression on the 0-5 similarity score; get_labels() is None."""

    labels = None
    layout = ("index, genre, filename, year, old_index, source1, source2, sentence1, sentence2, "
              "score; test: no score")
    columns = Columns(text_a=7, text_b=8, label=9)
    test_columns = Columns(text_a=7, text_b=8)


class QqpProcessor(DataProcessor):
    """QQP: duplicate question pair (1) or not (0)."""

    layout = "id, qid1, qid2, question1, question2, is_duplicate; test: id, question1, question2"
    columns = Columns(text_a=3, text_b=4, label=5)
    test_columns = Columns(text_a=1, text_b=2)


class MnliProcessor(DataProcessor):
    """MNLI, with a matched and a mismatched dev and test set (guids from the index column)."""

    labels = ("contradiction", "entailment", "neutral")
    layout = ("index, promptID, pairID, genre, 4 parses, sentence1, sentence2, [labels...,] "
              "gold_label; test: no labels")
    columns = Columns(text_a=8, text_b=9, label=-1, guid=0)
    test_columns = Columns(text_a=8, text_b=9, guid=0)

    def get_dev_examples(self, data_dir: str, matched: bool = True) -> list[InputExample]:
        name = "dev_matched" if matched else "dev_mismatched"
        return self._read(os.path.join(data_dir, f"{name}.tsv"), name, self.columns)

    def get_test_examples(self, data_dir: str, matched: bool = True) -> list[InputExample]:
        name = "test_matched" if matched else "test_mismatched"
        return self._read(os.path.join(data_dir, f"{name}.tsv"),
                          "test" if matched else name, self.test_columns)

    def get_eval_sets(self, data_dir):
        return {"": self.get_dev_examples(data_dir),
                "_mismatched": self.get_dev_examples(data_dir, matched=False)}

    def get_test_sets(self, data_dir):
        return {"": self.get_test_examples(data_dir),
                "_mismatched": self.get_test_examples(data_dir, matched=False)}


class QnliProcessor(DataProcessor):
    """QNLI: does the sentence answer the question."""

    labels = ("entailment", "not_entailment")
    layout = "index, question, sentence, label; test: no label"
    columns = Columns(text_a=1, text_b=2, label=3)
    test_columns = Columns(text_a=1, text_b=2)


class RteProcessor(QnliProcessor):
    """RTE: does sentence1 entail sentence2."""

    layout = "index, sentence1, sentence2, label; test: no label"


class WnliProcessor(DataProcessor):
    """WNLI: labels 0/1."""

    layout = "index, sentence1, sentence2, label; test: no label"
    columns = Columns(text_a=1, text_b=2, label=3)
    test_columns = Columns(text_a=1, text_b=2)


class XnliProcessor(DataProcessor):
    """XNLI as the original: train on MultiNLI machine-translated into `language`
    (multinli/multinli.train.<language>.tsv: premise, hypo, label), evaluate on the
    `language` rows of xnli.dev.tsv (test: xnli.test.tsv, same layout)."""

    labels = ("contradiction", "entailment", "neutral")
    layout = "language, gold_label, 4 parses, sentence1, sentence2, ..."

    def __init__(self, language: str = "zh"):
        self.language = language

    def get_train_examples(self, data_dir):
        path = os.path.join(data_dir, "multinli", f"multinli.train.{self.language}.tsv")
        examples = []
        for i, (line, row) in enumerate(_read_rows(path)[1:], start=1):
            layout = "premise, hypo, label"
            label = _cell(row, 2, path, line, layout)
            # The translated MultiNLI files call contradiction "contradictory".
            label = "contradiction" if label == "contradictory" else label
            examples.append(InputExample(f"train-{i}", _cell(row, 0, path, line, layout),
                                         _cell(row, 1, path, line, layout),
                                         self._label(label, path, line)))
        return examples

    def get_dev_examples(self, data_dir):
        return self._read_xnli(os.path.join(data_dir, "xnli.dev.tsv"), "dev")

    def get_test_examples(self, data_dir):
        return self._read_xnli(os.path.join(data_dir, "xnli.test.tsv"), "test")

    def _read_xnli(self, path: str, set_type: str) -> list[InputExample]:
        examples, languages = [], set()
        for i, (line, row) in enumerate(_read_rows(path)[1:], start=1):
            language = _cell(row, 0, path, line, self.layout)
            languages.add(language)
            if language != self.language:
                continue
            examples.append(InputExample(
                f"{set_type}-{i}", _cell(row, 6, path, line, self.layout),
                _cell(row, 7, path, line, self.layout),
                self._label(_cell(row, 1, path, line, self.layout), path, line)))
        if not examples:
            raise DataError(f"{path} has no examples in language {self.language!r} "
                            f"(the XNLI language option); it has {sorted(languages)}")
        return examples


class GenericProcessor(DataProcessor):
    """Any TSV, CSV or JSONL file of labelled texts.

    Columns (text_a_column, text_b_column, label_column) are header names, or
    0-based indexes ("0", "2"). `header` None means: the file's first line is a
    header when a column is given by name; True/False says so explicitly (e.g.
    indexes into a file that has a header line). JSONL files (one object per
    line) use keys. The format follows the file name: .csv is comma separated
    with '"' quoting; .jsonl/.json is JSON lines; anything else is tab separated
    without quoting (like GLUE).

    Files: train_file/dev_file/test_file, as a path or a name in data_dir;
    default: the first of <split>.tsv, <split>.csv, <split>.jsonl in data_dir.
    Test rows may lack the label (it is not needed for prediction).

    The label list is `label_list` (in id order), or else the sorted distinct
    labels of the training file.

    multi_label: each example carries a set of labels (zero or more): in TSV/CSV
    a cell of labels separated by `label_delimiter` ("sports,tech"), in JSONL a
    list (["sports", "tech"]; a string is split like a cell). Labels are
    stripped, repeats dropped; an empty cell or [] is the empty set. The
    example's label is then a tuple of label strings.
    """

    layout = "generic"

    def __init__(self, text_a_column: str | int | None = None,
                 text_b_column: str | int | None = None, label_column: str | int | None = None,
                 label_list: Sequence[str] | None = None, train_file: str | None = None,
                 dev_file: str | None = None, test_file: str | None = None,
                 header: bool | None = None, multi_label: bool = False,
                 label_delimiter: str = ","):
        self.text_a_column = str("sentence" if text_a_column is None else text_a_column)
        self.text_b_column = None if text_b_column in (None, "") else str(text_b_column)
        self.label_column = str("label" if label_column is None else label_column)
        self.files = {"train": train_file, "dev": dev_file, "test": test_file}
        self.header = header
        self.multi_label = bool(multi_label)
        if self.multi_label and not label_delimiter:
            raise UsageError("--label_delimiter must not be empty")
        self.label_delimiter = label_delimiter
        self.labels = self._check_label_list(label_list) if label_list else None
        self._given_labels = bool(label_list)
        names = [c for c in self._columns() if not _is_index(c)]
        if header is False and names:
            raise DataError(f"columns {names} are header names, but header=False says the "
                            "files have no header line; give 0-based column indexes")

    @staticmethod
    def _check_label_list(label_list: Sequence[str]) -> tuple[str, ...]:
        labels = tuple(str(label).strip() for label in label_list)
        if any(not label for label in labels):
            raise DataError(f"label_list {list(label_list)} has an empty label")
        if len(set(labels)) != len(labels):
            raise DataError(f"label_list {list(labels)} names a label twice")
        if len(labels) < 2:
            raise DataError(f"label_list {list(labels)} needs at least two labels")
        return labels

    @property
    def is_regression(self) -> bool:
        return False

    def get_labels(self, data_dir: str | None = None) -> list[str]:
        """The label list; without one given, the training file's labels (read from data_dir)."""
        if self.labels is None and data_dir is not None:
            self.get_train_examples(data_dir)
        if self.labels is None:
            raise DataError("the label list is unknown: give label_list, or read the training "
                            "file first (get_train_examples or get_labels(data_dir))")
        return list(self.labels)

    def get_train_examples(self, data_dir):
        path = self.path(data_dir, "train")
        examples = self._read_file(path, "train")
        seen = sorted({label for e in examples for label in
                       (e.label if self.multi_label else (e.label,))})
        if not self._given_labels:
            if len(seen) < 2:
                only = seen if self.multi_label else repr(seen[0])
                raise DataError(f"{path}: every example has the label {only}; a classifier "
                                "needs at least two labels (give label_list to name the others)")
            self.labels = tuple(seen)
            logging.info("Labels read from %s: %s", path, list(self.labels))
        else:
            unused = [label for label in self.labels if label not in seen]
            if unused:
                logging.warning("label_list has labels that %s never uses: %s", path, unused)
        return examples

    def get_dev_examples(self, data_dir):
        return self._read_file(self.path(data_dir, "dev"), "dev")

    def get_test_examples(self, data_dir):
        return self._read_file(self.path(data_dir, "test"), "test")

    def path(self, data_dir: str, split: str) -> str:
        """The file of `split` ("train", "dev" or "test")."""
        name = self.files[split]
        if name:
            path = name if os.path.isabs(name) or "://" in name else os.path.join(data_dir, name)
            if not tf.io.gfile.exists(path):
                raise DataError(f"{split} file {path!r} does not exist")
            return path
        for ext in ("tsv", "csv", "jsonl"):
            path = os.path.join(data_dir, f"{split}.{ext}")
            if tf.io.gfile.exists(path):
                return path
        raise DataError(f"no {split}.tsv, {split}.csv or {split}.jsonl in data_dir {data_dir!r} "
                        f"(or name the file with {split}_file)")

    def _columns(self) -> list[str]:
        return [c for c in (self.text_a_column, self.text_b_column, self.label_column) if c]

    def _read_file(self, path: str, set_type: str) -> list[InputExample]:
        label_optional = set_type == "test"
        recs = read_records(path, self._columns(), self.header,
                            optional=[self.label_column] if label_optional else [])
        examples = []
        for line, rec in recs:
            text_a = text_field(rec, self.text_a_column, path, line)
            text_b = text_field(rec, self.text_b_column, path, line) if self.text_b_column else None
            value = rec.get(self.label_column)
            if self.multi_label:
                label = self._label_set(value, path, line, label_optional)
                examples.append(InputExample(f"{set_type}-{line}", text_a, text_b, label))
                continue
            label = None if value is None else str(value).strip()
            if label:
                self._check_known(label, path, line)
            elif not label_optional:
                what = "an empty label" if label == "" else "no label"
                raise DataError(f"{path}, line {line}: {what} (label_column "
                                f"{self.label_column!r}); found {_found(rec)}")
            else:
                label = None
            examples.append(InputExample(f"{set_type}-{line}", text_a, text_b, label))
        if not examples:
            raise DataError(f"data file {path!r} has a header line but no examples")
        return examples

    def _label_set(self, value: Any, path: str, line: int, optional: bool
                   ) -> tuple[str, ...] | None:
        """A multi-label cell (or JSON list) -> its labels in file order, repeats dropped."""
        if value is None:
            if optional:
                return None
            raise DataError(f"{path}, line {line}: no label (label_column "
                            f"{self.label_column!r}); use an empty cell or [] for no labels")
        if isinstance(value, list):
            if any(isinstance(v, (list, dict)) or v is None for v in value):
                raise DataError(f"{path}, line {line}: label_column {self.label_column!r} "
                                f"holds {value!r}; expected a list of label strings")
            parts = [str(v).strip() for v in value]
        elif isinstance(value, dict):
            raise DataError(f"{path}, line {line}: label_column {self.label_column!r} holds "
                            f"{value!r}; expected a list of label strings")
        else:
            parts = [p.strip() for p in str(value).split(self.label_delimiter)]
        labels = tuple(dict.fromkeys(p for p in parts if p))
        for label in labels:
            self._check_known(label, path, line)
        return labels

    def _check_known(self, label: str, path: str, line: int) -> None:
        """An error naming the file, line and label when the label list lacks `label`."""
        if self.labels is not None and label not in self.labels:
            source = "label_list" if self._given_labels else "the training file's labels"
            raise DataError(f"{path}, line {line}: label {label!r} is not one of "
                            f"{list(self.labels)} ({source})")


def read_records(path: str, columns: Sequence[str], header: bool | None = None,
                 optional: Sequence[str] = ()) -> list[tuple[int, dict]]:
    """(line number, {column: value}) for each row of a TSV, CSV or JSONL file.

    The format follows the file name, and `columns` are header names or 0-based
    indexes, as `GenericProcessor` describes; `optional` columns may be absent
    from the header. JSONL rows are returned as their objects.
    """
    if path.endswith((".jsonl", ".json")):
        return _read_jsonl(path)
    csv_file = path.endswith(".csv")
    rows = _read_rows(path, "," if csv_file else "\t", '"' if csv_file else None)
    has_header = header if header is not None else not all(map(_is_index, columns))
    if not has_header:
        required = [int(c) for c in columns if c not in optional]
        for line, row in rows:
            if len(row) <= max(required):
                raise DataError(f"{path}, line {line}: expected at least {max(required) + 1} "
                                f"columns, found {len(row)}: {row!r}")
        return [(line, _by_index(row, columns)) for line, row in rows]
    (_, names), body = rows[0], rows[1:]
    names = [h.strip() for h in names]
    missing = [c for c in columns if c not in optional and not _is_index(c) and c not in names]
    if missing:
        raise DataError(f"{path}: the header line {names} lacks the column(s) {missing}")
    out = []
    for line, row in body:
        if len(row) != len(names):
            raise DataError(f"{path}, line {line}: {len(row)} columns, but the header line "
                            f"has {len(names)}: {row!r}")
        rec = dict(zip(names, row))
        rec.update(_by_index(row, [c for c in columns if _is_index(c)]))
        out.append((line, rec))
    return out


def _is_index(column: str) -> bool:
    return column.isdigit()


def _by_index(row: list[str], columns: Sequence[str]) -> dict[str, str]:
    """{column index: cell} for the index columns the row has (a missing one is reported later)."""
    return {c: row[int(c)] for c in columns if _is_index(c) and int(c) < len(row)}


def _found(rec: Mapping) -> str:
    return f"keys {sorted(rec)}" if rec and not all(map(_is_index, rec)) else "no such column"


def text_field(rec: Mapping, column: str, path: str, line: int) -> str:
    """The text in `column` of a record from `read_records`; a clear error if absent."""
    if column not in rec:
        raise DataError(f"{path}, line {line}: no column {column!r}; found {_found(rec)}")
    value = rec[column]
    if value is None or isinstance(value, (dict, list)):
        raise DataError(f"{path}, line {line}: column {column!r} holds {value!r}, not text")
    return str(value)


def _read_jsonl(path: str) -> list[tuple[int, dict]]:
    if not tf.io.gfile.exists(path):
        raise DataError(f"data file {path!r} does not exist")
    out = []
    with tf.io.gfile.GFile(path, "r") as f:
        try:
            for line, text in enumerate(f, start=1):
                if not text.strip():
                    continue
                try:
                    obj = json.loads(text)
                except json.JSONDecodeError as e:
                    raise DataError(f"{path}, line {line}: not valid JSON: {e}") from None
                if not isinstance(obj, dict):
                    raise DataError(f"{path}, line {line}: expected a JSON object, found "
                                    f"{type(obj).__name__}")
                out.append((line, obj))
        except UnicodeDecodeError as e:
            raise DataError(f"data file {path!r} is not UTF-8 text: {e}") from None
    if not out:
        raise DataError(f"data file {path!r} is empty")
    return out


# Canonical names (what --task_name lists) and accepted spellings.
TASKS: dict[str, type[DataProcessor]] = {
    "cola": ColaProcessor, "sst-2": Sst2Processor, "mrpc": MrpcProcessor,
    "sts-b": StsbProcessor, "qqp": QqpProcessor, "mnli": MnliProcessor,
    "qnli": QnliProcessor, "rte": RteProcessor, "wnli": WnliProcessor,
    "xnli": XnliProcessor, "generic": GenericProcessor,
}
ALIASES = {"sst2": "sst-2", "stsb": "sts-b", "sts": "sts-b"}
_GENERIC_OPTIONS = ("text_a_column", "text_b_column", "label_column", "label_list",
                    "train_file", "dev_file", "test_file", "header", "multi_label",
                    "label_delimiter")


def get_processor(task_name: str, **options) -> DataProcessor:
    """The processor for `task_name` (case-insensitive, e.g. "MRPC", "sst-2", "generic").

    Options: language (XNLI; default "zh" as the original; ignored by other
    tasks), and for "generic": text_a_column, text_b_column, label_column,
    label_list, train_file, dev_file, test_file, header, multi_label,
    label_delimiter (see GenericProcessor).
    Options whose value is None are ignored, so flags can be passed through.
    """
    name = (task_name or "").strip().lower()
    name = ALIASES.get(name, name)
    if name not in TASKS:
        raise DataError(f"Task not found: {task_name!r}; valid tasks: {', '.join(TASKS)}")
    options = {k: v for k, v in options.items() if v is not None}
    unknown = sorted(set(options) - {"language", *_GENERIC_OPTIONS})
    if unknown:
        raise DataError(f"unknown processor option(s) {unknown}")
    language = options.pop("language", None)
    if name == "xnli":
        return XnliProcessor(language or "zh")
    if name == "generic":
        return GenericProcessor(**options)
    if options:
        raise DataError(f"option(s) {sorted(options)} apply only to task 'generic', not "
                        f"{task_name!r}, whose file layout is fixed")
    return TASKS[name]()


# ---------------------------------------------------------------------------
# Features.

def _pack(example: InputExample, max_seq_length: int,
          tokenizer: tokenization.FullTokenizer, truncation: str = "head"
          ) -> tuple[list[str], list[int], bool]:
    """(tokens, segment ids, whether anything was truncated), the original's layout."""
    tokens_a = tokenizer.tokenize(example.text_a)
    tokens_b = tokenizer.tokenize(example.text_b) if example.text_b else None
    if max_seq_length < (3 if tokens_b else 2):
        raise UsageError(f"max_seq_length={max_seq_length} cannot hold [CLS] and [SEP]"
                         f"{' twice' if tokens_b else ''}")
    tokens, segment_ids = packing.pack_tokens(tokens_a, tokens_b, max_seq_length, truncation)
    # [CLS] a [SEP] (b [SEP]): anything missing from `tokens` was truncated.
    truncated = len(tokens) < len(tokens_a) + (len(tokens_b) + 3 if tokens_b else 2)
    return tokens, segment_ids, truncated


def _multi_hot(example: InputExample, label_list: Sequence[str]) -> list[int]:
    """[num_labels] 0/1: which of label_list the example carries (all 0 when unlabelled)."""
    labels = example.label or ()
    if isinstance(labels, str):
        raise DataError(f"example {example.guid}: label {labels!r} is a string, but a "
                        "multi-label example needs a list of labels")
    unknown = [label for label in labels if label not in label_list]
    if unknown:
        raise DataError(f"example {example.guid}: label {unknown[0]!r} is not one of "
                        f"{list(label_list)}")
    return [int(label in labels) for label in label_list]


def _label_id(example: InputExample, label_list: Sequence[str] | None) -> int | float:
    if label_list is None:  # regression
        return 0.0 if example.label is None else float(example.label)
    if example.label is None:  # unlabelled test example: the original's placeholder
        return 0
    try:
        return list(label_list).index(example.label)
    except ValueError:
        raise DataError(f"example {example.guid}: label {example.label!r} is not one of "
                        f"{list(label_list)}") from None


def convert_single_example(ex_index: int, example: InputExample | PaddingInputExample,
                           label_list: Sequence[str] | None, max_seq_length: int,
                           tokenizer: tokenization.FullTokenizer, multi_label: bool = False,
                           truncation: str = "head") -> dict[str, list]:
    """One example -> the original's features, as lists ready for `records.to_example`.

    Returns input_ids, input_mask, segment_ids (int, [max_seq_length], zero padded),
    label_ids ([1]: the label's index in label_list; a float for regression when
    label_list is None) and is_real_example ([1]; [0] with all-zero features for a
    PaddingInputExample). For example, a pair "is this jacksonville ?" / "no it is not .":
      tokens:      [CLS] is this jack ##son ##ville ? [SEP] no it is not . [SEP] 0 ...
      segment_ids: 0     0  0    0    0     0       0 0     1  1  1  1   1 1     0 ...
      input_mask:  1 for every token, 0 for padding.
    multi_label: label_ids is instead [num_labels], 1 for each label the example
    carries. truncation: which wordpieces a long text keeps (`packing.keep`).
    """
    return _convert(ex_index, example, label_list, max_seq_length, tokenizer, multi_label,
                    truncation)[0]


def _convert(ex_index: int, example: InputExample | PaddingInputExample,
             label_list: Sequence[str] | None, max_seq_length: int,
             tokenizer: tokenization.FullTokenizer, multi_label: bool = False,
             truncation: str = "head") -> tuple[dict[str, list], bool]:
    """(features, whether the texts were truncated)."""
    if isinstance(example, PaddingInputExample):
        zeros = [0] * max_seq_length
        label = [0] * len(label_list) if multi_label else [0.0 if label_list is None else 0]
        return {"input_ids": zeros, "input_mask": list(zeros), "segment_ids": list(zeros),
                "label_ids": label, "is_real_example": [0]}, False
    tokens, segment_ids, truncated = _pack(example, max_seq_length, tokenizer, truncation)
    features = packing.to_features(tokenizer, tokens, segment_ids, max_seq_length)
    label = _label_feature(example, label_list, multi_label)
    if ex_index < _NUM_LOGGED_EXAMPLES:
        logging.info("*** Example ***\nguid: %s\ntokens: %s\ninput_ids: %s\ninput_mask: %s\n"
                     "segment_ids: %s\nlabel: %s (id = %s)", example.guid, " ".join(tokens),
                     *(" ".join(map(str, features[k]))
                       for k in ("input_ids", "input_mask", "segment_ids")),
                     example.label, label)
    return {**features, "label_ids": label, "is_real_example": [1]}, truncated


def _label_feature(example: InputExample, label_list: Sequence[str] | None,
                   multi_label: bool) -> list:
    """label_ids: [label id] ([score] for regression), or the multi-hot [num_labels]."""
    return _multi_hot(example, label_list) if multi_label else [_label_id(example, label_list)]


def count_windows(examples: Sequence[InputExample], max_seq_length: int,
                  tokenizer: tokenization.FullTokenizer, doc_stride: int) -> int:
    """How many --doc_stride windows `convert_windows` makes of the examples."""
    return sum(len(packing.window_tokens(
        tokenizer.tokenize(e.text_a), tokenizer.tokenize(e.text_b) if e.text_b else None,
        max_seq_length, doc_stride)) for e in examples)


def convert_windows(ex_index: int, example: InputExample, label_list: Sequence[str] | None,
                    max_seq_length: int, tokenizer: tokenization.FullTokenizer,
                    doc_stride: int, multi_label: bool = False) -> list[dict[str, list]]:
    """--doc_stride: one feature dict per window of the example (`packing.window_tokens`),
    each with the example's label and doc_index [ex_index], the document it came from."""
    if isinstance(example, PaddingInputExample):
        raise ValueError("--doc_stride windows real examples only")
    tokens_a = tokenizer.tokenize(example.text_a)
    tokens_b = tokenizer.tokenize(example.text_b) if example.text_b else None
    label = _label_feature(example, label_list, multi_label)
    return [{**packing.to_features(tokenizer, tokens, segment_ids, max_seq_length),
             "label_ids": label, "is_real_example": [1], "doc_index": [ex_index]}
            for tokens, segment_ids in packing.window_tokens(tokens_a, tokens_b, max_seq_length,
                                                             doc_stride)]


def convert_examples_to_features(examples: Sequence, label_list: Sequence[str] | None,
                                 max_seq_length: int,
                                 tokenizer: tokenization.FullTokenizer, multi_label: bool = False,
                                 truncation: str = "head", doc_stride: int | None = None
                                 ) -> list[dict[str, list]]:
    """`convert_single_example` over a list (in memory; see the file-based one for large
    sets); with doc_stride, every window of every example (`convert_windows`)."""
    if doc_stride:
        return [f for i, e in enumerate(examples)
                for f in convert_windows(i, e, label_list, max_seq_length, tokenizer, doc_stride,
                                         multi_label)]
    return [convert_single_example(i, e, label_list, max_seq_length, tokenizer, multi_label,
                                   truncation)
            for i, e in enumerate(examples)]


def _settings(label_list, max_seq_length: int, tokenizer, multi_label: bool = False,
              truncation: str = "head", doc_stride: int | None = None) -> dict:
    """What the features depend on besides the examples themselves."""
    vocab = getattr(tokenizer, "vocab", {})
    vocab_hash = hashlib.sha256("\n".join(f"{t}\t{i}" for t, i in vocab.items()).encode())
    return {"version": _FEATURES_VERSION, "max_seq_length": max_seq_length,
            "label_list": None if label_list is None else list(label_list),
            "do_lower_case": getattr(tokenizer, "do_lower_case", None),
            "vocab_sha256": vocab_hash.hexdigest(), "vocab_size": len(vocab),
            "multi_label": bool(multi_label), "truncation": truncation, "doc_stride": doc_stride}


def _examples_hash(examples: Sequence) -> str:
    h = hashlib.sha256()
    for e in examples:
        fields = dataclasses.astuple(e) if isinstance(e, InputExample) else ("<padding>",)
        h.update(json.dumps(fields, default=str).encode("utf-8"))
        h.update(b"\n")
    return h.hexdigest()


def _cached(output_file: str, sidecar: str, meta: dict) -> dict | None:
    """The sidecar's contents if `output_file` was written from exactly `meta`, else None."""
    if not (tf.io.gfile.exists(output_file) and tf.io.gfile.exists(sidecar)):
        return None
    try:
        with tf.io.gfile.GFile(sidecar) as f:
            old = json.load(f)
    except (ValueError, tf.errors.OpError):
        return None
    if any(old.get(k) != v for k, v in meta.items()):
        return None
    if old.get("record_bytes") != tf.io.gfile.stat(output_file).length:
        return None
    return old


def file_based_convert_examples_to_features(examples: Sequence, label_list: Sequence[str] | None,
                                            max_seq_length: int,
                                            tokenizer: tokenization.FullTokenizer,
                                            output_file: str, multi_label: bool = False,
                                            truncation: str = "head",
                                            doc_stride: int | None = None) -> int:
    """Writes one tf.train.Example per example to `output_file`; returns how many.

    With doc_stride, one per window of each example instead (`convert_windows`,
    with doc_index); the sidecar's num_windows says how many.

    Features: input_ids, input_mask, segment_ids (int64 [max_seq_length]),
    label_ids (int64 [1], float [1] when label_list is None: regression; int64
    [len(label_list)] multi-hot when multi_label) and
    is_real_example (int64 [1]); read them back with
    `records.dataset([output_file], name_to_features(max_seq_length, is_regression), ...)`.

    The file appears only once complete. Beside it, `<output_file>.json` records
    what it was built from (max_seq_length, label_list, vocab file and hash,
    do_lower_case, a hash of every example, counts); a later call with exactly
    the same inputs reuses the file instead of converting again (a resumed run
    skips the work), and any difference - other examples, another vocab or
    casing, another length - rebuilds it. A record file without that sidecar
    (say, written by the original) is always rebuilt, never trusted.
    """
    sidecar = output_file + ".json"
    meta = {**_settings(label_list, max_seq_length, tokenizer, multi_label, truncation,
                        doc_stride),
            "num_examples": len(examples), "examples_sha256": _examples_hash(examples)}
    old = _cached(output_file, sidecar, meta)
    if old is not None:
        logging.info("Reusing %d examples' features in %s (built with the same settings)",
                     len(examples), output_file)
        return old.get("num_windows", len(examples))
    # A sidecar that outlived its records must never vouch for the next file.
    if tf.io.gfile.exists(sidecar):
        tf.io.gfile.remove(sidecar)
    stats = {"truncated": 0, "real": 0}

    def features() -> Iterable[dict]:
        for i, example in enumerate(examples):
            if i % 10000 == 0 and i:
                logging.info("Writing example %d of %d", i, len(examples))
            stats["real"] += isinstance(example, InputExample)
            if doc_stride:
                yield from convert_windows(i, example, label_list, max_seq_length, tokenizer,
                                           doc_stride, multi_label)
                continue
            features_, truncated = _convert(i, example, label_list, max_seq_length, tokenizer,
                                            multi_label, truncation)
            stats["truncated"] += truncated
            yield features_

    count = records.write_examples(output_file, features())
    if doc_stride:
        logging.info("%d examples became %d windows of at most %d wordpieces (doc_stride=%d) "
                     "in %s", len(examples), count, max_seq_length, doc_stride, output_file)
        meta["num_windows"] = count
    if stats["truncated"]:
        logging.warning("%d of %d examples in %s are longer than max_seq_length=%d wordpieces "
                        "and were truncated (truncation=%s; pairs: from the longer text, one "
                        "wordpiece at a time)", stats["truncated"], stats["real"], output_file,
                        max_seq_length, truncation)
    # For people reading the sidecar; not compared (the vocab's hash is).
    meta.update(vocab_file=getattr(tokenizer, "vocab_file", None), num_real_examples=stats["real"],
                num_truncated=stats["truncated"], record_bytes=tf.io.gfile.stat(output_file).length)
    atomic_write_text(sidecar, json.dumps(meta, indent=1) + "\n")
    return count


def name_to_features(max_seq_length: int, is_regression: bool = False,
                     multi_label_size: int | None = None, doc_index: bool = False) -> dict:
    """Parsing spec of the classifier records, for `records.dataset` (label float if
    regression; label_ids [multi_label_size] multi-hot for a multi-label task;
    doc_index [1] for --doc_stride windows)."""
    spec = {"input_ids": (max_seq_length, tf.int64), "input_mask": (max_seq_length, tf.int64),
            "segment_ids": (max_seq_length, tf.int64),
            "label_ids": (multi_label_size or 1, tf.float32 if is_regression else tf.int64),
            "is_real_example": (1, tf.int64)}
    if doc_index:
        spec["doc_index"] = (1, tf.int64)
    return records.fixed_features(spec)


DOC_AGGREGATIONS = ("mean", "max")


def aggregate_by_document(logits: "np.ndarray", doc_index: "np.ndarray", num_docs: int,
                          how: str = "mean") -> "np.ndarray":
    """Per-document logits from per-window ones (--doc_stride).

    logits [num_windows, num_labels], doc_index [num_windows] (the document each
    window came from, 0..num_docs-1) -> [num_docs, num_labels]: the mean or the
    elementwise max over each document's windows (per label, so it serves
    softmax, --multi_label sigmoid and regression outputs alike).
    """
    import numpy as np

    if how not in DOC_AGGREGATIONS:
        raise UsageError(f"--doc_aggregation={how!r}: expected one of {DOC_AGGREGATIONS}")
    logits, doc_index = np.asarray(logits, np.float64), np.asarray(doc_index).reshape(-1)
    counts = np.bincount(doc_index, minlength=num_docs)
    if len(counts) > num_docs or (counts == 0).any():
        raise ValueError(f"every one of {num_docs} documents needs at least one window")
    if how == "mean":
        out = np.zeros((num_docs, logits.shape[1]))
        np.add.at(out, doc_index, logits)
        return (out / counts[:, None]).astype(np.float32)
    out = np.full((num_docs, logits.shape[1]), -np.inf)
    np.maximum.at(out, doc_index, logits)
    return out.astype(np.float32)
