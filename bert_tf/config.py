"""BertConfig: the original `bert_config.json`, and Hugging Face `config.json`.

The field names are exactly the keys of the original `bert_config.json`, so an
original config loads with `BertConfig(**json.load(f))`. The one subtlety is
GELU: the original's "gelu" is the tanh approximation, while in a Hugging Face
config "gelu" is the exact erf form ("gelu_new" is tanh). `hidden_act` is
therefore stored unambiguously as one of `ACTIVATIONS` ("gelu" = tanh form as in
the original, "gelu_exact" = erf form).
"""

from __future__ import annotations

import dataclasses
import json
import os
from typing import Any
from bert_tf.errors import DataError

# Our activation names. "gelu" keeps the original release's meaning (tanh form).
ACTIVATIONS = ("gelu", "gelu_exact", "relu", "tanh", "linear")

# Hugging Face's activation names -> ours.
_HF_ACTIVATIONS = {
    "gelu": "gelu_exact",
    "gelu_python": "gelu_exact",
    "gelu_new": "gelu",
    "gelu_pytorch_tanh": "gelu",
    "gelu_fast": "gelu",
    "relu": "relu",
    "tanh": "tanh",
    "linear": "linear",
}

# Hugging Face keys that carry no information for BERT's math.
_HF_REQUIRED = ("vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads",
                "intermediate_size")


class ConfigError(DataError):
    """A config file is missing, unreadable or inconsistent."""


@dataclasses.dataclass
class BertConfig:
    """Configuration of a BERT encoder (the original `modeling.BertConfig`)."""

    vocab_size: int
    hidden_size: int = 768
    num_hidden_layers: int = 12
    num_attention_heads: int = 12
    intermediate_size: int = 3072
    hidden_act: str = "gelu"
    hidden_dropout_prob: float = 0.1
    attention_probs_dropout_prob: float = 0.1
    max_position_embeddings: int = 512
    type_vocab_size: int = 16
    initializer_range: float = 0.02

    def __post_init__(self) -> None:
        if self.hidden_act not in ACTIVATIONS:
            raise ConfigError(
                f"hidden_act={self.hidden_act!r} is not supported; expected one of {ACTIVATIONS}")
        for key in ("vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads",
                    "intermediate_size", "max_position_embeddings", "type_vocab_size"):
            value = getattr(self, key)
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ConfigError(f"{key} must be a positive integer, got {value!r}")
        if self.hidden_size % self.num_attention_heads:
            raise ConfigError(
                f"hidden_size ({self.hidden_size}) is not a multiple of "
                f"num_attention_heads ({self.num_attention_heads})")

    @property
    def head_size(self) -> int:
        return self.hidden_size // self.num_attention_heads

    @classmethod
    def from_dict(cls, obj: dict[str, Any], source: str = "<dict>") -> "BertConfig":
        """Builds a config from an original `bert_config.json` dictionary."""
        fields = {f.name for f in dataclasses.fields(cls)}
        if "vocab_size" not in obj:
            raise ConfigError(f"{source}: required key 'vocab_size' is missing")
        kwargs = {k: v for k, v in obj.items() if k in fields}
        act = kwargs.get("hidden_act", "gelu")
        if not isinstance(act, str) or act.lower() not in ACTIVATIONS:
            raise ConfigError(
                f"{source}: unknown hidden_act {act!r}; the original supports "
                "'gelu' (tanh approximation), 'relu', 'tanh', 'linear'")
        kwargs["hidden_act"] = act.lower()
        try:
            return cls(**kwargs)
        except ConfigError as e:
            raise ConfigError(f"{source}: {e}") from None

    @classmethod
    def from_hf_dict(cls, obj: dict[str, Any], source: str = "<dict>") -> "BertConfig":
        """Builds a config from a Hugging Face BERT `config.json` dictionary."""
        for key in _HF_REQUIRED:
            if key not in obj:
                raise ConfigError(f"{source}: required key {key!r} is missing")
        act = obj.get("hidden_act", "gelu")
        if act not in _HF_ACTIVATIONS:
            raise ConfigError(
                f"{source}: unknown hidden_act {act!r}; expected one of {sorted(_HF_ACTIVATIONS)}")
        eps = obj.get("layer_norm_eps", 1e-12)
        if abs(eps - 1e-12) > 1e-15:
            raise ConfigError(f"{source}: layer_norm_eps={eps} is not BERT's 1e-12")
        if obj.get("position_embedding_type", "absolute") != "absolute":
            raise ConfigError(f"{source}: only absolute position embeddings are supported")
        return cls.from_dict(
            {
                "vocab_size": obj["vocab_size"],
                "hidden_size": obj["hidden_size"],
                "num_hidden_layers": obj["num_hidden_layers"],
                "num_attention_heads": obj["num_attention_heads"],
                "intermediate_size": obj["intermediate_size"],
                "hidden_act": _HF_ACTIVATIONS[act],
                "hidden_dropout_prob": obj.get("hidden_dropout_prob", 0.1),
                "attention_probs_dropout_prob": obj.get("attention_probs_dropout_prob", 0.1),
                "max_position_embeddings": obj.get("max_position_embeddings", 512),
                "type_vocab_size": obj.get("type_vocab_size", 16),
                "initializer_range": obj.get("initializer_range", 0.02),
            },
            source,
        )

    @classmethod
    def from_json_file(cls, path: str) -> "BertConfig":
        """Reads an original `bert_config.json` or a Hugging Face `config.json`.

        A Hugging Face file is recognised by its `model_type`/`architectures` keys,
        which the original never writes; an EncoderDecoderModel's gives its encoder's.
        """
        obj = _read_json(path)
        if obj.get("model_type") == "encoder-decoder":  # bert2bert: BertSeq2Seq has one config
            if not isinstance(obj.get("encoder"), dict):
                raise ConfigError(f"{path}: an encoder-decoder config.json without its "
                                  "'encoder' config")
            obj = obj["encoder"]
        if is_hf_config(obj):
            return cls.from_hf_dict(obj, path)
        return cls.from_dict(obj, path)

    def to_dict(self) -> dict[str, Any]:
        """The original `bert_config.json` dictionary.

        "gelu_exact" (from a Hugging Face model) has no name in the original
        format and is written as is; only this package reads it back.
        """
        return dataclasses.asdict(self)

    def to_json_string(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n"

    def to_json_file(self, path: str) -> None:
        from bert_tf.io import atomic_write_text

        atomic_write_text(path, self.to_json_string())

    def to_hf_dict(self) -> dict[str, Any]:
        """A Hugging Face `config.json` dictionary with the same meaning."""
        act = {"gelu": "gelu_new", "gelu_exact": "gelu"}.get(self.hidden_act, self.hidden_act)
        d = self.to_dict()
        d.update(hidden_act=act, model_type="bert", architectures=["BertModel"],
                 layer_norm_eps=1e-12, position_embedding_type="absolute")
        return d


def is_hf_config(obj: dict[str, Any]) -> bool:
    return "model_type" in obj or "architectures" in obj or "layer_norm_eps" in obj


def _read_json(path: str) -> dict[str, Any]:
    if not os.path.isfile(path):
        raise ConfigError(f"config file {path!r} does not exist")
    try:
        with open(path, encoding="utf-8") as f:
            obj = json.load(f)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ConfigError(f"config file {path!r} is not valid JSON: {e}") from None
    if not isinstance(obj, dict):
        raise ConfigError(f"config file {path!r} must hold a JSON object")
    return obj
