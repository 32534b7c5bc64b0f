"""Knowledge distillation: a smaller student learns from a fine-tuned teacher.

Used by run_distillation.py through the shared `Trainer`: the student is the
Trainer's model (so its run directory and checkpoints are ordinary ones) and
`DistillationLoss` is its loss function, with the teacher frozen inside it.

  loss = kd_weight * T^2 * KL(softmax(teacher / T) || softmax(student / T))
       + (1 - kd_weight) * task loss on gold labels
       + hidden_weight * mean over mapped layers of MSE(proj(student_i), teacher_map(i))

T^2 keeps the soft-target gradients on the scale of the hard-target ones (Hinton et
al. 2015). The hidden-state term is TinyBERT's: a learned projection maps the
student's width to the teacher's when they differ. Its variables are named
`distillation/layer_{i}/projection/{kernel,bias}` in the student's training
checkpoints (so a killed run resumes exactly); every loader skips them, so the run
directory loads as a plain classifier.

Why the teacher runs inside the loss instead of its logits being precomputed into
the features: the hidden-state term needs the teacher's [batch, seq, hidden]
activations of every mapped layer, far too large to store per example, and one
code path then serves logits, hidden states and unlabelled transfer text alike.
The teacher runs in inference mode (no dropout) under `tf.stop_gradient`.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Mapping

import keras
import numpy as np
import tensorflow as tf

from bert_tf import losses, models
from bert_tf.config import BertConfig
from bert_tf.layers.embeddings import initializer
from bert_tf.errors import UsageError

KINDS = ("classifier", "squad", "ner")
_LAYER = re.compile(r"^bert/encoder/layer_(\d+)/(.*)$")


def select_layers(teacher_layers: int, student_layers: int) -> list[int]:
    """Indices of `student_layers` evenly spaced teacher layers, ending with the last one.

    The top layer is always kept: a fine-tuned teacher's pooler and head were
    trained on its output. 12 -> 6 gives [1, 3, 5, 7, 9, 11]; 6 -> 3 gives [1, 3, 5].
    """
    if not 1 <= student_layers <= teacher_layers:
        raise UsageError(f"--student_layers={student_layers}: must be between 1 and the "
                         f"teacher's depth {teacher_layers}")
    return [int(round((i + 1) * teacher_layers / student_layers)) - 1
            for i in range(student_layers)]


def student_config(teacher: BertConfig, student_layers: int) -> BertConfig:
    """The teacher's config with `student_layers` layers."""
    select_layers(teacher.num_hidden_layers, student_layers)
    return dataclasses.replace(teacher, num_hidden_layers=student_layers)


def student_values(teacher_values: Mapping[str, np.ndarray], layers: list[int]
                   ) -> dict[str, np.ndarray]:
    """Teacher weights (TF1 names) -> a student made of `layers` (DistilBERT's init).

    Embeddings, pooler and task head are copied; teacher layer layers[i] becomes
    student layer i; other teacher layers and optimizer state are dropped.
    """
    out = {}
    for name, value in teacher_values.items():
        m = _LAYER.match(name)
        if m is None:
            if not (name.endswith(("/adam_m", "/adam_v")) or name == "global_step"
                    or name.startswith("distillation/")):
                out[name] = value
            continue
        j = int(m.group(1))
        if j in layers and not name.endswith(("/adam_m", "/adam_v")):
            out[f"bert/encoder/layer_{layers.index(j)}/{m.group(2)}"] = value
    return out


def kd_loss(teacher_logits: tf.Tensor, student_logits: tf.Tensor, temperature: float,
            weights: tf.Tensor | None = None) -> tf.Tensor:
    """T^2 * KL(softmax(teacher / T) || softmax(student / T)) over the last axis.

    Args:
      teacher_logits, student_logits: float [..., num_classes] (same shape).
      temperature: T > 0.
      weights: optional float [...] (the leading dims); default: all 1.
    Returns: the weighted mean over the leading dims, a float32 scalar.
    """
    t = tf.cast(teacher_logits, tf.float32) / temperature
    s = tf.cast(student_logits, tf.float32) / temperature
    p = tf.nn.softmax(t)
    kl = tf.reduce_sum(p * (tf.nn.log_softmax(t) - tf.nn.log_softmax(s)), axis=-1)
    if weights is None:
        weights = tf.ones_like(kl)
    return temperature ** 2 * tf.math.divide_no_nan(tf.reduce_sum(weights * kl),
                                                    tf.reduce_sum(weights))


def check_settings(kd_weight: float, temperature: float, hidden_weight: float) -> None:
    """ValueError naming the flag for a setting out of range."""
    if not temperature > 0:
        raise UsageError(f"--temperature must be > 0, got {temperature}")
    if not 0.0 <= kd_weight <= 1.0:
        raise UsageError(f"--kd_weight must be in [0, 1], got {kd_weight}")
    if not hidden_weight >= 0:
        raise UsageError(f"--hidden_weight must be >= 0, got {hidden_weight}")


def _forward(model: keras.Model, inputs: Mapping[str, tf.Tensor], training: bool
             ) -> tuple[dict[str, tf.Tensor], list[tf.Tensor]]:
    """A task model's outputs and its encoder's per-layer outputs from one forward pass."""
    enc = model.encoder(inputs, training=training)
    if isinstance(model, models.BertClassifier):
        out = {"logits": model.head(enc["pooled_output"], training=training)}
    elif isinstance(model, models.BertSpanLabeler):
        logits = model.head(enc["sequence_output"], training=training)
        out = {"start_logits": logits[:, :, 0], "end_logits": logits[:, :, 1]}
    elif isinstance(model, models.BertTokenTagger):
        out = {"logits": model.head(enc["sequence_output"], training=training)}
    else:
        raise TypeError(f"cannot distil a {type(model).__name__}; expected one of {KINDS}")
    return out, list(enc["encoder_outputs"])


class DistillationLoss:
    """The Trainer's loss_fn for a student: (student, batch, training) -> scalar loss.

    Args:
      teacher: the fine-tuned task model (classifier, span labeler or tagger), frozen.
      kd_weight: weight of the soft-target term; 1 - kd_weight goes to the gold labels.
      temperature: T > 0 (softmax temperature of both models in the soft term).
      hidden_weight: weight of the hidden-state MSE (0: off).
      student_layers: the student's depth, for the layer map of the hidden term.

    Examples without a gold label (transfer text, `is_real_example` = 0 in classifier
    batches) count in the soft term only.
    """

    def __init__(self, teacher: keras.Model, kd_weight: float = 0.5, temperature: float = 2.0,
                 hidden_weight: float = 0.0, student_layers: int | None = None):
        check_settings(kd_weight, temperature, hidden_weight)
        teacher.trainable = False
        self.teacher = teacher
        self.kd_weight, self.temperature, self.hidden_weight = kd_weight, temperature, hidden_weight
        depth = teacher.encoder.config.num_hidden_layers
        self.layer_map = select_layers(depth, student_layers or depth) if hidden_weight else []
        self.projections: list[keras.layers.Dense] | None = None

    def extra_variables(self, student: keras.Model) -> dict[str, tf.Variable]:
        """Builds the hidden-state projections (when needed): the Trainer's extra variables.

        Called under the strategy's scope with the student; names are TF1-style.
        """
        width_s = student.encoder.config.hidden_size
        width_t = self.teacher.encoder.config.hidden_size
        n = student.encoder.config.num_hidden_layers
        if self.hidden_weight == 0:
            return {}
        if n != len(self.layer_map):
            raise ValueError(f"student has {n} layers but the layer map was built for "
                             f"{len(self.layer_map)}")
        if width_s == width_t:
            return {}
        rng = student.encoder.config.initializer_range
        self.projections = []
        out = {}
        for i in range(n):
            dense = keras.layers.Dense(width_t, kernel_initializer=initializer(rng),
                                       name=f"distillation_projection_{i}")
            dense.build((None, None, width_s))
            self.projections.append(dense)
            out[f"distillation/layer_{i}/projection/kernel"] = dense.kernel
            out[f"distillation/layer_{i}/projection/bias"] = dense.bias
        return out

    def __call__(self, student: keras.Model, batch: Mapping[str, tf.Tensor], training: bool
                 ) -> tf.Tensor:
        inputs = models.model_inputs(student, batch)
        s_out, s_hidden = _forward(student, inputs, training)
        t_out, t_hidden = _forward(self.teacher, inputs, False)
        t_out = tf.nest.map_structure(tf.stop_gradient, t_out)
        soft, hard = self._logit_losses(s_out, t_out, batch)
        loss = self.kd_weight * soft + (1.0 - self.kd_weight) * hard
        if self.hidden_weight:
            loss += self.hidden_weight * self.hidden_loss(s_hidden, t_hidden, inputs["input_mask"])
        return loss

    def _logit_losses(self, s_out, t_out, batch) -> tuple[tf.Tensor, tf.Tensor]:
        """(soft-target term, gold-label term) for the student's task."""
        T = self.temperature
        if "start_logits" in s_out:  # squad: a distribution over positions, start and end
            soft = (kd_loss(t_out["start_logits"], s_out["start_logits"], T)
                    + kd_loss(t_out["end_logits"], s_out["end_logits"], T)) / 2.0
            return soft, tf.reduce_mean(losses.span_example_losses(s_out, batch))
        s, t = s_out["logits"], t_out["logits"]
        if "label_weights" in batch:  # ner: per labelled token
            ce, weights = losses.tagging_token_losses(s, batch)
            hard = tf.math.divide_no_nan(tf.reduce_sum(weights * ce), tf.reduce_sum(weights))
            return kd_loss(t, s, T, weights), hard
        gold = tf.cast(tf.reshape(batch.get("is_real_example", tf.ones_like(
            batch["label_ids"])), [-1]), tf.float32)
        per_example = losses.classification_example_losses(s, batch)
        hard = tf.math.divide_no_nan(tf.reduce_sum(gold * per_example), tf.reduce_sum(gold))
        if s.shape[-1] == 1:  # regression: match the teacher's score
            return tf.reduce_mean(tf.square(tf.cast(s - t, tf.float32))), hard
        return kd_loss(t, s, T), hard

    def hidden_loss(self, student_hidden: list[tf.Tensor], teacher_hidden: list[tf.Tensor],
                    input_mask: tf.Tensor) -> tf.Tensor:
        """Mean over student layers i of the MSE between proj(student_i) and
        teacher_{layer_map[i]}, over real tokens and hidden units."""
        mask = tf.cast(input_mask, tf.float32)[:, :, None]
        width = tf.cast(tf.shape(teacher_hidden[0])[-1], tf.float32)
        total = 0.0
        for i, h in enumerate(student_hidden):
            h = tf.cast(h, tf.float32)
            if self.projections is not None:
                h = self.projections[i](h)
            diff = tf.square(h - tf.stop_gradient(tf.cast(teacher_hidden[self.layer_map[i]],
                                                          tf.float32)))
            total += tf.reduce_sum(diff * mask) / (tf.reduce_sum(mask) * width)
        return total / len(student_hidden)
