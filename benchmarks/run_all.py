"""Every CPU benchmark, one after another, each in its own process (`make bench`).

  python benchmarks/run_all.py [--only encoder,train_step] [--quick]

--quick runs smaller variants (a few minutes in all) to check that everything works;
the numbers in benchmarks/README.md come from the full runs. The GPU benchmark
(bench_gpu_pretraining.py) is not included: run it on a GPU machine.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))

BENCHMARKS = {
    "encoder": (["bench_encoder.py"], ["--dtypes=float32", "--repeats=2"]),
    "train_step": (["bench_train_step.py"], ["--layers=2", "--repeats=2"]),
    "tokenization": (["bench_tokenization.py"], ["--lines=2000"]),
    "predict": (["bench_predict.py"], ["--layers=2", "--repeats=2"]),
    "serving": (["bench_serving.py"], ["--calls=10"]),
    "create_pretraining_data": (["bench_create_pretraining_data.py"], ["--docs=200"]),
    "summarization": (["bench_summarization.py"], ["--documents=16", "--repeats=2"]),
    "seq2seq": (["bench_seq2seq.py"], ["--batch=4", "--tokens=32", "--repeats=2"]),
    # Latency only; pass --teacher_dir/--student_dir by hand for the accuracy column.
    "compression": (["bench_compression.py"], ["--repeats=2"]),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(BENCHMARKS))
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    names = args.only.split(",")
    unknown = set(names) - set(BENCHMARKS)
    if unknown:
        raise SystemExit(f"--only: unknown {sorted(unknown)}; expected some of {list(BENCHMARKS)}")
    failed = []
    for name in names:
        script, quick = BENCHMARKS[name]
        command = [sys.executable, os.path.join(HERE, script[0])] + (quick if args.quick else [])
        print(f"\n=== {name}: {' '.join(command[1:])}", flush=True)
        start = time.time()
        if subprocess.run(command, cwd=HERE).returncode:
            failed.append(name)
        print(f"=== {name}: {time.time() - start:.0f} s", flush=True)
    if failed:
        raise SystemExit(f"failed: {failed}")


if __name__ == "__main__":
    main()
