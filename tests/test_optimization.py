"""The optimizer against a numpy transcription of the original update rule and schedule."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from bert_tf import optimization
from conftest import two_cpu_strategy


def _np_lr(step, init_lr, total, warmup):
    lr = init_lr * (1 - min(step, total) / total)
    if warmup and step < warmup:
        lr = init_lr * step / warmup
    return lr


def _np_adamw_steps(params, grads_per_step, names, init_lr, total, warmup, wd=0.01):
    """The original AdamWeightDecayOptimizer + clip_by_global_norm(1.0), in numpy."""
    m = {n: np.zeros_like(p) for n, p in params.items()}
    v = {n: np.zeros_like(p) for n, p in params.items()}
    for step, grads in enumerate(grads_per_step):
        norm = np.sqrt(sum((g.astype(np.float64) ** 2).sum() for g in grads.values()))
        scale = 1.0 / max(norm, 1.0)
        lr = _np_lr(step, init_lr, total, warmup)
        for n in names:
            g = grads[n] * scale
            m[n] = 0.9 * m[n] + 0.1 * g
            v[n] = 0.999 * v[n] + 0.001 * g * g
            update = m[n] / (np.sqrt(v[n]) + 1e-6)
            if not any(x in n for x in ("LayerNorm", "layer_norm", "bias")):
                update = update + wd * params[n]
            params[n] = params[n] - lr * update
    return params, m, v


@pytest.mark.parametrize("total, warmup", [(10, 3), (6, 0), (4, 10)])
def test_schedule_matches_original(total, warmup):
    for step in range(total + 3):
        lr = optimization.learning_rate_at(tf.constant(step, tf.int64), 1e-3, total, warmup)
        assert float(lr) == pytest.approx(_np_lr(step, 1e-3, total, warmup), rel=1e-6, abs=1e-12)


def test_adamw_steps_match_numpy_transcription():
    rng = np.random.default_rng(0)
    names = ["bert/encoder/layer_0/attention/self/query/kernel",
             "bert/encoder/layer_0/attention/self/query/bias",
             "bert/embeddings/LayerNorm/gamma", "cls/predictions/output_bias", "output_weights"]
    shapes = [(4, 3), (3,), (3,), (5,), (2, 3)]
    init = {n: rng.normal(size=s).astype(np.float32) for n, s in zip(names, shapes)}
    variables = {n: tf.Variable(init[n]) for n in names}
    opt = optimization.create_optimizer(variables, 0.1, num_train_steps=8, num_warmup_steps=3)
    assert opt.decay == [True, False, False, False, True]
    # One device: each variable's update is one XLA kernel (mirrored: plain ops, below).
    assert opt._update_fn._jit_compile
    grads_per_step = []
    for step in range(6):
        # Large gradients on some steps so that clipping is exercised.
        scale = 5.0 if step % 2 else 0.1
        grads = {n: (rng.normal(size=s) * scale).astype(np.float32) for n, s in zip(names, shapes)}
        grads_per_step.append(grads)
        opt.apply_gradients([tf.constant(grads[n]) for n in names])
    expected, m, v = _np_adamw_steps(dict(init), grads_per_step, names, 0.1, 8, 3)
    for n in names:
        np.testing.assert_allclose(variables[n].numpy(), expected[n], rtol=1e-5, atol=1e-6)
    slots = opt.slot_variables()
    assert int(slots["global_step"].numpy()) == 6
    np.testing.assert_allclose(slots[names[0] + "/adam_m"].numpy(), m[names[0]], rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(slots[names[0] + "/adam_v"].numpy(), v[names[0]], rtol=1e-5, atol=1e-9)


def test_first_step_has_no_bias_correction():
    # With warmup 0, step 0: m = 0.1 g, v = 0.001 g^2 -> update = 0.1 g / (sqrt(0.001)|g| + eps).
    var = tf.Variable([1.0])
    opt = optimization.AdamWeightDecay({"w/bias": var}, 1.0, num_train_steps=1000, clip_norm=None)
    opt.apply_gradients([tf.constant([0.5])])
    expected = 1.0 - 1.0 * (0.05 / (np.sqrt(0.001 * 0.25) + 1e-6))
    np.testing.assert_allclose(var.numpy(), [expected], rtol=1e-6)


def test_lamb_trust_ratio():
    w0 = np.array([3.0, 4.0], np.float32)
    var = tf.Variable(w0)
    opt = optimization.Lamb({"w/kernel": var}, 0.1, num_train_steps=100, weight_decay_rate=0.0,
                            clip_norm=None)
    opt.apply_gradients([tf.constant([1.0, -2.0])])
    # Step 1 with bias correction: update = g / (|g| + eps) = sign(g); ratio = |w| / |update|.
    update = np.array([1.0, -1.0]) / (1 + 1e-6)
    ratio = np.linalg.norm(w0) / np.linalg.norm(update)
    np.testing.assert_allclose(var.numpy(), w0 - 0.1 * ratio * update, rtol=1e-5)


def test_mirrored_strategy_sums_then_clips():
    """Two replicas with different gradients equal one device with their mean."""
    strategy = two_cpu_strategy()
    with strategy.scope():
        var = tf.Variable([1.0, 2.0])
        opt = optimization.AdamWeightDecay({"w/kernel": var}, 0.1, num_train_steps=10)
    per_replica = np.array([[3.0, 4.0], [1.0, -2.0]], np.float32)

    @tf.function
    def step():
        def fn():
            rid = tf.distribute.get_replica_context().replica_id_in_sync_group
            g = tf.gather(per_replica, rid) / 2.0
            opt.apply_gradients([g])
        strategy.run(fn)

    step()
    step()
    ref_var = tf.Variable([1.0, 2.0])
    ref = optimization.AdamWeightDecay({"w/kernel": ref_var}, 0.1, num_train_steps=10)
    for _ in range(2):
        ref.apply_gradients([tf.constant(np.mean(per_replica, 0), tf.float32)])
    for component in var.values:
        np.testing.assert_allclose(component.numpy(), ref_var.numpy(), rtol=1e-6)
    assert int(opt.global_step.numpy()) == 2
    assert opt._update_fn == opt._update_slots


def test_unknown_optimizer_name():
    with pytest.raises(ValueError, match="--optimizer='sgd'"):
        optimization.create_optimizer({"w": tf.Variable(1.0)}, 0.1, 1, 0, optimizer="sgd")


def test_unused_variable_is_not_decayed():
    """tf.gradients gives None for unused variables; the original skips them (no weight decay)."""
    used, unused = tf.Variable([1.0]), tf.Variable([2.0])
    opt = optimization.AdamWeightDecay({"a/kernel": used, "pooler/kernel": unused}, 0.1,
                                       num_train_steps=10)
    opt.apply_gradients([tf.constant([0.5]), None])
    np.testing.assert_array_equal(unused.numpy(), [2.0])
    assert used.numpy()[0] != 1.0
    assert not opt.slot_variables()["pooler/kernel/adam_m"].numpy().any()


def test_bias_corrected_adam_matches_keras_adam():
    """--adam_bias_correction is textbook Adam (Kingma and Ba): the same steps as Keras'
    Adam with weight decay and clipping off."""
    rng = np.random.default_rng(1)
    w0 = rng.normal(size=(3, 4)).astype(np.float32)
    ours, theirs = tf.Variable(w0), tf.Variable(w0)
    opt = optimization.create_optimizer({"w/bias": ours}, 1e-2, num_train_steps=10 ** 6,
                                        num_warmup_steps=0, bias_correction=True)
    opt.clip_norm = None
    keras_adam = tf.keras.optimizers.Adam(1e-2, epsilon=1e-6)
    for _ in range(5):
        g = rng.normal(size=(3, 4)).astype(np.float32)
        opt.apply_gradients([tf.constant(g)])
        keras_adam.apply_gradients([(tf.constant(g), theirs)])
    # Keras adds epsilon to the uncorrected sqrt(v); equal up to that (~1e-6 relative).
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-4, atol=1e-6)
    # The original's first step is sqrt(0.001) / 0.1 ~ 3.16x smaller in m, i.e. ~3x larger.
    assert not np.allclose(ours.numpy(), _np_adamw_steps({"w/bias": w0}, [], ["w/bias"], 1e-2,
                                                         10, 0)[0]["w/bias"])
