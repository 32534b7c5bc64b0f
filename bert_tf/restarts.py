"""--num_restarts: the BERT paper's protocol for small data sets, in one command.

"Fine-tuning was sometimes unstable on small datasets, so we ran several random
restarts and selected the best model on the Dev set" (Devlin et al., 2019). A
script's `main` runs N times, restart r with --seed=seed+r in output_dir/restart_r
(each resumable like any run); then

  output_dir/restarts.tsv     every restart's dev metrics, plus their mean and std
  output_dir/eval_results.txt the best restart's, with `restart` and `seed` added
  output_dir/checkpoint       points at the best restart's checkpoint, so
                              --init_checkpoint=output_dir (predict, export) uses it

and the best restart's other outputs (predictions, run_info.json, ...) are copied up.
"""

from __future__ import annotations

import contextlib
import gc
import os
import statistics
from typing import Callable, Iterator, Sequence

import tensorflow as tf
from absl import flags, logging

from bert_tf import cli
from bert_tf.io import atomic_write_text, read_text

FLAGS = flags.FLAGS
RESULTS_FILE = "restarts.tsv"
# Outputs of a run that describe it (copied up from the best restart); checkpoints,
# TFRecords and event files stay where they are.
_OUTPUT_SUFFIXES = (".txt", ".tsv", ".json")


def define_flags() -> None:
    flags.DEFINE_integer("num_restarts", 1, "(new) Fine-tune this many times with seeds --seed, "
                         "--seed+1, ... (each in output_dir/restart_<r>) and keep the best on the "
                         "dev set, as the BERT paper did on small data; writes restarts.tsv.",
                         lower_bound=1)
    flags.DEFINE_string("restart_metric", None, "(new) The eval_results.txt key that picks the "
                        "best restart (higher is better; lower for a *loss key). Default: the "
                        "task's main metric.")


@contextlib.contextmanager
def _flags_set(**values) -> Iterator[None]:
    """Sets flags for a block, as if given on the command line (so defaults such as
    run_classifier --demo's leave them alone)."""
    saved = {name: (FLAGS[name].value, FLAGS[name].present) for name in values}
    try:
        for name, value in values.items():
            FLAGS[name].value, FLAGS[name].present = value, 1
        yield
    finally:
        for name, (value, present) in saved.items():
            FLAGS[name].value, FLAGS[name].present = value, present


def read_results(path: str) -> dict[str, int | float | str]:
    """An eval_results.txt (`key = value` lines) as a dict of numbers (or strings)."""
    out: dict[str, int | float | str] = {}
    for line in read_text(path, "eval results").splitlines():
        key, sep, value = line.partition(" = ")
        if sep:
            for kind in (int, float, str):
                with contextlib.suppress(ValueError):
                    out[key] = kind(value)
                    break
    return out


def _number(x) -> bool:
    return isinstance(x, (int, float))


def _metric(results: list[dict], candidates: Sequence[str]) -> str:
    if FLAGS.restart_metric:
        candidates = [FLAGS.restart_metric]
    for key in candidates:
        if all(_number(r.get(key)) for r in results):
            return key
    raise flags.ValidationError(
        f"--restart_metric: none of {list(candidates)} is a number in every restart's "
        f"eval_results.txt (keys: {sorted(results[0])})")


def summary_rows(results: list[dict], seeds: list[int]) -> list[list[str]]:
    """restarts.tsv: a header, one row per restart, then the mean and the sample std."""
    keys = sorted(k for k in results[0] if all(_number(r.get(k)) for r in results))
    rows = [["restart", "seed", *keys]]
    rows += [[str(i), str(seed), *(f"{r[k]:.6g}" for k in keys)]
             for i, (r, seed) in enumerate(zip(results, seeds))]
    # Two or more results: the scripts call `run` only for --num_restarts > 1 (stdev needs two).
    for name, stat in (("mean", statistics.mean), ("std", statistics.stdev)):
        rows.append([name, "", *(f"{stat([r[k] for r in results]):.6g}" for k in keys)])
    return rows


def run(main: Callable[[list[str]], None], argv: list[str], metrics: Sequence[str]) -> int:
    """Runs `main` once per restart; keeps the best by the first of `metrics` present.

    Returns the best restart's index.
    """
    if not FLAGS.do_train:
        raise flags.ValidationError("--num_restarts needs --do_train")
    if not FLAGS.output_dir:
        raise flags.ValidationError("--output_dir is required")
    out, n, base_seed = FLAGS.output_dir, FLAGS.num_restarts, FLAGS.seed
    results, seeds = [], [base_seed + r for r in range(n)]
    for r, seed in enumerate(seeds):
        directory = os.path.join(out, f"restart_{r}")
        logging.info("***** Restart %d of %d (seed %d) in %s *****", r + 1, n, seed, directory)
        with _flags_set(num_restarts=1, seed=seed, output_dir=directory):
            main(argv)
        path = os.path.join(directory, "eval_results.txt")
        if not tf.io.gfile.exists(path):
            raise flags.ValidationError(
                f"restart {r} wrote no {path}: picking the best restart needs a dev-set "
                "evaluation (--do_eval; run_squad: --do_predict on a --predict_file with answers)")
        results.append(read_results(path))
        gc.collect()
    key = _metric(results, metrics)
    sign = -1.0 if "loss" in key else 1.0
    best = max(range(n), key=lambda r: sign * results[r][key])
    rows = summary_rows(results, seeds)
    atomic_write_text(os.path.join(out, RESULTS_FILE), "".join("\t".join(r) + "\n" for r in rows))
    _keep(out, os.path.join(out, f"restart_{best}"), {**results[best], "restart": best,
                                                       "seed": seeds[best]})
    width = max(len(c) for row in rows for c in row)
    logging.info("***** Restarts (%s; best: restart %d, %s = %s) *****\n%s", RESULTS_FILE, best,
                 key, results[best][key],
                 "\n".join("  " + " ".join(c.rjust(width) for c in row) for row in rows))
    return best


def _keep(out: str, best_dir: str, result: dict) -> None:
    """Makes `out` hold the best restart's result: its outputs, eval_results and checkpoint."""
    for name in sorted(tf.io.gfile.listdir(best_dir)):
        source = os.path.join(best_dir, name)
        if name.endswith(_OUTPUT_SUFFIXES) and not tf.io.gfile.isdir(source):
            tmp = os.path.join(out, f".{name}.tmp-{os.getpid()}")
            tf.io.gfile.copy(source, tmp, overwrite=True)
            tf.io.gfile.rename(tmp, os.path.join(out, name), overwrite=True)
    cli.write_eval_results(result)  # output_dir is `out` again here
    latest = tf.train.latest_checkpoint(best_dir)
    if latest:  # relative, so the run directory can be moved as a whole
        relative = os.path.relpath(latest, out)
        tf.compat.v1.train.update_checkpoint_state(out, relative,
                                                   all_model_checkpoint_paths=[relative])
