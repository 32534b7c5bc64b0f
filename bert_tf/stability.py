"""Remedies for unstable few-sample fine-tuning (issue: restarts, stability report).

Fine-tuning with the original recipe for only tens of steps gives a result that
depends on the seed (Devlin et al. restarted BERT-Large on small sets; Mosbach et
al., ICLR 2021; Zhang et al., ICLR 2021). The defaults stay the original's; these
are applied once, right after a model is initialised from a pretrained checkpoint:

  head_initializer  the new task head's `output_weights`: truncated_normal (the
                    original's, stddev initializer_range) or glorot_uniform (Keras'
                    Dense default, larger for small heads).
  reinit_layers     the top k encoder layers and the pooler drawn afresh (Zhang et al.).

(Adam's bias correction lives in `optimization.AdamWeightDecay`.)
"""

from __future__ import annotations

from typing import Sequence

import keras
import numpy as np
from absl import logging

from bert_tf import checkpoints
from bert_tf.errors import UsageError

HEAD_INITIALIZERS = ("truncated_normal", "glorot_uniform")
# What a collapsed fine-tuning run should try next (issue 30: a windowed long-document
# run that ended at chance with the original recipe reached 1.00 with these).
COLLAPSE_REMEDY = "--head_initializer=glorot_uniform --reinit_layers=1"
# A training loss that never gets 2% below its first logged value has not moved.
_FLAT_LOSS_TOLERANCE = 0.02


def _initial_value(name: str, shape, stddev: float, head_initializer: str | None, seed: int):
    if head_initializer == "glorot_uniform":
        return keras.initializers.GlorotUniform(seed=seed)(shape)
    if name.endswith(("kernel", "output_weights")):
        return keras.initializers.TruncatedNormal(stddev=stddev, seed=seed)(shape)
    if name.endswith("gamma"):
        return keras.ops.ones(shape)
    return keras.ops.zeros(shape)  # biases, LayerNorm beta


def reinitialize(model: keras.Model, missing: list[str], head_initializer: str = "truncated_normal",
                 reinit_layers: int = 0, seed: int | None = None) -> list[str]:
    """Re-draws what the remedies ask for, after `model` was loaded from a checkpoint.

    Args:
      model: a task model from `bert_tf.models` (with an `encoder`).
      missing: TF1 names the checkpoint lacked (`LoadReport.missing`): only a new
        head is re-drawn by `head_initializer`, never one fine-tuned before.
      head_initializer: one of HEAD_INITIALIZERS.
      reinit_layers: how many of the top encoder layers (plus the pooler) to re-draw
        as the original initialises them.
      seed: the run's seed; each variable gets its own derived seed.

    Returns:
      The TF1 names re-drawn.
    """
    if head_initializer not in HEAD_INITIALIZERS:
        raise UsageError(f"--head_initializer={head_initializer!r}: expected one of "
                         f"{HEAD_INITIALIZERS}")
    variables = checkpoints.tf1_variables(model)
    config = model.encoder.config
    if not 0 <= reinit_layers <= config.num_hidden_layers:
        raise UsageError(f"--reinit_layers={reinit_layers}: the model has "
                         f"{config.num_hidden_layers} layers")
    heads = [] if head_initializer == "truncated_normal" else [
        n for n in missing if n.endswith("output_weights")]
    top = tuple(f"bert/encoder/layer_{i}/"
                for i in range(config.num_hidden_layers - reinit_layers, config.num_hidden_layers))
    layers = [n for n in variables if reinit_layers and n.startswith(top + ("bert/pooler/",))]
    base = 0 if seed is None else seed
    for i, name in enumerate(heads + layers):
        value = _initial_value(name, variables[name].shape, config.initializer_range,
                               head_initializer if name in heads else None, base * 1000 + i)
        variables[name].assign(keras.ops.cast(value, variables[name].dtype))
    if heads:
        logging.info("Head initialised %s: %s", head_initializer, ", ".join(heads))
    if layers:
        logging.info("Re-initialised the top %d encoder layers and the pooler (%d variables)",
                     reinit_layers, len(layers))
    return heads + layers


def collapse_warning(dev_labels: np.ndarray | None = None,
                     dev_predictions: np.ndarray | None = None,
                     loss_history: Sequence[tuple[int, float]] = (),
                     label_names: Sequence[str] | None = None) -> str | None:
    """Why a classifier run looks collapsed, as a warning naming the remedy flags; or None.

    dev_labels, dev_predictions: [num_examples] class ids (or [num_examples, num_labels]
    multi-hot rows). Collapsed: every prediction is the same class (label set) although
    the labels are not all one; or the training loss (`Trainer.loss_history`: (step,
    mean loss) per log line, at least two of them) never falls 2% below its first
    logged value. label_names (in id order) name the predicted class in the message.
    """
    reasons = []
    if dev_predictions is not None and dev_labels is not None and len(dev_predictions):
        predictions = np.asarray(dev_predictions).reshape(len(dev_predictions), -1)
        labels = np.asarray(dev_labels).reshape(len(dev_labels), -1)
        if len(np.unique(predictions, axis=0)) == 1 and len(np.unique(labels, axis=0)) > 1:
            reasons.append(f"all {len(predictions)} dev predictions are the same "
                           f"({_show_row(predictions[0], label_names)})")
    if len(loss_history) >= 2:
        (first_step, first), *later = loss_history
        lowest = min(loss for _, loss in later)
        if lowest > first * (1.0 - _FLAT_LOSS_TOLERANCE):
            reasons.append(f"the training loss never fell below its first steps' level "
                           f"({first:.4f} at step {first_step}; lowest later {lowest:.4f})")
    if not reasons:
        return None
    return ("This fine-tuning run looks collapsed: " + "; ".join(reasons) + ". Try again with "
            f"{COLLAPSE_REMEDY} (a fresh head and top layer; see also --num_restarts and "
            "--adam_bias_correction).")


def _show_row(row: np.ndarray, names: Sequence[str] | None) -> str:
    if row.size == 1:
        return f"class {names[int(row[0])]!r}" if names else f"class {row[0]}"
    chosen = [names[k] if names else k for k in np.flatnonzero(row)]
    return f"label set {chosen}"
