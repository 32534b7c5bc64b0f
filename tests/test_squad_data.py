"""SQuAD reading, windowed features and TFRecords (bert_tf.data.squad).

Expected values are derived by hand from tests/data/squad/tiny.json and its vocab
(see the comments), and the features are also compared with the TF Model
Garden's port of the original run_squad (official.nlp.data.squad_lib).
"""

from __future__ import annotations

import json
import logging
import pathlib

import numpy as np
import pytest
import tensorflow as tf

from bert_tf import tokenization
from bert_tf.data import records, squad

DATA = pathlib.Path(__file__).parent / "data" / "squad"
TINY = str(DATA / "tiny.json")
SAMPLE = pathlib.Path(__file__).resolve().parents[1] / "data" / "squad"

# tiny.json, paragraph 0: "John Smith (1895-1943) founded a café in Paris. Its tea was unaffable."
# words:       0 John, 1 Smith, 2 (1895-1943), 3 founded, 4 a, 5 café, 6 in, 7 Paris., 8 Its,
#              9 tea, 10 was, 11 unaffable.
# wordpieces:  0 john 1 smith 2 ( 3 1895 4 - 5 1943 6 ) 7 found 8 ##ed 9 a 10 cafe 11 in
#              12 paris 13 . 14 its 15 tea 16 was 17 un 18 ##aff 19 ##able 20 .
TOK_TO_ORIG = [0, 1, 2, 2, 2, 2, 2, 3, 3, 4, 5, 6, 7, 7, 8, 9, 10, 11, 11, 11, 11]
WORDPIECES = ("john smith ( 1895 - 1943 ) found ##ed a cafe in paris . its tea was un ##aff "
              "##able .").split()
# Small windows so that the paragraph spans several: with a 6-token question
# ("when was john smith born ?") each window holds 16 - 6 - 3 = 7 doc tokens and
# starts 4 after the previous one: [0, 7), [4, 11), [8, 15), [12, 19), [16, 21).
MAX_SEQ, STRIDE, MAX_QUERY = 16, 4, 8


@pytest.fixture(scope="module")
def tokenizer():
    return tokenization.FullTokenizer(str(DATA / "vocab.txt"), do_lower_case=True)


def _features(examples, tokenizer, is_training, max_seq=MAX_SEQ, stride=STRIDE, query=MAX_QUERY):
    out = []
    n = squad.convert_examples_to_features(examples, tokenizer, max_seq, stride, query,
                                           is_training, out.append)
    assert n == len(out)
    return out


def _write_json(path: pathlib.Path, obj) -> str:
    path.write_text(json.dumps(obj, ensure_ascii=False), encoding="utf-8")
    return str(path)


def _one_paragraph(context, qas, version="v2.0"):
    return {"version": version, "data": [{"title": "t", "paragraphs": [
        {"context": context, "qas": qas}]}]}


# ----------------------------------------------------------------------------------------------
# Reading


def test_split_context_maps_characters_to_words():
    words, offsets = squad.split_context("a bc\u202fd\u00a0e  f")
    # U+202F splits words like a space (the original's rule); NBSP does not.
    assert words == ["a", "bc", "d\u00a0e", "f"]
    assert offsets == [0, 0, 1, 1, 1, 2, 2, 2, 2, 2, 3]
    assert squad.split_context("") == ([], [])


def test_read_training_examples_v2(caplog):
    with caplog.at_level(logging.WARNING):
        examples = squad.read_squad_examples(TINY, is_training=True, version_2_with_negative=True)
    # "smith-bad" points at "Paris." but says "London": warned about and skipped.
    assert [e.qas_id for e in examples] == [
        "smith-born", "smith-london", "smith-tea", "smith-long", "tokyo-name"]
    assert "Could not find answer: 'Paris.' vs. 'London'" in caplog.text
    born, london, tea, long_q, tokyo = examples
    assert born.doc_tokens[2] == "(1895-1943)" and len(born.doc_tokens) == 12
    assert (born.orig_answer_text, born.start_position, born.end_position) == ("1895", 2, 2)
    assert (london.is_impossible, london.start_position, london.end_position,
            london.orig_answer_text) == (True, -1, -1, "")
    assert (tea.start_position, tea.end_position) == (11, 11)
    assert (long_q.start_position, long_q.end_position) == (7, 7)
    assert tokyo.doc_tokens == ["Tokyo", "(東京)", "has", "a", "café."]
    assert (tokyo.orig_answer_text, tokyo.start_position, tokyo.end_position) == ("東京", 1, 1)


def test_read_prediction_examples_keeps_every_question():
    examples = squad.read_squad_examples(TINY, is_training=False, version_2_with_negative=True)
    assert len(examples) == 6
    # As the original, prediction examples carry no answer and is_impossible False.
    assert all(e.start_position is None and not e.is_impossible for e in examples)


def test_v2_training_file_without_flag_explains(tmp_path):
    with pytest.raises(squad.SquadDataError,
                       match=r"exactly 1 answer.*smith-london.*has 0.*--version_2_with_negative"):
        squad.read_squad_examples(TINY, is_training=True, version_2_with_negative=False)


# ----------------------------------------------------------------------------------------------
# Features


def test_windows_mapping_positions_and_max_context(tokenizer):
    examples = squad.read_squad_examples(TINY, True, True)
    features = _features(examples, tokenizer, is_training=True)
    born = [f for f in features if f.example_index == 0]
    assert [f.doc_span_index for f in born] == [0, 1, 2, 3, 4]
    assert [f.unique_id for f in features] == list(range(1000000000, 1000000000 + len(features)))
    query = ["[CLS]", "when", "was", "john", "smith", "born", "?", "[SEP]"]
    starts, lengths = [0, 4, 8, 12, 16], [7, 7, 7, 7, 5]
    for f, start, length in zip(born, starts, lengths):
        assert f.tokens == query + WORDPIECES[start:start + length] + ["[SEP]"]
        assert f.token_to_orig_map == {8 + i: TOK_TO_ORIG[start + i] for i in range(length)}
        n = len(f.tokens)
        assert f.input_mask == [1] * n + [0] * (MAX_SEQ - n)
        assert f.segment_ids == [0] * 8 + [1] * (n - 8) + [0] * (MAX_SEQ - n)
        assert f.input_ids == tokenizer.convert_tokens_to_ids(f.tokens) + [0] * (MAX_SEQ - n)
    # Context of a token in a window = min(left, right) + 0.01 * window length, earlier
    # window on ties. Wordpiece 5 ("1943"): window 0 -> min(5, 1), window 1 -> min(1, 5): tie,
    # window 0 wins. Wordpiece 6 (")"): window 0 -> 0, window 1 -> 2: window 1.
    # Wordpiece 18 ("##aff"): window 3 (12..18) -> 0, window 4 (16..20) -> 2: window 4.
    assert born[0].token_is_max_context == {8: True, 9: True, 10: True, 11: True, 12: True,
                                            13: True, 14: False}
    assert born[1].token_is_max_context == {8: False, 9: False, 10: True, 11: True, 12: True,
                                            13: True, 14: False}
    assert born[4].token_is_max_context == {8: False, 9: False, 10: True, 11: True, 12: True}
    # "1895": the word "(1895-1943)" is wordpieces 2..6, narrowed to 3..3 (_improve_answer_span);
    # only window 0 holds it, at 3 + len([CLS] query [SEP]) = 11; other windows point at [CLS].
    assert [(f.start_position, f.end_position) for f in born] == [(11, 11)] + [(0, 0)] * 4
    assert [f.is_impossible for f in born] == [False] * 5


def test_answer_in_two_windows_and_at_paragraph_end(tokenizer):
    examples = squad.read_squad_examples(TINY, True, True)
    tea = [f for f in _features(examples, tokenizer, True) if f.example_index == 2]
    # "what was the tea ?" (5 tokens): windows of 8 doc tokens, [0,8) [4,12) [8,16) [12,20)
    # [16,21). "unaffable." is the last word -> wordpieces 17..20, narrowed to "un ##aff ##able"
    # 17..19: inside windows 3 (at 17-12+7 = 12) and 4 (at 17-16+7 = 8).
    assert [(f.start_position, f.end_position) for f in tea] == [
        (0, 0), (0, 0), (0, 0), (12, 14), (8, 10)]
    assert tea[3].tokens[12:15] == ["un", "##aff", "##able"]


def test_impossible_question_points_at_cls_in_every_window(tokenizer):
    examples = squad.read_squad_examples(TINY, True, True)
    london = [f for f in _features(examples, tokenizer, True) if f.example_index == 1]
    # "who found ##ed a cafe in london ?" (8 tokens): windows of 16 - 8 - 3 = 5 doc tokens
    # at 0, 4, 8, 12, 16.
    assert len(london) == 5
    assert all((f.start_position, f.end_position, f.is_impossible) == (0, 0, True)
               for f in london)


def test_long_question_is_truncated(tokenizer):
    examples = squad.read_squad_examples(TINY, True, True)
    long_q = [f for f in _features(examples, tokenizer, True) if f.example_index == 3]
    # 16 wordpieces cut to max_query_length = 8; 16 - 8 - 3 = 5 doc tokens per window.
    assert long_q[0].tokens[:10] == ["[CLS]", "in", "which", "city", "was", "the", "cafe", "that",
                                     "john", "[SEP]"]
    assert len(long_q) == 5
    # "Paris." -> wordpiece 12 ("paris"), in windows [8,13) at 12-8+10 and [12,17) at 10.
    assert [(f.start_position, f.end_position) for f in long_q] == [
        (0, 0), (0, 0), (14, 14), (10, 10), (0, 0)]


def test_cjk_answer(tokenizer):
    examples = squad.read_squad_examples(TINY, True, True)
    tokyo = [f for f in _features(examples, tokenizer, True) if f.example_index == 4]
    # "Tokyo (東京) has a café." -> tokyo ( 東 京 ) has a cafe . ; CJK characters are split.
    # A 7-token question leaves 6 doc tokens per window: [0, 6) and [4, 9).
    assert tokyo[0].tokens[9:] == ["tokyo", "(", "東", "京", ")", "has", "[SEP]"]
    assert tokyo[1].tokens[9:] == [")", "has", "a", "cafe", ".", "[SEP]"]
    # The answer word "(東京)" is narrowed to "東 京": wordpieces 2..3, at 2 + 9 in window 0.
    assert [(f.start_position, f.end_position) for f in tokyo] == [(11, 12), (0, 0)]
    assert tokyo[0].token_to_orig_map[11] == tokyo[0].token_to_orig_map[12] == 1


def test_doc_spans_and_check_is_max_context():
    assert squad.doc_spans_for(10, 4, 3) == [(0, 4), (3, 4), (6, 4)]
    assert squad.doc_spans_for(3, 4, 3) == [(0, 3)]
    # A stride longer than the window never skips tokens: it advances by the window length.
    assert squad.doc_spans_for(10, 4, 6) == [(0, 4), (4, 4), (8, 2)]
    assert squad.doc_spans_for(0, 4, 3) == []
    # The original's docstring example: "bought" (token 7) has more context in span C.
    spans = [squad.DocSpan(0, 5), squad.DocSpan(3, 5), squad.DocSpan(6, 5)]
    assert [squad._check_is_max_context(spans, i, 7) for i in range(3)] == [False, False, True]


def test_improve_answer_span(tokenizer):
    doc = "john smith ( 1895 - 1943 ) .".split()
    assert squad._improve_answer_span(doc, 2, 7, tokenizer, "1895") == (3, 3)
    assert squad._improve_answer_span(doc, 0, 7, tokenizer, "John Smith") == (0, 1)
    # No wordpiece span spells the answer: keep the word span.
    assert squad._improve_answer_span(doc, 2, 7, tokenizer, "1896") == (2, 7)


@pytest.mark.parametrize("is_training", [True, False])
def test_features_match_model_garden(tokenizer, is_training):
    squad_lib = pytest.importorskip("official.nlp.data.squad_lib")
    mg_tokenization = pytest.importorskip("official.nlp.tools.tokenization")
    ours = _features(squad.read_squad_examples(TINY, is_training, True), tokenizer, is_training)
    mg_examples = squad_lib.read_squad_examples(TINY, is_training, True)
    theirs = []
    squad_lib.convert_examples_to_features(
        mg_examples, mg_tokenization.FullTokenizer(str(DATA / "vocab.txt"), True), MAX_SEQ,
        STRIDE, MAX_QUERY, is_training,
        theirs.append if is_training else (lambda f, is_padding: theirs.append(f)),
        batch_size=1)
    assert len(ours) == len(theirs) == (22 if is_training else 27)
    keys = ["unique_id", "example_index", "doc_span_index", "tokens", "token_to_orig_map",
            "token_is_max_context", "input_ids", "input_mask", "segment_ids"]
    if is_training:
        # (The Model Garden redefines is_impossible per window, so it is not compared.)
        keys += ["start_position", "end_position"]
    for a, b in zip(ours, theirs):
        assert {k: getattr(a, k) for k in keys} == {k: getattr(b, k) for k in keys}


def test_bundled_sample_answers_are_recoverable():
    """Every bundled training answer survives reading, and the dev set reads cleanly."""
    for name, v2 in (("train.json", False), ("train-v2.0.json", True)):
        path = str(SAMPLE / name)
        data = json.loads(pathlib.Path(path).read_text(encoding="utf-8"))
        num_qas = sum(len(p["qas"]) for a in data["data"] for p in a["paragraphs"])
        examples = squad.read_squad_examples(path, True, v2)
        assert len(examples) == num_qas
        for e in examples:
            if not e.is_impossible:
                words = " ".join(e.doc_tokens[e.start_position:e.end_position + 1])
                assert e.orig_answer_text in words
    assert sum(e.is_impossible for e in examples) > 10
    for name, v2 in (("dev.json", False), ("dev-v2.0.json", True)):
        assert len(squad.read_squad_examples(str(SAMPLE / name), False, v2)) >= 40


# ----------------------------------------------------------------------------------------------
# TFRecords


def test_feature_writer_round_trip(tmp_path, tokenizer):
    features = _features(squad.read_squad_examples(TINY, True, True), tokenizer, True)
    path = str(tmp_path / "train.tf_record")
    with squad.FeatureWriter(path, is_training=True) as writer:
        for f in features:
            writer.process_feature(f)
    assert writer.num_features == len(features)
    raw = next(iter(tf.data.TFRecordDataset(path))).numpy()
    names = set(tf.train.Example.FromString(raw).features.feature)
    assert names == {"unique_ids", "input_ids", "input_mask", "segment_ids", "start_positions",
                     "end_positions", "is_impossible"}
    batch = next(iter(records.dataset([path], squad.name_to_features(MAX_SEQ, True),
                                      batch_size=len(features), is_training=False)))
    assert batch["unique_ids"].shape == [len(features)]
    assert batch["input_word_ids"].dtype == tf.int32
    np.testing.assert_array_equal(batch["input_word_ids"], [f.input_ids for f in features])
    np.testing.assert_array_equal(batch["input_type_ids"], [f.segment_ids for f in features])
    np.testing.assert_array_equal(batch["start_positions"], [f.start_position for f in features])
    np.testing.assert_array_equal(batch["end_positions"], [f.end_position for f in features])
    np.testing.assert_array_equal(batch["unique_ids"], [f.unique_id for f in features])


def test_prediction_records_have_no_labels(tmp_path, tokenizer):
    features = _features(squad.read_squad_examples(TINY, False, True), tokenizer, False)
    path = str(tmp_path / "eval.tf_record")
    writer = squad.FeatureWriter(path, is_training=False)
    for f in features:
        writer.process_feature(f)
    assert not tf.io.gfile.exists(path)  # appears only once complete
    writer.close()
    raw = next(iter(tf.data.TFRecordDataset(path))).numpy()
    assert set(tf.train.Example.FromString(raw).features.feature) == {
        "unique_ids", "input_ids", "input_mask", "segment_ids"}
    assert set(squad.name_to_features(MAX_SEQ, False)) == {
        "unique_ids", "input_ids", "input_mask", "segment_ids"}


def test_feature_writer_leaves_nothing_on_error(tmp_path, tokenizer):
    features = _features(squad.read_squad_examples(TINY, True, True), tokenizer, True)
    path = tmp_path / "train.tf_record"
    with pytest.raises(RuntimeError):
        with squad.FeatureWriter(str(path), is_training=True) as writer:
            writer.process_feature(features[0])
            raise RuntimeError("killed")
    assert list(tmp_path.iterdir()) == []


# ----------------------------------------------------------------------------------------------
# Odd and bad input


def test_missing_and_malformed_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.json"):
        squad.read_squad_examples(str(tmp_path / "nope.json"), False)
    bad = tmp_path / "bad.json"
    bad.write_text('{"data": [', encoding="utf-8")
    with pytest.raises(squad.SquadDataError, match=r"bad\.json.*not valid JSON.*line 1"):
        squad.read_squad_examples(str(bad), False)
    no_data = _write_json(tmp_path / "no_data.json", {"version": "1.1"})
    with pytest.raises(squad.SquadDataError, match=r"no_data\.json.*\"data\" list"):
        squad.read_squad_examples(no_data, False)
    empty = _write_json(tmp_path / "empty.json", {"data": []})
    with pytest.raises(squad.SquadDataError, match=r"empty\.json.*no usable questions"):
        squad.read_squad_examples(empty, False)


@pytest.mark.parametrize("qa, is_training, message", [
    ({"question": "q?", "answers": []}, False, r"qas\[0\] has no 'id' key"),
    ({"id": "x", "answers": []}, False, r"qas\[0\] \(id 'x'\) has no 'question' key"),
    ({"id": "x", "question": "q?"}, True, r"\(id 'x'\) has no 'answers' key"),
    ({"id": "x", "question": "q?", "answers": [{"text": "a"}]}, True,
     r"answers\[0\] has no 'answer_start' key"),
    ({"id": "x", "question": "q?", "answers": [{"text": "a", "answer_start": "0"}]}, True,
     r"'answer_start' should be int, got str"),
    ({"id": "x", "question": "q?", "answers": []}, True, r"exactly 1 answer"),
])
def test_missing_keys_name_file_and_position(tmp_path, qa, is_training, message):
    path = _write_json(tmp_path / "keys.json", _one_paragraph("a b c", [qa]))
    with pytest.raises(squad.SquadDataError, match=r"keys\.json.*data\[0\]\.paragraphs\[0\]"):
        squad.read_squad_examples(path, is_training)
    with pytest.raises(squad.SquadDataError, match=message):
        squad.read_squad_examples(path, is_training)


def test_missing_context_and_is_impossible(tmp_path):
    path = _write_json(tmp_path / "p.json", {"data": [{"paragraphs": [{"qas": []}]}]})
    with pytest.raises(squad.SquadDataError, match=r"p\.json.*paragraphs\[0\] has no 'context'"):
        squad.read_squad_examples(path, False)
    qa = {"id": "x", "question": "q?", "answers": [{"text": "b", "answer_start": 2}]}
    path = _write_json(tmp_path / "v2.json", _one_paragraph("a b c", [qa]))
    with pytest.raises(squad.SquadDataError, match=r"\(id 'x'\) has no 'is_impossible' key"):
        squad.read_squad_examples(path, True, version_2_with_negative=True)


def test_answers_outside_context_are_skipped(tmp_path, caplog):
    qas = [{"id": "ok", "question": "q?", "answers": [{"text": "c", "answer_start": 4}]},
           {"id": "far", "question": "q?", "answers": [{"text": "c", "answer_start": 40}]},
           {"id": "empty", "question": "q?", "answers": [{"text": " ", "answer_start": 1}]}]
    path = _write_json(tmp_path / "skip.json", _one_paragraph("a b c", qas))
    with caplog.at_level(logging.WARNING):
        examples = squad.read_squad_examples(path, True)
    assert [e.qas_id for e in examples] == ["ok"]
    assert "answer_start=40 in a context of 5 characters" in caplog.text
    assert "skipped 2 of 3 training questions" in caplog.text


def test_empty_context_gets_no_features(tmp_path, tokenizer, caplog):
    qas = [{"id": "e", "question": "who ?", "answers": []}]
    data = _one_paragraph("  ", qas)
    data["data"][0]["paragraphs"].append(
        {"context": "john smith", "qas": [{"id": "j", "question": "who?", "answers": []}]})
    path = _write_json(tmp_path / "empty_ctx.json", data)
    with caplog.at_level(logging.WARNING):
        examples = squad.read_squad_examples(path, False)
    assert "paragraphs[0] has an empty context" in caplog.text
    features = _features(examples, tokenizer, False)
    assert [f.example_index for f in features] == [1]


def test_non_ascii_question_and_context(tokenizer):
    example = squad.SquadExample("u", "Wh\u00e8n was Jöhn Smith born?",
                                 ["Jöhn", "Smíth", "東京"])
    (feature,) = _features([example], tokenizer, False)
    # Lowercasing strips accents; CJK characters are split; unknown words become [UNK].
    assert feature.tokens == ["[CLS]", "when", "was", "john", "smith", "born", "?", "[SEP]",
                              "john", "smith", "東", "京", "[SEP]"]
    assert feature.token_to_orig_map == {8: 0, 9: 1, 10: 2, 11: 2}


def test_long_paragraph_many_windows(tokenizer):
    words = ("john smith found ##ed a cafe in paris . " * 60).replace(" ##", "").split()
    example = squad.SquadExample("long", "who ?", words)
    features = _features([example], tokenizer, False, max_seq=16, stride=3, query=4)
    doc_len = sum(len(tokenizer.tokenize(w)) for w in words)
    # 16 - 2 - 3 = 11 tokens per window, 3 apart, the last one ending at the last token.
    assert len(features) == 1 + -(-(doc_len - 11) // 3)
    covered = set()
    for f in features:
        covered.update(f.token_to_orig_map.values())
        assert len(f.input_ids) == 16
    assert covered == set(range(len(words)))
    # Every wordpiece has exactly one max-context window.
    owners = {}
    for f in features:
        start = f.doc_span_index * 3
        for pos, is_max in f.token_is_max_context.items():
            if is_max:
                owners[start + pos - 4] = owners.get(start + pos - 4, 0) + 1
    assert sorted(owners) == list(range(doc_len)) and set(owners.values()) == {1}


@pytest.mark.parametrize("max_seq, stride, query, message", [
    (16, 4, 13, r"max_seq_length \(16\) must be greater than max_query_length \(13\) \+ 3"),
    (16, 0, 8, r"--doc_stride must be >= 1"),
    (16, 4, -1, r"--max_query_length must be >= 0"),
])
def test_bad_lengths(tokenizer, max_seq, stride, query, message):
    example = squad.SquadExample("x", "who?", ["john"])
    with pytest.raises(ValueError, match=message):
        _features([example], tokenizer, False, max_seq, stride, query)
