"""Checkpoints: one declarative name map between the original TF1 names and our models.

Every source is first read into a dict {original TF1 name: numpy array}:
  * original TF1 checkpoints (`bert_model.ckpt`, `model.ckpt-N`) as they are;
  * Hugging Face `model.safetensors` (BERT models, bert2bert) through `_HF_NAMES`;
  * TF Model Garden TF2 `BertEncoder` checkpoints through `_model_garden_names`.
That dict is then assigned to a model through `_ENCODER_NAMES`, `_LAYER_NAMES` and
`_HEAD_NAMES`, and the same map writes a model back under the original names, so
the original TF1 code can read what we write.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
from typing import Callable, Iterable, Mapping

import numpy as np
import tensorflow as tf
from absl import logging

from bert_tf import models, summarization
from bert_tf.io import atomic_write_text
from bert_tf.errors import DataError

# Original TF1 name -> attribute path on a `BertEncoder`.
_ENCODER_NAMES = {
    "bert/embeddings/word_embeddings": "embeddings.word_embeddings",
    "bert/embeddings/token_type_embeddings": "embeddings.token_type_embeddings",
    "bert/embeddings/position_embeddings": "embeddings.position_embeddings",
    "bert/embeddings/LayerNorm/gamma": "embeddings.layer_norm.gamma",
    "bert/embeddings/LayerNorm/beta": "embeddings.layer_norm.beta",
    "bert/pooler/dense/kernel": "pooler.kernel",
    "bert/pooler/dense/bias": "pooler.bias",
}

# Under `bert/encoder/layer_{i}/` -> attribute path on `transformer_layers[i]`.
_LAYER_NAMES = {
    "attention/self/query/kernel": "attention.query.kernel",
    "attention/self/query/bias": "attention.query.bias",
    "attention/self/key/kernel": "attention.key.kernel",
    "attention/self/key/bias": "attention.key.bias",
    "attention/self/value/kernel": "attention.value.kernel",
    "attention/self/value/bias": "attention.value.bias",
    "attention/output/dense/kernel": "attention_output.kernel",
    "attention/output/dense/bias": "attention_output.bias",
    "attention/output/LayerNorm/gamma": "attention_layer_norm.gamma",
    "attention/output/LayerNorm/beta": "attention_layer_norm.beta",
    "intermediate/dense/kernel": "intermediate.kernel",
    "intermediate/dense/bias": "intermediate.bias",
    "output/dense/kernel": "output_dense.kernel",
    "output/dense/bias": "output_dense.bias",
    "output/LayerNorm/gamma": "output_layer_norm.gamma",
    "output/LayerNorm/beta": "output_layer_norm.beta",
}

# A bert2bert decoder (`BertSeq2Seq`): its own embeddings (the word table is the
# encoder's unless --decoder_word_table=own), blocks under `decoder/layer_{i}/` with
# BERT's layer names plus the new cross-attention (named as Hugging Face's bert2bert,
# `crossattention`), and the output layer under the original MLM head's names.
_DECODER_NAMES = {
    "decoder/embeddings/word_embeddings": "decoder_embeddings.word_embeddings",
    "decoder/embeddings/token_type_embeddings": "decoder_embeddings.token_type_embeddings",
    "decoder/embeddings/position_embeddings": "decoder_embeddings.position_embeddings",
    "decoder/embeddings/LayerNorm/gamma": "decoder_embeddings.layer_norm.gamma",
    "decoder/embeddings/LayerNorm/beta": "decoder_embeddings.layer_norm.beta",
}
_DECODER_LAYER_NAMES = {
    **_LAYER_NAMES,
    **{f"crossattention/self/{p}/{v}": f"cross_attention.{p}.{v}"
       for p in ("query", "key", "value") for v in ("kernel", "bias")},
    "crossattention/output/dense/kernel": "cross_attention_output.kernel",
    "crossattention/output/dense/bias": "cross_attention_output.bias",
    "crossattention/output/LayerNorm/gamma": "cross_attention_layer_norm.gamma",
    "crossattention/output/LayerNorm/beta": "cross_attention_layer_norm.beta",
}
# bert2bert warm start: a decoder variable absent from the checkpoint takes the
# BERT variable it mirrors (not cross-attention, which BERT does not have).
_WARM_START = ((re.compile(r"^decoder/embeddings/"), "bert/embeddings/"),
               (re.compile(r"^decoder/(layer_\d+)/(?!crossattention/)"), r"bert/encoder/\1/"))

_MLM_HEAD = {
    "cls/predictions/transform/dense/kernel": "transform.kernel",
    "cls/predictions/transform/dense/bias": "transform.bias",
    "cls/predictions/transform/LayerNorm/gamma": "layer_norm.gamma",
    "cls/predictions/transform/LayerNorm/beta": "layer_norm.beta",
    "cls/predictions/output_bias": "output_bias",
}

# The heads of each task model: original TF1 name -> attribute path on the model.
# run_ner has no original; it uses run_classifier's top-level names, as the widely
# used TF BERT-NER scripts did, so Hugging Face token classifiers load too.
_TOP_LEVEL_HEAD = {"output_weights": "head.output_weights", "output_bias": "head.output_bias"}
# A model type whose head names depend on the instance maps to a function of the model.
_HEAD_NAMES: dict[type, dict[str, str] | Callable[..., dict[str, str]]] = {
    models.BertEncoder: {},
    models.BertPretrainer: {
        **{name: f"mlm.{path}" for name, path in _MLM_HEAD.items()},
        "cls/seq_relationship/output_weights": "nsp.output_weights",
        "cls/seq_relationship/output_bias": "nsp.output_bias",
    },
    models.BertClassifier: _TOP_LEVEL_HEAD,
    models.BertSpanLabeler: {
        "cls/squad/output_weights": "head.output_weights",
        "cls/squad/output_bias": "head.output_bias",
    },
    models.BertTokenTagger: _TOP_LEVEL_HEAD,
    models.BertSeq2Seq: {**_DECODER_NAMES,
                         **{name: f"lm_head.{path}" for name, path in _MLM_HEAD.items()}},
    # run_summarization (BertSumExt) has no TF1 original either. Its inter-sentence
    # blocks take the encoder blocks' names under cls/summarization/layer_{i}/, and
    # the sigmoid scorer the other heads' output_weights [1, hidden] / output_bias [1].
    summarization.BertExtractiveSummarizer: lambda model: {
        **{f"cls/summarization/layer_{i}/{name}": f"head.transformer_layers.{i}.{path}"
           for i in range(model.inter_layers) for name, path in _LAYER_NAMES.items()},
        "cls/summarization/output_weights": "head.scorer.output_weights",
        "cls/summarization/output_bias": "head.scorer.output_bias",
    },
}

# Checkpoint entries that are expected and deliberately not loaded into a model.
# `distillation/` holds run_distillation's hidden-state projections (training only).
_SKIPPED = re.compile(
    r"(/adam_[mv]$|^global_step$|^cls/|^output_(weights|bias)$|/(Momentum|Adam|Adam_1)$"
    r"|^distillation/|^bert_tf/rng_state_"  # the Trainer restores its own dropout RNG states
    r"|^(loss_scale|good_steps|current_loss_scale)$|^_CHECKPOINTABLE_OBJECT_GRAPH$)")

# Variables a pretrained BERT checkpoint lacks: task heads and a new decoder.
_HEAD_PREFIXES = ("cls/", "output_", "decoder/")
_SLOT = re.compile(r"/adam_[mv]$")


class CheckpointError(DataError):
    """A checkpoint is missing, unreadable, or does not fit the model."""


def _resolve(obj, path: str):
    for part in path.split("."):
        obj = obj[int(part)] if part.isdigit() else getattr(obj, part)
    return obj


def tf1_variables(model) -> dict[str, "tf.Variable"]:
    """The model's variables keyed by their original TF1 names, in a stable order.

    `model` is a `BertEncoder` or one of the task models in `bert_tf.models`.
    """
    if type(model) not in _HEAD_NAMES:
        raise TypeError(f"no TF1 name map for {type(model).__name__}")
    encoder = model if isinstance(model, models.BertEncoder) else model.encoder
    out = {name: _resolve(encoder, path) for name, path in _ENCODER_NAMES.items()}
    for i, block in enumerate(encoder.transformer_layers):
        for name, path in _LAYER_NAMES.items():
            out[f"bert/encoder/layer_{i}/{name}"] = _resolve(block, path)
    for i, block in enumerate(getattr(model, "decoder_layers", ())):
        for name, path in _DECODER_LAYER_NAMES.items():
            out[f"decoder/layer_{i}/{name}"] = _resolve(block, path)
    heads = _HEAD_NAMES[type(model)]
    for name, path in (heads(model) if callable(heads) else heads).items():
        out[name] = _resolve(model, path)
    # A variable shared under two names (a bertShare decoder's) is listed once,
    # under the encoder's name.
    seen: set[int] = set()
    return {n: v for n, v in out.items() if not (id(v) in seen or seen.add(id(v)))}


def _warm_start_decoder(model, values: Mapping[str, np.ndarray]) -> Mapping[str, np.ndarray]:
    """bert2bert: decoder variables missing from `values` copied from BERT's."""
    if getattr(model, "decoder_init", None) != "bert":
        return values
    added = {}
    for name in tf1_variables(model):
        for pattern, source in _WARM_START:
            bert_name = pattern.sub(source, name) if pattern.match(name) else None
            if name not in values and bert_name in values:
                added[name] = values[bert_name]
    if added:
        logging.info("Decoder warm-started from BERT (bert2bert): %d variables", len(added))
    return {**values, **added}


# ---------------------------------------------------------------------------
# Reading any source into {original TF1 name: array}.

def resolve_checkpoint_path(path: str) -> tuple[str, str]:
    """Finds the checkpoint behind `path`; returns (kind, path) with kind "tf" or "hf".

    Accepts a TF checkpoint prefix, a directory with a `checkpoint` state file or
    a `bert_model.ckpt`, a `.safetensors` file, or a directory holding `model.safetensors`.
    """
    if not path:
        raise CheckpointError("no checkpoint path given")
    if path.endswith(".safetensors"):
        if not tf.io.gfile.exists(path):
            raise CheckpointError(f"checkpoint file {path!r} does not exist")
        return "hf", path
    if tf.io.gfile.exists(path + ".index"):
        return "tf", path
    if tf.io.gfile.isdir(path):
        latest = tf.train.latest_checkpoint(path)
        if latest and tf.io.gfile.exists(latest + ".index"):
            return "tf", latest
        for name in ("bert_model.ckpt", "model.ckpt"):
            if tf.io.gfile.exists(os.path.join(path, name + ".index")):
                return "tf", os.path.join(path, name)
        if tf.io.gfile.exists(os.path.join(path, "model.safetensors")):
            return "hf", os.path.join(path, "model.safetensors")
        raise CheckpointError(
            f"directory {path!r} holds no checkpoint: expected a `checkpoint` state file, "
            "bert_model.ckpt.index or model.safetensors")
    raise CheckpointError(
        f"checkpoint {path!r} not found: expected a TF checkpoint prefix (with a .index file), "
        "a directory containing one, or a .safetensors file")


def read_checkpoint(path: str, include_slots: bool = False) -> dict[str, np.ndarray]:
    """Reads an original TF1, Model Garden TF2 or Hugging Face checkpoint as TF1 names.

    Optimizer slots (`<var>/adam_m|adam_v`, 2/3 of a training checkpoint) are only
    read with `include_slots`.
    """
    kind, path = resolve_checkpoint_path(path)
    if kind == "hf":
        return _read_hf(path)
    try:
        reader = tf.train.load_checkpoint(path)
        names = sorted(n for n in reader.get_variable_to_shape_map()
                       if include_slots or not _SLOT.search(n))
        values = {n: reader.get_tensor(n) for n in names}
    except (tf.errors.OpError, ValueError, IndexError, RuntimeError) as e:
        msg = getattr(e, "message", str(e))
        raise CheckpointError(f"could not read checkpoint {path!r}: {msg}") from None
    if any(n.endswith("/.ATTRIBUTES/VARIABLE_VALUE") for n in names):
        return _model_garden_names(values, path)
    return values


def _read_hf(path: str) -> dict[str, np.ndarray]:
    from safetensors import SafetensorError, safe_open

    try:
        with safe_open(path, framework="tf") as f:
            tensors = {k: tf.cast(f.get_tensor(k), tf.float32).numpy() for k in f.keys()}
    except (SafetensorError, OSError) as e:
        raise CheckpointError(f"could not read safetensors file {path!r}: {e}") from None
    return from_hf(tensors)


def from_hf(tensors: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Hugging Face tensors {name: array} under the original TF1 names and layouts.

    A BERT model (BertModel, the task models) or an EncoderDecoderModel (bert2bert: the
    encoder under `encoder.`, the decoder under `decoder.bert.` and `decoder.cls.`, read
    as `BertSeq2Seq`'s `decoder/` variables and output layer).
    """
    encoder_decoder = any(k.startswith("decoder.bert.") for k in tensors)
    out = {}
    for name, value in tensors.items():
        converted = _hf_name(name, encoder_decoder)
        if converted is None:
            logging.info("Ignoring Hugging Face tensor %s %s", name, value.shape)
            continue
        tf1_name, transpose = converted
        out[tf1_name] = value.T if transpose else value
    return out


# Hugging Face name (regex, after dropping a "bert." prefix) -> (TF1 name, transpose?).
# `crossattention` is a bert2bert decoder's (EncoderDecoderModel, `from_hf`).
# torch Linear weights are [out, in]; TF1 kernels are [in, out]. The heads' TF1
# `output_weights` are [out, in] already.
_HF_NAMES: list[tuple[str, str, bool]] = [
    (r"embeddings\.word_embeddings\.weight", "bert/embeddings/word_embeddings", False),
    (r"embeddings\.token_type_embeddings\.weight", "bert/embeddings/token_type_embeddings", False),
    (r"embeddings\.position_embeddings\.weight", "bert/embeddings/position_embeddings", False),
    (r"embeddings\.LayerNorm\.(weight|gamma)", "bert/embeddings/LayerNorm/gamma", False),
    (r"embeddings\.LayerNorm\.(bias|beta)", "bert/embeddings/LayerNorm/beta", False),
    (r"encoder\.layer\.(\d+)\.((?:cross)?attention)\.self\.(query|key|value)\.weight",
     r"bert/encoder/layer_\1/\2/self/\3/kernel", True),
    (r"encoder\.layer\.(\d+)\.((?:cross)?attention)\.self\.(query|key|value)\.bias",
     r"bert/encoder/layer_\1/\2/self/\3/bias", False),
    (r"encoder\.layer\.(\d+)\.((?:cross)?attention\.output|intermediate|output)\.dense\.weight",
     r"bert/encoder/layer_\1/\2/dense/kernel", True),
    (r"encoder\.layer\.(\d+)\.((?:cross)?attention\.output|intermediate|output)\.dense\.bias",
     r"bert/encoder/layer_\1/\2/dense/bias", False),
    (r"encoder\.layer\.(\d+)\.((?:cross)?attention\.output|output)\.LayerNorm\.(weight|gamma)",
     r"bert/encoder/layer_\1/\2/LayerNorm/gamma", False),
    (r"encoder\.layer\.(\d+)\.((?:cross)?attention\.output|output)\.LayerNorm\.(bias|beta)",
     r"bert/encoder/layer_\1/\2/LayerNorm/beta", False),
    (r"pooler\.dense\.weight", "bert/pooler/dense/kernel", True),
    (r"pooler\.dense\.bias", "bert/pooler/dense/bias", False),
    (r"cls\.predictions\.transform\.dense\.weight", "cls/predictions/transform/dense/kernel", True),
    (r"cls\.predictions\.transform\.dense\.bias", "cls/predictions/transform/dense/bias", False),
    (r"cls\.predictions\.transform\.LayerNorm\.(weight|gamma)",
     "cls/predictions/transform/LayerNorm/gamma", False),
    (r"cls\.predictions\.transform\.LayerNorm\.(bias|beta)",
     "cls/predictions/transform/LayerNorm/beta", False),
    (r"cls\.predictions\.bias", "cls/predictions/output_bias", False),
    (r"cls\.seq_relationship\.weight", "cls/seq_relationship/output_weights", False),
    (r"cls\.seq_relationship\.bias", "cls/seq_relationship/output_bias", False),
    (r"qa_outputs\.weight", "cls/squad/output_weights", False),
    (r"qa_outputs\.bias", "cls/squad/output_bias", False),
    (r"classifier\.weight", "output_weights", False),
    (r"classifier\.bias", "output_bias", False),
]


def _hf_name(name: str, encoder_decoder: bool = False) -> tuple[str, bool] | None:
    decoder = encoder_decoder and name.startswith("decoder.bert.")
    if encoder_decoder:
        name = re.sub(r"^(encoder|decoder\.bert|decoder)\.", "", name)
    else:
        name = name.removeprefix("bert.")
    for pattern, template, transpose in _HF_NAMES:
        m = re.fullmatch(pattern, name)
        if m:
            tf1_name = m.expand(template).replace(".", "/")
            if decoder:  # bert/embeddings/..., bert/encoder/layer_i/... under decoder/
                tf1_name = re.sub(r"^bert/(encoder/)?", "decoder/", tf1_name)
            return tf1_name, transpose
    return None


# Model Garden BertEncoder: sublayer -> (TF1 name under bert/encoder/layer_{i}/, reshape).
def _flat_in(v: np.ndarray) -> np.ndarray:  # [H, N, D] -> [H, N*D], [N, D] -> [N*D]
    return v.reshape(v.shape[0], -1) if v.ndim == 3 else v.reshape(-1)


def _flat_out(v: np.ndarray) -> np.ndarray:  # [N, D, H] -> [N*D, H]
    return v.reshape(-1, v.shape[-1]) if v.ndim == 3 else v


_MG_LAYER: dict[str, tuple[str, Callable[[np.ndarray], np.ndarray] | None]] = {
    "_attention_layer/_query_dense": ("attention/self/query", _flat_in),
    "_attention_layer/_key_dense": ("attention/self/key", _flat_in),
    "_attention_layer/_value_dense": ("attention/self/value", _flat_in),
    "_attention_layer/_output_dense": ("attention/output/dense", _flat_out),
    "_attention_layer_norm": ("attention/output/LayerNorm", None),
    "_intermediate_dense": ("intermediate/dense", None),
    "_output_dense": ("output/dense", None),
    "_output_layer_norm": ("output/LayerNorm", None),
}


def _model_garden_names(values: Mapping[str, np.ndarray], path: str) -> dict[str, np.ndarray]:
    """Model Garden `BertEncoder` object-checkpoint keys -> TF1 names.

    Its tracked layers come in construction order: word, position and type
    embeddings, the embedding LayerNorm, the transformer blocks, then the pooler.
    """
    pattern = re.compile(r"^.*?layer_with_weights-(\d+)/(?:(.+)/)?"
                         r"(kernel|bias|gamma|beta|embeddings)/\.ATTRIBUTES/VARIABLE_VALUE$")
    by_index: dict[int, dict[str, np.ndarray]] = {}
    for key, value in values.items():
        m = pattern.match(key)
        if not m or "optimizer" in key:
            continue
        index, sub = int(m.group(1)), "/".join(filter(None, m.group(2, 3)))
        by_index.setdefault(index, {})[sub] = value
    blocks = sorted(i for i, d in by_index.items() if any(k.startswith("_attention_layer/")
                                                          for k in d))
    if not blocks or blocks != list(range(4, 4 + len(blocks))):
        raise CheckpointError(f"{path!r} is an object-based checkpoint but not a Model Garden "
                              "BertEncoder (could not find its transformer layers)")
    try:
        out = {
            "bert/embeddings/word_embeddings": by_index[0]["embeddings"],
            "bert/embeddings/position_embeddings": by_index[1]["embeddings"],
            "bert/embeddings/token_type_embeddings": by_index[2]["embeddings"],
            "bert/embeddings/LayerNorm/gamma": by_index[3]["gamma"],
            "bert/embeddings/LayerNorm/beta": by_index[3]["beta"],
        }
        pooler = by_index.get(4 + len(blocks), {})
        if "kernel" in pooler:
            out["bert/pooler/dense/kernel"] = pooler["kernel"]
            out["bert/pooler/dense/bias"] = pooler["bias"]
    except KeyError as e:
        raise CheckpointError(f"{path!r}: Model Garden BertEncoder entry {e} is missing") from None
    for i, index in enumerate(blocks):
        for sub, value in by_index[index].items():
            layer, var = sub.rsplit("/", 1)
            if layer not in _MG_LAYER:
                raise CheckpointError(f"{path!r}: unexpected Model Garden variable {sub!r}")
            name, reshape = _MG_LAYER[layer]
            out[f"bert/encoder/layer_{i}/{name}/{var}"] = reshape(value) if reshape else value
    return out


# ---------------------------------------------------------------------------
# Assigning to a model.

@dataclasses.dataclass
class LoadReport:
    """What a load did: TF1 names assigned, missing from the checkpoint, and left unused."""

    loaded: list[str]
    missing: list[str]
    unused: list[str]

    def log(self, source: str) -> None:
        logging.info("Loaded %d variables from %s", len(self.loaded), source)
        for name in self.missing:
            logging.warning("Not in checkpoint, left initialised: %s", name)
        for name in self.unused:
            logging.warning("In checkpoint but not used: %s", name)


_POSITIONS = "bert/embeddings/position_embeddings"


def extend_position_embeddings(values: Mapping[str, np.ndarray], rows: int
                               ) -> dict[str, np.ndarray]:
    """`values` with the position table grown to `rows` rows, each new row a copy of
    the last learned one (positions past the checkpoint's start from its longest)."""
    values = dict(values)
    table = values.get(_POSITIONS)
    if table is not None and table.shape[0] < rows:
        logging.info("Extending %s from %d to %d rows (new rows = the last learned row)",
                     _POSITIONS, table.shape[0], rows)
        extra = np.repeat(table[-1:], rows - table.shape[0], axis=0)
        values[_POSITIONS] = np.concatenate([table, extra], axis=0)
    return values


def load_weights(model, checkpoint: "str | os.PathLike | Mapping[str, np.ndarray]",
                 allow_missing_heads: bool = False,
                 allow_missing: Iterable[str] = (), source: str | None = None,
                 extend_positions: bool = False) -> LoadReport:
    """Assigns a checkpoint to `model` by the original TF1 names.

    Args:
      model: a `BertEncoder` or a task model from `bert_tf.models`.
      checkpoint: a path accepted by `read_checkpoint`, or a dict already read.
      allow_missing_heads: leave head variables (`cls/*`, `output_*`) initialised
        when the checkpoint lacks them, e.g. fine-tuning from `bert_model.ckpt`.
      allow_missing: regexes of further TF1 names that may be absent.
      source: the checkpoint's name in messages, when `checkpoint` is a dict.
      extend_positions: a model with more positions than the checkpoint gets the
        extra rows from `extend_position_embeddings` (--max_position_embeddings).

    Raises:
      CheckpointError: a shape does not match, or a required variable is missing
        (the message lists every offending name with its shapes).
    """
    if isinstance(checkpoint, os.PathLike):
        checkpoint = os.fspath(checkpoint)
    source = checkpoint if isinstance(checkpoint, str) else (source or "<dict>")
    values = read_checkpoint(checkpoint) if isinstance(checkpoint, str) else checkpoint
    values = _warm_start_decoder(model, values)
    variables = tf1_variables(model)
    if extend_positions:
        values = extend_position_embeddings(values, variables[_POSITIONS].shape[0])
    allowed = [re.compile(p) for p in allow_missing]
    mismatched, missing, loaded = [], [], []
    for name, var in variables.items():
        if name not in values:
            missing.append(name)
            continue
        value = values[name]
        if tuple(value.shape) != tuple(var.shape):
            mismatched.append(f"  {name}: checkpoint {list(value.shape)} vs model {list(var.shape)}")
            continue
        loaded.append(name)
    if mismatched:
        raise CheckpointError(f"shape mismatch between {source} and the model (is bert_config.json "
                              "the checkpoint's config?):\n" + "\n".join(mismatched))
    required = [n for n in missing
                if not (allow_missing_heads and n.startswith(_HEAD_PREFIXES))
                and not any(p.search(n) for p in allowed)]
    if required:
        shown = "\n".join(f"  {n} {list(variables[n].shape)}" for n in required[:20])
        more = f"\n  ... and {len(required) - 20} more" if len(required) > 20 else ""
        hint = ""
        if all(n.startswith(_HEAD_PREFIXES) for n in required):
            hint = ("\n(the checkpoint has no head for this task: fine-tune with --do_train, "
                    "or pass a checkpoint fine-tuned for it)")
        raise CheckpointError(f"{len(required)} model variables are missing from {source}:\n"
                              f"{shown}{more}{hint}")
    unused = [n for n in values if n not in variables and not _SKIPPED.search(n)]
    extra_encoder = [n for n in unused if n.startswith("bert/")]
    if extra_encoder:
        raise CheckpointError(f"{source} has encoder variables the model lacks (more layers or "
                              "another architecture than bert_config.json says?): "
                              + ", ".join(extra_encoder[:10]))
    for name in loaded:
        variables[name].assign(np.asarray(values[name]).astype(variables[name].dtype))
    report = LoadReport(loaded, missing, unused)
    report.log(source)
    return report


# ---------------------------------------------------------------------------
# Writing the original TF1 format.

def save_tf1_checkpoint(prefix: str, values: Mapping[str, "tf.Tensor | np.ndarray | tf.Variable"],
                        keep: int | None = None) -> str:
    """Writes `values` under their TF1 names to `prefix` and records it as latest.

    The files are written under a temporary prefix and renamed into place, data
    first, then index, then the `checkpoint` state file: a crash leaves either the
    old state or the complete new checkpoint. `keep` old checkpoints are retained
    (None keeps all).
    """
    directory = os.path.dirname(prefix) or "."
    tf.io.gfile.makedirs(directory)
    tmp = f"{prefix}.tmp-{os.getpid()}"
    names = list(values)
    tensors = [tf.convert_to_tensor(v.value() if isinstance(v, tf.Variable) else v)
               for v in values.values()]
    tf.raw_ops.SaveV2(prefix=tmp, tensor_names=names, shape_and_slices=[""] * len(names),
                      tensors=tensors)
    for suffix in (".data-00000-of-00001", ".index"):
        tf.io.gfile.rename(tmp + suffix, prefix + suffix, overwrite=True)
    state = tf.train.get_checkpoint_state(directory)
    previous = list(state.all_model_checkpoint_paths) if state else []
    previous = [p for p in previous if os.path.basename(p) != os.path.basename(prefix)]
    kept = previous + [prefix]
    if keep is not None and len(kept) > keep:
        for old in kept[:-keep]:
            for f in tf.io.gfile.glob(_abs(directory, old) + ".*"):
                tf.io.gfile.remove(f)
        kept = kept[-keep:]
    write_checkpoint_state(directory, [os.path.basename(p) for p in kept])
    return prefix


def write_checkpoint_state(directory: str, paths: list[str]) -> None:
    """Writes directory/checkpoint (the CheckpointState text proto, as TF1's Saver), atomically:
    `paths` oldest first, the last one the latest. Paths relative to `directory` keep
    the run directory movable."""
    lines = [f"model_checkpoint_path: {json.dumps(paths[-1])}"]
    lines += [f"all_model_checkpoint_paths: {json.dumps(p)}" for p in paths]
    atomic_write_text(os.path.join(directory, "checkpoint"), "\n".join(lines) + "\n")


def _abs(directory: str, path: str) -> str:
    return path if os.path.isabs(path) or "://" in path else os.path.join(directory, path)


def save_model(model, prefix: str, extra: Mapping[str, "tf.Tensor | np.ndarray"] | None = None,
               keep: int | None = None) -> str:
    """Writes `model` (and e.g. optimizer slots, global_step) with the original names."""
    values: dict = dict(tf1_variables(model))
    values.update(extra or {})
    return save_tf1_checkpoint(prefix, values, keep)
