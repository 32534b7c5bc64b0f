"""RunInfo: what a run directory says about the run that wrote it.

A fine-tuning run directory holds bert_config.json, vocab.txt, model.ckpt-N and
run_info.json, so `--init_checkpoint=<run dir>` predicts, evaluates and exports
without repeating the training command line. run_info.json is written once, after
every value is resolved, and read from the directory whose weights are restored
(`weights_source`), never from another. `merge` is the one place where its values
meet the command line: a flag given on the command line wins.
"""

from __future__ import annotations

import dataclasses
import json
import os
from typing import Any, Iterable, Mapping

import tensorflow as tf
from absl import logging

from bert_tf.errors import DataError
from bert_tf.io import atomic_write_text

RUN_INFO = "run_info.json"
# Flag names whose value RunInfo keeps under another key.
_FIELD_OF_FLAG = {"label_list": "labels"}


@dataclasses.dataclass
class RunInfo:
    """A run's resolved settings (run_info.json, flat JSON).

    Attributes:
      model_type: what the checkpoint holds: classifier, squad, ner, seq2seq,
        summarizer (export_model.py's --model_type).
      task_name: the classifier task (a GLUE name or generic).
      labels: class names or tags in id order; None for regression.
      data_dir, max_seq_length, do_lower_case: the data and how it was packed.
      settings: the task's own flags (columns, other lengths, model options such as
        decoder_init, target_vocab, inter_layers, sentence_pooling), by flag name.
    """

    model_type: str | None = None
    task_name: str | None = None
    labels: list | None = None
    data_dir: str | None = None
    max_seq_length: int | None = None
    do_lower_case: bool | None = None
    settings: dict[str, Any] = dataclasses.field(default_factory=dict)

    def get(self, name: str, default: Any = None) -> Any:
        """The recorded value of flag `name` (label_list: the labels), or `default`."""
        name = _FIELD_OF_FLAG.get(name, name)
        if name != "settings" and name in _FIELDS:
            value = getattr(self, name)
            return default if value is None else value
        return self.settings.get(name, default)

    def to_dict(self) -> dict[str, Any]:
        out = {f: getattr(self, f) for f in _FIELDS if f != "settings"}
        return {**out, **self.settings}

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> "RunInfo":
        known = {k: v for k, v in values.items() if k in _FIELDS and k != "settings"}
        return cls(**known, settings={k: v for k, v in values.items() if k not in _FIELDS})

    def write(self, directory: str) -> None:
        atomic_write_text(os.path.join(directory, RUN_INFO),
                          json.dumps(self.to_dict(), indent=2) + "\n")


_FIELDS = tuple(f.name for f in dataclasses.fields(RunInfo))


def _directory(checkpoint: str) -> str:
    return checkpoint if tf.io.gfile.isdir(checkpoint) else os.path.dirname(checkpoint)


def read(checkpoint: str | None) -> RunInfo | None:
    """run_info.json in a run directory or beside a checkpoint prefix, or None."""
    if not checkpoint:
        return None
    path = os.path.join(_directory(checkpoint), RUN_INFO)
    if not tf.io.gfile.exists(path):
        return None
    try:
        with tf.io.gfile.GFile(path) as f:
            values = json.load(f)
    except json.JSONDecodeError as e:
        raise DataError(f"{path} is not valid JSON: {e}") from None
    if not isinstance(values, dict):
        raise DataError(f"{path}: expected a JSON object, got {type(values).__name__}")
    return RunInfo.from_dict(values)


def weights_source(output_dir: str | None, init_checkpoint: str | None) -> str | None:
    """Where a run's weights come from: the newest checkpoint in output_dir (resume, or
    the run's own weights), else init_checkpoint. The Trainer restores in this order."""
    if output_dir and tf.io.gfile.isdir(output_dir):
        latest = tf.train.latest_checkpoint(output_dir)
        if latest:
            return latest
    return init_checkpoint


def merge(values: Mapping[str, Any], given: Iterable[str], info: RunInfo | None,
          names: Iterable[str], source: str = "the run directory"
          ) -> tuple[dict[str, Any], dict[str, str]]:
    """Flag values, each of `names` not given on the command line taken from `info`.

    Returns (values, origin): origin[name] is "command line", `source` or "default".
    The values taken from `info` are logged.
    """
    given = set(given)
    merged = dict(values)
    origin = {name: "command line" if name in given else "default" for name in values}
    taken = []
    for name in names:
        if name in given or info is None or name not in values:
            continue
        recorded = info.get(name)
        if recorded is not None and recorded != values[name]:
            merged[name] = recorded
            origin[name] = source
            taken.append(f"--{name}={_show(recorded)}")
        elif recorded is not None:
            origin[name] = source
    if taken:
        logging.info("From %s: %s", source, " ".join(taken))
    return merged, origin


def _show(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        text = ",".join(str(v) for v in value[:8])
        return text + (",..." if len(value) > 8 else "")
    return str(value)
