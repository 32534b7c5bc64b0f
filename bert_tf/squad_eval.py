"""Official SQuAD v1.1 and v2.0 scoring, in process, plus null-threshold tuning for SQuAD 2.0.

The metric definitions are those of the official evaluation scripts
(evaluate-v1.1.py, evaluate-v2.0.py): answers are normalized (lowercase, no
punctuation, no articles a/an/the, single spaces); EM and token F1 take the max
over the gold answers. v1.1 reports `exact_match` and `f1`; v2.0 reports
`exact`, `f1`, `total` with HasAns_/NoAns_ splits, no-answer probabilities above
`na_prob_thresh` count as "no answer", and the best-threshold search
(`best_exact`, `best_exact_thresh`, `best_f1`, `best_f1_thresh`). All values are
percentages, as the official scripts print them.

In v2.0, questions without a prediction are left out of the scores, as in the
TF Model Garden's port (the official script would crash on them), and the
best-threshold keys come only with no-answer probabilities, as in the
official script (`--na-prob-file`).

Also usable as a script, like the official ones:
  python -m bert_tf.squad_eval dev-v2.0.json predictions.json --na-prob-file null_odds.json
"""

from __future__ import annotations

import argparse
import collections
import json
import re
import string
import sys
from typing import Any, Callable, Iterator, Mapping, Sequence

from absl import logging
from bert_tf.errors import DataError, MissingFileError

_PUNCTUATION = frozenset(string.punctuation)
_ARTICLES = re.compile(r"\b(a|an|the)\b", re.UNICODE)


def normalize_answer(s: str) -> str:
    """Lowercases, drops ASCII punctuation and the articles a/an/the, collapses whitespace."""
    s = "".join(ch for ch in s.lower() if ch not in _PUNCTUATION)
    return " ".join(_ARTICLES.sub(" ", s).split())


# ------------------------------------------------------------------------------------------
# Per-answer metrics


def exact_match_score(prediction: str, ground_truth: str) -> bool:
    """v1.1 EM: normalized strings are equal."""
    return normalize_answer(prediction) == normalize_answer(ground_truth)


def f1_score(prediction: str, ground_truth: str) -> float:
    """v1.1 F1 of normalized tokens (bag of words); 0 when nothing is shared."""
    prediction_tokens = normalize_answer(prediction).split()
    ground_truth_tokens = normalize_answer(ground_truth).split()
    num_same = sum((collections.Counter(prediction_tokens)
                    & collections.Counter(ground_truth_tokens)).values())
    if num_same == 0:
        return 0
    precision = 1.0 * num_same / len(prediction_tokens)
    recall = 1.0 * num_same / len(ground_truth_tokens)
    return (2 * precision * recall) / (precision + recall)


def compute_exact(a_gold: str, a_pred: str) -> int:
    """v2.0 EM as 0/1."""
    return int(normalize_answer(a_gold) == normalize_answer(a_pred))


def compute_f1(a_gold: str, a_pred: str) -> float:
    """v2.0 F1: as v1.1, except that an empty answer scores 1 against an empty answer."""
    gold_toks = normalize_answer(a_gold).split() if a_gold else []
    pred_toks = normalize_answer(a_pred).split() if a_pred else []
    if not gold_toks or not pred_toks:
        # With a no-answer on either side, F1 is 1 if both are no-answer, else 0.
        return int(gold_toks == pred_toks)
    num_same = sum((collections.Counter(gold_toks) & collections.Counter(pred_toks)).values())
    if num_same == 0:
        return 0
    precision = 1.0 * num_same / len(pred_toks)
    recall = 1.0 * num_same / len(gold_toks)
    return (2 * precision * recall) / (precision + recall)


def _max_over(metric_fn: Callable[[str, str], float], prediction: str,
              ground_truths: Sequence[str]) -> float:
    return max(metric_fn(prediction, gt) for gt in ground_truths)


# ------------------------------------------------------------------------------------------
# Walking a dataset


def _articles(dataset_json: Mapping[str, Any] | Sequence[Any]) -> Sequence[Any]:
    """The list of articles: dataset_json["data"] (a loaded SQuAD file) or the list itself."""
    if isinstance(dataset_json, Mapping):
        if not isinstance(dataset_json.get("data"), list):
            raise DataError("SQuAD dataset JSON has no \"data\" list of articles")
        return dataset_json["data"]
    if isinstance(dataset_json, (list, tuple)):
        return dataset_json
    raise DataError(f"expected a SQuAD dataset (dict with \"data\", or its list of articles), "
                     f"got {type(dataset_json).__name__}")


def _iter_qas(articles: Sequence[Any]) -> Iterator[dict[str, Any]]:
    """Every question dict, with a clear error for a missing key."""
    for i, article in enumerate(articles):
        if not isinstance(article, Mapping) or "paragraphs" not in article:
            raise DataError(f"SQuAD dataset: data[{i}] has no 'paragraphs' key")
        for j, paragraph in enumerate(article["paragraphs"]):
            if not isinstance(paragraph, Mapping) or "qas" not in paragraph:
                raise DataError(f"SQuAD dataset: data[{i}].paragraphs[{j}] has no 'qas' key")
            for k, qa in enumerate(paragraph["qas"]):
                for key in ("id", "answers"):
                    if not isinstance(qa, Mapping) or key not in qa:
                        raise DataError(f"SQuAD dataset: data[{i}].paragraphs[{j}].qas[{k}] "
                                         f"has no {key!r} key")
                yield qa


def _gold_texts(qa: Mapping[str, Any]) -> list[str]:
    try:
        return [a["text"] for a in qa["answers"]]
    except (KeyError, TypeError):
        raise DataError(f"SQuAD dataset: question {qa['id']!r} has an answer without "
                         "'text'") from None


def _prediction(predictions: Mapping[str, Any], qid: str) -> str:
    pred = predictions[qid]
    if not isinstance(pred, str):
        raise DataError(f"prediction for question {qid!r} should be a string, "
                         f"got {type(pred).__name__}")
    return pred


def is_version_2(dataset_json: Mapping[str, Any] | Sequence[Any]) -> bool:
    """True for SQuAD 2.0 data: "version" v2.x, or questions carrying "is_impossible"."""
    if isinstance(dataset_json, Mapping) and str(dataset_json.get("version", "")).lstrip(
            "v").startswith("2"):
        return True
    return any("is_impossible" in qa for qa in _iter_qas(_articles(dataset_json)))


# ------------------------------------------------------------------------------------------
# SQuAD v1.1


def evaluate_v1(dataset_json: Mapping[str, Any] | Sequence[Any],
                predictions: Mapping[str, str]) -> dict[str, float]:
    """Official v1.1 scores: {"exact_match", "f1"} in percent.

    A question without a prediction scores 0 (and is logged), as in the official script.
    """
    f1 = exact_match = 0.0
    total = 0
    missing = []
    for qa in _iter_qas(_articles(dataset_json)):
        total += 1
        if qa["id"] not in predictions:
            missing.append(qa["id"])
            continue
        ground_truths = _gold_texts(qa)
        if not ground_truths:
            raise DataError(f"question {qa['id']!r} has no gold answer: SQuAD 2.0 data needs "
                             "the v2.0 evaluation (version_2_with_negative)")
        prediction = _prediction(predictions, qa["id"])
        exact_match += _max_over(exact_match_score, prediction, ground_truths)
        f1 += _max_over(f1_score, prediction, ground_truths)
    if total == 0:
        raise DataError("SQuAD dataset has no questions to evaluate")
    _log_missing(missing, "will receive score 0")
    return {"exact_match": 100.0 * exact_match / total, "f1": 100.0 * f1 / total}


def _log_missing(missing: Sequence[str], consequence: str) -> None:
    if missing:
        shown = ", ".join(map(repr, missing[:5])) + (", ..." if len(missing) > 5 else "")
        logging.error("%d unanswered question(s) %s: %s", len(missing), consequence, shown)


# ------------------------------------------------------------------------------------------
# SQuAD v2.0


def _raw_scores_v2(qas: Sequence[Mapping[str, Any]], predictions: Mapping[str, str]
                   ) -> tuple[dict[str, int], dict[str, float]]:
    """Per-question EM and F1 before any no-answer thresholding."""
    exact_scores: dict[str, int] = {}
    f1_scores: dict[str, float] = {}
    for qa in qas:
        qid = qa["id"]
        gold_answers = [a for a in _gold_texts(qa) if normalize_answer(a)]
        if not gold_answers:
            # For unanswerable questions the only correct answer is the empty string.
            gold_answers = [""]
        a_pred = _prediction(predictions, qid)
        exact_scores[qid] = max(compute_exact(a, a_pred) for a in gold_answers)
        f1_scores[qid] = max(compute_f1(a, a_pred) for a in gold_answers)
    return exact_scores, f1_scores


def _apply_no_ans_threshold(scores: Mapping[str, float], na_probs: Mapping[str, float],
                            qid_to_has_ans: Mapping[str, bool],
                            na_prob_thresh: float) -> dict[str, float]:
    """Questions with na_prob > na_prob_thresh are answered "no answer"."""
    new_scores = {}
    for qid, s in scores.items():
        if qid not in na_probs:
            raise DataError(f"no-answer probabilities (null odds) have no value for question "
                             f"{qid!r}")
        new_scores[qid] = float(not qid_to_has_ans[qid]) if na_probs[qid] > na_prob_thresh else s
    return new_scores


def _make_eval_dict(exact_scores: Mapping[str, float], f1_scores: Mapping[str, float],
                    qid_list: Sequence[str] | None = None) -> collections.OrderedDict:
    qids = list(qid_list) if qid_list else list(exact_scores)
    total = len(qids)
    return collections.OrderedDict([
        ("exact", 100.0 * sum(exact_scores[k] for k in qids) / total),
        ("f1", 100.0 * sum(f1_scores[k] for k in qids) / total),
        ("total", total),
    ])


def _find_best_thresh(predictions: Mapping[str, str], scores: Mapping[str, float],
                      na_probs: Mapping[str, float], qid_to_has_ans: Mapping[str, bool],
                      exact: bool = False) -> tuple[float, float]:
    """The official search: answer questions in rising na_prob order, keep the best total.

    Starts from "every question is no-answer" (score = number of no-answer
    questions); answering a question adds its score if it has an answer, or
    -1 if it has none and the prediction is not empty. Returns (best score in
    percent, the na_prob at which it was reached; 0.0 if answering none is best).

    With `exact`, a no-answer question loses 1 - its own score instead, which
    differs from the official -1 only for a prediction that normalizes to
    nothing (e.g. "the"), which is scored as a correct no-answer; and answering
    none returns a threshold below every na_prob. The result is then the true
    best over all thresholds.
    """
    cur_score = best_score = sum(1 for k in qid_to_has_ans if not qid_to_has_ans[k])
    best_thresh = 0.0
    if exact:
        best_thresh = min((na_probs[k] for k in scores), default=0.0) - 1.0
    for qid in sorted(na_probs, key=lambda k: na_probs[k]):
        if qid not in scores:
            continue
        if qid_to_has_ans[qid]:
            diff = scores[qid]
        elif exact:
            diff = scores[qid] - 1
        else:
            diff = -1 if predictions[qid] else 0
        cur_score += diff
        if cur_score > best_score:
            best_score = cur_score
            best_thresh = na_probs[qid]
    return 100.0 * best_score / len(scores), best_thresh


def _best_thresholds(predictions: Mapping[str, str], exact_raw: Mapping[str, float],
                     f1_raw: Mapping[str, float], na_probs: Mapping[str, float],
                     qid_to_has_ans: Mapping[str, bool], exact: bool = False) -> dict[str, float]:
    best_exact, exact_thresh = _find_best_thresh(predictions, exact_raw, na_probs, qid_to_has_ans,
                                                 exact)
    best_f1, f1_thresh = _find_best_thresh(predictions, f1_raw, na_probs, qid_to_has_ans, exact)
    return {"best_exact": best_exact, "best_exact_thresh": exact_thresh,
            "best_f1": best_f1, "best_f1_thresh": f1_thresh}


def _answered_qas(dataset_json: Mapping[str, Any] | Sequence[Any],
                  predictions: Mapping[str, str]) -> tuple[list[dict], dict[str, bool]]:
    """The questions that have a prediction (others are logged and left out), and has-answer."""
    qas, missing = [], []
    for qa in _iter_qas(_articles(dataset_json)):
        (qas if qa["id"] in predictions else missing).append(qa)
    _log_missing([qa["id"] for qa in missing], "are left out of the v2.0 scores")
    if not qas:
        raise DataError("no question of the SQuAD dataset has a prediction")
    return qas, {qa["id"]: bool(qa["answers"]) for qa in qas}


def evaluate_v2(dataset_json: Mapping[str, Any] | Sequence[Any], predictions: Mapping[str, str],
                na_probs: Mapping[str, float] | None = None,
                na_prob_thresh: float = 1.0) -> collections.OrderedDict:
    """Official v2.0 scores (percent): exact, f1, total, HasAns_*, NoAns_*, best_*.

    `na_probs` maps question id -> no-answer score (e.g. null_odds.json). Scores
    count a question as "no answer" when its na_prob > `na_prob_thresh`. As in
    the official script, the best-threshold keys (best_exact, best_exact_thresh,
    best_f1, best_f1_thresh) are only reported when na_probs are given; without
    them every na_prob is 0.0.
    """
    qas, qid_to_has_ans = _answered_qas(dataset_json, predictions)
    with_na_probs = na_probs is not None
    if na_probs is None:
        na_probs = {k: 0.0 for k in predictions}
    exact_raw, f1_raw = _raw_scores_v2(qas, predictions)
    exact_thresh = _apply_no_ans_threshold(exact_raw, na_probs, qid_to_has_ans, na_prob_thresh)
    f1_thresh = _apply_no_ans_threshold(f1_raw, na_probs, qid_to_has_ans, na_prob_thresh)
    out = _make_eval_dict(exact_thresh, f1_thresh)
    for prefix, has_ans in (("HasAns", True), ("NoAns", False)):
        qids = [k for k, v in qid_to_has_ans.items() if v == has_ans]
        if qids:
            for key, value in _make_eval_dict(exact_thresh, f1_thresh, qids).items():
                out[f"{prefix}_{key}"] = value
    if with_na_probs:
        out.update(_best_thresholds(predictions, exact_raw, f1_raw, na_probs, qid_to_has_ans))
    return out


def evaluate(dataset_json: Mapping[str, Any] | Sequence[Any], predictions: Mapping[str, str],
             na_probs: Mapping[str, float] | None = None, na_prob_thresh: float = 1.0,
             version_2_with_negative: bool | None = None) -> dict[str, float]:
    """Official SQuAD scores of `predictions` (question id -> answer text) on `dataset_json`.

    `dataset_json` is a loaded SQuAD file (dict with "data") or its list of
    articles. The v2.0 rules apply when `version_2_with_negative` is True, or,
    when it is None, when na_probs are given or the data looks like SQuAD 2.0
    (see `is_version_2`). v1.1 returns {"exact_match", "f1"}; v2.0 returns the
    keys listed in `evaluate_v2`.
    """
    if version_2_with_negative is None:
        version_2_with_negative = na_probs is not None or is_version_2(dataset_json)
    if version_2_with_negative:
        return evaluate_v2(dataset_json, predictions, na_probs, na_prob_thresh)
    return evaluate_v1(dataset_json, predictions)


# ------------------------------------------------------------------------------------------
# Tuning --null_score_diff_threshold


def best_non_null_predictions(nbest: Mapping[str, Sequence[Mapping[str, Any]]]
                              ) -> collections.OrderedDict:
    """qid -> the best non-empty answer text of its n-best list ("" if there is none)."""
    return collections.OrderedDict(
        (qid, next((e["text"] for e in entries if e["text"]), ""))
        for qid, entries in nbest.items())


def apply_null_threshold(nbest: Mapping[str, Sequence[Mapping[str, Any]]],
                         null_odds: Mapping[str, float],
                         null_score_diff_threshold: float) -> collections.OrderedDict:
    """Predictions as run_squad would make them with another --null_score_diff_threshold.

    A question gets "" when its null odds exceed the threshold, else its best
    non-null n-best answer, so the model need not run again.
    """
    best = best_non_null_predictions(nbest)
    return collections.OrderedDict(
        (qid, "" if null_odds[qid] > null_score_diff_threshold else text)
        for qid, text in best.items())


def tune_null_threshold(dataset_json: Mapping[str, Any] | Sequence[Any],
                        nbest: Mapping[str, Sequence[Mapping[str, Any]]],
                        null_odds: Mapping[str, float]) -> dict[str, float]:
    """The --null_score_diff_threshold that maximizes v2.0 F1 (and EM) on `dataset_json`.

    Runs the official best-threshold search with the null odds as no-answer
    scores and, for every question, its best non-null answer from `nbest` as
    the answer it gets when not predicted empty, so every threshold is scored
    as if run_squad had used it (the official script, fed predictions made with
    one threshold, can only move that threshold down). Returns best_exact,
    best_exact_thresh, best_f1, best_f1_thresh (percent and null-odds units);
    pass best_f1_thresh as --null_score_diff_threshold: `evaluate` of
    `apply_null_threshold(nbest, null_odds, best_f1_thresh)` gives best_f1.

    Two corner cases differ from the official search, which would report a
    threshold that does not reach its score: a non-empty answer that
    normalizes to nothing ("the") counts as a correct no-answer, and when no
    answer everywhere is best the threshold is 1.0 below the smallest null odds.
    """
    predictions = best_non_null_predictions(nbest)
    qas, qid_to_has_ans = _answered_qas(dataset_json, predictions)
    exact_raw, f1_raw = _raw_scores_v2(qas, predictions)
    for qid in exact_raw:
        if qid not in null_odds:
            raise DataError(f"null odds have no value for question {qid!r}")
    return _best_thresholds(predictions, exact_raw, f1_raw, null_odds, qid_to_has_ans, exact=True)


# ------------------------------------------------------------------------------------------
# Command line, as the official scripts


def _load_json(path: str, what: str) -> Any:
    import tensorflow as tf  # only for gs:// and friends; the scoring itself is pure Python

    if not tf.io.gfile.exists(path):
        raise MissingFileError(f"{what} {path!r} does not exist")
    with tf.io.gfile.GFile(path, "rb") as f:
        raw = f.read()
    try:
        return json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise DataError(f"{what} {path!r} is not valid UTF-8 JSON: {e}") from None


def main(argv: Sequence[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("data_file", help="SQuAD dataset JSON, e.g. dev-v2.0.json")
    parser.add_argument("pred_file", help="predictions.json")
    parser.add_argument("--na-prob-file", "-n", help="null_odds.json (SQuAD 2.0)")
    parser.add_argument("--na-prob-thresh", "-t", type=float, default=1.0,
                        help="predict no-answer when na_prob exceeds this (default 1.0)")
    parser.add_argument("--version_2_with_negative", action=argparse.BooleanOptionalAction,
                        default=None, help="score with the v2.0 rules (default: from the data)")
    args = parser.parse_args(argv)
    dataset = _load_json(args.data_file, "SQuAD dataset file")
    predictions = _load_json(args.pred_file, "predictions file")
    na_probs = _load_json(args.na_prob_file, "no-answer probability file") if args.na_prob_file \
        else None
    out = evaluate(dataset, predictions, na_probs, args.na_prob_thresh,
                   args.version_2_with_negative)
    print(json.dumps(out, indent=2))
    return out


if __name__ == "__main__":
    try:
        main()
    except (OSError, ValueError) as e:
        sys.exit(f"error: {e}")
