"""Classifier processors on each task's real file format, feature conversion, bad input."""

from __future__ import annotations

import pathlib
import shutil

import numpy as np
import pytest
import tensorflow as tf

from bert_tf.data import classifier as cl
from bert_tf.data import records
from bert_tf.tokenization import FullTokenizer

GLUE = pathlib.Path(__file__).parent / "data" / "glue"


def _read(task, **kw):
    p = cl.get_processor(task, **kw)
    d = str(GLUE / {"sst-2": "SST-2", "sts-b": "STS-B", "cola": "CoLA"}.get(task, task.upper()))
    return p, d


@pytest.mark.parametrize("task, n_train, first_train, first_dev, first_test", [
    ("cola", 3, ("Our friends won't buy this analysis, let alone the next one we propose.", None, "1"),
     ("The sailors rode the breeze clear of the rocks.", None, "1"),
     ("Bill whistled past the house.", None, "0")),
    ("sst-2", 3, ("hide new secretions from the parental units ", None, "0"),
     ("it 's a charming and often affecting journey . ", None, "1"),
     ("uneasy mishmash of styles and genres .", None, "0")),
    ("mrpc", 2, ('Amrozi accused his brother , whom he called " the witness " , of deliberately '
                 'distorting his evidence .', 'Referring to him as only " the witness " , Amrozi '
                 'accused his brother of deliberately distorting his evidence .', "1"),
     ("He said the foodservice pie business doesn 't fit the company 's long-term growth "
      "strategy .", '" The foodservice pie business does not fit our long-term growth strategy .',
      "1"),
     ("PCCW 's chief operating officer , Mike Butcher , and Alex Arena , the chief financial "
      "officer , will report directly to Mr So .", "Current Chief Operating Officer Mike Butcher "
      "and Group Chief Financial Officer Alex Arena will report to So .", "0")),
    ("sts-b", 2, ("A plane is taking off.", "An air plane is taking off.", 5.0),
     ("A man with a hard hat is dancing.", "A man wearing a hard hat is dancing.", 5.0),
     ("A girl is styling her hair.", "A girl is brushing her hair.", 0.0)),
    ("qqp", 2, ("How is the life of a math student? Could you describe your own experiences?",
                "Which level of prepration is enough for the exam jlpt5?", "0"),
     ("Why are African-Americans so beautiful?", "Why are hispanics so beautiful?", "0"),
     ("Why am I mentally very lonely? How can I solve it?",
      "Find the remainder when [math]23^{24}[/math] is divided by 24,23?", "0")),
    ("qnli", 2, None, ("What came into force after the new constitution was herald?",
                       "As of that day, the new constitution heralding the Second Republic came "
                       "into force.", "entailment"), None),
    ("rte", 2, ("No Weapons of Mass Destruction Found in Iraq Yet.",
                "Weapons of Mass Destruction Found in Iraq.", "not_entailment"), None,
     ("Mangla was summoned after Madhumita's sister Nidhi Shukla complained.",
      "Shukla is related to Mangla.", "entailment")),
    ("wnli", 2, None, ("The drain is clogged with hair. It has to be cleaned.",
                       "The hair has to be cleaned.", "0"), None),
])
def test_glue_formats(task, n_train, first_train, first_dev, first_test):
    p, d = _read(task)
    train, dev, test = p.get_train_examples(d), p.get_dev_examples(d), p.get_test_examples(d)
    assert len(train) == n_train
    for got, want in ((train[0], first_train), (dev[0], first_dev), (test[0], first_test)):
        if want is not None:
            assert (got.text_a, got.text_b, got.label) == want
    assert p.is_regression == (task == "sts-b")


def test_mnli_matched_and_mismatched():
    p, d = _read("mnli")
    assert p.get_labels() == ["contradiction", "entailment", "neutral"]
    train = p.get_train_examples(d)
    assert [e.label for e in train] == ["neutral", "entailment"]
    sets = p.get_eval_sets(d)
    assert list(sets) == ["", "_mismatched"]
    assert sets[""][0].label == "neutral" and sets[""][0].text_a == "The new rights are nice enough"
    assert sets["_mismatched"][0].label == "contradiction"
    tests = p.get_test_sets(d)
    assert tests["_mismatched"][0].text_b == "So what's your decision?"


def test_xnli_language_filter_and_contradictory():
    p, d = _read("xnli")  # the original's default language: zh
    assert [e.label for e in p.get_train_examples(d)] == ["neutral", "contradiction"]
    dev = p.get_dev_examples(d)
    assert [(e.text_b, e.label) for e in dev] == [("他一句话也没说。", "contradiction"),
                                                  ("他说他回家了。", "entailment")]
    en = cl.get_processor("XNLI", language="en").get_dev_examples(d)
    assert len(en) == 1 and en[0].label == "neutral"


def test_generic_csv_jsonl_tsv():
    p = cl.get_processor("generic", text_a_column="text", label_column="topic")
    d = str(GLUE / "generic")
    train = p.get_train_examples(d)
    assert [(e.text_a, e.label) for e in train] == [("Great phone, superb battery", "good"),
                                                    ("Awful service", "bad"), ('He said "wow"', "good")]
    assert p.get_labels() == ["bad", "good"]  # sorted, from train
    assert [e.text_a for e in p.get_dev_examples(d)] == ["Lovely hotel", "Rude staff"]
    test = p.get_test_examples(d)
    assert test[0].text_a == "Maybe fine" and test[0].label is None


def test_features_and_record_round_trip(tiny_vocab_file, tmp_path):
    tok = FullTokenizer(tiny_vocab_file)
    ex = cl.InputExample("g", "The quick brown fox", "jumps over the lazy dog!", "1")
    f = cl.convert_single_example(0, ex, ["0", "1"], 10, tok)
    # 3 + 4 tokens fit 10 - 3 = 7 after truncating the longer b by two: a=4, b=3.
    ids = tok.convert_tokens_to_ids(["[CLS]", "the", "quick", "brown", "fox", "[SEP]", "jumps",
                                     "over", "the", "[SEP]"])
    assert f["input_ids"] == ids and f["segment_ids"] == [0] * 6 + [1] * 4
    assert f["input_mask"] == [1] * 10 and f["label_ids"] == [1] and f["is_real_example"] == [1]
    pad = cl.convert_single_example(1, cl.PaddingInputExample(), ["0", "1"], 10, tok)
    assert pad["is_real_example"] == [0] and not any(pad["input_ids"])
    path = str(tmp_path / "eval.tf_record")
    examples = [ex, cl.InputExample("h", "a cat", None, "0"), cl.PaddingInputExample()]
    assert cl.file_based_convert_examples_to_features(examples, ["0", "1"], 10, tok, path) == 3
    batch = next(iter(records.dataset([path], cl.name_to_features(10), 8, is_training=False)))
    np.testing.assert_array_equal(batch["input_word_ids"][0], ids)
    np.testing.assert_array_equal(batch["label_ids"][:, 0], [1, 0, 0])
    np.testing.assert_array_equal(batch["is_real_example"][:, 0], [1, 1, 0])
    assert batch["input_word_ids"].dtype == tf.int32
    mtime = pathlib.Path(path).stat().st_mtime_ns
    cl.file_based_convert_examples_to_features(examples, ["0", "1"], 10, tok, path)
    assert pathlib.Path(path).stat().st_mtime_ns == mtime  # same inputs: cache reused
    cl.file_based_convert_examples_to_features(examples, ["0", "1"], 12, tok, path)
    assert pathlib.Path(path).stat().st_mtime_ns != mtime  # other settings: rebuilt


def test_regression_features(tiny_vocab_file, tmp_path):
    tok = FullTokenizer(tiny_vocab_file)
    path = str(tmp_path / "r.tf_record")
    cl.file_based_convert_examples_to_features([cl.InputExample("g", "a cat", "a dog", 3.8)], None,
                                               8, tok, path)
    batch = next(iter(records.dataset([path], cl.name_to_features(8, True), 4, is_training=False)))
    np.testing.assert_allclose(batch["label_ids"], [[3.8]], rtol=1e-6)


def test_bad_input(tmp_path):
    with pytest.raises(cl.DataError, match=r"Task not found: 'mrcp'; valid tasks: cola, sst-2"):
        cl.get_processor("mrcp")
    p = cl.get_processor("mrpc")
    with pytest.raises(cl.DataError, match=r"train.tsv' does not exist"):
        p.get_train_examples(str(tmp_path))
    (tmp_path / "train.tsv").write_text("")
    with pytest.raises(cl.DataError, match="is empty"):
        p.get_train_examples(str(tmp_path))
    (tmp_path / "train.tsv").write_text("Quality\ta\tb\tc\td\n2\t1\t2\tx\ty\n")
    with pytest.raises(cl.DataError, match=r"train.tsv, line 2: label '2' is not one of \['0', '1'\]"):
        p.get_train_examples(str(tmp_path))
    (tmp_path / "train.tsv").write_text("Quality\ta\tb\tc\td\n1\t1\t2\tx\n")
    with pytest.raises(cl.DataError, match="line 2: expected at least 5 columns, found 4"):
        p.get_train_examples(str(tmp_path))
    generic = tmp_path / "generic"
    generic.mkdir()
    shutil.copy(GLUE / "generic" / "train.csv", generic / "train.csv")
    g = cl.get_processor("generic", text_a_column="text", label_column="topic",
                         label_list=["pos", "neg"])
    with pytest.raises(cl.DataError, match=r"label 'good' is not one of \['pos', 'neg'\] "
                                           r"\(--label_list does not match the data\)"):
        g.get_train_examples(str(generic))
    g = cl.get_processor("generic", text_a_column="body", label_column="topic")
    with pytest.raises(cl.DataError, match=r"lacks the column\(s\) \['body'\]"):
        g.get_train_examples(str(generic))
    with pytest.raises(cl.DataError, match="no dev.tsv, dev.csv or dev.jsonl"):
        g.get_dev_examples(str(generic))
    p = cl.get_processor("sts-b")
    (tmp_path / "dev.tsv").write_text("\t".join(["h"] * 10) + "\n" + "\t".join(["x"] * 10) + "\n")
    with pytest.raises(cl.DataError, match="label 'x' is not a number"):
        p.get_dev_examples(str(tmp_path))
