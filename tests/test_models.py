"""Layers and models: the original's formulas (numpy reference), serialization, XLA, mixed precision."""

from __future__ import annotations

import math

import keras
import numpy as np
import pytest
import tensorflow as tf

from bert_tf import layers, models


def _inputs(batch=2, seq=7, vocab=60, seed=0):
    rng = np.random.default_rng(seed)
    ids = rng.integers(5, vocab, size=(batch, seq)).astype(np.int32)
    mask = np.ones((batch, seq), np.int32)
    mask[1, 4:] = 0
    ids[1, 4:] = 0
    types = np.zeros((batch, seq), np.int32)
    types[:, 3:] = 1
    return {"input_word_ids": ids, "input_mask": mask, "input_type_ids": types}


# A direct numpy transcription of the original modeling.py, as the independent reference.
def _np_layer_norm(x, gamma, beta):
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + 1e-12) * gamma + beta


def _np_gelu(x):
    return 0.5 * x * (1.0 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))


def _np_bert(w, cfg, ids, mask, types):
    """w: {TF1 name: array}. Returns (sequence_output, pooled_output)."""
    seq = ids.shape[1]
    x = (w["bert/embeddings/word_embeddings"][ids] + w["bert/embeddings/token_type_embeddings"][types]
         + w["bert/embeddings/position_embeddings"][:seq])
    x = _np_layer_norm(x, w["bert/embeddings/LayerNorm/gamma"], w["bert/embeddings/LayerNorm/beta"])
    n, h = cfg.num_attention_heads, cfg.hidden_size // cfg.num_attention_heads
    adder = (1.0 - mask[:, None, None, :].astype(np.float64)) * -10000.0
    for i in range(cfg.num_hidden_layers):
        p = lambda name: w[f"bert/encoder/layer_{i}/{name}"]  # noqa: E731

        def proj(t, name):
            return t @ p(f"{name}/kernel") + p(f"{name}/bias")

        def heads(t):
            return t.reshape(t.shape[0], seq, n, h).transpose(0, 2, 1, 3)

        q, k, v = (heads(proj(x, f"attention/self/{m}")) for m in ("query", "key", "value"))
        scores = q @ k.transpose(0, 1, 3, 2) * (1.0 / math.sqrt(h)) + adder
        probs = np.exp(scores - scores.max(-1, keepdims=True))
        probs /= probs.sum(-1, keepdims=True)
        ctx = (probs @ v).transpose(0, 2, 1, 3).reshape(x.shape)
        a = _np_layer_norm(proj(ctx, "attention/output/dense") + x,
                           p("attention/output/LayerNorm/gamma"), p("attention/output/LayerNorm/beta"))
        o = proj(_np_gelu(proj(a, "intermediate/dense")), "output/dense")
        x = _np_layer_norm(o + a, p("output/LayerNorm/gamma"), p("output/LayerNorm/beta"))
    pooled = np.tanh(x[:, 0] @ w["bert/pooler/dense/kernel"] + w["bert/pooler/dense/bias"])
    return x, pooled


def _randomize(model, seed=1):
    """Non-trivial weights everywhere (LayerNorm and biases are otherwise 1/0)."""
    rng = np.random.default_rng(seed)
    for v in model.weights:
        v.assign(rng.normal(0, 0.2, v.shape).astype(np.float32) + (1.0 if "gamma" in v.path else 0))


def test_encoder_matches_numpy_transcription_of_original(tiny_config):
    from bert_tf.checkpoints import tf1_variables

    enc = models.BertEncoder(tiny_config)
    _randomize(enc)
    x = _inputs(vocab=tiny_config.vocab_size)
    out = enc(x)
    w = {k: v.numpy().astype(np.float64) for k, v in tf1_variables(enc).items()}
    seq, pooled = _np_bert(w, tiny_config, x["input_word_ids"], x["input_mask"], x["input_type_ids"])
    np.testing.assert_allclose(out["sequence_output"].numpy(), seq, atol=2e-5)
    np.testing.assert_allclose(out["pooled_output"].numpy(), pooled, atol=2e-5)
    assert len(out["encoder_outputs"]) == tiny_config.num_hidden_layers
    np.testing.assert_array_equal(out["encoder_outputs"][-1], out["sequence_output"])


def test_gelu_variants():
    x = np.linspace(-4, 4, 101).astype(np.float32)
    np.testing.assert_allclose(layers.gelu(x), _np_gelu(x.astype(np.float64)), atol=1e-6)
    from scipy.special import erf  # noqa: PLC0415

    exact = 0.5 * x * (1 + erf(x / math.sqrt(2)))
    np.testing.assert_allclose(layers.gelu_exact(x), exact, atol=1e-6)
    assert np.abs(layers.gelu(x) - layers.gelu_exact(x)).max() > 1e-4  # they do differ


def test_mask_constant_is_minus_10000():
    adder = layers.attention_mask_adder(tf.constant([[1, 1, 0]]))
    np.testing.assert_array_equal(adder.numpy().reshape(-1), [0.0, 0.0, -10000.0])


def test_dropout_only_in_training(tiny_config):
    enc = models.BertEncoder(tiny_config)
    x = _inputs(vocab=tiny_config.vocab_size)
    a, b = enc(x)["sequence_output"], enc(x)["sequence_output"]
    np.testing.assert_array_equal(a, b)
    c = enc(x, training=True)["sequence_output"]
    assert np.abs(c - a).max() > 1e-3


def test_pretrainer_heads_formula_and_tied_weights(tiny_config):
    enc = models.BertEncoder(tiny_config)
    pre = models.BertPretrainer(enc)
    _randomize(pre)
    x = _inputs(vocab=tiny_config.vocab_size)
    positions = np.array([[1, 2, 0], [3, 0, 0]], np.int32)
    out = pre({**x, "masked_lm_positions": positions})
    seq = enc(x)["sequence_output"].numpy()
    gathered = np.take_along_axis(seq, positions[..., None], axis=1)
    t = _np_gelu(gathered @ pre.mlm.transform.kernel.numpy() + pre.mlm.transform.bias.numpy())
    t = _np_layer_norm(t, pre.mlm.layer_norm.gamma.numpy(), pre.mlm.layer_norm.beta.numpy())
    logits = t @ enc.embeddings.word_embeddings.numpy().T + pre.mlm.output_bias.numpy()
    np.testing.assert_allclose(out["mlm_logits"], logits, atol=1e-4)
    pooled = enc(x)["pooled_output"].numpy()
    nsp = pooled @ pre.nsp.output_weights.numpy().T + pre.nsp.output_bias.numpy()
    np.testing.assert_allclose(out["nsp_logits"], nsp, atol=1e-5)
    assert pre.nsp.output_weights.shape == (2, tiny_config.hidden_size)
    # The MLM output layer is the word embedding table itself.
    enc.embeddings.word_embeddings.assign(tf.zeros_like(enc.embeddings.word_embeddings))
    out = pre({**x, "masked_lm_positions": positions})
    np.testing.assert_allclose(out["mlm_logits"],
                               np.broadcast_to(pre.mlm.output_bias.numpy(), logits.shape), atol=1e-6)


def _task_models(cfg):
    enc = models.BertEncoder(cfg)
    return {
        "encoder": enc,
        "pretrainer": models.BertPretrainer(enc),
        "classifier": models.BertClassifier(models.BertEncoder(cfg), num_labels=3),
        "span": models.BertSpanLabeler(models.BertEncoder(cfg)),
        "tagger": models.BertTokenTagger(models.BertEncoder(cfg), num_labels=5),
    }


def _call(model, x):
    if isinstance(model, models.BertPretrainer):
        x = {**x, "masked_lm_positions": np.array([[1, 2], [0, 3]], np.int32)}
    out = model(x)
    return {k: v for k, v in out.items() if k != "encoder_outputs"}


@pytest.mark.parametrize("kind", ["encoder", "pretrainer", "classifier", "span", "tagger"])
def test_from_config_and_keras_file_round_trip(tiny_config, tmp_path, kind):
    model = _task_models(tiny_config)[kind]
    x = _inputs(vocab=tiny_config.vocab_size)
    clone = model.__class__.from_config(model.get_config())
    assert len(clone.weights) == len(model.weights)
    assert clone.get_config() == model.get_config()
    path = tmp_path / f"{kind}.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    for k, v in _call(model, x).items():
        np.testing.assert_allclose(_call(loaded, x)[k], v, atol=1e-6)


@pytest.mark.parametrize("cls, args", [
    (layers.BertEmbeddings, dict(vocab_size=20, hidden_size=8)),
    (layers.SelfAttention, dict(num_heads=2, head_size=4)),
    (layers.TransformerBlock, dict(hidden_size=8, num_heads=2, intermediate_size=16)),
    (layers.OutputProjection, dict(units=3, dropout_rate=0.1)),
])
def test_layer_get_config_round_trip(cls, args):
    layer = cls(**args, name="x")
    assert cls.from_config(layer.get_config()).get_config() == layer.get_config()


def test_shapes_of_task_outputs(tiny_config):
    m = _task_models(tiny_config)
    x = _inputs(vocab=tiny_config.vocab_size)
    assert m["classifier"](x)["logits"].shape == (2, 3)
    assert m["span"](x)["start_logits"].shape == (2, 7)
    assert m["tagger"](x)["logits"].shape == (2, 7, 5)


def test_xla_and_tf_function_match_eager(tiny_config):
    enc = models.BertEncoder(tiny_config)
    x = _inputs(vocab=tiny_config.vocab_size)
    eager = enc(x)["sequence_output"]
    for jit in (False, True):
        out = tf.function(lambda t: enc(t)["sequence_output"], jit_compile=jit)(x)
        np.testing.assert_allclose(out, eager, atol=1e-5)


def test_too_long_sequence_is_refused(tiny_config):
    enc = models.BertEncoder(tiny_config)
    x = _inputs(seq=tiny_config.max_position_embeddings + 1, vocab=tiny_config.vocab_size)
    with pytest.raises(ValueError, match="exceeds max_position_embeddings"):
        enc(x)


@pytest.mark.parametrize("policy", ["mixed_float16", "mixed_bfloat16"])
def test_mixed_precision_keeps_softmax_and_layer_norm_in_float32(tiny_config, policy):
    x = _inputs(vocab=tiny_config.vocab_size)
    ref = models.BertEncoder(tiny_config)
    keras.mixed_precision.set_global_policy(policy)
    try:
        enc = models.BertEncoder(tiny_config)
        pre = models.BertPretrainer(enc)
    finally:
        keras.mixed_precision.set_global_policy("float32")
    enc.set_weights(ref.get_weights())
    block = enc.transformer_layers[0]
    assert block.intermediate.compute_dtype == policy.split("_")[1]
    assert block.attention_layer_norm.compute_dtype == "float32"
    assert enc.embeddings.layer_norm.compute_dtype == "float32"
    assert all(v.dtype == "float32" for v in enc.weights)
    out = enc(x)
    assert out["sequence_output"].dtype == tf.float32
    tol = 0.05 if policy == "mixed_float16" else 0.15
    np.testing.assert_allclose(out["sequence_output"], ref(x)["sequence_output"], atol=tol)
    logits = pre({**x, "masked_lm_positions": np.zeros((2, 2), np.int32)})["mlm_logits"]
    assert logits.dtype == tf.float32 and np.isfinite(logits.numpy()).all()
