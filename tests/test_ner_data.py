"""run_ner data: readers, word/wordpiece alignment, windows, decoding, metrics, bad input.

tests/data/ner/train.txt is a 4-column CoNLL-2003 sample with tricky words:
"Zürich" (accent stripped by the uncased tokenizer), "U.S." (4 wordpieces),
"xylophone" (not in the vocab: [UNK]), "\\x07" and "\\u200b" (dropped entirely
by the tokenizer, so fed as [UNK]), and a 25-word sentence that needs three
windows at max_seq_length 12. tests/data/ner/vocab.txt is its wordpiece vocab.
"""

from __future__ import annotations

import json
import math
import pathlib
import sys

import numpy as np
import pytest
import seqeval.metrics as sm
import seqeval.scheme as ss
import tensorflow as tf

from bert_tf.data import ner, records
from bert_tf.tokenization import FullTokenizer

DATA = pathlib.Path(__file__).parent / "data" / "ner"
REPO = pathlib.Path(__file__).resolve().parents[1]
BUNDLED = REPO / "data" / "ner"
CONLL_LABELS = ["O", "B-LOC", "I-LOC", "B-MISC", "I-MISC", "B-ORG", "I-ORG", "B-PER", "I-PER"]


@pytest.fixture(scope="module")
def tokenizer():
    return FullTokenizer(str(DATA / "vocab.txt"), do_lower_case=True)


@pytest.fixture(scope="module")
def train():
    return ner.read_examples(str(DATA / "train.txt"), require_tags=True)


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


# ---------------------------------------------------------------------------------------------
# Readers


def test_read_conll_skips_docstart_and_keeps_last_column(train):
    assert [len(e.words) for e in train] == [5, 7, 10, 25]
    assert train[0].words == ["John", "Johnson", "visited", "Zürich", "."]
    assert train[0].tags == ["B-PER", "I-PER", "O", "B-LOC", "O"]  # the 4th column, not POS/chunk
    assert train[0].lines == [3, 4, 5, 6, 7]  # after "-DOCSTART-" and a blank line
    assert train[1].words[1] == "U.S." and train[1].tags[1] == "B-LOC"  # tab-separated sentence
    assert train[2].words[3] == "\x07" and train[3].words[16] == "\u200b"
    assert not any(w == ner.DOCSTART for e in train for w in e.words)


def test_label_list_order_and_completion(train):
    # "O" first, then per type B, I; I-MISC is added though only B-MISC occurs.
    assert ner.get_labels(train) == ["O", "B-LOC", "I-LOC", "B-MISC", "I-MISC", "B-PER", "I-PER"]
    bioes = [ner.NerExample("x", list("abcd"), ["S-PER", "B-ORG", "E-ORG", "O"])]
    assert ner.get_labels(bioes) == ["O", "B-ORG", "I-ORG", "E-ORG", "S-ORG",
                                     "B-PER", "I-PER", "E-PER", "S-PER"]


def test_predict_only_conll_and_jsonl():
    test = ner.read_examples(str(DATA / "test.txt"))
    assert [e.words for e in test] == [["Angela", "Merkel", "visited", "Zürich", "\x07", "."],
                                       ["Smith", "met", "xylophone", "players", "in", "Paris"]]
    assert all(e.tags is None for e in test)
    js = ner.read_examples(str(DATA / "sample.jsonl"))
    assert [e.words for e in js] == [["John", "Smith", "visited", "New York", "."],
                                     ["Paris", "police", "said", "\u0301"], ["Angela", "Merkel"]]
    assert js[0].tags == ["B-PER", "I-PER", "O", "B-LOC", "O"] and js[1].tags is None
    assert js[2].lines == [4, 4]  # the empty sentence on line 3 is skipped


def test_find_split_file(tmp_path):
    for name in ("train.txt", "valid.txt", "eng.testb"):
        (tmp_path / name).write_text("a O\n")
    assert ner.find_split_file(str(tmp_path), "train").endswith("train.txt")
    assert ner.find_split_file(str(tmp_path), "dev").endswith("valid.txt")
    assert ner.find_split_file(str(tmp_path), "test").endswith("eng.testb")
    with pytest.raises(FileNotFoundError, match="no dev file in --data_dir"):
        ner.find_split_file(str(tmp_path / "missing"), "dev")


# ---------------------------------------------------------------------------------------------
# Features


def test_first_wordpiece_alignment_by_hand(train, tokenizer):
    labels = ner.get_labels(train)
    f = ner.convert_examples_to_features(train[:1], labels, 12, tokenizer)
    assert len(f) == 1
    f = f[0]
    assert f.tokens == ["[CLS]", "john", "john", "##son", "visited", "zurich", ".", "[SEP]"]
    assert f.word_indices == [0, 1, 2, 3, 4] and f.positions == [1, 2, 4, 5, 6]
    per, iper, loc = labels.index("B-PER"), labels.index("I-PER"), labels.index("B-LOC")
    assert f.label_ids == [0, per, iper, 0, 0, loc, 0, 0, 0, 0, 0, 0]
    assert f.label_weights == [0, 1, 1, 0, 1, 1, 1, 0, 0, 0, 0, 0]  # not on ##son, CLS, SEP, pad
    assert f.input_mask == [1] * 8 + [0] * 4 and f.segment_ids == [0] * 12
    assert f.input_ids == tokenizer.convert_tokens_to_ids(f.tokens) + [0] * 4


def test_dropped_and_unknown_words_keep_one_unk_position(train, tokenizer):
    f = ner.convert_examples_to_features(train[2:3], ner.get_labels(train), 32, tokenizer)[0]
    # Smith 's xylophone \x07 met ...: "'s" is 2 pieces, xylophone unknown, \x07 dropped by
    # the tokenizer: each still has exactly one position.
    assert f.tokens[:7] == ["[CLS]", "smith", "'", "s", "[UNK]", "[UNK]", "met"]
    assert f.positions[:5] == [1, 2, 4, 5, 6]
    assert ner.word_pieces(tokenizer, "\x07") == ["[UNK]"]
    assert tokenizer.tokenize("\u200b") == [] and ner.word_pieces(tokenizer, "\u200b") == ["[UNK]"]


def test_long_sentence_windows_cover_every_word_once(train, tokenizer):
    feats = ner.convert_examples_to_features(train, ner.get_labels(train), 12, tokenizer)
    long = [f for f in feats if f.sentence_index == 3]
    # Wordpieces per word: German 1, Chancellor 2, ..., U.S. 4, ...; 10 fit between
    # [CLS] and [SEP], cut only at word boundaries: words [0, 9), [9, 19), [19, 25).
    assert [f.word_indices for f in long] == [list(range(0, 9)), list(range(9, 19)),
                                              list(range(19, 25))]
    assert [f.window_index for f in long] == [0, 1, 2]
    assert long[2].tokens == ["[CLS]", "u", ".", "s", ".", "police", "said", "on", "monday", ".",
                              "[SEP]"]
    for e_index, example in enumerate(train):
        words = [w for f in feats if f.sentence_index == e_index for w in f.word_indices]
        assert words == list(range(len(example.words)))
    for f in feats:
        assert len(f.input_ids) == len(f.label_ids) == len(f.label_weights) == 12
        assert len(f.tokens) <= 12 and f.tokens[0] == "[CLS]" and f.tokens[-1] == "[SEP]"
        assert sum(f.label_weights) == len(f.word_indices)
        for w, p in zip(f.word_indices, f.positions):
            pieces = ner.word_pieces(tokenizer, train[f.sentence_index].words[w])
            assert f.tokens[p:p + len(pieces)] == pieces


def test_word_longer_than_window_is_truncated_not_lost(tokenizer):
    ex = [ner.NerExample("x", ["john", "u.s.u.s.u.s.", "paris"], ["B-PER", "B-LOC", "B-LOC"])]
    feats = ner.convert_examples_to_features(ex, ["O", "B-LOC", "B-PER"], 6, tokenizer)
    assert [f.tokens for f in feats] == [["[CLS]", "john", "[SEP]"],
                                         ["[CLS]", "u", ".", "s", ".", "[SEP]"],
                                         ["[CLS]", "paris", "[SEP]"]]
    assert [f.label_ids[1] for f in feats] == [2, 1, 1]


def test_predict_only_features_have_no_weights(tokenizer):
    test = ner.read_examples(str(DATA / "test.txt"))
    feats = ner.convert_examples_to_features(test, ["O", "B-PER", "I-PER"], 16, tokenizer)
    assert all(sum(f.label_weights) == 0 and set(f.label_ids) == {0} for f in feats)
    assert [len(f.positions) for f in feats] == [6, 6]


def test_records_round_trip(train, tokenizer, tmp_path):
    labels = ner.get_labels(train)
    path = str(tmp_path / "train.tf_record")
    feats = ner.file_based_convert_examples_to_features(train, labels, 12, tokenizer, path)
    assert len(feats) == 7  # sentence 2 needs 2 windows, sentence 3 needs 3
    batches = list(records.dataset([path], ner.name_to_features(12), batch_size=4,
                                   is_training=False))
    got = {k: np.concatenate([b[k].numpy() for b in batches]) for k in batches[0]}
    assert sorted(got) == ["input_mask", "input_type_ids", "input_word_ids", "label_ids",
                           "label_weights"]
    np.testing.assert_array_equal(got["input_word_ids"], [f.input_ids for f in feats])
    np.testing.assert_array_equal(got["label_ids"], [f.label_ids for f in feats])
    np.testing.assert_array_equal(got["label_weights"], [f.label_weights for f in feats])
    assert got["label_weights"].dtype == np.float32 and got["label_ids"].dtype == np.int32


# ---------------------------------------------------------------------------------------------
# Decoding and the predictions file


def _synthetic_predictions(features, examples, num_labels, seq_len):
    """Garbage everywhere except each word's first wordpiece, which gets (sentence + word) %
    num_labels: decoding must read exactly those positions."""
    rng = np.random.default_rng(0)
    ids = rng.integers(0, num_labels, size=(len(features) + 3, seq_len))  # + padding rows
    expected = [[None] * len(e.words) for e in examples]
    for i, f in enumerate(features):
        for w, p in zip(f.word_indices, f.positions):
            ids[i, p] = (f.sentence_index + w) % num_labels
            expected[f.sentence_index][w] = (f.sentence_index + w) % num_labels
    return ids, expected


def _read_back(path):
    """Blocks of whitespace-split rows, one block per sentence (blank-line separated)."""
    text = pathlib.Path(path).read_text(encoding="utf-8")
    assert text.endswith("\n\n")
    return [[row.split(" ") for row in block.split("\n")] for block in text[:-2].split("\n\n")]


def test_every_word_gets_one_tag_in_the_output_file(train, tokenizer, tmp_path):
    labels = ner.get_labels(train)
    feats = ner.convert_examples_to_features(train, labels, 12, tokenizer)
    ids, expected = _synthetic_predictions(feats, train, len(labels), 12)
    tags = ner.decode_predictions(train, feats, ids, labels)
    assert tags == [[labels[i] for i in sentence] for sentence in expected]
    path = str(tmp_path / ner.PREDICTIONS_FILE)
    ner.write_predictions(path, train, tags)
    blocks = _read_back(path)
    assert len(blocks) == len(train)
    for e, block, pred in zip(train, blocks, tags):
        assert [row[0] for row in block] == e.words  # \x07 and \u200b included, in order
        assert [row[1:] for row in block] == [[g, p] for g, p in zip(e.tags, pred)]
    # The file reads back as CoNLL: the last column is the prediction.
    again = ner.read_conll(path)
    assert [e.words for e in again] == [e.words for e in train]
    assert [e.tags for e in again] == tags


def test_predict_only_output_has_two_columns(tokenizer, tmp_path):
    test = ner.read_examples(str(DATA / "sample.jsonl"))
    labels = ["O", "B-LOC", "I-LOC", "B-PER", "I-PER"]
    feats = ner.convert_examples_to_features(test, labels, 8, tokenizer)
    ids, expected = _synthetic_predictions(feats, test, len(labels), 8)
    tags = ner.decode_predictions(test, feats, ids, labels)
    path = str(tmp_path / "p.txt")
    ner.write_predictions(path, test, tags)
    blocks = _read_back(path)
    assert blocks[0][3] == ["New_York", "B-LOC", tags[0][3]]  # the blank inside a word
    assert blocks[1] == [[w, t] for w, t in zip(test[1].words, tags[1])]  # no gold: 2 columns
    assert blocks[1][3][0] == "\u0301"


def test_decode_rejects_mismatched_inputs(train, tokenizer):
    labels = ner.get_labels(train)
    feats = ner.convert_examples_to_features(train, labels, 12, tokenizer)
    with pytest.raises(ValueError, match=r"predicted_ids must be \[num_features >= 7"):
        ner.decode_predictions(train, feats, np.zeros((6, 12), np.int64), labels)
    with pytest.raises(ValueError, match="has no prediction"):
        ner.decode_predictions(train, feats[:-1], np.zeros((7, 12), np.int64), labels)
    with pytest.raises(ValueError, match="predicted label id 9 is outside"):
        ner.decode_predictions(train, feats, np.full((7, 12), 9), labels)


# ---------------------------------------------------------------------------------------------
# Metrics

GOLD = [["B-PER", "I-PER", "O", "B-LOC"], ["B-ORG", "O"]]
PRED = [["B-PER", "I-PER", "O", "B-ORG"], ["B-ORG", "O"]]


def test_metrics_by_hand():
    # Gold entities PER, LOC, ORG; predicted PER, ORG (where LOC is), ORG: 2 correct of 3 and 3.
    m = ner.ner_metrics(GOLD, PRED)
    assert m["eval_precision"] == pytest.approx(2 / 3)
    assert m["eval_recall"] == pytest.approx(2 / 3)
    assert m["eval_f1"] == pytest.approx(2 / 3)
    assert m["eval_accuracy"] == pytest.approx(5 / 6)
    assert m["eval_f1_PER"] == 1.0 and m["eval_f1_LOC"] == 0.0
    assert m["eval_f1_ORG"] == pytest.approx(2 / 3)  # precision 1/2, recall 1


def test_metrics_equal_seqeval_bio():
    rng = np.random.default_rng(1)
    tags = np.array(CONLL_LABELS)
    gold = [list(rng.choice(tags, n)) for n in rng.integers(1, 20, 50)]
    pred = [[t if rng.random() < 0.7 else rng.choice(tags) for t in s] for s in gold]
    m = ner.ner_metrics(gold, pred)
    assert m["eval_precision"] == sm.precision_score(gold, pred)
    assert m["eval_recall"] == sm.recall_score(gold, pred)
    assert m["eval_f1"] == sm.f1_score(gold, pred)
    assert m["eval_accuracy"] == sm.accuracy_score(gold, pred)
    report = sm.classification_report(gold, pred, output_dict=True)
    for kind in ("LOC", "MISC", "ORG", "PER"):
        assert m[f"eval_f1_{kind}"] == report[kind]["f1-score"]


def test_metrics_bioes_strict():
    gold = [["B-PER", "E-PER", "O", "S-LOC"], ["S-ORG", "O", "B-LOC", "I-LOC", "E-LOC"]]
    pred = [["B-PER", "I-PER", "O", "S-LOC"], ["S-ORG", "O", "B-LOC", "I-LOC", "E-LOC"]]
    m = ner.ner_metrics(gold, pred)  # auto -> strict IOBES: B-PER I-PER is no entity
    kw = {"mode": "strict", "scheme": ss.IOBES}
    assert m["eval_f1"] == sm.f1_score(gold, pred, **kw) == pytest.approx(2 * 0.75 / 1.75)
    assert m["eval_precision"] == 1.0 and m["eval_recall"] == 0.75
    assert ner.ner_metrics(gold, pred, scheme="bio")["eval_f1"] == sm.f1_score(gold, pred) == 1.0


def test_eval_results_loss_and_metrics(train, tokenizer):
    labels = ner.get_labels(train)
    feats = ner.convert_examples_to_features(train, labels, 12, tokenizer)
    rng = np.random.default_rng(2)
    logits = rng.normal(size=(len(feats) + 2, 12, len(labels))).astype(np.float32)
    result, tags = ner.ner_eval_results(train, feats, logits, labels, batch_size=4)
    # Independent: TF's cross entropy, weighted by label_weights, per batch of 4 features.
    ce = tf.nn.sparse_softmax_cross_entropy_with_logits(
        np.array([f.label_ids for f in feats]), logits[:len(feats)]).numpy()
    w = np.array([f.label_weights for f in feats])
    assert result["eval_loss"] == pytest.approx((ce * w).sum() / w.sum(), rel=1e-5)
    per_batch = [(ce[i:i + 4] * w[i:i + 4]).sum() / w[i:i + 4].sum() for i in (0, 4)]
    assert result["loss"] == pytest.approx(np.mean(per_batch), rel=1e-5)
    gold = [e.tags for e in train]
    assert result["eval_f1"] == sm.f1_score(gold, tags)
    assert result["eval_accuracy"] == sm.accuracy_score(gold, tags)
    # Uniform logits: loss log(K), every prediction label 0 ("O").
    result, tags = ner.ner_eval_results(train, feats, np.zeros((7, 12, len(labels))), labels, 8)
    assert result["eval_loss"] == pytest.approx(math.log(len(labels)))
    assert result["eval_f1"] == 0.0 and all(set(t) == {"O"} for t in tags)


# ---------------------------------------------------------------------------------------------
# Bad input


def test_inconsistent_columns(tmp_path):
    path = _write(tmp_path, "bad.txt", "-DOCSTART- O\n\nJohn NNP B-PER\nvisited O\n")
    with pytest.raises(ner.NerDataError, match=r"bad\.txt, line 4: 2 columns, but line 3 has 3"):
        ner.read_conll(path)


def test_unknown_tag_in_dev(train, tmp_path):
    labels = ner.get_labels(train)
    path = _write(tmp_path, "dev.txt", "John B-PER\nworks O\nat O\nGoogle B-ORG\n")
    with pytest.raises(ner.NerDataError) as e:
        ner.read_examples(path, require_tags=True, label_list=labels)
    assert f"{path}, line 4: tag 'B-ORG' is not in the label list" in str(e.value)
    # The same check guards feature conversion of examples read without a label list.
    with pytest.raises(ner.NerDataError, match=r"dev\.txt, line 4: tag 'B-ORG'"):
        ner.convert_examples_to_features(ner.read_examples(path), labels, 16, None)


def test_malformed_tags_and_files(tmp_path):
    bad_tag = _write(tmp_path, "t.txt", "John X-PER\n")
    with pytest.raises(ner.NerDataError, match=r"t\.txt, line 1: tag 'X-PER' is not O, B-TYPE"):
        ner.read_conll(bad_tag)
    one_col = _write(tmp_path, "train.txt", "John\nSmith\n")
    with pytest.raises(ner.NerDataError, match=r"train\.txt, line 1: one column, but this file "
                                               "needs tags"):
        ner.read_examples(one_col, require_tags=True)
    empty = _write(tmp_path, "empty.txt", "-DOCSTART- O\n\n\n")
    with pytest.raises(ner.NerDataError, match="has no sentences"):
        ner.read_conll(empty)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        ner.read_conll(str(tmp_path / "missing.txt"))
    with pytest.raises(ner.NerDataError, match="repeats"):
        ner.validate_label_list(["O", "B-PER", "O"])


def test_bad_jsonl(tmp_path):
    rows = [{"tokens": ["a", "b"], "tags": ["O", "O"]}, {"tokens": ["a", "b", "c"],
                                                         "tags": ["O", "B-PER"]}]
    path = _write(tmp_path, "x.jsonl", "\n".join(json.dumps(r) for r in rows))
    with pytest.raises(ner.NerDataError, match=r"x\.jsonl, line 2: 3 tokens but 2 tags"):
        ner.read_jsonl(path)
    path = _write(tmp_path, "y.jsonl", '{"tokens": ["a"]}\n{"tokens": "a b"}\n')
    with pytest.raises(ner.NerDataError, match=r"y\.jsonl, line 1: no \"tags\" list"):
        ner.read_jsonl(path, require_tags=True)
    with pytest.raises(ner.NerDataError, match=r"y\.jsonl, line 2: 'tokens' must be a list"):
        ner.read_jsonl(path)
    path = _write(tmp_path, "z.jsonl", '{"tokens": ["a"]\n')
    with pytest.raises(ner.NerDataError, match=r"z\.jsonl, line 1: not valid JSON"):
        ner.read_jsonl(path)


# ---------------------------------------------------------------------------------------------
# The bundled data/ner sample


def test_bundled_sample():
    sets = {s: ner.read_examples(ner.find_split_file(str(BUNDLED), s), require_tags=True)
            for s in ("train", "dev", "test")}
    assert {s: len(v) for s, v in sets.items()} == {"train": 300, "dev": 80, "test": 80}
    labels = ner.get_labels(sets["train"])
    assert labels == CONLL_LABELS
    for s in ("dev", "test"):
        ner.check_tags(sets[s], labels)
    sentences = [" ".join(e.words) for v in sets.values() for e in v]
    assert len(set(sentences)) == len(sentences)  # no sentence in two splits
    # IOB2: every entity starts with B-.
    for v in sets.values():
        for e in v:
            for prev, tag in zip(["O"] + e.tags, e.tags):
                assert not tag.startswith("I-") or prev[2:] == tag[2:]


def test_bundled_sample_is_reproducible():
    sys.path.insert(0, str(BUNDLED))
    try:
        import build_sample
    finally:
        sys.path.remove(str(BUNDLED))
    for split, sentences in build_sample.build().items():
        assert build_sample.conll_text(sentences) == (BUNDLED / f"{split}.txt").read_text("utf-8")


def test_bundled_sample_fits_minilm_without_windows(minilm):
    tok = FullTokenizer(str(minilm / "vocab.txt"), do_lower_case=True)
    train = ner.read_examples(str(BUNDLED / "train.txt"))
    feats = ner.convert_examples_to_features(train, ner.get_labels(train), 64, tok)
    assert len(feats) == len(train)
    assert "[UNK]" not in {t for f in feats for t in f.tokens}
