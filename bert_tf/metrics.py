"""Classification and regression metrics (numpy only), with GLUE's choice per task.

  accuracy                 every classification task
  f1                       binary F1 of class 1: MRPC, QQP
  matthews_corrcoef        CoLA
  pearson, spearman        STS-B (Spearman with average ranks for ties)
  task_metrics             the dict GLUE reports for a task
  classifier_eval_results  run_classifier's eval_results.txt values
  multi_label_eval_results ... for --multi_label: micro/macro/per-label F1 and subset
                           accuracy (scikit-learn, which seqeval already requires)

Degenerate inputs follow scikit-learn where a value is undefined: F1 is 0 when
class 1 is neither predicted nor present, MCC is 0 when either side is a single
class, and a correlation with a constant input is 0 (scipy would say nan).
"""

from __future__ import annotations

import re
from typing import Sequence

import numpy as np
from bert_tf.errors import DataError


def _pair(labels, predictions) -> tuple[np.ndarray, np.ndarray]:
    labels, predictions = np.asarray(labels).reshape(-1), np.asarray(predictions).reshape(-1)
    if labels.shape != predictions.shape:
        raise ValueError(f"{labels.size} labels but {predictions.size} predictions")
    if not labels.size:
        raise DataError("no examples to score")
    return labels, predictions


def accuracy(labels: np.ndarray, predictions: np.ndarray) -> float:
    """Fraction of predictions equal to the label, over [num_examples] arrays."""
    labels, predictions = _pair(labels, predictions)
    return float(np.mean(labels == predictions))


def f1(labels: np.ndarray, predictions: np.ndarray, positive: int = 1) -> float:
    """Binary F1 = 2TP / (2TP + FP + FN) of the `positive` class (GLUE MRPC/QQP: class 1)."""
    labels, predictions = _pair(labels, predictions)
    tp = np.sum((predictions == positive) & (labels == positive))
    fp = np.sum((predictions == positive) & (labels != positive))
    fn = np.sum((predictions != positive) & (labels == positive))
    return float(2 * tp / (2 * tp + fp + fn)) if tp else 0.0


def matthews_corrcoef(labels: np.ndarray, predictions: np.ndarray) -> float:
    """Matthews correlation (CoLA); K classes by Gorodkin's formula, which for two
    classes is (TP*TN - FP*FN) / sqrt((TP+FP)(TP+FN)(TN+FP)(TN+FN))."""
    labels, predictions = _pair(labels, predictions)
    classes, idx = np.unique(np.concatenate([labels, predictions]), return_inverse=True)
    y, p = idx[:labels.size], idx[labels.size:]
    confusion = np.zeros((len(classes), len(classes)), np.float64)
    np.add.at(confusion, (y, p), 1.0)
    t, q = confusion.sum(1), confusion.sum(0)  # true / predicted counts per class
    n, correct = confusion.sum(), np.trace(confusion)
    denom = np.sqrt((n * n - q @ q) * (n * n - t @ t))
    return float((correct * n - t @ q) / denom) if denom else 0.0


def pearson(x: np.ndarray, y: np.ndarray) -> float:
    """Pearson correlation of two [num_examples] arrays; 0 if one is constant."""
    x, y = (a.astype(np.float64) for a in _pair(x, y))
    xc, yc = x - x.mean(), y - y.mean()
    denom = np.sqrt(np.sum(xc * xc) * np.sum(yc * yc))
    return float(np.sum(xc * yc) / denom) if denom else 0.0


def rankdata(x: np.ndarray) -> np.ndarray:
    """Ranks from 1; tied values share the average of their ranks ([1, 5, 5] -> [1, 2.5, 2.5])."""
    x = np.asarray(x).reshape(-1)
    order = np.argsort(x, kind="stable")
    ranks = np.empty(len(x), np.float64)
    ranks[order] = np.arange(1, len(x) + 1)
    _, inverse = np.unique(x, return_inverse=True)
    return (np.bincount(inverse, weights=ranks) / np.bincount(inverse))[inverse]


def spearman(x: np.ndarray, y: np.ndarray) -> float:
    """Spearman correlation: Pearson of the average ranks (as scipy.stats.spearmanr)."""
    x, y = _pair(x, y)
    return pearson(rankdata(x), rankdata(y))


# What GLUE reports per task besides accuracy (which every classification task gets).
_EXTRA_METRICS = {"cola": {"mcc": matthews_corrcoef}, "mrpc": {"f1": f1}, "qqp": {"f1": f1}}
_REGRESSION_TASKS = ("stsb", "sts")


def task_metrics(task_name: str, labels: np.ndarray, predictions: np.ndarray) -> dict[str, float]:
    """GLUE's metrics for `task_name` on [num_examples] labels and predictions.

    STS-B (predictions are scores): pearson, spearmanr. Every other task (class
    ids): eval_accuracy, plus f1 for MRPC and QQP, mcc for CoLA.
    """
    task = task_name.lower().replace("-", "").replace("_", "")
    if task in _REGRESSION_TASKS:
        return {"pearson": pearson(predictions, labels), "spearmanr": spearman(predictions, labels)}
    out = {"eval_accuracy": accuracy(labels, predictions)}
    for name, fn in _EXTRA_METRICS.get(task, {}).items():
        out[name] = fn(labels, predictions)
    return out


def _cross_entropy(labels: np.ndarray, logits: np.ndarray) -> np.ndarray:
    logits = logits.astype(np.float64)
    shifted = logits - logits.max(-1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(-1, keepdims=True))
    return -log_probs[np.arange(len(labels)), labels]


def classifier_eval_results(task_name: str, labels: np.ndarray, logits: np.ndarray,
                            batch_size: int) -> dict[str, float]:
    """The original's eval_results.txt values plus the task's metrics.

    labels: [num_examples] class ids (float scores for regression); logits:
    [num_examples, num_labels] (num_labels 1: regression, squared error).
    eval_loss: mean per-example loss; loss: the mean of per-batch mean losses (the
    Estimator's "loss"); eval_accuracy and the task's metrics (`task_metrics`).
    """
    labels = np.asarray(labels)
    logits = np.asarray(logits)
    if logits.ndim != 2 or len(logits) != len(labels):
        raise ValueError(f"logits must be [num_examples={len(labels)}, num_labels], "
                         f"got shape {logits.shape}")
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


def sigmoid(logits: np.ndarray) -> np.ndarray:
    """Elementwise 1 / (1 + exp(-x)), float32, without overflow warnings."""
    x = np.asarray(logits, np.float64)
    return (0.5 * (1.0 + np.tanh(0.5 * x))).astype(np.float32)


def multi_label_predictions(logits: np.ndarray, threshold: float = 0.5) -> np.ndarray:
    """[num_examples, num_labels] 0/1: label k is predicted when sigmoid(logit_k) >= threshold."""
    return (sigmoid(logits) >= threshold).astype(np.int64)


def _label_key(name: str) -> str:
    """A label as part of an eval_results.txt key (no spaces or '=')."""
    return re.sub(r"[\s=]+", "_", str(name).strip())


def multi_label_eval_results(labels: np.ndarray, logits: np.ndarray, batch_size: int,
                             threshold: float = 0.5,
                             label_names: Sequence[str] | None = None) -> dict[str, float]:
    """run_classifier --multi_label's eval_results.txt values.

    labels: [num_examples, num_labels] multi-hot; logits: [num_examples, num_labels].
    eval_loss: mean over examples of the binary cross entropy summed over labels (the
    training loss, `losses.multi_label_loss`); loss: the mean of per-batch means.
    Predictions are sigmoid(logits) >= threshold. eval_micro_f1 pools every
    (example, label) decision; eval_macro_f1 is the mean of the per-label F1s
    (eval_f1_<label>; 0 for a label neither present nor predicted, as
    scikit-learn's zero_division=0); eval_subset_accuracy: the fraction of
    examples whose predicted label set is exactly right.
    """
    from sklearn import metrics as sk  # a dependency of seqeval

    labels = np.asarray(labels).astype(np.int64)
    logits = np.asarray(logits, np.float64)
    if logits.ndim != 2 or logits.shape != labels.shape:
        raise ValueError(f"labels and logits must both be [num_examples, num_labels], got "
                         f"{labels.shape} and {logits.shape}")
    if not len(labels):
        raise DataError("no examples to score")
    # Binary cross entropy with logits, stable form: max(x, 0) - x y + log(1 + exp(-|x|)).
    bce = np.maximum(logits, 0) - logits * labels + np.log1p(np.exp(-np.abs(logits)))
    per_example = bce.sum(-1)
    batches = [per_example[i:i + batch_size].mean() for i in range(0, len(per_example), batch_size)]
    predictions = multi_label_predictions(logits, threshold)
    names = list(label_names) if label_names is not None else \
        [str(k) for k in range(labels.shape[1])]
    per_label = sk.f1_score(labels, predictions, average=None, zero_division=0)
    out = {"eval_loss": float(per_example.mean()), "loss": float(np.mean(batches)),
           "eval_micro_f1": float(sk.f1_score(labels, predictions, average="micro",
                                              zero_division=0)),
           "eval_macro_f1": float(sk.f1_score(labels, predictions, average="macro",
                                              zero_division=0)),
           "eval_subset_accuracy": float(sk.accuracy_score(labels, predictions))}
    out.update({f"eval_f1_{_label_key(name)}": float(f) for name, f in zip(names, per_label)})
    return out
