"""ROUGE and BLEU helpers against rouge-score's and sacreBLEU's own results."""

from __future__ import annotations

import numpy as np
import pytest
from rouge_score import rouge_scorer, tokenizers

from bert_tf import text_metrics

ENGLISH = [
    "The quick brown foxes were jumping over the lazy dogs, again and again!",
    "BERT's 12-layer encoder (110M parameters) was released in 2018.",
    "Running runners ran; the generously-sized meals were eaten quickly.",
]


def test_tokenizer_matches_rouge_score_on_english():
    default = tokenizers.DefaultTokenizer(use_stemmer=True)
    ours = text_metrics.RougeTokenizer(use_stemmer=True)
    for text in ENGLISH:
        assert ours.tokenize(text) == default.tokenize(text)


def test_cjk_and_accented_text_is_not_empty():
    ours = text_metrics.RougeTokenizer()
    assert ours.tokenize("猫坐在垫子上。") == list("猫坐在垫子上")
    assert ours.tokenize("Ça coûte 3 €, même à Zürich") == ["ça", "coûte", "3", "même", "à",
                                                           "zürich"]
    # rouge-score's own tokenizer drops it all, so CJK summaries would score 0.
    assert tokenizers.DefaultTokenizer().tokenize("猫坐在垫子上。") == []
    scores = text_metrics.rouge(["猫坐在垫子上"], ["猫坐在地毯上"])
    assert scores["rouge1"] == pytest.approx(100 * 4 / 6)  # 4 of 6 characters shared
    assert scores["rouge2"] == pytest.approx(100 * 2 / 5)  # 猫坐, 坐在 of 5 bigrams


def test_rouge_is_rouge_score_mean_with_bootstrap_interval():
    predictions = ["the cats sat on mats\nit rained", "a dog barked", "nothing in common",
                   "the brown fox jumped"]
    references = ["the cat sat on the mat\nit was raining", "the dog barked loudly", "zebra",
                  "a quick brown fox jumps"]
    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeLsum"], use_stemmer=True)
    expected = [scorer.score(r, p) for p, r in zip(predictions, references)]
    scores = text_metrics.rouge(predictions, references)
    for name in text_metrics.ROUGE_TYPES:
        mean = 100 * np.mean([e[name].fmeasure for e in expected])
        assert scores[name] == pytest.approx(mean)
        assert scores[f"{name}_low"] <= scores[name] <= scores[f"{name}_high"]
    assert scores["rouge1_low"] < scores["rouge1_high"]
    assert text_metrics.rouge(predictions, references) == scores  # seeded bootstrap
    # rougeLsum scores sentence by sentence: with the sentences in the other order,
    # one LCS over the joined text loses a sentence, the per-sentence one does not.
    swapped = "it rained\nthe cats sat on mats"
    joined = text_metrics.rouge([swapped.replace("\n", " ")], [references[0].replace("\n", " ")])
    single = text_metrics.rouge([swapped], [references[0]])
    assert joined["rouge1"] == single["rouge1"] and joined["rougeLsum"] != single["rougeLsum"]


def test_bleu():
    hyps = ["The dog bit the man.", "It wasn't surprising.", "The man had just bitten him."]
    refs = ["The dog bit the man.", "It was not unexpected.", "The man bit him first."]
    result = text_metrics.bleu(hyps, refs)
    # By hand, 13a tokens ("man ." apart, "wasn't" whole): n-gram matches 6+2+4 of 17,
    # 5+0+1 of 14, 4+0+0 of 11, 3+0+0 of 8; 17 tokens each side, so no brevity penalty.
    expected = 100 * np.exp(np.mean(np.log([12 / 17, 6 / 14, 4 / 11, 3 / 8])))
    assert result["bleu"] == pytest.approx(expected, abs=0.01)
    assert "tok:13a" in result["bleu_signature"]
    assert text_metrics.bleu(refs, refs)["bleu"] == pytest.approx(100.0)
    # Chinese needs the zh tokenizer: 13a sees each sentence as one token.
    assert text_metrics.bleu(["猫坐在垫子上。"], ["猫坐在地毯上。"])["bleu"] == 0.0
    assert text_metrics.bleu(["猫坐在垫子上。"], ["猫坐在地毯上。"], "zh")["bleu"] > 20


def test_bad_input():
    with pytest.raises(ValueError, match="bleu_tokenize"):
        text_metrics.bleu(["a"], ["a"], "nope")
    with pytest.raises(ValueError, match="2 predictions but 1 references"):
        text_metrics.rouge(["a", "b"], ["a"])
    with pytest.raises(ValueError, match="no examples"):
        text_metrics.bleu([], [])
