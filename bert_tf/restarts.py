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
from typing import Any, Callable, Mapping, Sequence

import tensorflow as tf
from absl import logging

from bert_tf import checkpoints
from bert_tf.errors import UsageError
from bert_tf.io import atomic_write_text, read_text, write_eval_results

RESULTS_FILE = "restarts.tsv"
# Outputs of a run that describe it (copied up from the best restart); checkpoints,
# TFRecords and event files stay where they are.
_OUTPUT_SUFFIXES = (".txt", ".tsv", ".json")
# The values a restart sets, as if given on the command line.
SET_BY_RESTART = frozenset({"num_restarts", "seed", "output_dir"})


def restart_values(values: Mapping[str, Any], r: int) -> dict[str, Any]:
    """Restart r's own values: seed + r, in output_dir/restart_r."""
    return {"num_restarts": 1, "seed": values["seed"] + r,
            "output_dir": os.path.join(values["output_dir"], f"restart_{r}")}
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
    for key in candidates:
        if all(_number(r.get(key)) for r in results):
            return key
    raise UsageError(
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


def run(run_once: Callable[[dict[str, Any]], None], values: Mapping[str, Any],
        metrics: Sequence[str]) -> int:
    """Runs `run_once` once per restart (`restart_values`); keeps the best by
    --restart_metric, else the first of `metrics` present. Returns the best restart.
    """
    out, n = values["output_dir"], values["num_restarts"]
    results, seeds = [], [values["seed"] + r for r in range(n)]
    for r, seed in enumerate(seeds):
        restart = {**values, **restart_values(values, r)}
        logging.info("***** Restart %d of %d (seed %d) in %s *****", r + 1, n, seed,
                     restart["output_dir"])
        run_once(restart)
        path = os.path.join(restart["output_dir"], "eval_results.txt")
        if not tf.io.gfile.exists(path):
            raise UsageError(f"restart {r} wrote no {path}: picking the best restart needs a "
                             "dev-set evaluation")
        results.append(read_results(path))
        gc.collect()
    key = _metric(results, [values["restart_metric"]] if values.get("restart_metric")
                  else metrics)
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
    write_eval_results(out, result)
    latest = tf.train.latest_checkpoint(best_dir)
    if latest:  # relative, so the run directory can be moved as a whole
        checkpoints.write_checkpoint_state(out, [os.path.relpath(latest, out)])
