"""BertConfig: original and Hugging Face files, GELU by source, clear errors."""

from __future__ import annotations

import json

import pytest

from bert_tf.config import BertConfig, ConfigError

ORIGINAL_BASE = {
    "attention_probs_dropout_prob": 0.1, "hidden_act": "gelu", "hidden_dropout_prob": 0.1,
    "hidden_size": 768, "initializer_range": 0.02, "intermediate_size": 3072,
    "max_position_embeddings": 512, "num_attention_heads": 12, "num_hidden_layers": 12,
    "type_vocab_size": 2, "vocab_size": 30522,
}


def _write(tmp_path, obj, name="bert_config.json"):
    path = tmp_path / name
    path.write_text(json.dumps(obj))
    return str(path)


def test_original_config_round_trip(tmp_path):
    cfg = BertConfig.from_json_file(_write(tmp_path, ORIGINAL_BASE))
    assert cfg.hidden_act == "gelu"  # the original's tanh approximation
    assert cfg.to_dict() == ORIGINAL_BASE
    out = tmp_path / "out.json"
    cfg.to_json_file(str(out))
    assert json.loads(out.read_text()) == ORIGINAL_BASE
    assert BertConfig(**ORIGINAL_BASE) == cfg


def test_type_vocab_size_defaults_to_16(tmp_path):
    obj = {k: v for k, v in ORIGINAL_BASE.items() if k != "type_vocab_size"}
    assert BertConfig.from_json_file(_write(tmp_path, obj)).type_vocab_size == 16


def test_hf_config_gelu_means_erf(minilm):
    cfg = BertConfig.from_json_file(str(minilm / "config.json"))
    assert (cfg.hidden_act, cfg.hidden_size, cfg.num_hidden_layers) == ("gelu_exact", 384, 6)
    assert cfg.to_hf_dict()["hidden_act"] == "gelu"


@pytest.mark.parametrize("act, ours", [("gelu", "gelu_exact"), ("gelu_new", "gelu"),
                                       ("relu", "relu")])
def test_hf_activation_names(tmp_path, act, ours):
    obj = {**ORIGINAL_BASE, "model_type": "bert", "hidden_act": act}
    assert BertConfig.from_json_file(_write(tmp_path, obj)).hidden_act == ours


def test_errors_name_file_and_key(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        BertConfig.from_json_file(str(tmp_path / "missing.json"))
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(ConfigError, match="bad.json.*not valid JSON"):
        BertConfig.from_json_file(str(bad))
    path = _write(tmp_path, {k: v for k, v in ORIGINAL_BASE.items() if k != "vocab_size"})
    with pytest.raises(ConfigError, match="bert_config.json.*'vocab_size' is missing"):
        BertConfig.from_json_file(path)
    path = _write(tmp_path, {**ORIGINAL_BASE, "hidden_act": "swish"})
    with pytest.raises(ConfigError, match="bert_config.json.*unknown hidden_act 'swish'"):
        BertConfig.from_json_file(path)
    path = _write(tmp_path, {**ORIGINAL_BASE, "model_type": "bert", "hidden_act": "mish"},
                  "config.json")
    with pytest.raises(ConfigError, match="config.json.*unknown hidden_act 'mish'"):
        BertConfig.from_json_file(path)
    hf = {k: v for k, v in ORIGINAL_BASE.items() if k != "intermediate_size"}
    with pytest.raises(ConfigError, match="'intermediate_size' is missing"):
        BertConfig.from_json_file(_write(tmp_path, {**hf, "model_type": "bert"}, "config.json"))
    path = _write(tmp_path, {"model_type": "encoder-decoder"}, "config.json")
    with pytest.raises(ConfigError, match="config.json: an encoder-decoder .* 'encoder'"):
        BertConfig.from_json_file(path)
    with pytest.raises(ConfigError, match="not a multiple"):
        BertConfig.from_json_file(_write(tmp_path, {**ORIGINAL_BASE, "num_attention_heads": 7}))
