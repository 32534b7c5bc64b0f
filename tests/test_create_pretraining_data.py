"""create_pretraining_data: hand-derived golden instances, records, sharding, errors.

The golden instances below were derived by stepping through the original
algorithm's draws by hand (the derivations are in the comments) and agree with
the original script's output for the same corpus, vocab and seed.

Vocabularies: the tiny corpus uses the 23-token vocab below. Tests on the
bundled data/sample_text.txt build a small wordpiece vocab from the corpus
(`corpus_vocab`), so they run without downloads; one test also uses the real
MiniLM (BERT uncased) vocab when it is installed.
"""

from __future__ import annotations

import collections.abc
import os
import pathlib
import random
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from bert_tf import tokenization
from bert_tf.data import pretraining as pt
from bert_tf.errors import UsageError

REPO = pathlib.Path(__file__).resolve().parents[1]
SAMPLE = REPO / "data" / "sample_text.txt"

CORPUS = """The cat sat on the mat.
The dog ran.

Unaffable John wanted the quick brown fox!
"""
VOCAB = ("[PAD] [UNK] [CLS] [SEP] [MASK] the cat sat on mat dog ran un ##aff ##able john want ##ed "
         "quick brown fox . !").split()
ID = {t: i for i, t in enumerate(VOCAB)}
# After reading (before the document shuffle).
DOC_CAT = [["the", "cat", "sat", "on", "the", "mat", "."], ["the", "dog", "ran", "."]]
DOC_JOHN = [["un", "##aff", "##able", "john", "want", "##ed", "the", "quick", "brown", "fox", "!"]]


@pytest.fixture
def tiny(tmp_path):
    corpus, vocab = tmp_path / "corpus.txt", tmp_path / "vocab.txt"
    corpus.write_text(CORPUS, encoding="utf-8")
    vocab.write_text("\n".join(VOCAB) + "\n", encoding="utf-8")
    return str(corpus), str(vocab)


def tiny_options(**kw) -> pt.PretrainingOptions:
    base = dict(max_predictions_per_seq=2, masked_lm_prob=0.2, short_seq_prob=0.0, dupe_factor=1)
    base.update(kw)
    return pt.PretrainingOptions(**base)



def read_records(path) -> list[bytes]:
    return [r.numpy() for r in tf.data.TFRecordDataset(str(path))]


class RecordingRandom(random.Random):
    """random.Random that logs its public draws. Overriding getrandbits too keeps
    shuffle/randint on the same bit stream as a plain Random (see __init_subclass__)."""

    def __init__(self, seed):
        self.calls = []
        super().__init__(seed)

    def getrandbits(self, k):
        return super().getrandbits(k)

    def random(self):
        self.calls.append(("random",))
        return super().random()

    def randint(self, a, b):
        self.calls.append(("randint", a, b))
        return super().randint(a, b)

    def shuffle(self, x):
        self.calls.append(("shuffle", len(x)))
        super().shuffle(x)


def tiny_documents(tiny):
    tokenizer = tokenization.FullTokenizer(tiny[1])
    docs = pt.read_documents([tiny[0]], tokenizer)
    assert docs == [DOC_CAT, DOC_JOHN]
    return docs


# ----------------------------------------------------------------------------- golden


def test_golden_per_wordpiece(tiny):
    # seed 1, max_seq_length 32 (so max_num_tokens = target = 29), 2 predictions.
    # Draws (from random.Random(1)): shuffle(2) swaps the documents -> [JOHN, CAT].
    # JOHN: random() .569 (short-seq test, prob 0); one sentence -> A = it, B random
    #   with no draw; target_b = 29 - 11 = 18; randint(0,1) = 0 is this document,
    #   retry -> 1 (CAT); randint(0,1) start = 0: both CAT sentences (11 < 18).
    #   25 tokens, no truncation; num_to_predict = min(2, round(25 * .2)) = 2;
    #   shuffle(22 candidates) puts candidate 2 (pos 3 "##able") and 16 (pos 18 "mat")
    #   first; random() .022 and .650 < .8 -> both [MASK].
    # CAT: random() .009 (short-seq, prob 0); 2 sentences -> randint(1,1) = 1;
    #   random() .687 >= .5 -> actual next. 14 tokens, num_to_predict 2;
    #   shuffle(11) -> candidates 2 (pos 3 "sat"), 9 (pos 11 "ran"); .677, .761 -> [MASK].
    # Final shuffle(2) keeps the order.
    docs = tiny_documents(tiny)
    out = pt.create_training_instances(docs, VOCAB, tiny_options(max_seq_length=32),
                                       random.Random(1))
    assert [str(i) for i in out] == [str(i) for i in [
        pt.TrainingInstance(
            "[CLS] un ##aff [MASK] john want ##ed the quick brown fox ! [SEP] "
            "the cat sat on the [MASK] . the dog ran . [SEP]".split(),
            [0] * 13 + [1] * 12, [3, 18], ["##able", "mat"], True),
        pt.TrainingInstance(
            "[CLS] the cat [MASK] on the mat . [SEP] the dog [MASK] . [SEP]".split(),
            [0] * 9 + [1] * 5, [3, 11], ["sat", "ran"], False),
    ]]


# seed 10, whole-word masking, max_seq_length 16 (max_num_tokens 13), 3 predictions.
GOLDEN_WWM_DRAWS = [
    ("shuffle", 2),                           # documents -> [JOHN, CAT]
    ("random",),                              # JOHN: short-seq test (.429)
    ("randint", 0, 1), ("randint", 0, 1), ("randint", 0, 1),  # 0, 0 (itself), 1 = CAT
    ("randint", 0, 1),                        # start sentence 1: "the dog ran ." (4 >= 13-11)
    ("random",), ("random",),                 # truncate A (11 > 4): .824, .654 -> pop "!", "fox"
    ("shuffle", 10),                          # whole-word candidates: [un ##aff ##able] [john]
                                              #   [want ##ed] [the] [quick] [brown] + 4 of B
    ("random",), ("random",), ("randint", 0, 22),  # "the": .860 -> .603 -> random word 12 "un"
    ("random",),                              # "quick": .421 -> [MASK]
    ("random",), ("random",),                 # "brown": .827 -> .262 -> kept
    ("random",),                              # CAT: short-seq test (.175)
    ("randint", 1, 1), ("random",),           # a_end 1; .662 -> actual next; no truncation
    ("shuffle", 11),                          # candidates: pos 2 "cat", 12 ".", 6 "mat" first
    ("random",),                              # "cat": .195 -> [MASK]
    ("random",), ("random",), ("randint", 0, 22),  # ".": .910 -> .536 -> word 7 "sat"
    ("random",),                              # "mat": .314 -> [MASK]
    ("shuffle", 2),                           # instances (order kept)
]
GOLDEN_WWM = [
    pt.TrainingInstance(
        "[CLS] un ##aff ##able john want ##ed un [MASK] brown [SEP] the dog ran . [SEP]".split(),
        [0] * 11 + [1] * 5, [7, 8, 9], ["the", "quick", "brown"], True),
    pt.TrainingInstance(
        "[CLS] the [MASK] sat on the [MASK] . [SEP] the dog ran sat [SEP]".split(),
        [0] * 9 + [1] * 5, [2, 6, 12], ["cat", "mat", "."], False),
]


def test_golden_whole_word_mask_draws(tiny):
    rng = RecordingRandom(10)
    out = pt.create_training_instances(
        tiny_documents(tiny), VOCAB,
        tiny_options(max_seq_length=16, max_predictions_per_seq=3, do_whole_word_mask=True), rng)
    assert rng.calls == GOLDEN_WWM_DRAWS
    assert [str(i) for i in out] == [str(i) for i in GOLDEN_WWM]


def test_golden_records(tiny, tmp_path):
    out = tmp_path / "out.tfrecord"
    stats = pt.create_pretraining_data(
        tiny[0], str(out), tiny[1], True,
        tiny_options(max_seq_length=16, max_predictions_per_seq=3, do_whole_word_mask=True),
        random_seed=10)
    assert (stats.documents, stats.instances, stats.output_files) == (2, 2, [str(out)])
    spec = pt.name_to_features(16, 3)
    assert {k: (v.shape, v.dtype) for k, v in spec.items()} == {
        "input_ids": ([16], tf.int64), "input_mask": ([16], tf.int64),
        "segment_ids": ([16], tf.int64), "masked_lm_positions": ([3], tf.int64),
        "masked_lm_ids": ([3], tf.int64), "masked_lm_weights": ([3], tf.float32),
        "next_sentence_labels": ([1], tf.int64)}
    parsed = [tf.io.parse_single_example(r, spec) for r in read_records(out)]
    first, second = ({k: v.numpy().tolist() for k, v in p.items()} for p in parsed)
    assert first == {
        "input_ids": [ID[t] for t in GOLDEN_WWM[0].tokens],
        "input_mask": [1] * 16, "segment_ids": [0] * 11 + [1] * 5,
        "masked_lm_positions": [7, 8, 9], "masked_lm_ids": [ID["the"], ID["quick"], ID["brown"]],
        "masked_lm_weights": [1.0, 1.0, 1.0], "next_sentence_labels": [1]}
    assert second == {
        "input_ids": [ID[t] for t in GOLDEN_WWM[1].tokens] + [0, 0],
        "input_mask": [1] * 14 + [0, 0], "segment_ids": [0] * 9 + [1] * 5 + [0, 0],
        "masked_lm_positions": [2, 6, 12], "masked_lm_ids": [ID["cat"], ID["mat"], ID["."]],
        "masked_lm_weights": [1.0, 1.0, 1.0], "next_sentence_labels": [0]}


# ----------------------------------------------------------------------------- pieces


class FixedRandom:
    def __init__(self, values):
        self.values = list(values)

    def random(self):
        return self.values.pop(0)


def test_truncate_seq_pair_sides_and_ties():
    a, b = list("abcdef"), list("xyz")
    # A longer: .1 -> front ("a"), .9 -> back ("f"); then 4 vs 3: .9 -> back ("e"); 3 vs 3:
    # a tie trims B: .1 -> front ("x").
    rng = FixedRandom([0.1, 0.9, 0.9, 0.1])
    assert pt.truncate_seq_pair(a, b, 5, rng) == (list("bcd"), list("yz"))
    assert rng.values == []
    assert pt.truncate_seq_pair(a, b, 9, FixedRandom([])) == (a, b)


class CountingTokens(collections.abc.Sequence):
    """A read-only token sequence that counts the elements read from it."""

    def __init__(self, tokens):
        self.tokens, self.reads = tokens, 0

    def __len__(self):
        return len(self.tokens)

    def __getitem__(self, i):
        out = self.tokens[i]
        self.reads += len(out) if isinstance(i, slice) else 1
        return out


class CountingRandom(random.Random):
    draws = 0

    def random(self):
        self.draws += 1
        return super().random()


def test_truncate_reads_only_what_it_keeps():
    # The original copies the sentence and deletes from its front one token at a time
    # (quadratic); this costs one draw per removed token and reads only the kept ones.
    a, b = CountingTokens(["w"] * 200_000), CountingTokens(["v"] * 3)
    rng = CountingRandom(0)
    out_a, out_b = pt.truncate_seq_pair(a, b, 125, rng)
    assert (len(out_a), len(out_b)) == (122, 3)
    assert rng.draws == 200_003 - 125
    assert a.reads + b.reads == 125


@pytest.mark.parametrize("n_tokens, prob, max_pred, expected", [
    (10, 0.15, 20, 2),   # round(1.5) = 2 (round half to even)
    (25, 0.15, 20, 4),   # round(3.75)
    (5, 0.15, 20, 1),    # max(1, round(.75))
    (3, 0.0, 20, 1),     # at least one
    (128, 0.15, 5, 5),   # capped by max_predictions_per_seq
])
def test_number_of_predictions(n_tokens, prob, max_pred, expected):
    tokens = ["[CLS]"] + [f"w{i}" for i in range(n_tokens - 2)] + ["[SEP]"]
    _, positions, labels = pt.create_masked_lm_predictions(
        tokens, prob, max_pred, ["w0"], random.Random(3))
    assert len(positions) == expected
    assert positions == sorted(positions) and 0 not in positions and n_tokens - 1 not in positions
    assert labels == [tokens[p] for p in positions]


def test_mask_replacement_rates():
    # 80% [MASK], 10% kept, 10% random vocabulary word, per masked wordpiece.
    rng, counts = random.Random(0), collections.Counter()
    vocab = [f"v{i}" for i in range(50)]
    for _ in range(3000):
        tokens = ["[CLS]"] + [f"t{i}" for i in range(20)] + ["[SEP]"]
        out, positions, labels = pt.create_masked_lm_predictions(tokens, 0.15, 20, vocab, rng)
        for p, label in zip(positions, labels):
            counts["mask" if out[p] == "[MASK]" else "keep" if out[p] == label else "random"] += 1
    total = sum(counts.values())
    assert abs(counts["mask"] / total - 0.8) < 0.02
    assert abs(counts["keep"] / total - 0.1) < 0.015
    assert abs(counts["random"] / total - 0.1) < 0.015


def original_tokens(features: dict, inv_vocab: dict) -> list[str]:
    n = sum(features["input_mask"])
    tokens = [inv_vocab[i] for i in features["input_ids"][:n]]
    for p, label, w in zip(features["masked_lm_positions"], features["masked_lm_ids"],
                           features["masked_lm_weights"]):
        if w:
            tokens[p] = inv_vocab[label]
    return tokens


def words_partly_masked(features: dict, inv_vocab: dict) -> int:
    """Words ([w, ##x, ##y] runs) with some but not all pieces masked."""
    tokens = original_tokens(features, inv_vocab)
    masked = {p for p, w in zip(features["masked_lm_positions"], features["masked_lm_weights"])
              if w}
    words, partial = [], 0
    for i, t in enumerate(tokens):
        if t in ("[CLS]", "[SEP]"):
            continue
        if t.startswith("##") and words:
            words[-1].append(i)
        else:
            words.append([i])
    for word in words:
        hit = sum(i in masked for i in word)
        partial += 0 < hit < len(word)
    return partial


@pytest.mark.parametrize("wwm", [True, False])
def test_whole_word_masking_property(tmp_path, sample_vocab, wwm):
    out = tmp_path / "out.tfrecord"
    pt.create_pretraining_data(str(SAMPLE), str(out), sample_vocab,
                               options=pt.PretrainingOptions(dupe_factor=2, do_whole_word_mask=wwm))
    inv = {i: t for t, i in tokenization.load_vocab(sample_vocab).items()}
    records = [pt.decode_record(r) for r in read_records(out)]
    multi_piece = sum(1 for f in records for t in original_tokens(f, inv) if t.startswith("##"))
    assert multi_piece > 1000  # the vocab really splits words
    partial = sum(words_partly_masked(f, inv) for f in records)
    # A whole word that would overshoot the budget is skipped, so wwm may mask fewer.
    budget = [min(20, max(1, round(sum(f["input_mask"]) * 0.15))) for f in records]
    masked = [int(sum(f["masked_lm_weights"])) for f in records]
    if wwm:
        assert partial == 0
        assert all(m <= b for m, b in zip(masked, budget))
    else:  # per-wordpiece masking splits words: the check above can fail
        assert partial > 20
        assert masked == budget


def test_minilm_vocab_on_sample(minilm, tmp_path):
    out = tmp_path / "out.tfrecord"
    stats = pt.create_pretraining_data(str(SAMPLE), str(out), str(minilm / "vocab.txt"),
                                       options=pt.PretrainingOptions(dupe_factor=1,
                                                                     do_whole_word_mask=True))
    inv = {i: t for t, i in tokenization.load_vocab(str(minilm / "vocab.txt")).items()}
    records = [pt.decode_record(r) for r in read_records(out)]
    assert stats.documents == 47 and len(records) == stats.instances > 100
    assert sum(words_partly_masked(f, inv) for f in records) == 0
    # The bundled corpus is plain English: the BERT uncased vocab covers it.
    tokens = [t for f in records for t in original_tokens(f, inv)]
    assert tokens.count("[UNK]") == 0


# ----------------------------------------------------------------------------- reading


def test_reader_quirks_match_original(tmp_path, tiny):
    # The original reads through TF's line reader: every "\r" is dropped (joining
    # "ca\rt" into "cat"), documents continue across files without a blank line,
    # whitespace-only lines separate documents, lines that tokenize to nothing vanish.
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_bytes(b"\r\nThe ca\rt sat.\r\n \t\r\nthe dog\n\x01\x02\nran")
    b.write_bytes("fox!\n\u3000\n\nJohn.\n".encode("utf-8"))
    docs = pt.read_documents([str(a), str(b)], tokenization.FullTokenizer(tiny[1]))
    assert docs == [[["the", "cat", "sat", "."]], [["the", "dog"], ["ran"], ["fox", "!"]],
                    [["john", "."]]]


def test_invalid_utf8_names_file_and_line(tmp_path, tiny):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"the cat\n\nthe \xff dog\n")
    with pytest.raises(ValueError, match=r"--input_file: '.*bad.txt' line 3 is not UTF-8"):
        pt.create_pretraining_data(str(bad), str(tmp_path / "o"), tiny[1])


def test_pretraining_dataset(tiny, tmp_path):
    out = tmp_path / "out.tfrecord"
    pt.create_pretraining_data(tiny[0], str(out), tiny[1], True,
                               tiny_options(max_seq_length=16, max_predictions_per_seq=3,
                                            dupe_factor=3), random_seed=10)
    assert len(read_records(out)) == 9
    for is_training in (True, False):
        ds = pt.pretraining_dataset([str(out)], 16, 3, batch_size=4, is_training=is_training,
                                    seed=1)
        batches = list(ds.take(4))  # repeats: 16 examples from 9 records, in full batches
        assert len(batches) == 4
        for batch in batches:
            assert {k: (v.dtype, tuple(v.shape)) for k, v in batch.items()} == {
                "input_word_ids": (tf.int32, (4, 16)), "input_mask": (tf.int32, (4, 16)),
                "input_type_ids": (tf.int32, (4, 16)), "masked_lm_positions": (tf.int32, (4, 3)),
                "masked_lm_ids": (tf.int32, (4, 3)), "masked_lm_weights": (tf.float32, (4, 3)),
                "next_sentence_labels": (tf.int32, (4, 1))}
    first = next(iter(pt.pretraining_dataset([str(out)], 16, 3, 6, is_training=False)))
    expected = [pt.decode_record(r) for r in read_records(out)]
    np.testing.assert_array_equal(first["input_word_ids"], [e["input_ids"] for e in expected[:6]])


# ----------------------------------------------------------------------------- runs


def test_same_seed_same_bytes(tmp_path, sample_vocab):
    paths = [tmp_path / f"run{i}.tfrecord" for i in range(3)]
    opts = pt.PretrainingOptions(dupe_factor=2, max_seq_length=64)
    for path, seed in zip(paths, (7, 7, 8)):
        pt.create_pretraining_data(str(SAMPLE), str(path), sample_vocab, options=opts,
                                   random_seed=seed)
    data = [p.read_bytes() for p in paths]
    assert data[0] == data[1]
    assert data[0] != data[2]


def test_several_output_files_round_robin(tmp_path, sample_vocab):
    opts = pt.PretrainingOptions(dupe_factor=1)
    one = tmp_path / "one.tfrecord"
    three = [tmp_path / f"part{i}.tfrecord" for i in range(3)]
    pt.create_pretraining_data(str(SAMPLE), str(one), sample_vocab, options=opts)
    pt.create_pretraining_data(str(SAMPLE), ",".join(map(str, three)), sample_vocab, options=opts)
    all_records = read_records(one)
    for i, path in enumerate(three):
        assert read_records(path) == all_records[i::3]


def test_sharded_mode_is_per_shard_original(tmp_path, sample_vocab):
    # 47 documents, 10 per shard -> shards start at documents 0, 10, 20, 30, 40; the
    # last (7 documents) is kept since it has at least half of docs_per_shard.
    opts = pt.PretrainingOptions(dupe_factor=2, max_seq_length=64)
    prefix = tmp_path / "sharded"
    stats = pt.create_pretraining_data(str(SAMPLE), str(prefix), sample_vocab, options=opts,
                                       random_seed=5, docs_per_shard=10)
    names = [f"{prefix}-{k:05d}-of-00005" for k in range(5)]
    assert stats.output_files == names and stats.documents == 47
    assert sorted(os.listdir(tmp_path)) == sorted(os.path.basename(n) for n in names)

    # Each shard is the original algorithm run on just its documents, seeded per shard.
    tokenizer = tokenization.FullTokenizer(sample_vocab)
    docs = pt.read_documents([str(SAMPLE)], tokenizer)
    encoder = pt.InstanceEncoder(tokenizer.vocab, 64, 20)
    bounds = [0, 10, 20, 30, 40, 47]
    for k, name in enumerate(names):
        expected = pt.create_training_instances(
            docs[bounds[k]:bounds[k + 1]], list(tokenizer.vocab), opts,
            random.Random(pt.shard_seed(5, k)), encoder)
        assert read_records(name) == expected
    assert stats.instances == sum(len(read_records(n)) for n in names)

    # docs_per_shard 20: shards 0-19, 20-46 (7 leftover documents are folded in).
    stats = pt.create_pretraining_data(str(SAMPLE), str(tmp_path / "b"), sample_vocab,
                                       options=opts, random_seed=5, docs_per_shard=20)
    assert [os.path.basename(p) for p in stats.output_files] == ["b-00000-of-00002",
                                                                 "b-00001-of-00002"]


def test_shards_stream_from_their_start(tmp_path, tiny):
    # Shard starts are (file, byte offset) positions found in one streaming pass;
    # a worker reads from its start only. Documents may span files.
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text("d0 one\nd0 two\n\n\nd1 one\n\nd2 one\n", encoding="utf-8")
    b.write_text("d2 two\n\nd3 one\n", encoding="utf-8")
    files = [str(a), str(b)]
    plans, count = pt.plan_shards(files, 2)
    assert count == 4
    assert [(p.start.file_index, p.start.offset, p.num_documents, p.num_chars)
            for p in plans] == [(0, 0, 2, 18), (0, 24, 2, 18)]
    docs = [lines for _, lines in pt._raw_documents(files, plans[1].start)]
    assert docs == [["d2 one", "d2 two"], ["d3 one"]]
    # The text budget closes shards early (here at 12 characters); the last shard
    # (6 characters, not less than half the budget) stays on its own.
    plans, _ = pt.plan_shards(files, 10, max_shard_chars=12)
    assert [(p.start.file_index, p.start.offset, p.num_documents) for p in plans] == [
        (0, 0, 1), (0, 16, 2), (1, 8, 1)]
    # 3 per shard: the last shard would have 1 document (< 3 / 2), so it is folded in.
    plans, _ = pt.plan_shards(files, 3)
    assert [(p.start.offset, p.num_documents) for p in plans] == [(0, 4)]


def test_sharded_input_split_across_files(tmp_path, sample_vocab):
    # The same text cut into three files inside documents gives the same shards: a
    # document goes on into the next file. (A file end does end a line.)
    data = SAMPLE.read_bytes()
    cuts = [data.index(b"\n", 9000) + 1, data.index(b"\n", 20000) + 1]
    assert data[cuts[0]:cuts[0] + 1] != b"\n" and data[cuts[1]:cuts[1] + 1] != b"\n"
    parts = [tmp_path / f"part{i}.txt" for i in range(3)]
    for path, piece in zip(parts, [data[:cuts[0]], data[cuts[0]:cuts[1]], data[cuts[1]:]]):
        path.write_bytes(piece)
    opts = pt.PretrainingOptions(dupe_factor=1)
    whole = pt.create_pretraining_data(str(SAMPLE), str(tmp_path / "whole"), sample_vocab,
                                       options=opts, docs_per_shard=10)
    split = pt.create_pretraining_data(",".join(map(str, parts)), str(tmp_path / "split"),
                                       sample_vocab, options=opts, docs_per_shard=10)
    assert len(split.output_files) == len(whole.output_files) == 5
    for a, b in zip(whole.output_files, split.output_files):
        assert read_records(a) == read_records(b)


def test_script_matches_library(tmp_path, tiny):
    out_script, out_lib = tmp_path / "script.tfrecord", tmp_path / "lib.tfrecord"
    flags = dict(max_seq_length=16, max_predictions_per_seq=3, dupe_factor=4,
                 do_whole_word_mask=True, masked_lm_prob=0.2, short_seq_prob=0.3)
    cmd = [sys.executable, str(REPO / "create_pretraining_data.py"), f"--input_file={tiny[0]}",
           f"--output_file={out_script}", f"--vocab_file={tiny[1]}", "--random_seed=3"]
    cmd += [f"--{k}={v}" for k, v in flags.items()]
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    run = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    stats = pt.create_pretraining_data(tiny[0], str(out_lib), tiny[1], True,
                                       pt.PretrainingOptions(**flags), random_seed=3)
    assert "*** Example ***" in run.stderr
    assert f"Wrote {stats.instances} total instances" in run.stderr
    assert out_script.read_bytes() == out_lib.read_bytes()



@pytest.mark.slow
def test_script_num_workers_independent(tmp_path, sample_vocab):
    # --num_workers=2 (spawned worker processes) writes the same shard files as one process;
    # bad flags end the script with a message.
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    cmd = [sys.executable, str(REPO / "create_pretraining_data.py"), f"--input_file={SAMPLE}",
           f"--output_file={tmp_path / 'w2'}", f"--vocab_file={sample_vocab}",
           "--num_workers=2", "--docs_per_shard=10", "--dupe_factor=2"]
    run = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "Shard 5/5 done" in run.stderr or "(5 of 5)" in run.stderr
    stats = pt.create_pretraining_data(str(SAMPLE), str(tmp_path / "w1"), sample_vocab,
                                       options=pt.PretrainingOptions(dupe_factor=2),
                                       num_workers=1, docs_per_shard=10)
    for path in stats.output_files:
        other = path.replace("w1-", "w2-")
        assert pathlib.Path(other).read_bytes() == pathlib.Path(path).read_bytes()

    # A bad flag: a one-line message naming it, exit status 1, no traceback.
    run = subprocess.run(cmd + ["--max_seq_length=4"], capture_output=True, text=True, env=env,
                         timeout=120)
    assert run.returncode != 0
    assert "create_pretraining_data.py: error: --max_seq_length=4: must be at least 5" in run.stderr
    assert "Traceback" not in run.stderr


# ----------------------------------------------------------------------------- errors


def test_errors_name_the_flag_or_file(tmp_path, tiny):
    corpus, vocab = tiny
    out = str(tmp_path / "out.tfrecord")
    blank = tmp_path / "blank.txt"
    blank.write_text("\n  \n\t\n", encoding="utf-8")
    a_file = tmp_path / "a_file"
    a_file.write_text("x")
    no_mask = tmp_path / "no_mask.txt"
    no_mask.write_text("\n".join(t for t in VOCAB if t != "[MASK]") + "\n")
    cases = [
        (dict(input_files=str(tmp_path / "missing*.txt")),
         FileNotFoundError, r"--input_file: no file matches '.*missing\*\.txt'"),
        (dict(input_files=str(tmp_path)), UsageError, "--input_file: .* is a directory"),
        (dict(vocab_file=str(tmp_path / "nope.txt")), tokenization.VocabError,
         r"--vocab_file: vocab file '.*nope.txt' does not exist"),
        (dict(vocab_file=str(no_mask)), tokenization.VocabError, "lacks the \\[MASK\\] token"),
        (dict(input_files=str(blank)), ValueError, r"--input_file: no documents in \[.*blank.txt"),
        (dict(input_files=str(blank), docs_per_shard=5), ValueError, "--input_file: no documents"),
        (dict(output_files=str(a_file / "out.tfrecord")), UsageError,
         r"--output_file: cannot write '.*a_file/out.tfrecord'"),
        (dict(output_files=str(tmp_path)), UsageError, "--output_file: .* is a directory"),
        (dict(output_files="a,b", num_workers=2), ValueError,
         "--output_file: sharded mode .* takes one path"),
        (dict(options=pt.PretrainingOptions(max_seq_length=4)), ValueError,
         "--max_seq_length=4: must be at least 5"),
        (dict(options=pt.PretrainingOptions(masked_lm_prob=1.5)), ValueError, "--masked_lm_prob"),
        (dict(options=pt.PretrainingOptions(dupe_factor=0)), ValueError, "--dupe_factor=0"),
        (dict(num_workers=0), ValueError, "--num_workers=0: must be at least 1"),
    ]
    for overrides, error, message in cases:
        kwargs = dict(input_files=corpus, output_files=out, vocab_file=vocab)
        kwargs.update(overrides)
        with pytest.raises(error, match=message):
            pt.create_pretraining_data(**kwargs)
    assert sorted(os.listdir(tmp_path)) == ["a_file", "blank.txt", "corpus.txt", "no_mask.txt",
                                            "vocab.txt"]  # nothing half-written
