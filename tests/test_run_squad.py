"""run_squad.py end to end on the bundled SQuAD 2.0-format set, and its checkpoint names."""

from __future__ import annotations

import json

import pytest
import tensorflow as tf

from bert_tf import squad_eval
from conftest import REPO
from test_extract_features import run_script

TRAIN_V2 = REPO / "data" / "squad" / "train-v2.0.json"


def _results(path):
    return {k: float(v) for k, v in (line.split(" = ") for line in path.read_text().splitlines())}


@pytest.fixture(scope="module")
def squad_v2_run(minilm, tmp_path_factory):
    # 8 epochs (86 steps): at 5 the run is seed-fragile (best_f1 91.6 with cut batches off and
    # 82.7 on at seed 12345, 39.8 and 94.2 at seed 7); at 8, seeds 12345, 7, 3 reach 97.9-99.7.
    out = tmp_path_factory.mktemp("squad_v2")
    r = run_script("run_squad.py", f"--init_checkpoint={minilm}", "--do_train", "--do_predict",
                   f"--train_file={TRAIN_V2}", f"--predict_file={TRAIN_V2}",
                   "--version_2_with_negative", "--tune_null_threshold", "--max_seq_length=128",
                   "--doc_stride=64", "--train_batch_size=16", "--learning_rate=1e-4",
                   "--num_train_epochs=8", "--predict_batch_size=32", f"--output_dir={out}",
                   timeout=1200)
    assert r.returncode == 0, r.stderr[-3000:]
    return out


@pytest.mark.slow
def test_squad_v2_learns_the_training_set(squad_v2_run):
    out = squad_v2_run
    for name in ("predictions.json", "nbest_predictions.json", "null_odds.json", "eval_results.txt"):
        assert (out / name).exists(), name
    scores = _results(out / "eval_results.txt")
    print(f"SQuAD 2.0 train set: {scores}")
    assert scores["HasAns_f1"] >= 80.0
    assert scores["best_f1"] >= 80.0
    # At the tuned threshold the impossible questions are answered "".
    dataset = json.loads(TRAIN_V2.read_text())
    nbest = json.loads((out / "nbest_predictions.json").read_text())
    odds = json.loads((out / "null_odds.json").read_text())
    tuned = squad_eval.apply_null_threshold(nbest, odds, scores["best_f1_thresh"])
    impossible = [q["id"] for a in dataset["data"] for p in a["paragraphs"] for q in p["qas"]
                  if q.get("is_impossible")]
    assert sum(tuned[q] == "" for q in impossible) >= 0.75 * len(impossible)
    assert squad_eval.evaluate(dataset, tuned, version_2_with_negative=True)["f1"] == \
        pytest.approx(scores["best_f1"])


@pytest.mark.slow
def test_squad_checkpoint_names_and_v1_predict(squad_v2_run, minilm, tmp_path):
    names = dict(tf.train.list_variables(tf.train.latest_checkpoint(str(squad_v2_run))))
    assert names["cls/squad/output_weights"] == [2, 384] and names["cls/squad/output_bias"] == [2]
    assert not [n for n in names if n.startswith("output_")]
    v1 = REPO / "data" / "squad" / "dev.json"
    r = run_script("run_squad.py", f"--init_checkpoint={tf.train.latest_checkpoint(str(squad_v2_run))}",
                   f"--bert_config_file={minilm / 'config.json'}", f"--vocab_file={minilm / 'vocab.txt'}",
                   "--do_predict", f"--predict_file={v1}", "--max_seq_length=128", "--doc_stride=64",
                   f"--output_dir={tmp_path}")
    assert r.returncode == 0, r.stderr[-3000:]
    assert not (tmp_path / "null_odds.json").exists()
    predictions = json.loads((tmp_path / "predictions.json").read_text())
    assert all(isinstance(v, str) and v for v in predictions.values())
    scores = _results(tmp_path / "eval_results.txt")
    print(f"SQuAD 1.1-format dev set with the v2-trained model: {scores}")
    assert set(scores) == {"exact_match", "f1"} and scores["f1"] > 40.0


def test_squad_flag_errors(minilm, tmp_path):
    r = run_script("run_squad.py", f"--init_checkpoint={minilm}", f"--output_dir={tmp_path}")
    assert r.returncode == 2 and "At least one of `do_train` or `do_predict`" in r.stderr
    r = run_script("run_squad.py", f"--init_checkpoint={minilm}", f"--output_dir={tmp_path}",
                   "--do_predict", f"--predict_file={tmp_path}/missing.json")
    assert r.returncode == 2 and "--predict_file" in r.stderr and "missing.json' does not exist" in r.stderr
    r = run_script("run_squad.py", f"--init_checkpoint={minilm}", f"--output_dir={tmp_path}",
                   "--do_predict", f"--predict_file={REPO / 'data' / 'squad' / 'dev.json'}")
    assert r.returncode == 2 and "cls/squad/output_weights" in r.stderr
    assert "no head for this task" in r.stderr
