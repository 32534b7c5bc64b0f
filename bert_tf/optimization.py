"""The original optimizer (`optimization.py`): AdamWeightDecay, warmup + linear decay, clipping.

Written as a small `tf.Module` rather than a Keras optimizer so the update is
exactly the original's: gradients are summed across replicas first, then
clipped by their global norm (1.0), then applied with Adam without bias
correction and with decoupled weight decay, and the global step advances by one.
Slots are kept by the variables' original TF1 names so training checkpoints hold
`<name>/adam_m`, `<name>/adam_v` and `global_step` like the original's.
"""

from __future__ import annotations

import re
from typing import Mapping, Sequence

import tensorflow as tf
from bert_tf.errors import UsageError

EXCLUDE_FROM_WEIGHT_DECAY = ("LayerNorm", "layer_norm", "bias")


def learning_rate_at(step: tf.Tensor, init_lr: float, num_train_steps: int,
                     num_warmup_steps: int) -> tf.Tensor:
    """The original schedule at global step `step` (before it is incremented).

    Linear decay from `init_lr` to 0 over `num_train_steps` (polynomial, power 1),
    overridden during the first `num_warmup_steps` by init_lr * step / num_warmup_steps.
    """
    step = tf.cast(step, tf.float32)
    decay_steps = float(max(num_train_steps, 1))
    lr = init_lr * (1.0 - tf.minimum(step, decay_steps) / decay_steps)
    if num_warmup_steps:
        warmup_lr = init_lr * step / float(num_warmup_steps)
        is_warmup = tf.cast(step < float(num_warmup_steps), tf.float32)
        lr = (1.0 - is_warmup) * lr + is_warmup * warmup_lr
    return lr


def _raw(v):
    """The tf.Variable behind a Keras variable."""
    return getattr(v, "value", v) if not isinstance(v, tf.Variable) else v


class AdamWeightDecay(tf.Module):
    """Adam with "correct" L2 weight decay, as the original `AdamWeightDecayOptimizer`.

    m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2           (no bias correction)
    update = m / (sqrt(v) + eps) + wd * param                  (wd only where allowed)
    param -= lr * update

    With `bias_correction` (not the original's; Mosbach et al., ICLR 2021, find it
    steadies short fine-tuning runs) m and v are divided by 1 - b1^t and 1 - b2^t,
    as in Kingma and Ba's Adam: the original's first steps are ~3x larger.

    Args:
      variables: {original TF1 name: variable}; the names decide weight decay.
      init_lr, num_train_steps, num_warmup_steps: the learning rate schedule.
      clip_norm: global-norm clipping of the (replica-summed) gradients; None = off.
      bias_correction: Adam's bias-corrected moments (off in the original).
      float16: dynamic loss scaling for mixed_float16 (x2 after 2000 finite steps; on
        overflow the step is skipped and the scale halved).

    Create it under the distribution strategy's scope, so slots are mirrored.
    """

    slot_names = ("adam_m", "adam_v")

    def __init__(self, variables: Mapping[str, "tf.Variable"], init_lr: float,
                 num_train_steps: int, num_warmup_steps: int = 0,
                 weight_decay_rate: float = 0.01, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-6,
                 exclude_from_weight_decay: Sequence[str] = EXCLUDE_FROM_WEIGHT_DECAY,
                 clip_norm: float | None = 1.0, float16: bool = False,
                 bias_correction: bool = False, name: str = "AdamWeightDecay"):
        super().__init__(name=name)
        self.names = list(variables)
        self.variables_ = [variables[n] for n in self.names]
        self.init_lr, self.num_train_steps = init_lr, num_train_steps
        self.num_warmup_steps = num_warmup_steps
        self.weight_decay_rate, self.beta_1, self.beta_2 = weight_decay_rate, beta_1, beta_2
        self.epsilon, self.clip_norm = epsilon, clip_norm
        self.bias_correction = bias_correction
        self.decay = [self._use_weight_decay(n, exclude_from_weight_decay) for n in self.names]
        first = tf.VariableAggregation.ONLY_FIRST_REPLICA
        self.global_step = tf.Variable(0, dtype=tf.int64, trainable=False, name="global_step",
                                       aggregation=first)
        self.loss_scale = self.good_steps = None
        if float16:
            self.loss_scale = tf.Variable(2.0 ** 15, trainable=False, name="loss_scale",
                                          aggregation=first)
            self.good_steps = tf.Variable(0, dtype=tf.int64, trainable=False, name="good_steps",
                                          aggregation=first)
        strategy = tf.distribute.get_strategy()
        self.slots: dict[str, list[tf.Variable]] = {}
        for slot in self.slot_names:
            self.slots[slot] = []
            for name, var in zip(self.names, self.variables_):
                with strategy.extended.colocate_vars_with(_raw(var)):
                    self.slots[slot].append(tf.Variable(
                        tf.zeros(var.shape, tf.float32), trainable=False,
                        name=f"{name.replace('/', '_')}_{slot}"))
        # Each variable's update as one XLA kernel (it reads var, grad, m, v once: half
        # the time of separate ops on CPU). Distributed (mirrored, TPU) variables keep
        # plain ops, which their strategies place on every device.
        self._update_fn = self._update_slots
        if not any(isinstance(_raw(v), tf.distribute.DistributedValues) for v in self.variables_):
            self._update_fn = tf.function(self._update_slots, jit_compile=True)

    def _use_weight_decay(self, name: str, exclude: Sequence[str]) -> bool:
        if not self.weight_decay_rate:
            return False
        return not any(re.search(r, name) for r in exclude)

    @property
    def learning_rate(self) -> tf.Tensor:
        return learning_rate_at(self.global_step, self.init_lr, self.num_train_steps,
                                self.num_warmup_steps)

    def slot_variables(self) -> dict[str, tf.Variable]:
        """{"<TF1 name>/adam_m": slot, ..., "global_step": step} for checkpoints."""
        out = {f"{name}/{slot}": var for slot, vs in self.slots.items()
               for name, var in zip(self.names, vs)}
        out["global_step"] = self.global_step
        if self.loss_scale is not None:
            out.update(loss_scale=self.loss_scale, good_steps=self.good_steps)
        return out

    def scale_loss(self, loss: tf.Tensor) -> tf.Tensor:
        """The loss to differentiate: multiplied by the loss scale under float16."""
        return loss if self.loss_scale is None else loss * tf.cast(self.loss_scale, loss.dtype)

    def apply_gradients(self, grads: Sequence[tf.Tensor]) -> tf.Tensor:
        """Sums `grads` (one per variable, in `variables` order) across replicas, clips, applies.

        Call in replica context (inside `strategy.run`) or with the default strategy.
        Each replica should pass gradients of its loss divided by the number of
        replicas, so the sum is the mean over replicas. A None gradient (a variable
        the loss does not use, like the pooler under the SQuAD head) leaves that
        variable and its slots untouched, as in the original. Returns the global norm.
        """
        used = [i for i, g in enumerate(grads) if g is not None]
        grads = [tf.convert_to_tensor(grads[i]) for i in used]
        ctx = tf.distribute.get_replica_context()
        if ctx is not None and ctx.num_replicas_in_sync > 1:
            grads = ctx.all_reduce(tf.distribute.ReduceOp.SUM, grads)
        finite = None
        if self.loss_scale is not None:
            grads = [g / self.loss_scale for g in grads]
            finite = tf.reduce_all([tf.reduce_all(tf.math.is_finite(g)) for g in grads])
            grads = [tf.where(finite, g, tf.zeros_like(g)) for g in grads]
        norm = tf.linalg.global_norm(grads)
        # tf.clip_by_global_norm's factor (nan with the norm), applied in each variable's
        # update instead of writing clipped copies of all gradients first.
        scale = tf.constant(1.0)
        if self.clip_norm is not None:
            scale = self.clip_norm * tf.minimum(1.0 / norm, 1.0 / self.clip_norm) + (norm - norm)
        if ctx is None:
            self._apply(tf.distribute.get_strategy(), used, grads, scale, finite)
        else:
            ctx.merge_call(self._apply, args=(used, grads, scale, finite))
        return norm

    def _apply(self, strategy: tf.distribute.Strategy, used: Sequence[int],
               grads: Sequence[tf.Tensor], scale: tf.Tensor, finite: tf.Tensor | None) -> None:
        lr = self.learning_rate
        if finite is not None:  # a skipped float16 step changes nothing
            lr = tf.where(finite, lr, 0.0)
        for i, grad in zip(used, grads):
            var = self.variables_[i]
            slots = [self.slots[s][i] for s in self.slot_names]
            strategy.extended.update(_raw(var), self._update_fn,
                                     args=(grad, scale, lr, self.decay[i], finite, *slots),
                                     group=False)
        if finite is None:
            self.global_step.assign_add(1)
            return
        self.global_step.assign_add(tf.cast(finite, tf.int64))
        grow = finite & (self.good_steps + 1 >= 2000)
        self.loss_scale.assign(tf.where(grow, self.loss_scale * 2.0, tf.where(
            finite, self.loss_scale, tf.maximum(self.loss_scale / 2.0, 1.0))))
        self.good_steps.assign(tf.where(finite & ~grow, self.good_steps + 1, 0))

    def _update_slots(self, var, grad, scale, lr, decay, finite, m, v):
        next_m, next_v = self._update(var, grad * scale, lr, decay, m, v)
        if finite is not None:
            next_m, next_v = tf.where(finite, next_m, m), tf.where(finite, next_v, v)
        m.assign(next_m)
        v.assign(next_v)

    def _moments(self, grad, decay, var, m, v):
        """(new m, new v, the Adam direction plus weight decay)."""
        next_m = self.beta_1 * m + (1.0 - self.beta_1) * grad
        next_v = self.beta_2 * v + (1.0 - self.beta_2) * tf.square(grad)
        m_hat, v_hat = next_m, next_v
        if self.bias_correction:
            t = tf.cast(self.global_step + 1, tf.float32)
            m_hat = next_m / (1.0 - tf.pow(self.beta_1, t))
            v_hat = next_v / (1.0 - tf.pow(self.beta_2, t))
        update = m_hat / (tf.sqrt(v_hat) + self.epsilon)
        if decay:
            update += self.weight_decay_rate * var
        return next_m, next_v, update

    def _update(self, var, grad, lr, decay, m, v):
        """Applies the update to `var`; returns the new (m, v)."""
        next_m, next_v, update = self._moments(grad, decay, var, m, v)
        var.assign_sub(lr * update)
        return next_m, next_v


class Lamb(AdamWeightDecay):
    """LAMB (You et al., 2019): the AdamWeightDecay update scaled per layer by a trust ratio.

    update = m_hat / (sqrt(v_hat) + eps) + wd * param, with bias-corrected moments;
    param -= lr * (||param|| / ||update||) * update (ratio 1 where either norm is 0).
    """

    def __init__(self, *args, epsilon: float = 1e-6, name: str = "Lamb", **kwargs):
        kwargs["bias_correction"] = True
        super().__init__(*args, epsilon=epsilon, name=name, **kwargs)

    def _update(self, var, grad, lr, decay, m, v):
        next_m, next_v, update = self._moments(grad, decay, var, m, v)
        w_norm, u_norm = tf.norm(var), tf.norm(update)
        ratio = tf.where((w_norm > 0) & (u_norm > 0), w_norm / u_norm, 1.0)
        var.assign_sub(lr * ratio * update)
        return next_m, next_v


OPTIMIZERS = {"adamw": AdamWeightDecay, "lamb": Lamb}


def create_optimizer(variables: Mapping[str, "tf.Variable"], init_lr: float,
                     num_train_steps: int, num_warmup_steps: int,
                     optimizer: str = "adamw", float16: bool = False,
                     bias_correction: bool = False) -> AdamWeightDecay:
    """The original `create_optimizer`: weight decay 0.01, clip 1.0, the given schedule
    (`bias_correction`: Adam's, not the original's; LAMB always has it)."""
    if optimizer not in OPTIMIZERS:
        raise UsageError(f"--optimizer={optimizer!r}: expected one of {sorted(OPTIMIZERS)}")
    return OPTIMIZERS[optimizer](variables, init_lr, num_train_steps, num_warmup_steps,
                                 float16=float16, bias_correction=bias_correction)
