"""WordPiece tokenization, token for token the same as the original `tokenization.py`.

The original walks every character through `unicodedata` on every call. Here the
character classes are computed once (from the same `unicodedata` tables) into
regular expressions, and the result of tokenizing each whitespace-separated
word is cached, because natural text repeats words constantly. The per-word
algorithm on a cache miss is the original's, so outputs are identical.
"""

from __future__ import annotations

import collections
import functools
import itertools
import re
import unicodedata
from typing import Iterable

import tensorflow as tf
from bert_tf.errors import DataError, UsageError

# Checkpoint directory names of the original releases, by casing.
_LOWER_MODELS = (
    "uncased_L-24_H-1024_A-16", "uncased_L-12_H-768_A-12", "multilingual_L-12_H-768_A-12",
    "chinese_L-12_H-768_A-12", "wwm_uncased_L-24_H-1024_A-16",
)
_CASED_MODELS = (
    "cased_L-12_H-768_A-12", "cased_L-24_H-1024_A-16", "multi_cased_L-12_H-768_A-12",
    "wwm_cased_L-24_H-1024_A-16",
)

# The original's "Chinese character" code-point ranges (CJK Unified Ideographs and
# extensions, compatibility ideographs). Hangul, Hiragana and Katakana are not in it.
_CJK_RANGES = (
    (0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0x20000, 0x2A6DF), (0x2A700, 0x2B73F),
    (0x2B740, 0x2B81F), (0x2B820, 0x2CEAF), (0xF900, 0xFAFF), (0x2F800, 0x2FA1F),
)
_CJK_RE = re.compile("[" + "".join(f"{chr(a)}-{chr(b)}" for a, b in _CJK_RANGES) + "]")

# Bound on the word cache so a huge corpus of unique strings cannot exhaust memory.
_CACHE_SIZE = 1 << 20


class VocabError(DataError):
    """The vocabulary file is missing, unreadable or does not fit the model."""


def validate_case_matches_checkpoint(do_lower_case: bool, init_checkpoint: str | None) -> None:
    """Refuses a `do_lower_case` that contradicts a known original checkpoint.

    Recognises `.../<model_name>/bert_model.ckpt` (the original's rule) and a bare
    registry name such as `uncased_L-12_H-768_A-12`.
    """
    if not init_checkpoint:
        return
    m = re.match("^.*?([A-Za-z0-9_-]+)/bert_model.ckpt", init_checkpoint)
    model_name = m.group(1) if m else init_checkpoint.rstrip("/").split("/")[-1]
    if model_name in _LOWER_MODELS and not do_lower_case:
        actual, case_name, opposite = "False", "lowercased", "True"
    elif model_name in _CASED_MODELS and do_lower_case:
        actual, case_name, opposite = "True", "cased", "False"
    else:
        return
    raise UsageError(
        f"You passed in `--do_lower_case={actual}` with `--init_checkpoint={init_checkpoint}`. "
        f"However, `{model_name}` seems to be a {case_name} model, so you should pass in "
        f"`--do_lower_case={opposite}` so that the fine-tuning matches how the model was "
        "pre-training.")


def convert_to_unicode(text: str | bytes) -> str:
    """Converts `text` to str, assuming utf-8 input (invalid bytes dropped)."""
    if isinstance(text, str):
        return text
    if isinstance(text, bytes):
        return text.decode("utf-8", "ignore")
    raise ValueError(f"Unsupported string type: {type(text)}")


printable_text = convert_to_unicode


def load_vocab(vocab_file: str) -> "collections.OrderedDict[str, int]":
    """Loads a vocabulary file (one token per line) into an ordered token -> id dict."""
    if not tf.io.gfile.exists(vocab_file):
        raise VocabError(f"vocab file {vocab_file!r} does not exist")
    with tf.io.gfile.GFile(vocab_file, "rb") as f:
        data = f.read()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise VocabError(f"vocab file {vocab_file!r} is not UTF-8 text: {e}") from None
    vocab: collections.OrderedDict[str, int] = collections.OrderedDict()
    # The original reads with readline(), so lines end at "\n" only; a later
    # duplicate token takes the later id, as in the original.
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    for index, line in enumerate(lines):
        vocab[line.strip()] = index
    if not vocab:
        raise VocabError(f"vocab file {vocab_file!r} is empty")
    return vocab


def convert_by_vocab(vocab: dict, items: Iterable) -> list:
    """Converts a sequence of tokens or ids through `vocab`."""
    try:
        return [vocab[item] for item in items]
    except KeyError as e:
        raise DataError(f"{e.args[0]!r} is not in the vocabulary") from None


def convert_tokens_to_ids(vocab: dict, tokens: Iterable[str]) -> list[int]:
    return convert_by_vocab(vocab, tokens)


def convert_ids_to_tokens(inv_vocab: dict, ids: Iterable[int]) -> list[str]:
    return convert_by_vocab(inv_vocab, ids)


def whitespace_tokenize(text: str) -> list[str]:
    """Strips and splits on whitespace (Python's definition, as the original)."""
    return text.split()


class FullTokenizer:
    """Basic tokenization followed by WordPiece: text -> list of wordpieces."""

    def __init__(self, vocab_file: str, do_lower_case: bool = True):
        self.vocab_file = vocab_file
        self.vocab = load_vocab(vocab_file)
        self.inv_vocab = {v: k for k, v in self.vocab.items()}
        self.basic_tokenizer = BasicTokenizer(do_lower_case=do_lower_case)
        self.wordpiece_tokenizer = WordpieceTokenizer(vocab=self.vocab)
        missing = [t for t in ("[UNK]", "[CLS]", "[SEP]") if t not in self.vocab]
        if missing:
            raise VocabError(f"vocab file {vocab_file!r} lacks the special tokens {missing}")
        self._cache: dict[str, list[str]] = {}

    @property
    def do_lower_case(self) -> bool:
        return self.basic_tokenizer.do_lower_case

    def tokenize(self, text: str | bytes) -> list[str]:
        """Text -> wordpieces, e.g. "Unaffable!" -> ["una", "##ffa", "##ble", "!"]."""
        cache = self._cache
        out: list[str] = []
        for word in self.basic_tokenizer.split_words(text):
            pieces = cache.get(word)
            if pieces is None:
                pieces = []
                for token in self.basic_tokenizer.tokenize_word(word):
                    pieces.extend(self.wordpiece_tokenizer.tokenize_token(token))
                if len(cache) >= _CACHE_SIZE:
                    cache.clear()
                cache[word] = pieces
            out.extend(pieces)
        return out

    def convert_tokens_to_ids(self, tokens: Iterable[str]) -> list[int]:
        return convert_by_vocab(self.vocab, tokens)

    def convert_ids_to_tokens(self, ids: Iterable[int]) -> list[str]:
        return convert_by_vocab(self.inv_vocab, ids)


class BasicTokenizer:
    """Cleans text, splits CJK characters, punctuation and whitespace; optionally lowercases.

    Lowercasing also strips accents (NFD, then drop combining marks), as the
    original does for its uncased models.
    """

    def __init__(self, do_lower_case: bool = True):
        self.do_lower_case = do_lower_case

    def tokenize(self, text: str | bytes) -> list[str]:
        out: list[str] = []
        for word in self.split_words(text):
            out.extend(self.tokenize_word(word))
        return out

    def split_words(self, text: str | bytes) -> list[str]:
        """Cleans text, pads CJK characters with spaces and splits on whitespace."""
        text = _clean_text(convert_to_unicode(text))
        # Added by the original on 2018-11-01 for the multilingual and Chinese models.
        text = _CJK_RE.sub(r" \g<0> ", text)
        return text.split()

    def tokenize_word(self, word: str) -> list[str]:
        """One whitespace-free word -> lowercased, accent-stripped, punctuation-split tokens."""
        if self.do_lower_case:
            word = _strip_accents(word.lower())
        return " ".join(_split_on_punc(word)).split()


class WordpieceTokenizer:
    """Greedy longest-match-first WordPiece, e.g. "unaffable" -> ["un", "##aff", "##able"]."""

    def __init__(self, vocab: dict[str, int], unk_token: str = "[UNK]",
                 max_input_chars_per_word: int = 200):
        self.vocab = vocab
        self.unk_token = unk_token
        self.max_input_chars_per_word = max_input_chars_per_word
        # No vocab entry is longer than this, so longer candidates need no lookup.
        self._max_piece_chars = max((len(t) for t in vocab), default=0)

    def tokenize(self, text: str | bytes) -> list[str]:
        """Whitespace-separated tokens (already basic-tokenized) -> wordpieces."""
        out: list[str] = []
        for token in convert_to_unicode(text).split():
            out.extend(self.tokenize_token(token))
        return out

    def tokenize_token(self, token: str) -> list[str]:
        n = len(token)
        if n > self.max_input_chars_per_word:
            return [self.unk_token]
        vocab, max_chars = self.vocab, self._max_piece_chars
        pieces = []
        start = 0
        while start < n:
            prefix = "##" if start > 0 else ""
            end = min(n, start + max_chars - len(prefix))
            while start < end:
                piece = prefix + token[start:end]
                if piece in vocab:
                    break
                end -= 1
            else:
                return [self.unk_token]
            pieces.append(piece)
            start = end
        return pieces


def _is_whitespace(char: str) -> bool:
    # \t, \n and \r are control characters, but count as whitespace here.
    return char in " \t\n\r" or unicodedata.category(char) == "Zs"


def _is_control(char: str) -> bool:
    if char in "\t\n\r":
        return False
    return unicodedata.category(char) in ("Cc", "Cf")


def _is_punctuation(char: str) -> bool:
    # All non-letter/number ASCII counts as punctuation ("^", "$", "`" too), for consistency.
    cp = ord(char)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(char).startswith("P")


def scanned_code_points() -> itertools.chain:
    """Code points a scan of every character's class must visit (surrogates included).

    Planes 4-13 hold no assigned characters and 15-16 only private use (Co), so
    skipping them changes no class and makes scans 4x faster.
    """
    return itertools.chain(range(0x40000), range(0xE0000, 0xF0000))


@functools.lru_cache(maxsize=None)
def character_classes() -> dict[str, str]:
    """The original's character classes, from one scan of `unicodedata`.

    "drop": removed by clean_text (NUL, U+FFFD, Cc/Cf controls except tab/newline/CR);
    "space": turned into " " by clean_text (space, tab, newline, CR, Zs);
    "punct": split off as single tokens (ASCII symbols and Unicode P*);
    "mark": combining marks (Mn), dropped with the accents when lowercasing;
    "split": what str.split() splits on (Python's isspace).
    """
    classes: dict[str, list[str]] = {k: [] for k in ("drop", "space", "punct", "mark", "split")}
    for cp in scanned_code_points():
        c = chr(cp)
        if cp == 0 or cp == 0xFFFD or _is_control(c):
            classes["drop"].append(c)
        elif _is_whitespace(c):
            classes["space"].append(c)
        if _is_punctuation(c):
            classes["punct"].append(c)
        if unicodedata.category(c) == "Mn":
            classes["mark"].append(c)
        if c.isspace():
            classes["split"].append(c)
    return {k: "".join(v) for k, v in classes.items()}


def _char_class(chars: str) -> str:
    return "[" + "".join(re.escape(c) for c in chars) + "]"


@functools.lru_cache(maxsize=None)
def _tables() -> tuple[re.Pattern, re.Pattern, re.Pattern]:
    """Regexes for characters to drop, whitespace, and punctuation."""
    classes = character_classes()
    p = _char_class(classes["punct"])
    return (re.compile(_char_class(classes["drop"])), re.compile(_char_class(classes["space"])),
            re.compile(f"{p}|[^{p[1:-1]}]+"))


def _clean_text(text: str) -> str:
    """Drops NUL, U+FFFD and control characters; maps whitespace to a space."""
    drop, space, _ = _tables()
    if not text.isascii() or not text.isprintable():
        text = space.sub(" ", drop.sub("", text))
    return text


def _strip_accents(text: str) -> str:
    text = unicodedata.normalize("NFD", text)
    return "".join(c for c in text if unicodedata.category(c) != "Mn")


def _split_on_punc(text: str) -> list[str]:
    """Each punctuation character becomes its own token, e.g. "a.b" -> ["a", ".", "b"]."""
    return _tables()[2].findall(text)
