"""Dynamic padding of training batches (--dynamic_padding, --group_by_length).

Trimmed batches are the fixed ones with only end padding removed; training on them
gives the fixed-shape losses to float noise (padding is masked); resume stays exact;
--dynamic_padding=false and TPUs keep the original's fixed shapes.
"""

from __future__ import annotations

import dataclasses
import logging
import pathlib

import keras
import numpy as np
import pytest
import tensorflow as tf

from bert_tf import inference, losses, models, runner, training
from bert_tf.config import BertConfig
from bert_tf.data import records
from bert_tf.tasks.classification import ClassificationTask
from bert_tf.tasks.ner import NerTask
from bert_tf.tasks.seq2seq import Seq2SeqTask
from bert_tf.tasks.squad import SquadTask
from conftest import REPO, corpus_vocab

DATA = REPO / "data"
SEQ2SEQ_GROUPS = (records.ENCODER_INPUTS,
                  records.PaddedGroup("target_mask", ("decoder_input_ids", "target_ids",
                                                      "target_mask")))


# -- the pipeline -------------------------------------------------------------------


def _seq2seq_records(path: pathlib.Path, n: int = 96, source_max: int = 40, target_max: int = 24,
                     seed: int = 0) -> str:
    """Random records laid out as run_seq2seq's: real tokens first, zeros after."""
    rng = np.random.default_rng(seed)

    def padded(length: int, full: int) -> tuple[list[int], list[int]]:
        ids = rng.integers(5, 99, size=length).tolist()
        return ids + [0] * (full - length), [1] * length + [0] * (full - length)

    def features():
        for _ in range(n):
            length = int(rng.integers(2, source_max + 1))  # targets about half as long
            ids, mask = padded(length, source_max)
            target, target_mask = padded(min(target_max, length // 2 + int(rng.integers(1, 4))),
                                         target_max)
            yield {"input_ids": ids, "input_mask": mask, "segment_ids": [0] * source_max,
                   "decoder_input_ids": target, "target_ids": target, "target_mask": target_mask,
                   "weight": [float(rng.random())]}

    records.write_examples(str(path), features())
    return str(path)


def _spec(source_max: int = 40, target_max: int = 24) -> dict:
    spec = records.fixed_features({
        **{k: (source_max, tf.int64) for k in ("input_ids", "input_mask", "segment_ids")},
        **{k: (target_max, tf.int64) for k in ("decoder_input_ids", "target_ids",
                                                "target_mask")},
        "weight": (1, tf.float32)})
    return spec


def _batches(path: str, steps: int = 12, **padding) -> list[dict]:
    d = records.dataset([path], _spec(), 8, is_training=True, seed=3, **padding)
    return [{k: v.numpy() for k, v in b.items()} for b in d.take(steps)]


def test_trimmed_batches_are_the_fixed_ones_without_end_padding(tmp_path):
    path = _seq2seq_records(tmp_path / "r.tfrecord")
    fixed = _batches(path)
    trimmed = _batches(path, sequence_features=SEQ2SEQ_GROUPS, dynamic_padding=True)
    assert len(fixed) == len(trimmed) == 12
    for f, t in zip(fixed, trimmed):
        assert f.keys() == t.keys()
        for group, full in ((("input_word_ids", "input_mask", "input_type_ids"), 40),
                            (("decoder_input_ids", "target_ids", "target_mask"), 24)):
            mask = f[group[1]]
            longest = int((np.arange(1, full + 1) * (mask != 0)).max())
            length = min(full, -(-longest // 16) * 16)  # rounded up to a multiple of 16
            for name in group:
                assert t[name].shape == (8, length), name
                np.testing.assert_array_equal(t[name], f[name][:, :length])
                assert not f[name][:, length:].any(), f"{name}: only padding is cut"
        np.testing.assert_array_equal(t["weight"], f["weight"])  # not a sequence feature


def test_bucket_lengths_are_bounded_and_match_prediction():
    for full in (40, 64, 128):
        for used in range(0, full + 1):
            got = int(records.bucket_length(tf.constant(used), tf.constant(full)))
            assert got == inference.trimmed_length(used, full, 16)
            assert got >= used and (got % 16 == 0 or got == full) and got - max(used, 1) < 16
    mask = tf.constant([[1, 1, 0, 0], [1, 0, 1, 0], [0, 0, 0, 0]])  # a hole: the last real one
    np.testing.assert_array_equal(records.real_lengths(mask), [2, 3, 0])


def test_only_bucket_shapes_are_traced(tmp_path):
    path = _seq2seq_records(tmp_path / "r.tfrecord", n=200, seed=1)
    shapes = set()
    for b in _batches(path, steps=60, sequence_features=SEQ2SEQ_GROUPS, dynamic_padding=True,
                      group_by_length=True):
        shapes.add((b["input_word_ids"].shape[1], b["target_ids"].shape[1]))
    assert {s for s, _ in shapes} <= {16, 32, 40} and {t for _, t in shapes} <= {16, 24}
    assert len({s for s, _ in shapes}) > 1  # group_by_length: short batches exist


def test_group_by_length_keeps_every_example_and_cuts_padding(tmp_path):
    path = _seq2seq_records(tmp_path / "r.tfrecord", n=400, seed=2)
    window = records.LENGTH_WINDOW  # 50 batches of 8 = the 400 records, once each
    plain = _batches(path, steps=window, sequence_features=SEQ2SEQ_GROUPS, dynamic_padding=True)
    grouped = _batches(path, steps=window, sequence_features=SEQ2SEQ_GROUPS,
                       dynamic_padding=True, group_by_length=True)

    def rows(batches):
        return sorted(tuple(np.concatenate([b["input_word_ids"][i][:16], b["weight"][i]]))
                      for b in batches for i in range(8))

    def tokens(batches):
        return sum(b["input_word_ids"].size + b["target_ids"].size for b in batches)

    # Grouping comes after the shuffle: the first window holds the plain stream's first
    # 400 records (the shuffle mixes epochs, so not each record once), reordered.
    assert rows(grouped) == rows(plain) and len(rows(plain)) == 400
    print(f"tokens per window: {tokens(plain)} plain, {tokens(grouped)} length-grouped")
    assert tokens(grouped) < 0.8 * tokens(plain)
    lengths = [records.real_lengths(b["input_mask"]).numpy() for b in grouped]
    spread = np.mean([x.max() - x.min() for x in lengths])
    assert spread < 0.5 * np.mean([np.ptp(records.real_lengths(b["input_mask"]).numpy())
                                   for b in plain])


# -- the tasks ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory) -> pathlib.Path:
    """A tiny BERT config (no dropout) with a vocab of the bundled data's words."""
    d = tmp_path_factory.mktemp("tiny")
    corpus = d / "corpus.txt"
    corpus.write_text("\n".join(p.read_text(encoding="utf-8") for p in (
        DATA / "sentiment" / "train.tsv", DATA / "ner" / "train.txt",
        DATA / "squad" / "train.json", DATA / "translation" / "train.tsv")), encoding="utf-8")
    vocab = corpus_vocab(corpus, d / "vocab.txt")
    size = len(pathlib.Path(vocab).read_text(encoding="utf-8").split("\n")) - 1
    BertConfig(vocab_size=size, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
               intermediate_size=64, max_position_embeddings=256, type_vocab_size=2,
               hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0
               ).to_json_file(str(d / "bert_config.json"))
    return d


COMMON = dict(init_checkpoint=None, do_lower_case=True, do_train=True, do_eval=False,
              do_predict=False, seed=7, train_batch_size=8, max_position_embeddings=None,
              learning_rate=1e-3, num_train_epochs=1.0, warmup_proportion=0.1,
              save_checkpoints_steps=1000, iterations_per_loop=1000, log_every_steps=1,
              keep_checkpoint_max=5, grad_accum_steps=1, optimizer="adamw",
              adam_bias_correction=False, head_initializer="truncated_normal", reinit_layers=0,
              xla=False, inference_dtype="float32", use_tpu=False,
              distribution_strategy="default", group_by_length=False, mixed_precision="float32",
              tpu_name=None, tpu_zone=None, gcp_project=None, master=None)

TASKS = {
    "classifier": (ClassificationTask, dict(
        task_name="sst-2", data_dir=str(DATA / "sentiment"), xnli_language="zh",
        text_a_column=None, text_b_column=None, label_column=None, label_list=None,
        max_seq_length=64)),
    "ner": (NerTask, dict(data_dir=str(DATA / "ner"), train_file=None, eval_file=None,
                          predict_file=None, label_list=None, max_seq_length=64)),
    "squad": (SquadTask, dict(train_file=str(DATA / "squad" / "train.json"), predict_file=None,
                              version_2_with_negative=False, max_seq_length=256, doc_stride=128,
                              max_query_length=16, max_answer_length=30,
                              tune_null_threshold=False)),
    "seq2seq": (Seq2SeqTask, dict(train_file=str(DATA / "translation" / "train.tsv"),
                                  eval_file=None, predict_file=None, source_column="source",
                                  target_column="target", max_source_length=48,
                                  max_target_length=32, max_decode_length=None,
                                  decoder_init="bert", target_vocab="all", label_smoothing=0.1)),
}


def _task(name: str, model_dir: pathlib.Path, output_dir: pathlib.Path, **values):
    cls, own = TASKS[name]
    values = {**COMMON, **own, "bert_config_file": str(model_dir / "bert_config.json"),
              "vocab_file": str(model_dir / "vocab.txt"), "output_dir": str(output_dir),
              **values}
    return runner.prepare(cls, values, set(values))


class _RecordingTrainer(training.Trainer):
    """Records each step's loss (log_every_steps=1: one step per loop call)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.losses: list[float] = []

    def _log_progress(self, writer, step, start_step, n, loss, *rest):
        assert n == 1
        self.losses.append(loss)


def _without_dropout(model: keras.Model) -> keras.Model:
    """Dropout masks are drawn per shape: cut batches would draw others (still exact in
    distribution, but not step for step), so the comparisons train without dropout."""
    for layer in model._flatten_layers():
        if isinstance(layer, keras.layers.Dropout):
            layer.rate = 0.0
    return model


def _train(task, steps: int, dropout: bool = False, files: list[str] | None = None,
           stop_at: int | None = None, loss=None) -> _RecordingTrainer:
    """The runner's training path (train_config, Trainer, fit): a `steps`-step run,
    stopped after `stop_at` steps when given (as a killed run, after its checkpoint)."""
    s = task.s
    tf.io.gfile.makedirs(s.output_dir)
    files = files or task.train_records(task.train_examples())
    strategy = runner.build_strategy(s)

    def model_fn():
        model = task.build_model(task.files.config)
        return model if dropout else _without_dropout(model)

    trainer = _RecordingTrainer(model_fn, loss or task.loss_fn(strategy),
                                runner.train_config(s, steps, 2), strategy)
    if stop_at is not None:
        trainer.config = dataclasses.replace(trainer.config, num_train_steps=stop_at)
    runner.fit(trainer, task, files, None)
    return trainer


def _max_len(task) -> int:
    return task.s.get("max_seq_length") or task.s.max_source_length


@pytest.mark.parametrize("name", list(TASKS))
def test_losses_with_and_without_dynamic_padding_agree(name, model_dir, tmp_path):
    """20 steps from the same initial weights: per-step losses agree to 1e-5.

    SQuAD's fixed run takes the masked span loss that cut batches use (the original's
    softmax also covers the padding, which a cut batch does not have: ~log(256/80) more).
    """
    runs = {}
    for dynamic in (False, True):
        task = _task(name, model_dir, tmp_path / str(dynamic), dynamic_padding=dynamic)
        shapes = []
        original = task.training_dataset

        def recording(*args, _original=original, **kwargs):
            d = _original(*args, **kwargs)
            shapes.append(d.element_spec["input_word_ids"].shape[1])
            return d

        task.training_dataset = recording
        keras.utils.set_random_seed(0)
        loss = losses.masked_span_loss if name == "squad" else None
        runs[dynamic] = _train(task, 20, loss=loss).losses
        assert shapes == [None if dynamic else _max_len(task)]
    fixed, dynamic = np.array(runs[False]), np.array(runs[True])
    print(f"{name}: losses {fixed[0]:.4f} -> {fixed[-1]:.4f}; max |fixed - dynamic| "
          f"{np.abs(fixed - dynamic).max():.2e}")
    assert len(fixed) == len(dynamic) == 20 and np.ptp(fixed) > 1e-3  # batches differ
    np.testing.assert_allclose(dynamic, fixed, atol=1e-5, rtol=0)


def test_dynamic_padding_false_reproduces_fixed_shapes(model_dir, tmp_path):
    """Off, the training batches are exactly the pipeline's without the new arguments."""
    task = _task("ner", model_dir, tmp_path, dynamic_padding=False)
    files = task.train_records(task.train_examples())
    off = task.training_dataset(files, 8)
    before = records.dataset(files, task.name_to_features(True), 8, is_training=True,
                             seed=task.s.seed)
    assert off.element_spec == before.element_spec
    assert all(spec.shape[-1] in (1, 64) for spec in off.element_spec.values())
    for a, b in zip(off.take(5), before.take(5)):
        for k in a:
            np.testing.assert_array_equal(a[k], b[k])
    assert task.loss_fn(None) is losses.tagging_loss
    squad = _task("squad", model_dir, tmp_path / "squad", dynamic_padding=False)
    assert squad.loss_fn(None) is losses.span_loss  # the original's softmax over padding too
    on = _task("ner", model_dir, tmp_path / "on", dynamic_padding=True).training_dataset(files, 8)
    assert on.element_spec["label_ids"].shape.as_list() == [8, None]
    assert on.element_spec["label_weights"].shape.as_list() == [8, None]


def test_masked_span_loss_is_the_softmax_over_real_tokens():
    """SQuAD with cut batches: padding cannot be in the softmax, so it is masked at any length."""
    rng = np.random.default_rng(0)
    config = BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=32, max_position_embeddings=32, type_vocab_size=2)
    model = models.BertSpanLabeler(models.BertEncoder(config))
    real = np.array([5, 9, 14])
    batch = {"input_word_ids": rng.integers(1, 50, (3, 32)).astype(np.int32),
             "input_mask": (np.arange(32)[None] < real[:, None]).astype(np.int32),
             "input_type_ids": np.zeros((3, 32), np.int32),
             "start_positions": np.array([1, 8, 0], np.int32),
             "end_positions": np.array([3, 8, 13], np.int32)}
    out = model(models.model_inputs(model, batch), training=False)
    expected = 0.0
    for i, n in enumerate(real):
        for key, pos in (("start_logits", "start_positions"), ("end_logits", "end_positions")):
            logits = out[key].numpy()[i, :n].astype(np.float64)
            expected += (np.log(np.exp(logits).sum()) - logits[batch[pos][i]]) / 2 / len(real)
    np.testing.assert_allclose(float(losses.masked_span_loss(model, batch, False)), expected,
                               rtol=1e-5)
    cut = {k: v[:, :16] if v.ndim == 2 else v for k, v in batch.items()}
    np.testing.assert_allclose(float(losses.masked_span_loss(model, cut, False)), expected,
                               rtol=1e-5)
    assert abs(float(losses.span_loss(model, batch, False)) - expected) > 0.1


def test_kill_and_resume_stays_exact(model_dir, tmp_path):
    """Cut, length-grouped batches with dropout on: 10 + 10 steps equal 20 steps."""
    extra = dict(dynamic_padding=True, group_by_length=True, save_checkpoints_steps=10)
    full_task = _task("classifier", model_dir, tmp_path / "full", **extra)
    keras.utils.set_random_seed(0)
    full = _train(full_task, 20, dropout=True)

    split_task = _task("classifier", model_dir, tmp_path / "split", **extra)
    files = split_task.train_records(split_task.train_examples())
    keras.utils.set_random_seed(0)
    first = _train(split_task, 20, dropout=True, files=files, stop_at=10)  # saves 10, "dies"
    assert (tmp_path / "split" / "model.ckpt-10.index").exists()
    second = _train(split_task, 20, dropout=True, files=files)
    assert second.global_step == 20
    np.testing.assert_allclose(first.losses + second.losses, full.losses, atol=1e-6)
    for a, b in zip(full.model.weights, second.model.weights):
        np.testing.assert_allclose(a.numpy(), b.numpy(), atol=1e-6, err_msg=a.path)


@pytest.mark.parametrize("tpu", [dict(use_tpu=True), dict(distribution_strategy="tpu")])
def test_tpu_turns_dynamic_padding_off(tpu, caplog):
    s = runner.Settings({"dynamic_padding": True, "group_by_length": True, "use_tpu": False,
                         "distribution_strategy": "default", **tpu},
                        {"dynamic_padding": "default"})
    with caplog.at_level(logging.INFO, logger="absl"):
        runner.resolve_dynamic_padding(s)
    assert s.dynamic_padding is False and s.origin["dynamic_padding"] == "off on TPU"
    assert "--dynamic_padding is off on TPU" in caplog.text
    s = runner.Settings({"dynamic_padding": True, "use_tpu": False,
                         "distribution_strategy": "mirrored"})
    runner.resolve_dynamic_padding(s)
    assert s.dynamic_padding is True
