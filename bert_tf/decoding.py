"""Greedy and beam search over a cached step function, and in-graph detokenization.

A step function maps (ids [B, 1] int32, position int32 scalar, cache) to
(logits float32 [B, V], cache): the token at `position` in, the next token's
logits out (over the vocabulary, or over a shortlist `vocab_ids` of V tokens),
the cache (a dict of nests of tensors with the batch first) updated. Beam search
runs the step on B * beam_size rows (a source's beams adjacent), except for the
cache entry "source": state computed once per source (the encoder output's
cross-attention keys and values), which it passes on untiled, [B, ...].
`BertSeq2Seq.decode_step` is one; `generate` wires a model to the searches.

Every tensor keeps its shape from step to step (the output buffers hold
`max_decode_length + 1` positions from the start), so a search runs as one
`tf.while_loop` that XLA compiles once and that runs on TPUs; it stops early once
no hypothesis can improve. Beam search is the tensor2tensor algorithm that
tf-models-official's `sequence_beam_search` implements: the same candidates,
length penalty ((5 + length) / 6) ** alpha, stopping rule and scores.
"""

from __future__ import annotations

from typing import Callable

import tensorflow as tf

StepFn = Callable[[tf.Tensor, tf.Tensor, dict], tuple[tf.Tensor, dict]]

# Large but finite, so that 0 * _INF is 0 (as the Model Garden's inf(float32)).
_INF = 1e7


def length_penalty(length: tf.Tensor, alpha: float) -> tf.Tensor:
    """GNMT's ((5 + length) / 6) ** alpha (Wu et al., 2016)."""
    return tf.pow((5.0 + tf.cast(length, tf.float32)) / 6.0, alpha)


def _write(buffer: tf.Tensor, position: tf.Tensor, ids: tf.Tensor) -> tf.Tensor:
    """buffer [..., T] int32 with `ids` [...] written at `position`."""
    slot = tf.one_hot(position, tf.shape(buffer)[-1], on_value=1, off_value=0, dtype=tf.int32)
    return buffer * (1 - slot) + ids[..., None] * slot


def _start(initial_ids: tf.Tensor, batch_shape: list, max_decode_length: int) -> tf.Tensor:
    """[*batch_shape, max_decode_length + 1] int32: the start ids, then zeros ([PAD])."""
    buffer = tf.zeros(batch_shape + [max_decode_length + 1], tf.int32)
    ids = tf.reshape(initial_ids, [-1] + [1] * (len(batch_shape) - 1))
    return _write(buffer, 0, tf.broadcast_to(ids, batch_shape))


def greedy_search(step_fn: StepFn, initial_ids: tf.Tensor, initial_cache: dict,
                  max_decode_length: int, eos_id: int, vocab_ids: tf.Tensor | None = None
                  ) -> tuple[tf.Tensor, tf.Tensor]:
    """The most probable token at each step until `eos_id` or `max_decode_length`.

    vocab_ids: int32 [V], the token id of each logit column (a shortlist), or None
      when column i is token i.

    Returns:
      ids int32 [B, max_decode_length + 1]: the start id, the tokens up to and
        including eos_id, then 0s.
      scores float32 [B]: the hypotheses' log probabilities.
    """
    b = tf.shape(initial_ids)[0]
    seq = _start(initial_ids, [b], max_decode_length)

    def body(i, seq, scores, finished, cache):
        logits, cache = step_fn(seq[:, i][:, None], i, cache)
        log_probs = tf.nn.log_softmax(tf.cast(logits, tf.float32))
        column = tf.argmax(log_probs, -1, output_type=tf.int32)
        step = tf.gather(log_probs, column, batch_dims=1)
        ids = column if vocab_ids is None else tf.gather(vocab_ids, column)
        ids = tf.where(finished, 0, ids)
        scores = scores + tf.where(finished, 0.0, step)
        return i + 1, _write(seq, i + 1, ids), scores, finished | (ids == eos_id), cache

    def cond(i, seq, scores, finished, cache):
        return (i < max_decode_length) & ~tf.reduce_all(finished)

    _, seq, scores, _, _ = tf.while_loop(
        cond, body, (tf.constant(0), seq, tf.zeros([b]), tf.zeros([b], tf.bool), initial_cache))
    return seq, scores


def beam_search(step_fn: StepFn, initial_ids: tf.Tensor, initial_cache: dict, vocab_size: int,
                beam_size: int, alpha: float, max_decode_length: int, eos_id: int,
                vocab_ids: tf.Tensor | None = None) -> tuple[tf.Tensor, tf.Tensor]:
    """Beam search with GNMT length normalisation.

    Each step extends the `beam_size` live hypotheses by every token, keeps the
    2 * beam_size most probable (enough that beam_size stay live after some end in
    eos_id), moves the ended ones into the finished set scored by log probability
    / length_penalty(length, alpha), and stops when the best live hypothesis,
    even at the largest penalty, cannot beat the worst finished one.

    vocab_size: the width of step_fn's logits. vocab_ids: int32 [vocab_size], the
      token id of each column (a shortlist), or None when column i is token i.

    Returns:
      ids int32 [B, beam_size, max_decode_length + 1], best first: the start id,
        the tokens up to and including eos_id, then 0s. A batch entry with no
        finished hypothesis returns its live ones.
      scores float32 [B, beam_size]: normalised scores (live: log probabilities).
    """
    b, k = tf.shape(initial_ids)[0], beam_size

    def gather(nest, indices):
        return tf.nest.map_structure(lambda t: tf.gather(t, indices, batch_dims=1), nest)

    def flat(t):  # [B, K, ...] -> [B * K, ...]
        return tf.reshape(t, tf.concat([[-1], tf.shape(t)[2:]], 0))

    def unflat(t):  # [B * K, ...] -> [B, K, ...]
        return tf.reshape(t, tf.concat([[b, k], tf.shape(t)[1:]], 0))

    def body(i, alive, alive_log_probs, cache, finished, finished_scores, finished_flags):
        logits, cache = step_fn(flat(alive[:, :, i])[:, None], i,
                                {**tf.nest.map_structure(flat, cache), **shared})
        cache = {name: t for name, t in cache.items() if name not in shared}
        logits, cache = unflat(tf.cast(logits, tf.float32)), tf.nest.map_structure(unflat, cache)
        log_probs = logits - tf.reduce_logsumexp(logits, axis=2, keepdims=True)
        log_probs += alive_log_probs[:, :, None]
        top_log_probs, top = tf.nn.top_k(tf.reshape(log_probs, [b, k * vocab_size]), k=2 * k)
        top_ids = top % vocab_size
        if vocab_ids is not None:
            top_ids = tf.gather(vocab_ids, top_ids)
        top_seq, top_cache = gather((alive, cache), top // vocab_size)
        top_seq = _write(top_seq, i + 1, top_ids)
        ended = tf.equal(top_ids, eos_id)
        # Live: the best k that did not end.
        _, keep = tf.nn.top_k(top_log_probs + tf.cast(ended, tf.float32) * -_INF, k=k)
        alive, alive_log_probs, cache = gather(
            (top_seq, top_log_probs + tf.cast(ended, tf.float32) * -_INF, top_cache), keep)
        # Finished: the best k of the old finished and the newly ended.
        scores = top_log_probs / length_penalty(i + 1, alpha)
        scores += (1.0 - tf.cast(ended, tf.float32)) * -_INF
        _, keep = tf.nn.top_k(tf.concat([finished_scores, scores], 1), k=k)
        finished, finished_scores, finished_flags = gather(
            (tf.concat([finished, top_seq], 1), tf.concat([finished_scores, scores], 1),
             tf.concat([finished_flags, ended], 1)), keep)
        return i + 1, alive, alive_log_probs, cache, finished, finished_scores, finished_flags

    def cond(i, alive, alive_log_probs, cache, finished, finished_scores, finished_flags):
        best_alive = alive_log_probs[:, 0] / length_penalty(max_decode_length, alpha)
        worst_finished = tf.reduce_min(finished_scores * tf.cast(finished_flags, tf.float32), 1)
        any_finished = tf.reduce_any(finished_flags, 1)
        worst_finished += (1.0 - tf.cast(any_finished, tf.float32)) * -_INF
        return (i < max_decode_length) & ~tf.reduce_all(worst_finished > best_alive)

    alive = _start(initial_ids, [b, k], max_decode_length)
    # Only the first of the k identical start hypotheses is live.
    alive_log_probs = tf.tile(tf.constant([[0.0] + [-float("inf")] * (k - 1)]), [b, 1])
    # "source": per source, the same for its beams; neither tiled nor reordered.
    shared = {name: t for name, t in initial_cache.items() if name == "source"}
    cache = tf.nest.map_structure(lambda t: tf.repeat(t[:, None], k, axis=1),
                                  {name: t for name, t in initial_cache.items()
                                   if name not in shared})
    state = (tf.constant(0), alive, alive_log_probs, cache, tf.zeros_like(alive),
             tf.fill([b, k], -_INF), tf.zeros([b, k], tf.bool))
    _, alive, alive_log_probs, _, finished, finished_scores, finished_flags = tf.while_loop(
        cond, body, state)
    any_finished = tf.reduce_any(finished_flags, 1)
    return (tf.where(any_finished[:, None, None], finished, alive),
            tf.where(any_finished[:, None], finished_scores, alive_log_probs))


def generate(model, inputs: dict[str, tf.Tensor], max_decode_length: int, bos_id: int,
             eos_id: int, beam_size: int = 4, alpha: float = 0.6
             ) -> tuple[tf.Tensor, tf.Tensor]:
    """The best output of a `BertSeq2Seq` for each source, by beam search (greedy if beam_size 1).

    Args:
      inputs: the encoder inputs, int32 [B, S].
      bos_id, eos_id: the start and end tokens ([CLS] and [SEP]).

    Returns:
      ids int32 [B, max_decode_length] without the start id (eos_id, then 0s, after
      the last token), and float32 scores [B].
    """
    cache = model.initial_cache(inputs, max_decode_length)
    start = tf.fill([tf.shape(inputs["input_word_ids"])[0]], bos_id)
    weights = model.lm_head.output_weights()  # loop-invariant: gathered once, not per step

    def step(ids, position, cache):
        return model.decode_step(ids, position, cache, weights)

    # With a target_vocab shortlist the search runs over its columns only.
    vocab_ids = None if model.target_vocab is None else tf.constant(model.target_vocab, tf.int32)
    if beam_size == 1:
        ids, scores = greedy_search(step, start, cache, max_decode_length, eos_id, vocab_ids)
    else:
        ids, scores = beam_search(step, start, cache, int(weights[0].shape[0]), beam_size, alpha,
                                  max_decode_length, eos_id, vocab_ids)
        ids, scores = ids[:, 0], scores[:, 0]
    return ids[:, 1:], scores
