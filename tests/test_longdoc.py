"""Long documents: the window arithmetic of --doc_stride (hand-worked cases) and its flag check."""

import pathlib

import pytest

from bert_tf.data import packing
from bert_tf.errors import UsageError


def _spans(windows):
    """The text_a wordpieces ("t<i>") of each window, as (first, last + 1)."""
    out = []
    for tokens, _ in windows:
        ids = [int(t[1:]) for t in tokens if t.startswith("t")]
        out.append((ids[0], ids[-1] + 1))
    return out


def test_windows_of_one_text_follow_run_squads_arithmetic():
    a = [f"t{i}" for i in range(10)]
    # max_seq_length 6: 4 wordpieces per window; stride 3 -> [0,4) [3,7) [6,10)
    assert _spans(packing.window_tokens(a, None, 6, 3)) == [(0, 4), (3, 7), (6, 10)]
    # stride 5 > window 4: advances by the window, nothing skipped
    assert _spans(packing.window_tokens(a, None, 6, 5)) == [(0, 4), (4, 8), (8, 10)]
    tokens, segments = packing.window_tokens(a, None, 6, 3)[1]
    assert tokens == ["[CLS]", "t3", "t4", "t5", "t6", "[SEP]"] and segments == [0] * 6


def test_a_text_that_fits_is_one_window_equal_to_pack_tokens():
    a, b = ["t0", "t1"], ["x", "y"]
    assert packing.window_tokens(a, b, 16, 4) == [packing.pack_tokens(a, b, 16)]
    assert packing.window_tokens(a, None, 16, 4) == [packing.pack_tokens(a, None, 16)]


def test_pairs_keep_text_b_whole_and_window_text_a():
    a, b = [f"t{i}" for i in range(7)], ["x", "y"]
    # max_seq_length 8: 8 - 3 - 2 = 3 wordpieces of a per window, stride 2
    windows = packing.window_tokens(a, b, 8, 2)
    assert _spans(windows) == [(0, 3), (2, 5), (4, 7)]
    for tokens, segments in windows:
        assert tokens[-3:] == ["x", "y", "[SEP]"]
        assert segments == [0] * 5 + [1] * 3


@pytest.mark.parametrize("stride", [0, 8, 9])
def test_doc_stride_outside_1_to_max_seq_length_is_a_flag_error(stride):
    with pytest.raises(UsageError, match="--doc_stride"):
        packing.check_doc_stride(stride, 8)
    packing.check_doc_stride(7, 8)
    packing.check_doc_stride(None, 8)


def test_a_long_text_b_keeps_its_head_and_leaves_text_a_half():
    a, b = [f"t{i}" for i in range(6)], [f"x{i}" for i in range(20)]
    # max_seq_length 13: 10 free, text_a gets 10 // 2 = 5, text_b its first 5
    windows = packing.window_tokens(a, b, 13, 4)
    assert _spans(windows) == [(0, 5), (4, 6)]
    assert windows[0][0][7:] == ["x0", "x1", "x2", "x3", "x4", "[SEP]"]
    assert all(len(tokens) <= 13 for tokens, _ in windows)


@pytest.mark.parametrize("how", ["mean", "max"])
def test_aggregation_per_document_matches_numpy_per_group(how):
    import numpy as np
    from bert_tf.data import classifier

    rng = np.random.default_rng(0)
    doc_index = np.array([0, 0, 0, 1, 2, 2])
    logits = rng.normal(size=(6, 3)).astype(np.float32)
    got = classifier.aggregate_by_document(logits, doc_index, 3, how)
    reduce = np.mean if how == "mean" else np.max
    want = np.stack([reduce(logits[doc_index == d], axis=0) for d in range(3)])
    np.testing.assert_allclose(got, want, rtol=1e-6)
    with pytest.raises(UsageError, match="--doc_aggregation"):
        classifier.aggregate_by_document(logits, doc_index, 3, "median")


# -- window features -----------------------------------------------------------------------


def _records(path):
    import numpy as np
    import tensorflow as tf
    from bert_tf.data import classifier

    spec = classifier.name_to_features(16, doc_index=True)
    return [{k: v.numpy() for k, v in tf.io.parse_single_example(r, spec).items()}
            for r in tf.data.TFRecordDataset(str(path))]


def test_windows_are_records_with_the_documents_label_and_index(sample_vocab, tmp_path):
    import json

    import numpy as np
    from bert_tf import tokenization
    from bert_tf.data import classifier

    tokenizer = tokenization.FullTokenizer(sample_vocab)
    long_text = "the man went to the store and bought a gallon of milk " * 3  # 36 pieces
    examples = [classifier.InputExample("a", long_text, None, "1"),
                classifier.InputExample("b", "the man went", None, "0")]
    path = tmp_path / "train.tf_record"
    n = classifier.file_based_convert_examples_to_features(
        examples, ["0", "1"], 16, tokenizer, str(path), doc_stride=7)
    rows = _records(path)
    # 36 wordpieces, windows of 14 every 7: [0,14) [7,21) [14,28) [21,35) [28,36); then "b".
    windows = packing.window_tokens(tokenizer.tokenize(long_text), None, 16, 7)
    assert n == len(rows) == len(windows) + 1 == 6
    assert [int(r["doc_index"][0]) for r in rows] == [0] * 5 + [1]
    assert [int(r["label_ids"][0]) for r in rows] == [1] * 5 + [0]
    for row, (tokens, _) in zip(rows, windows):
        ids = tokenizer.convert_tokens_to_ids(tokens)
        np.testing.assert_array_equal(row["input_ids"][:len(ids)], ids)
    sidecar = json.loads((tmp_path / "train.tf_record.json").read_text())
    assert sidecar["doc_stride"] == 7 and sidecar["num_windows"] == 6
    # The same inputs reuse the file and report its windows; another stride rebuilds it.
    assert classifier.file_based_convert_examples_to_features(
        examples, ["0", "1"], 16, tokenizer, str(path), doc_stride=7) == 6
    assert classifier.file_based_convert_examples_to_features(
        examples, ["0", "1"], 16, tokenizer, str(path), doc_stride=13) == 4


# -- end to end (tiny random BERT on data/longdoc) -----------------------------------------

SAMPLE = pathlib.Path(__file__).resolve().parents[1] / "data" / "longdoc"


@pytest.fixture(scope="module")
def tiny_bert(tmp_path_factory) -> pathlib.Path:
    from bert_tf import checkpoints, models
    from bert_tf.config import BertConfig
    from conftest import corpus_vocab

    d = tmp_path_factory.mktemp("tiny_bert")
    corpus = d / "corpus.txt"
    corpus.write_text("\n".join(line.split("\t")[-2 if "label" in name else 1]
                                for name in ("train.tsv", "dev.tsv")
                                for line in (SAMPLE / name).read_text().splitlines()[1:]) +
                      "\n" + (SAMPLE / "test.tsv").read_text())
    vocab = corpus_vocab(corpus, d / "vocab.txt")
    config = BertConfig(vocab_size=len(pathlib.Path(vocab).read_text().splitlines()),
                        hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=64, type_vocab_size=2)
    config.to_json_file(str(d / "bert_config.json"))
    checkpoints.save_model(models.BertEncoder(config), str(d / "bert_model.ckpt"))
    return d


def _results(path: pathlib.Path) -> dict[str, float]:
    return {k: float(v) for k, v in (line.split(" = ") for line in path.read_text().splitlines())}


def test_tiny_run_trains_on_windows_and_reports_per_document(tiny_bert, tmp_path):
    import json

    import numpy as np
    from test_extract_features import run_script

    run = tmp_path / "run"
    r = run_script("run_classifier.py", "--task_name=sst-2", f"--data_dir={SAMPLE}",
                   "--do_train", "--do_eval", "--do_predict", f"--init_checkpoint={tiny_bert}",
                   "--max_seq_length=64", "--doc_stride=32", "--num_train_epochs=1",
                   "--train_batch_size=32", f"--output_dir={run}")
    assert r.returncode == 0, r.stderr[-3000:]
    sidecar = json.loads((run / "train.tf_record.json").read_text())
    assert sidecar["num_examples"] == 160 and sidecar["num_windows"] > 4 * 160
    # An epoch is a pass over the windows.
    assert f"step {sidecar['num_windows'] // 32}/{sidecar['num_windows'] // 32} " in r.stderr
    result = _results(run / "eval_results.txt")
    assert result["eval_num_documents"] == 50 and result["eval_num_windows"] > 4 * 50
    info = json.loads((run / "run_info.json").read_text())
    assert info["doc_stride"] == 32 and info["doc_aggregation"] == "mean"
    probabilities = np.loadtxt(run / "test_results.tsv", delimiter="\t")
    assert probabilities.shape == (50, 2)  # one row per document, not per window
    rows = (run / "test_predictions.tsv").read_text().splitlines()[1:]
    assert [row.split("\t")[1] for row in rows] == [str(p) for p in probabilities.argmax(1)]

    # The run directory evaluates again with its windows, combined by the max this time.
    again = tmp_path / "again"
    r = run_script("run_classifier.py", "--do_eval", f"--init_checkpoint={run}",
                   f"--data_dir={SAMPLE}", "--doc_aggregation=max", f"--output_dir={again}")
    assert r.returncode == 0, r.stderr[-3000:]
    assert "--doc_stride=32" in r.stderr
    again_result = _results(again / "eval_results.txt")
    assert again_result["eval_num_windows"] == result["eval_num_windows"]
    assert again_result["eval_loss"] != result["eval_loss"]  # same windows, another combination

    # Distillation windows the same way (the teacher's --doc_stride).
    student = tmp_path / "student"
    r = run_script("run_distillation.py", f"--teacher_dir={run}", "--student_layers=1",
                   "--do_eval", "--num_train_epochs=0.2", f"--output_dir={student}")
    assert r.returncode == 0, r.stderr[-3000:]
    assert _results(student / "eval_results.txt")["eval_num_documents"] == 50

    # The SavedModel sees one window per text: the export says so.
    r = run_script("export_model.py", f"--init_checkpoint={run}",
                   f"--export_dir={tmp_path / 'export'}")
    assert r.returncode == 0, r.stderr[-3000:]
    assert "The run used --doc_stride=32" in r.stderr


@pytest.mark.parametrize("flags, message", [
    (["--doc_stride=64"], "--doc_stride=64: must be less than --max_seq_length=64"),
    (["--doc_stride=0"], "--doc_stride=0: must be at least 1"),
    (["--doc_stride=32", "--truncation=tail"], "--truncation=tail and --doc_stride"),
])
def test_bad_window_flags_are_refused(tiny_bert, tmp_path, flags, message):
    from test_extract_features import run_script

    r = run_script("run_classifier.py", "--task_name=sst-2", f"--data_dir={SAMPLE}",
                   "--do_train", f"--init_checkpoint={tiny_bert}", "--max_seq_length=64",
                   f"--output_dir={tmp_path}", "--dry_run", *flags)
    assert r.returncode == 2 and message in r.stderr, r.stderr[-2000:]



def _unseen_by_truncation(vocab_file: str, max_seq_length: int) -> list[bool]:
    """Per data/longdoc test document: does its deciding data/sentiment sentence end after
    the first max_seq_length - 2 wordpieces (where head truncation never sees it)?"""
    import csv

    from bert_tf import tokenization

    sentiment = SAMPLE.parent / "sentiment" / "test.tsv"
    with open(sentiment, encoding="utf-8") as f:
        deciding = [row[1] for row in list(csv.reader(f, delimiter="\t",
                                                      quoting=csv.QUOTE_NONE))[1:]]
    tokenizer = tokenization.FullTokenizer(vocab_file)
    out = []
    with open(SAMPLE / "test.tsv", encoding="utf-8") as f:
        for _, doc in list(csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE))[1:]:
            sentence = next(s for s in deciding if s in doc)
            end = doc.index(sentence) + len(sentence)
            out.append(len(tokenizer.tokenize(doc[:end])) > max_seq_length - 2)
    return out


@pytest.mark.slow
def test_minilm_windows_classify_what_truncation_never_sees(minilm, tmp_path):
    """all-MiniLM-L6-v2 on data/longdoc with --doc_stride (the documented recipe): the test
    documents whose deciding sentence lies beyond the first 126 wordpieces, which head
    truncation classifies by chance, are classified right."""
    import numpy as np
    from test_extract_features import run_script

    run = tmp_path / "run"
    r = run_script("run_classifier.py", "--task_name=sst-2", f"--data_dir={SAMPLE}",
                   f"--init_checkpoint={minilm}", "--do_train", "--do_eval", "--do_predict",
                   "--max_seq_length=128", "--doc_stride=64", "--train_batch_size=16",
                   "--learning_rate=1e-4", "--num_train_epochs=8",
                   "--head_initializer=glorot_uniform", "--reinit_layers=1", "--seed=0",
                   f"--output_dir={run}", timeout=1800)  # 286 steps: ~5 min on 2 cores
    assert r.returncode == 0, r.stderr[-3000:]
    assert _results(run / "eval_results.txt")["eval_accuracy"] >= 0.8
    labels = np.loadtxt(SAMPLE / "test_labels.tsv", delimiter="\t", skiprows=1)[:, 1]
    predicted = np.array([int(row.split("\t")[1]) for row in
                          (run / "test_predictions.tsv").read_text().splitlines()[1:]])
    unseen = np.array(_unseen_by_truncation(str(minilm / "vocab.txt"), 128))
    assert unseen.sum() >= 30  # most of the 50: the sample is built that way
    assert (predicted[unseen] == labels[unseen]).mean() >= 0.75
