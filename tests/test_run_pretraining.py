"""run_pretraining.py: a tiny BERT learns the bundled text, kill-and-resume, multi-worker, bad input."""

from __future__ import annotations

import collections
import json
import os
import pathlib
import signal
import socket
import subprocess
import sys
import time

import numpy as np
import pytest
import tensorflow as tf

from bert_tf.data import pretraining as pt
from conftest import REPO, SAMPLE_TEXT
from test_extract_features import run_script

SEQ, PREDS = 64, 10


@pytest.fixture(scope="module")
def pretrain_data(tmp_path_factory, sample_vocab):
    d = tmp_path_factory.mktemp("pretrain")
    records = d / "examples.tfrecord"
    pt.create_pretraining_data(str(SAMPLE_TEXT), str(records), sample_vocab,
                               options=pt.PretrainingOptions(max_seq_length=SEQ,
                                                             max_predictions_per_seq=PREDS,
                                                             dupe_factor=3))
    vocab_size = sum(1 for _ in open(sample_vocab, encoding="utf-8"))
    config = dict(vocab_size=vocab_size, hidden_size=64, num_hidden_layers=2,
                  num_attention_heads=4, intermediate_size=128, max_position_embeddings=SEQ,
                  type_vocab_size=2, hidden_act="gelu", hidden_dropout_prob=0.1,
                  attention_probs_dropout_prob=0.1, initializer_range=0.02)
    (d / "bert_config.json").write_text(json.dumps(config))
    return d


def _args(data, out, steps, *extra):
    return ["--input_file=" + str(data / "examples.tfrecord"), f"--output_dir={out}",
            "--bert_config_file=" + str(data / "bert_config.json"), f"--max_seq_length={SEQ}",
            f"--max_predictions_per_seq={PREDS}", "--train_batch_size=32", "--eval_batch_size=32",
            f"--num_train_steps={steps}", f"--num_warmup_steps={steps // 10}",
            "--learning_rate=2e-3", "--max_eval_steps=20", *extra]


def _results(out):
    lines = (out / "eval_results.txt").read_text().splitlines()
    return {k: float(v) for k, v in (line.split(" = ") for line in lines)}


def _unigram_accuracy(records_file) -> float:
    """Accuracy of always predicting the most frequent masked token: the bar to beat."""
    counts = collections.Counter()
    for raw in tf.data.TFRecordDataset(str(records_file)):
        f = pt.decode_record(raw.numpy())
        counts.update(i for i, w in zip(f["masked_lm_ids"], f["masked_lm_weights"]) if w > 0)
    return counts.most_common(1)[0][1] / sum(counts.values())


@pytest.mark.slow
def test_tiny_bert_learns_the_sample_text(pretrain_data, tmp_path):
    before = run_script("run_pretraining.py", *_args(pretrain_data, tmp_path / "b", 600, "--do_eval"))
    assert before.returncode == 0, before.stderr[-2000:]
    r = run_script("run_pretraining.py", *_args(pretrain_data, tmp_path / "a", 600, "--do_train",
                                                "--do_eval"))
    assert r.returncode == 0, r.stderr[-2000:]
    start, end = _results(tmp_path / "b"), _results(tmp_path / "a")
    baseline = _unigram_accuracy(pretrain_data / "examples.tfrecord")
    print(f"masked_lm_loss {start['masked_lm_loss']:.3f} -> {end['masked_lm_loss']:.3f}, "
          f"accuracy {end['masked_lm_accuracy']:.3f} vs unigram {baseline:.3f}")
    assert set(end) == {"global_step", "loss", "masked_lm_accuracy", "masked_lm_loss",
                        "next_sentence_accuracy", "next_sentence_loss"}
    assert end["global_step"] == 600 and start["global_step"] == 0
    assert end["masked_lm_loss"] < 0.6 * start["masked_lm_loss"]
    assert end["masked_lm_accuracy"] > baseline + 0.1
    assert "step 600/600" in r.stderr and "examples/s" in r.stderr and "ETA" in r.stderr


def _weights(prefix):
    reader = tf.train.load_checkpoint(str(prefix))
    return {n: reader.get_tensor(n) for n in reader.get_variable_to_shape_map()}


@pytest.mark.slow
def test_sigkill_then_resume_equals_uninterrupted(pretrain_data, tmp_path):
    extra = ("--do_train", "--save_checkpoints_steps=10", "--keep_checkpoint_max=10")
    full = run_script("run_pretraining.py", *_args(pretrain_data, tmp_path / "full", 40, *extra))
    assert full.returncode == 0, full.stderr[-2000:]

    out = tmp_path / "killed"
    cmd = [sys.executable, str(REPO / "run_pretraining.py"), *_args(pretrain_data, out, 40, *extra)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=REPO,
                            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
    deadline = time.time() + 300
    while not (out / "model.ckpt-20.index").exists():
        assert proc.poll() is None and time.time() < deadline, "run ended before step 20"
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not (out / "model.ckpt-40.index").exists()
    resumed = run_script("run_pretraining.py", *_args(pretrain_data, out, 40, *extra))
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert "Resumed from" in resumed.stderr
    a, b = _weights(tmp_path / "full" / "model.ckpt-40"), _weights(out / "model.ckpt-40")
    assert a.keys() == b.keys() and int(b["global_step"]) == 40
    for name in a:
        np.testing.assert_allclose(a[name], b[name], atol=1e-5, err_msg=name)


def test_corrupt_record_file_is_named(pretrain_data, tmp_path):
    bad = tmp_path / "bad.tfrecord"
    data = (pretrain_data / "examples.tfrecord").read_bytes()
    bad.write_bytes(data[: len(data) // 3] + b"\x00garbage" + data[len(data) // 3:])
    args = _args(pretrain_data, tmp_path / "o", 5, "--do_train")
    args[0] = f"--input_file={bad}"
    r = run_script("run_pretraining.py", *args)
    assert r.returncode == 2
    assert f"TFRecord file '{bad}' is corrupt or truncated" in r.stderr
    r = run_script("run_pretraining.py", *_args(pretrain_data, tmp_path / "o", 5))
    assert r.returncode == 2 and "At least one of `do_train` or `do_eval`" in r.stderr
    args[0] = f"--input_file={tmp_path}/nothing*.tfrecord"
    r = run_script("run_pretraining.py", *args)
    assert r.returncode == 2 and "--input_file: no file matches" in r.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_multi_worker_mirrored_workers_agree(tmp_path):
    ports = [_free_port(), _free_port()]
    cluster = {"worker": [f"127.0.0.1:{p}" for p in ports]}
    procs = []
    for index in range(2):
        env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2",
               "TF_CONFIG": json.dumps({"cluster": cluster, "task": {"type": "worker",
                                                                     "index": index}})}
        procs.append(subprocess.Popen(
            [sys.executable, str(REPO / "tests" / "multi_worker_job.py"), str(tmp_path / f"w{index}"),
             str(tmp_path / f"weights{index}.npz")], env=env, cwd=REPO,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
    logs = [p.communicate(timeout=600)[0] for p in procs]
    for p, log in zip(procs, logs):
        assert p.returncode == 0, log[-3000:]
    single = subprocess.run([sys.executable, str(REPO / "tests" / "multi_worker_job.py"),
                             str(tmp_path / "single"), str(tmp_path / "single.npz")],
                            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}, cwd=REPO,
                            capture_output=True, text=True, timeout=600)
    assert single.returncode == 0, single.stdout[-2000:] + single.stderr[-2000:]
    w0, w1, ws = (np.load(tmp_path / f) for f in ("weights0.npz", "weights1.npz", "single.npz"))
    for name in w0.files:
        np.testing.assert_array_equal(w0[name], w1[name], err_msg=name)
        np.testing.assert_allclose(w0[name], ws[name], atol=2e-5, err_msg=name)
    assert (tmp_path / "w0" / "model.ckpt-6.index").exists()  # only the chief writes
    assert not (tmp_path / "w1" / "model.ckpt-6.index").exists()


def test_continued_pretraining_keeps_the_heads_and_trains_new_rows(pretrain_data, sample_vocab,
                                                                    tmp_path):
    """From a 'released' checkpoint with MLM and NSP heads: the heads are resumed, not
    re-drawn; a word-embedding row the data uses (an extended [unusedN] slot) trains; the
    run directory is self-contained; a vocab of another size is refused, naming both sizes."""
    from bert_tf import checkpoints, models
    from bert_tf.config import BertConfig

    config = BertConfig.from_json_file(str(pretrain_data / "bert_config.json"))
    released = tmp_path / "released"
    released.mkdir()
    config.to_json_file(str(released / "bert_config.json"))
    vocab = pathlib.Path(sample_vocab)
    (released / "vocab.txt").write_text(vocab.read_text())
    checkpoints.save_model(models.BertPretrainer(models.BertEncoder(config)),
                           str(released / "bert_model.ckpt"))
    start = _weights(released / "bert_model.ckpt")
    out = tmp_path / "continued"
    args = [a for a in _args(pretrain_data, out, 5, "--do_train") if "bert_config" not in a]
    r = run_script("run_pretraining.py", *args, "--learning_rate=1e-4",
                   f"--init_checkpoint={released / 'bert_model.ckpt'}")
    assert r.returncode == 0, r.stderr[-2000:]
    end = _weights(out / "model.ckpt-5")
    for head in ("cls/predictions/output_bias", "cls/seq_relationship/output_weights",
                 "cls/predictions/transform/dense/kernel"):
        moved = np.abs(end[head] - start[head]).max()
        assert 0 < moved < 0.01, (head, moved)  # trained from the checkpoint's values
    used = int(tf.io.parse_single_example(
        next(iter(tf.data.TFRecordDataset(str(pretrain_data / "examples.tfrecord")))),
        {"masked_lm_ids": tf.io.FixedLenFeature([PREDS], tf.int64)})["masked_lm_ids"][0])
    table = "bert/embeddings/word_embeddings"
    assert np.abs(end[table][used] - start[table][used]).max() > 0
    assert {"bert_config.json", "vocab.txt", "run_info.json"} <= {p.name for p in out.iterdir()}
    # The run directory describes itself: eval needs only it and the records.
    r = run_script("run_pretraining.py", f"--output_dir={out}", "--do_eval",
                   "--input_file=" + str(pretrain_data / "examples.tfrecord"), "--max_eval_steps=2",
                   f"--max_seq_length={SEQ}", f"--max_predictions_per_seq={PREDS}")
    assert r.returncode == 0, r.stderr[-2000:]
    assert "masked_lm_loss" in _results(out)
    small = tmp_path / "small_vocab.txt"
    small.write_text("\n".join(vocab.read_text().split()[:-3]) + "\n")
    r = run_script("run_pretraining.py", *args, f"--output_dir={tmp_path / 'refused'}",
                   f"--init_checkpoint={released / 'bert_model.ckpt'}", f"--vocab_file={small}")
    assert r.returncode == 2
    assert (f"has {config.vocab_size - 3} entries but the model's vocab_size is "
            f"{config.vocab_size}") in r.stderr
