"""The Task interface: what one task family adds to the shared runner (bert_tf/runner.py).

A Task owns its model builder, loss, features, evaluation, prediction writers and the
settings a run directory records for it. The runner calls, in order:

  defaults(values, given)     fill flags the command line left out (--demo, a teacher)
  model_files(settings)       config, checkpoint and vocab (runner.resolve_model_files)
  Task(settings, files, info) settings already merged with the weights' RunInfo
  validate()                  every check that needs no example featurized
  train_examples(), train_steps(examples), run_info()     (--do_train)
  predictor() / loss_fn(strategy), build_model(config)
  train_records(examples), training_dataset(...) (dynamic padding: padded_features),
  init_values()
  evaluate(trainer), predict(trainer), finish(trainer)
"""

from __future__ import annotations

import os
from typing import Any, Callable, Sequence

import keras
import tensorflow as tf

from bert_tf import runner, training
from bert_tf.data import records
from bert_tf.errors import MissingFileError, UsageError
from bert_tf.io import write_eval_results
from bert_tf.run_info import RunInfo
from bert_tf.runner import ModelFiles, Settings


class Task:
    """One task family (see the module docstring). Subclasses set the class attributes."""

    model_type: str = ""
    # Flags a run directory records and a later run reads back when they are not given.
    recorded_flags: tuple[str, ...] = ("max_seq_length", "do_lower_case")
    modes: tuple[str, ...] = ("do_train", "do_eval", "do_predict")
    # The eval_results.txt keys that pick the best of --num_restarts (first present wins).
    restart_metrics: tuple[str, ...] = ()
    # Pretraining restores Adam slots and global_step from --init_checkpoint too.
    init_optimizer: bool = False
    # --vocab_file (or vocab.txt beside the checkpoint) is required.
    needs_vocab: bool = True
    # The records' sequence features, grouped by the mask of their real positions:
    # --dynamic_padding cuts each training batch's groups to their longest real sequence.
    padded_features: tuple[records.PaddedGroup, ...] = (records.ENCODER_INPUTS,)

    def __init__(self, s: Settings, files: ModelFiles, info: RunInfo | None):
        self.s, self.files, self.info = s, files, info
        self.tokenizer = None

    # -- settings -------------------------------------------------------------

    @classmethod
    def defaults(cls, values: dict[str, Any], given: set[str]) -> dict[str, Any]:
        """`values` with flags the command line did not give filled in (a preset)."""
        return values

    @classmethod
    def preset_source(cls, values: dict[str, Any]) -> str:
        """Where `defaults` took its values from, for the log and --dry_run."""
        return "preset"

    @classmethod
    def model_files(cls, s: Settings) -> ModelFiles:
        return runner.resolve_model_files(s, require_vocab=cls.needs_vocab)

    def validate(self) -> None:
        """Checks that need no featurized example (the runner checks lengths and casing)."""

    def check_restarts(self) -> None:
        """--num_restarts needs training, an output_dir and a dev-set evaluation."""
        if not self.restart_metrics:
            raise UsageError(f"--num_restarts is not supported for {self.model_type} runs")
        if not self.s.get("do_train"):
            raise UsageError("--num_restarts needs --do_train")
        if not self.s.get("output_dir"):
            raise UsageError("--output_dir is required")
        if not self.s.get("do_eval"):
            raise UsageError("--num_restarts picks the best restart on the dev set: it needs "
                             "--do_eval")

    def run_info(self) -> RunInfo:
        """What run_info.json records (written once, after the values are resolved)."""
        values = {name: self.s.get(name) for name in self.recorded_flags
                  if name != "label_list"}  # recorded as the resolved `labels`
        common = {k: values.pop(k, None) for k in ("task_name", "data_dir", "max_seq_length",
                                                    "do_lower_case")}
        if common["data_dir"]:
            common["data_dir"] = os.path.abspath(common["data_dir"])
        return RunInfo(model_type=self.model_type, labels=self.labels(), settings=values,
                       **common)

    def labels(self) -> list | None:
        return None

    @property
    def extend_positions(self) -> bool:
        """Whether a shorter position table in the checkpoint is grown to the model's."""
        return False

    def evaluates_or_predicts(self) -> bool:
        return bool(self.s.get("do_eval") or self.s.get("do_predict"))

    # -- model ----------------------------------------------------------------

    def build_model(self, config) -> keras.Model:
        raise NotImplementedError

    def loss_fn(self, strategy: tf.distribute.Strategy) -> training.LossFn:
        raise NotImplementedError

    def predictor(self):
        """A stand-in for the Trainer in evaluate/predict (e.g. a LiteRT model), or None."""
        return None

    def init_values(self):
        """What training starts from: a checkpoint path, or TF1-name values."""
        return self.files.init_checkpoint

    # -- data -----------------------------------------------------------------

    def train_examples(self) -> Sequence:
        raise NotImplementedError

    def train_steps(self, examples: Sequence) -> tuple[int, int]:
        return runner.steps_for_epochs(self.s, len(examples))

    def train_records(self, examples: Sequence) -> list[str]:
        """Writes the training features; returns the TFRecord files."""
        raise NotImplementedError

    def name_to_features(self, training: bool) -> dict:
        raise NotImplementedError

    def padding_options(self) -> dict[str, Any]:
        """records.dataset's dynamic padding arguments from --dynamic_padding and
        --group_by_length (off when the settings lack them: fixed shapes, as the original)."""
        return dict(sequence_features=self.padded_features,
                    dynamic_padding=bool(self.s.get("dynamic_padding", False)),
                    group_by_length=bool(self.s.get("group_by_length", False)))

    def training_dataset(self, files: list[str], batch_size: int,
                         ctx: tf.distribute.InputContext | None = None) -> tf.data.Dataset:
        """Training batches; see `padding_options` for their lengths."""
        return records.dataset(files, self.name_to_features(True), batch_size, is_training=True,
                               seed=self.s.seed, input_context=ctx, **self.padding_options())

    def eval_dataset(self, path: str, batch_size: int) -> tf.data.Dataset:
        return records.dataset([path], self.name_to_features(False), batch_size,
                               is_training=False)

    def record_path(self, name: str) -> str:
        return os.path.join(self.s.output_dir, f"{name}.tf_record")

    def data_file(self, flag: str, split: str, find: Callable[[str, str], str]) -> str:
        return runner.data_file(self.s, flag, split, find)

    def require_files(self, *pairs: tuple[str, str]) -> None:
        """(mode, file flag): each mode that is on needs its file flag, and the file exists."""
        for mode, flag in pairs:
            path = self.s.get(flag)
            if self.s.get(mode) and not path:
                raise UsageError(f"--{mode} needs --{flag}")
            if path and not tf.io.gfile.exists(path):
                raise MissingFileError(f"--{flag} {path!r} does not exist")

    # -- evaluation and prediction -----------------------------------------------

    def evaluate(self, trainer) -> dict:
        raise NotImplementedError

    def predict(self, trainer) -> None:
        raise NotImplementedError

    def finish(self, trainer) -> None:
        """The run's last step, after evaluate and predict (e.g. a closing warning)."""

    def write_eval_results(self, result: dict, name: str = "eval_results.txt") -> None:
        write_eval_results(self.s.output_dir, result, name)
