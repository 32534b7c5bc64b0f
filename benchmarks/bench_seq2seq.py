"""Generation speed: cached vs recomputed decoding, and beam search vs the Model Garden's.

  python benchmarks/bench_seq2seq.py [--batch 8] [--source 32] [--tokens 64] [--repeats 3]
                                     [--target_vocab 2000]

A bert2bert model the size of all-MiniLM-L6-v2 (6 layers, hidden 384, 12 heads,
vocab 30522) with random weights, on --batch random sources of --source tokens,
generating exactly --tokens tokens (the end token is disabled, so every row does
the same work). --target_vocab N gives the model run_seq2seq's output shortlist
(--target_vocab=train: a fine-tuned model outputs only its training targets'
wordpieces) of N ids, so each step multiplies N rows of the word table, not 30522,
and the search ranks N columns; the Model Garden row keeps the whole vocabulary. Rows, timed in interleaved rounds after a warm-up call each:
  greedy cached      decoding.greedy_search over BertSeq2Seq.decode_step: self-attention
                     keys/values cached, cross-attention keys/values computed once (and with XLA)
  greedy recompute   the same model run on the whole prefix at every step (no cache):
                     what decoding costs without incremental state
  beam cached        decoding.beam_search, --beam beams (and with XLA)
  beam Model Garden  tf-models-official Seq2SeqTransformer (same sizes, post-LN) with its
                     sequence_beam_search, the same beam and length penalty
Greedy outputs are checked equal between cached and recomputed decoding.
"""

from __future__ import annotations

import argparse

from common import interleaved_median_times, positive_int, print_table, random_inputs

import tensorflow as tf  # noqa: E402

from bert_tf import decoding, models  # noqa: E402
from bert_tf.config import BertConfig  # noqa: E402

MINILM = dict(vocab_size=30522, hidden_size=384, num_hidden_layers=6, num_attention_heads=12,
              intermediate_size=1536, max_position_embeddings=512, type_vocab_size=2)
BOS, NO_EOS = 101, -1


def recompute_greedy(model: models.BertSeq2Seq, inputs: dict, steps: int) -> tf.Tensor:
    """Greedy decoding that runs the decoder over the whole prefix at every step; the
    output layer as in decoding.generate (rows gathered once, argmax over the shortlist)."""
    source = model.encoder(inputs, training=False)["sequence_output"]
    weights = model.lm_head.output_weights()
    vocab_ids = tf.constant(model.target_vocab or list(range(model.encoder.config.vocab_size)))
    seq = tf.fill([tf.shape(source)[0], 1], BOS)
    for _ in tf.range(steps):
        tf.autograph.experimental.set_loop_options(
            shape_invariants=[(seq, tf.TensorShape([None, None]))])
        x = model.decoder_embeddings(seq, tf.zeros_like(seq), training=False)
        for block in model.decoder_layers:
            x = block(x, source, inputs["input_mask"], training=False)
        column = tf.argmax(model.lm_head.project(x[:, -1], weights), -1, output_type=tf.int32)
        seq = tf.concat([seq, tf.gather(vocab_ids, column)[:, None]], 1)
    return seq[:, 1:]


def model_garden(args):
    from official.nlp.modeling.models import seq2seq_transformer as mg

    def stack(cls):
        return cls(num_layers=6, num_attention_heads=12, intermediate_size=1536,
                   activation="gelu", norm_first=False, norm_epsilon=1e-12)

    return mg.Seq2SeqTransformer(
        vocab_size=MINILM["vocab_size"], embedding_width=MINILM["hidden_size"],
        decode_max_length=args.tokens, beam_size=args.beam, alpha=0.6,
        encoder_layer=stack(mg.TransformerEncoder), decoder_layer=stack(mg.TransformerDecoder),
        eos_id=NO_EOS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=positive_int, default=8)
    parser.add_argument("--source", type=positive_int, default=32)
    parser.add_argument("--tokens", type=positive_int, default=64)
    parser.add_argument("--beam", type=positive_int, default=4)
    parser.add_argument("--repeats", type=positive_int, default=3)
    parser.add_argument("--target_vocab", type=int, default=0,
                        help="output shortlist size (0: the whole vocabulary)")
    args = parser.parse_args()
    model = models.BertSeq2Seq(models.BertEncoder(BertConfig(**MINILM)), target_vocab=(
        range(args.target_vocab) if args.target_vocab else None))
    inputs = {k: tf.constant(v) for k, v in random_inputs(args.batch, args.source).items()}

    def search(beam: int):
        return lambda x: decoding.generate(model, x, args.tokens, BOS, NO_EOS, beam)[0]

    garden = model_garden(args)
    rows = {
        "greedy cached": tf.function(search(1)),
        "greedy cached XLA": tf.function(search(1), jit_compile=True),
        "greedy recompute": tf.function(lambda x: recompute_greedy(model, x, args.tokens)),
        "beam cached": tf.function(search(args.beam)),
        "beam cached XLA": tf.function(search(args.beam), jit_compile=True),
        "beam Model Garden": tf.function(lambda x: garden({"inputs": x["input_word_ids"]})[
            "outputs"]),
    }
    outputs = {name: fn(inputs).numpy() for name, fn in rows.items()}  # warm-up (traces)
    assert (outputs["greedy cached"] == outputs["greedy recompute"]).all()
    assert (outputs["greedy cached XLA"] == outputs["greedy cached"]).all()
    assert outputs["beam cached"].shape == outputs["beam Model Garden"].shape == (
        args.batch, args.tokens)
    seconds = interleaved_median_times({n: (lambda f=f: f(inputs).numpy()) for n, f in rows.items()},
                                       warmup=0, repeats=args.repeats)
    table = []
    for name, s in seconds.items():
        table.append(dict(mode=name, seconds=f"{s:.2f}",
                          tokens_per_s=f"{args.batch * args.tokens / s:.0f}"))
    cache_speedup = seconds["greedy recompute"] / seconds["greedy cached"]
    xla_speedup = seconds["greedy recompute"] / seconds["greedy cached XLA"]
    vocab = f"a {args.target_vocab}-id output shortlist" if args.target_vocab else "full vocab"
    print(f"bert2bert at MiniLM size ({vocab}), batch {args.batch}, source {args.source}, "
          f"{args.tokens} output tokens, beam {args.beam}, float32")
    print_table(table, ["mode", "seconds", "tokens_per_s"])
    print(f"cache: {cache_speedup:.2f}x faster than recomputing the prefix "
          f"({xla_speedup:.2f}x with XLA)")
    for name in ("beam cached", "beam cached XLA"):
        print(f"{name}: {seconds['beam Model Garden'] / seconds[name]:.2f}x the Model Garden's "
              "beam search")


if __name__ == "__main__":
    main()
