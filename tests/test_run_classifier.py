"""run_classifier.py end to end: the demo learns, outputs, determinism, checkpoint compatibility."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from test_checkpoints import _hf_to_tf1_names
from test_extract_features import run_script


def _results(path):
    return {k: float(v) for k, v in (line.split(" = ") for line in path.read_text().splitlines())}


@pytest.fixture(scope="module")
def demo_run(minilm, tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    r = run_script("run_classifier.py", "--demo", f"--output_dir={out}")
    assert r.returncode == 0, r.stderr[-3000:]
    return out, r


@pytest.mark.slow
def test_demo_learns_and_writes_the_original_files(demo_run):
    out, r = demo_run
    result = _results(out / "eval_results.txt")
    print(f"demo dev accuracy {result['eval_accuracy']:.4f}")
    assert result["eval_accuracy"] >= 0.85
    assert set(result) == {"eval_accuracy", "eval_loss", "global_step", "loss"}
    assert "Demo: dev accuracy" in r.stdout
    from conftest import REPO

    n_test = len((REPO / "data" / "sentiment" / "test.tsv").read_text().splitlines()) - 1
    rows = [list(map(float, line.split("\t"))) for line in
            (out / "test_results.tsv").read_text().splitlines()]
    assert len(rows) == n_test and all(len(row) == 2 for row in rows)
    np.testing.assert_allclose([sum(row) for row in rows], 1.0, atol=1e-5)
    predictions = (out / "test_predictions.tsv").read_text().splitlines()
    assert predictions[0] == "guid\tprediction\ttext_a\ttext_b" and len(predictions) == n_test + 1


@pytest.mark.slow
def test_demo_test_predictions_are_right_and_the_run_dir_re_evaluates(demo_run, tmp_path):
    """Test accuracy against the bundled labels; the run directory alone (config, vocab,
    checkpoint with the classifier head) reproduces the dev results. Training itself is
    deterministic by test_run_pretraining's kill-and-resume check on the same Trainer."""
    from conftest import REPO

    out, _ = demo_run
    gold = [line.split("\t")[1] for line in
            (REPO / "data" / "sentiment" / "test_labels.tsv").read_text().splitlines()[1:]]
    predicted = [line.split("\t")[1] for line in
                 (out / "test_predictions.tsv").read_text().splitlines()[1:]]
    assert np.mean(np.array(gold) == np.array(predicted)) >= 0.85
    r = run_script("run_classifier.py", "--demo", f"--output_dir={tmp_path}", "--do_train=false",
                   "--do_predict=false", f"--init_checkpoint={out}")
    assert r.returncode == 0, r.stderr[-2000:]
    again, first = _results(tmp_path / "eval_results.txt"), _results(out / "eval_results.txt")
    assert again["eval_accuracy"] == first["eval_accuracy"]
    assert abs(again["eval_loss"] - first["eval_loss"]) < 1e-5


@pytest.mark.slow
def test_our_checkpoint_has_the_original_names(demo_run, minilm):
    out, _ = demo_run
    names = dict(tf.train.list_variables(tf.train.latest_checkpoint(str(out))))
    assert names["output_weights"] == [2, 384] and names["output_bias"] == [2]
    assert names["bert/encoder/layer_5/output/LayerNorm/gamma"] == [384]
    assert names["output_weights/adam_m"] == [2, 384] and names["global_step"] == []
    assert not [n for n in names if n.startswith("cls/")]


@pytest.mark.slow
def test_original_tf1_classifier_checkpoint_predicts(minilm, golden, tmp_path):
    """A run_classifier checkpoint written by raw tf.compat.v1 predicts softmax(pooled W^T + b),
    with pooled taken from the independent golden outputs."""
    from safetensors.numpy import load_file

    values = _hf_to_tf1_names(load_file(str(minilm / "model.safetensors")))
    rng = np.random.default_rng(0)
    values["output_weights"] = rng.normal(0, 0.5, (2, 384)).astype(np.float32)
    values["output_bias"] = np.array([0.3, -0.3], np.float32)
    ckpt_dir = tmp_path / "mrpc_output"
    with tf.Graph().as_default():
        for name, value in values.items():
            tf.compat.v1.get_variable(name, initializer=tf.constant(value))
        step = tf.compat.v1.train.get_or_create_global_step()
        with tf.compat.v1.Session() as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            sess.run(step.assign(343))
            tf.compat.v1.train.Saver().save(sess, str(ckpt_dir / "model.ckpt"), global_step=343)
    data = tmp_path / "MRPC"
    data.mkdir()
    lines = ["index\t#1 ID\t#2 ID\t#1 String\t#2 String"]
    lines += [f"{i}\t1\t2\t{a}\t{b}" for i, (a, b) in enumerate(zip(golden["text_a"], golden["text_b"]))
              if str(b)]
    (data / "test.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "predict"
    r = run_script("run_classifier.py", "--task_name=MRPC", "--do_predict", f"--data_dir={data}",
                   f"--vocab_file={minilm / 'vocab.txt'}", f"--bert_config_file={minilm / 'config.json'}",
                   f"--init_checkpoint={ckpt_dir / 'model.ckpt-343'}", "--max_seq_length=32",
                   f"--output_dir={out}")
    assert r.returncode == 0, r.stderr[-3000:]
    got = np.array([list(map(float, line.split("\t"))) for line in
                    (out / "test_results.tsv").read_text().splitlines()])
    pairs = [i for i, b in enumerate(golden["text_b"]) if str(b)]
    logits = golden["pooler_output"][pairs] @ values["output_weights"].T + values["output_bias"]
    expected = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    np.testing.assert_allclose(got, expected, atol=1e-4)


def test_bad_input_messages(minilm, tmp_path):
    common = [f"--init_checkpoint={minilm}", f"--output_dir={tmp_path / 'o'}", "--do_train"]
    r = run_script("run_classifier.py", "--task_name=mrcp", f"--data_dir={tmp_path}", *common)
    assert r.returncode == 2 and "Task not found: 'mrcp'; valid tasks: cola, sst-2" in r.stderr
    r = run_script("run_classifier.py", "--task_name=mrpc", f"--data_dir={tmp_path}", *common)
    assert r.returncode == 2 and f"data file '{tmp_path}/train.tsv' does not exist" in r.stderr
    r = run_script("run_classifier.py", "--task_name=mrpc", f"--data_dir={tmp_path}",
                   f"--init_checkpoint={tmp_path}/nope/bert_model.ckpt", "--do_train",
                   f"--output_dir={tmp_path / 'o'}")
    assert r.returncode == 2 and "nope/bert_model.ckpt: no such checkpoint" in r.stderr
