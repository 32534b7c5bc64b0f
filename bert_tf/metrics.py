"""Classification metrics (numpy), with the GLUE conventions per task."""

from __future__ import annotations

import numpy as np


def accuracy(labels: np.ndarray, predictions: np.ndarray) -> float:
    return float(np.mean(np.asarray(labels) == np.asarray(predictions)))


def f1(labels: np.ndarray, predictions: np.ndarray, positive: int = 1) -> float:
    """Binary F1 of the positive class (GLUE MRPC/QQP); 0 when it is never predicted or present."""
    labels, predictions = np.asarray(labels), np.asarray(predictions)
    tp = np.sum((predictions == positive) & (labels == positive))
    fp = np.sum((predictions == positive) & (labels != positive))
    fn = np.sum((predictions != positive) & (labels == positive))
    return float(2 * tp / (2 * tp + fp + fn)) if tp else 0.0


def matthews_corrcoef(labels: np.ndarray, predictions: np.ndarray) -> float:
    """Binary Matthews correlation (CoLA); 0 when either side is constant."""
    y, p = np.asarray(labels) == 1, np.asarray(predictions) == 1
    tp, tn = float(np.sum(y & p)), float(np.sum(~y & ~p))
    fp, fn = float(np.sum(~y & p)), float(np.sum(y & ~p))
    denom = np.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
    return float((tp * tn - fp * fn) / denom) if denom else 0.0


def pearson(x: np.ndarray, y: np.ndarray) -> float:
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    xc, yc = x - x.mean(), y - y.mean()
    denom = np.sqrt(np.sum(xc * xc) * np.sum(yc * yc))
    return float(np.sum(xc * yc) / denom) if denom else 0.0


def _ranks(x: np.ndarray) -> np.ndarray:
    """Ranks from 1, ties sharing their average rank."""
    x = np.asarray(x)
    order = np.argsort(x, kind="stable")
    ranks = np.empty(len(x), np.float64)
    ranks[order] = np.arange(1, len(x) + 1)
    values, inverse = np.unique(x, return_inverse=True)
    sums = np.bincount(inverse, weights=ranks)
    counts = np.bincount(inverse)
    return (sums / counts)[inverse]


def spearman(x: np.ndarray, y: np.ndarray) -> float:
    return pearson(_ranks(x), _ranks(y))


# GLUE reports these per task (besides accuracy, which every classifier gets).
_TASK_METRICS = {"cola": ("mcc",), "mrpc": ("f1",), "qqp": ("f1",)}


def task_metrics(task_name: str, labels: np.ndarray, predictions: np.ndarray) -> dict[str, float]:
    """The task's metrics: accuracy (+ F1 or MCC); Pearson/Spearman for STS-B regression."""
    task = task_name.lower().replace("-", "")
    if task == "stsb":
        return {"pearson": pearson(predictions, labels), "spearmanr": spearman(predictions, labels)}
    out = {"eval_accuracy": accuracy(labels, predictions)}
    for name in _TASK_METRICS.get(task, ()):
        out[name] = (f1 if name == "f1" else matthews_corrcoef)(labels, predictions)
    return out


def _cross_entropy(labels: np.ndarray, logits: np.ndarray) -> np.ndarray:
    logits = logits.astype(np.float64)
    shifted = logits - logits.max(-1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(-1, keepdims=True))
    return -log_probs[np.arange(len(labels)), labels]


def classifier_eval_results(task_name: str, labels: np.ndarray, logits: np.ndarray,
                            batch_size: int) -> dict[str, float]:
    """The original's eval_results.txt values plus the task's metrics.

    eval_loss: mean per-example loss; loss: the mean of per-batch mean losses (the
    Estimator's "loss"); eval_accuracy. Regression (one logit) uses squared error.
    """
    labels = np.asarray(labels)
    if logits.shape[-1] == 1:
        predictions = logits[:, 0]
        per_example = (predictions - labels.astype(np.float64)) ** 2
    else:
        labels = labels.astype(np.int64)
        predictions = logits.argmax(-1)
        per_example = _cross_entropy(labels, logits)
    batches = [per_example[i:i + batch_size].mean() for i in range(0, len(per_example), batch_size)]
    return {"eval_loss": float(per_example.mean()), "loss": float(np.mean(batches)),
            **task_metrics(task_name, labels, predictions)}
