"""run_ner.py end to end on the bundled CoNLL data, and its errors."""

from __future__ import annotations

import pytest

from bert_tf.data import ner
from conftest import REPO
from test_extract_features import run_script

DATA = REPO / "data" / "ner"


@pytest.mark.slow
def test_run_ner_learns_and_tags_every_word(minilm, tmp_path):
    r = run_script("run_ner.py", f"--init_checkpoint={minilm}", f"--data_dir={DATA}", "--do_train",
                   "--do_eval", "--do_predict", "--max_seq_length=64", "--train_batch_size=16",
                   "--learning_rate=2e-4", "--num_train_epochs=5", f"--output_dir={tmp_path}")
    assert r.returncode == 0, r.stderr[-3000:]
    result = {k: float(v) for k, v in (line.split(" = ") for line in
                                       (tmp_path / "eval_results.txt").read_text().splitlines())}
    print(f"NER dev: {result}")
    assert result["eval_f1"] >= 0.85
    assert {"eval_precision", "eval_recall", "eval_f1_PER", "eval_loss", "global_step"} <= set(result)
    test = ner.read_examples(str(DATA / "test.txt"))
    predicted = ner.read_conll(str(tmp_path / ner.PREDICTIONS_FILE))
    assert [e.words for e in predicted] == [e.words for e in test]
    lines = [line.split() for line in (tmp_path / ner.PREDICTIONS_FILE).read_text().splitlines()
             if line]
    assert all(len(cols) == 3 for cols in lines)  # word, gold, predicted
    gold_tags = [t for e in test for t in e.tags]
    assert [cols[1] for cols in lines] == gold_tags


def test_run_ner_bad_input(minilm, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "train.txt").write_text("John B-PER\nlives O\n\nParis B-LOC x\n")
    r = run_script("run_ner.py", f"--init_checkpoint={minilm}", f"--data_dir={data}", "--do_train",
                   f"--output_dir={tmp_path / 'o'}")
    assert r.returncode == 2 and "train.txt" in r.stderr and "line 4" in r.stderr
    (data / "train.txt").write_text("John B-PER\nlives O\n")
    (data / "dev.txt").write_text("Acme B-ORG\n")
    r = run_script("run_ner.py", f"--init_checkpoint={minilm}", f"--data_dir={data}", "--do_train",
                   "--do_eval", f"--output_dir={tmp_path / 'o'}")
    assert r.returncode == 2 and "dev.txt" in r.stderr and "B-ORG" in r.stderr
