"""Tokenizer: the original's behaviour on golden pairs, tricky cases and random text."""

from __future__ import annotations

import json
import random

import pytest

from bert_tf import tokenization as tk
from bert_tf.errors import DataError


def test_golden_minilm_tokens(minilm, golden):
    tok = tk.FullTokenizer(str(minilm / "vocab.txt"), do_lower_case=True)
    for a, b, tokens in zip(golden["text_a"], golden["text_b"], golden["tokens"]):
        expected = [t for t in json.loads(str(tokens)) if t != "[PAD]"]
        pieces = ["[CLS]"] + tok.tokenize(str(a)) + ["[SEP]"]
        if str(b):
            pieces += tok.tokenize(str(b)) + ["[SEP]"]
        assert pieces == expected


@pytest.mark.parametrize("text, lower, expected", [
    # Accents are stripped only when lowercasing.
    ("Héllo Wörld", True, ["hello", "world"]),
    ("Héllo Wörld", False, ["Héllo", "Wörld"]),
    ("ÇA VA", True, ["ca", "va"]),
    # Combining mark alone vanishes when lowercasing (NFD then drop Mn).
    ("a\u0301", True, ["a"]),
    ("a\u0301", False, ["a\u0301"]),
    # CJK ideographs are split; Hangul and kana are not.
    ("中文abc", True, ["中", "文", "abc"]),
    ("한국어 ひらがな", False, ["한국어", "ひらがな"]),
    # ... and lowercasing decomposes them (NFD) and drops the dakuten (Mn), as the original.
    ("ひらがな", True, ["ひらかな"]),
    # Control characters are dropped; tabs, newlines and NBSP are whitespace.
    ("a\x00b\ufffdc\x07d", True, ["abcd"]),
    ("a\tb\nc\u00a0d\u3000e", True, ["a", "b", "c", "d", "e"]),
    # Zero-width space (Cf) is removed, joining the words around it.
    ("ab\u200bcd", True, ["abcd"]),
    # ASCII symbols count as punctuation even where Unicode says otherwise.
    ("a$b^c`d", True, ["a", "$", "b", "^", "c", "`", "d"]),
    ("«quoted»—dash¿", True, ["«", "quoted", "»", "—", "dash", "¿"]),
    ("don't", True, ["don", "'", "t"]),
    ("", True, []),
    ("   \t\n ", True, []),
])
def test_basic_tokenizer_cases(text, lower, expected):
    assert tk.BasicTokenizer(do_lower_case=lower).tokenize(text) == expected


def test_wordpiece_greedy_and_unknown():
    vocab = {t: i for i, t in enumerate(["[UNK]", "un", "##aff", "##able", "runn", "##ing", "want",
                                         "##ed", "u", "##n"])}
    wp = tk.WordpieceTokenizer(vocab)
    assert wp.tokenize("unaffable") == ["un", "##aff", "##able"]
    assert wp.tokenize("running wanted") == ["runn", "##ing", "want", "##ed"]
    assert wp.tokenize("unwanted") == ["[UNK]"]  # no "##want" piece
    assert wp.tokenize("") == []
    assert wp.tokenize("unn") == ["un", "##n"]
    assert tk.WordpieceTokenizer(vocab, max_input_chars_per_word=5).tokenize("unaffable") == ["[UNK]"]


def test_wordpiece_200_char_rule(tiny_vocab_file):
    tok = tk.FullTokenizer(tiny_vocab_file)
    assert tok.tokenize("a" * 201) == ["[UNK]"]
    assert tok.tokenize("the " + "x" * 300 + " cat") == ["the", "[UNK]", "cat"]


def test_full_tokenizer_ids_round_trip(tiny_vocab_file):
    tok = tk.FullTokenizer(tiny_vocab_file)
    tokens = tok.tokenize("The quick brown fox, unaffable!")
    assert tokens == ["the", "quick", "brown", "fox", ",", "un", "##aff", "##able", "!"]
    ids = tok.convert_tokens_to_ids(tokens)
    assert tok.convert_ids_to_tokens(ids) == tokens
    with pytest.raises(DataError, match="'zebra' is not in the vocabulary"):
        tok.convert_tokens_to_ids(["zebra"])


def _random_text(rng: random.Random) -> str:
    pools = [
        "the cat sat on the mat", "Héllo wörld", "naïve café résumé", "ÀÉÎÕÜ", "中文字符",
        "한국어", "カタカナ", "😀🎉", "\x00\x07\x1f\x7f", "\ufffd", "\u200b\u200d", "\u00a0\u2003\u3000",
        "a\u0301e\u0300", "«»—–¿¡", "...!?;:", "$^`~|", "x" * 210, "\t\n\r", "ǅ ﬁ ß İ",
        "unaffable running", "[MASK] [UNK]", "\u2028\u2029",
    ]
    return " ".join(rng.choice(pools)[: rng.randint(0, 40)] for _ in range(rng.randint(0, 8)))


@pytest.mark.parametrize("lower", [True, False])
def test_matches_original_algorithm_on_random_text(minilm, lower):
    """The Model Garden's copy of the original tokenizer is the oracle (its word limit set to 200)."""
    original = pytest.importorskip("official.nlp.tools.tokenization")
    vocab = str(minilm / "vocab.txt")
    ref = original.FullTokenizer(vocab, do_lower_case=lower)
    ref.wordpiece_tokenizer.max_input_chars_per_word = 200
    ours = tk.FullTokenizer(vocab, do_lower_case=lower)
    rng = random.Random(0)
    for _ in range(2000):
        text = _random_text(rng)
        assert ours.tokenize(text) == ref.tokenize(text), repr(text)
        assert ours.basic_tokenizer.tokenize(text) == ref.basic_tokenizer.tokenize(text)


def test_bytes_input_and_duplicate_vocab(tmp_path):
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("[PAD]\n[UNK]\n[CLS]\n[SEP]\nhello\n hello \n", encoding="utf-8")
    tok = tk.FullTokenizer(str(vocab))
    assert tok.vocab["hello"] == 5  # a later duplicate wins, as in the original
    assert tok.tokenize("Hello".encode()) == ["hello"]


def test_missing_and_bad_vocab(tmp_path):
    with pytest.raises(tk.VocabError, match="does not exist"):
        tk.FullTokenizer(str(tmp_path / "nope.txt"))
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    with pytest.raises(tk.VocabError, match="is empty"):
        tk.FullTokenizer(str(empty))
    no_special = tmp_path / "plain.txt"
    no_special.write_text("a\nb\n")
    with pytest.raises(tk.VocabError, match=r"lacks the special tokens \['\[UNK\]'"):
        tk.FullTokenizer(str(no_special))
    binary = tmp_path / "bin.txt"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(tk.VocabError, match="not UTF-8"):
        tk.FullTokenizer(str(binary))


@pytest.mark.parametrize("ckpt, lower, bad", [
    ("/x/uncased_L-12_H-768_A-12/bert_model.ckpt", False, True),
    ("/x/uncased_L-12_H-768_A-12/bert_model.ckpt", True, False),
    ("/x/cased_L-12_H-768_A-12/bert_model.ckpt", True, True),
    ("/x/multi_cased_L-12_H-768_A-12/bert_model.ckpt", False, False),
    ("cased_L-24_H-1024_A-16", True, True),  # a bare registry name
    ("/x/my_model/bert_model.ckpt", False, False),
    ("", False, False),
])
def test_validate_case_matches_checkpoint(ckpt, lower, bad):
    if bad:
        with pytest.raises(ValueError, match="seems to be a .*cased model"):
            tk.validate_case_matches_checkpoint(lower, ckpt)
    else:
        tk.validate_case_matches_checkpoint(lower, ckpt)
