"""Extractive summarization data for run_summarization (BertSumExt, Liu and Lapata 2019).

  split_sentences                  raw text -> sentences (English and CJK punctuation, no Java)
  read_jsonl / read_stories / read_text / read_examples
                                   files -> SumExample (sentences, reference summary)
  greedy_oracle                    the sentences whose union best matches the summary (labels)
  convert_example / convert_examples
                                   SumExample -> SumFeatures: `[CLS] s1 [SEP] [CLS] s2 [SEP] ...`
  name_to_features                 parsing spec for `bert_tf.data.records.dataset`
  select_sentences                 scores -> the summary (trigram blocking, document order)

Layout of one document (BertSumExt's "interval segments"):

  tokens:        [CLS] the cat sat . [SEP] [CLS] it was happy . [SEP] [CLS] ...
  segment_ids:     0    0   0   0  0   0     1    1   1    1   1   1     0
  cls_positions: 0, 6, 12, ...   (one [CLS] per sentence; its vector is the sentence's)

A document longer than max_seq_length keeps its first sentences: a sentence is kept
while its [CLS], at least one wordpiece and its [SEP] fit (the last one kept may
lose its tail), and at most `max_sentences` sentences are kept. What is cut is
counted (`SumFeatures.cut_sentences`, `cut_tokens`) and logged by the script, so
long articles are never cut silently; raise --max_seq_length (and
--max_position_embeddings beyond the checkpoint's 512) to keep more.

The sentence splitter is a list of regular-expression rewrites that Python's `re`
and TensorFlow's RE2 (`tf.strings.regex_replace`) read alike, so the exported
SavedModel splits raw documents in the graph exactly as this module does.
"""

from __future__ import annotations

import collections
import dataclasses
import json
import os
import re
from typing import Iterable, Sequence

import numpy as np
import tensorflow as tf

from bert_tf import io as bert_io
from bert_tf import tokenization
from bert_tf.errors import DataError

# ---------------------------------------------------------------------------------------------
# Sentence splitting

# Internal markers (private-use code points, never in real text): a sentence boundary,
# and a full stop that does not end a sentence ("Dr.", "J. Smith").
BOUNDARY = "\ue001"
_KEPT_DOT = "\ue002"
_SPACE = "[ \t\n\r\f\v\u00a0\u3000]"
_ABBREVIATIONS = ("Mr|Mrs|Ms|Dr|Prof|Sr|Jr|St|Mt|vs|etc|No|Inc|Ltd|Co|Corp|Gen|Col|Lt|Sgt|"
                  "Capt|Rev|Hon|Sen|Rep|Gov|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec|"
                  "[A-Z]")
# (pattern, replacement) applied in order; the same strings work in `re` and RE2.
SPLIT_RULES: tuple[tuple[str, str], ...] = (
    # A blank line ends a paragraph, hence a sentence; other whitespace runs become one space.
    (f"{_SPACE}*\n{_SPACE}*\n{_SPACE}*", BOUNDARY),
    (f"{_SPACE}+", " "),
    # Abbreviations and initials keep their full stop.
    (f"\\b({_ABBREVIATIONS})\\.", f"\\1{_KEPT_DOT}"),
    # . ! ? (and closing quotes/brackets) then a space then anything but a lowercase letter.
    ("([.!?\u2026]+[\"'\u201d\u2019)\\]]*) ([^ a-z])", f"\\1{BOUNDARY}\\2"),
    # CJK full stops end a sentence with or without a space after them, unless a closing
    # quote follows (「本当ですか？」と彼は言った。 is one sentence).
    ("([\u3002\uff01\uff1f]+)([^\u300d\u300f\u201d\u2019\uff09)])", f"\\1{BOUNDARY}\\2"),
    (_KEPT_DOT, "."),
)


def split_sentences(text: str) -> list[str]:
    """Raw text -> its sentences, stripped, empty ones dropped.

    Ends a sentence at `. ! ? …` followed by a space and a character that is not a
    lowercase ASCII letter (so "e.g. the" continues), at `。！？` (CJK, no space
    needed) unless a closing quote follows, and at blank lines; common abbreviations
    ("Dr.", "Inc.", "Jan.") and single capital initials ("J. Smith") do not end one.

    Example:
      >>> split_sentences('Dr. Smith arrived. "It works!" she said? 今天很好。明天下雨！')
      ['Dr. Smith arrived.', '"It works!" she said?', '今天很好。', '明天下雨！']
    """
    for pattern, replacement in SPLIT_RULES:
        text = re.sub(pattern, replacement, text)
    return [s.strip() for s in text.split(BOUNDARY) if s.strip()]


def split_sentences_tf(texts: tf.Tensor) -> tf.RaggedTensor:
    """In-graph `split_sentences`: tf.string [batch] -> tf.string [batch, (sentences)]."""
    for pattern, replacement in SPLIT_RULES:
        texts = tf.strings.regex_replace(texts, pattern, replacement)
    sentences = tf.strings.strip(tf.strings.split(texts, BOUNDARY))
    return tf.ragged.boolean_mask(sentences, tf.strings.length(sentences) > 0)


# ---------------------------------------------------------------------------------------------
# Reading


class SummarizationDataError(DataError):
    """A summarization data file is missing, empty or malformed."""


@dataclasses.dataclass
class SumExample:
    """One document: its sentences and, when known, the reference summary's sentences.

    `where` names the file (and line) it came from, for messages.
    """

    guid: str
    sentences: list[str]
    summary: list[str] | None = None
    where: str = ""


def _read_lines(path: str) -> list[str]:
    text = bert_io.read_text(path, "summarization data file", SummarizationDataError)
    if not text.strip():
        raise SummarizationDataError(f"summarization data file {path!r} is empty")
    return [line.rstrip("\r") for line in text.split("\n")]


def _sentences(value, key: str, where: str) -> list[str]:
    """A JSON field holding text (split into sentences) or a list of sentences."""
    if isinstance(value, str):
        return split_sentences(value)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return [s.strip() for s in value if s.strip()]
    raise SummarizationDataError(f"{where}: {key!r} must be a string or a list of strings")


def read_jsonl(path: str, require_summary: bool = False) -> list[SumExample]:
    """JSON lines: {"text": "..."} or {"sentences": [...]}, plus "summary" (text or list).

    An optional "id" names the document. Blank lines are skipped.
    """
    examples = []
    for n, line in enumerate(_read_lines(path), start=1):
        if not line.strip():
            continue
        where = f"{path}, line {n}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            raise SummarizationDataError(f"{where}: not valid JSON: {e.msg}") from None
        key = next((k for k in ("sentences", "text") if isinstance(obj, dict) and k in obj), None)
        if key is None:
            raise SummarizationDataError(f"{where}: expected an object with \"text\" or "
                                         "\"sentences\" (and \"summary\")")
        sentences = _sentences(obj[key], key, where)
        if not sentences:
            raise SummarizationDataError(f"{where}: the document has no sentences")
        summary = None
        if "summary" in obj:
            summary = _sentences(obj["summary"], "summary", where)
            if require_summary and not summary:
                raise SummarizationDataError(f"{where}: the \"summary\" is empty")
        elif require_summary:
            raise SummarizationDataError(f"{where}: no \"summary\", but this file needs one")
        examples.append(SumExample(str(obj.get("id", f"{os.path.basename(path)}-{n}")),
                                   sentences, summary, where))
    return examples


def read_story(path: str) -> SumExample:
    """A CNN/DailyMail `.story` file: article paragraphs, then `@highlight` blocks."""
    lines = _read_lines(path)
    article, highlights, in_highlight = [], [], False
    for line in lines:
        line = line.strip()
        if line == "@highlight":
            in_highlight = True
            highlights.append("")
        elif in_highlight:
            if line:
                highlights[-1] = f"{highlights[-1]} {line}".strip()
        else:
            article.append(line)
    summary = [h for h in highlights if h]
    if not summary:
        raise SummarizationDataError(f"{path}: no @highlight lines (the summary of a .story)")
    sentences = split_sentences("\n".join(article).replace("\n", "\n\n"))
    if not sentences:
        raise SummarizationDataError(f"{path}: the article has no sentences")
    return SumExample(os.path.basename(path).removesuffix(".story"), sentences, summary, path)


def read_stories(path: str) -> list[SumExample]:
    """A `.story` file, or a directory of them (sorted by name)."""
    if tf.io.gfile.isdir(path):
        files = sorted(tf.io.gfile.glob(os.path.join(path, "*.story")))
        if not files:
            raise SummarizationDataError(f"directory {path!r} holds no .story files")
        return [read_story(f) for f in files]
    return [read_story(path)]


def read_text(path: str) -> list[SumExample]:
    """Plain text for prediction: one document per non-empty line, split into sentences."""
    examples = [SumExample(f"{os.path.basename(path)}-{n}", split_sentences(line), None,
                           f"{path}, line {n}")
                for n, line in enumerate(_read_lines(path), start=1) if line.strip()]
    return examples


def read_examples(path: str, require_summary: bool = False) -> list[SumExample]:
    """By name: `.jsonl`/`.json` (read_jsonl), `.story` or a directory (read_stories),
    anything else plain text (read_text, no summaries)."""
    if tf.io.gfile.isdir(path) or path.endswith(".story"):
        return read_stories(path)
    if path.lower().endswith((".jsonl", ".json")):
        return read_jsonl(path, require_summary)
    if require_summary:
        raise SummarizationDataError(f"{path}: plain text has no summaries; training and "
                                     "evaluation need .jsonl or .story files")
    return read_text(path)


# ---------------------------------------------------------------------------------------------
# Oracle labels and selection

CJK = "[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]"
_ORACLE_TOKEN = re.compile(f"{CJK}|[^\\W_]+")


def rouge_tokens(text: str) -> list[str]:
    """Lowercased words of letters and digits, one token per CJK character (no stemming,
    as PreSumm's oracle)."""
    return _ORACLE_TOKEN.findall(text.lower())


def _ngrams(tokens: Sequence[str], n: int) -> collections.Counter:
    return collections.Counter(zip(*(tokens[i:] for i in range(n))))


def _f1(candidate: collections.Counter, reference: collections.Counter) -> float:
    overlap = sum((candidate & reference).values())
    if not overlap:
        return 0.0
    precision, recall = overlap / sum(candidate.values()), overlap / sum(reference.values())
    return 2 * precision * recall / (precision + recall)


def oracle_score(sentences: Sequence[Sequence[str]], chosen: Iterable[int],
                 summary: Sequence[str]) -> float:
    """ROUGE-1 F + ROUGE-2 F of the chosen tokenized sentences against the summary tokens."""
    chosen = sorted(chosen)
    uni, bi = collections.Counter(), collections.Counter()
    for i in chosen:
        uni += _ngrams(sentences[i], 1)
        bi += _ngrams(sentences[i], 2)
    return _f1(uni, _ngrams(summary, 1)) + _f1(bi, _ngrams(summary, 2))


def greedy_oracle(sentences: Sequence[str], summary: Sequence[str], max_sentences: int = 3
                  ) -> list[int]:
    """PreSumm's greedy_selection: indices (ascending) of the oracle summary.

    Adds, one at a time, the sentence that most increases ROUGE-1 F + ROUGE-2 F
    (n-gram counts, as rouge-score) of the selection against the reference; stops
    when no sentence improves it or `max_sentences` are chosen.
    """
    tokens = [rouge_tokens(s) for s in sentences]
    reference = rouge_tokens(" ".join(summary))
    ref1, ref2 = _ngrams(reference, 1), _ngrams(reference, 2)
    grams = [(_ngrams(t, 1), _ngrams(t, 2)) for t in tokens]
    chosen: list[int] = []
    uni, bi = collections.Counter(), collections.Counter()
    best = 0.0
    for _ in range(max_sentences):
        pick, pick_score = None, best
        for i, (g1, g2) in enumerate(grams):
            if i in chosen:
                continue
            score = _f1(uni + g1, ref1) + _f1(bi + g2, ref2)
            if score > pick_score:
                pick, pick_score = i, score
        if pick is None:
            break
        chosen.append(pick)
        uni, bi, best = uni + grams[pick][0], bi + grams[pick][1], pick_score
    return sorted(chosen)


# ASCII punctuation and the common CJK marks.
BLOCK_PUNCT = ("[!-/:-@\\[-`{-~"
               "\u3001\u3002\uff0c\uff01\uff1f\uff1b\uff1a\u300c\u300d\u300e\u300f\uff08\uff09]")


def block_words(sentence: str) -> list[str]:
    """The words trigram blocking compares: lowercased, punctuation dropped, one per CJK
    character (the same rules as the exported graph's)."""
    text = re.sub(BLOCK_PUNCT, " ", sentence.lower())
    return re.sub(f"({CJK})", " \\1 ", text).split()


def trigrams(sentence: str) -> set[tuple[str, ...]]:
    words = block_words(sentence)
    return set(zip(words, words[1:], words[2:]))


def select_sentences(sentences: Sequence[str], scores: Sequence[float], max_sentences: int = 3,
                     block_trigram: bool = True) -> list[int]:
    """The summary: highest scores first, skipping a sentence that shares a trigram with
    one already chosen (PreSumm's _block_tri); at most `max_sentences`, returned in
    document order. `scores` covers the sentences the model saw (a prefix)."""
    chosen: list[int] = []
    seen: list[set] = []
    for i in sorted(range(len(scores)), key=lambda i: (-scores[i], i)):
        if len(chosen) >= max_sentences:
            break
        grams = trigrams(sentences[i])
        if block_trigram and any(grams & s for s in seen):
            continue
        chosen.append(i)
        seen.append(grams)
    return sorted(chosen)


# ---------------------------------------------------------------------------------------------
# Features


@dataclasses.dataclass
class SumFeatures:
    """One document packed as `[CLS] s1 [SEP] [CLS] s2 [SEP] ...`, padded.

    input_ids, input_mask, segment_ids: int lists [max_seq_length].
    cls_positions, sentence_mask, labels: int lists [max_sentences]; label 1 marks an
    oracle sentence. `num_sentences` sentences were kept; `cut_sentences` did not fit
    and `cut_tokens` wordpieces (of kept and cut sentences) were dropped.
    """

    input_ids: list[int]
    input_mask: list[int]
    segment_ids: list[int]
    cls_positions: list[int]
    sentence_mask: list[int]
    labels: list[int]
    num_sentences: int
    cut_sentences: int
    cut_tokens: int

    def to_record(self) -> dict[str, list[int]]:
        return {name: getattr(self, name) for name in
                ("input_ids", "input_mask", "segment_ids", "cls_positions", "sentence_mask",
                 "labels")}


def pack_sentences(piece_ids: Sequence[Sequence[int]], cls_id: int, sep_id: int,
                   max_seq_length: int, max_sentences: int
                   ) -> tuple[list[int], list[int], list[int]]:
    """Sentences' wordpiece ids -> (ids, segment ids, cls positions), unpadded.

    A sentence is kept while [CLS], at least one piece (if it has any) and [SEP] fit;
    its pieces are cut to what fits. The exported graph packs by the same rule.
    """
    ids, segments, positions = [], [], []
    for i, pieces in enumerate(piece_ids[:max_sentences]):
        room = max_seq_length - len(ids) - 2
        if room < min(len(pieces), 1):
            break
        positions.append(len(ids))
        ids += [cls_id, *pieces[:room], sep_id]
        segments += [i % 2] * (min(len(pieces), room) + 2)
    return ids, segments, positions


def convert_example(example: SumExample, tokenizer: tokenization.FullTokenizer,
                    max_seq_length: int, max_sentences: int, oracle_sentences: int = 3
                    ) -> SumFeatures:
    """Tokenizes, packs and (when the example has a summary) labels one document."""
    pieces = [tokenizer.convert_tokens_to_ids(tokenizer.tokenize(s)) for s in example.sentences]
    ids, segments, positions = pack_sentences(pieces, tokenizer.vocab["[CLS]"],
                                              tokenizer.vocab["[SEP]"], max_seq_length,
                                              max_sentences)
    kept = len(positions)
    labels = [0] * max_sentences
    if example.summary:
        for i in greedy_oracle(example.sentences[:kept], example.summary, oracle_sentences):
            labels[i] = 1
    pad = max_seq_length - len(ids)
    pad_s = max_sentences - kept
    cut_tokens = sum(len(p) for p in pieces) - (len(ids) - 2 * kept)
    return SumFeatures(ids + [0] * pad, [1] * len(ids) + [0] * pad, segments + [0] * pad,
                       positions + [0] * pad_s, [1] * kept + [0] * pad_s, labels, kept,
                       len(example.sentences) - kept, cut_tokens)


def convert_examples(examples: Sequence[SumExample], tokenizer: tokenization.FullTokenizer,
                     max_seq_length: int, max_sentences: int, oracle_sentences: int = 3
                     ) -> list[SumFeatures]:
    return [convert_example(e, tokenizer, max_seq_length, max_sentences, oracle_sentences)
            for e in examples]


def name_to_features(max_seq_length: int, max_sentences: int) -> dict:
    from bert_tf.data import records

    return records.fixed_features({
        **{name: (max_seq_length, tf.int64) for name in ("input_ids", "input_mask", "segment_ids")},
        **{name: (max_sentences, tf.int64) for name in ("cls_positions", "sentence_mask",
                                                          "labels")}})


def lead(sentences: Sequence[str], n: int = 3) -> list[int]:
    """Lead-n: the first n sentences."""
    return list(range(min(n, len(sentences))))


def summary_text(sentences: Sequence[str], chosen: Iterable[int]) -> str:
    """Chosen sentences, newline-separated (rougeLsum's sentence boundaries)."""
    return "\n".join(sentences[i] for i in chosen)


def counts(features: Sequence[SumFeatures]) -> dict[str, int]:
    """Totals of kept and cut sentences and cut wordpieces, for the logs."""
    return {"documents": len(features),
            "sentences_kept": int(np.sum([f.num_sentences for f in features])),
            "sentences_cut": int(np.sum([f.cut_sentences for f in features])),
            "wordpieces_cut": int(np.sum([f.cut_tokens for f in features])),
            "documents_cut": int(np.sum([f.cut_sentences > 0 or f.cut_tokens > 0
                                         for f in features]))}
