"""In-graph preprocessing gives exactly the ids of the Python FullTokenizer and packing."""

from __future__ import annotations

import os
import random

import numpy as np
import pytest
import tensorflow as tf

from bert_tf import text
from bert_tf.data.packing import encode_pair
from bert_tf.tokenization import FullTokenizer

POOLS = [
    "the cat sat on the mat", "Héllo wörld", "naïve café résumé", "ÀÉÎÕÜ Ÿ Ǆ ǅ ǆ", "中文字符测试",
    "한국어 텍스트", "カタカナ ひらがな", "😀🎉👍🏽", "\x00\x07\x1f\x7f\x85", "\ufffd", "\u200b\u200d\ufeff",
    "\u00a0\u2003\u3000\u202f", "a\u0301e\u0300o\u0308", "«»—–¿¡„“", "...!?;:@#", "$^`~|+=<>", "x" * 205,
    "é" * 201, "\t\n\r\x0b\x0c", "ǅ ﬁ ß İ ΣΑΣ ΟΔΟΣ", "unaffable running", "[MASK] [UNK] [CLS]",
    "\u2028\u2029", "ǰ ẞ ꟲ Ⱟ 𐖗", "𑎃 𐗉", "Ω Å K", "ﾊﾝｶｸ", "١٢٣ عربى", "עברית", "हिन्दी",
    "ไทย", "Ελληνικά", "Русский язык", "ʻokina", "℃ № ™", "   ", "",
]


def _random_texts(seed: int, n: int) -> list[str]:
    rng = random.Random(seed)
    return [" ".join(rng.choice(POOLS)[: rng.randint(0, 60)] for _ in range(rng.randint(0, 8)))
            for _ in range(n)]


@pytest.fixture(scope="module")
def minilm_vocab(minilm) -> str:
    return str(minilm / "vocab.txt")


def test_golden_pairs(minilm_vocab, golden):
    pre = text.BertPreprocessor(minilm_vocab, do_lower_case=True, seq_length=32)
    out = pre(tf.constant(golden["text_a"]), tf.constant(golden["text_b"]))
    np.testing.assert_array_equal(out["input_word_ids"], golden["input_ids"])
    np.testing.assert_array_equal(out["input_type_ids"], golden["token_type_ids"])
    np.testing.assert_array_equal(out["input_mask"], golden["attention_mask"])


@pytest.mark.parametrize("lower", [True, False])
def test_tokenize_equals_full_tokenizer_on_generated_text(minilm_vocab, lower):
    pre = text.BertPreprocessor(minilm_vocab, do_lower_case=lower)
    tok = FullTokenizer(minilm_vocab, do_lower_case=lower)
    texts = _random_texts(0 if lower else 1, 4000)
    # Characters whose Unicode tables differ between Python and TensorFlow, too.
    lower_fix, nfd_fix = text._fixups()
    extra = "".join(chr(c) for c in list(lower_fix)[:40] + list(nfd_fix)[:40])
    texts += [f"Word{extra[i:i + 5]}X {extra[i:i + 3]}" for i in range(0, len(extra), 3)]
    got = pre.tokenize(tf.constant(texts)).to_list()
    for s, ids in zip(texts, got):
        assert ids == tok.convert_tokens_to_ids(tok.tokenize(s)), repr(s)


def test_packing_and_truncation_equal_the_original(tiny_vocab_file):
    pre = text.BertPreprocessor(tiny_vocab_file, seq_length=12)
    tok = FullTokenizer(tiny_vocab_file)
    rng = random.Random(0)
    words = "the cat sat on a mat , dog ! quick brown fox unaffable".split()
    a = [" ".join(rng.choice(words) for _ in range(rng.randint(0, 14))) for _ in range(300)]
    b = [" ".join(rng.choice(words) for _ in range(rng.randint(0, 14))) for _ in range(300)]
    for pairs in (True, False):
        out = pre(tf.constant(a), tf.constant(b) if pairs else None)
        for i in range(len(a)):
            _, f = encode_pair(tok, a[i], b[i] if pairs else None, 12)
            assert out["input_word_ids"][i].numpy().tolist() == f["input_ids"], (a[i], b[i])
            assert out["input_type_ids"][i].numpy().tolist() == f["segment_ids"]
            assert out["input_mask"][i].numpy().tolist() == f["input_mask"]


def test_duplicate_and_empty_vocab_entries(tmp_path):
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("[PAD]\n[UNK]\n[CLS]\n[SEP]\nhello\n\nworld\nhello\n##s\n", encoding="utf-8")
    pre = text.BertPreprocessor(str(vocab))
    tok = FullTokenizer(str(vocab))
    for s in ("hello worlds", "hellos", "zzz", ""):
        assert pre.tokenize(tf.constant([s])).to_list()[0] == tok.convert_tokens_to_ids(tok.tokenize(s))


def test_works_in_a_tf_function_and_saved_model(minilm_vocab, tmp_path):
    pre = text.BertPreprocessor(minilm_vocab, seq_length=16)
    pre.serve = tf.function(lambda a, b: pre(a, b),
                            input_signature=[tf.TensorSpec([None], tf.string)] * 2)
    tf.saved_model.save(pre, str(tmp_path / "pre"))
    loaded = tf.saved_model.load(str(tmp_path / "pre"))
    got = loaded.serve(tf.constant(["Héllo, wörld!"]), tf.constant([""]))
    want = pre(tf.constant(["Héllo, wörld!"]))
    np.testing.assert_array_equal(got["input_word_ids"], want["input_word_ids"])


def _char_vocab(tmp_path, texts_tokens) -> str:
    """A vocabulary of every single character, alone and as "##" piece, so the ids
    spell out exactly which characters each word became."""
    chars = sorted({c for tokens in texts_tokens for t in tokens for c in t} | set("ab"))
    vocab = tmp_path / "chars.txt"
    vocab.write_text("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]"] + chars
                               + ["##" + c for c in chars]) + "\n", encoding="utf-8")
    return str(vocab)


@pytest.mark.parametrize("lower", [True, False])
def test_every_character_in_context_equals_the_original(tmp_path, lower):
    """Code point by code point, alone and between letters, both tokenizer paths
    together give the original BasicTokenizer's characters. Every 29th/31st code
    point here (15 s); BERT_TF_EXHAUSTIVE=1 checks all 1.1M (about 2.5 min per case)."""
    from official.nlp.tools import tokenization as original

    step = 1 if os.environ.get("BERT_TF_EXHAUSTIVE") else 29 if lower else 31
    basic = original.BasicTokenizer(do_lower_case=lower)
    cps = [cp for cp in range(1, 0x110000, step) if not 0xD800 <= cp < 0xE000]
    texts = [f.format(c=chr(cp)) for cp in cps for f in ("a{c}b", "{c}", "{c}{c}a", "Σ{c} {c}")]
    expected = [basic.tokenize(t) for t in texts]
    pre = text.BertPreprocessor(_char_vocab(tmp_path, expected), do_lower_case=lower)
    tokenize = tf.function(pre.tokenize)
    got = [row for i in range(0, len(texts), 8192)
           for row in tokenize(tf.constant(texts[i:i + 8192])).to_list()]
    inverse = {i: t for t, i in pre.vocab.items()}
    for t, tokens, ids in zip(texts, expected, got):
        pieces = [p for token in tokens for p in [token[0]] + ["##" + c for c in token[1:]]]
        assert [inverse[i] for i in ids] == pieces, (t, [hex(ord(c)) for c in t])


def test_fast_path_lines_and_the_rest(minilm_vocab):
    """Lines the one-pass path may take get its ids; the others (final sigma, words
    that may pass 200 characters, malformed UTF-8) go the exact way, in order."""
    pre = text.BertPreprocessor(minilm_vocab, do_lower_case=True)
    tok = FullTokenizer(minilm_vocab, do_lower_case=True)
    fast = ["Straße größe ℃ № naïve", "ﬁne İstanbul \u2028 tab\tnew", "中文" * 100, "a-" * 200,
            "", " "]
    exact = ["ΟΔΟΣ ΟΔΟΣ.", "가" * 67, "é" * 201, "x" * 300, b"caf\xc3 ab\x80cd \xff",
             b"ab\xed\xa0\x80cd \xe0\x80\xaf \xf4\x90\x80\x80"]
    lines = [line for pair in zip(fast, exact) for line in pair]
    np.testing.assert_array_equal(
        tf.strings.regex_full_match(tf.constant(lines), pre._fast_lines).numpy(),
        [True, False] * len(fast))
    for ids, line in zip(pre.tokenize(tf.constant(lines)).to_list(), lines):
        assert ids == tok.convert_tokens_to_ids(tok.tokenize(line)), line
    for ids, line in zip(pre.fast_tokenize(tf.constant(fast)).to_list(), fast):
        assert ids == tok.convert_tokens_to_ids(tok.tokenize(line)), line


def test_malformed_utf8_is_dropped_like_the_original(minilm_vocab):
    """FullTokenizer decodes bytes with errors="ignore"; in-graph tokenize does too."""
    pre = text.BertPreprocessor(minilm_vocab, do_lower_case=True)
    tok = FullTokenizer(minilm_vocab, do_lower_case=True)
    rng = random.Random(0)
    units = [c.encode() for c in "aZ é中😀.\u0301"] + [bytes([b]) for b in range(0x80, 0x100)]
    lines = [b"".join(rng.choice(units) for _ in range(rng.randint(1, 12))) for _ in range(3000)]
    got = pre.tokenize(tf.constant(lines)).to_list()
    for line, ids in zip(lines, got):
        assert ids == tok.convert_tokens_to_ids(tok.tokenize(line.decode("utf-8", "ignore"))), line


def test_darts_trie_lookup():
    rng = random.Random(0)
    keys = {chr(cp).encode(): rng.randrange(1 << 30) for cp in rng.sample(range(1, 0x30000), 3000)
            if not 0xD800 <= cp < 0xE000}
    units = text._darts_trie(keys)

    def lookup(key: bytes):  # tensorflow-text's DartsCloneTrieWrapper, in Python
        node = 0
        for byte in key:
            node ^= int(units[node] >> 10) ^ byte
            if node >= len(units) or int(units[node]) & 0x800000FF != byte:
                return None
        if not units[node] & 0x100:
            return None
        return int(units[node ^ int(units[node] >> 10)]) & 0x7FFFFFFF

    assert all(lookup(k) == v for k, v in keys.items())
    assert not any(lookup(chr(cp).encode()) is not None for cp in range(1, 0x3000)
                   if chr(cp).encode() not in keys)
