"""Packing one or two token sequences into fixed-length BERT inputs, as the original."""

from __future__ import annotations

from typing import Sequence

from bert_tf.tokenization import FullTokenizer


TRUNCATIONS = ("head", "tail", "head_tail")
# head_tail keeps at most this many leading wordpieces (Sun et al. 2019, "How to
# Fine-Tune BERT for Text Classification?": the first 128 and the last 382 of 512).
HEAD_TAIL_HEAD = 128


def keep(tokens: Sequence[str], n: int, truncation: str = "head") -> list:
    """`n` of `tokens` (all of them if there are no more than n), chosen by `truncation`.

    head: the first n (the original); tail: the last n; head_tail: the first
    h = min(128, ceil(n / 4)) and the last n - h, so n = 510 (max_seq_length 512)
    keeps the first 128 and the last 382 wordpieces, as Sun et al. 2019.
    """
    if truncation not in TRUNCATIONS:
        raise ValueError(f"truncation={truncation!r}: expected one of {TRUNCATIONS}")
    tokens = list(tokens)
    if len(tokens) <= n:
        return tokens
    if n <= 0:
        return []
    if truncation == "head":
        return tokens[:n]
    if truncation == "tail":
        return tokens[len(tokens) - n:]
    head = min(HEAD_TAIL_HEAD, -(-n // 4))
    return tokens[:head] + tokens[len(tokens) - (n - head):]


def truncate_seq_pair(tokens_a: list, tokens_b: list, max_length: int) -> None:
    """Truncates in place, one token at a time from the end of the longer sequence.

    A shorter sequence is likely to carry more information per token than a
    longer one, so the original trims the longer side (`tokens_b` on ties).
    """
    while len(tokens_a) + len(tokens_b) > max_length:
        (tokens_a if len(tokens_a) > len(tokens_b) else tokens_b).pop()


def pack_tokens(tokens_a: Sequence[str], tokens_b: Sequence[str] | None,
                max_seq_length: int, truncation: str = "head") -> tuple[list[str], list[int]]:
    """[CLS] a [SEP] (b [SEP]) with segment ids 0 for a, 1 for b; truncated to fit.

    How many wordpieces each side keeps is the original's rule (a pair loses one
    at a time from the longer side); `truncation` (see `keep`) says which ones:
    head, the original's, keeps each side's first.

    For example, with tokens_a = ["is", "this", "jack", "##son", "##ville", "?"] and
    tokens_b = ["no", "it", "is", "not", "."]:
      tokens:      [CLS] is this jack ##son ##ville ? [SEP] no it is not . [SEP]
      segment ids: 0     0  0    0    0     0       0 0     1  1  1  1   1 1
    """
    a, b = list(tokens_a), list(tokens_b or [])
    if tokens_b:
        truncate_seq_pair(a, b, max_seq_length - 3)
        if truncation != "head":
            a, b = keep(tokens_a, len(a), truncation), keep(tokens_b, len(b), truncation)
    else:
        a = keep(a, max_seq_length - 2, truncation)
    tokens = ["[CLS]", *a, "[SEP]"]
    segment_ids = [0] * len(tokens)
    if b:
        tokens += [*b, "[SEP]"]
        segment_ids += [1] * (len(b) + 1)
    return tokens, segment_ids


def to_features(tokenizer: FullTokenizer, tokens: Sequence[str], segment_ids: Sequence[int],
                max_seq_length: int) -> dict[str, list[int]]:
    """Tokens -> zero-padded `input_ids`, `input_mask`, `segment_ids` of length max_seq_length."""
    ids = tokenizer.convert_tokens_to_ids(tokens)
    pad = max_seq_length - len(ids)
    if pad < 0:
        raise ValueError(f"{len(ids)} tokens do not fit max_seq_length={max_seq_length}")
    return {"input_ids": ids + [0] * pad, "input_mask": [1] * len(ids) + [0] * pad,
            "segment_ids": list(segment_ids) + [0] * pad}


def encode_pair(tokenizer: FullTokenizer, text_a: str, text_b: str | None,
                max_seq_length: int) -> tuple[list[str], dict[str, list[int]]]:
    """Raw text (pair) -> (tokens, padded features), the original's single-example recipe."""
    tokens, segment_ids = pack_tokens(tokenizer.tokenize(text_a),
                                      tokenizer.tokenize(text_b) if text_b else None,
                                      max_seq_length)
    return tokens, to_features(tokenizer, tokens, segment_ids, max_seq_length)
