"""In-graph preprocessing gives exactly the ids of the Python FullTokenizer and packing."""

from __future__ import annotations

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
