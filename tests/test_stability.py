"""Few-sample remedies (head initialiser, re-initialised top layers) and --num_restarts."""

from __future__ import annotations

import json

import numpy as np
import pytest

from bert_tf import checkpoints, models, restarts, stability, training
from conftest import REPO, corpus_vocab
from test_extract_features import run_script

SENTIMENT = REPO / "data" / "sentiment"


def _encoder_values(cfg):
    """A 'pretrained' encoder's variables by TF1 name."""
    return {n: v.numpy() for n, v in checkpoints.tf1_variables(models.BertEncoder(cfg)).items()}


def _trainer(cfg, tmp_path, steps=10, **config):
    return training.Trainer(lambda: models.BertClassifier(models.BertEncoder(cfg), 3),
                            lambda *a: 0.0, training.TrainConfig(str(tmp_path), steps, seed=3,
                                                                 **config))


def test_glorot_head_and_reinitialised_top_layers(tiny_config, tmp_path):
    values = _encoder_values(tiny_config)
    trainer = _trainer(tiny_config, tmp_path / "a", head_initializer="glorot_uniform",
                       reinit_layers=1)
    assert trainer.restore(values) == "init"
    got = {n: v.numpy() for n, v in trainer.variables.items()}
    head = got["output_weights"]  # [3, 64]: glorot's U(-sqrt(6 / 67), +sqrt(6 / 67))
    limit = np.sqrt(6 / (3 + 64))
    assert np.abs(head).max() <= limit and head.std() > 0.8 * limit / np.sqrt(3)
    for name, value in values.items():
        if name.startswith(("bert/encoder/layer_1/", "bert/pooler/")):
            if name.endswith("gamma"):
                np.testing.assert_array_equal(got[name], 1.0)
            elif name.endswith(("beta", "bias")):
                np.testing.assert_array_equal(got[name], 0.0)
            else:  # a fresh truncated normal draw, not the checkpoint's
                assert not np.allclose(got[name], value)
                assert np.abs(got[name]).max() <= 2 * tiny_config.initializer_range
        else:
            np.testing.assert_array_equal(got[name], value)


def test_remedies_leave_a_loaded_head_and_inference_alone(tiny_config, tmp_path):
    values = _encoder_values(tiny_config)
    values.update(output_weights=np.full((3, 64), 0.5, np.float32),
                  output_bias=np.zeros(3, np.float32))
    trainer = _trainer(tiny_config, tmp_path / "a", head_initializer="glorot_uniform")
    trainer.restore(values)  # the checkpoint has a head: it is kept
    np.testing.assert_array_equal(trainer.variables["output_weights"].numpy(), 0.5)
    inference = _trainer(tiny_config, tmp_path / "b", steps=0, reinit_layers=2)
    inference.restore(values, allow_missing_heads=False)  # predicting: nothing re-drawn
    for name, value in values.items():
        np.testing.assert_array_equal(inference.variables[name].numpy(), value)
    with pytest.raises(ValueError, match="reinit_layers=3"):
        _trainer(tiny_config, tmp_path / "c", reinit_layers=3).restore(values)
    with pytest.raises(ValueError, match="head_initializer"):
        stability.reinitialize(inference.model, [], "he_normal")


def test_summary_rows_mean_and_sample_std():
    rows = restarts.summary_rows([{"f1": 50.0, "x": "a"}, {"f1": 70.0, "x": "b"},
                                  {"f1": 90.0, "x": "c"}], [7, 8, 9])
    assert rows[0] == ["restart", "seed", "f1"]
    assert rows[1:4] == [["0", "7", "50"], ["1", "8", "70"], ["2", "9", "90"]]
    assert rows[4] == ["mean", "", "70"] and rows[5] == ["std", "", "20"]


@pytest.fixture(scope="module")
def tiny_bert(tmp_path_factory):
    """A tiny 'pretrained' BERT directory whose vocab covers the sentiment sample."""
    from bert_tf.config import BertConfig

    d = tmp_path_factory.mktemp("tiny_bert")
    corpus = d / "corpus.txt"
    corpus.write_text("".join((SENTIMENT / f"{split}.tsv").read_text()
                              for split in ("train", "dev", "test")))
    vocab = corpus_vocab(corpus, d / "vocab.txt")
    cfg = BertConfig(vocab_size=len(open(vocab).read().split()), hidden_size=64,
                     num_hidden_layers=2, num_attention_heads=4, intermediate_size=128,
                     max_position_embeddings=64, type_vocab_size=2)
    (d / "bert_config.json").write_text(json.dumps(cfg.to_dict()))
    checkpoints.save_model(models.BertEncoder(cfg), str(d / "bert_model.ckpt"))
    return d


def test_num_restarts_keeps_the_best_and_resumes(tiny_bert, tmp_path):
    out = tmp_path / "out"
    args = ["run_classifier.py", "--task_name=sst-2", f"--data_dir={SENTIMENT}",
            f"--init_checkpoint={tiny_bert / 'bert_model.ckpt'}", "--do_train", "--do_eval",
            "--do_predict", "--max_seq_length=32", "--train_batch_size=32", "--learning_rate=1e-3",
            "--num_train_epochs=1", "--num_restarts=3", "--seed=40", f"--output_dir={out}"]
    r = run_script(*args)
    assert r.returncode == 0, r.stderr[-3000:]
    table = [line.split("\t") for line in (out / "restarts.tsv").read_text().splitlines()]
    assert table[0][:2] == ["restart", "seed"] and "eval_accuracy" in table[0]
    assert [row[:2] for row in table[1:]] == [["0", "40"], ["1", "41"], ["2", "42"],
                                              ["mean", ""], ["std", ""]]
    col = table[0].index("eval_accuracy")
    accuracy = [float(row[col]) for row in table[1:4]]
    assert len(set(accuracy)) > 1 or len({row[table[0].index("eval_loss")]
                                          for row in table[1:4]}) == 3  # the seeds differ
    assert float(table[4][col]) == pytest.approx(np.mean(accuracy), abs=1e-5)
    best = int(np.argmax(accuracy))
    top = restarts.read_results(str(out / "eval_results.txt"))
    assert top["restart"] == best and top["seed"] == 40 + best
    assert top == {**restarts.read_results(str(out / f"restart_{best}" / "eval_results.txt")),
                   "restart": best, "seed": 40 + best}
    assert ((out / "test_results.tsv").read_text()
            == (out / f"restart_{best}" / "test_results.tsv").read_text())
    assert f"restart_{best}/model.ckpt-12" in (out / "checkpoint").read_text()
    # The run directory predicts with the best restart's checkpoint.
    r = run_script("run_classifier.py", "--task_name=sst-2", f"--data_dir={SENTIMENT}",
                   f"--init_checkpoint={out}", f"--vocab_file={tiny_bert / 'vocab.txt'}",
                   "--do_eval", "--max_seq_length=32", f"--output_dir={tmp_path / 'again'}")
    assert r.returncode == 0, r.stderr[-3000:]
    again = restarts.read_results(str(tmp_path / "again" / "eval_results.txt"))
    assert again["eval_accuracy"] == top["eval_accuracy"]
    # Run again: every restart resumes at its last step (no training) and the table holds.
    before = (out / "restarts.tsv").read_text()
    r = run_script(*args)
    assert r.returncode == 0, r.stderr[-3000:]
    assert r.stderr.count("nothing to train") == 3 and "step 1/" not in r.stderr
    assert (out / "restarts.tsv").read_text() == before
