"""Metrics against scipy / scikit-learn and hand-computed values."""

from __future__ import annotations

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
    a = rng.integers(0, 6, 40).astype(float)  # many ties
    b = a + rng.normal(0, 1.5, 40)
    assert metrics.pearson(a, b) == pytest.approx(stats.pearsonr(a, b)[0])
    assert metrics.spearman(a, b) == pytest.approx(stats.spearmanr(a, b)[0])


def test_hand_computed_and_degenerate():
    y, p = np.array([1, 1, 0, 0, 1]), np.array([1, 0, 0, 1, 1])
    # tp 2, fp 1, fn 1, tn 1: F1 = 4/6, MCC = (2*1 - 1*1) / sqrt(3*3*2*2) = 1/6
    assert metrics.f1(y, p) == pytest.approx(2 / 3)
    assert metrics.matthews_corrcoef(y, p) == pytest.approx(1 / 6)
    assert metrics.matthews_corrcoef(y, np.ones(5)) == 0.0  # a constant prediction
    assert metrics.f1(np.zeros(3), np.zeros(3)) == 0.0
    assert metrics.spearman([1, 2, 3], [3, 2, 1]) == pytest.approx(-1.0)


def test_task_metrics_and_eval_results():
    y = np.array([0, 1, 1, 0])
    logits = np.array([[2.0, 0.0], [0.0, 1.0], [1.0, 0.0], [0.0, 0.0]])
    r = metrics.classifier_eval_results("MRPC", y, logits, batch_size=3)
    ce = -np.log(np.exp(logits[np.arange(4), y]) / np.exp(logits).sum(1))
    assert r["eval_accuracy"] == pytest.approx(0.75)  # predictions 0, 1, 0, 0 (ties -> class 0)
    assert r["eval_loss"] == pytest.approx(ce.mean())
    assert r["loss"] == pytest.approx((ce[:3].mean() + ce[3]) / 2)  # mean of batch means
    assert r["f1"] == pytest.approx(metrics.f1(y, logits.argmax(1)))
    assert set(metrics.task_metrics("cola", y, y)) == {"eval_accuracy", "mcc"}
    reg = metrics.classifier_eval_results("sts-b", np.array([1.0, 2.0, 3.0]),
                                          np.array([[1.5], [2.0], [2.5]]), 8)
    assert reg["eval_loss"] == pytest.approx((0.25 + 0 + 0.25) / 3)
    assert reg["pearson"] == pytest.approx(1.0) and reg["spearmanr"] == pytest.approx(1.0)
