"""The task runner: RunInfo read where the weights are, merged once; checks before work; errors."""

from __future__ import annotations

import json
import pathlib
import re
import subprocess
import sys
import time

import numpy as np
import pytest
import tensorflow as tf

from bert_tf import checkpoints, models, run_info, runner
from bert_tf.config import BertConfig
from bert_tf.tasks.summarization import SummarizationTask
from conftest import REPO, TINY_WORDS
from test_extract_features import run_script

SENTIMENT = REPO / "data" / "sentiment"
TASK_SCRIPTS = ("run_classifier", "run_squad", "run_ner", "run_seq2seq", "run_summarization",
                "run_distillation", "run_pretraining")


@pytest.fixture(scope="module")
def tiny_bert(tmp_path_factory) -> pathlib.Path:
    """A random tiny BERT checkpoint directory with the sentiment data's words in its vocab."""
    d = tmp_path_factory.mktemp("tiny_bert")
    words = sorted({w for line in (SENTIMENT / "train.tsv").read_text().lower().split("\n")[1:]
                    for w in line.replace(".", " . ").replace(",", " , ").split()[:-1]})
    vocab = list(dict.fromkeys(TINY_WORDS + words))
    (d / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    config = BertConfig(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2,
                        num_attention_heads=2, intermediate_size=64, max_position_embeddings=64,
                        type_vocab_size=2)
    config.to_json_file(str(d / "bert_config.json"))
    checkpoints.save_model(models.BertEncoder(config), str(d / "bert_model.ckpt"))
    return d


def _ok(r: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert r.returncode == 0, r.stderr[-3000:]
    return r


def _results(path: pathlib.Path) -> dict[str, str]:
    return dict(line.split(" = ") for line in path.read_text().splitlines())


# -- entry scripts are flags plus one call -----------------------------------------


@pytest.mark.parametrize("script", TASK_SCRIPTS)
def test_task_scripts_are_flags_plus_one_call(script):
    text = (REPO / f"{script}.py").read_text()
    assert "def " not in text and text.count("cli.run_task(") == 1
    assert "import run_" not in text and "import export_model" not in text


def test_the_library_never_reads_absl_flags():
    readers = [p.relative_to(REPO).as_posix() for p in (REPO / "bert_tf").rglob("*.py")
               if p.name != "cli.py" and re.search(r"\bFLAGS\b|import flags", p.read_text())]
    assert readers == []


# -- RunInfo ---------------------------------------------------------------------


def test_run_info_keeps_loading_old_files_and_round_trips(tmp_path):
    old = {"model_type": "seq2seq", "labels": None, "max_seq_length": None,
           "do_lower_case": True, "decoder_init": "shared", "max_source_length": 32,
           "target_vocab": [0, 5, 7]}
    (tmp_path / "run_info.json").write_text(json.dumps(old))
    info = run_info.read(str(tmp_path))
    assert info.model_type == "seq2seq" and info.get("decoder_init") == "shared"
    assert info.get("target_vocab") == [0, 5, 7] and info.get("missing", 3) == 3
    info.write(str(tmp_path / "again"))
    assert json.loads((tmp_path / "again" / "run_info.json").read_text()) == {
        **old, "task_name": None, "data_dir": None}
    (tmp_path / "run_info.json").write_text("{not json")
    with pytest.raises(run_info.DataError, match="run_info.json is not valid JSON"):
        run_info.read(str(tmp_path))


def test_merge_a_given_flag_wins_and_origins_are_named():
    info = run_info.RunInfo(model_type="classifier", labels=["a", "b"], max_seq_length=64,
                            settings={"text_a_column": "review"})
    values = {"max_seq_length": 128, "label_list": None, "text_a_column": None, "seed": 1}
    merged, origin = run_info.merge(values, {"max_seq_length"}, info,
                                    ("max_seq_length", "label_list", "text_a_column"), "run A")
    assert merged == {"max_seq_length": 128, "label_list": ["a", "b"], "text_a_column": "review",
                      "seed": 1}
    assert origin == {"max_seq_length": "command line", "label_list": "run A",
                      "text_a_column": "run A", "seed": "default"}


def _save(directory: pathlib.Path, info: dict) -> None:
    directory.mkdir(parents=True)
    checkpoints.save_tf1_checkpoint(str(directory / "model.ckpt-3"),
                                    {"global_step": np.int64(3)})
    (directory / "run_info.json").write_text(json.dumps(info))


def test_settings_come_from_the_directory_whose_weights_are_restored(tiny_bert, tmp_path):
    """An eval-only run whose output_dir holds a checkpoint restores those weights, so it
    takes that directory's settings, not --init_checkpoint's."""
    out, other = tmp_path / "out", tmp_path / "other"
    _save(out, {"model_type": "summarizer", "inter_layers": 1, "sentence_pooling": "mean"})
    _save(other, {"model_type": "summarizer", "inter_layers": 3, "sentence_pooling": "cls"})
    for name in ("bert_config.json", "vocab.txt"):
        (other / name).write_text((tiny_bert / name).read_text())
    values = {"init_checkpoint": str(other), "bert_config_file": None, "vocab_file": None,
              "do_lower_case": True, "output_dir": str(out), "do_train": False,
              "do_eval": True, "do_predict": False, "data_dir": str(REPO / "data" /
                                                                    "summarization"),
              "train_file": None, "eval_file": None, "predict_file": None,
              "max_seq_length": 64, "max_position_embeddings": None, "inter_layers": 2,
              "sentence_pooling": "cls", "max_sentences": 8, "oracle_sentences": 3,
              "max_summary_sentences": 3, "block_trigram": True}
    task = runner.prepare(SummarizationTask, values, {"init_checkpoint", "output_dir"})
    assert (task.s.inter_layers, task.s.sentence_pooling) == (1, "mean")
    assert task.s.origin["inter_layers"].startswith(str(out))
    task = runner.prepare(SummarizationTask, values, {"init_checkpoint", "output_dir",
                                                      "inter_layers"})
    assert task.s.inter_layers == 2  # given on the command line
    assert run_info.weights_source(str(tmp_path / "empty"), str(other)) == str(other)


# -- the cases that disagreed ----------------------------------------------------


@pytest.mark.slow
def test_generic_run_directory_evaluates_without_its_label_list(tiny_bert, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    for split in ("train", "dev"):
        rows = [line.split("\t") for line in
                (SENTIMENT / f"{split}.tsv").read_text().splitlines()[1:]]
        text = "review,stars\n" + "".join(f"\"{t}\",{'pos' if y == '1' else 'neg'}\n"
                                          for t, y in rows)
        (data / f"{split}.csv").write_text(text)
    common = ["--task_name=generic", "--text_a_column=review", "--label_column=stars",
              "--max_seq_length=32", "--do_eval"]
    run = tmp_path / "run"
    _ok(run_script("run_classifier.py", *common, f"--data_dir={data}", "--do_train",
                   f"--init_checkpoint={tiny_bert}", "--num_train_epochs=1",
                   f"--output_dir={run}"))
    info = json.loads((run / "run_info.json").read_text())
    assert info["labels"] == ["neg", "pos"] and info["data_dir"] == str(data)
    assert info["text_a_column"] == "review" and info["label_column"] == "stars"
    # Evaluated later from the run directory alone: its labels, data and columns.
    again = tmp_path / "again"
    r = _ok(run_script("run_classifier.py", "--task_name=generic", "--do_eval",
                       f"--init_checkpoint={run}", f"--output_dir={again}"))
    assert "--label_list=neg,pos" in r.stderr and f"--data_dir={data}" in r.stderr
    assert _results(again / "eval_results.txt")["eval_accuracy"] == \
        _results(run / "eval_results.txt")["eval_accuracy"]


@pytest.mark.slow
def test_distillation_takes_the_teachers_data(tiny_bert, tmp_path):
    """The README's command: no --data_dir, the teacher's run directory supplies it."""
    teacher, student = tmp_path / "teacher", tmp_path / "student"
    _ok(run_script("run_classifier.py", "--task_name=sst-2", f"--data_dir={SENTIMENT}",
                   f"--init_checkpoint={tiny_bert}", "--do_train", "--max_seq_length=32",
                   "--num_train_epochs=1", f"--output_dir={teacher}"))
    r = _ok(run_script("run_distillation.py", f"--teacher_dir={teacher}", "--student_layers=1",
                       f"--output_dir={student}", "--do_eval", "--num_train_epochs=1"))
    assert "Student dev accuracy" in r.stdout
    info = json.loads((student / "run_info.json").read_text())
    assert info["data_dir"] == str(SENTIMENT) and info["distilled_from"] == str(teacher)
    assert info["max_seq_length"] == 32 and "eval_accuracy" in _results(
        student / "eval_results.txt")


def test_restarts_without_a_dev_evaluation_are_refused_before_any_work(tiny_bert, tmp_path):
    """SQuAD restarts pick the best on predictions with answers: a predict file without
    answers is refused at once, before a feature is written."""
    questions = json.loads((REPO / "data" / "squad" / "dev.json").read_text())
    for article in questions["data"]:
        for paragraph in article["paragraphs"]:
            for qa in paragraph["qas"]:
                qa["answers"] = []
    (tmp_path / "test.json").write_text(json.dumps(questions))
    start = time.time()
    r = run_script("run_squad.py", f"--init_checkpoint={tiny_bert}", "--do_train",
                   "--do_predict", f"--train_file={REPO / 'data' / 'squad' / 'train.json'}",
                   f"--predict_file={tmp_path / 'test.json'}", "--num_restarts=2",
                   "--max_seq_length=64", "--doc_stride=32", "--max_query_length=16",
                   f"--output_dir={tmp_path / 'out'}")
    assert r.returncode == 2, r.stderr[-2000:]
    assert "needs --do_predict on a --predict_file with answers" in r.stderr
    assert "Traceback" not in r.stderr and not (tmp_path / "out").exists()
    assert time.time() - start < 60


def test_dry_run_checks_and_stops(tiny_bert, tmp_path):
    r = _ok(run_script("run_ner.py", f"--init_checkpoint={tiny_bert}", "--do_train",
                       f"--data_dir={REPO / 'data' / 'ner'}", f"--output_dir={tmp_path / 'o'}",
                       "--max_seq_length=32", "--dry_run"))
    assert "--max_seq_length=32  [command line]" in r.stdout and "Dry run" in r.stdout
    assert "--learning_rate=5e-05  [default]" in r.stdout
    assert not (tmp_path / "o").exists()
    r = run_script("run_ner.py", f"--init_checkpoint={tiny_bert}", "--do_eval",
                   "--max_seq_length=32", f"--output_dir={tmp_path / 'o'}", "--dry_run")
    assert r.returncode == 2 and "--label_list is required without training data" in r.stderr


# -- errors and logs -------------------------------------------------------------

_SCRIPT = """
from bert_tf import cli
from bert_tf.errors import DataError

def main(argv):
    if {bug}:
        raise RuntimeError("a bug")
    raise DataError("bad.tsv, line 3: expected 2 columns")

cli.run(main)
"""


@pytest.mark.parametrize("bug", [False, True])
def test_bad_input_is_one_line_and_a_bug_keeps_its_traceback(bug):
    # -c puts the working directory (the repository) on sys.path, installed or not.
    r = subprocess.run([sys.executable, "-c", _SCRIPT.format(bug=bug)], capture_output=True,
                       text=True, cwd=REPO)
    if bug:
        assert r.returncode == 1 and "Traceback" in r.stderr and "RuntimeError: a bug" in r.stderr
    else:
        assert r.returncode == 2 and "Traceback" not in r.stderr
        assert r.stderr.strip().endswith("error: bad.tsv, line 3: expected 2 columns")


def test_checkpoint_saves_print_no_deprecation_notice(tmp_path):
    code = ("import numpy as np; from bert_tf import checkpoints\n"
            f"for s in range(3): checkpoints.save_tf1_checkpoint('{tmp_path}/model.ckpt-%d' % s,"
            " {'global_step': np.int64(s)}, keep=2)\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "deprecat" not in r.stderr.lower()
    state = tf.train.get_checkpoint_state(str(tmp_path))
    assert state.model_checkpoint_path.endswith("model.ckpt-2")
    assert [p.rsplit("/", 1)[-1] for p in state.all_model_checkpoint_paths] == [
        "model.ckpt-1", "model.ckpt-2"]
    assert not list(tmp_path.glob("model.ckpt-0*"))
