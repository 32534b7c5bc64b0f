"""Classifier data: every processor on its task's real file format, the original's
feature conversion (golden ids on a tiny vocab, and the Model Garden's copy of the
original as an oracle), TFRecord round trip and cache, the bundled sentiment data,
and clear errors for bad input."""

from __future__ import annotations

import json
import pathlib
import random
import re
import shutil

import numpy as np
import pytest
import tensorflow as tf
from conftest import REPO, TINY_WORDS

from bert_tf.data import classifier as cl
from bert_tf.data import records
from bert_tf.tokenization import FullTokenizer

GLUE = pathlib.Path(__file__).parent / "data" / "glue"
SENTIMENT = REPO / "data" / "sentiment"
DIRS = {"cola": "CoLA", "sst-2": "SST-2", "mrpc": "MRPC", "sts-b": "STS-B", "qqp": "QQP",
        "mnli": "MNLI", "qnli": "QNLI", "rte": "RTE", "wnli": "WNLI", "xnli": "XNLI"}


def _dir(task: str) -> str:
    return str(GLUE / DIRS[task])


def _triples(examples):
    return [(e.text_a, e.text_b, e.label) for e in examples]


@pytest.fixture(scope="module")
def tok(tiny_vocab_file):
    return FullTokenizer(tiny_vocab_file)


def ids(*tokens: str) -> list[int]:
    """Ids by position in the tiny vocab: independent of the tokenizer under test."""
    return [TINY_WORDS.index(t) for t in tokens]


# ---------------------------------------------------------------------------
# Processors on the real file formats.

MRPC_TRAIN_0 = ('Amrozi accused his brother , whom he called " the witness " , of deliberately '
                'distorting his evidence .', 'Referring to him as only " the witness " , Amrozi '
                'accused his brother of deliberately distorting his evidence .', "1")


@pytest.mark.parametrize("task, labels, train, dev, test", [
    ("cola", ["0", "1"],  # train/dev have no header line: the first line is an example
     [("Our friends won't buy this analysis, let alone the next one we propose.", None, "1"),
      ("One more pseudo generalization and I'm giving up.", None, "0"),
      ("They drank the pub dry.", None, "1")],
     [("The sailors rode the breeze clear of the rocks.", None, "1"),
      ("The more we study verbs, the crazier they get get.", None, "0")],
     [("Bill whistled past the house.", None, None),
      ("The car honked its way down the road.", None, None)]),
    ("sst-2", ["0", "1"],
     [("hide new secretions from the parental units ", None, "0"),
      ("contains no wit , only labored gags ", None, "0"),
      ("that loves its characters and communicates something rather beautiful about human "
       "nature ", None, "1")],
     [("it 's a charming and often affecting journey . ", None, "1"),
      ("unflinchingly bleak and desperate ", None, "0")],
     [("uneasy mishmash of styles and genres .", None, None),
      ("this film 's relationship to actual tension is the same as what christmas-tree flocking "
       "in a spray can is to actual snow : a poor -- if durable -- imitation .", None, None)]),
    ("mrpc", ["0", "1"],
     [MRPC_TRAIN_0, ("Yucaipa owned Dominick 's before selling the chain to Safeway in 1998 for "
                     "$ 2.5 billion .", "Yucaipa bought Dominick 's in 1995 for $ 693 million and "
                     "sold it to Safeway for $ 1.8 billion in 1998 .", "0")],
     [("He said the foodservice pie business doesn 't fit the company 's long-term growth "
       "strategy .", '" The foodservice pie business does not fit our long-term growth strategy .',
       "1"),
      ("Magnarelli said Racicot hated the Iraqi regime and looked forward to using his long years "
       "of training in the war .", 'His wife said he was " 100 percent behind George Bush " and '
       "looked forward to using his years of training in the war .", "0")],
     [("PCCW 's chief operating officer , Mike Butcher , and Alex Arena , the chief financial "
       "officer , will report directly to Mr So .", "Current Chief Operating Officer Mike Butcher "
       "and Group Chief Financial Officer Alex Arena will report to So .", None),
      ("The last time the survey was conducted , in 1995 , those numbers matched .",
       "In 1995 , the last survey , those numbers were equal .", None)]),
    ("sts-b", None,  # regression: float scores, no label list
     [("A plane is taking off.", "An air plane is taking off.", 5.0),
      ("A man is playing a large flute.", "A man is playing a flute.", 3.8)],
     [("A man with a hard hat is dancing.", "A man wearing a hard hat is dancing.", 5.0),
      ("A young child is riding a horse.", "A child is riding a horse.", 4.75)],
     [("A girl is styling her hair.", "A girl is brushing her hair.", None),
      ("A man is slicing a tomato.", "A woman is playing a guitar.", None)]),
    ("qqp", ["0", "1"],
     [("How is the life of a math student? Could you describe your own experiences?",
       "Which level of prepration is enough for the exam jlpt5?", "0"),
      ("How do I control my horny emotions?", "How do you control your horniness?", "1")],
     [("Why are African-Americans so beautiful?", "Why are hispanics so beautiful?", "0"),
      ("How do I learn to play the guitar quickly?", "What is the fastest way to learn guitar?",
       "1")],
     [("Why am I mentally very lonely? How can I solve it?",
       "Find the remainder when [math]23^{24}[/math] is divided by 24,23?", None),
      ("What is the best way to save money?", "How can I save money every month?", None)]),
    ("qnli", ["entailment", "not_entailment"],
     [("When did the third Digimon series begin?", None, "not_entailment"),
      ("Which missile batteries often have individual launchers several kilometres from one "
       "another?", None, "not_entailment")],
     [("What came into force after the new constitution was herald?",
       "As of that day, the new constitution heralding the Second Republic came into force.",
       "entailment"),
      ("What is the first major city in the stream of the Rhine?", None, "not_entailment")],
     [("What organization is devoted to Jihad against Israel?", None, None),
      ("What is the name of the library at the university?",
       "The university library holds more than two million volumes.", None)]),
    ("rte", ["entailment", "not_entailment"],
     [("No Weapons of Mass Destruction Found in Iraq Yet.",
       "Weapons of Mass Destruction Found in Iraq.", "not_entailment"),
      ("A place of sorrow, after Pope John Paul II died, became a place of celebration.",
       "Pope Benedict XVI is the new leader of the Roman Catholic Church.", "entailment")],
     [("Dana Reeve, the widow of the actor Christopher Reeve, has died of lung cancer at age 44.",
       "Christopher Reeve had an accident.", "not_entailment"),
      ("The drugmaker said the new tablet had been approved in Europe last year.",
       "The tablet was approved in Europe.", "entailment")],
     [("Mangla was summoned after Madhumita's sister Nidhi Shukla complained.",
       "Shukla is related to Mangla.", None),
      ("The museum reopened in May after a two-year renovation.",
       "The museum was closed for two years.", None)]),
    ("wnli", ["0", "1"],
     [("I stuck a pin through a carrot. When I pulled the pin out, it had a hole.",
       "The carrot had a hole.", "1"),
      ("John couldn't see the stage with Billy in front of him because he is so short.",
       "John is so short.", "1")],
     [("The drain is clogged with hair. It has to be cleaned.", "The hair has to be cleaned.", "0"),
      ("Jane knocked on Susan's door but she did not get an answer.",
       "Susan did not get an answer.", "0")],
     [("Maude and Dora had seen the trains rushing across the prairie.",
       "Horses ran away when Maude and Dora came into sight.", None),
      ("The trophy would not fit in the suitcase because it was too big.",
       "The trophy was too big.", None)]),
])
def test_glue_processors_read_their_real_formats(task, labels, train, dev, test):
    p = cl.get_processor(task.upper())
    assert p.get_labels() == labels and p.is_regression == (labels is None)
    got = {"train": p.get_train_examples(_dir(task)), "dev": p.get_dev_examples(_dir(task)),
           "test": p.get_test_examples(_dir(task))}
    for split, want in (("train", train), ("dev", dev), ("test", test)):
        assert len(got[split]) == len(want), split
        for example, (a, b, label) in zip(got[split], want):
            assert example.text_a == a and example.label == label, (split, example)
            if b is not None or task in ("cola", "sst-2"):
                assert example.text_b == b, (split, example)
    if labels is None:
        assert all(isinstance(e.label, float) for e in got["train"] + got["dev"])
    # As the original: guids are "<set>-<row index>", counting a header line.
    assert got["dev"][0].guid == ("dev-0" if task == "cola" else "dev-1")
    assert p.get_eval_sets(_dir(task)).keys() == {""}


def test_mnli_matched_and_mismatched_sets():
    p, d = cl.get_processor("mnli"), _dir("mnli")
    assert p.get_labels() == ["contradiction", "entailment", "neutral"]
    train = p.get_train_examples(d)  # train has 12 columns, dev 16: the gold label is the last
    assert [(e.guid, e.label) for e in train] == [("train-0", "neutral"), ("train-1", "entailment")]
    matched = p.get_dev_examples(d)
    mismatched = p.get_dev_examples(d, matched=False)
    assert _triples(matched) == [
        ("The new rights are nice enough", "Everyone really likes the newest benefits ", "neutral"),
        ("He turned and smiled at Vrenna.",
         "He smiled at Vrenna who was walking slowly behind him with her mother.", "neutral")]
    assert [e.label for e in mismatched] == ["contradiction", "entailment"]
    assert [e.guid for e in matched + mismatched] == ["dev_matched-0", "dev_matched-1",
                                                      "dev_mismatched-0", "dev_mismatched-1"]
    sets = p.get_eval_sets(d)
    assert list(sets) == ["", "_mismatched"]
    assert _triples(sets[""]) == _triples(matched)
    assert _triples(sets["_mismatched"]) == _triples(mismatched)
    tests = p.get_test_sets(d)
    assert list(tests) == ["", "_mismatched"]
    assert [e.text_b for e in tests[""]] == ["Hierbas is a name worth looking out for.",
                                             "The market is open at night only."]
    assert [e.text_b for e in tests["_mismatched"]] == ["So what's your decision?",
                                                        "I will never call you."]
    assert all(e.label is None for e in tests[""] + tests["_mismatched"])


def test_xnli_language_filter_and_contradictory():
    d = _dir("xnli")
    p = cl.get_processor("xnli")  # the original's default language: zh
    assert p.language == "zh"
    train = p.get_train_examples(d)  # multinli/multinli.train.zh.tsv
    assert [(e.guid, e.label) for e in train] == [("train-1", "neutral"),
                                                  ("train-2", "contradiction")]  # "contradictory"
    assert train[0].text_b == "产品 和 地理 是 什么 使 奶油 抹 霜 工作 ."
    dev = p.get_dev_examples(d)
    assert [(e.guid, e.text_a, e.text_b, e.label) for e in dev] == [
        ("dev-2", "他说，妈妈，我回来了。", "他一句话也没说。", "contradiction"),
        ("dev-3", "他说，妈妈，我回来了。", "他说他回家了。", "entailment")]
    assert _triples(p.get_test_examples(d)) == [
        ("你不必留在那里。", "你可以离开。", "entailment")]
    en = cl.get_processor("XNLI", language="en")
    assert _triples(en.get_dev_examples(d)) == [("And he said, Mama, I'm home.",
                                                 "He didn't say a word.", "neutral")]
    with pytest.raises(cl.DataError, match=r"multinli.train.en.tsv' does not exist"):
        en.get_train_examples(d)
    with pytest.raises(cl.DataError, match=r"xnli.dev.tsv has no examples in language 'de' "
                                           r"\(the XNLI language option\); it has \['en', 'zh'\]"):
        cl.get_processor("xnli", language="de").get_dev_examples(d)


def test_registry_names_aliases_and_options():
    assert isinstance(cl.get_processor("SST2"), cl.Sst2Processor)
    assert isinstance(cl.get_processor(" sts-b "), cl.StsbProcessor)
    assert isinstance(cl.get_processor("RTE"), cl.RteProcessor)
    # Flags that are None are ignored, and the XNLI language is ignored by other tasks.
    assert isinstance(cl.get_processor("mrpc", language="zh", label_list=None, text_a_column=None),
                      cl.MrpcProcessor)
    with pytest.raises(cl.DataError, match=r"Task not found: 'mrcp'; valid tasks: cola, sst-2, "
                                           r"mrpc, sts-b, qqp, mnli, qnli, rte, wnli, xnli, "
                                           r"generic"):
        cl.get_processor("mrcp")
    with pytest.raises(cl.DataError, match=r"option\(s\) \['label_list'\] apply only to task "
                                           r"'generic', not 'MRPC'"):
        cl.get_processor("MRPC", label_list=["a", "b"])
    with pytest.raises(cl.DataError, match=r"unknown processor option\(s\) \['text_column'\]"):
        cl.get_processor("generic", text_column="x")


# ---------------------------------------------------------------------------
# The generic processor.

def test_generic_csv_jsonl_and_unlabelled_tsv():
    p = cl.get_processor("generic", text_a_column="text", label_column="topic")
    d = str(GLUE / "generic")
    train = p.get_train_examples(d)  # train.csv: '"'-quoted fields with commas and quotes
    assert [(e.text_a, e.label) for e in train] == [
        ("Great phone, superb battery", "good"), ("Awful service", "bad"),
        ('He said "wow"', "good")]
    assert [e.guid for e in train] == ["train-2", "train-3", "train-4"]  # file line numbers
    assert p.get_labels() == ["bad", "good"]  # sorted, from the training file
    assert _triples(p.get_dev_examples(d)) == [("Lovely hotel", None, "good"),
                                               ("Rude staff", None, "bad")]  # dev.jsonl
    assert _triples(p.get_test_examples(d)) == [("Maybe fine", None, None)]  # no label column


def test_generic_label_list_order_and_labels_before_training():
    d = str(GLUE / "generic")
    p = cl.get_processor("generic", text_a_column="text", label_column="topic",
                         label_list=["good", "bad"])
    assert p.get_labels() == ["good", "bad"]  # a given list keeps its order (= label ids)
    p.get_train_examples(d)
    assert p.get_labels() == ["good", "bad"]
    # Evaluation without training: the labels come from the training file in data_dir.
    q = cl.get_processor("generic", text_a_column="text", label_column="topic")
    with pytest.raises(cl.DataError, match="the label list is unknown: give label_list"):
        q.get_labels()
    assert q.get_labels(d) == ["bad", "good"]


def test_generic_index_columns_explicit_files_bom_and_crlf(tmp_path):
    # Header-less TSV addressed by 0-based indexes, under explicit file names.
    (tmp_path / "pairs.train").write_text("pos\tA fine day\tsunny\nneg\tA bad day\train\n\n")
    (tmp_path / "pairs.dev").write_bytes("neg\tNo\tnever\r\npos\tYes\tsure\r\n".encode())
    p = cl.get_processor("generic", text_a_column="1", text_b_column="2", label_column="0",
                         train_file="pairs.train", dev_file=str(tmp_path / "pairs.dev"))
    assert _triples(p.get_train_examples(str(tmp_path))) == [("A fine day", "sunny", "pos"),
                                                             ("A bad day", "rain", "neg")]
    assert _triples(p.get_dev_examples("/nonexistent")) == [("No", "never", "neg"),
                                                            ("Yes", "sure", "pos")]
    # Test rows may lack the label column (or hold an empty or null label).
    (tmp_path / "test.tsv").write_text("\tWhy\tnot\n")
    (tmp_path / "test.jsonl").write_text('{"1": "Why", "2": "so", "0": null}\n')
    assert _triples(p.get_test_examples(str(tmp_path))) == [("Why", "not", None)]
    p.files["test"] = "test.jsonl"
    assert _triples(p.get_test_examples(str(tmp_path))) == [("Why", "so", None)]
    # Indexes into a file that has a header line: header=True skips it.
    (tmp_path / "h.tsv").write_text("label\ttext\n1\tgood\n0\tbad\n")
    p = cl.get_processor("generic", text_a_column=1, label_column=0, train_file="h.tsv",
                         header=True)
    assert _triples(p.get_train_examples(str(tmp_path))) == [("good", None, "1"),
                                                             ("bad", None, "0")]
    # A spreadsheet export: UTF-8 byte order mark, CRLF line ends, quoted cells.
    (tmp_path / "x.csv").write_bytes('\ufefftext,label\r\n"Ça va, merci",oui\r\nNon,non\r\n'
                                     .encode("utf-8"))
    p = cl.get_processor("generic", text_a_column="text", train_file="x.csv")
    assert _triples(p.get_train_examples(str(tmp_path))) == [("Ça va, merci", None, "oui"),
                                                             ("Non", None, "non")]


def test_generic_bad_input(tmp_path, caplog):
    generic = tmp_path / "generic"
    shutil.copytree(GLUE / "generic", generic)
    d = str(generic)

    def proc(**kw):
        return cl.get_processor("generic", **{"text_a_column": "text", "label_column": "topic",
                                              **kw})

    with pytest.raises(cl.DataError, match=r"train.csv, line 2: label 'good' is not one of "
                                           r"\['pos', 'neg'\] \(label_list\)"):
        proc(label_list=["pos", "neg"]).get_train_examples(d)
    with pytest.raises(cl.DataError, match=r"train.csv: the header line \['text', 'topic', "
                                           r"'extra'\] lacks the column\(s\) \['body'\]"):
        proc(text_a_column="body").get_train_examples(d)
    with pytest.raises(cl.DataError, match=r"no dev.tsv, dev.csv or dev.jsonl in data_dir"):
        proc().get_dev_examples(str(tmp_path))
    with pytest.raises(cl.DataError, match=r"train file '.*nope.tsv' does not exist"):
        proc(train_file="nope.tsv").get_train_examples(d)
    with pytest.raises(cl.DataError, match=r"label_list \['a', 'a'\] names a label twice"):
        proc(label_list=["a", "a"])
    with pytest.raises(cl.DataError, match=r"columns \['text', 'topic'\] are header names, but "
                                           r"header=False"):
        proc(header=False)
    # Dev labels must be among the training file's labels.
    (generic / "dev.jsonl").write_text('{"text": "So so", "topic": "meh"}\n')
    p = proc()
    p.get_train_examples(d)
    with pytest.raises(cl.DataError, match=r"dev.jsonl, line 1: label 'meh' is not one of "
                                           r"\['bad', 'good'\] \(the training file's labels\)"):
        p.get_dev_examples(d)
    (generic / "dev.jsonl").write_text('{"text": "ok", "topic": "good"}\n[1, 2]\n')
    with pytest.raises(cl.DataError, match=r"dev.jsonl, line 2: expected a JSON object, "
                                           r"found list"):
        p.get_dev_examples(d)
    (generic / "dev.jsonl").write_text('{"text": "ok", "topic": "good"\n')
    with pytest.raises(cl.DataError, match=r"dev.jsonl, line 1: not valid JSON"):
        p.get_dev_examples(d)
    (generic / "dev.jsonl").write_text('{"txt": "ok", "topic": "good"}\n')
    with pytest.raises(cl.DataError, match=r"dev.jsonl, line 1: no column 'text'; found keys "
                                           r"\['topic', 'txt'\]"):
        p.get_dev_examples(d)
    (generic / "train.csv").write_text("text,topic\nfine,good\nok\n")
    with pytest.raises(cl.DataError, match=r"train.csv, line 3: 1 columns, but the header line "
                                           r"has 2"):
        proc().get_train_examples(d)
    (generic / "train.csv").write_text("text,topic\nfine,good\nok,good\n")
    with pytest.raises(cl.DataError, match=r"every example has the label 'good'; a classifier "
                                           r"needs at least two labels"):
        proc().get_train_examples(d)
    with caplog.at_level("WARNING"):
        proc(label_list=["good", "bad"]).get_train_examples(d)
    assert "label_list has labels that" in caplog.text and "['bad']" in caplog.text
    (generic / "train.csv").write_text("text,topic\n")
    with pytest.raises(cl.DataError, match=r"train.csv' has a header line but no examples"):
        proc().get_train_examples(d)
    (tmp_path / "train.tsv").write_text("1\tonly one column\n")
    p = cl.get_processor("generic", text_a_column="1", text_b_column="2", label_column="0")
    with pytest.raises(cl.DataError, match=r"train.tsv, line 1: expected at least 3 columns, "
                                           r"found 2: \['1', 'only one column'\]"):
        p.get_train_examples(str(tmp_path))
    (tmp_path / "train.tsv").write_text("1\ta\tb\n\tc\td\n")
    with pytest.raises(cl.DataError, match=r"train.tsv, line 2: an empty label \(label_column "
                                           r"'0'\)"):
        p.get_train_examples(str(tmp_path))


# ---------------------------------------------------------------------------
# Bad GLUE input.

def test_glue_bad_input(tmp_path):
    p, d = cl.get_processor("mrpc"), str(tmp_path)
    train = tmp_path / "train.tsv"
    with pytest.raises(cl.DataError, match=r"data file '.*train.tsv' does not exist"):
        p.get_train_examples(d)
    train.write_text("")
    with pytest.raises(cl.DataError, match=r"data file '.*train.tsv' is empty"):
        p.get_train_examples(d)
    train.write_text("\n  \n")
    with pytest.raises(cl.DataError, match=r"train.tsv' is empty"):
        p.get_train_examples(d)
    train.write_text("Quality\t#1 ID\t#2 ID\t#1 String\t#2 String\n")
    with pytest.raises(cl.DataError, match=r"train.tsv' has a header line but no examples"):
        p.get_train_examples(d)
    train.write_text("Quality\ta\tb\tc\td\n1\t1\t2\tx\ty\n2\t1\t2\tx\ty\n")
    with pytest.raises(cl.DataError, match=r"train.tsv, line 3: label '2' is not one of the "
                                           r"task's labels \['0', '1'\]"):
        p.get_train_examples(d)
    train.write_text("Quality\ta\tb\tc\td\n1\t1\t2\tx\n")
    with pytest.raises(cl.DataError, match=r"train.tsv, line 2: expected at least 5 tab-separated "
                                           r"columns \(Quality, #1 ID, #2 ID, #1 String, #2 "
                                           r"String; test: index instead of Quality\), found 4"):
        p.get_train_examples(d)
    # A comma-separated file given to a GLUE task: one column per line.
    train.write_text("Quality,a,b,c,d\n1,1,2,x,y\n")
    with pytest.raises(cl.DataError, match=r"line 2: expected at least 5 tab-separated columns"):
        p.get_train_examples(d)
    train.write_bytes(b"Quality\ta\tb\tc\td\n1\t1\t2\t\xff\xfe\ty\n")
    with pytest.raises(cl.DataError, match=r"train.tsv' is not UTF-8 text"):
        p.get_train_examples(d)
    # MNLI's gold label is the last column: it must come after sentence2.
    (tmp_path / "dev_matched.tsv").write_text("h\n" + "\t".join(["x"] * 10) + "\n")
    with pytest.raises(cl.DataError, match=r"dev_matched.tsv, line 2: expected at least 11"):
        cl.get_processor("mnli").get_dev_examples(d)
    (tmp_path / "dev.tsv").write_text("\t".join(["h"] * 10) + "\n" + "\t".join(["x"] * 10) + "\n")
    with pytest.raises(cl.DataError, match=r"dev.tsv, line 2: label 'x' is not a number \(this "
                                           r"task is a regression\)"):
        cl.get_processor("sts-b").get_dev_examples(d)
    (tmp_path / "dev.tsv").write_text("\t".join(["h"] * 10) + "\n" + "x\t" * 9 + "nan\n")
    with pytest.raises(cl.DataError, match=r"label 'nan' is not a number"):
        cl.get_processor("sts-b").get_dev_examples(d)
    (tmp_path / "dev.tsv").write_text("sentence\tlabel\nok\t1\n" + "x" * 200_000 + "\t1\n")
    with pytest.raises(cl.DataError, match=r"dev.tsv, line 3: field larger than field limit"):
        cl.get_processor("sst-2").get_dev_examples(d)
    with pytest.raises(cl.DataError, match=r"test.tsv' does not exist"):
        cl.get_processor("cola").get_test_sets(d)


# ---------------------------------------------------------------------------
# Features.

def test_features_golden_single_and_wordpieces(tok):
    ex = cl.InputExample("g", "Unaffable film!", None, "1")
    f = cl.convert_single_example(0, ex, ["0", "1"], 10, tok)
    assert f == {"input_ids": ids("[CLS]", "un", "##aff", "##able", "film", "!", "[SEP]") + [0] * 3,
                 "input_mask": [1] * 7 + [0] * 3, "segment_ids": [0] * 10, "label_ids": [1],
                 "is_real_example": [1]}
    # A single text keeps its first max_seq_length - 2 wordpieces; unknown words are [UNK].
    f = cl.convert_single_example(0, cl.InputExample("g", "the quick zebra fox jumps", "", "0"),
                                  ["0", "1"], 5, tok)
    assert f["input_ids"] == ids("[CLS]", "the", "quick", "[UNK]", "[SEP]")  # text_b "" = single
    assert f["input_mask"] == [1] * 5 and f["segment_ids"] == [0] * 5 and f["label_ids"] == [0]


@pytest.mark.parametrize("a, b, max_len, want_a, want_b", [
    # Budget 8 - 3 = 5: the longer side (a, 9 pieces) loses pieces from its end.
    ("the quick brown fox jumps over the lazy dog", "a cat", 8, ["the", "quick", "brown"],
     ["a", "cat"]),
    # Ties trim text_b: 2 + 2 > 3 -> b loses one.
    ("good movie", "bad film", 6, ["good", "movie"], ["bad"]),
    # One piece at a time from whichever is longer: (4, 3) -> (3, 3) -> (3, 2).
    ("one two three cat", "dog sat mat", 8, ["one", "two", "three"], ["dog", "sat"]),
    # b longer: only b shrinks.
    ("cat", "the dog sat on the mat", 7, ["cat"], ["the", "dog", "sat"]),
    # Fits exactly: nothing is cut; then zero padding.
    ("a cat", "a dog", 7, ["a", "cat"], ["a", "dog"]),
    ("a cat", "a dog", 9, ["a", "cat"], ["a", "dog"]),
])
def test_features_golden_pair_truncation(tok, a, b, max_len, want_a, want_b):
    f = cl.convert_single_example(0, cl.InputExample("g", a, b, "entailment"),
                                  ["contradiction", "entailment"], max_len, tok)
    n = 3 + len(want_a) + len(want_b)
    assert f["input_ids"] == ids("[CLS]", *want_a, "[SEP]", *want_b, "[SEP]") + [0] * (max_len - n)
    pad = [0] * (max_len - n)
    assert f["segment_ids"] == [0] * (len(want_a) + 2) + [1] * (len(want_b) + 1) + pad
    assert f["input_mask"] == [1] * n + [0] * (max_len - n)
    assert f["label_ids"] == [1]


def test_features_labels_padding_and_errors(tok):
    unlabelled = cl.InputExample("test-1", "a cat", None, None)  # a GLUE test row
    assert cl.convert_single_example(0, unlabelled, ["0", "1"], 6, tok)["label_ids"] == [0]
    assert cl.convert_single_example(0, unlabelled, None, 6, tok)["label_ids"] == [0.0]
    assert cl.convert_single_example(0, cl.InputExample("g", "a", "b", 3.8), None, 6,
                                     tok)["label_ids"] == [3.8]
    pad = cl.convert_single_example(0, cl.PaddingInputExample(), ["0", "1"], 4, tok)
    assert pad == {"input_ids": [0] * 4, "input_mask": [0] * 4, "segment_ids": [0] * 4,
                   "label_ids": [0], "is_real_example": [0]}
    pad = cl.convert_single_example(0, cl.PaddingInputExample(), None, 4, tok)
    assert pad["label_ids"] == [0.0]  # regression records hold a float label
    padded = cl.pad_to_multiple([unlabelled] * 5, 4)
    assert len(padded) == 8 and all(isinstance(e, cl.PaddingInputExample) for e in padded[5:])
    assert len(cl.pad_to_multiple([unlabelled] * 4, 4)) == 4
    with pytest.raises(cl.DataError, match=r"example dev-7: label '2' is not one of \['0', '1'\]"):
        cl.convert_single_example(0, cl.InputExample("dev-7", "a", None, "2"), ["0", "1"], 6, tok)
    with pytest.raises(ValueError, match=r"max_seq_length=2 cannot hold \[CLS\] and \[SEP\] twice"):
        cl.convert_single_example(0, cl.InputExample("g", "a", "b", "0"), ["0", "1"], 2, tok)
    assert len(cl.convert_examples_to_features([unlabelled] * 3, ["0", "1"], 6, tok)) == 3


def test_features_match_model_garden_copy_of_the_original(tok):
    """official.nlp.data.classifier_data_lib.convert_single_example is the original's code."""
    mg = pytest.importorskip("official.nlp.data.classifier_data_lib")
    rng = random.Random(0)
    words = TINY_WORDS[5:] + ["zebra", "Unaffable", "RUNNING", "wanted"]
    labels = ["contradiction", "entailment", "neutral"]
    for i in range(200):
        a = " ".join(rng.choices(words, k=rng.randint(0, 30)))
        b = " ".join(rng.choices(words, k=rng.randint(0, 30))) if rng.random() < 0.7 else None
        label, max_len = rng.choice(labels), rng.randint(3, 40)
        ours = cl.convert_single_example(10, cl.InputExample(f"g{i}", a, b, label), labels,
                                         max_len, tok)
        theirs = mg.convert_single_example(10, mg.InputExample(f"g{i}", a, b, label), labels,
                                           max_len, tok)
        assert ours["input_ids"] == theirs.input_ids, (a, b, max_len)
        assert ours["input_mask"] == theirs.input_mask
        assert ours["segment_ids"] == theirs.segment_ids
        assert ours["label_ids"] == [theirs.label_id]


# ---------------------------------------------------------------------------
# TFRecords and the cache.

def test_record_round_trip(tok, tmp_path):
    path = str(tmp_path / "eval.tf_record")
    examples = [cl.InputExample("a", "The quick brown fox", "jumps over the lazy dog!", "1"),
                cl.InputExample("b", "a cat", None, "0"), cl.PaddingInputExample()]
    assert cl.file_based_convert_examples_to_features(examples, ["0", "1"], 10, tok, path) == 3
    batch = next(iter(records.dataset([path], cl.name_to_features(10), 8, is_training=False)))
    assert set(batch) == {"input_word_ids", "input_mask", "input_type_ids", "label_ids",
                          "is_real_example"}
    assert all(t.dtype == tf.int32 for t in batch.values())
    np.testing.assert_array_equal(batch["input_word_ids"], [
        ids("[CLS]", "the", "quick", "brown", "fox", "[SEP]", "jumps", "over", "the", "[SEP]"),
        ids("[CLS]", "a", "cat", "[SEP]") + [0] * 6, [0] * 10])
    np.testing.assert_array_equal(batch["input_type_ids"][0], [0] * 6 + [1] * 4)
    np.testing.assert_array_equal(batch["input_mask"][1], [1] * 4 + [0] * 6)
    np.testing.assert_array_equal(batch["label_ids"][:, 0], [1, 0, 0])
    np.testing.assert_array_equal(batch["is_real_example"][:, 0], [1, 1, 0])
    # The records use the original's feature names and types.
    raw = tf.train.Example.FromString(next(iter(tf.data.TFRecordDataset(path))).numpy())
    assert set(raw.features.feature) == {"input_ids", "input_mask", "segment_ids", "label_ids",
                                         "is_real_example"}
    assert raw.features.feature["label_ids"].int64_list.value == [1]
    meta = json.loads(pathlib.Path(path + ".json").read_text())
    assert meta["max_seq_length"] == 10 and meta["label_list"] == ["0", "1"]
    assert meta["num_examples"] == 3 and meta["num_real_examples"] == 2
    assert meta["num_truncated"] == 1 and meta["do_lower_case"] is True
    assert meta["vocab_size"] == len(TINY_WORDS) and meta["vocab_file"] == tok.vocab_file


def test_regression_records(tok, tmp_path):
    path = str(tmp_path / "r.tf_record")
    examples = [cl.InputExample("g", "a cat", "a dog", 3.8), cl.InputExample("h", "a", "b", None)]
    cl.file_based_convert_examples_to_features(examples, None, 8, tok, path)
    raw = tf.train.Example.FromString(next(iter(tf.data.TFRecordDataset(path))).numpy())
    assert raw.features.feature["label_ids"].float_list.value == pytest.approx([3.8])
    batch = next(iter(records.dataset([path], cl.name_to_features(8, is_regression=True), 4,
                                      is_training=False)))
    assert batch["label_ids"].dtype == tf.float32
    np.testing.assert_allclose(batch["label_ids"][:, 0], [3.8, 0.0], rtol=1e-6)


def test_cache_reuses_only_identical_inputs(tok, tiny_vocab_file, tmp_path):
    path = tmp_path / "train.tf_record"
    sidecar = pathlib.Path(str(path) + ".json")
    examples = [cl.InputExample("a", "the cat sat", None, "1"),
                cl.InputExample("b", "a dog", None, "0")]

    def build(exs=examples, labels=("0", "1"), max_len=8, tokenizer=tok):
        cl.file_based_convert_examples_to_features(exs, list(labels), max_len, tokenizer, str(path))
        return path.stat().st_mtime_ns, path.read_bytes()

    first, content = build()
    assert build() == (first, content)  # same inputs: reused, not rewritten
    changes = [dict(max_len=9), dict(labels=("1", "0")),
               dict(exs=[examples[0], cl.InputExample("b", "a dog", None, "1")]),
               dict(exs=examples[:1]), dict(tokenizer=FullTokenizer(tiny_vocab_file, False))]
    for change in changes:
        stamp, _ = build(**change)
        assert stamp != first, change  # any other input: rebuilt
        first, _ = build()  # back to the original inputs: rebuilt again
    # A vocab with the same words in another order gives other ids: rebuilt.
    other_vocab = tmp_path / "vocab.txt"
    other_vocab.write_text("\n".join(TINY_WORDS[:5] + TINY_WORDS[5:][::-1]) + "\n")
    stamp, other = build(tokenizer=FullTokenizer(str(other_vocab)))
    assert stamp != first and other != content
    first, _ = build()
    # Records with no sidecar (the original's, say) or a sidecar that does not describe
    # them (a crash between the two writes) are never trusted.
    sidecar.unlink()
    stamp, _ = build()
    assert stamp != first and sidecar.exists()
    path.write_bytes(b"")
    stamp, again = build()
    assert again == content


# ---------------------------------------------------------------------------
# The bundled demo data (data/sentiment, SST-2 format).

def _normalized(text: str) -> str:
    return re.sub(r"\W+", " ", text.lower()).strip()


def test_bundled_sentiment_data_reads_as_sst2():
    p = cl.get_processor("sst-2")
    d = str(SENTIMENT)
    train, dev, test = p.get_train_examples(d), p.get_dev_examples(d), p.get_test_examples(d)
    assert (len(train), len(dev), len(test)) == (407, 100, 100)
    gold = [row.split("\t") for row in
            (SENTIMENT / "test_labels.tsv").read_text(encoding="utf-8").splitlines()[1:]]
    assert [i for i, _ in gold] == [str(i) for i in range(100)]
    assert [e.guid for e in test] == [f"test-{i + 1}" for i in range(100)]
    for split in (train, dev, [cl.InputExample("", e.text_a, None, g) for e, (_, g) in
                               zip(test, gold)]):
        counts = {label: sum(e.label == label for e in split) for label in ("0", "1")}
        assert abs(counts["0"] - counts["1"]) <= 5, counts  # balanced classes
    texts = [_normalized(e.text_a) for e in train + dev + test]
    assert len(set(texts)) == len(texts)  # no duplicates, within or across splits
    lengths = [len(e.text_a) for e in train]
    assert min(lengths) < 20 and max(lengths) > 120  # short and long sentences
