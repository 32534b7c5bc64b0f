"""bert2bert: the decoder, cached decoding, beam search against the Model Garden's,
checkpoint names and warm starts, pair files, detokenization, the loss."""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest
import tensorflow as tf

from bert_tf import checkpoints, decoding, losses, models, text, tokenization
from bert_tf.data import seq2seq
from bert_tf.layers import DecoderBlock

BOS, EOS = 2, 3


def _model(cfg, mode="bert", seed=0):
    keras.utils.set_random_seed(seed)
    return models.BertSeq2Seq(models.BertEncoder(cfg), mode)


def _inputs(cfg, batch=2, source=7, target=5, seed=0):
    rng = np.random.default_rng(seed)
    ids = rng.integers(5, cfg.vocab_size, (batch, source)).astype(np.int32)
    mask = np.ones_like(ids)
    mask[1:, source - 2:] = 0  # padding in the second source
    dec = rng.integers(5, cfg.vocab_size, (batch, target)).astype(np.int32)
    dec[:, 0] = BOS
    return {"input_word_ids": ids * mask, "input_mask": mask, "input_type_ids": 0 * ids,
            "decoder_input_ids": dec}


@pytest.fixture
def cfg(tiny_config):
    tiny_config.hidden_dropout_prob = tiny_config.attention_probs_dropout_prob = 0.0
    return tiny_config


@pytest.mark.parametrize("mode", models.DECODER_INITS)
def test_cached_steps_equal_teacher_forcing_and_are_causal(cfg, mode):
    model = _model(cfg, mode)
    x = _inputs(cfg)
    full = model(x, training=False)["logits"].numpy()
    cache = model.initial_cache(x, max_length=8)
    steps = []
    for i in range(5):
        logits, cache = model.decode_step(x["decoder_input_ids"][:, i:i + 1], tf.constant(i), cache)
        steps.append(logits.numpy())
    np.testing.assert_allclose(np.stack(steps, 1), full, atol=1e-5)
    # A later target token changes nothing before it.
    changed = dict(x, decoder_input_ids=x["decoder_input_ids"].copy())
    changed["decoder_input_ids"][:, 3] = 7
    after = model(changed, training=False)["logits"].numpy()
    np.testing.assert_array_equal(after[:, :3], full[:, :3])
    assert np.abs(after[:, 3:] - full[:, 3:]).max() > 1e-3
    # The source is read: other source words change the logits at every position.
    ids = x["input_word_ids"]
    other = dict(x, input_word_ids=np.where(x["input_mask"] > 0,
                                            5 + (ids - 4) % (cfg.vocab_size - 5), 0))
    moved = np.abs(model(other, training=False)["logits"].numpy() - full).max(axis=-1)
    assert (moved > 1e-4).all()
    # Padding in the source is not attended.
    padded = dict(x, input_word_ids=x["input_word_ids"].copy())
    padded["input_word_ids"][1, -2:] = 9
    np.testing.assert_allclose(model(padded, training=False)["logits"].numpy(), full, atol=1e-6)


def test_from_config_and_keras_file_round_trip(cfg, tmp_path):
    for mode in models.DECODER_INITS:
        model = _model(cfg, mode)
        clone = models.BertSeq2Seq.from_config(model.get_config())
        assert clone.get_config() == model.get_config() and len(clone.weights) == len(model.weights)
    path = tmp_path / "s2s.keras"
    model.save(path)
    x = _inputs(cfg)
    np.testing.assert_allclose(keras.models.load_model(path)(x)["logits"],
                               model(x)["logits"], atol=1e-6)
    block = DecoderBlock(8, 2, 16, name="d")
    assert DecoderBlock.from_config(block.get_config()).get_config() == block.get_config()


def test_tf1_names_and_bertshare_ties(cfg):
    names = checkpoints.tf1_variables(_model(cfg, "bert"))
    assert "decoder/layer_1/crossattention/self/query/kernel" in names
    assert "decoder/layer_0/attention/self/key/bias" in names
    assert "decoder/embeddings/position_embeddings" in names
    assert "cls/predictions/output_bias" in names
    # Words are tied: one table for encoder, decoder and output.
    assert not any(n.startswith("decoder/") and "word_embeddings" in n for n in names)
    shared = _model(cfg, "shared")
    shared_names = checkpoints.tf1_variables(shared)
    assert not [n for n in shared_names if n.startswith("decoder/")
                and "crossattention" not in n]
    assert shared.decoder_layers[0].attention.query.kernel is \
        shared.encoder.transformer_layers[0].attention.query.kernel
    # Every variable of the model is saved exactly once.
    trainable = {id(v) for v in shared.trainable_variables}
    assert {id(v) for v in shared_names.values()} == trainable


def test_warm_start_from_bert_and_round_trip(cfg, tmp_path):
    bert = models.BertEncoder(cfg)
    prefix = checkpoints.save_model(bert, str(tmp_path / "bert" / "bert_model.ckpt"))
    values = checkpoints.read_checkpoint(prefix)
    for mode in models.DECODER_INITS:
        model = _model(cfg, mode, seed=5)
        before = model.decoder_layers[0].cross_attention.query.kernel.numpy()
        checkpoints.load_weights(model, prefix, allow_missing_heads=True)
        query = model.decoder_layers[1].attention.query.kernel.numpy()
        same = np.array_equal(query, values["bert/encoder/layer_1/attention/self/query/kernel"])
        assert same == (mode != "random"), mode
        np.testing.assert_array_equal(model.decoder_layers[0].cross_attention.query.kernel,
                                      before)  # new in every mode
        if mode == "bert":
            np.testing.assert_array_equal(model.decoder_embeddings.position_embeddings,
                                          values["bert/embeddings/position_embeddings"])
    with pytest.raises(checkpoints.CheckpointError, match="crossattention"):
        checkpoints.load_weights(_model(cfg), prefix)  # predicting needs a trained decoder
    # A fine-tuned model written under the TF1 names comes back exactly.
    model = _model(cfg, "bert", seed=7)
    saved = checkpoints.save_model(model, str(tmp_path / "run" / "model.ckpt-1"))
    fresh = _model(cfg, "bert", seed=8)
    checkpoints.load_weights(fresh, saved)
    x = _inputs(cfg)
    np.testing.assert_array_equal(fresh(x)["logits"], model(x)["logits"])
    bigger = cfg.__class__(**{**cfg.to_dict(), "intermediate_size": 96})
    with pytest.raises(checkpoints.CheckpointError, match="shape mismatch"):
        checkpoints.load_weights(_model(bigger), saved)


def test_new_matrices_drawn_from_the_untruncated_normal(cfg):
    """The matrices BertSeq2Seq adds (Hugging Face's init, docs/results.md) come from
    normal(0, initializer_range): the truncated normal never draws beyond 2 stddev, the
    untruncated does for 4.6% of values; each matrix its own draw, seeded. The encoder it
    is given (loaded before, say) and the vectors (biases, LayerNorm) are left alone."""
    keras.utils.set_random_seed(7)
    encoder = models.BertEncoder(cfg)
    before = [w.numpy() for w in encoder.weights]
    model = models.BertSeq2Seq(encoder, "bert")
    for w, b in zip(encoder.weights, before):
        np.testing.assert_array_equal(w, b)
    block = model.decoder_layers[0]
    ca = block.cross_attention
    kernels = [d.kernel.numpy() for d in (ca.query, ca.key, ca.value)]
    kernels += [block.cross_attention_output.kernel.numpy(), model.lm_head.transform.kernel.numpy()]
    values = np.concatenate([k.ravel() for k in kernels])
    r = cfg.initializer_range
    assert abs(values.std() / r - 1) < 0.05 and abs(values.mean()) < 0.05 * r
    assert 0.035 < np.mean(np.abs(values) > 2 * r) < 0.06
    assert not np.array_equal(kernels[0], kernels[1])
    np.testing.assert_array_equal(ca.query.bias, 0.0)
    np.testing.assert_array_equal(block.cross_attention_layer_norm.gamma, 1.0)
    keras.utils.set_random_seed(7)
    again = models.BertSeq2Seq(models.BertEncoder(cfg), "bert")
    np.testing.assert_array_equal(again.decoder_layers[0].cross_attention.query.kernel, kernels[0])


def test_decoder_word_table_of_its_own(cfg, tmp_path):
    """--decoder_word_table=own: a second table, warm-started from BERT's words, that the
    output projection uses and the encoder does not; cached decoding stays exact."""
    bert = models.BertEncoder(cfg)
    prefix = checkpoints.save_model(bert, str(tmp_path / "bert" / "bert_model.ckpt"))
    keras.utils.set_random_seed(3)
    model = models.BertSeq2Seq(models.BertEncoder(cfg), "bert", decoder_word_table="own")
    names = checkpoints.tf1_variables(model)
    words_name = "embeddings/word_embeddings"
    assert names[f"decoder/{words_name}"] is not names[f"bert/{words_name}"]
    assert model.lm_head.embeddings is model.decoder_embeddings
    checkpoints.load_weights(model, prefix, allow_missing_heads=True)
    words = checkpoints.read_checkpoint(prefix)["bert/embeddings/word_embeddings"]
    np.testing.assert_array_equal(model.decoder_embeddings.word_embeddings, words)
    x = _inputs(cfg)
    full = model(x, training=False)["logits"].numpy()
    # Only the decoder's table feeds the output: changing it moves the logits, and the
    # encoder's table is left alone.
    model.decoder_embeddings.word_embeddings.assign(words * 1.5)
    assert np.abs(model(x, training=False)["logits"].numpy() - full).max() > 1e-3
    np.testing.assert_array_equal(model.encoder.embeddings.word_embeddings, words)
    cache = model.initial_cache(x, max_length=8)
    steps = []
    for i in range(5):
        logits, cache = model.decode_step(x["decoder_input_ids"][:, i:i + 1], tf.constant(i), cache)
        steps.append(logits.numpy())
    np.testing.assert_allclose(np.stack(steps, 1), model(x, training=False)["logits"], atol=1e-5)
    clone = models.BertSeq2Seq.from_config(model.get_config())
    assert clone.decoder_word_table == "own" and len(clone.weights) == len(model.weights)
    saved = checkpoints.save_model(model, str(tmp_path / "run" / "model.ckpt-1"))
    checkpoints.load_weights(clone, saved)
    np.testing.assert_array_equal(clone(x)["logits"], model(x)["logits"])
    with pytest.raises(Exception, match="decoder_word_table=own"):
        models.BertSeq2Seq(models.BertEncoder(cfg), "shared", decoder_word_table="own")


def _toy_step(vocab: int, width: int, length: int, eos_penalty: float = 0.0, seed: int = 0):
    """A recurrent toy decoder whose cache must follow its beam: logits depend on the
    last id, the position and a state accumulated over the prefix."""
    rng = np.random.default_rng(seed)
    w, e = (tf.constant(rng.normal(size=s).astype("float32"))
            for s in ((vocab, vocab), (vocab, width)))
    p, o = (tf.constant(rng.normal(size=s).astype("float32"))
            for s in ((length + 1, vocab), (width, vocab)))

    def step(ids, i, cache):
        last = ids[:, -1]
        state = tf.tanh(cache["state"] + tf.gather(e, last))
        logits = 2 * tf.gather(w, last) + p[i] + state @ o + cache["memory"]
        return logits - eos_penalty * tf.one_hot(EOS, vocab), {"state": state, "memory": cache["memory"]}

    return step


def _prefixes(ids: np.ndarray) -> list[list[int]]:
    """Each hypothesis up to and including its first EOS (after the start id)."""
    out = []
    for row in ids.reshape(-1, ids.shape[-1]):
        row = list(row)
        out.append(row[:row.index(EOS, 1) + 1] if EOS in row[1:] else row)
    return out


@pytest.mark.parametrize("alpha, eos_penalty", [(0.0, 0.0), (0.6, 0.0), (1.5, 0.0), (0.6, 30.0)])
def test_beam_search_equals_model_garden(alpha, eos_penalty):
    from official.nlp.modeling.ops import beam_search as mg

    vocab, batch, beam, length = 13, 3, 4, 10
    step = _toy_step(vocab, 8, length, eos_penalty)
    rng = np.random.default_rng(1)
    cache = {"state": tf.zeros([batch, 8]),
             "memory": tf.constant(rng.normal(size=(batch, vocab)).astype("float32"))}
    start = tf.constant([BOS, 5, 7])
    ref_ids, ref_scores = mg.sequence_beam_search(step, start, cache, vocab, beam, alpha, length,
                                                  EOS, padded_decode=False)
    ids, scores = tf.function(decoding.beam_search, autograph=False)(
        step, start, cache, vocab, beam, alpha, length, EOS)
    np.testing.assert_allclose(scores, ref_scores, rtol=1e-6)
    assert _prefixes(ids.numpy()) == _prefixes(ref_ids.numpy())
    ended = [p for p in _prefixes(ids.numpy()) if p[-1] == EOS]
    # Without a penalty every hypothesis ends; with a large one none does, and the
    # live hypotheses are returned.
    assert len(ended) == (0 if eos_penalty else batch * beam)
    # After EOS come zeros ([PAD]).
    for row, p in zip(ids.numpy().reshape(-1, length + 1), _prefixes(ids.numpy())):
        assert not row[len(p):].any()


def test_beam_search_on_the_model_equals_model_garden(cfg):
    from official.nlp.modeling.ops import beam_search as mg

    model = _model(cfg)
    x = _inputs(cfg)
    cache = model.initial_cache(x, 6)
    start = tf.fill([2], BOS)
    ref_ids, ref_scores = mg.sequence_beam_search(
        lambda ids, i, c: model.decode_step(ids[:, -1:], i, c), start, cache, cfg.vocab_size, 3,
        0.6, 6, EOS, padded_decode=False)
    ids, scores = decoding.beam_search(model.decode_step, start, cache, cfg.vocab_size, 3, 0.6,
                                       6, EOS)
    np.testing.assert_allclose(scores, ref_scores, rtol=1e-5)
    assert _prefixes(ids.numpy()) == _prefixes(ref_ids.numpy())


def test_shortlist_search_equals_model_garden_over_the_whole_vocabulary(cfg):
    """With target_vocab, decoding searches only the shortlist's columns and maps them
    back to ids: the same hypotheses and scores as the Model Garden's search over all
    vocab_size logits, the unlisted ones -10000 (the head's teacher-forcing output)."""
    from official.nlp.modeling.ops import beam_search as mg

    ids = [EOS, 5, 8, 13, 21, 34]
    model = models.BertSeq2Seq(models.BertEncoder(cfg), "bert", target_vocab=ids)
    x = {k: v for k, v in _inputs(cfg).items() if k != "decoder_input_ids"}
    bias = model.lm_head.output_bias
    # A random model ends at once; with EOS unlikely the live beams run all 6 steps.
    bias.assign(tf.tensor_scatter_nd_update(bias, [[EOS]], [-30.0]))
    columns = model.lm_head._columns

    def full_step(prefix, i, cache):
        logits, cache = model.decode_step(prefix[:, -1:], i, cache)
        assert logits.shape[-1] == len(ids)
        padded = tf.pad(logits, [[0, 0], [0, 1]], constant_values=-10000.0)
        return tf.gather(padded, columns, axis=1), cache

    ref_ids, ref_scores = mg.sequence_beam_search(
        full_step, tf.fill([2], BOS), model.initial_cache(x, 6), cfg.vocab_size, 3, 0.6, 6, EOS,
        padded_decode=False)
    got, scores = decoding.generate(model, x, 6, BOS, EOS, beam_size=3)
    got = np.concatenate([np.full([2, 1], BOS), got.numpy()], 1)
    assert _prefixes(got) == _prefixes(ref_ids[:, 0].numpy())
    np.testing.assert_allclose(scores, ref_scores[:, 0], rtol=1e-5)
    assert set(got[:, 1:].ravel()) <= set(ids) | {0}


def test_greedy_takes_the_argmax_of_the_full_forward(cfg):
    model = _model(cfg)
    x = _inputs(cfg)
    ids, scores = decoding.generate(model, x, max_decode_length=6, bos_id=BOS, eos_id=EOS,
                                    beam_size=1)
    prefix = np.concatenate([np.full([2, 1], BOS), ids.numpy()], 1)
    logits = model({**x, "decoder_input_ids": prefix[:, :-1]}, training=False)["logits"]
    log_probs = tf.nn.log_softmax(logits).numpy()
    for b in range(2):
        expected = 0.0
        for i in range(6):
            assert prefix[b, i + 1] == log_probs[b, i].argmax()
            expected += log_probs[b, i].max()
            if prefix[b, i + 1] == EOS:
                break
        assert float(scores[b]) == pytest.approx(expected, abs=1e-4)


def test_xla_and_static_shapes_give_the_same_output(cfg):
    model = _model(cfg)
    x = {k: v for k, v in _inputs(cfg).items() if k != "decoder_input_ids"}

    def run(inputs):
        return decoding.generate(model, inputs, 5, BOS, EOS, beam_size=2)

    eager_ids, eager_scores = run(x)
    xla_ids, xla_scores = tf.function(run, jit_compile=True)(x)
    np.testing.assert_array_equal(xla_ids, eager_ids)
    np.testing.assert_allclose(xla_scores, eager_scores, atol=1e-5)
    static = tf.function(run).get_concrete_function(
        {k: tf.TensorSpec([2, 7], tf.int32) for k in x})
    assert static.output_shapes[0] == [2, 5]


def test_detokenize_joins_pieces_cjk_and_punctuation():
    vocab = tf.constant(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "the", "cat", "'", "s", "toy", "(",
                         "new", ")", ".", "猫", "坐", "在", "垫", "子", "上", "。", "run",
                         "##ning", "bert", "我"])
    ids = tf.constant([[4, 5, 6, 7, 8, 9, 10, 11, 12, 3, 0, 0],
                       [13, 14, 15, 16, 17, 18, 19, 3, 4, 5, 0, 0],
                       [2, 20, 21, 1, 22, 23, 13, 3, 0, 0, 0, 0]])
    out = [t.decode() for t in text.detokenize(ids, vocab, EOS, (0, BOS)).numpy()]
    assert out == ["the cat's toy (new).", "猫坐在垫子上。", "running [UNK] bert 我猫"]


CASED_CJK = ("[PAD] [UNK] [CLS] [SEP] [MASK] Der Hund sieht die Katze . 狗 看 见 猫 。 The dog "
             "sees the cat").split()


def test_cased_cjk_pairs_round_trip(tmp_path):
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("\n".join(CASED_CJK) + "\n", encoding="utf-8")
    tokenizer = tokenization.FullTokenizer(str(vocab), do_lower_case=False)
    path = tmp_path / "pairs.jsonl"
    path.write_text(json.dumps({"de": "Der Hund sieht die Katze.", "zh": "狗看见猫。"},
                               ensure_ascii=False) + "\n", encoding="utf-8")
    (pair,) = seq2seq.read_pairs(str(path), "de", "zh")
    features, source_cut, target_cut = seq2seq.convert_pair(pair, tokenizer, 16, 8)
    assert not source_cut and not target_cut
    assert features["decoder_input_ids"][:6] == [BOS, 11, 12, 13, 14, 15]
    assert features["target_ids"][:7] == [11, 12, 13, 14, 15, EOS, 0]
    assert features["target_mask"] == [1] * 6 + [0] * 2
    tokens = tf.constant(CASED_CJK)
    back = text.detokenize(tf.constant([features["target_ids"]]), tokens, EOS, (0, BOS))
    assert back.numpy()[0].decode() == pair.target
    _, _, cut = seq2seq.convert_pair(pair, tokenizer, 16, 4)
    assert cut


def test_read_pairs_errors_name_file_and_line(tmp_path):
    path = tmp_path / "train.tsv"
    path.write_text("source\ttarget\nHello.\tHallo.\nBye.\t \n")
    with pytest.raises(seq2seq.Seq2SeqDataError, match=r"train.tsv, line 3: empty target"):
        seq2seq.read_pairs(str(path))
    path.write_text("src\ttarget\nHello.\tHallo.\n")
    with pytest.raises(seq2seq.Seq2SeqDataError, match=r"lacks the column\(s\) \['source'\]"):
        seq2seq.read_pairs(str(path))
    path.write_text("source\nHello.\n")
    assert seq2seq.read_pairs(str(path), require_target=False)[0].target is None
    csv_path = tmp_path / "p.csv"
    csv_path.write_text('source,target\n"Hi, you.",Hallo.\n')
    assert seq2seq.read_pairs(str(csv_path))[0].source == "Hi, you."


def test_read_pairs_joins_a_list_of_sentences_one_per_line(tmp_path):
    """run_summarization's JSONL (a summary as a list of sentences) is a seq2seq file too."""
    path = tmp_path / "docs.jsonl"
    rows = [{"text": "A b. C d.", "summary": [" A b. ", "C d."]},
            {"text": "E f.", "summary": []}, {"text": "G.", "summary": [1]}]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows[:1]))
    (pair,) = seq2seq.read_pairs(str(path), "text", "summary")
    assert (pair.source, pair.target) == ("A b. C d.", "A b.\nC d.")
    path.write_text("".join(json.dumps(r) + "\n" for r in rows[:2]))
    with pytest.raises(seq2seq.Seq2SeqDataError, match=r"docs.jsonl, line 2: empty target"):
        seq2seq.read_pairs(str(path), "text", "summary")
    assert seq2seq.read_pairs(str(path), "text", "summary", require_target=False)[1].target is None
    path.write_text(json.dumps(rows[2]) + "\n")
    with pytest.raises(seq2seq.Seq2SeqDataError, match=r"line 1: column 'summary' holds \[1\]"):
        seq2seq.read_pairs(str(path), "text", "summary")


def test_loss_is_masked_mean_with_label_smoothing():
    logits = tf.constant(np.random.default_rng(0).normal(size=(2, 3, 5)).astype("float32"))
    batch = {"target_ids": tf.constant([[1, 2, 3], [4, 0, 0]]),
             "target_mask": tf.constant([[1, 1, 1], [1, 0, 0]])}

    class Fixed(keras.Model):
        input = {}

        def call(self, inputs, training=False):
            return {"logits": logits}

    log_p = tf.nn.log_softmax(logits).numpy()
    mask = batch["target_mask"].numpy().astype(bool)
    ce = -np.take_along_axis(log_p, batch["target_ids"].numpy()[..., None], -1)[..., 0]
    for eps in (0.0, 0.1):
        smoothed = (1 - eps) * ce - eps * log_p.mean(-1)
        loss = losses.seq2seq_loss(eps)(Fixed(), batch, False)
        assert float(loss) == pytest.approx(smoothed[mask].mean(), rel=1e-6)
    with pytest.raises(ValueError, match="label_smoothing"):
        losses.seq2seq_loss(1.0)


def test_target_vocab_shortlist(cfg):
    """--target_vocab: logits of the listed ids equal the full head's, every other is
    -10000; those rows of the tied table get no gradient from the output layer; label
    smoothing spreads over the shortlist only."""
    full = _model(cfg)
    ids = [3, 5, 8, 13]
    short = models.BertSeq2Seq(models.BertEncoder(cfg), "bert", target_vocab=[13, 5, 8, 3, 5])
    assert short.target_vocab == ids
    for a, b in zip(full.weights, short.weights):
        b.assign(a)
    x = _inputs(cfg)
    got, want = short(x)["logits"].numpy(), full(x)["logits"].numpy()
    np.testing.assert_allclose(got[..., ids], want[..., ids], rtol=1e-5, atol=1e-5)
    assert (np.delete(got, ids, -1) == -10000.0).all()
    cached = decoding.generate(short, {k: x[k] for k in models.INPUT_NAMES}, 6, BOS, EOS, 1)[0]
    assert set(cached.numpy().ravel()) <= set(ids) | {0}  # 0: padding after the end
    batch = {**x, "target_ids": tf.constant(x["decoder_input_ids"] % 2 * 2 + 3),
             "target_mask": tf.ones_like(x["decoder_input_ids"])}
    with tf.GradientTape() as tape:
        loss = losses.seq2seq_loss(0.1)(short, batch, True)
    table = short.encoder.embeddings.word_embeddings
    grad = tf.convert_to_tensor(tape.gradient(loss, table)).numpy()
    used = set(ids) | set(x["input_word_ids"].ravel()) | set(
        x["decoder_input_ids"].ravel())
    assert not grad[[i for i in range(cfg.vocab_size) if i not in used]].any()
    log_p = tf.nn.log_softmax(got).numpy()
    ce = -np.take_along_axis(log_p, batch["target_ids"].numpy()[..., None], -1)[..., 0]
    expected = 0.9 * ce - 0.1 * log_p[..., ids].mean(-1)
    loss = losses.seq2seq_loss(0.1)(short, batch, False)
    assert float(loss) == pytest.approx(expected.mean(), rel=1e-5)
    restored = models.BertSeq2Seq.from_config(short.get_config())
    assert restored.target_vocab == ids
    with pytest.raises(ValueError, match="output_ids"):
        models.BertSeq2Seq(models.BertEncoder(cfg), "bert", target_vocab=[cfg.vocab_size])


def test_trainer_learns_to_reverse_sequences(cfg, tmp_path):
    """The whole path (features, the shared Trainer, the loss, cached greedy decoding)
    learns a task that needs the source: output the source backwards."""
    from bert_tf import training

    rng = np.random.default_rng(0)
    n, length = 2048, 8
    source = rng.integers(5, cfg.vocab_size, (n, length)).astype(np.int32)
    target = source[:, ::-1]
    column = np.full((n, 1), BOS, np.int32), np.full((n, 1), EOS, np.int32)
    data = {"input_word_ids": np.concatenate([column[0], source, column[1]], 1)}
    data.update(input_mask=np.ones_like(data["input_word_ids"]),
                input_type_ids=np.zeros_like(data["input_word_ids"]),
                decoder_input_ids=np.concatenate([column[0], target], 1),
                target_ids=np.concatenate([target, column[1]], 1),
                target_mask=np.ones((n, length + 1), np.int32))
    trainer = training.Trainer(
        lambda: models.BertSeq2Seq(models.BertEncoder(cfg)), losses.seq2seq_loss(0.1),
        training.TrainConfig(output_dir=str(tmp_path), num_train_steps=250, learning_rate=1e-3,
                             num_warmup_steps=25, log_every_steps=250, seed=1))
    trainer.train(lambda ctx: tf.data.Dataset.from_tensor_slices(data).repeat()
                  .shuffle(n, seed=1).batch(64, drop_remainder=True), 64)
    held_out = rng.integers(5, cfg.vocab_size, (32, length)).astype(np.int32)
    inputs = {"input_word_ids": np.concatenate([column[0][:32], held_out, column[1][:32]], 1)}
    inputs.update(input_mask=np.ones_like(inputs["input_word_ids"]),
                  input_type_ids=np.zeros_like(inputs["input_word_ids"]))
    ids, _ = decoding.generate(trainer.model, inputs, length + 1, BOS, EOS, beam_size=2)
    ids = ids.numpy()
    assert (ids[:, length] == EOS).all()
    assert np.mean(ids[:, :length] == held_out[:, ::-1]) > 0.95
