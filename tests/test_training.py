"""The shared training loop: learning, checkpoints, exact resume, accumulation, strategies."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import tensorflow as tf

from bert_tf import models, training
from bert_tf.config import BertConfig
from conftest import two_cpu_strategy


def _config(dropout=0.0):
    return BertConfig(vocab_size=40, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                      intermediate_size=64, max_position_embeddings=16, type_vocab_size=2,
                      hidden_dropout_prob=dropout, attention_probs_dropout_prob=dropout)


def _data(n=64, seq=8, seed=0):
    """Label 1 iff token 7 appears: learnable by a 2-layer BERT in a few dozen steps."""
    rng = np.random.default_rng(seed)
    ids = rng.integers(8, 40, size=(n, seq)).astype(np.int32)
    labels = rng.integers(0, 2, size=n).astype(np.int32)
    ids[labels == 1, rng.integers(1, seq, size=int(labels.sum()))] = 7
    ids[:, 0] = 2
    return {"input_word_ids": ids, "input_mask": np.ones_like(ids),
            "input_type_ids": np.zeros_like(ids), "label_ids": labels}


def _loss(model, batch, training_):
    logits = model(models.model_inputs(model, batch), training=training_)["logits"]
    return tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(batch["label_ids"], logits))


def _dataset_fn(data, batch_size, seed=1):
    def fn(ctx):
        d = tf.data.Dataset.from_tensor_slices(data).repeat().shuffle(32, seed=seed)
        d = d.shard(ctx.num_input_pipelines, ctx.input_pipeline_id)
        return d.batch(ctx.get_per_replica_batch_size(batch_size), drop_remainder=True)
    return fn


def _trainer(tmp_path, steps=30, dropout=0.0, strategy=None, **kw):
    cfg = training.TrainConfig(output_dir=str(tmp_path), num_train_steps=steps,
                               learning_rate=kw.pop("lr", 1e-3), num_warmup_steps=2,
                               save_checkpoints_steps=kw.pop("save", 10), log_every_steps=5,
                               seed=0, **kw)
    return training.Trainer(lambda: models.BertClassifier(models.BertEncoder(_config(dropout)), 2,
                                                          dropout_rate=dropout),
                            _loss, cfg, strategy)


def test_loss_falls_and_checkpoints_use_original_names(tmp_path):
    data = _data()
    t = _trainer(tmp_path, steps=40, dropout=0.1)
    before = float(_loss(t.model, {k: v[:32] for k, v in data.items()}, False))
    t.restore()
    result = t.train(_dataset_fn(data, 16), 16)
    after = float(_loss(t.model, {k: v[:32] for k, v in data.items()}, False))
    assert result["global_step"] == 40
    assert after < 0.5 * before, (before, after)
    names = dict(tf.train.list_variables(str(tmp_path / "model.ckpt-40")))
    assert names["global_step"] == []
    assert names["output_weights"] == [2, 32] and names["output_weights/adam_m"] == [2, 32]
    assert "bert/encoder/layer_1/output/dense/kernel/adam_v" in names
    assert tf.train.latest_checkpoint(str(tmp_path)).endswith("model.ckpt-40")
    # keep_checkpoint_max=5 by default: 10, 20, 30, 40 all kept.
    state = tf.train.get_checkpoint_state(str(tmp_path))
    assert len(state.all_model_checkpoint_paths) == 4


def test_resume_is_exact(tmp_path):
    """Stopping at a checkpoint and resuming ends with the same weights, dropout on."""
    data = _data()
    full = _trainer(tmp_path / "full", steps=20, dropout=0.1)
    full.restore()
    full.train(_dataset_fn(data, 8), 8)

    first = _trainer(tmp_path / "split", steps=20, dropout=0.1)
    first.restore()
    first.config = dataclasses.replace(first.config, num_train_steps=10)
    first.train(_dataset_fn(data, 8), 8)  # saves model.ckpt-10, then "dies"
    second = _trainer(tmp_path / "split", steps=20, dropout=0.1)
    assert second.restore() == "resume" and second.global_step == 10
    second.train(_dataset_fn(data, 8), 8)
    for a, b in zip(full.model.weights, second.model.weights):
        np.testing.assert_allclose(a.numpy(), b.numpy(), atol=1e-6, err_msg=a.path)


def test_gradient_accumulation_equals_bigger_batch(tmp_path):
    data = _data()
    big = _trainer(tmp_path / "big", steps=4, lr=1e-2)
    big.restore()
    big.train(_dataset_fn(data, 16, seed=3), 16)
    acc = _trainer(tmp_path / "acc", steps=4, lr=1e-2, grad_accum_steps=2)
    acc.restore()
    # The same examples in the same order, in micro-batches of 8.
    acc.train(_dataset_fn(data, 8, seed=3), 16)
    for a, b in zip(big.model.weights, acc.model.weights):
        np.testing.assert_allclose(a.numpy(), b.numpy(), atol=2e-5, err_msg=a.path)


def test_mirrored_strategy_matches_single_device(tmp_path):
    strategy = two_cpu_strategy()
    data = _data()
    one = _trainer(tmp_path / "one", steps=4, lr=1e-2)
    one.restore()
    one.train(_dataset_fn(data, 16, seed=3), 16)
    two = _trainer(tmp_path / "two", steps=4, lr=1e-2, strategy=strategy)
    two.restore()
    # Each replica gets half of every global batch; shard so the union is the same batch.
    def fn(ctx):
        d = tf.data.Dataset.from_tensor_slices(data).repeat().shuffle(32, seed=3).batch(16)
        return d.unbatch().batch(8).shard(ctx.num_input_pipelines, ctx.input_pipeline_id)
    two.train(fn, 16)
    for a, b in zip(one.model.weights, two.model.weights):
        np.testing.assert_allclose(a.numpy(), b.numpy(), atol=2e-5, err_msg=a.path)
    outputs = [o["logits"] for _, o in two.predict(
        tf.data.Dataset.from_tensor_slices(data).batch(10))]
    assert sum(len(o) for o in outputs) == 64


def test_nan_loss_stops_and_keeps_last_good_checkpoint(tmp_path):
    data = _data()
    t = _trainer(tmp_path, steps=20, save=5)
    t.restore()
    t.config = dataclasses.replace(t.config, num_train_steps=5)
    t.train(_dataset_fn(data, 8), 8)
    t.config = dataclasses.replace(t.config, num_train_steps=20)
    t.loss_fn = lambda m, b, tr: _loss(m, b, tr) * np.nan
    t._train_loop = None
    with pytest.raises(training.TrainingError, match=r"loss is nan at step 10.*model\.ckpt-5"):
        t.train(_dataset_fn(data, 8), 8)
    assert tf.train.latest_checkpoint(str(tmp_path)).endswith("model.ckpt-5")


def test_bad_config_values():
    with pytest.raises(ValueError, match="--save_checkpoints_steps must be >= 1"):
        training.TrainConfig(output_dir="x", num_train_steps=1, save_checkpoints_steps=0)
    with pytest.raises(ValueError, match="--distribution_strategy='gpus'"):
        training.build_strategy("gpus")
    with pytest.raises(ValueError, match="--mixed_precision='fp8'"):
        training.set_precision("fp8")


def test_predict_trims_padding_without_changing_outputs(tmp_path):
    cfg = dataclasses.replace(_config(), max_position_embeddings=48)
    trainer = training.Trainer(lambda: models.BertTokenTagger(models.BertEncoder(cfg), 3),
                               _loss, training.TrainConfig(output_dir=str(tmp_path),
                                                           num_train_steps=0))
    data = _data(n=20, seq=48)
    data["input_mask"][:, 5:] = 0  # real length 5 of 48: batches run at 16
    data["input_mask"][10, :] = 1  # one full-length example in the second batch
    ds = tf.data.Dataset.from_tensor_slices(data).batch(8)
    full = [o["logits"] for _, o in trainer.predict(ds, trim=False)]
    trimmed = [o["logits"] for _, o in trainer.predict(ds, trim=True)]
    assert [t.shape for t in trimmed] == [f.shape for f in full] == [(8, 48, 3)] * 2 + [(4, 48, 3)]
    assert not trimmed[0][:, 16:].any() and full[0][:, 16:].any()  # batch 0 ran at length 16
    assert trimmed[1][:, 16:].any()  # batch 1 holds a full-length example
    for t, f, mask in zip(trimmed, full, np.split(data["input_mask"], [8, 16])):
        np.testing.assert_allclose(t[mask == 1], f[mask == 1], atol=1e-5)


def test_bfloat16_inference_follows_the_trained_float32_weights(tmp_path):
    data = _data(n=16)
    ds = tf.data.Dataset.from_tensor_slices(data).batch(8)
    t32 = _trainer(tmp_path / "a", steps=0)
    t16 = _trainer(tmp_path / "b", steps=0, inference_dtype="bfloat16")
    for v16, v32 in zip(t16.model.weights, t32.model.weights):
        v16.assign(v32)

    def logits(t):
        return np.concatenate([o["logits"] for _, o in t.predict(ds)])

    reference = logits(t32)
    first = logits(t16)
    assert t16.model.weights[0].dtype == "float32"  # training weights stay float32
    assert {w.dtype for w in t16._inference_model.trainable_weights} >= {"bfloat16"}
    assert first.dtype == np.float32
    np.testing.assert_allclose(first, reference, atol=0.05)
    assert np.abs(first - reference).max() > 1e-6  # it really ran in bfloat16
    # New float32 weights (as after training) reach the bfloat16 twin at the next predict.
    for v16, v32 in zip(t16.model.trainable_weights, t32.model.trainable_weights):
        v32.assign(v32 * 1.5)
        v16.assign(v32)
    updated = logits(t16)
    assert np.abs(updated - first).max() > 1e-3
    np.testing.assert_allclose(updated, logits(t32), atol=0.1)
    with pytest.raises(ValueError, match="--inference_dtype='float16'"):
        _trainer(tmp_path / "c", steps=0, inference_dtype="float16")


def test_predict_trims_a_pretrainer_without_padding_its_predictions(tmp_path):
    """mlm_logits has one row per masked position, not per token: it is not padded back."""
    cfg = dataclasses.replace(_config(), max_position_embeddings=48)
    trainer = training.Trainer(lambda: models.BertPretrainer(models.BertEncoder(cfg)), _loss,
                               training.TrainConfig(output_dir=str(tmp_path), num_train_steps=0))
    data = _data(n=8, seq=48)
    data["input_mask"][:, 6:] = 0
    data["masked_lm_positions"] = np.tile(np.array([1, 2, 3], np.int32), (8, 1))
    ds = tf.data.Dataset.from_tensor_slices(data).batch(8)
    (_, full), = trainer.predict(ds, trim=False)
    (_, trimmed), = trainer.predict(ds)
    assert trimmed["mlm_logits"].shape == full["mlm_logits"].shape == (8, 3, 40)
    np.testing.assert_allclose(trimmed["mlm_logits"], full["mlm_logits"], atol=1e-5)
    np.testing.assert_allclose(trimmed["nsp_logits"], full["nsp_logits"], atol=1e-5)
