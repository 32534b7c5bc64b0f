"""Packing one or two token sequences into fixed-length BERT inputs, as the original."""

from __future__ import annotations

from typing import Sequence

from bert_tf.tokenization import FullTokenizer


def truncate_seq_pair(tokens_a: list, tokens_b: list, max_length: int) -> None:
    """Truncates in place, one token at a time from the end of the longer sequence.

    A shorter sequence is likely to carry more information per token than a
    longer one, so the original trims the longer side (`tokens_b` on ties).
    """
    while len(tokens_a) + len(tokens_b) > max_length:
        (tokens_a if len(tokens_a) > len(tokens_b) else tokens_b).pop()


def pack_tokens(tokens_a: Sequence[str], tokens_b: Sequence[str] | None,
                max_seq_length: int) -> tuple[list[str], list[int]]:
    """[CLS] a [SEP] (b [SEP]) with segment ids 0 for a, 1 for b; truncated to fit.

    For example, with tokens_a = ["is", "this", "jack", "##son", "##ville", "?"] and
    tokens_b = ["no", "it", "is", "not", "."]:
      tokens:      [CLS] is this jack ##son ##ville ? [SEP] no it is not . [SEP]
      segment ids: 0     0  0    0    0     0       0 0     1  1  1  1   1 1
    """
    a, b = list(tokens_a), list(tokens_b or [])
    if tokens_b:
        truncate_seq_pair(a, b, max_seq_length - 3)
    else:
        a = a[: max_seq_length - 2]
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
