"""In-graph BERT preprocessing with tensorflow-text: the ids of `tokenization.FullTokenizer`.

`BertPreprocessor` turns raw strings into `input_word_ids`, `input_mask` and
`input_type_ids` inside a TensorFlow graph, so a SavedModel can take text. Every
step reproduces the original Python tokenizer:

  clean text     drop NUL, U+FFFD and controls; whitespace (incl. Zs) -> " "
  CJK            spaces around the original's CJK ideograph ranges
  lower case     lower, NFD, drop combining marks (Mn)      (uncased models)
  split          on Python whitespace and on punctuation (kept as tokens)
  WordPiece      greedy longest match, "##" continuations, > 200 characters -> [UNK]
  pack           [CLS] a [SEP] (b [SEP]), pairs truncated from the longer side

Two paths give the same ids. Most lines take one C++ pass: tensorflow-text's
FastBertNormalizer driven by a character table holding the original's result for
every character (built here), then FastWordpiece, which splits and runs WordPiece.
Lines the table cannot settle (final sigma, reordering marks, words that may pass
200 characters, malformed UTF-8) take the exact path: regex steps with the Python
tokenizer's own character classes (`tokenization.character_classes`), where the few
lower-case and NFD mappings that differ between Python's Unicode tables and
TensorFlow's ICU are corrected with explicit tables.
"""

from __future__ import annotations

import functools
import unicodedata
from typing import Sequence

import numpy as np
import tensorflow as tf
import tensorflow_text as tf_text

from bert_tf import tokenization

MAX_CHARS_PER_WORD = 200  # the original WordpieceTokenizer's max_input_chars_per_word
_CJK_CLASS = "[" + "".join(f"\\x{{{a:x}}}-\\x{{{b:x}}}" for a, b in tokenization._CJK_RANGES) + "]"
# Private-use code points that stand in for characters whose NFD differs between
# Python and ICU while NFD runs (private use is never decomposed).
_PLACEHOLDER_BASE = 0xF0000


def _characters() -> list[str]:
    """Every scanned character that UTF-8 can carry (no surrogates)."""
    return [chr(cp) for cp in tokenization.scanned_code_points() if not 0xD800 <= cp < 0xE000]


def _re2_class(chars: str) -> str:
    """A RE2 character class of `chars`, as \\x{...} ranges."""
    cps = sorted({ord(c) for c in chars})
    ranges, start, prev = [], None, None
    for cp in cps:
        if start is None:
            start = prev = cp
        elif cp == prev + 1:
            prev = cp
        else:
            ranges.append((start, prev))
            start = prev = cp
    if start is not None:
        ranges.append((start, prev))
    body = "".join(f"\\x{{{a:x}}}" if a == b else f"\\x{{{a:x}}}-\\x{{{b:x}}}" for a, b in ranges)
    return f"[{body}]"


@functools.lru_cache(maxsize=None)
def _fixups() -> tuple[dict[int, int], dict[int, int]]:
    """Where TensorFlow's lower() or NFD disagree with Python's, over all code points.

    Both are Unicode-version differences (characters one side does not know yet).
    Returns {code point: Python's lower() of it} and {code point: Python's NFD of it},
    each a single character; during the TensorFlow op these characters are hidden
    behind private-use placeholders and then replaced by Python's result.
    """
    chars = _characters()
    lowered = tf.strings.lower(tf.constant(chars), encoding="utf-8").numpy()
    nfd = tf_text.normalize_utf8(tf.constant(chars), "NFD").numpy()
    lower, decompose = {}, {}
    for c, lo, d in zip(chars, lowered, nfd):
        cp = ord(c)
        for table, ours, theirs in ((lower, c.lower(), lo), (decompose, unicodedata.normalize(
                "NFD", c), d)):
            if ours != theirs.decode("utf-8", "replace"):
                if len(ours) != 1:
                    raise NotImplementedError(f"U+{cp:04X}: TensorFlow's Unicode tables differ "
                                              "from Python's in a way this module cannot mend")
                table[cp] = ord(ours)
    return lower, decompose


class _CodePointMap(tf.Module):
    """Replaces code points one for one through a fixed mapping (others unchanged)."""

    def __init__(self, mapping: dict[int, int]):
        super().__init__()
        self.empty = not mapping
        if not self.empty:
            self.table = tf.lookup.StaticHashTable(tf.lookup.KeyValueTensorInitializer(
                tf.constant(list(mapping), tf.int32), tf.constant(list(mapping.values()), tf.int32)),
                -1)

    def __call__(self, texts: tf.Tensor) -> tf.Tensor:
        if self.empty:
            return texts
        cps = tf.strings.unicode_decode(texts, "UTF-8")
        looked_up = self.table.lookup(cps.flat_values)
        cps = cps.with_flat_values(tf.where(looked_up >= 0, looked_up, cps.flat_values))
        return tf.strings.unicode_encode(cps, "UTF-8")


class _Shield(tf.Module):
    """Runs a TensorFlow string op with some characters hidden behind private-use
    placeholders, then puts Python's result for those characters in their place."""

    def __init__(self, python_result: dict[int, int], offset: int = 0):
        super().__init__()
        hide = {cp: _PLACEHOLDER_BASE + offset + i for i, cp in enumerate(python_result)}
        self.hide = _CodePointMap(hide)
        self.reveal = _CodePointMap({hide[cp]: out for cp, out in python_result.items()})
        self.pattern = "(?s).*" + _re2_class("".join(map(chr, python_result))) + ".*"

    def apply(self, op, texts: tf.Tensor) -> tf.Tensor:
        if self.hide.empty:
            return op(texts)
        # The shielded characters are rare: skip the decode/encode passes (most of
        # the cost) for batches without any.
        present = tf.reduce_any(tf.strings.regex_full_match(texts, self.pattern))
        return tf.cond(present, lambda: self.reveal(op(self.hide(texts))), lambda: op(texts))


# -- one-pass path ----------------------------------------------------------------
#
# tensorflow-text's FastBertTokenizer (a per-character normalization table, then one
# C++ pass that splits and runs WordPiece) is 3x faster than the regex steps above,
# but its table is ICU's NFKC case folding ("ß" -> "ss", "℃" -> "°c", controls ->
# spaces), not the original's lower + NFD + strip accents. The table is data: we
# build it from the original's result for each character.

def _darts_trie(keys: dict[bytes, int]) -> np.ndarray:
    """A darts-clone double-array trie (the layout tensorflow-text reads) of byte keys.

    Node i's child by byte b sits at unit base ^ b and carries b as its label; a
    key's value sits in the child labelled 0, flagged by bit 8 of its parent.
    """
    trie: dict = {}
    for key, value in keys.items():
        node = trie
        for byte in key:
            node = node.setdefault(byte, {})
        node[None] = value
    size = 1 << 21  # the most the unit layout addresses without its wide form
    units = np.zeros(size + 256, np.uint32)
    used, is_base = np.zeros(size + 256, bool), np.zeros(size + 256, bool)
    used[0] = True
    queue, cursor = [(0, trie)], 1
    while queue:
        at, node = queue.pop()
        labels = np.array(sorted(0 if b is None else b for b in node), np.int64)
        while used[cursor]:
            cursor += 1
        base, window = None, cursor
        while base is None:  # the first free unit from which every child fits
            if window >= size:
                raise ValueError("character table too large for the darts-clone layout")
            bases = (np.flatnonzero(~used[window:window + 4096]) + window) ^ labels[0]
            fits = ~is_base[bases] & ~used[bases[:, None] ^ labels].any(axis=1)
            if fits.any():
                base = int(bases[np.argmax(fits)])
            window += 4096
        is_base[base] = True
        used[base ^ labels] = True
        units[at] |= np.uint32((at ^ base) << 10 | (0x100 if None in node else 0))
        for b, child in node.items():
            if b is None:
                units[base] = 0x80000000 | child
            else:
                units[base ^ b] |= b
                queue.append((base ^ b, child))
    return units[:np.flatnonzero(used)[-1] + 1]


def _reorders(c: str) -> bool:
    """Whether NFD may move c's marks past others (non-Mn marks that survive)."""
    return any(unicodedata.combining(m) and unicodedata.category(m) != "Mn"
               for m in unicodedata.normalize("NFD", c.lower()))


def _python_char_map(do_lower_case: bool) -> dict[str, str]:
    """What the original makes of each character, alone, where that is not itself."""
    classes = tokenization.character_classes()
    drop, space = set(classes["drop"]), set(classes["space"]) | set(classes["split"])
    out = {}
    for c in _characters():
        if c in drop:
            t = ""
        elif c in space:
            t = " "
        elif do_lower_case:
            t = "".join(m for m in unicodedata.normalize("NFD", c.lower())
                        if unicodedata.category(m) != "Mn")
        else:
            t = c
        if t != c:
            out[c] = t
    return out


def _normalizer_model(target: dict[str, str], do_lower_case: bool) -> bytes:
    """A FastBertNormalizer model (flatbuffer) mapping each character to `target`'s string."""
    import flatbuffers

    pool, offsets, keys = bytearray(), {}, {}
    for c, t in target.items():
        data = t.encode()
        if data not in offsets:
            offsets[data] = len(pool)
            pool.extend(data)
        # tensorflow-text's encoding: "differs" flag, offset into the pool, byte length.
        keys[c.encode()] = 0x40000000 | offsets[data] << 6 | len(data)
    zero = keys.pop(b"\0")  # a trie cannot hold the empty key; the model stores it apart
    b = flatbuffers.Builder(1 << 20)
    trie = b.CreateNumpyVector(_darts_trie(keys))
    strings = b.CreateByteVector(bytes(pool))
    b.StartObject(4)  # FastBertNormalizerModel's fields, in schema order
    b.PrependBoolSlot(0, do_lower_case, False)
    b.PrependUOffsetTRelativeSlot(1, trie, 0)
    b.PrependInt32Slot(2, zero, 0)
    b.PrependUOffsetTRelativeSlot(3, strings, 0)
    b.Finish(b.EndObject())
    return bytes(b.Output())


def _one_pass_lines(target: dict[str, str], do_lower_case: bool) -> str:
    """RE2 pattern of the lines the table + FastWordpiece tokenize exactly."""
    # The C++ splitter's character classes, probed with a vocabulary without "a":
    # "a?a" stays one word if ? is a word character, two for whitespace, three for
    # punctuation. Planes 4-13 and 15-16 (unassigned, private use) are words to both.
    chars = _characters()
    probe = tf_text.FastWordpieceTokenizer(["[UNK]", "x"], token_out_type=tf.int32)
    counts = probe.tokenize(tf.constant([f"a{c}a" for c in chars])).row_lengths().numpy()
    punct = set(tokenization.character_classes()["punct"])
    wrong = {c for c, n in zip(chars, counts)
             if n != (2 if c == " " else 3 if c in punct or tokenization._CJK_RE.match(c) else 1)}
    unsafe, longest = set(), 1
    for c in chars:
        t = target.get(c, c)
        if wrong.intersection(t) or (do_lower_case and (c in target or unicodedata.combining(c))
                                     and _reorders(c)):
            unsafe.add(c)
        else:
            longest = max(longest, len(t))
    if do_lower_case:
        unsafe.add("\u03a3")  # lower() makes it "ς" or "σ" by context (final sigma)
    # No unsafe character and no run of non-separators (space, ASCII punctuation, CJK)
    # that could make a word of over 200 characters; the cap on the run keeps RE2's
    # DFA small. Malformed UTF-8 does not match (RE2 rejects it, bar encoded surrogates,
    # excluded here) and the exact path drops it, as the original does.
    run = min(MAX_CHARS_PER_WORD // longest, 64)
    ascii_punct = "".join(c for c in punct if c.isascii())
    separators = _re2_class(" " + ascii_punct)[1:-1] + _CJK_CLASS[1:-1]
    excluded = _re2_class("".join(unsafe))[1:-1] + "\\x{d800}-\\x{dfff}"
    word = f"[^{separators}{excluded}]{{0,{run}}}"
    return f"(?s)(?:{word}[{separators}])*{word}"


@functools.lru_cache(maxsize=None)
def _fast_tables(do_lower_case: bool) -> tuple[bytes, str]:
    """(normalizer model, pattern of the lines it serves), built once per process."""
    target = _python_char_map(do_lower_case)
    return _normalizer_model(target, do_lower_case), _one_pass_lines(target, do_lower_case)


def _round_robin(lengths: tf.Tensor, budget: tf.Tensor) -> tf.Tensor:
    """How many pieces each segment keeps: int32 [batch, segments] from lengths of the
    same shape and int32 budget [batch], as a round-robin trim (one piece per segment
    per round, first segments first) would leave them."""
    top = tf.minimum(tf.reduce_max(lengths), tf.reduce_max(budget))
    levels = tf.range(tf.maximum(top, 0) + 1)  # candidate per-segment caps t
    filled = tf.reduce_sum(tf.minimum(lengths[:, None, :], levels[None, :, None]), axis=2)
    cap = tf.reduce_sum(tf.cast(filled <= budget[:, None], tf.int32), axis=1) - 1
    base = tf.minimum(lengths, cap[:, None])
    longer = lengths > cap[:, None]
    spare = budget - tf.reduce_sum(base, axis=1)
    return base + tf.cast(longer & (tf.cumsum(tf.cast(longer, tf.int32), axis=1)
                                    <= spare[:, None]), tf.int32)


# TensorFlow ops and explicit tf.cond only: autograph has nothing to rewrite (and its
# rewrite of pack's nested helper failed when an export retraced it).
_plain_python = tf.autograph.experimental.do_not_convert


class BertPreprocessor(tf.Module):
    """Raw strings -> BERT inputs, with exactly FullTokenizer's ids.

    Args:
      vocab_file: the model's vocab.txt.
      do_lower_case: as the model was trained (True for uncased models).
      seq_length: length of the packed inputs.
    """

    def __init__(self, vocab_file: str, do_lower_case: bool = True, seq_length: int = 128,
                 name: str = "bert_preprocessor"):
        super().__init__(name=name)
        vocab = tokenization.load_vocab(vocab_file)
        for token in ("[CLS]", "[SEP]", "[UNK]"):
            if token not in vocab:
                raise tokenization.VocabError(f"vocab file {vocab_file!r} lacks {token}")
        self.vocab = dict(vocab)
        self.do_lower_case = do_lower_case
        self.seq_length = seq_length
        self.cls_id, self.sep_id = vocab["[CLS]"], vocab["[SEP]"]
        classes = tokenization.character_classes()
        self._drop = _re2_class(classes["drop"])
        self._space = _re2_class(classes["space"])
        self._mark = _re2_class(classes["mark"])
        punct = _re2_class(classes["punct"])
        self._split_space = _re2_class(classes["split"])
        self._split = f"{self._split_space}|{punct}"
        self._punct = punct
        self._cjk = _CJK_CLASS
        self._unk = "[UNK]"
        # A later duplicate in vocab.txt wins, as in load_vocab; earlier copies become
        # unreachable placeholders so list positions stay the ids.
        tokens = [None] * (max(vocab.values()) + 1)
        for token, index in vocab.items():
            tokens[index] = token
        tokens = [t if t else f"<unused-id-{i}>" for i, t in enumerate(tokens)]
        # 804 bytes holds any word of 200 characters; longer words never get here (`wordpieces`,
        # `_fast_lines`).
        wordpiece = functools.partial(
            tf_text.FastWordpieceTokenizer, vocab=tokens, suffix_indicator="##",
            max_bytes_per_word=4 * MAX_CHARS_PER_WORD + 4, token_out_type=tf.int32,
            unknown_token=self._unk)
        self._wordpiece = wordpiece(no_pretokenization=True)  # words in, pieces out
        lower, decompose = _fixups() if do_lower_case else ({}, {})
        self._lower = _Shield(lower)
        self._nfd = _Shield(decompose, offset=len(lower))
        model, self._fast_lines = _fast_tables(do_lower_case)
        self._normalizer = tf_text.FastBertNormalizer(do_lower_case, model_buffer=model)
        self._fast_wordpiece = wordpiece()  # splits normalized text itself, then WordPiece

    # -- steps -------------------------------------------------------------------

    def clean(self, texts: tf.Tensor) -> tf.Tensor:
        """clean_text + CJK spacing (+ lower, NFD, strip accents): tf.string [batch]."""
        texts = tf.strings.unicode_transcode(texts, "UTF-8", "UTF-8", errors="ignore")
        texts = tf.strings.regex_replace(texts, self._drop, "")
        texts = tf.strings.regex_replace(texts, self._space, " ")
        texts = tf.strings.regex_replace(texts, self._cjk, " \\0 ")
        if self.do_lower_case:
            texts = self._lower.apply(lambda t: tf.strings.lower(t, encoding="utf-8"), texts)
            texts = self._nfd.apply(lambda t: tf_text.normalize_utf8(t, "NFD"), texts)
            texts = tf.strings.regex_replace(texts, self._mark, "")
        return texts

    def split_words(self, texts: tf.Tensor) -> tf.RaggedTensor:
        """Raw whitespace-separated words, tf.string [batch, (words)], uncleaned.

        Split where clean_text puts a space, so tokenizing each word gives the
        pieces the whole text gives (used to map an answer back to its words).
        """
        return tf_text.regex_split(texts, f"{self._space}|{self._split_space}")

    def basic_tokens(self, texts: tf.Tensor) -> tf.RaggedTensor:
        """The BasicTokenizer's tokens: tf.string [batch, (tokens)]."""
        return tf_text.regex_split(self.clean(texts), self._split, self._punct)

    def wordpieces(self, words: tf.RaggedTensor) -> tf.RaggedTensor:
        """Words [batch, (words)] -> ids [batch, (words), (pieces)]; > 200 characters -> [UNK]."""
        too_long = tf.strings.length(words.flat_values, unit="UTF8_CHAR") > MAX_CHARS_PER_WORD
        words = words.with_flat_values(tf.where(too_long, self._unk, words.flat_values))
        return self._wordpiece.tokenize(words)

    def exact_tokenize(self, texts: tf.Tensor) -> tf.RaggedTensor:
        """`tokenize` by the step-by-step path above, for any text."""
        return self.wordpieces(self.basic_tokens(texts)).merge_dims(1, 2)

    def fast_tokenize(self, texts: tf.Tensor) -> tf.RaggedTensor:
        """`tokenize` in one C++ pass, for lines `_fast_lines` matches."""
        return self._fast_wordpiece.tokenize(self._normalizer.normalize(texts))

    @_plain_python
    def tokenize(self, texts: tf.Tensor) -> tf.RaggedTensor:
        """Raw text [batch] -> wordpiece ids [batch, (pieces)], as FullTokenizer.tokenize."""
        fast = tf.strings.regex_full_match(texts, self._fast_lines)
        ids = self.fast_tokenize(texts)  # in parallel with the check

        def mend():  # the other lines' ids from the exact path, back in order
            fast_rows, exact_rows = tf.where(fast)[:, 0], tf.where(~fast)[:, 0]
            both = tf.concat([tf.gather(ids, fast_rows),
                              self.exact_tokenize(tf.gather(texts, exact_rows))], axis=0)
            return tf.gather(both, tf.math.invert_permutation(tf.concat([fast_rows, exact_rows], 0)))

        return tf.cond(tf.reduce_all(fast), lambda: ids, mend)

    @_plain_python
    def pack(self, a: tf.RaggedTensor, b: tf.RaggedTensor | None = None,
             seq_length: int | tf.Tensor | None = None) -> dict[str, tf.Tensor]:
        """Packs ids as [CLS] a [SEP] (b [SEP]), truncating like the original.

        A pair (b non-empty in that row) keeps seq_length - 3 pieces, taking them
        one at a time from the end of the longer side (b on ties); a single text
        keeps its first seq_length - 2. Returns int32 [batch, seq_length] tensors.
        """
        return self.pack_segments([a] if b is None else [a, b], seq_length)

    @_plain_python
    def pack_segments(self, segments: Sequence[tf.RaggedTensor],
                      seq_length: int | tf.Tensor | None = None) -> dict[str, tf.Tensor]:
        """Packs 1..n segments of ids [batch, (pieces)] as [CLS] s0 [SEP] s1 [SEP] ...

        Segment i has input_type_ids i. A segment after the first that is empty in
        a row adds nothing to that row (no [SEP]), so a pair whose second text is
        empty packs as a single text, as the original does. The row keeps
        seq_length - 1 - (its [SEP]s) pieces, trimmed round robin: each segment
        keeps min(its length, t) pieces for the largest t that fits, and the
        pieces left go one each to the first segments that are longer (for a pair,
        exactly the original's popping from the longer side, TF Text's
        RoundRobinTrimmer and the tfhub.dev BERT preprocessors).
        `seq_length` may be a scalar tensor (the TF-Hub `bert_pack_inputs` argument).
        """
        static_length = seq_length if isinstance(seq_length, int) else (
            self.seq_length if seq_length is None else None)
        length = tf.cast(self.seq_length if seq_length is None else seq_length, tf.int32)
        row_dtype = segments[0].row_splits.dtype
        segments = [s.with_row_splits_dtype(row_dtype) for s in segments]
        lengths = tf.stack([tf.cast(s.row_lengths(), tf.int32) for s in segments], axis=1)
        present = tf.concat([tf.ones_like(lengths[:, :1], tf.bool), lengths[:, 1:] > 0], axis=1)
        budget = tf.maximum(length - 1 - tf.reduce_sum(tf.cast(present, tf.int32), 1), 0)
        keep = _round_robin(lengths, budget)
        n = tf.shape(lengths)[0]

        def column(value, rows):  # `value` in every row where rows is true
            return tf.RaggedTensor.from_row_lengths(
                tf.fill([tf.reduce_sum(tf.cast(rows, tf.int32))], tf.cast(value, segments[0].dtype)),
                tf.cast(rows, row_dtype))

        ids = [column(self.cls_id, tf.ones([n], tf.bool))]
        types = [tf.zeros_like(ids[0])]
        for i, segment in enumerate(segments):
            kept = tf.ragged.boolean_mask(segment, tf.ragged.range(lengths[:, i]) < keep[:, i:i + 1])
            sep = column(self.sep_id, present[:, i])
            ids += [kept, sep]
            types += [tf.ones_like(kept) * i, tf.ones_like(sep) * i]
        ids, types = tf.concat(ids, axis=1), tf.concat(types, axis=1)
        shape = [None, static_length] if static_length is not None else tf.stack(
            [tf.cast(n, row_dtype), tf.cast(length, row_dtype)])
        return {"input_word_ids": tf.cast(ids.to_tensor(shape=shape), tf.int32),
                "input_mask": tf.cast(tf.ones_like(ids).to_tensor(shape=shape), tf.int32),
                "input_type_ids": tf.cast(types.to_tensor(shape=shape), tf.int32)}

    @_plain_python
    def __call__(self, text_a: tf.Tensor, text_b: tf.Tensor | None = None,
                 seq_length: int | None = None) -> dict[str, tf.Tensor]:
        """Raw strings [batch] (and optional second segments) -> packed int32 inputs."""
        b = self.tokenize(text_b) if text_b is not None else None
        return self.pack(self.tokenize(text_a), b, seq_length)


# -- back to text -----------------------------------------------------------------

# CJK ideographs plus CJK and full-width punctuation: no spaces between them in text.
_CJK_TEXT = _CJK_CLASS[:-1] + "\\x{3000}-\\x{303f}\\x{ff00}-\\x{ffef}]"
# Applied in order: "##" pieces join the previous piece; the spaces the tokenizer put
# inside CJK runs go (twice: a match consumes the character after the space); the
# spaces it put before closing punctuation and after opening brackets go, as
# Hugging Face's clean_up_tokenization does for English.
_DETOKENIZE = (
    (" ##", ""),
    (f"({_CJK_TEXT}) ({_CJK_TEXT})", "\\1\\2"),
    (f"({_CJK_TEXT}) ({_CJK_TEXT})", "\\1\\2"),
    (" ([.,!?;:%)\\]}])", "\\1"),
    ("([(\\[{]) ", "\\1"),
    (" ' ", "'"),
)


def detokenize(ids: tf.Tensor, vocab_tokens: tf.Tensor, end_id: int,
               drop_ids: Sequence[int] = (0,)) -> tf.Tensor:
    """Generated wordpiece ids -> text, in the graph.

    Args:
      ids: int32 [batch_size, length]: tokens, then `end_id` ([SEP]) and padding.
      vocab_tokens: tf.string [vocab_size], the vocab in id order.
      end_id: everything from its first occurrence on is dropped.
      drop_ids: ids left out wherever they are ([PAD], [CLS]).

    Returns:
      tf.string [batch_size], e.g. "the cat's toy (new)." or "猫坐在垫子上。".
    """
    keep = tf.cumsum(tf.cast(ids == end_id, tf.int32), axis=1) == 0
    for drop in drop_ids:
        keep &= ids != drop
    pieces = tf.ragged.boolean_mask(tf.gather(vocab_tokens, ids), keep)
    text = tf.strings.reduce_join(pieces, axis=-1, separator=" ")
    for pattern, rewrite in _DETOKENIZE:
        text = tf.strings.regex_replace(text, pattern, rewrite)
    return text
