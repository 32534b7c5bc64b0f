"""Extractive summarization pieces: splitter, readers, oracle, trigram blocking, features,
the BertSumExt model (config, .keras, TF1 checkpoint names) and position-table extension."""

from __future__ import annotations

import itertools
import json
import random

import keras
import numpy as np
import pytest
import tensorflow as tf

from bert_tf import checkpoints, losses, tokenization
from bert_tf.data import summarization as data
from bert_tf.models import BertEncoder
from bert_tf.summarization import (BertExtractiveSummarizer, _sentence_means,
                                   sinusoidal_positions)

TEXTS = [
    'Dr. Smith arrived at noon. "It works!" she said. Then J. K. Lee left? Yes.',
    "The U.S. economy grew 3.5 percent. e.g. this continues. Prices rose... Markets fell.",
    "First paragraph without a stop\n\nSecond one, wrapped\nover two lines. End.",
    "今天天气很好。我们去公园吧！你来吗？好的",
    "東京は晴れ。 「本当ですか？」と彼は言った。Seoul is cold. 서울은 춥다.",
    "   ",
]


def test_split_sentences_english_and_cjk():
    assert data.split_sentences(TEXTS[0]) == [
        "Dr. Smith arrived at noon.", '"It works!" she said.', "Then J. K. Lee left?", "Yes."]
    assert data.split_sentences(TEXTS[1]) == [
        "The U.S. economy grew 3.5 percent. e.g. this continues.", "Prices rose...",
        "Markets fell."]
    assert data.split_sentences(TEXTS[2]) == [
        "First paragraph without a stop", "Second one, wrapped over two lines.", "End."]
    assert data.split_sentences(TEXTS[3]) == ["今天天气很好。", "我们去公园吧！", "你来吗？", "好的"]
    assert data.split_sentences(TEXTS[4])[:2] == ["東京は晴れ。", "「本当ですか？」と彼は言った。"]
    assert data.split_sentences(TEXTS[5]) == []


def test_split_sentences_in_graph_matches_python():
    got = data.split_sentences_tf(tf.constant(TEXTS)).to_list()
    assert [[s.decode() for s in row] for row in got] == [data.split_sentences(t) for t in TEXTS]


def _greedy_by_search(sentences, summary, k):
    """The greedy oracle spelled out: every step scores every remaining sentence from scratch."""
    tokens = [data.rouge_tokens(s) for s in sentences]
    reference = data.rouge_tokens(" ".join(summary))
    chosen, best = [], 0.0
    for _ in range(k):
        scored = [(data.oracle_score(tokens, chosen + [i], reference), -i) for i in
                  range(len(sentences)) if i not in chosen]
        if not scored or max(scored)[0] <= best:
            break
        best, i = max(scored)
        chosen.append(-i)
    return sorted(chosen), best


def _exhaustive(sentences, summary, k):
    tokens = [data.rouge_tokens(s) for s in sentences]
    reference = data.rouge_tokens(" ".join(summary))
    return max((data.oracle_score(tokens, subset, reference), subset)
               for n in range(1, k + 1) for subset in itertools.combinations(range(len(tokens)), n))


def test_greedy_oracle_against_brute_force():
    rng = random.Random(0)
    words = "the cat dog sat ran on a mat big red fox hill up down".split()
    for _ in range(60):
        sentences = [" ".join(rng.choices(words, k=rng.randint(2, 7))) + "."
                     for _ in range(rng.randint(1, 6))]
        summary = [" ".join(rng.choices(words, k=rng.randint(3, 9)))]
        k = rng.randint(1, 3)
        chosen = data.greedy_oracle(sentences, summary, k)
        expected, score = _greedy_by_search(sentences, summary, k)
        assert chosen == expected
        best, _ = _exhaustive(sentences, summary, k)
        assert score <= best + 1e-12
        if chosen:  # the first pick is the best single sentence
            assert score >= _exhaustive(sentences, summary, 1)[0] - 1e-12


def test_greedy_oracle_recovers_an_exact_extract():
    sentences = ["alpha beta gamma delta.", "one two three four.", "red green blue white.",
                 "cats like milk a lot.", "rain falls in spring."]
    summary = ["red green blue white.", "alpha beta gamma delta."]
    assert data.greedy_oracle(sentences, summary, 3) == [0, 2]
    assert _exhaustive(sentences, summary, 3)[1] == (0, 2)
    assert data.greedy_oracle(sentences, summary, 1) in ([0], [2])
    # CJK text is scored per character, not as empty.
    assert data.greedy_oracle(["今天很好。", "明天下雨。"], ["明天会下雨"], 3) == [1]


def test_select_sentences_blocks_trigrams_and_keeps_document_order():
    sentences = ["The council voted to spend money.", "Unrelated words here today.",
                 "the council voted to spend more money!", "A third fact appears.",
                 "Another distinct statement now."]
    scores = [0.9, 0.1, 0.95, 0.5, 0.4]
    assert data.select_sentences(sentences, scores, 3) == [2, 3, 4]
    assert data.select_sentences(sentences, scores, 3, block_trigram=False) == [0, 2, 3]
    assert data.select_sentences(sentences, scores, 1) == [2]
    # Scores cover only the sentences the model saw (a prefix).
    assert data.select_sentences(sentences, scores[:2], 3) == [0, 1]
    assert data.trigrams("一二三四") == {("一", "二", "三"), ("二", "三", "四")}


def test_read_jsonl_text_sentences_and_errors(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_text(json.dumps({"id": "a", "text": "One here. Two there.", "summary": "Two."})
                    + "\n\n" + json.dumps({"sentences": ["x y", " ", "z"], "summary": ["s1", "s2"]})
                    + "\n", encoding="utf-8")
    a, b = data.read_examples(str(path), require_summary=True)
    assert (a.guid, a.sentences, a.summary) == ("a", ["One here.", "Two there."], ["Two."])
    assert (b.sentences, b.summary, b.where) == (["x y", "z"], ["s1", "s2"], f"{path}, line 3")
    cases = {
        '{"text": "One. Two."}': "line 1: no \"summary\"",
        '{"text": "   ", "summary": "x"}': "line 1: the document has no sentences",
        '{"summary": "x"}': "line 1: expected an object",
        '{"text": "A. B.", "summary": 3}': "'summary' must be",
        '{"text": ': "line 1: not valid JSON",
        "": "is empty",
    }
    for content, message in cases.items():
        path.write_text(content, encoding="utf-8")
        with pytest.raises(data.SummarizationDataError, match=message):
            data.read_examples(str(path), require_summary=True)
    path.write_text('{"text": "One. Two."}\n', encoding="utf-8")
    assert data.read_examples(str(path))[0].summary is None


def test_read_stories_and_plain_text(tmp_path):
    stories = tmp_path / "stories"
    stories.mkdir()
    (stories / "b.story").write_text(
        "First line of the article. It has two sentences.\n\nA second paragraph\n\n"
        "@highlight\n\nThe first highlight\n\n@highlight\n\nThe second one\n", encoding="utf-8")
    (stories / "a.story").write_text("Only text. More.\n\n@highlight\n\nHigh\n", encoding="utf-8")
    a, b = data.read_examples(str(stories), require_summary=True)
    assert (a.guid, a.summary) == ("a", ["High"])
    assert b.sentences == ["First line of the article.", "It has two sentences.",
                           "A second paragraph"]
    assert b.summary == ["The first highlight", "The second one"]
    (stories / "c.story").write_text("No highlights at all.\n", encoding="utf-8")
    with pytest.raises(data.SummarizationDataError, match="c.story: no @highlight"):
        data.read_examples(str(stories), require_summary=True)
    text = tmp_path / "docs.txt"
    text.write_text("One doc. Two sentences.\n\n第二个文件。很短。\n", encoding="utf-8")
    docs = data.read_examples(str(text))
    assert [d.sentences for d in docs] == [["One doc.", "Two sentences."], ["第二个文件。", "很短。"]]
    with pytest.raises(data.SummarizationDataError, match="plain text has no summaries"):
        data.read_examples(str(text), require_summary=True)
    with pytest.raises(FileNotFoundError, match="missing.jsonl"):
        data.read_examples(str(tmp_path / "missing.jsonl"))


def test_features_interval_segments_labels_and_cuts(tiny_vocab_file):
    tokenizer = tokenization.FullTokenizer(tiny_vocab_file)
    example = data.SumExample("d", ["the cat sat.", "a dog ran.", "the fox jumps over the dog.",
                                    "good film."], ["the fox jumps over the dog."])
    f = data.convert_example(example, tokenizer, 32, 4)
    tokens = tokenizer.convert_ids_to_tokens(f.input_ids[:sum(f.input_mask)])
    assert tokens[:6] == ["[CLS]", "the", "cat", "sat", ".", "[SEP]"]
    assert [tokens[p] for p in f.cls_positions] == ["[CLS]"] * 4
    assert f.cls_positions == [0, 6, 12, 21]  # "ran" is [UNK]
    assert f.segment_ids[:13] == [0] * 6 + [1] * 6 + [0]
    assert f.labels == [0, 0, 1, 0] and f.sentence_mask == [1, 1, 1, 1]
    assert (f.num_sentences, f.cut_sentences, f.cut_tokens) == (4, 0, 0)
    # 16 positions: two whole sentences, then the third loses its tail; the fourth is cut.
    f = data.convert_example(example, tokenizer, 16, 6)
    assert len(f.input_ids) == 16 and sum(f.input_mask) == 16
    assert (f.num_sentences, f.cut_sentences, f.cut_tokens) == (3, 1, 5 + 3)
    assert f.sentence_mask == [1, 1, 1, 0, 0, 0]
    assert data.counts([f])["documents_cut"] == 1
    # max_sentences caps the sentences too.
    assert data.convert_example(example, tokenizer, 64, 2).cut_sentences == 2


def _tiny_model(config, inter_layers=2):
    return BertExtractiveSummarizer(BertEncoder(config), inter_layers=inter_layers,
                                    inter_intermediate_size=64)


def _batch():
    ids = np.array([[2, 5, 6, 3, 2, 7, 8, 9, 3, 2, 10, 3], [2, 11, 3, 2, 12, 3, 0, 0, 0, 0, 0, 0]],
                   np.int32)
    return {"input_word_ids": ids, "input_mask": (ids > 0).astype(np.int32),
            "input_type_ids": np.array([[0] * 4 + [1] * 5 + [0] * 3, [0] * 3 + [1] * 3 + [0] * 6],
                                       np.int32),
            "cls_positions": np.array([[0, 4, 9], [0, 3, 0]], np.int32),
            "sentence_mask": np.array([[1, 1, 1], [1, 1, 0]], np.int32),
            "labels": np.array([[0, 1, 0], [1, 0, 0]], np.int32)}


def test_model_outputs_config_round_trip_and_keras_save(tiny_config, tmp_path):
    model = _tiny_model(tiny_config)
    batch = _batch()
    inputs = {k: v for k, v in batch.items() if k != "labels"}
    out = model(inputs, training=False)
    assert out["scores"].shape == (2, 3) and float(out["scores"][1, 2]) == 0.0
    np.testing.assert_allclose(out["scores"], tf.sigmoid(out["logits"]), atol=1e-6)
    clone = BertExtractiveSummarizer.from_config(model.get_config())
    clone.set_weights(model.get_weights())
    np.testing.assert_allclose(clone(inputs)["logits"], out["logits"], atol=1e-5)
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(loaded(inputs)["logits"], out["logits"], atol=1e-5)
    # The loss averages BCE over real sentences only.
    loss = float(losses.summarization_loss(model, batch, False))
    logits, mask = out["logits"].numpy(), batch["sentence_mask"].astype(bool)
    p = 1 / (1 + np.exp(-logits[mask]))
    y = batch["labels"][mask]
    assert loss == pytest.approx(float(np.mean(-(y * np.log(p) + (1 - y) * np.log(1 - p)))),
                                 rel=1e-5)


def test_sinusoidal_positions():
    pe = sinusoidal_positions(tf.constant(5), 6).numpy()
    assert pe.shape == (5, 6)
    np.testing.assert_allclose(pe[3, 0], np.sin(3.0), atol=1e-6)
    np.testing.assert_allclose(pe[3, 1], np.cos(3.0), atol=1e-6)
    np.testing.assert_allclose(pe[2, 4], np.sin(2 / 10000 ** (4 / 6)), atol=1e-6)


def test_mean_pooling_averages_each_sentence_span():
    batch = _batch()
    sequence = np.random.default_rng(0).normal(size=(2, 12, 4)).astype(np.float32)
    got = _sentence_means(sequence, batch["cls_positions"], batch["sentence_mask"],
                          batch["input_mask"]).numpy()
    np.testing.assert_allclose(got[0], [sequence[0, 0:4].mean(0), sequence[0, 4:9].mean(0),
                                        sequence[0, 9:12].mean(0)], atol=1e-6)
    np.testing.assert_allclose(got[1], [sequence[1, 0:3].mean(0), sequence[1, 3:6].mean(0),
                                        np.zeros(4)], atol=1e-6)


def test_checkpoint_round_trip_with_tf1_names(tiny_config, tmp_path):
    model = _tiny_model(tiny_config, inter_layers=2)
    prefix = checkpoints.save_model(model, str(tmp_path / "model.ckpt-1"))
    names = dict(tf.train.list_variables(prefix))
    assert names["cls/summarization/output_weights"] == [1, 64]
    assert names["cls/summarization/output_bias"] == [1]
    assert names["cls/summarization/layer_1/attention/self/query/kernel"] == [64, 64]
    assert names["cls/summarization/layer_0/intermediate/dense/kernel"] == [64, 64]
    assert "bert/encoder/layer_1/output/LayerNorm/gamma" in names
    assert len(names) == len(model.weights)
    other = _tiny_model(tiny_config, inter_layers=2)
    report = checkpoints.load_weights(other, prefix)
    assert not report.missing and not report.unused
    inputs = {k: v for k, v in _batch().items() if k != "labels"}
    np.testing.assert_allclose(other(inputs)["logits"], model(inputs)["logits"], atol=1e-6)
    # An encoder-only checkpoint leaves the head initialised (fine-tuning from BERT).
    encoder_only = checkpoints.save_model(other.encoder, str(tmp_path / "bert_model.ckpt"))
    report = checkpoints.load_weights(_tiny_model(tiny_config), encoder_only,
                                      allow_missing_heads=True)
    assert all(n.startswith("cls/summarization/") for n in report.missing)


def test_extend_position_embeddings_from_the_last_row(tiny_config, tmp_path):
    import dataclasses

    model = _tiny_model(tiny_config)
    prefix = checkpoints.save_model(model, str(tmp_path / "model.ckpt-1"))
    longer = _tiny_model(dataclasses.replace(tiny_config, max_position_embeddings=100))
    with pytest.raises(checkpoints.CheckpointError, match="position_embeddings"):
        checkpoints.load_weights(longer, prefix)
    checkpoints.load_weights(longer, prefix, extend_positions=True)
    old = model.encoder.embeddings.position_embeddings.numpy()
    new = longer.encoder.embeddings.position_embeddings.numpy()
    np.testing.assert_array_equal(new[:64], old)
    np.testing.assert_array_equal(new[64:], np.repeat(old[-1:], 36, axis=0))
    # Sequences beyond the checkpoint's 64 positions now run.
    ids = np.full((1, 80), 5, np.int32)
    out = longer({"input_word_ids": ids, "input_mask": np.ones_like(ids),
                  "input_type_ids": np.zeros_like(ids), "cls_positions": np.array([[0, 70]]),
                  "sentence_mask": np.array([[1, 1]])})
    assert np.isfinite(out["logits"].numpy()).all()
