"""Metrics against scipy / scikit-learn and hand-computed values, degenerate inputs included."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats
from sklearn import metrics as skm

from bert_tf import metrics


@pytest.mark.parametrize("seed", range(5))
def test_against_scipy_and_sklearn(seed):
    rng = np.random.default_rng(seed)
    y, p = rng.integers(0, 2, 50), rng.integers(0, 2, 50)
    assert metrics.accuracy(y, p) == pytest.approx(skm.accuracy_score(y, p))
    assert metrics.f1(y, p) == pytest.approx(skm.f1_score(y, p))
    assert metrics.matthews_corrcoef(y, p) == pytest.approx(skm.matthews_corrcoef(y, p))
    y3 = rng.integers(0, 3, 60)
    p3 = np.where(rng.random(60) < 0.6, y3, rng.integers(0, 3, 60))
    assert metrics.matthews_corrcoef(y3, p3) == pytest.approx(skm.matthews_corrcoef(y3, p3))
    a = rng.integers(0, 6, 40).astype(float)  # many ties
    b = a + rng.normal(0, 1.5, 40)
    assert metrics.pearson(a, b) == pytest.approx(stats.pearsonr(a, b)[0])
    assert metrics.spearman(a, b) == pytest.approx(stats.spearmanr(a, b)[0])
    np.testing.assert_allclose(metrics.rankdata(a), stats.rankdata(a))


def test_hand_computed():
    y, p = np.array([1, 1, 0, 0, 1]), np.array([1, 0, 0, 1, 1])
    # tp 2, fp 1, fn 1, tn 1: F1 = 4/6, MCC = (2*1 - 1*1) / sqrt(3*3*2*2) = 1/6
    assert metrics.accuracy(y, p) == pytest.approx(3 / 5)
    assert metrics.f1(y, p) == pytest.approx(2 / 3)
    assert metrics.f1(y, p, positive=0) == pytest.approx(2 * 1 / (2 * 1 + 1 + 1))
    assert metrics.matthews_corrcoef(y, p) == pytest.approx(1 / 6)
    # Three classes: confusion (0,0)=2, (1,2)=1, (2,2)=1; t=[2,1,1], q=[2,0,2], n=4, c=3:
    # (3*4 - (4 + 0 + 2)) / sqrt((16 - 8) * (16 - 6)) = 6 / sqrt(80).
    assert metrics.matthews_corrcoef([0, 1, 2, 0], [0, 2, 2, 0]) == pytest.approx(6 / math.sqrt(80))
    assert metrics.pearson([1, 2, 3], [2, 4, 7]) == pytest.approx(15 / math.sqrt(228))
    # Ties share their average rank: x ranks [1, 2.5, 2.5, 4], y ranks [1, 3, 2, 4];
    # Pearson of ranks = 4.5 / sqrt(4.5 * 5) = sqrt(0.9).
    np.testing.assert_array_equal(metrics.rankdata([1, 2, 2, 3]), [1, 2.5, 2.5, 4])
    np.testing.assert_array_equal(metrics.rankdata([5, 1, 5, 5]), [3, 1, 3, 3])
    assert metrics.spearman([1, 2, 2, 3], [1, 3, 2, 4]) == pytest.approx(math.sqrt(0.9))
    assert metrics.spearman([1, 2, 3], [30, 20, 10]) == pytest.approx(-1.0)
    assert metrics.spearman([1, 2, 3, 4], [1, 4, 9, 16]) == pytest.approx(1.0)  # monotone


def test_degenerate_inputs():
    assert metrics.matthews_corrcoef([1, 0, 1], [1, 1, 1]) == 0.0  # constant prediction
    assert metrics.matthews_corrcoef([0, 0, 0], [0, 0, 0]) == 0.0  # a single class everywhere
    assert metrics.matthews_corrcoef([1, 0], [1, 0]) == pytest.approx(1.0)
    assert metrics.matthews_corrcoef([1, 0], [0, 1]) == pytest.approx(-1.0)
    assert metrics.f1(np.zeros(3), np.zeros(3)) == 0.0  # class 1 never present nor predicted
    assert metrics.f1([1, 1], [0, 0]) == 0.0
    assert metrics.pearson([1, 2, 3], [2, 2, 2]) == 0.0  # constant: 0, not nan
    assert metrics.spearman([4, 4, 4], [1, 2, 3]) == 0.0
    assert metrics.accuracy([[1], [2]], [1, 3]) == 0.5  # [n, 1] label arrays are flattened
    with pytest.raises(ValueError, match="3 labels but 2 predictions"):
        metrics.accuracy([1, 0, 1], [1, 0])
    with pytest.raises(ValueError, match="no examples to score"):
        metrics.f1([], [])


@pytest.mark.parametrize("task, keys", [
    ("CoLA", {"eval_accuracy", "mcc"}), ("MRPC", {"eval_accuracy", "f1"}),
    ("qqp", {"eval_accuracy", "f1"}), ("SST-2", {"eval_accuracy"}), ("MNLI", {"eval_accuracy"}),
    ("qnli", {"eval_accuracy"}), ("RTE", {"eval_accuracy"}), ("wnli", {"eval_accuracy"}),
    ("XNLI", {"eval_accuracy"}), ("generic", {"eval_accuracy"}),
    ("STS-B", {"pearson", "spearmanr"}), ("stsb", {"pearson", "spearmanr"}),
])
def test_task_metrics_follow_glue(task, keys):
    y, p = np.array([0, 1, 1, 0, 1]), np.array([0, 1, 0, 0, 1])
    got = metrics.task_metrics(task, y, p)
    assert set(got) == keys
    if "eval_accuracy" in got:
        assert got["eval_accuracy"] == pytest.approx(0.8)
    if "f1" in got:
        assert got["f1"] == pytest.approx(2 * 2 / (2 * 2 + 0 + 1))
    if "mcc" in got:
        assert got["mcc"] == pytest.approx(skm.matthews_corrcoef(y, p))
    if "pearson" in got:
        assert got["pearson"] == pytest.approx(stats.pearsonr(y, p)[0])
        assert got["spearmanr"] == pytest.approx(stats.spearmanr(y, p)[0])


def test_classifier_eval_results():
    y = np.array([0, 1, 1, 0])
    logits = np.array([[2.0, 0.0], [0.0, 1.0], [1.0, 0.0], [0.0, 0.0]])
    r = metrics.classifier_eval_results("MRPC", y, logits, batch_size=3)
    ce = -np.log(np.exp(logits[np.arange(4), y]) / np.exp(logits).sum(1))
    assert r["eval_accuracy"] == pytest.approx(0.75)  # predictions 0, 1, 0, 0 (ties -> class 0)
    assert r["eval_loss"] == pytest.approx(ce.mean())
    assert r["loss"] == pytest.approx((ce[:3].mean() + ce[3]) / 2)  # mean of batch means
    assert r["f1"] == pytest.approx(2 / 3)
    reg = metrics.classifier_eval_results("sts-b", np.array([1.0, 2.0, 3.0]),
                                          np.array([[1.5], [2.0], [2.5]]), 8)
    assert reg["eval_loss"] == pytest.approx((0.25 + 0 + 0.25) / 3)
    assert reg["pearson"] == pytest.approx(1.0) and reg["spearmanr"] == pytest.approx(1.0)
    with pytest.raises(ValueError, match=r"logits must be \[num_examples=4, num_labels\]"):
        metrics.classifier_eval_results("mrpc", y, logits[:3], 8)
