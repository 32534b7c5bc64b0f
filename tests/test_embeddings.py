"""Sentence embeddings: pooling against numpy, MiniLM against sentence-transformers goldens
(tests/data/embeddings, made by benchmarks/make_embedding_goldens.py; no torch here)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import tensorflow as tf

from bert_tf import embeddings
from conftest import REPO
from test_extract_features import run_script

GOLDEN = REPO / "tests" / "data" / "embeddings" / "minilm_mean_normalized.npz"


def _numpy_pool(x, mask, pooling):
    if pooling == "cls":
        return x[:, 0]
    rows = [h[m.astype(bool)] for h, m in zip(x, mask)]
    return np.stack([r.mean(0) if pooling == "mean" else r.max(0) for r in rows])


@pytest.mark.parametrize("pooling", ["cls", "mean", "max"])
def test_pool_matches_numpy(pooling):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 7, 5)).astype(np.float32) - 3.0  # negative: padding must not win max
    mask = np.array([[1] * 7, [1, 1, 1, 0, 0, 0, 0], [1, 0, 0, 0, 0, 0, 0]], np.int32)
    got = embeddings.pool(tf.constant(x), tf.constant(mask), pooling).numpy()
    np.testing.assert_allclose(got, _numpy_pool(x, mask, pooling), atol=1e-6)
    unit = embeddings.l2_normalize(tf.constant(got)).numpy()
    np.testing.assert_allclose(unit, got / np.linalg.norm(got, axis=1, keepdims=True), atol=1e-6)


def test_pooler_and_bad_pooling():
    pooled = tf.ones([2, 4])
    out = embeddings.embed({"sequence_output": tf.zeros([2, 3, 4]), "pooled_output": pooled},
                           tf.ones([2, 3]), "pooler", normalize=True)
    np.testing.assert_allclose(out.numpy(), np.full((2, 4), 0.5), atol=1e-6)
    with pytest.raises(Exception, match="--pooling='sum'"):
        embeddings.pool(tf.zeros([1, 2, 3]), tf.ones([1, 2]), "sum")


def _extract(minilm, tmp_path, sentences, *flags):
    (tmp_path / "in.txt").write_text("\n".join(sentences) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    r = run_script("extract_features.py", f"--input_file={tmp_path / 'in.txt'}",
                   f"--output_file={out}", f"--init_checkpoint={minilm}", "--batch_size=4", *flags)
    assert r.returncode == 0, r.stderr[-3000:]
    return out


@pytest.mark.slow
def test_mean_normalize_equals_sentence_transformers(minilm, tmp_path):
    with np.load(GOLDEN) as g:
        sentences, expected = [str(s) for s in g["sentences"]], g["embeddings"]
        seq = int(g["max_seq_length"])
    out = _extract(minilm, tmp_path, sentences, "--pooling=mean", "--normalize",
                   "--output_format=npy", f"--max_seq_length={seq}")
    got = np.load(out)
    assert got.shape == expected.shape and got.dtype == np.float32
    np.testing.assert_allclose(got, expected, atol=1e-5)


@pytest.mark.slow
def test_pooled_jsonl_equals_npy_and_per_token_output(minilm, tmp_path):
    sentences = ["The cat sat on the mat.", "A dull, lifeless film ||| with terrible dialogue."]
    tokens = _extract(minilm, tmp_path, sentences, "--layers=-1")
    rows = [json.loads(line) for line in tokens.read_text().splitlines()]
    for pooling in ("cls", "mean", "max"):
        out = _extract(minilm, tmp_path, sentences, f"--pooling={pooling}")
        pooled = [json.loads(line) for line in out.read_text().splitlines()]
        assert [p["linex_index"] for p in pooled] == [0, 1]
        for row, p in zip(rows, pooled):
            x = np.array([[f["layers"][0]["values"] for f in row["features"]]])
            expected = _numpy_pool(x, np.ones(x.shape[:2]), pooling)[0]
            np.testing.assert_allclose(p["values"], expected, atol=2e-6)
    npy = np.load(_extract(minilm, tmp_path, sentences, "--pooling=max", "--output_format=npy"))
    np.testing.assert_allclose(npy, [p["values"] for p in pooled], atol=0)


@pytest.mark.slow
def test_pooling_flag_errors(minilm, tmp_path):
    (tmp_path / "in.txt").write_text("hello\n")
    for flags, message in ((["--normalize"], "need --pooling"),
                           (["--output_format=npy"], "need --pooling"),
                           (["--pooling=mean", "--layers=-1,-2"], "takes one layer")):
        r = run_script("extract_features.py", f"--input_file={tmp_path / 'in.txt'}",
                       f"--output_file={tmp_path / 'o'}", f"--init_checkpoint={minilm}", *flags)
        assert r.returncode == 2 and message in r.stderr, r.stderr[-2000:]


def test_embed_signature_round_trip(tiny_config, tiny_vocab_file, tmp_path):
    from bert_tf import export, models
    from bert_tf.text import BertPreprocessor

    encoder = models.BertEncoder(tiny_config)
    pre = BertPreprocessor(tiny_vocab_file, seq_length=16)
    texts = tf.constant(["the cat sat on the mat .", "hello world", ""])
    ids = pre(texts)
    out = encoder(ids, training=False)
    for pooling in ("cls", "mean", "max", "pooler"):
        path = str(tmp_path / pooling)
        export.export_model(export.ServingModule(encoder, "encoder", pre, pooling=pooling,
                                                 normalize=True), path)
        served = tf.saved_model.load(path).signatures["embed"](text_a=texts)["embeddings"].numpy()
        x, mask = out["sequence_output"].numpy(), ids["input_mask"].numpy()
        expected = (out["pooled_output"].numpy() if pooling == "pooler"
                    else _numpy_pool(x, mask, pooling))
        expected /= np.linalg.norm(expected, axis=1, keepdims=True)
        np.testing.assert_allclose(served, expected, atol=1e-5)
