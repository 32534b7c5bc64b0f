"""Checkpoints: MiniLM golden parity, original TF1 format both ways, Model Garden oracle, errors."""

from __future__ import annotations

import json
import os
import re
import shutil

import numpy as np
import pytest
import tensorflow as tf

from bert_tf import checkpoints, models
from bert_tf.config import BertConfig
from bert_tf.data.packing import encode_pair
from bert_tf.tokenization import FullTokenizer


def _feed(golden):
    return {"input_word_ids": golden["input_ids"], "input_mask": golden["attention_mask"],
            "input_type_ids": golden["token_type_ids"]}


def _max_diff(out, golden):
    mask = golden["attention_mask"].astype(bool)
    seq = np.abs(out["sequence_output"].numpy() - golden["last_hidden_state"])[mask].max()
    pooled = np.abs(out["pooled_output"].numpy() - golden["pooler_output"]).max()
    return seq, pooled


@pytest.fixture(scope="module")
def minilm_encoder(minilm):
    enc = models.BertEncoder(BertConfig.from_json_file(str(minilm / "config.json")))
    report = checkpoints.load_weights(enc, str(minilm / "model.safetensors"))
    assert not report.missing and not report.unused
    return enc


def test_minilm_golden_ids_and_outputs(minilm, golden, minilm_encoder):
    tok = FullTokenizer(str(minilm / "vocab.txt"), do_lower_case=True)
    for i, (a, b) in enumerate(zip(golden["text_a"], golden["text_b"])):
        _, f = encode_pair(tok, str(a), str(b) or None, 32)
        np.testing.assert_array_equal(f["input_ids"], golden["input_ids"][i])
        np.testing.assert_array_equal(f["segment_ids"], golden["token_type_ids"][i])
        np.testing.assert_array_equal(f["input_mask"], golden["attention_mask"][i])
    seq, pooled = _max_diff(minilm_encoder(_feed(golden)), golden)
    print(f"MiniLM vs Hugging Face golden: max |diff| sequence {seq:.2e}, pooled {pooled:.2e}")
    assert seq < 1e-4 and pooled < 1e-4


def _hf_to_tf1_names(hf: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """An independent Hugging Face -> original TF1 rename (string rules, not our table)."""
    out = {}
    for name, value in hf.items():
        if name.endswith("position_ids"):  # a torch buffer, not a weight
            continue
        n = name.removeprefix("bert.").replace("encoder.layer.", "encoder.layer_")
        n = n.replace("LayerNorm.weight", "LayerNorm.gamma").replace("LayerNorm.bias", "LayerNorm.beta")
        if n.endswith(".weight") and "embeddings" not in n:
            n, value = n[: -len(".weight")] + ".kernel", value.T
        n = n.replace(".weight", "")
        out["bert/" + n.replace(".", "/")] = value
    return out


@pytest.fixture(scope="module")
def raw_tf1_checkpoint(minilm, tmp_path_factory):
    """MiniLM as an original bert_model.ckpt, written by tf.compat.v1 variables and Saver."""
    from safetensors.numpy import load_file

    values = _hf_to_tf1_names(load_file(str(minilm / "model.safetensors")))
    directory = tmp_path_factory.mktemp("uncased_minilm")
    prefix = str(directory / "bert_model.ckpt")
    with tf.Graph().as_default():
        for name, value in values.items():
            tf.compat.v1.get_variable(name, initializer=tf.constant(value))
        tf.compat.v1.train.get_or_create_global_step()
        with tf.compat.v1.Session() as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            tf.compat.v1.train.Saver().save(sess, prefix, write_meta_graph=False)
    cfg = json.loads((minilm / "config.json").read_text())
    keys = ("vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads",
            "intermediate_size", "hidden_dropout_prob", "attention_probs_dropout_prob",
            "max_position_embeddings", "type_vocab_size", "initializer_range")
    # An original bert_config.json: "gelu" here is the tanh form.
    (directory / "bert_config.json").write_text(json.dumps({"hidden_act": "gelu",
                                                            **{k: cfg[k] for k in keys}}))
    shutil.copy(minilm / "vocab.txt", directory / "vocab.txt")
    return directory


def test_original_tf1_checkpoint_loads_directly(raw_tf1_checkpoint, minilm_encoder, golden):
    cfg = BertConfig.from_json_file(str(raw_tf1_checkpoint / "bert_config.json"))
    assert cfg.hidden_act == "gelu"
    exact = models.BertEncoder(BertConfig(**{**cfg.to_dict(), "hidden_act": "gelu_exact"}))
    for path in (str(raw_tf1_checkpoint / "bert_model.ckpt"), str(raw_tf1_checkpoint)):
        checkpoints.load_weights(exact, path)
        ref = minilm_encoder(_feed(golden))
        out = exact(_feed(golden))
        np.testing.assert_array_equal(out["sequence_output"], ref["sequence_output"])


def test_writer_uses_exactly_the_original_names(tiny_config, tmp_path):
    pre = models.BertPretrainer(models.BertEncoder(tiny_config))
    prefix = checkpoints.save_model(pre, str(tmp_path / "model.ckpt-7"),
                                    extra={"global_step": np.int64(7)})
    shapes = dict(tf.train.list_variables(prefix))
    h, i, v = tiny_config.hidden_size, tiny_config.intermediate_size, tiny_config.vocab_size
    expected = {
        "bert/embeddings/word_embeddings": [v, h],
        "bert/embeddings/token_type_embeddings": [2, h],
        "bert/embeddings/position_embeddings": [64, h],
        "bert/embeddings/LayerNorm/beta": [h], "bert/embeddings/LayerNorm/gamma": [h],
        "bert/pooler/dense/kernel": [h, h], "bert/pooler/dense/bias": [h],
        "cls/predictions/transform/dense/kernel": [h, h],
        "cls/predictions/transform/dense/bias": [h],
        "cls/predictions/transform/LayerNorm/beta": [h],
        "cls/predictions/transform/LayerNorm/gamma": [h],
        "cls/predictions/output_bias": [v],
        "cls/seq_relationship/output_weights": [2, h], "cls/seq_relationship/output_bias": [2],
        "global_step": [],
    }
    for layer in range(tiny_config.num_hidden_layers):
        p = f"bert/encoder/layer_{layer}/"
        for m in ("query", "key", "value"):
            expected[p + f"attention/self/{m}/kernel"] = [h, h]
            expected[p + f"attention/self/{m}/bias"] = [h]
        expected.update({
            p + "attention/output/dense/kernel": [h, h], p + "attention/output/dense/bias": [h],
            p + "attention/output/LayerNorm/beta": [h], p + "attention/output/LayerNorm/gamma": [h],
            p + "intermediate/dense/kernel": [h, i], p + "intermediate/dense/bias": [i],
            p + "output/dense/kernel": [i, h], p + "output/dense/bias": [h],
            p + "output/LayerNorm/beta": [h], p + "output/LayerNorm/gamma": [h]})
    assert shapes == expected
    assert tf.train.latest_checkpoint(str(tmp_path)) == prefix
    assert sorted(os.listdir(tmp_path)) == ["checkpoint", "model.ckpt-7.data-00000-of-00001",
                                            "model.ckpt-7.index"]
    # The original TF1 code restores it by name with a plain Saver.
    reader = tf.train.load_checkpoint(prefix)
    with tf.Graph().as_default():
        tf_vars = [tf.compat.v1.get_variable(n, shape=s, dtype=reader.get_variable_to_dtype_map()[n])
                   for n, s in expected.items()]
        with tf.compat.v1.Session() as sess:
            tf.compat.v1.train.Saver(tf_vars).restore(sess, prefix)
            restored = sess.run(tf_vars[0])
    np.testing.assert_array_equal(restored, pre.encoder.embeddings.word_embeddings.numpy())


@pytest.mark.parametrize("kind", ["classifier", "squad", "ner"])
def test_task_heads_round_trip_with_original_names(tiny_config, tmp_path, kind):
    make = {"classifier": lambda e: models.BertClassifier(e, 3),
            "squad": models.BertSpanLabeler,
            "ner": lambda e: models.BertTokenTagger(e, 4)}[kind]
    a, b = make(models.BertEncoder(tiny_config)), make(models.BertEncoder(tiny_config))
    prefix = checkpoints.save_model(a, str(tmp_path / "model.ckpt-1"))
    names = {n for n, _ in tf.train.list_variables(prefix)}
    head = {"classifier": {"output_weights", "output_bias"},
            "squad": {"cls/squad/output_weights", "cls/squad/output_bias"},
            "ner": {"output_weights", "output_bias"}}[kind]
    assert head <= names and not any(n.startswith("cls/") for n in names - head)
    checkpoints.load_weights(b, prefix)
    for va, vb in zip(a.weights, b.weights):
        np.testing.assert_array_equal(va.numpy(), vb.numpy())


def test_hf_prefixed_names_and_heads(minilm, tmp_path, minilm_encoder, golden):
    from safetensors.numpy import load_file, save_file

    tensors = {("bert." + k): v for k, v in load_file(str(minilm / "model.safetensors")).items()}
    tensors["qa_outputs.weight"] = np.full((2, 384), 0.01, np.float32)
    tensors["qa_outputs.bias"] = np.array([0.5, -0.5], np.float32)
    save_file(tensors, str(tmp_path / "model.safetensors"))
    cfg = BertConfig.from_json_file(str(minilm / "config.json"))
    span = models.BertSpanLabeler(models.BertEncoder(cfg))
    checkpoints.load_weights(span, str(tmp_path))
    np.testing.assert_array_equal(span.head.output_bias.numpy(), [0.5, -0.5])
    out = span.encoder(_feed(golden))
    np.testing.assert_array_equal(out["sequence_output"], minilm_encoder(_feed(golden))["sequence_output"])


def test_hf_bert2bert_encoder_decoder_model(minilm, tmp_path):
    """An EncoderDecoderModel's files as save_pretrained writes them (names and config
    listed from transformers): the encoder under `encoder.`, the decoder under
    `decoder.bert.` with `crossattention`, its output layer under `decoder.cls.`. They load
    into a BertSeq2Seq with the decoder's own word table, every variable, and its config
    is the encoder's."""
    from safetensors.numpy import load_file, save_file

    bert = load_file(str(minilm / "model.safetensors"))
    rng = np.random.default_rng(0)
    tensors = {f"encoder.{k}": v for k, v in bert.items()}
    tensors.update({f"decoder.bert.{k}": 2 * v for k, v in bert.items() if "pooler" not in k})
    cross = {}
    for i in range(6):
        for part, shape in (("self.query.weight", (384, 384)), ("self.key.bias", (384,)),
                            ("self.value.weight", (384, 384)), ("self.query.bias", (384,)),
                            ("self.key.weight", (384, 384)), ("self.value.bias", (384,)),
                            ("output.dense.weight", (384, 384)), ("output.dense.bias", (384,)),
                            ("output.LayerNorm.weight", (384,)), ("output.LayerNorm.bias", (384,))):
            cross[f"decoder.bert.encoder.layer.{i}.crossattention.{part}"] = (
                rng.normal(size=shape).astype(np.float32))
    tensors.update(cross)
    tensors.update({"decoder.cls.predictions.bias": np.full(30522, 0.5, np.float32),
                    "decoder.cls.predictions.transform.dense.weight": np.eye(384, k=1,
                                                                             dtype=np.float32),
                    "decoder.cls.predictions.transform.dense.bias": np.zeros(384, np.float32),
                    "decoder.cls.predictions.transform.LayerNorm.weight": np.ones(384, np.float32),
                    "decoder.cls.predictions.transform.LayerNorm.bias": np.zeros(384, np.float32)})
    save_file(tensors, str(tmp_path / "model.safetensors"))
    hf = json.loads((minilm / "config.json").read_text())
    (tmp_path / "config.json").write_text(json.dumps({
        "model_type": "encoder-decoder", "architectures": ["EncoderDecoderModel"],
        "is_encoder_decoder": True, "encoder": hf,
        "decoder": {**hf, "is_decoder": True, "add_cross_attention": True}}))
    cfg = BertConfig.from_json_file(str(tmp_path / "config.json"))
    assert cfg.to_dict() == BertConfig.from_json_file(str(minilm / "config.json")).to_dict()
    model = models.BertSeq2Seq(models.BertEncoder(cfg), "bert", decoder_word_table="own")
    report = checkpoints.load_weights(model, str(tmp_path))
    assert not report.missing
    block = model.decoder_layers[3]
    layer3 = "decoder.bert.encoder.layer.3.crossattention"
    np.testing.assert_array_equal(block.cross_attention.key.kernel,
                                  cross[f"{layer3}.self.key.weight"].T)
    np.testing.assert_array_equal(block.cross_attention_layer_norm.beta,
                                  cross[f"{layer3}.output.LayerNorm.bias"])
    np.testing.assert_array_equal(block.intermediate.kernel,
                                  2 * bert["encoder.layer.3.intermediate.dense.weight"].T)
    np.testing.assert_array_equal(model.decoder_embeddings.word_embeddings,
                                  2 * bert["embeddings.word_embeddings.weight"])
    np.testing.assert_array_equal(model.encoder.embeddings.word_embeddings,
                                  bert["embeddings.word_embeddings.weight"])
    np.testing.assert_array_equal(model.lm_head.transform.kernel, np.eye(384, k=1).T)
    np.testing.assert_array_equal(model.lm_head.output_bias, 0.5)


@pytest.mark.slow
def test_model_garden_oracle_and_converter(raw_tf1_checkpoint, golden, tmp_path):
    """Model Garden's BertEncoder on the same weights, and its TF1->TF2 converter's output."""
    converter = pytest.importorskip("official.nlp.tools.tf2_bert_encoder_checkpoint_converter")
    from official.legacy.bert import configs as mg_configs

    ckpt = str(raw_tf1_checkpoint / "bert_model.ckpt")
    mg_cfg = mg_configs.BertConfig.from_json_file(str(raw_tf1_checkpoint / "bert_config.json"))
    out_path = str(tmp_path / "mg" / "bert_encoder")
    converter.convert_checkpoint(mg_cfg, out_path, ckpt)
    converted_prefix = tf.train.latest_checkpoint(str(tmp_path / "mg"))  # save() added "-1"
    mg_encoder = converter._create_bert_model(mg_cfg)
    tf.train.Checkpoint(model=mg_encoder).restore(converted_prefix).assert_existing_objects_matched()
    feed = {k: tf.constant(v) for k, v in _feed(golden).items()}
    mg_out = mg_encoder(feed)
    if isinstance(mg_out, (list, tuple)):  # the legacy BertEncoder returns [sequence, pooled]
        mg_out = {"sequence_output": mg_out[0], "pooled_output": mg_out[1]}

    ours = models.BertEncoder(BertConfig.from_json_file(str(raw_tf1_checkpoint / "bert_config.json")))
    checkpoints.load_weights(ours, ckpt)
    mask = golden["attention_mask"].astype(bool)
    out = ours(_feed(golden))
    seq = np.abs(out["sequence_output"].numpy() - mg_out["sequence_output"].numpy())[mask].max()
    pooled = np.abs(out["pooled_output"].numpy() - mg_out["pooled_output"].numpy()).max()
    print(f"ours vs Model Garden (tanh GELU): max |diff| sequence {seq:.2e}, pooled {pooled:.2e}")
    assert seq < 1e-4 and pooled < 1e-4

    # The converter's TF2 object checkpoint loads straight into our encoder.
    converted = models.BertEncoder(ours.config)
    report = checkpoints.load_weights(converted, str(tmp_path / "mg"))
    assert not report.missing
    np.testing.assert_allclose(converted(_feed(golden))["sequence_output"], out["sequence_output"],
                               atol=1e-6)


def test_shape_mismatch_and_missing_variables(raw_tf1_checkpoint, tiny_config, tmp_path):
    wrong = models.BertEncoder(BertConfig(**{**tiny_config.to_dict(), "vocab_size": 30522}))
    with pytest.raises(checkpoints.CheckpointError,
                       match=r"shape mismatch.*\n  bert/embeddings/word_embeddings: "
                             r"checkpoint \[30522, 384\] vs model \[30522, 64\]"):
        checkpoints.load_weights(wrong, str(raw_tf1_checkpoint))
    cfg = BertConfig.from_json_file(str(raw_tf1_checkpoint / "bert_config.json"))
    fewer = models.BertEncoder(BertConfig(**{**cfg.to_dict(), "num_hidden_layers": 4}))
    with pytest.raises(checkpoints.CheckpointError, match="encoder variables the model lacks.*more layers.*layer_4"):
        checkpoints.load_weights(fewer, str(raw_tf1_checkpoint))
    classifier = models.BertClassifier(models.BertEncoder(cfg), 2)
    with pytest.raises(checkpoints.CheckpointError,
                       match=r"2 model variables are missing.*\n  output_weights \[2, 384\]"):
        checkpoints.load_weights(classifier, str(raw_tf1_checkpoint))
    report = checkpoints.load_weights(classifier, str(raw_tf1_checkpoint), allow_missing_heads=True)
    assert report.missing == ["output_weights", "output_bias"]


def test_missing_and_corrupt_checkpoints(tmp_path, tiny_config):
    enc = models.BertEncoder(tiny_config)
    with pytest.raises(checkpoints.CheckpointError, match="not found"):
        checkpoints.load_weights(enc, str(tmp_path / "nothing" / "bert_model.ckpt"))
    (tmp_path / "empty_dir").mkdir()
    with pytest.raises(checkpoints.CheckpointError, match="holds no checkpoint"):
        checkpoints.load_weights(enc, str(tmp_path / "empty_dir"))
    prefix = checkpoints.save_model(enc, str(tmp_path / "good" / "model.ckpt-1"))
    data = prefix + ".data-00000-of-00001"
    with open(data, "r+b") as f:
        f.truncate(os.path.getsize(data) // 2)
    with pytest.raises(checkpoints.CheckpointError, match="could not read checkpoint"):
        checkpoints.load_weights(enc, prefix)
    with open(prefix + ".index", "wb") as f:
        f.write(b"garbage")
    with pytest.raises(checkpoints.CheckpointError, match="could not read checkpoint"):
        checkpoints.load_weights(enc, prefix)
    (tmp_path / "bad.safetensors").write_bytes(b"\x00" * 10)
    with pytest.raises(checkpoints.CheckpointError, match="could not read safetensors"):
        checkpoints.load_weights(enc, str(tmp_path / "bad.safetensors"))


def test_keep_last_n_and_atomic_state(tiny_config, tmp_path):
    enc = models.BertEncoder(tiny_config)
    for step in (1, 2, 3):
        checkpoints.save_model(enc, str(tmp_path / f"model.ckpt-{step}"), keep=2)
    state = tf.train.get_checkpoint_state(str(tmp_path))
    assert [os.path.basename(p) for p in state.all_model_checkpoint_paths] == ["model.ckpt-2",
                                                                               "model.ckpt-3"]
    assert not any(re.match(r"model\.ckpt-1\.", f) for f in os.listdir(tmp_path))
    assert not any(".tmp" in f for f in os.listdir(tmp_path))
