"""LiteRT (TFLite) export: float32, float16 or dynamic-range int8 flatbuffers, and a runner.

Conversion route: the model's inference function is traced on int32
[batch, seq_length] inputs, its variables are frozen into constants
(`convert_variables_to_constants_v2`), and that function goes through
`tf.lite.TFLiteConverter.from_concrete_functions`. Converting the Keras 3 model
directly (from_keras_model, or a concrete function / SavedModel that still holds
the variables) writes VAR_HANDLE/READ_VARIABLE ops without the weights: the file
loads and returns NaN. `convert` therefore runs the written model once on a
random batch and refuses one whose outputs are not finite or far from TensorFlow's.

dynamic_int8 stores weights as int8 and quantizes activations per call
(dynamic range); matmuls then run in int8 on XNNPACK, about 3x faster than
TensorFlow float32 on an AVX-512 VNNI CPU at BERT-base size. (Keras'
`model.quantize("int8")` was 7x slower than float32 on that CPU: not offered.)

Runner: `ai_edge_litert.interpreter.Interpreter` (the LiteRT package; TF 2.20's
`tf.lite.Interpreter` is deprecated in its favour).
"""

from __future__ import annotations

import os
from typing import Iterator, Mapping

import keras
import numpy as np
import tensorflow as tf
from absl import logging

from bert_tf import models
from bert_tf.errors import UsageError

QUANTIZE = ("none", "float16", "dynamic_int8")
MODEL_TYPES = ("encoder", "classifier", "squad", "ner")
# Largest |LiteRT - TF| allowed by `convert`'s self-check (relative to the outputs'
# scale for quantized models): catches a weightless or broken conversion, not
# ordinary quantization error.
_CHECK_TOLERANCE = {"none": 1e-3, "float16": 5e-2, "dynamic_int8": 0.5}


class LiteRTError(UsageError):
    """A model cannot be converted, or a .tflite file cannot be used."""


def _outputs(model: keras.Model, model_type: str):
    def serve(input_word_ids, input_mask, input_type_ids):
        out = model({"input_word_ids": input_word_ids, "input_mask": input_mask,
                     "input_type_ids": input_type_ids}, training=False)
        if model_type == "encoder":
            out = {"pooled_output": out["pooled_output"], "sequence_output": out["sequence_output"]}
        return {k: tf.cast(v, tf.float32) for k, v in out.items()}
    return serve


def convert(model: keras.Model, model_type: str, seq_length: int,
            quantize: str = "none", check: bool = True) -> bytes:
    """The model as a LiteRT flatbuffer taking int32 [batch, seq_length] inputs.

    Args:
      model: a BertEncoder, BertClassifier, BertSpanLabeler or BertTokenTagger (float32).
      model_type: one of MODEL_TYPES.
      seq_length: the fixed sequence length (the batch dimension stays dynamic).
      quantize: "none" (float32), "float16" (weights in float16) or "dynamic_int8"
        (weights int8, activations quantized per call).
      check: run the result once against TensorFlow and raise on NaN or a large diff.
    Returns: the .tflite file's bytes, with one signature `serving_default`
      (inputs input_word_ids, input_mask, input_type_ids; outputs named as the model's).
    """
    from tensorflow.python.framework.convert_to_constants import (
        convert_variables_to_constants_v2)

    if model_type not in MODEL_TYPES:
        raise LiteRTError(f"--model_type={model_type}: LiteRT export supports "
                          f"{', '.join(MODEL_TYPES)}")
    if quantize not in QUANTIZE:
        raise LiteRTError(f"--quantize={quantize}: expected one of {', '.join(QUANTIZE)}")
    specs = [tf.TensorSpec([None, seq_length], tf.int32, name=n) for n in models.INPUT_NAMES]
    traced = tf.function(_outputs(model, model_type)).get_concrete_function(*specs)
    names = sorted(traced.structured_outputs)  # the frozen function flattens dicts by key
    frozen = convert_variables_to_constants_v2(traced)

    @tf.function(input_signature=specs)
    def serving_default(input_word_ids, input_mask, input_type_ids):
        flat = frozen(input_word_ids=input_word_ids, input_mask=input_mask,
                      input_type_ids=input_type_ids)
        return dict(zip(names, tf.nest.flatten(flat)))

    converter = tf.lite.TFLiteConverter.from_concrete_functions(
        [serving_default.get_concrete_function()], tf.Module())
    if quantize != "none":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if quantize == "float16":
        converter.target_spec.supported_types = [tf.float16]
    content = converter.convert()
    if check:
        _check(content, model, model_type, seq_length, quantize)
    return content


def _check(content: bytes, model: keras.Model, model_type: str, seq_length: int,
           quantize: str) -> None:
    """Raises if the converted model's outputs are not finite or far from TensorFlow's."""
    inputs = sample_inputs(2, seq_length, _vocab_size(model))
    fn = _outputs(model, model_type)
    diff = max_abs_diff(LiteRTModel(content), fn, inputs)
    scale = max(1.0, max(float(np.max(np.abs(v))) for v in fn(**{
        k: tf.constant(v) for k, v in inputs.items()}).values()))
    if not diff <= _CHECK_TOLERANCE[quantize] * scale:  # also catches nan
        raise LiteRTError(f"the converted LiteRT model is off by {diff} from TensorFlow "
                          f"(quantize={quantize}); refusing to write it")
    logging.info("LiteRT (%s) vs TensorFlow on a random batch: max |diff| %.3g", quantize, diff)


def _vocab_size(model: keras.Model) -> int:
    encoder = model if isinstance(model, models.BertEncoder) else model.encoder
    return encoder.config.vocab_size


def sample_inputs(batch: int, seq_length: int, vocab_size: int = 100, seed: int = 0
                  ) -> dict[str, np.ndarray]:
    """Random int32 inputs with some padding: real ids, a second segment, a short row."""
    rng = np.random.default_rng(seed)
    ids = rng.integers(5, vocab_size, (batch, seq_length)).astype(np.int32)
    mask = np.ones_like(ids)
    mask[-1, seq_length // 2:] = 0
    types = np.zeros_like(ids)
    types[:, seq_length // 3:] = 1
    return {"input_word_ids": ids * mask, "input_mask": mask, "input_type_ids": types * mask}


def max_abs_diff(litert_model: "LiteRTModel", tf_fn, inputs: Mapping[str, np.ndarray]) -> float:
    """max |LiteRT - TF| over every output (nan if any LiteRT output is not finite)."""
    got = litert_model(inputs)
    want = tf_fn(**{k: tf.constant(v) for k, v in inputs.items()})
    diffs = []
    for k, v in got.items():
        if not np.all(np.isfinite(v)):
            return float("nan")
        diffs.append(float(np.max(np.abs(v - np.asarray(want[k])))))
    return max(diffs)


class LiteRTModel:
    """A .tflite BERT model called like the Keras one on numpy inputs.

    Args:
      model: a path to a .tflite file, or its bytes.
      num_threads: interpreter threads (default: every CPU).
    """

    global_step = 0  # reported in eval_results.txt, as the Trainer's

    def __init__(self, model: str | bytes, num_threads: int | None = None):
        from ai_edge_litert.interpreter import Interpreter

        source = "<bytes>" if isinstance(model, bytes) else model
        try:
            if isinstance(model, bytes):
                interpreter = Interpreter(model_content=model,
                                          num_threads=num_threads or os.cpu_count())
            else:
                if not os.path.isfile(model):
                    raise LiteRTError(f"LiteRT model {model!r} does not exist")
                interpreter = Interpreter(model_path=model,
                                          num_threads=num_threads or os.cpu_count())
            self._runner = interpreter.get_signature_runner("serving_default")
        except (RuntimeError, ValueError) as e:
            if isinstance(e, LiteRTError):
                raise
            raise LiteRTError(f"cannot load LiteRT model {source}: {e}") from None
        details = self._runner.get_input_details()
        if set(details) != set(models.INPUT_NAMES):
            raise LiteRTError(f"{source}: not a bert_tf LiteRT model (inputs {sorted(details)})")
        self.seq_length = int(details["input_word_ids"]["shape_signature"][1])
        self.output_names = sorted(self._runner.get_output_details())

    def __call__(self, inputs: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        """int [batch, seq_length] inputs -> float32 outputs (numpy)."""
        feed = {k: np.asarray(inputs[k], np.int32) for k in models.INPUT_NAMES}
        if feed["input_word_ids"].shape[1] != self.seq_length:
            raise LiteRTError(f"the LiteRT model takes sequences of {self.seq_length} tokens, "
                              f"got {feed['input_word_ids'].shape[1]} (--max_seq_length)")
        return {k: np.array(v) for k, v in self._runner(**feed).items()}

    def predict(self, dataset: tf.data.Dataset) -> Iterator[tuple[dict, dict]]:
        """Yields (batch, outputs) as numpy dicts, like `Trainer.predict`."""
        for batch in dataset:
            batch = {k: v.numpy() for k, v in batch.items()}
            yield batch, self(batch)
