"""Distillation: the KD loss against numpy, layer selection, the student's init and run
directory, bad input; one end-to-end run on the bundled sentiment data (slow)."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
import tensorflow as tf

from bert_tf import checkpoints, distillation, losses, models, training
from bert_tf.config import BertConfig
from conftest import TINY_WORDS
from test_extract_features import run_script


def _np_kd(teacher, student, T, weights=None):
    def log_softmax(x):
        x = x - x.max(-1, keepdims=True)
        return x - np.log(np.exp(x).sum(-1, keepdims=True))
    p = np.exp(log_softmax(teacher / T))
    kl = (p * (log_softmax(teacher / T) - log_softmax(student / T))).sum(-1)
    w = np.ones_like(kl) if weights is None else weights
    return T * T * (w * kl).sum() / w.sum()


def test_kd_loss_matches_the_numpy_formula():
    rng = np.random.default_rng(0)
    t, s = rng.normal(0, 3, (5, 4)).astype(np.float32), rng.normal(0, 3, (5, 4)).astype(np.float32)
    for T in (1.0, 2.0, 4.0):
        np.testing.assert_allclose(distillation.kd_loss(t, s, T), _np_kd(t, s, T), rtol=1e-5)
    assert abs(float(distillation.kd_loss(t, t, 2.0))) < 1e-6
    # Per-token (NER): [batch, seq, labels] with weights on labelled positions.
    t3, s3 = rng.normal(0, 2, (2, 6, 3)), rng.normal(0, 2, (2, 6, 3))
    w = (rng.random((2, 6)) > 0.4).astype(np.float32)
    np.testing.assert_allclose(distillation.kd_loss(t3, s3, 2.0, w), _np_kd(t3, s3, 2.0, w),
                               rtol=1e-5)


def test_select_layers_keeps_the_top_layer_evenly_spaced():
    assert distillation.select_layers(12, 6) == [1, 3, 5, 7, 9, 11]
    assert distillation.select_layers(6, 3) == [1, 3, 5]
    assert distillation.select_layers(12, 4) == [2, 5, 8, 11]
    assert distillation.select_layers(6, 6) == list(range(6))
    assert distillation.select_layers(6, 1) == [5]
    with pytest.raises(ValueError, match="--student_layers=7: must be between 1 and the "
                                         "teacher's depth 6"):
        distillation.select_layers(6, 7)


def _config(layers=4, hidden=64):
    return BertConfig(vocab_size=len(TINY_WORDS), hidden_size=hidden, num_hidden_layers=layers,
                      num_attention_heads=4, intermediate_size=2 * hidden,
                      max_position_embeddings=64, type_vocab_size=2)


def _batch(batch=4, seq=12, seed=0):
    rng = np.random.default_rng(seed)
    ids = rng.integers(5, len(TINY_WORDS), (batch, seq)).astype(np.int32)
    mask = np.ones_like(ids)
    mask[0, seq // 2:] = 0
    return {"input_word_ids": tf.constant(ids * mask), "input_mask": tf.constant(mask),
            "input_type_ids": tf.zeros_like(ids), "label_ids": tf.constant(
                rng.integers(0, 2, (batch, 1)).astype(np.int32)),
            "is_real_example": tf.ones([batch, 1], tf.int32)}


def test_student_from_teacher_layers_computes_what_those_layers_compute():
    """A student of teacher layers [1, 3] equals running the teacher's embeddings, then
    its layers 1 and 3, then its pooler and head."""
    teacher = models.BertClassifier(models.BertEncoder(_config(4)), 2)
    values = {n: v.numpy() for n, v in checkpoints.tf1_variables(teacher).items()}
    values["output_weights/adam_m"] = values["output_weights"]
    layers = distillation.select_layers(4, 2)
    student = models.BertClassifier(models.BertEncoder(distillation.student_config(
        teacher.encoder.config, 2)), 2)
    report = checkpoints.load_weights(student, distillation.student_values(values, layers))
    assert not report.missing and not report.unused
    batch = _batch()
    enc = teacher.encoder
    x = enc.embeddings(batch["input_word_ids"], batch["input_type_ids"])
    for i in layers:
        x = enc.transformer_layers[i](x, batch["input_mask"])
    expected = teacher.head(enc.pooler(x[:, 0, :]))
    got = student(models.model_inputs(student, batch))["logits"]
    np.testing.assert_allclose(got, expected, atol=1e-5)


def test_loss_mixes_soft_and_gold_terms_and_skips_unlabelled_examples():
    teacher = models.BertClassifier(models.BertEncoder(_config(2)), 2)
    student = models.BertClassifier(models.BertEncoder(_config(1)), 2)
    teacher.head.output_weights.assign(teacher.head.output_weights * 100)  # a confident teacher
    batch = _batch()
    s = student(models.model_inputs(student, batch))["logits"].numpy()
    t = teacher(models.model_inputs(teacher, batch))["logits"].numpy()
    gold = float(losses.classification_loss(student, batch, False))
    soft = _np_kd(t, s, 2.0)
    for w in (0.0, 0.3, 1.0):
        loss = distillation.DistillationLoss(teacher, kd_weight=w, temperature=2.0)
        np.testing.assert_allclose(float(loss(student, batch, False)), w * soft + (1 - w) * gold,
                                   rtol=1e-5)
    # Transfer examples (is_real_example 0) are left out of the gold term only.
    batch["is_real_example"] = tf.constant([[1], [0], [1], [0]])
    ce = losses.classification_example_losses(tf.constant(s), batch).numpy()
    loss = distillation.DistillationLoss(teacher, kd_weight=0.5, temperature=2.0)
    np.testing.assert_allclose(float(loss(student, batch, False)),
                               0.5 * soft + 0.5 * ce[[0, 2]].mean(), rtol=1e-5)


def test_hidden_state_term_trains_named_projections_and_the_run_loads_as_a_classifier(tmp_path):
    """Widths differ (64 -> 32): learned projections, named distillation/..., trained and
    saved by the Trainer; resume restores them; a plain classifier loads the checkpoint."""
    teacher = models.BertClassifier(models.BertEncoder(_config(2, 64)), 2)
    loss = distillation.DistillationLoss(teacher, kd_weight=0.5, hidden_weight=1.0,
                                         student_layers=1)
    assert loss.layer_map == [1]
    student_config = _config(1, 32)
    config = training.TrainConfig(output_dir=str(tmp_path), num_train_steps=2,
                                  learning_rate=1e-3, seed=1)

    def make():
        return training.Trainer(lambda: models.BertClassifier(models.BertEncoder(student_config), 2),
                                loss, config, extra_variables_fn=loss.extra_variables)

    trainer = make()
    assert sorted(trainer.extra_variables) == [
        f"distillation/layer_0/projection/{v}" for v in ("bias", "kernel")]
    before = trainer.extra_variables["distillation/layer_0/projection/kernel"].numpy().copy()
    data = {k: v for k, v in _batch(8).items()}
    result = trainer.train(lambda ctx: tf.data.Dataset.from_tensors(data).repeat(), 8)
    assert np.isfinite(result["loss"])
    after = trainer.extra_variables["distillation/layer_0/projection/kernel"].numpy()
    assert np.abs(after - before).max() > 0
    names = dict(tf.train.list_variables(str(tmp_path)))
    assert names["distillation/layer_0/projection/kernel"] == [32, 64]
    assert "distillation/layer_0/projection/kernel/adam_m" in names
    assert not [n for n in names if re.match(r"bert/encoder/layer_[1-9]", n)]
    resumed = make()
    assert resumed.restore() == "resume"
    np.testing.assert_array_equal(
        resumed.extra_variables["distillation/layer_0/projection/kernel"].numpy(), after)
    plain = models.BertClassifier(models.BertEncoder(student_config), 2)
    report = checkpoints.load_weights(plain, str(tmp_path))
    assert not report.missing
    assert all(n.startswith("bert_tf/rng_state_") for n in report.unused), report.unused


# -- the script: bad input -------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_teacher_dir(tmp_path_factory):
    """A run_classifier-style run directory holding a tiny random 4-layer classifier."""
    d = tmp_path_factory.mktemp("teacher")
    config = _config(4)
    config.to_json_file(str(d / "bert_config.json"))
    (d / "vocab.txt").write_text("\n".join(TINY_WORDS) + "\n", encoding="utf-8")
    (d / "run_info.json").write_text(json.dumps({
        "model_type": "classifier", "labels": ["0", "1"], "max_seq_length": 16,
        "do_lower_case": True, "task_name": "sst-2"}))
    model = models.BertClassifier(models.BertEncoder(config), 2)
    checkpoints.save_model(model, str(d / "model.ckpt-1"))
    return d


@pytest.mark.parametrize("case", ["no_run_info", "deeper", "temperature", "vocab"])
def test_bad_input_is_one_line_and_exit_code_2(case, tiny_teacher_dir, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "train.tsv").write_text("sentence\tlabel\nthe cat sat\t1\n")
    args = [f"--teacher_dir={tiny_teacher_dir}", f"--data_dir={data}",
            f"--output_dir={tmp_path / 'out'}", "--student_layers=2"]
    if case == "no_run_info":
        args[0] = f"--teacher_dir={tmp_path}"
        expected = f"--teacher_dir: {tmp_path}/run_info.json does not exist"
    elif case == "deeper":
        args[-1] = "--student_layers=5"
        expected = "--student_layers=5: must be between 1 and the teacher's depth 4"
    elif case == "temperature":
        args.append("--temperature=0")
        expected = "--temperature must be > 0, got 0.0"
    else:
        other = tmp_path / "student"
        other.mkdir()
        _config(2).to_json_file(str(other / "bert_config.json"))
        (other / "vocab.txt").write_text("\n".join(reversed(TINY_WORDS)) + "\n")
        checkpoints.save_model(models.BertEncoder(_config(2)), str(other / "bert_model.ckpt"))
        args[-1] = f"--init_checkpoint={other}"
        expected = (f"--vocab_file {other}/vocab.txt differs from the teacher's "
                    f"{tiny_teacher_dir}/vocab.txt")
    r = run_script("run_distillation.py", *args)
    assert r.returncode == 2, r.stderr[-2000:]
    assert expected in r.stderr and "Traceback" not in r.stderr
    assert r.stderr.count("run_distillation.py: error:") == 1
