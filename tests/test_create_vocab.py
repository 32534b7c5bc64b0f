"""create_vocab.py / bert_tf.vocab: learned vocab, reserved layout, extension, bad input, end to end."""

from __future__ import annotations

import json
import pathlib

import pytest
import tensorflow as tf

from bert_tf import tokenization, vocab
from bert_tf.errors import UsageError
from conftest import REPO, SAMPLE_TEXT
from test_extract_features import run_script

NUM_UNUSED = 20


@pytest.fixture(scope="module")
def split(tmp_path_factory):
    """data/sample_text.txt: the first 80% of lines to learn from, the rest held out."""
    lines = SAMPLE_TEXT.read_text(encoding="utf-8").splitlines()
    cut = int(len(lines) * 0.8)
    d = tmp_path_factory.mktemp("split")
    (d / "train.txt").write_text("\n".join(lines[:cut]) + "\n", encoding="utf-8")
    return d / "train.txt", [line for line in lines[cut:] if line.strip()]


@pytest.fixture(scope="module")
def learned(split, tmp_path_factory) -> pathlib.Path:
    path = tmp_path_factory.mktemp("vocab") / "vocab.txt"
    r = run_script("create_vocab.py", f"--input_file={split[0]}", f"--output_file={path}",
                   "--vocab_size=1000", f"--num_unused={NUM_UNUSED}")
    assert r.returncode == 0, r.stderr[-2000:]
    return path


def test_reserved_layout_like_the_uncased_vocab(learned, minilm):
    tokens = learned.read_text(encoding="utf-8").splitlines()
    assert tokens[:NUM_UNUSED + 5] == (["[PAD]"] + [f"[unused{i}]" for i in range(NUM_UNUSED)]
                                       + ["[UNK]", "[CLS]", "[SEP]", "[MASK]"])
    assert len(tokens) == len(set(tokens)) <= 1000
    # The released uncased vocab has the same head with 994 unused slots.
    released = (minilm / "vocab.txt").read_text(encoding="utf-8").splitlines()
    assert released[:999] == vocab.reserved_tokens(994)
    assert released[999] == "!"


def test_learned_vocab_tokenizes_held_out_text_in_python_and_in_graph(learned, split):
    from bert_tf.text import BertPreprocessor

    held_out = split[1]
    full = tokenization.FullTokenizer(str(learned), do_lower_case=True)
    expected = [full.convert_tokens_to_ids(full.tokenize(t)) for t in held_out]
    got = BertPreprocessor(str(learned), do_lower_case=True).tokenize(tf.constant(held_out))
    assert got.to_list() == expected
    pieces = [p for t in held_out for p in full.tokenize(t)]
    assert len(pieces) > 100
    assert pieces.count("[UNK]") / len(pieces) < 0.05  # every character of English is learned
    # Lower-casing and accent stripping are BasicTokenizer's: no upper-case piece learned.
    assert all(t == t.lower() for t in learned.read_text(encoding="utf-8").splitlines()
               if not t.startswith("["))


def test_extension_fills_unused_slots_and_keeps_everything_else(learned, tmp_path):
    domain = tmp_path / "domain.txt"
    domain.write_text("The pharmacokinetics of immunohistochemistry.\n" * 5
                      + "Pharmacokinetics again, and electroencephalography once.\n", encoding="utf-8")
    base = learned.read_text(encoding="utf-8").splitlines()
    out = tmp_path / "ext.txt"
    r = run_script("create_vocab.py", f"--input_file={domain}", f"--output_file={out}",
                   f"--base_vocab_file={learned}", "--max_new_tokens=2")
    assert r.returncode == 0, r.stderr[-2000:]
    ext = out.read_text(encoding="utf-8").splitlines()
    assert len(ext) == len(base)
    changed = [i for i, (a, b) in enumerate(zip(base, ext)) if a != b]
    assert changed == [1, 2]  # [unused0], [unused1], in order
    # The two most frequent words that the base vocab splits into >= 3 pieces.
    assert ext[1:3] == ["pharmacokinetics", "immunohistochemistry"]
    assert "added 2 words" in r.stdout
    full = tokenization.FullTokenizer(str(out))
    assert full.tokenize("Pharmacokinetics") == ["pharmacokinetics"]


def test_extension_refuses_too_few_unused_slots(learned, tmp_path):
    r = run_script("create_vocab.py", f"--input_file={SAMPLE_TEXT}",
                   f"--output_file={tmp_path / 'x.txt'}", f"--base_vocab_file={learned}",
                   f"--max_new_tokens={NUM_UNUSED + 1}")
    assert r.returncode == 2
    assert f"only {NUM_UNUSED} [unusedN] slots" in r.stderr
    assert not (tmp_path / "x.txt").exists()
    with pytest.raises(UsageError):
        vocab.extend_vocab(["[PAD]", "[unused0]", "[UNK]"], [str(SAMPLE_TEXT)], 2)


@pytest.mark.parametrize("content, args, message", [
    (None, [], "does not exist"),
    ("\n\n  \n", [], "no text in"),
    ("hello world\n", ["--vocab_size=30", "--num_unused=20"], "smaller than the alphabet"),
    ("hello world\n", ["--vocab_size=20", "--num_unused=20"], "must exceed --num_unused"),
])
def test_bad_input_is_one_clear_line_and_no_file(tmp_path, content, args, message):
    src = tmp_path / "in.txt"
    if content is not None:
        src.write_text(content, encoding="utf-8")
    out = tmp_path / "vocab.txt"
    r = run_script("create_vocab.py", f"--input_file={src}", f"--output_file={out}", *args)
    assert r.returncode == 2, r.stderr[-2000:]
    assert message in r.stderr.strip().splitlines()[-1]
    assert sorted(p.name for p in tmp_path.iterdir()) == ([] if content is None else ["in.txt"])


def test_lines_that_are_not_utf8_are_skipped_and_counted(tmp_path):
    src = tmp_path / "in.txt"
    src.write_bytes(b"hello world\n\xff\xfe broken\nworld peace\n\xc3( also broken\n")
    out = tmp_path / "vocab.txt"
    r = run_script("create_vocab.py", f"--input_file={src}", f"--output_file={out}",
                   "--vocab_size=40", "--num_unused=2")
    assert r.returncode == 0, r.stderr[-2000:]
    assert f"{src}: skipped 2 lines that are not UTF-8 text" in r.stderr
    tokens = out.read_text(encoding="utf-8").splitlines()
    # Only the valid lines' letters are learned: b, k and s appear in the broken lines alone.
    assert {"h", "w", "p", "##d"} <= set(tokens)
    assert not {"b", "k", "s", "##b", "##k", "##s", "("} & set(tokens)


def test_write_is_atomic(tmp_path):
    out = tmp_path / "vocab.txt"
    out.write_text("old\n")

    def tokens():
        yield "a"
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        vocab.write_vocab(tokens(), str(out))
    assert out.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["vocab.txt"]


@pytest.mark.slow
def test_raw_text_to_vocab_to_pretraining_to_classifier(tmp_path):
    """data/sample_text.txt -> create_vocab -> create_pretraining_data -> run_pretraining
    (tiny config, from scratch) -> run_classifier fine-tuned from the pretraining directory."""
    vocab_file = tmp_path / "vocab.txt"
    r = run_script("create_vocab.py", f"--input_file={SAMPLE_TEXT}", f"--output_file={vocab_file}",
                   "--vocab_size=1000", "--num_unused=10")
    assert r.returncode == 0, r.stderr[-2000:]
    records = tmp_path / "examples.tfrecord"
    r = run_script("create_pretraining_data.py", f"--input_file={SAMPLE_TEXT}",
                   f"--output_file={records}", f"--vocab_file={vocab_file}",
                   "--max_seq_length=64", "--max_predictions_per_seq=10", "--dupe_factor=1")
    assert r.returncode == 0, r.stderr[-2000:]
    n = sum(1 for _ in open(vocab_file, encoding="utf-8"))
    config = dict(vocab_size=n, hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                  intermediate_size=64, max_position_embeddings=64, type_vocab_size=2,
                  hidden_act="gelu", hidden_dropout_prob=0.1, attention_probs_dropout_prob=0.1,
                  initializer_range=0.02)
    (tmp_path / "bert_config.json").write_text(json.dumps(config))
    pre = tmp_path / "pretrained"
    r = run_script("run_pretraining.py", f"--input_file={records}", f"--output_dir={pre}",
                   f"--bert_config_file={tmp_path / 'bert_config.json'}",
                   f"--vocab_file={vocab_file}", "--max_seq_length=64",
                   "--max_predictions_per_seq=10", "--train_batch_size=16", "--num_train_steps=4",
                   "--num_warmup_steps=1", "--learning_rate=1e-3", "--do_train")
    assert r.returncode == 0, r.stderr[-2000:]
    assert {"bert_config.json", "vocab.txt"} <= {p.name for p in pre.iterdir()}
    cls = tmp_path / "cls"
    r = run_script("run_classifier.py", "--task_name=sst-2", f"--data_dir={REPO / 'data' / 'sentiment'}",
                   f"--init_checkpoint={pre}", f"--output_dir={cls}", "--do_train", "--do_eval",
                   "--max_seq_length=32", "--train_batch_size=32", "--num_train_epochs=0.2")
    assert r.returncode == 0, r.stderr[-2000:]
    assert "eval_accuracy" in (cls / "eval_results.txt").read_text()


def test_min_count_lets_a_small_corpus_fill_more_of_vocab_size(split, tmp_path):
    """data/sample_text.txt is too small for 3000 tokens at the learner's default bound of
    10 occurrences: the run says so and names --min_count; --min_count=2 learns more."""
    sizes = {}
    for min_count in (10, 2):
        out = tmp_path / f"vocab{min_count}.txt"
        r = run_script("create_vocab.py", f"--input_file={split[0]}", f"--output_file={out}",
                       "--vocab_size=3000", "--num_unused=20", f"--min_count={min_count}")
        assert r.returncode == 0, r.stderr[-2000:]
        sizes[min_count] = len(out.read_text(encoding="utf-8").splitlines())
        if min_count == 10:
            assert f"Learned {sizes[10]} of --vocab_size=3000 tokens" in r.stderr
            assert "Lower --min_count" in r.stderr
    assert sizes[10] < sizes[2] <= 3000
    # A bound below one occurrence is a flag error.
    r = run_script("create_vocab.py", f"--input_file={split[0]}", "--output_file=x",
                   "--min_count=0", "--dry_run")
    assert r.returncode == 2 and "--min_count" in r.stderr


@pytest.mark.parametrize("vocab_size", [1500, 3000])
def test_threshold_search_skips_trials_and_keeps_the_learners_vocab(split, monkeypatch,
                                                                     vocab_size):
    """learn_vocab starts tensorflow-text's threshold bisection below the thresholds whose
    trial vocabularies are provably too small: the vocab bert_vocab_from_dataset learns
    over the whole range, from the last of its trials only."""
    from tensorflow_text.tools.wordpiece_vocab import bert_vocab_from_dataset as bvd
    from tensorflow_text.tools.wordpiece_vocab import wordpiece_tokenizer_learner_lib as learner

    trials, real = [], learner.learn_with_thresh
    monkeypatch.setattr(learner, "learn_with_thresh",
                        lambda counts, thresh, params: trials.append(thresh) or real(
                            counts, thresh, params))
    ours = vocab.learn_vocab([str(split[0])], vocab_size, num_unused=NUM_UNUSED, min_count=2)
    ours_trials = trials[:]
    del trials[:]
    lines = [" ".join(words) for words in vocab.read_words([str(split[0])])]
    full = bvd.bert_vocab_from_dataset(
        tf.data.Dataset.from_tensor_slices(lines).batch(1000), vocab_size,
        vocab.reserved_tokens(NUM_UNUSED), dict(lower_case=False), {"lower_thresh": 2})
    print(f"trials: {len(trials)} -> {len(ours_trials)}")
    assert ours == list(full)
    assert len(ours_trials) < len(trials) and ours_trials == trials[-len(ours_trials):]
