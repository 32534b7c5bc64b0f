"""LiteRT export: every model type against TensorFlow (float, float16, int8), NaN caught,
export_model.py --format=litert and run_classifier.py --litert_model, bad input."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from bert_tf import checkpoints, litert, models
from conftest import TINY_WORDS
from test_extract_features import run_script

SEQ = 16
# Bounds on max |LiteRT - TF| for the tiny random BERT below (outputs of order 1).
# float16 weights round at 2^-11 relative; int8 weights (per-channel scale) and
# activations quantized per call stay within a few hundredths at these widths.
BOUNDS = {"none": 1e-4, "float16": 5e-3, "dynamic_int8": 0.1}


def _model(kind, config):
    encoder = models.BertEncoder(config)
    return {"encoder": lambda: encoder, "classifier": lambda: models.BertClassifier(encoder, 3),
            "squad": lambda: models.BertSpanLabeler(encoder),
            "ner": lambda: models.BertTokenTagger(encoder, 5)}[kind]()


def _tf_outputs(model, kind, inputs):
    out = model({k: tf.constant(v) for k, v in inputs.items()}, training=False)
    if kind == "encoder":
        out = {k: out[k] for k in ("pooled_output", "sequence_output")}
    return {k: np.asarray(v) for k, v in out.items()}


@pytest.mark.parametrize("kind", litert.MODEL_TYPES)
def test_litert_matches_tensorflow(kind, tiny_config):
    keras.utils.set_random_seed(0)
    model = _model(kind, tiny_config)
    inputs = litert.sample_inputs(3, SEQ, tiny_config.vocab_size, seed=1)
    want = _tf_outputs(model, kind, inputs)
    diffs = {}
    for quantize in ("none", "dynamic_int8") if kind != "encoder" else litert.QUANTIZE:
        runner = litert.LiteRTModel(litert.convert(model, kind, SEQ, quantize))
        assert runner.seq_length == SEQ and runner.output_names == sorted(want)
        got = runner(inputs)
        for name, value in got.items():
            assert value.shape == want[name].shape and np.all(np.isfinite(value)), name
        diffs[quantize] = max(float(np.abs(got[k] - want[k]).max()) for k in want)
        assert diffs[quantize] <= BOUNDS[quantize], (quantize, diffs)
    print(kind, diffs)
    # One example alone gives the same numbers as inside the batch (dynamic batch size).
    single = runner({k: v[:1] for k, v in inputs.items()})
    for k in single:
        np.testing.assert_allclose(single[k], got[k][:1], atol=1e-5)


def test_weightless_conversion_is_caught(tiny_config, monkeypatch):
    """Converting the Keras 3 model with its variables still inside writes a model
    without weights that returns NaN; `convert`'s check must refuse it, and the
    test helper must see the NaN."""
    model = _model("classifier", tiny_config)
    specs = [tf.TensorSpec([None, SEQ], tf.int32, name=n) for n in models.INPUT_NAMES]
    module = tf.Module()
    module.model = model
    fn = tf.function(lambda input_word_ids, input_mask, input_type_ids: {"logits": model(
        {"input_word_ids": input_word_ids, "input_mask": input_mask,
         "input_type_ids": input_type_ids}, training=False)["logits"]}, input_signature=specs)
    content = tf.lite.TFLiteConverter.from_concrete_functions(
        [fn.get_concrete_function()], module).convert()
    inputs = litert.sample_inputs(2, SEQ, tiny_config.vocab_size)
    assert np.isnan(litert.max_abs_diff(litert.LiteRTModel(content), fn, inputs))
    with pytest.raises(litert.LiteRTError, match="off by nan"):
        litert._check(content, model, "classifier", SEQ, "none")


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    """A run directory with a tiny random 2-label classifier and a 40-example dev set."""
    from bert_tf.config import BertConfig

    d = tmp_path_factory.mktemp("run")
    config = BertConfig(vocab_size=len(TINY_WORDS), hidden_size=64, num_hidden_layers=2,
                        num_attention_heads=4, intermediate_size=128,
                        max_position_embeddings=64, type_vocab_size=2)
    config.to_json_file(str(d / "bert_config.json"))
    (d / "vocab.txt").write_text("\n".join(TINY_WORDS) + "\n", encoding="utf-8")
    (d / "run_info.json").write_text('{"model_type": "classifier", "labels": ["0", "1"], '
                                     '"max_seq_length": 16, "do_lower_case": true}')
    keras.utils.set_random_seed(3)
    checkpoints.save_model(models.BertClassifier(models.BertEncoder(config), 2),
                           str(d / "model.ckpt-7"))
    data = d / "data"
    data.mkdir()
    rng = np.random.default_rng(0)
    words = TINY_WORDS[5:]
    rows = [" ".join(rng.choice(words, rng.integers(2, 12))) + f"\t{i % 2}" for i in range(40)]
    (data / "dev.tsv").write_text("sentence\tlabel\n" + "\n".join(rows) + "\n")
    return d


def test_export_and_evaluate_a_litert_classifier(tiny_run, tmp_path):
    """export_model.py --format=litert, then run_classifier.py --litert_model: the same
    eval results as TensorFlow (int8 numbers are checked in process above)."""
    common = ["--task_name=sst-2", f"--data_dir={tiny_run / 'data'}", "--do_eval",
              f"--init_checkpoint={tiny_run}", "--max_seq_length=16"]
    r = run_script("run_classifier.py", *common, f"--output_dir={tmp_path / 'tf'}")
    assert r.returncode == 0, r.stderr[-2000:]
    r = run_script("export_model.py", f"--init_checkpoint={tiny_run}", "--format=litert",
                   "--max_seq_length=16", f"--export_dir={tmp_path / 'litert'}")
    assert r.returncode == 0, r.stderr[-2000:]
    r = run_script("run_classifier.py", *common, f"--output_dir={tmp_path / 'eval'}",
                   f"--litert_model={tmp_path / 'litert' / 'model.tflite'}")
    assert r.returncode == 0, r.stderr[-2000:]

    def results(path):
        return dict(line.split(" = ") for line in path.read_text().splitlines())

    got, want = results(tmp_path / "eval" / "eval_results.txt"), results(
        tmp_path / "tf" / "eval_results.txt")
    assert got["eval_accuracy"] == want["eval_accuracy"] and got["global_step"] == want[
        "global_step"]
    assert abs(float(got["eval_loss"]) - float(want["eval_loss"])) <= 1e-4


@pytest.mark.parametrize("args,expected", [
    (["--model_type=pretrainer", "--format=litert", "--quantize=dynamic_int8"],
     "--format=litert --quantize=dynamic_int8: unsupported for model type 'pretrainer'"),
    (["--quantize=float16"], "--quantize=float16 needs --format=litert"),
])
def test_bad_litert_flags(tiny_run, tmp_path, args, expected):
    r = run_script("export_model.py", f"--init_checkpoint={tiny_run}", "--max_seq_length=16",
                   f"--export_dir={tmp_path}", *args)
    assert r.returncode == 2 and expected in r.stderr and "Traceback" not in r.stderr
