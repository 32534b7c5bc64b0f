"""ROUGE (Google's rouge-score) and BLEU (sacreBLEU) for generated text, one helper each.

  rouge             rouge1, rouge2, rougeLsum F1 with a bootstrap mean and 95% interval
  sentence_lines    one sentence per line (what rougeLsum needs) for unsplit text
  bleu              corpus BLEU with sacreBLEU's tokenizers (13a, zh, intl, ...)
  RougeTokenizer    rouge-score's tokenizer, but keeping non-ASCII text (CJK per character)

Both run_seq2seq.py (abstractive) and run_summarization.py (extractive) report
ROUGE through `rouge`, so their numbers are comparable.
"""

from __future__ import annotations

import re
from typing import Sequence

import numpy as np
from bert_tf.errors import DataError, UsageError

ROUGE_TYPES = ("rouge1", "rouge2", "rougeLsum")
BLEU_TOKENIZERS = ("13a", "zh", "intl", "char", "none", "ja-mecab", "ko-mecab", "flores101",
                   "flores200")

# One token per CJK ideograph, kana or Hangul syllable (these scripts do not put
# spaces between words); otherwise runs of letters and digits. On ASCII text this
# gives exactly rouge-score's [a-z0-9]+ tokens.
_CJK = ("\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
        "\U00020000-\U0002a6df\U0002a700-\U0002ebef\U0002f800-\U0002fa1f")
_TOKEN = re.compile(f"[{_CJK}]|[^\\W_{_CJK}]+")


class RougeTokenizer:
    """Lowercases, keeps letters and digits of every script, stems English words.

    rouge-score's default tokenizer replaces everything outside [a-z0-9] with
    spaces, so Chinese, Japanese, Russian or accented text scores as empty (0).
    Stemming (Porter, words longer than 3 characters) is rouge-score's own, as
    ROUGE-1.5.5's -m.
    """

    def __init__(self, use_stemmer: bool = True):
        from nltk.stem import porter

        self._stemmer = porter.PorterStemmer() if use_stemmer else None

    def tokenize(self, text: str) -> list[str]:
        tokens = _TOKEN.findall(text.lower())
        if self._stemmer is None:
            return tokens
        return [self._stemmer.stem(t) if len(t) > 3 and t.isascii() else t for t in tokens]


# Sentence ends: . ! ? (and CJK 。！？) followed by a space or the end.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|(?<=[。！？])\s*(?=\S)")


def sentence_lines(text: str) -> str:
    """`text` with one sentence per line, for rougeLsum; text that has lines keeps them."""
    if "\n" in text:
        return text
    return "\n".join(s for s in _SENTENCE_END.split(text.strip()) if s)


def rouge(predictions: Sequence[str], references: Sequence[str], use_stemmer: bool = True,
          bootstrap_samples: int = 1000, seed: int = 0) -> dict[str, float]:
    """Mean ROUGE F1 (x100) over examples, with bootstrap 95% intervals.

    Args:
      predictions, references: one string per example, sentences separated by
        newlines (rougeLsum scores sentence by sentence, as ROUGE-1.5.5's summary-level L).
      bootstrap_samples: resamples for the interval (rouge-score's BootstrapAggregator).
      seed: the resampling seed, so a run's intervals are reproducible.

    Returns:
      {"rouge1": mean, "rouge1_low": 2.5th percentile, "rouge1_high": 97.5th, ...}
      for rouge1, rouge2 and rougeLsum: the mean over examples and the bootstrap
      percentiles of that mean.
    """
    from rouge_score import rouge_scorer, scoring

    if len(predictions) != len(references):
        raise ValueError(f"{len(predictions)} predictions but {len(references)} references")
    if not predictions:
        raise DataError("no examples to score")
    scorer = rouge_scorer.RougeScorer(list(ROUGE_TYPES), tokenizer=RougeTokenizer(use_stemmer))
    aggregator = scoring.BootstrapAggregator(n_samples=bootstrap_samples)
    per_example = [scorer.score(r, p) for p, r in zip(predictions, references)]
    for scores in per_example:
        aggregator.add_scores(scores)
    # BootstrapAggregator draws from numpy's global RNG: seed it, then put it back.
    state = np.random.get_state()
    np.random.seed(seed)
    try:
        aggregated = aggregator.aggregate()
    finally:
        np.random.set_state(state)
    out = {}
    for name in ROUGE_TYPES:
        score = aggregated[name]
        out[name] = 100.0 * float(np.mean([s[name].fmeasure for s in per_example]))
        out[f"{name}_low"] = 100.0 * float(score.low.fmeasure)
        out[f"{name}_high"] = 100.0 * float(score.high.fmeasure)
    return out


def bleu(hypotheses: Sequence[str], references: Sequence[str],
         tokenize: str = "13a") -> dict[str, float | str]:
    """Corpus BLEU (sacreBLEU) of detokenized hypotheses against one reference each.

    Returns {"bleu": score, "bleu_signature": sacreBLEU's signature string}.
    """
    import sacrebleu

    if tokenize not in BLEU_TOKENIZERS:
        raise UsageError(f"--bleu_tokenize={tokenize!r}: expected one of {BLEU_TOKENIZERS}")
    if len(hypotheses) != len(references):
        raise ValueError(f"{len(hypotheses)} hypotheses but {len(references)} references")
    if not hypotheses:
        raise DataError("no examples to score")
    metric = sacrebleu.BLEU(tokenize=tokenize)
    result = metric.corpus_score(list(hypotheses), [list(references)])
    return {"bleu": float(result.score), "bleu_signature": str(metric.get_signature())}
