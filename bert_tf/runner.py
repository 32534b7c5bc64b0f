"""The one main of every training script: a Task (bert_tf/tasks) plus the shared steps.

  values (flags) -> Task.defaults -> model files -> RunInfo of the directory whose
  weights are restored, merged (a flag given on the command line wins) -> validate
  everything -> [--dry_run: print the resolved settings, stop] -> run_info.json,
  written once -> Trainer -> fit -> restore -> evaluate -> predict

`run` takes plain values (flag name -> value) and the names given on the command
line; it never reads absl flags (bert_tf/cli.py does, in the scripts).
--num_restarts > 1 runs the whole sequence once per restart (bert_tf/restarts.py).
"""

from __future__ import annotations

import dataclasses
import fnmatch
import os
import types
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping

import tensorflow as tf
from absl import logging

from bert_tf import pretrained, restarts, run_info, tokenization, training
from bert_tf.config import BertConfig
from bert_tf.data import records
from bert_tf.errors import UsageError
from bert_tf.io import atomic_open

if TYPE_CHECKING:
    from bert_tf.tasks.base import Task


class Settings(types.SimpleNamespace):
    """A run's values by flag name, after the run-directory merge.

    `origin[name]` says where a value came from: "command line", "default" or the
    directory it was read from.
    """

    def __init__(self, values: Mapping[str, Any], origin: Mapping[str, str] | None = None):
        super().__init__(**values)
        self.__dict__["_origin"] = dict(origin or {})

    @property
    def origin(self) -> dict[str, str]:
        return self.__dict__["_origin"]

    def values(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if not k.startswith("_")}

    def get(self, name: str, default: Any = None) -> Any:
        return self.__dict__.get(name, default)


@dataclasses.dataclass
class ModelFiles:
    """What the model flags resolve to."""

    config: BertConfig
    init_checkpoint: str | None
    vocab_file: str | None
    config_file: str = "bert_config.json"


def resolve_model_files(s: Settings, require_checkpoint: bool = False,
                        max_position_embeddings: int | None = None,
                        require_vocab: bool = True) -> ModelFiles:
    """--bert_config_file / --init_checkpoint / --vocab_file, with clear errors.

    A registry name or a checkpoint directory (else the newest checkpoint in --output_dir)
    fills in the config and vocab beside it.
    `max_position_embeddings` grows the config's position table (the checkpoint's is
    extended when it is loaded).
    """
    init, config_file = s.get("init_checkpoint"), s.get("bert_config_file")
    needs_vocab = require_vocab and "vocab_file" in s.values()
    vocab_file = s.get("vocab_file")
    if init and not any(tf.io.gfile.exists(init + suffix) for suffix in ("", ".index")):
        found = pretrained.resolve_init_checkpoint(init)
        if found is None:
            raise UsageError(f"--init_checkpoint={init}: no such checkpoint (expected a checkpoint "
                             "prefix with a .index file, a directory holding one, or a registered "
                             "model name)")
        init = found.checkpoint
        config_file = config_file or found.config_file
        vocab_file = vocab_file or found.vocab_file
    # Without --init_checkpoint, a run directory's own checkpoint (eval or predict only)
    # describes the model: its bert_config.json and vocab.txt lie beside it.
    weights = init or run_info.weights_source(s.get("output_dir"), None)
    if weights and not config_file:
        config_file = _beside(weights, ("bert_config.json", "config.json"))
    if weights and "vocab_file" in s.values() and not vocab_file:
        vocab_file = _beside(weights, ("vocab.txt",))
    if not config_file:
        raise UsageError("--bert_config_file is required (or an --init_checkpoint with "
                         "bert_config.json beside it)")
    if require_checkpoint and not init:
        raise UsageError("--init_checkpoint is required")
    if needs_vocab and not vocab_file:
        raise UsageError("--vocab_file is required (or an --init_checkpoint with vocab.txt "
                         "beside it)")
    config = BertConfig.from_json_file(config_file)
    if max_position_embeddings:
        if max_position_embeddings < config.max_position_embeddings:
            raise UsageError(f"--max_position_embeddings={max_position_embeddings} is smaller "
                             f"than the checkpoint's {config.max_position_embeddings} (it can "
                             "only be extended)")
        config = dataclasses.replace(config, max_position_embeddings=max_position_embeddings)
    return ModelFiles(config, init, vocab_file, config_file)


def check_model_settings(s: Settings, files: ModelFiles) -> None:
    """Every max_*length value fits the position table; casing fits a known checkpoint."""
    for name, value in sorted(s.values().items()):
        if fnmatch.fnmatchcase(name, "max_*length"):
            check_length(name, value, files.config, files.config_file)
    if s.get("do_lower_case") is not None:
        tokenization.validate_case_matches_checkpoint(s.do_lower_case, s.get("init_checkpoint"))


def check_length(name: str, length: int | None, config: BertConfig,
                 config_file: str = "bert_config.json") -> None:
    """A sequence length (flag `name`) must fit the model's position embeddings."""
    if length is not None and length > config.max_position_embeddings:
        raise UsageError(f"Cannot use --{name}={length} because the BERT model was only trained "
                         f"up to sequence length {config.max_position_embeddings} "
                         f"(max_position_embeddings in {config_file})")


def _beside(checkpoint: str, names: tuple[str, ...]) -> str | None:
    directory = checkpoint if os.path.isdir(checkpoint) else os.path.dirname(checkpoint)
    for name in names:
        path = os.path.join(directory, name)
        if os.path.isfile(path):
            return path
    return None


def load_tokenizer(vocab_file: str, config: BertConfig, do_lower_case: bool
                   ) -> tokenization.FullTokenizer:
    """The tokenizer, refusing a vocab with ids the model's embedding table cannot hold."""
    tokenizer = tokenization.FullTokenizer(vocab_file, do_lower_case=do_lower_case)
    largest = max(tokenizer.vocab.values())
    if largest >= config.vocab_size:
        raise UsageError(f"--vocab_file {vocab_file} has ids up to {largest} but the model's "
                         f"vocab_size is {config.vocab_size}: the vocab does not belong to this "
                         "bert_config")
    return tokenizer


def build_strategy(s: Settings) -> tf.distribute.Strategy:
    training.set_precision(s.mixed_precision)
    return training.build_strategy(s.distribution_strategy, s.use_tpu, s.tpu_name, s.tpu_zone,
                                   s.gcp_project, s.master)


def resolve_dynamic_padding(s: Settings) -> None:
    """--dynamic_padding is turned off on TPU, which compiles one static shape, with a log line."""
    tpu = s.get("use_tpu") or s.get("distribution_strategy") == "tpu"
    if s.get("dynamic_padding") and tpu:
        logging.info("--dynamic_padding is off on TPU: XLA on TPU needs static shapes, so every "
                     "training batch is padded to its full length")
        s.dynamic_padding = False
        s.origin["dynamic_padding"] = "off on TPU"


def train_config(s: Settings, num_train_steps: int, num_warmup_steps: int
                 ) -> training.TrainConfig:
    return training.TrainConfig(
        output_dir=s.output_dir, num_train_steps=num_train_steps,
        learning_rate=s.learning_rate, num_warmup_steps=num_warmup_steps,
        save_checkpoints_steps=s.save_checkpoints_steps,
        iterations_per_loop=s.iterations_per_loop, log_every_steps=s.log_every_steps,
        keep_checkpoint_max=s.keep_checkpoint_max, grad_accum_steps=s.grad_accum_steps,
        optimizer=s.optimizer, adam_bias_correction=s.adam_bias_correction,
        head_initializer=s.head_initializer, reinit_layers=s.reinit_layers, xla=s.xla,
        seed=s.seed, inference_dtype=s.inference_dtype)


def steps_for_epochs(s: Settings, num_examples: int) -> tuple[int, int]:
    """The original: int(examples / batch * epochs) steps, int(steps * warmup_proportion) warmup."""
    steps = int(num_examples / s.train_batch_size * s.num_train_epochs)
    return steps, int(steps * s.warmup_proportion)


def micro_batch_size(s: Settings) -> int:
    """--train_batch_size per accumulation step, with a clear error if it does not divide."""
    if s.train_batch_size % s.grad_accum_steps:
        raise UsageError(f"--train_batch_size={s.train_batch_size} is not divisible by "
                         f"--grad_accum_steps={s.grad_accum_steps}")
    return s.train_batch_size // s.grad_accum_steps


def data_file(s: Settings, flag: str, split: str, find: Callable[[str, str], str]) -> str:
    """--<flag> if given, else `find(--data_dir, split)` (the split's file in --data_dir)."""
    path = s.get(flag)
    if path:
        return path
    if not s.get("data_dir"):
        raise UsageError(f"--data_dir or --{flag} is required")
    return find(s.data_dir, split)


def write_run_dir(output_dir: str, files: ModelFiles, info: run_info.RunInfo) -> None:
    """Makes output_dir self-contained like an original checkpoint directory:
    bert_config.json, vocab.txt and run_info.json."""
    files.config.to_json_file(os.path.join(output_dir, "bert_config.json"))
    vocab = os.path.join(output_dir, "vocab.txt")
    if files.vocab_file and os.path.abspath(files.vocab_file) != os.path.abspath(vocab):
        with tf.io.gfile.GFile(files.vocab_file, "rb") as f:
            content = f.read()
        with atomic_open(vocab, "wb") as f:
            f.write(content)
    info.write(output_dir)


def fit(trainer: training.Trainer, task: "Task", record_files: list[str],
        init_checkpoint: "str | Mapping | None") -> None:
    """Restores (resume or init) and trains, as every training script."""
    s = task.s
    micro_batch = micro_batch_size(s)
    how = trainer.restore(init_checkpoint, init_optimizer=task.init_optimizer,
                          extend_positions=task.extend_positions)
    logging.info("Training from %s at step %d of %d", how, trainer.global_step,
                 trainer.config.num_train_steps)

    def dataset_fn(ctx: tf.distribute.InputContext) -> tf.data.Dataset:
        return task.training_dataset(record_files, ctx.get_per_replica_batch_size(micro_batch),
                                     ctx)

    with records.reading(record_files):
        trainer.train(dataset_fn, s.train_batch_size)


def restore_for_inference(trainer: training.Trainer, task: "Task",
                          init_checkpoint: str | None) -> None:
    """The newest checkpoint in output_dir, else --init_checkpoint, which must then hold
    the task head (the pretrainer's eval, like the original's, accepts what it finds)."""
    how = trainer.restore(init_checkpoint, init_optimizer=task.init_optimizer,
                          allow_missing_heads=task.init_optimizer,
                          extend_positions=task.extend_positions)
    if how == "scratch" and not task.init_optimizer:
        raise UsageError("nothing to predict with: pass --do_train or an --init_checkpoint (or "
                         "an --output_dir) with a fine-tuned model")


def describe(s: Settings, names: Iterable[str]) -> str:
    """The resolved settings, one per line, each marked with where it came from."""
    rows = []
    for name in sorted(names):
        value = s.get(name)
        shown = run_info._show(value) if isinstance(value, (list, tuple)) else value
        rows.append(f"  --{name}={shown}  [{s.origin.get(name, 'resolved')}]")
    return "\n".join(rows)


def prepare(task_cls: "type[Task]", values: Mapping[str, Any], given: Iterable[str]) -> "Task":
    """Everything up to the first example: settings resolved, files read, all checks made."""
    given = set(given)
    values, preset = dict(values), task_cls.defaults(dict(values), given)
    filled = {k for k in preset if k not in given and preset.get(k) != values.get(k)}
    values = preset
    files = task_cls.model_files(Settings(values))
    source = run_info.weights_source(values.get("output_dir"),
                                     files.init_checkpoint
                                     if isinstance(files.init_checkpoint, str) else None)
    info = run_info.read(source)
    if info is not None and info.model_type not in (None, task_cls.model_type):
        logging.info("Not using %s's settings: it holds a %s, not a %s", source, info.model_type,
                     task_cls.model_type)
        info = None
    merged, origin = run_info.merge(values, given, info, task_cls.recorded_flags,
                                    source=f"{os.path.dirname(source or '') or source}")
    origin.update({k: task_cls.preset_source(values) for k in filled if origin[k] == "default"})
    s = Settings(merged, origin)
    resolve_dynamic_padding(s)
    task = task_cls(s, files, info)
    if not any(s.get(mode) for mode in task.modes):
        *first, last = task.modes  # the original's messages, its closing quote included
        last = f"`{last}`" if len(first) == 1 else f"`{last}'"
        raise UsageError(f"At least one of {', '.join(f'`{m}`' for m in first)} or {last} "
                         "must be True.")
    check_model_settings(s, files)
    task.validate()
    if files.vocab_file and "do_lower_case" in merged:
        task.tokenizer = load_tokenizer(files.vocab_file, files.config, s.do_lower_case)
    return task


def run(task_cls: "type[Task]", values: Mapping[str, Any], given: Iterable[str]) -> None:
    """The shared main (module docstring); restarts run it once per restart."""
    given = set(given)
    if values.get("num_restarts", 1) > 1:
        first = prepare(task_cls, {**values, **restarts.restart_values(values, 0)}, given)
        first.check_restarts()
        if first.s.get("dry_run"):
            _dry_run(first)
            return
        restarts.run(lambda v: _run_once(prepare(task_cls, v, given | restarts.SET_BY_RESTART)),
                     values, first.restart_metrics)
        return
    task = prepare(task_cls, values, given)
    if task.s.get("dry_run"):
        _dry_run(task)
        return
    _run_once(task)


def _dry_run(task: "Task") -> None:
    files = task.files
    init = files.init_checkpoint if isinstance(files.init_checkpoint, str) else "(in memory)"
    print(f"{task.model_type}: the flags resolve to\n{describe(task.s, task.s.values())}\n"
          f"Model: {files.config_file} (config), {init} (weights), {files.vocab_file} (vocab)\n"
          "Dry run: settings, files and run directory checked; nothing featurized or trained.")


def _run_once(task: "Task") -> None:
    s, files = task.s, task.files
    if not s.get("output_dir"):
        raise UsageError("--output_dir is required")
    tf.io.gfile.makedirs(s.output_dir)
    num_train_steps = num_warmup_steps = 0
    if s.get("do_train"):
        examples = task.train_examples()
        num_train_steps, num_warmup_steps = task.train_steps(examples)
        write_run_dir(s.output_dir, files, task.run_info())
    trainer = task.predictor()
    if trainer is None:
        strategy = build_strategy(s)
        loss = task.loss_fn(strategy)
        trainer = training.Trainer(lambda: task.build_model(files.config), loss,
                                   train_config(s, num_train_steps, num_warmup_steps), strategy,
                                   getattr(loss, "extra_variables", None))
    if s.get("do_train"):
        fit(trainer, task, task.train_records(examples), task.init_values())
    if task.evaluates_or_predicts() and isinstance(trainer, training.Trainer) \
            and not s.get("do_train"):
        restore_for_inference(trainer, task, files.init_checkpoint)
    if s.get("do_eval"):
        task.evaluate(trainer)
    if s.get("do_predict"):
        task.predict(trainer)
    task.finish(trainer)
