"""Learning a BERT WordPiece vocabulary from raw text, and extending one for a domain.

The pieces are learned by tensorflow-text's learner (`wordpiece_tokenizer_learner_lib`,
as `bert_vocab_from_dataset` calls it).
Words are split, lower-cased and accent-stripped by bert_tf's own BasicTokenizer
first, so the vocab matches what FullTokenizer / BertPreprocessor see; the learner
then only sees whitespace-separated words (lower_case=False, no re-normalization).

Layout, as in the released uncased vocab: [PAD], [unused0..98], [UNK], [CLS], [SEP],
[MASK], [unused99..N-1], then the learned pieces (single characters included).
"""

from __future__ import annotations

import collections
import dataclasses
import inspect
from typing import Iterable, Iterator, Sequence

from absl import logging
import tensorflow as tf

from bert_tf import tokenization
from bert_tf.data import pretraining
from bert_tf.errors import DataError, UsageError
from bert_tf.io import atomic_open

SPECIAL_TOKENS = ("[UNK]", "[CLS]", "[SEP]", "[MASK]")


def reserved_tokens(num_unused: int) -> list[str]:
    """The released uncased vocab's head: [PAD], [unused0..98], [UNK], [CLS], [SEP], [MASK],
    [unused99..num_unused-1] (ids 100-103 for the specials, as the uncased models expect)."""
    unused = [f"[unused{i}]" for i in range(num_unused)]
    return ["[PAD]"] + unused[:99] + list(SPECIAL_TOKENS) + unused[99:]


def check_vocab_size(vocab_size: int, num_unused: int) -> list[str]:
    """The reserved tokens, refusing a vocab_size with no room for learned pieces."""
    reserved = reserved_tokens(num_unused)
    if vocab_size <= len(reserved):
        raise UsageError(f"--vocab_size={vocab_size} must exceed --num_unused + "
                         f"{len(SPECIAL_TOKENS) + 1} reserved tokens ({len(reserved)})")
    return reserved


def unused_slots(base_tokens: Sequence[str], max_new_tokens: int) -> list[int]:
    """The ids of the [unusedN] slots, refusing a vocab with fewer than `max_new_tokens`."""
    unused = [i for i, t in enumerate(base_tokens) if t.startswith("[unused") and t.endswith("]")]
    if len(unused) < max_new_tokens:
        raise UsageError(f"--max_new_tokens={max_new_tokens}: the base vocab has only "
                         f"{len(unused)} [unusedN] slots")
    return unused


def read_words(input_files: Sequence[str], do_lower_case: bool = True,
               max_input_lines: int = 0) -> Iterator[list[str]]:
    """Per non-empty input line: its words as BasicTokenizer splits and normalizes them.

    Lines are read by create_pretraining_data's reader (the same "\\r" rule), except
    that lines which are not UTF-8 are skipped and counted in a warning per file.
    """
    basic = tokenization.BasicTokenizer(do_lower_case=do_lower_case)
    n = 0
    for path in input_files:
        invalid = 0
        try:
            for _, text in pretraining._decoded_lines(path, skip_invalid=True):
                if text is None:
                    invalid += 1
                    continue
                if not text:
                    continue
                n += 1
                if n % 100000 == 0:
                    logging.info("Read %d lines", n)
                yield basic.tokenize(text)
                if max_input_lines and n >= max_input_lines:
                    return
        finally:  # also when max_input_lines stops the read
            if invalid:
                logging.warning("%s: skipped %d lines that are not UTF-8 text", path, invalid)


# tensorflow-text's learner ignores candidate pieces seen fewer times than its lower_thresh
# (10): on a small corpus it stops far short of vocab_size. --min_count lowers it.
DEFAULT_MIN_COUNT = 10


def _search_bounds(counts: collections.Counter, vocab_size: int, num_reserved: int,
                   min_count: int) -> tuple[int, int]:
    """The learner's frequency-threshold bisection bounds after the trials it need not run.

    tensorflow-text's learner bisects [lower, upper] (upper: the most frequent word's
    count, millions on 100 MB) for a threshold whose trial vocabulary (4 passes over every
    distinct word) has 95-100% of vocab_size tokens; a trial below 95% makes upper =
    threshold - 1. A trial vocabulary holds at most M / threshold pieces, M = sum over
    words of count * len * (len + 1) / 2 (each pass counts at most every substring of every
    word), plus the characters twice (bare and ##) and the reserved tokens. The trials
    where that bound is below 95% are skipped here exactly as the learner would decide
    them, so it then returns the vocab it would have returned from the full range.
    """
    from tensorflow_text.tools.wordpiece_vocab import wordpiece_tokenizer_learner_lib as learner

    default_upper = inspect.signature(learner.learn).parameters["upper_thresh"].default
    upper, lower = learner.get_search_threshs(counts.items(), default_upper, min_count)
    mass = sum(c * len(w) * (len(w) + 1) // 2 for w, c in counts.items())
    fixed = num_reserved + 2 * len(learner.extract_char_tokens(counts.items())) + 1
    while lower < upper and (lower + upper) // 2 > 1:
        thresh = (lower + upper) // 2
        if mass // thresh + fixed >= 0.95 * vocab_size:
            break
        upper = thresh - 1
    return lower, upper


def learn_vocab(input_files: Sequence[str], vocab_size: int = 30522, do_lower_case: bool = True,
                num_unused: int = 994, max_input_lines: int = 0,
                min_count: int = DEFAULT_MIN_COUNT) -> list[str]:
    """Learns a WordPiece vocab (list of `vocab_size` or fewer tokens, reserved first).

    min_count: the learner's lower frequency bound (`lower_thresh`): a piece seen
    fewer times in the text is never added, whatever room vocab_size leaves.
    """
    if min_count < 1:
        raise UsageError(f"--min_count={min_count}: expected a count of at least 1")
    reserved = check_vocab_size(vocab_size, num_unused)
    lines = (" ".join(words) for words in read_words(input_files, do_lower_case, max_input_lines))
    lines = (line for line in lines if line)
    first = next(lines, None)
    if first is None:
        raise DataError(f"--input_file: no text in {', '.join(input_files)}")

    def gen() -> Iterator[str]:
        yield first
        yield from lines

    from tensorflow_text.python.ops.bert_tokenizer import BasicTokenizer
    from tensorflow_text.tools.wordpiece_vocab import wordpiece_tokenizer_learner_lib as learner

    # bert_vocab_from_dataset's two steps, with the threshold search's first trials skipped
    # where they cannot succeed (`_search_bounds`): the same vocab, in fewer passes.
    ds = tf.data.Dataset.from_generator(gen, output_signature=tf.TensorSpec((), tf.string))
    counts = learner.count_words(ds.batch(1000).map(BasicTokenizer(lower_case=False).tokenize)
                                 .prefetch(2))
    lower, upper = _search_bounds(counts, vocab_size, len(reserved), min_count)
    vocab = learner.learn(counts, vocab_size, reserved, upper_thresh=upper, lower_thresh=lower)
    if len(vocab) > vocab_size:  # the learner keeps every character even past vocab_size
        raise UsageError(f"--vocab_size={vocab_size} is smaller than the alphabet plus the "
                         f"{len(reserved)} reserved tokens (needs {len(vocab)})")
    if len(vocab) < 0.95 * vocab_size:  # the learner's own slack is 5%
        logging.warning("Learned %d of --vocab_size=%d tokens: the text has too few pieces seen "
                        "at least --min_count=%d times. Lower --min_count, or give more text",
                        len(vocab), vocab_size, min_count)
    return list(vocab)


def write_vocab(tokens: Iterable[str], output_file: str) -> None:
    """Writes one token a line atomically: no partial vocab.txt after an error."""
    with atomic_open(output_file) as f:
        for token in tokens:
            f.write(token + "\n")


@dataclasses.dataclass
class ExtensionReport:
    """What `extend_vocab` changed."""
    added: list[str]
    pieces_per_word_before: float
    pieces_per_word_after: float

    def __str__(self) -> str:
        return (f"added {len(self.added)} words; wordpieces/word "
                f"{self.pieces_per_word_before:.3f} -> {self.pieces_per_word_after:.3f}")


def _pieces_per_word(counts: collections.Counter, vocab: dict[str, int]) -> float:
    wp = tokenization.WordpieceTokenizer(vocab=vocab)
    total = sum(counts.values())
    return sum(len(wp.tokenize_token(w)) * c for w, c in counts.items()) / max(total, 1)


def extend_vocab(base_tokens: Sequence[str], input_files: Sequence[str], max_new_tokens: int,
                 do_lower_case: bool = True, max_input_lines: int = 0,
                 min_pieces: int = 3) -> tuple[list[str], ExtensionReport]:
    """Puts the `max_new_tokens` most frequent domain words that the base vocab splits
    into >= `min_pieces` pieces (or [UNK]) into the [unusedN] slots, in order.

    Size and every other line stay the same, so a checkpoint's embedding rows still
    line up; the new rows start from the checkpoint's [unused] rows.
    """
    unused = unused_slots(base_tokens, max_new_tokens)
    vocab = {t: i for i, t in enumerate(base_tokens)}
    counts: collections.Counter = collections.Counter()
    for words in read_words(input_files, do_lower_case, max_input_lines):
        counts.update(words)
    if not counts:
        raise DataError(f"--input_file: no text in {', '.join(input_files)}")
    wp = tokenization.WordpieceTokenizer(vocab=vocab)
    candidates = []
    for w, _ in counts.most_common():
        if w in vocab:
            continue
        pieces = wp.tokenize_token(w)
        if len(pieces) >= min_pieces or pieces == ["[UNK]"]:
            candidates.append(w)
            if len(candidates) == max_new_tokens:
                break
    out = list(base_tokens)
    for slot, w in zip(unused, candidates):
        out[slot] = w
    before = _pieces_per_word(counts, vocab)
    after = _pieces_per_word(counts, {t: i for i, t in enumerate(out)})
    return out, ExtensionReport(candidates, before, after)
