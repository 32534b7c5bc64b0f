"""Export: raw-text SavedModels match the Keras model; TF-Hub pair; TF Serving REST format."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from bert_tf import checkpoints, export, models
from bert_tf.config import BertConfig
from bert_tf.data.packing import encode_pair
from bert_tf.summarization import BertExtractiveSummarizer
from bert_tf.text import BertPreprocessor
from bert_tf.tokenization import FullTokenizer
from test_extract_features import run_script

SENTENCES = ["The food was delicious and the staff were lovely.", "A dull, lifeless film.",
             "Héllo wörld — naïve café!", "中文 and English mixed", ""]
FRESH_PROCESS = """
import json, sys
import tensorflow as tf
import tensorflow_text  # registers the tokenizer ops; nothing from bert_tf is imported
model = tf.saved_model.load(sys.argv[1])
out = model.signatures["serving_default"](text_a=tf.constant(json.loads(sys.argv[2])))
print(json.dumps({k: v.numpy().tolist() if v.dtype != tf.string else
                  [x.decode() for x in v.numpy()] for k, v in out.items()}))
"""


@pytest.fixture(scope="module")
def fine_tuned_run(minilm, tmp_path_factory):
    """A MiniLM sentiment classifier fine-tuned for a few steps, saved as a run directory."""
    out = tmp_path_factory.mktemp("run")
    r = run_script("run_classifier.py", "--demo", f"--output_dir={out}", "--num_train_epochs=0.5",
                   "--do_eval=false", "--do_predict=false")
    assert r.returncode == 0, r.stderr[-3000:]
    return out


@pytest.fixture(scope="module")
def exported(fine_tuned_run, tmp_path_factory):
    """fine_tuned_run exported by export_model.py with only --init_checkpoint and --export_dir."""
    export_dir = tmp_path_factory.mktemp("export") / "1"
    r = run_script("export_model.py", f"--init_checkpoint={fine_tuned_run}",
                   f"--export_dir={export_dir}")
    assert r.returncode == 0, r.stderr[-3000:]
    return export_dir


def _keras_probabilities(run_dir, minilm, texts):
    config = BertConfig.from_json_file(str(run_dir / "bert_config.json"))
    model = models.BertClassifier(models.BertEncoder(config), 2)
    checkpoints.load_weights(model, str(run_dir))
    tok = FullTokenizer(str(minilm / "vocab.txt"))
    feats = [encode_pair(tok, t, None, 64)[1] for t in texts]
    batch = {"input_word_ids": np.array([f["input_ids"] for f in feats], np.int32),
             "input_mask": np.array([f["input_mask"] for f in feats], np.int32),
             "input_type_ids": np.array([f["segment_ids"] for f in feats], np.int32)}
    return tf.nn.softmax(model(batch)["logits"]).numpy()


@pytest.mark.slow
def test_classifier_round_trip_in_a_fresh_process(fine_tuned_run, exported, minilm):
    info = json.loads((fine_tuned_run / "run_info.json").read_text())
    assert info["model_type"] == "classifier" and info["labels"] == ["0", "1"]
    fresh = subprocess.run([sys.executable, "-c", FRESH_PROCESS, str(exported),
                            json.dumps(SENTENCES)], capture_output=True, text=True, timeout=300)
    assert fresh.returncode == 0, fresh.stderr[-3000:]
    served = json.loads(fresh.stdout.strip().splitlines()[-1])
    expected = _keras_probabilities(fine_tuned_run, minilm, SENTENCES)
    np.testing.assert_allclose(served["probabilities"], expected, atol=1e-5)
    assert served["labels"] == [["0", "1"][i] for i in expected.argmax(1)]


@pytest.mark.slow
def test_saved_model_cli_and_rest_json(exported):
    export_dir = exported
    show = subprocess.run([sys.executable, "-m", "tensorflow.python.tools.saved_model_cli", "show",
                           "--dir", str(export_dir), "--all"], capture_output=True, text=True)
    assert show.returncode == 0, show.stderr[-2000:]
    for text in ("signature_def['serving_default']", "inputs['text_a'] tensor_info:",
                 "dtype: DT_STRING", "signature_def['serving_features']",
                 "inputs['input_word_ids'] tensor_info:", "outputs['probabilities']"):
        assert text in show.stdout
    # TF Serving's REST API, row format: {"instances": [{"text_a": ...}, ...]}.
    request = json.loads(json.dumps({"signature_name": "serving_default",
                                     "instances": [{"text_a": s} for s in SENTENCES[:2]]}))
    fn = tf.saved_model.load(str(export_dir)).signatures[request["signature_name"]]
    columns = {k: tf.constant([row[k] for row in request["instances"]]) for k in
               fn.structured_input_signature[1]}
    out = fn(**columns)
    response = {"predictions": [{k: (v.numpy()[i].decode() if v.dtype == tf.string
                                     else v.numpy()[i].tolist()) for k, v in out.items()}
                                for i in range(len(SENTENCES[:2]))]}
    body = json.loads(json.dumps(response))
    assert [p["labels"] for p in body["predictions"]] == ["1", "0"]
    assert abs(sum(body["predictions"][0]["probabilities"]) - 1) < 1e-5


@pytest.mark.slow
def test_hub_pair_with_tf_hub_and_saved_model_load(minilm, golden, tmp_path):
    hub = pytest.importorskip("tensorflow_hub")
    r = run_script("export_model.py", "--model_type=encoder", "--hub_format",
                   f"--init_checkpoint={minilm}", "--max_seq_length=32", f"--export_dir={tmp_path}")
    assert r.returncode == 0, r.stderr[-3000:]
    pre = tf.saved_model.load(str(tmp_path / "preprocessor"))
    a, b = pre.tokenize(tf.constant(golden["text_a"])), pre.tokenize(tf.constant(golden["text_b"]))
    inputs = pre.bert_pack_inputs([a, b])
    np.testing.assert_array_equal(inputs["input_word_ids"], golden["input_ids"])
    np.testing.assert_array_equal(inputs["input_type_ids"], golden["token_type_ids"])
    encoder = tf.saved_model.load(str(tmp_path / "encoder"))
    out = encoder(inputs)
    np.testing.assert_allclose(out["pooled_output"], golden["pooler_output"], atol=1e-4)
    assert len(out["encoder_outputs"]) == 6
    # tensorflow_hub's KerasLayer (Keras 2) loads both halves.
    layer_pre = hub.KerasLayer(str(tmp_path / "preprocessor"))
    layer_enc = hub.KerasLayer(str(tmp_path / "encoder"), trainable=True)
    single = layer_pre(tf.constant(golden["text_a"][:1]))
    pooled = layer_enc(single)["pooled_output"]
    np.testing.assert_allclose(pooled[0], golden["pooler_output"][0], atol=1e-4)
    # Trainable with every weight, and dropout active when training.
    assert len(layer_enc.trainable_weights) == 6 * 16 + 5 + 2
    dropped = layer_enc(single, training=True)["pooled_output"]
    assert np.abs(dropped - pooled).max() > 1e-3
    # The tfhub.dev preprocessor calls through hub.KerasLayer, in a process that imports only
    # tensorflow, tensorflow_text and tensorflow_hub.
    a, b = [str(t) for t in golden["text_a"]], [str(t) for t in golden["text_b"]]
    fresh = subprocess.run([sys.executable, "-c", FRESH_HUB, str(tmp_path / "preprocessor"),
                            str(tmp_path / "encoder"), json.dumps(a), json.dumps(b)],
                           capture_output=True, text=True, timeout=300)
    assert fresh.returncode == 0, fresh.stderr[-3000:]
    got = json.loads(next(x for x in fresh.stdout.splitlines() if x.startswith("HUB "))[4:])
    assert got["modules"] == []
    ta, tb = pre.tokenize(tf.constant(a)), pre.tokenize(tf.constant(b))
    assert got["tokenized"] == ["RaggedTensor", 3, ta.to_list()]
    assert got["pair"]["input_word_ids"] == golden["input_ids"].tolist()  # default: 32
    ids64 = np.array(got["pair64"]["input_word_ids"])
    short = golden["attention_mask"].sum(1) < 32  # rows 32 did not truncate
    np.testing.assert_array_equal(ids64[short, :32], golden["input_ids"][short])
    assert ids64.shape == (len(a), 64) and not ids64[short, 32:].any()
    assert got["flat"] == got["pair64"]
    as_lists = lambda d: {k: v.numpy().tolist() for k, v in d.items()}  # noqa: E731
    assert got["pair64"] == as_lists(pre.bert_pack_inputs([ta, tb], seq_length=64))
    assert got["single"] == got["call"] == as_lists(pre(tf.constant(a)))
    assert got["triple20"] == as_lists(pre.bert_pack_inputs([ta, tb, ta], seq_length=20))
    assert set(got["triple20"]["input_type_ids"][1]) == {0, 1, 2}  # row 0: text_b is empty
    assert got["pooled"] == [len(a), 384]


@pytest.mark.parametrize("kind", export.MODEL_TYPES)
def test_every_model_type_exports_raw_text_signatures(kind, tiny_config, tiny_vocab_file, tmp_path):
    enc = models.BertEncoder(tiny_config)
    labels = {"classifier": ["neg", "pos"], "ner": ["O", "B-PER", "I-PER"]}.get(kind)
    model = {"encoder": lambda: enc, "pretrainer": lambda: models.BertPretrainer(enc),
             "classifier": lambda: models.BertClassifier(enc, 2),
             "squad": lambda: models.BertSpanLabeler(enc),
             "ner": lambda: models.BertTokenTagger(enc, 3),
             "seq2seq": lambda: models.BertSeq2Seq(enc),
             "summarizer": lambda: BertExtractiveSummarizer(enc, 1, inter_intermediate_size=64),
             }[kind]()
    pre = BertPreprocessor(tiny_vocab_file, seq_length=16)
    export.export_model(export.ServingModule(model, kind, pre, labels, max_decode_length=5),
                        str(tmp_path))
    loaded = tf.saved_model.load(str(tmp_path))
    texts = tf.constant(["John Smith went to Paris .", "the cat sat"])
    if kind == "squad":
        out = loaded.signatures["serving_default"](question=tf.constant(["who went ?"] * 2),
                                                   context=texts)
        assert out["start_logits"].shape == (2, 16)
        text = [t.decode() for t in out["answer_text"].numpy()]
        assert all(t and t in c.decode() for t, c in zip(text, texts.numpy()))
    else:
        out = loaded.signatures["serving_default"](text_a=texts)
    if kind == "ner":
        assert [t.decode() for t in out["tokens"].numpy()[0]] == ["john", "smith", "went", "to",
                                                                  "paris", "."]
        assert set(out["tags"].numpy()[0].tolist()) <= {b"O", b"B-PER", b"I-PER"}
        assert out["tags"].numpy()[1].tolist()[3:] == [b""] * 3  # padding words
    if kind == "classifier":
        np.testing.assert_allclose(out["probabilities"].numpy().sum(1), 1.0, atol=1e-6)
    if kind == "seq2seq":
        assert out["outputs"].shape == (2,) and out["output_ids"].shape == (2, 5)
    if kind == "summarizer":  # one sentence each: it is the summary
        assert [t.decode() for t in out["summary"].numpy()] == [t.decode() for t in texts.numpy()]
    feats = loaded.signatures["serving_features"]
    ids = pre(texts)
    if kind == "pretrainer":
        ids["masked_lm_positions"] = tf.constant([[1, 2], [1, 2]])
    if kind == "seq2seq":
        ids["decoder_input_ids"] = tf.constant([[2, 5, 6], [2, 7, 8]])
    if kind == "summarizer":
        ids.update(cls_positions=tf.constant([[0], [0]]), sentence_mask=tf.constant([[1], [1]]))
    direct = model(ids)
    served = feats(**ids)
    for k in served:
        np.testing.assert_allclose(served[k], tf.cast(direct[k], tf.float32), atol=1e-5)


def test_bad_export_flags(tmp_path):
    r = run_script("export_model.py", f"--init_checkpoint={tmp_path}", "--model_type=encoder")
    assert r.returncode == 2 and "--export_dir is required" in r.stderr


FRESH_HUB = """
import json, sys
import tensorflow as tf
import tensorflow_text  # registers the tokenizer ops
import tensorflow_hub as hub
pre_dir, enc_dir, a, b = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), json.loads(sys.argv[4])
pre = tf.saved_model.load(pre_dir)
tokenize = hub.KerasLayer(pre.tokenize)
pack64 = hub.KerasLayer(pre.bert_pack_inputs, arguments=dict(seq_length=64))
pack = hub.KerasLayer(pre.bert_pack_inputs)
encoder = hub.KerasLayer(enc_dir)
ta, tb = tokenize(tf.constant(a)), tokenize(tf.constant(b))
lists = lambda d: {k: v.numpy().tolist() for k, v in d.items()}
pair64 = pack64([ta, tb])
print("HUB " + json.dumps({
    "modules": sorted(m for m in sys.modules if m.split(".")[0] == "bert_tf"),
    "tokenized": [type(ta).__name__, ta.shape.rank, ta.to_list()],
    "pair64": lists(pair64), "pair": lists(pack([ta, tb])), "single": lists(pack([ta])),
    "triple20": lists(pre.bert_pack_inputs([ta, tb, ta], seq_length=20)),
    "flat": lists(pack64([ta.merge_dims(1, 2), tb.merge_dims(1, 2)])),
    "call": lists(hub.KerasLayer(pre_dir)(tf.constant(a))),
    "pooled": encoder(pair64)["pooled_output"].shape.as_list()}))
"""



@pytest.mark.parametrize("count", [1, 2, 3])
def test_bert_pack_inputs_equals_model_garden(tiny_vocab_file, count):
    """Packing and round-robin truncation equal the Model Garden's BertPackInputs (the
    tfhub.dev preprocessors' packer) wherever every segment is non-empty."""
    layers = pytest.importorskip("official.nlp.modeling.layers")
    pre = BertPreprocessor(tiny_vocab_file)
    rng = np.random.default_rng(count)
    for seq_length in (8, 13, 32):
        segments = [tf.ragged.constant([list(rng.integers(5, 60, rng.integers(1, 25)))
                                        for _ in range(16)], tf.int32) for _ in range(count)]
        ours = pre.pack_segments(segments, seq_length)
        oracle = layers.BertPackInputs.bert_pack_inputs(
            segments, seq_length, start_of_sequence_id=pre.cls_id, end_of_segment_id=pre.sep_id,
            padding_id=0)
        for key in ours:
            np.testing.assert_array_equal(ours[key], oracle[key], err_msg=f"{key} {seq_length}")
