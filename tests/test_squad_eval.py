"""SQuAD answer post-processing (bert_tf.data.squad) and official scoring (bert_tf.squad_eval).

Post-processing is checked on hand-built logits with hand-derived answers and
against the TF Model Garden's port of the original write_predictions; scores are
checked on hand-computed cases and against the Model Garden's copies of the
official evaluate-v1.1 / evaluate-v2.0 scripts.
"""

from __future__ import annotations

import collections
import json
import math
import pathlib
import random

import numpy as np
import pytest

from bert_tf import squad_eval, tokenization
from bert_tf.data import squad

DATA = pathlib.Path(__file__).parent / "data" / "squad"
TINY = str(DATA / "tiny.json")
SAMPLE = pathlib.Path(__file__).resolve().parents[1] / "data" / "squad"
MAX_SEQ, STRIDE, MAX_QUERY = 16, 4, 8


@pytest.fixture(scope="module")
def tiny():
    """Prediction examples and features of tiny.json (see test_squad_data.py for the layout)."""
    tokenizer = tokenization.FullTokenizer(str(DATA / "vocab.txt"), do_lower_case=True)
    examples = squad.read_squad_examples(TINY, is_training=False, version_2_with_negative=True)
    features = []
    squad.convert_examples_to_features(examples, tokenizer, MAX_SEQ, STRIDE, MAX_QUERY, False,
                                       features.append)
    return examples, features


def _results(features, logits=None, default=-10.0):
    """RawResults with every logit `default` except logits[(unique_id offset, 'start'|'end')]."""
    logits = logits or {}
    out = []
    for f in features:
        offset = f.unique_id - squad.FIRST_UNIQUE_ID
        start, end = [default] * MAX_SEQ, [default] * MAX_SEQ
        for i, v in logits.get((offset, "start"), {}).items():
            start[i] = v
        for i, v in logits.get((offset, "end"), {}).items():
            end[i] = v
        out.append(squad.RawResult(f.unique_id, start, end))
    return out


def _load(path):
    return json.loads(pathlib.Path(path).read_text(encoding="utf-8"))


# Question "smith-born" (example 0) has five windows, unique ids +0..+4. In window 0 the
# tokens are [CLS] when was john smith born ? [SEP] john smith ( 1895 - 1943 ) [SEP]:
# position 8 "john", 9 "smith", 11 "1895", 14 ")" (whose max-context window is window 1).
BORN = {(0, "start"): {11: 5.0, 8: 3.0, 0: 1.0}, (0, "end"): {11: 4.0, 9: 3.0, 0: 1.0},
        (1, "start"): {0: 0.5}, (1, "end"): {0: 0.5}}


# ----------------------------------------------------------------------------------------------
# Post-processing


def test_nbest_order_texts_and_probabilities(tiny):
    examples, features = tiny
    out = squad.postprocess_predictions(examples[:1], features, _results(features, BORN),
                                        n_best_size=3, max_answer_length=30, do_lower_case=True)
    nbest = out.nbest["smith-born"]
    # Valid spans from the top-3 starts x top-3 ends: (11, 11) = 9, (8, 11) = 7, (8, 9) = 6.
    # (8, 11) spans the words "John Smith (1895-1943)"; get_final_text cuts "John Smith (1895".
    assert [e["text"] for e in nbest] == ["1895", "John Smith (1895", "John Smith"]
    assert [(e["start_logit"], e["end_logit"]) for e in nbest] == [(5.0, 4.0), (3.0, 4.0),
                                                                  (3.0, 3.0)]
    z = math.exp(9) + math.exp(7) + math.exp(6)
    assert [e["probability"] for e in nbest] == pytest.approx(
        [math.exp(9) / z, math.exp(7) / z, math.exp(6) / z], rel=1e-12)
    assert out.predictions == {"smith-born": "1895"}
    assert out.null_odds is None


def test_max_answer_length_and_max_context(tiny):
    examples, features = tiny
    out = squad.postprocess_predictions(examples[:1], features, _results(features, BORN),
                                        n_best_size=3, max_answer_length=1, do_lower_case=True)
    assert [e["text"] for e in out.nbest["smith-born"]] == ["1895"]
    # ")" (position 14) has its max context in window 1, so no span of window 0 may start
    # there: (14, 14) = 18 is dropped, (8, 14) = 10 wins, then (8, 9) = 2.
    logits = {(0, "start"): {14: 9.0, 8: 1.0}, (0, "end"): {14: 9.0, 9: 1.0}}
    out = squad.postprocess_predictions(examples[:1], features, _results(features, logits),
                                        n_best_size=2, max_answer_length=30, do_lower_case=True)
    assert [e["text"] for e in out.nbest["smith-born"]] == ["John Smith (1895-1943)",
                                                            "John Smith"]
    # In window 1 the same token sits at position 10 and may start a span.
    logits[(1, "start")], logits[(1, "end")] = {10: 9.5}, {10: 9.5}
    out = squad.postprocess_predictions(examples[:1], features, _results(features, logits),
                                        n_best_size=2, max_answer_length=30, do_lower_case=True)
    assert out.predictions["smith-born"] == ")"


def test_no_valid_span_gives_nonce(tiny):
    examples, features = tiny
    # Only [CLS] and question tokens score well: nothing valid, the original's "empty" answer.
    logits = {(k, w): {0: 5.0, 1: 4.0} for k in range(5) for w in ("start", "end")}
    out = squad.postprocess_predictions(examples[:1], features, _results(features, logits),
                                        n_best_size=2, max_answer_length=30, do_lower_case=True)
    assert out.nbest["smith-born"] == [{"text": "empty", "probability": 1.0,
                                        "start_logit": 0.0, "end_logit": 0.0}]
    # SQuAD 2.0: only the null answer exists; predict no answer rather than crash.
    out = squad.postprocess_predictions(examples[:1], features, _results(features, logits),
                                        2, 30, True, version_2_with_negative=True)
    assert out.predictions["smith-born"] == ""
    assert [e["text"] for e in out.nbest["smith-born"]] == [""]
    assert out.null_odds["smith-born"] == 10.0


@pytest.mark.parametrize("threshold, expected", [(0.0, "1895"), (-28.9, "1895"), (-29.1, "")])
def test_null_score_uses_min_over_windows(tiny, threshold, expected):
    examples, features = tiny
    out = squad.postprocess_predictions(examples[:1], features, _results(features, BORN),
                                        n_best_size=3, max_answer_length=30, do_lower_case=True,
                                        version_2_with_negative=True,
                                        null_score_diff_threshold=threshold)
    # Null scores: window 0 1 + 1, window 1 0.5 + 0.5, windows 2-4 -10 + -10 = -20: the
    # minimum is -20 (window 2). Best non-null is 9, so null odds = -20 - 9 = -29.
    assert out.null_odds["smith-born"] == -29.0
    nbest = out.nbest["smith-born"]
    # The null entry was not among the 3 best, so it is appended with window 2's logits.
    assert [e["text"] for e in nbest] == ["1895", "John Smith (1895", "John Smith", ""]
    assert (nbest[-1]["start_logit"], nbest[-1]["end_logit"]) == (-10.0, -10.0)
    assert out.predictions["smith-born"] == expected


@pytest.mark.parametrize("threshold, expected", [(0.0, "1895"), (-7.9, "1895"), (-8.1, "")])
def test_null_threshold(tiny, threshold, expected):
    examples, features = tiny
    # Null logits +0.5 everywhere except window 1 -> the null score is window 1's 0.5 + 0.5.
    logits = dict(BORN)
    for k in (2, 3, 4):
        logits[(k, "start")], logits[(k, "end")] = {0: 0.5, 1: 0.4}, {0: 0.6}
    out = squad.postprocess_predictions(examples[:1], features, _results(features, logits),
                                        n_best_size=4, max_answer_length=30, do_lower_case=True,
                                        version_2_with_negative=True,
                                        null_score_diff_threshold=threshold)
    assert out.null_odds["smith-born"] == 1.0 - 9.0
    assert out.predictions["smith-born"] == expected
    # With n_best_size 4 the null answer (score 1) ranks 4th, after 9, 7, 6.
    assert [e["text"] for e in out.nbest["smith-born"]] == [
        "1895", "John Smith (1895", "John Smith", ""]


def test_null_score_ties_keep_the_first_window(tiny):
    examples, features = tiny
    logits = dict(BORN)
    for k in (2, 3, 4):  # the same null score as window 1 (0.5 + 0.5), split differently
        logits[(k, "start")], logits[(k, "end")] = {0: 0.25}, {0: 0.75}
    out = squad.postprocess_predictions(examples[:1], features, _results(features, logits),
                                        4, 30, True, version_2_with_negative=True)
    assert out.nbest["smith-born"][3] == {"text": "", "probability": pytest.approx(
        math.exp(1) / (math.exp(9) + math.exp(7) + math.exp(6) + math.exp(1)), rel=1e-12),
        "start_logit": 0.5, "end_logit": 0.5}


def test_empty_context_example(tmp_path):
    path = tmp_path / "empty.json"
    path.write_text(json.dumps({"data": [{"paragraphs": [
        {"context": " ", "qas": [{"id": "e", "question": "who?", "answers": []}]}]}]}))
    examples = squad.read_squad_examples(str(path), False)
    v1 = squad.postprocess_predictions(examples, [], [], 20, 30, True)
    assert v1.predictions == {"e": "empty"}
    v2 = squad.postprocess_predictions(examples, [], [], 20, 30, True, True)
    assert v2.predictions == {"e": ""} and v2.null_odds == {"e": 1000000}


def test_missing_result_is_a_clear_error(tiny):
    examples, features = tiny
    with pytest.raises(ValueError, match=r"no model output .*unique_id=1000000004 of question "
                                         r"'smith-born'.*cover 4 features"):
        squad.postprocess_predictions(examples[:1], features, _results(features[:4]), 20, 30, True)


@pytest.mark.parametrize("version_2", [False, True])
def test_postprocess_matches_model_garden(tiny, version_2):
    squad_lib = pytest.importorskip("official.nlp.data.squad_lib")
    examples, features = tiny
    rng = np.random.default_rng(7)
    for _ in range(5):
        results = [squad.RawResult(f.unique_id, (rng.normal(size=MAX_SEQ) * 3).astype(np.float32),
                                   (rng.normal(size=MAX_SEQ) * 3).astype(np.float32))
                   for f in features]
        as_lists = [squad.RawResult(r.unique_id, [float(x) for x in r.start_logits],
                                    [float(x) for x in r.end_logits]) for r in results]
        for n_best, max_len, threshold in ((20, 30, 0.0), (3, 2, -1.5), (5, 4, 2.0)):
            ours = squad.postprocess_predictions(examples, features, results, n_best, max_len,
                                                 True, version_2, threshold)
            preds, nbest, null_odds = squad_lib.postprocess_output(
                examples, features, as_lists, n_best, max_len, True, version_2, threshold)
            assert ours.predictions == preds
            assert json.dumps(ours.nbest, indent=4) == json.dumps(nbest, indent=4)
            if version_2:
                assert ours.null_odds == null_odds


def test_write_predictions_files(tiny, tmp_path):
    examples, features = tiny
    results = _results(features, BORN)
    paths = [str(tmp_path / n) for n in ("predictions.json", "nbest.json", "null_odds.json")]
    v1 = squad.write_predictions(examples, features, results, 20, 30, True, *paths)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["nbest.json", "predictions.json"]
    # The original's format: json.dumps(..., indent=4) plus a newline, in example order.
    text = pathlib.Path(paths[0]).read_text()
    assert text == json.dumps(v1.predictions, indent=4) + "\n"
    assert list(json.loads(text)) == [e.qas_id for e in examples]
    assert _load(paths[1]) == json.loads(json.dumps(v1.nbest))
    v2 = squad.write_predictions(examples, features, results, 20, 30, True, *paths,
                                 version_2_with_negative=True)
    assert pathlib.Path(paths[2]).read_text() == json.dumps(v2.null_odds, indent=4) + "\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "nbest.json", "null_odds.json", "predictions.json"]  # no temporary files left


@pytest.mark.parametrize("pred, orig, lower, expected", [
    ("steve smith", "Steve Smith's", True, "Steve Smith"),  # the original's docstring example
    ("Steve", "Steve Smith's", False, "Steve"),
    ("smith", "Steve Smith's", False, "Steve Smith's"),  # cased: "smith" is not found
    ("1895", "(1895-1943).", True, "1895"),
    ("cafe", "café.", True, "café"),  # accents stripped by the tokenizer, kept in the answer
    ("zoe", "Zoe\u0308's", True, "Zoe\u0308's"),  # combining mark: lengths differ, give up
    ("東 京", "(東京)", True, "東京"),
    ("paris", "London", True, "London"),
])
def test_get_final_text(pred, orig, lower, expected):
    assert squad.get_final_text(pred, orig, lower) == expected


def test_get_final_text_verbose_logging(caplog):
    import logging

    # At the absl logger: an earlier import (tensorflow_hub, tf_keras) may have raised its level.
    with caplog.at_level(logging.INFO, logger="absl"):
        squad.get_final_text("paris", "London", True, verbose_logging=True)
        squad.get_final_text("zoe", "Zoe\u0308", True, verbose_logging=True)
    assert "Unable to find text: 'paris' in 'London'" in caplog.text
    assert "Length not equal after stripping spaces" in caplog.text


def test_best_indexes_and_softmax():
    assert squad._get_best_indexes([1.0, 3.0, 3.0, 2.0, 3.0], 3) == [1, 2, 4]
    assert squad._get_best_indexes([1.0, 2.0], 5) == [1, 0]
    assert squad._compute_softmax([]) == []
    probs = squad._compute_softmax([1000.0, 1000.0, 999.0])  # shifted: no overflow
    e = math.exp(-1)
    assert probs == pytest.approx([1 / (2 + e), 1 / (2 + e), e / (2 + e)], rel=1e-12)


# ----------------------------------------------------------------------------------------------
# Scoring: hand-computed


def test_normalize_and_token_f1():
    assert squad_eval.normalize_answer("The  Cat's, hat!") == "cats hat"
    assert squad_eval.normalize_answer("An apple a day") == "apple day"
    assert squad_eval.f1_score("the cat sat", "a cat sat down") == pytest.approx(0.8)
    assert squad_eval.f1_score("", "") == 0  # v1.1: nothing shared scores 0
    assert squad_eval.compute_f1("", "") == 1  # v2.0: both "no answer" agree
    assert squad_eval.compute_f1("the", "") == 1  # normalizes to no answer
    assert squad_eval.compute_f1("cat", "") == 0
    assert squad_eval.compute_exact("In Paris.", "in paris") == 1


def _qa(qid, *answers):
    return {"id": qid, "question": "?",
            "answers": [{"text": a, "answer_start": 0} for a in answers]}


V1_DATA = {"version": "1.1", "data": [{"paragraphs": [
    {"context": "", "qas": [_qa("q1", "Paris", "in Paris"), _qa("q2", "1895")]}]}]}
V2_DATA = {"version": "v2.0", "data": [{"paragraphs": [
    {"context": "", "qas": [_qa("q1", "Paris", "in Paris"), _qa("q2", "1895"), _qa("q3"),
                            _qa("q4")]}]}]}
V2_PREDS = {"q1": "the Paris", "q2": "1895 and 1943", "q3": "", "q4": "London"}
V2_NA = {"q1": -3.0, "q2": 2.0, "q3": 0.5, "q4": 3.0}


def test_v1_by_hand():
    # q1: "in paris." matches "in Paris" exactly; q2: F1 of {1895, and, 1943} vs {1895} = 0.5.
    out = squad_eval.evaluate(V1_DATA, {"q1": "in paris.", "q2": "1895 and 1943"})
    assert out == {"exact_match": 50.0, "f1": 75.0}
    # A missing prediction scores 0 and still counts.
    assert squad_eval.evaluate(V1_DATA, {"q1": "Paris"}) == {"exact_match": 50.0, "f1": 50.0}


def test_v2_by_hand():
    out = squad_eval.evaluate(V2_DATA, V2_PREDS, V2_NA)
    # na_prob > 1.0 -> "no answer": q2 (has an answer: 0) and q4 (has none: 1).
    # Per question EM/F1 after that: q1 1/1, q2 0/0, q3 1/1, q4 1/1.
    # Best threshold: start from "all no answer" = 2 (q3, q4); answer in rising na_prob order
    # q1 (+1 -> 3), q3 (+0), q2 (EM +0, F1 +0.5 -> 3.5), q4 (-1: "London" is wrong).
    assert out == {"exact": 75.0, "f1": 75.0, "total": 4,
                   "HasAns_exact": 50.0, "HasAns_f1": 50.0, "HasAns_total": 2,
                   "NoAns_exact": 100.0, "NoAns_f1": 100.0, "NoAns_total": 2,
                   "best_exact": 75.0, "best_exact_thresh": -3.0,
                   "best_f1": 87.5, "best_f1_thresh": 2.0}
    assert list(out)[:3] == ["exact", "f1", "total"]
    # Without na_probs nothing is thresholded: q2 scores 0 / 0.5, q4 0 / 0.
    raw = squad_eval.evaluate(V2_DATA, V2_PREDS)
    assert (raw["exact"], raw["f1"]) == (50.0, 62.5)
    assert "best_f1" not in raw  # as the official script without --na-prob-file
    strict = squad_eval.evaluate(V2_DATA, V2_PREDS, V2_NA, na_prob_thresh=-5.0)
    assert (strict["exact"], strict["HasAns_exact"], strict["NoAns_exact"]) == (50.0, 0.0, 100.0)


def test_version_detection():
    assert not squad_eval.is_version_2(V1_DATA)
    assert squad_eval.is_version_2(V2_DATA)
    assert squad_eval.is_version_2(
        {"data": [{"paragraphs": [{"qas": [dict(_qa("x"), is_impossible=True)]}]}]})
    assert set(squad_eval.evaluate(V1_DATA, {"q1": "x"}, version_2_with_negative=True)) == {
        "exact", "f1", "total", "HasAns_exact", "HasAns_f1", "HasAns_total"}


# ----------------------------------------------------------------------------------------------
# Scoring: against the Model Garden's official scripts


def _random_predictions(dataset, rng: random.Random) -> dict[str, str]:
    preds = {}
    for article in dataset["data"]:
        for paragraph in article["paragraphs"]:
            words = paragraph["context"].split()
            for qa in paragraph["qas"]:
                golds = [a["text"] for a in qa["answers"]] or [""]
                gold = rng.choice(golds)
                i = rng.randrange(len(words))
                preds[qa["id"]] = rng.choice([
                    gold, gold.upper() + ".", "the " + gold, gold + " " + words[i],
                    " ".join(gold.split()[1:]), " ".join(words[i:i + rng.randint(1, 4)]), ""])
    return preds


@pytest.mark.parametrize("seed", range(4))
def test_v1_matches_official(seed):
    mg = pytest.importorskip("official.nlp.tools.squad_evaluate_v1_1")
    dataset = _load(SAMPLE / "dev.json")
    preds = _random_predictions(dataset, random.Random(seed))
    if seed == 3:
        del preds[next(iter(preds))]  # a missing prediction scores 0
    ours = squad_eval.evaluate(dataset, preds)
    theirs = mg.evaluate(dataset["data"], preds)  # fractions, f1 named final_f1
    assert ours["exact_match"] == pytest.approx(100 * theirs["exact_match"], rel=1e-12)
    assert ours["f1"] == pytest.approx(100 * theirs["final_f1"], rel=1e-12)
    assert 0 < ours["f1"] < 100


@pytest.mark.parametrize("seed", range(4))
def test_v2_matches_official(seed):
    mg = pytest.importorskip("official.nlp.tools.squad_evaluate_v2_0")
    dataset = _load(SAMPLE / "dev-v2.0.json")
    rng = random.Random(seed)
    preds = _random_predictions(dataset, rng)
    na_probs = {qid: rng.choice([rng.gauss(0, 3), float(rng.randint(-2, 2))]) for qid in preds}
    if seed == 3:
        # Left out of every count, as the Model Garden does (whose precision-recall part
        # would crash on a no-answer probability without a prediction).
        del na_probs[next(iter(preds))], preds[next(iter(preds))]
    for na in (na_probs, None):
        ours = squad_eval.evaluate(dataset, preds, na)
        theirs = mg.evaluate(dataset["data"], preds, na)
        # The Model Garden names best_* final_* and always reports them; the official
        # script (and we) only with no-answer probabilities.
        renamed = {k.replace("final_", "best_"): v for k, v in theirs.items()
                   if not k.startswith("pr_") and (na is not None or not k.startswith("final_"))}
        assert ours == pytest.approx(renamed, rel=1e-12)
        assert ours.keys() == renamed.keys()


# ----------------------------------------------------------------------------------------------
# Null threshold tuning


def _nbest_and_odds(dataset, rng: random.Random, clean: bool = False):
    preds = _random_predictions(dataset, rng)
    nbest = collections.OrderedDict()
    for qid, text in preds.items():
        if clean and not squad_eval.normalize_answer(text):
            text = ""  # no best answer that normalizes to nothing (see the test below)
        entries = [{"text": t} for t in ([text, "decoy"] if text else ["", "decoy", "other"])]
        nbest[qid] = entries
    odds = {qid: rng.gauss(0, 4) for qid in nbest}
    return nbest, odds


@pytest.mark.parametrize("seed", range(3))
def test_tune_null_threshold_is_the_best_threshold(seed):
    dataset = _load(SAMPLE / "dev-v2.0.json")
    nbest, odds = _nbest_and_odds(dataset, random.Random(seed))
    best = squad_eval.tune_null_threshold(dataset, nbest, odds)
    # Brute force: re-make the predictions at every candidate threshold and score them.
    f1s, ems = {}, {}
    for t in sorted(odds.values()) + [min(odds.values()) - 1.0]:
        scores = squad_eval.evaluate_v2(dataset, squad_eval.apply_null_threshold(nbest, odds, t))
        f1s[t], ems[t] = scores["f1"], scores["exact"]
    assert best["best_f1"] == pytest.approx(max(f1s.values()), rel=1e-12)
    assert best["best_exact"] == pytest.approx(max(ems.values()), rel=1e-12)
    assert f1s[best["best_f1_thresh"]] == pytest.approx(best["best_f1"], rel=1e-12)
    assert ems[best["best_exact_thresh"]] == pytest.approx(best["best_exact"], rel=1e-12)


def test_tune_matches_official_search_on_non_null_answers():
    mg = pytest.importorskip("official.nlp.tools.squad_evaluate_v2_0")
    dataset = _load(SAMPLE / "dev-v2.0.json")
    nbest, odds = _nbest_and_odds(dataset, random.Random(11), clean=True)
    ours = squad_eval.tune_null_threshold(dataset, nbest, odds)
    theirs = mg.evaluate(dataset["data"], squad_eval.best_non_null_predictions(nbest), odds)
    assert ours == pytest.approx({k: theirs["final_" + k[5:]] for k in ours}, rel=1e-12)


def test_tune_counts_an_answer_that_normalizes_to_nothing():
    nbest = {"q1": [{"text": "Paris"}], "q3": [{"text": "the"}], "q4": [{"text": "London"}]}
    odds = {"q1": 1.0, "q3": 0.5, "q4": 2.0}
    best = squad_eval.tune_null_threshold(V2_DATA, nbest, odds)
    # At threshold 1.0: q3 "the" (scored as a correct no-answer), q1 "Paris", q4 "" -> 100.
    # The official search charges q3 -1 for a non-empty string and reports 66.7 at 0.0.
    assert (best["best_exact"], best["best_exact_thresh"]) == (100.0, 1.0)
    preds = squad_eval.apply_null_threshold(nbest, odds, 1.0)
    assert preds == {"q1": "Paris", "q3": "the", "q4": ""}
    assert squad_eval.evaluate_v2(V2_DATA, preds)["exact"] == 100.0
    official = squad_eval.evaluate_v2(V2_DATA, squad_eval.best_non_null_predictions(nbest), odds)
    assert (official["best_exact"], official["best_exact_thresh"]) == (pytest.approx(200 / 3), 0.0)


def test_tune_when_no_answer_everywhere_is_best():
    nbest = {"q3": [{"text": "x"}], "q4": [{"text": "y"}]}
    best = squad_eval.tune_null_threshold(V2_DATA, nbest, {"q3": 0.5, "q4": 2.0})
    # Answering nothing gets both right; the threshold must sit below every null odds.
    assert best == {"best_exact": 100.0, "best_exact_thresh": -0.5,
                    "best_f1": 100.0, "best_f1_thresh": -0.5}
    assert squad_eval.apply_null_threshold(nbest, {"q3": 0.5, "q4": 2.0}, -0.5) == {
        "q3": "", "q4": ""}


def test_apply_null_threshold_agrees_with_postprocessing(tiny):
    examples, features = tiny
    rng = np.random.default_rng(3)
    results = [squad.RawResult(f.unique_id, rng.normal(size=MAX_SEQ), rng.normal(size=MAX_SEQ))
               for f in features]
    base = squad.postprocess_predictions(examples, features, results, 5, 30, True, True, 0.0)
    for t in sorted(base.null_odds.values()):
        again = squad.postprocess_predictions(examples, features, results, 5, 30, True, True, t)
        assert squad_eval.apply_null_threshold(base.nbest, base.null_odds, t) == again.predictions


# ----------------------------------------------------------------------------------------------
# Bad input and the command line


@pytest.mark.parametrize("dataset, preds, na, message", [
    ({"version": "1.1"}, {}, None, r"no \"data\" list"),
    ({"data": [{"title": "x"}]}, {}, None, r"data\[0\] has no 'paragraphs'"),
    ({"data": [{"paragraphs": [{"qas": [{"id": "a"}]}]}]}, {}, None,
     r"qas\[0\] has no 'answers'"),
    (V1_DATA, {"q1": 3, "q2": "x"}, None, r"prediction for question 'q1' should be a string"),
    ({"data": [{"paragraphs": [{"qas": [_qa("q")]}]}]}, {"q": "x"}, None,
     r"'q' has no gold answer.*v2\.0"),
    (V2_DATA, V2_PREDS, {"q1": 0.0}, r"no value for question 'q2'"),
    (V2_DATA, {"other": "x"}, None, r"no question of the SQuAD dataset has a prediction"),
])
def test_bad_evaluation_input(dataset, preds, na, message):
    with pytest.raises(ValueError, match=message):
        squad_eval.evaluate(dataset, preds, na, version_2_with_negative=dataset is V2_DATA or None)


def test_command_line(tmp_path, capsys):
    files = {}
    for name, obj in (("dev.json", V2_DATA), ("pred.json", V2_PREDS), ("na.json", V2_NA)):
        files[name] = str(tmp_path / name)
        pathlib.Path(files[name]).write_text(json.dumps(obj))
    out = squad_eval.main([files["dev.json"], files["pred.json"], "--na-prob-file",
                           files["na.json"]])
    assert json.loads(capsys.readouterr().out) == out
    assert out["best_f1"] == 87.5
    with pytest.raises(FileNotFoundError, match="predictions file .*missing.json"):
        squad_eval.main([files["dev.json"], str(tmp_path / "missing.json")])
    pathlib.Path(files["pred.json"]).write_text("{")
    with pytest.raises(ValueError, match=r"predictions file .*pred\.json.* not valid"):
        squad_eval.main([files["dev.json"], files["pred.json"]])
