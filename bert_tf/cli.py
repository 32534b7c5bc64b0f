"""Command-line layer shared by the entry scripts: the original's flags, defined once.

Only the top-level scripts import this module; the library proper never reads
flags. Every original flag keeps its name, default and meaning; additions are
marked "(new)".

Flag validation. `run` checks every flag of the script (`script_flags`: those not
defined by absl or TensorFlow) before `main` starts, and prints a bad
value as one line naming the flag and the value, with exit status 2 (also for
values absl's parser rejects: unknown enum values, "abc" for an integer). Each flag
gets the first rule that applies (`rule_for`):
  1. bounds declared on the flag itself, `flags.DEFINE_integer(..., lower_bound=1)`;
  2. the first pattern of `FLAG_RULES` matching its name, e.g. *batch_size, num_*,
     max_*, *_steps, *_length, *_size >= 1; learning_rate, *_epochs > 0;
     *_prob, *_proportion in [0, 1]; *seed, min_*, num_warmup_steps >= 0;
     *_file, *_dir, *_checkpoint must exist (input), output_*, export_dir must be
     creatable (output); layers is a comma-separated list of integers;
  3. otherwise: integers >= 0, floats finite.
`FLAG_ORDER` adds cross-flag rules (doc_stride < max_seq_length), and the
environment a script reads is checked too: TF_CONFIG for multi_worker_mirrored,
$BERT_TF_CACHE and $BERT_TF_BASE_URL for the model registry.
A new script that defines its flags with absl and calls `cli.run(main)` is covered
without more code; a flag whose name gives the wrong rule declares its own, with
lower_bound/upper_bound in its DEFINE, or an entry in `FLAG_RULES` (exact names
first). tests/test_flag_validation.py generates a bad value for every rule-bearing
flag of every top-level script from these same definitions. Checks that need the
model config (--layers within the model's depth, every max_*length flag within
max_position_embeddings) run in `resolve_model_files` and the scripts.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import glob
import json
import math
import os
import sys
from typing import Callable

import tensorflow as tf
from absl import app, flags, logging

from bert_tf import pretrained, stability, tokenization, training
from bert_tf.data import records
from bert_tf.io import atomic_open, atomic_write_text
from bert_tf.config import BertConfig

FLAGS = flags.FLAGS


def define_model_flags(max_seq_length: int | None = 128, vocab: bool = True) -> None:
    """bert_config_file, init_checkpoint, max_seq_length (unless None: a script with
    lengths of its own) (+ vocab_file, do_lower_case)."""
    flags.DEFINE_string(
        "bert_config_file", None,
        "The config json file corresponding to the pre-trained BERT model. This specifies the "
        "model architecture. A Hugging Face config.json works too. Defaults to the one beside "
        "--init_checkpoint.")
    flags.DEFINE_string(
        "init_checkpoint", None,
        "Initial checkpoint (usually from a pre-trained BERT model): an original TF1 "
        "bert_model.ckpt, a TF Model Garden checkpoint, a Hugging Face model.safetensors or "
        "directory, or a registry name such as uncased_L-12_H-768_A-12.")
    if max_seq_length is not None:
        flags.DEFINE_integer(
            "max_seq_length", max_seq_length,
            "The maximum total input sequence length after WordPiece tokenization. Sequences "
            "longer than this will be truncated, and sequences shorter than this will be padded.")
    if vocab:
        flags.DEFINE_string("vocab_file", None,
                            "The vocabulary file that the BERT model was trained on. Defaults to "
                            "the one beside --init_checkpoint.")
        flags.DEFINE_bool("do_lower_case", True,
                          "Whether to lower case the input text. Should be True for uncased "
                          "models and False for cased models.")


def define_tpu_flags() -> None:
    """The original's TPU flags; --use_tpu means --distribution_strategy=tpu."""
    flags.DEFINE_bool("use_tpu", False, "Whether to use TPU or GPU/CPU.")
    flags.DEFINE_string(
        "tpu_name", None,
        "The Cloud TPU to use for training. This should be either the name used when creating "
        "the Cloud TPU, or a grpc://ip.address.of.tpu:8470 url.")
    flags.DEFINE_string("tpu_zone", None, "[Optional] GCE zone where the Cloud TPU is located.")
    flags.DEFINE_string("gcp_project", None, "[Optional] Project name for the Cloud TPU.")
    flags.DEFINE_string("master", None, "[Optional] TensorFlow master URL.")
    flags.DEFINE_integer("num_tpu_cores", 8,
                         "Only used if `use_tpu` is True. Total number of TPU cores to use.")


def define_runtime_flags() -> None:
    """New flags (additions to the original) for devices, precision and speed."""
    flags.DEFINE_enum("distribution_strategy", "default", list(training.STRATEGIES),
                      "(new) tf.distribute strategy: default (CPU or one GPU), one_device, "
                      "mirrored (all local GPUs), multi_worker_mirrored (TF_CONFIG), tpu.")
    flags.DEFINE_enum("mixed_precision", "float32", list(training.PRECISIONS),
                      "(new) Keras dtype policy. mixed_bfloat16 for CPUs with AMX and TPUs, "
                      "mixed_float16 for GPUs (with dynamic loss scaling).")
    flags.DEFINE_bool("xla", False, "(new) Compile the model step with XLA (jit_compile).")
    define_inference_dtype_flag()
    flags.DEFINE_integer("seed", 12345, "(new) Random seed for initialisation, dropout and shuffling.")


def define_inference_dtype_flag() -> None:
    flags.DEFINE_enum("inference_dtype", "float32", list(training.INFERENCE_DTYPES),
                      "(new) Predict (and export) with the weights in this dtype. bfloat16 keeps "
                      "LayerNorm and softmax in float32 and is about 2x faster on CPUs with "
                      "bfloat16 support (AVX512-BF16/AMX) and on TPUs; outputs move by ~1e-2.")


def define_train_flags(epochs: bool = True, lr: float = 5e-5, train_batch_size: int = 32) -> None:
    """Training flags common to the scripts (the original's) plus the new loop controls."""
    flags.DEFINE_string("output_dir", None,
                        "The output directory where the model checkpoints will be written.")
    flags.DEFINE_bool("do_train", False, "Whether to run training.")
    flags.DEFINE_integer("train_batch_size", train_batch_size, "Total batch size for training.")
    flags.DEFINE_float("learning_rate", lr, "The initial learning rate for Adam.")
    if epochs:
        flags.DEFINE_float("num_train_epochs", 3.0, "Total number of training epochs to perform.")
        flags.DEFINE_float("warmup_proportion", 0.1,
                           "Proportion of training to perform linear learning rate warmup for. "
                           "E.g., 0.1 = 10% of training.")
    flags.DEFINE_integer("save_checkpoints_steps", 1000, "How often to save the model checkpoint.")
    flags.DEFINE_integer("iterations_per_loop", 1000,
                         "How many steps to make in each estimator call (here: steps per "
                         "tf.function call).")
    flags.DEFINE_integer("keep_checkpoint_max", 5, "(new) How many recent checkpoints to keep.")
    flags.DEFINE_integer("log_every_steps", 100, "(new) Log progress every this many steps.")
    flags.DEFINE_integer("grad_accum_steps", 1,
                         "(new) Accumulate gradients over this many micro-batches per step; "
                         "train_batch_size is the effective batch.")
    flags.DEFINE_enum("optimizer", "adamw", ["adamw", "lamb"],
                      "(new) adamw = the original AdamWeightDecay; lamb = LAMB.")
    flags.DEFINE_bool("adam_bias_correction", False,
                      "(new) Adam with bias-corrected moments (the original has none). A "
                      "few-sample remedy: README, \"Small datasets\".")
    flags.DEFINE_enum("head_initializer", "truncated_normal", list(stability.HEAD_INITIALIZERS),
                      "(new) Initialiser of a new task head's output_weights: truncated_normal "
                      "(the original's, stddev initializer_range) or glorot_uniform.")
    flags.DEFINE_integer("reinit_layers", 0, "(new) Re-initialise the top this many encoder "
                         "layers and the pooler before fine-tuning (Zhang et al., ICLR 2021).",
                         lower_bound=0)
    define_runtime_flags()
    define_tpu_flags()


@dataclasses.dataclass
class ModelFiles:
    """What the model flags resolve to."""

    config: BertConfig
    init_checkpoint: str | None
    vocab_file: str | None


def resolve_model_files(require_checkpoint: bool = False, check_lengths: bool = True,
                        max_position_embeddings: int | None = None) -> ModelFiles:
    """Reads --bert_config_file / --init_checkpoint / --vocab_file with clear errors.

    A registry name or a checkpoint directory fills in the config and vocab beside it.
    `max_position_embeddings` (a script's --max_position_embeddings) grows the config's
    position table; the checkpoint's is extended when it is loaded. With
    `check_lengths`, every max_*length flag must fit the (grown) position table.
    """
    init = FLAGS.init_checkpoint
    config_file = FLAGS.bert_config_file
    vocab_file = getattr(FLAGS, "vocab_file", None)
    if init and not any(tf.io.gfile.exists(init + s) for s in ("", ".index")):
        files = pretrained.resolve_init_checkpoint(init)
        if files is None:
            raise flags.ValidationError(
                f"--init_checkpoint={init}: no such checkpoint (expected a checkpoint prefix "
                "with a .index file, a directory holding one, or a registered model name)")
        init = files.checkpoint
        config_file = config_file or files.config_file
        vocab_file = vocab_file or files.vocab_file
    if init and not config_file:
        config_file = _beside(init, ("bert_config.json", "config.json"))
    if vocab_file is None and init and hasattr(FLAGS, "vocab_file"):
        vocab_file = _beside(init, ("vocab.txt",))
    if not config_file:
        raise flags.ValidationError("--bert_config_file is required (or an --init_checkpoint with "
                                    "bert_config.json beside it)")
    if require_checkpoint and not init:
        raise flags.ValidationError("--init_checkpoint is required")
    if hasattr(FLAGS, "vocab_file") and not vocab_file:
        raise flags.ValidationError("--vocab_file is required (or an --init_checkpoint with "
                                    "vocab.txt beside it)")
    config = BertConfig.from_json_file(config_file)
    if max_position_embeddings:
        if max_position_embeddings < config.max_position_embeddings:
            raise flags.ValidationError(
                f"--max_position_embeddings={max_position_embeddings} is smaller than the "
                f"checkpoint's {config.max_position_embeddings} (it can only be extended)")
        config = dataclasses.replace(config, max_position_embeddings=max_position_embeddings)
    if check_lengths:
        # Every length flag (max_seq_length, max_source_length, max_decode_length, ...).
        for name, flag in sorted(script_flags().items()):
            if fnmatch.fnmatchcase(name, "max_*length"):
                check_length(name, flag.value, config, config_file)
    if hasattr(FLAGS, "do_lower_case"):
        tokenization.validate_case_matches_checkpoint(FLAGS.do_lower_case, FLAGS.init_checkpoint)
    return ModelFiles(config, init, vocab_file)


def check_length(name: str, length: int | None, config: BertConfig,
                 config_file: str = "bert_config.json") -> None:
    """A sequence length (flag `name`) must fit the model's position embeddings."""
    if length is not None and length > config.max_position_embeddings:
        raise flags.ValidationError(
            f"Cannot use --{name}={length} because the BERT model was only trained up to "
            f"sequence length {config.max_position_embeddings} (max_position_embeddings in "
            f"{config_file})")


def _beside(checkpoint: str, names: tuple[str, ...]) -> str | None:
    directory = checkpoint if os.path.isdir(checkpoint) else os.path.dirname(checkpoint)
    for name in names:
        path = os.path.join(directory, name)
        if os.path.isfile(path):
            return path
    return None


def load_tokenizer(vocab_file: str, config: BertConfig) -> tokenization.FullTokenizer:
    """The tokenizer, refusing a vocab with ids the model's embedding table cannot hold."""
    tokenizer = tokenization.FullTokenizer(vocab_file, do_lower_case=FLAGS.do_lower_case)
    largest = max(tokenizer.vocab.values())
    if largest >= config.vocab_size:
        raise flags.ValidationError(
            f"--vocab_file {vocab_file} has ids up to {largest} but the model's vocab_size is "
            f"{config.vocab_size}: the vocab does not belong to this bert_config")
    return tokenizer


def strategy_from_flags():
    training.set_precision(FLAGS.mixed_precision)
    return training.build_strategy(FLAGS.distribution_strategy, FLAGS.use_tpu, FLAGS.tpu_name,
                                   FLAGS.tpu_zone, FLAGS.gcp_project, FLAGS.master)


def train_config(num_train_steps: int, num_warmup_steps: int) -> training.TrainConfig:
    return training.TrainConfig(
        output_dir=FLAGS.output_dir, num_train_steps=num_train_steps,
        learning_rate=FLAGS.learning_rate, num_warmup_steps=num_warmup_steps,
        save_checkpoints_steps=FLAGS.save_checkpoints_steps,
        iterations_per_loop=FLAGS.iterations_per_loop, log_every_steps=FLAGS.log_every_steps,
        keep_checkpoint_max=FLAGS.keep_checkpoint_max, grad_accum_steps=FLAGS.grad_accum_steps,
        optimizer=FLAGS.optimizer, adam_bias_correction=FLAGS.adam_bias_correction,
        head_initializer=FLAGS.head_initializer, reinit_layers=FLAGS.reinit_layers,
        xla=FLAGS.xla, seed=FLAGS.seed,
        inference_dtype=FLAGS.inference_dtype)


def steps_for_epochs(num_examples: int) -> tuple[int, int]:
    """The original: int(examples / batch * epochs) steps, int(steps * warmup_proportion) warmup."""
    steps = int(num_examples / FLAGS.train_batch_size * FLAGS.num_train_epochs)
    return steps, int(steps * FLAGS.warmup_proportion)


def check_batch_size(name: str, grad_accum: int = 1) -> int:
    """Per-step batch size flag -> micro-batch size, with a clear error if it does not divide."""
    batch = getattr(FLAGS, name)
    if batch < 1:
        raise flags.ValidationError(f"--{name} must be >= 1, got {batch}")
    if batch % grad_accum:
        raise flags.ValidationError(f"--{name}={batch} is not divisible by "
                                    f"--grad_accum_steps={grad_accum}")
    return batch // grad_accum


def make_trainer(model_fn: Callable[[], "tf.keras.Model"], loss_fn: training.LossFn,
                 num_train_steps: int = 0, num_warmup_steps: int = 0,
                 strategy: "tf.distribute.Strategy | None" = None,
                 extra_variables_fn=None) -> training.Trainer:
    """A Trainer on the strategy and precision the flags ask for."""
    strategy = strategy or strategy_from_flags()
    return training.Trainer(model_fn, loss_fn, train_config(num_train_steps, num_warmup_steps),
                            strategy, extra_variables_fn)


def fit(trainer: training.Trainer, record_files: list[str], name_to_features: dict,
        init_checkpoint: "str | dict | None", extend_positions: bool = False) -> None:
    """Restores (resume or init) and trains on TFRecord features, as every fine-tuning script."""
    micro_batch = check_batch_size("train_batch_size", FLAGS.grad_accum_steps)
    trainer.restore(init_checkpoint, extend_positions=extend_positions)

    def dataset_fn(ctx: tf.distribute.InputContext) -> tf.data.Dataset:
        return records.dataset(record_files, name_to_features,
                               ctx.get_per_replica_batch_size(micro_batch), is_training=True,
                               seed=FLAGS.seed, input_context=ctx)

    with records.reading(record_files):
        trainer.train(dataset_fn, FLAGS.train_batch_size)


def restore_for_inference(trainer: training.Trainer, init_checkpoint: str | None,
                          trained: bool, extend_positions: bool = False) -> None:
    """After training the weights are in place; otherwise the newest checkpoint in
    output_dir or --init_checkpoint, which must then include the task head."""
    if trained:
        return
    how = trainer.restore(init_checkpoint, allow_missing_heads=False,
                          extend_positions=extend_positions)
    if how == "scratch":
        raise flags.ValidationError("nothing to predict with: pass --do_train or an "
                                    "--init_checkpoint (or an --output_dir) with a fine-tuned model")


def data_file(flag: str, split: str, find: Callable[[str, str], str]) -> str:
    """--<flag> if given, else `find(--data_dir, split)` (the split's file in --data_dir)."""
    path = getattr(FLAGS, flag)
    if path:
        return path
    if not FLAGS.data_dir:
        raise flags.ValidationError(f"--data_dir or --{flag} is required")
    return find(FLAGS.data_dir, split)


def make_output_dir() -> str:
    if not FLAGS.output_dir:
        raise flags.ValidationError("--output_dir is required")
    tf.io.gfile.makedirs(FLAGS.output_dir)
    return FLAGS.output_dir


RUN_INFO = "run_info.json"


def save_run_info(files: ModelFiles, model_type: str, labels: list | None = None,
                  **extra) -> None:
    """Makes output_dir self-contained like an original checkpoint directory:
    bert_config.json, vocab.txt and run_info.json (model type, labels, casing), so
    `--init_checkpoint=<output_dir>` works for prediction and export_model.py."""
    out = FLAGS.output_dir
    files.config.to_json_file(os.path.join(out, "bert_config.json"))
    if files.vocab_file and os.path.abspath(files.vocab_file) != os.path.abspath(
            os.path.join(out, "vocab.txt")):
        with tf.io.gfile.GFile(files.vocab_file, "rb") as f:
            vocab = f.read()
        with atomic_open(os.path.join(out, "vocab.txt"), "wb") as f:
            f.write(vocab)
    info = {"model_type": model_type, "labels": labels,
            "max_seq_length": getattr(FLAGS, "max_seq_length", None),
            "do_lower_case": getattr(FLAGS, "do_lower_case", None), **extra}
    atomic_write_text(os.path.join(out, RUN_INFO), json.dumps(info, indent=2) + "\n")


def write_eval_results(result: dict, name: str = "eval_results.txt") -> None:
    """Writes `key = value` lines (sorted, as the original's eval_results.txt) atomically
    to output_dir, and logs them."""
    lines = [f"{k} = {result[k]}" for k in sorted(result)]
    atomic_write_text(os.path.join(FLAGS.output_dir, name), "".join(f"{line}\n" for line in lines))
    logging.info("***** Eval results *****\n%s", "\n".join(f"  {line}" for line in lines))


def load_run_info(checkpoint: str | None) -> dict:
    """run_info.json beside a checkpoint (or in a run directory), or {}."""
    if not checkpoint:
        return {}
    path = _beside(checkpoint, (RUN_INFO,))
    if not path:
        return {}
    with tf.io.gfile.GFile(path) as f:
        return json.load(f)


# -- Flag validation (see the module docstring) ----------------------------------


@dataclasses.dataclass(frozen=True)
class Rule:
    """What a flag's value must be.

    kind "number": low <= value <= high (low < value when `above`), and finite;
    "input": a path (comma-separated globs allowed) that exists; "output": a path
    that can be created; "int_list": comma-separated integers.
    """

    kind: str = "number"
    low: float | None = None
    high: float | None = None
    above: bool = False

    def error(self, name: str, value) -> str | None:
        """The one-line message for a value that breaks the rule, or None."""
        if value is None or value == "":
            return None
        if self.kind == "number":
            problem = _number_error(self, value)
            return problem and f"--{name}={value}: {problem}"
        if self.kind == "int_list":
            try:
                [int(x) for x in value.split(",")]
            except ValueError:
                return f"--{name}={value!r}: expected comma-separated integers"
            return None
        if self.kind == "input":
            return _input_error(name, value)
        return _output_error(name, value)

    def violation(self, is_int: bool = True) -> str | None:
        """A value breaking the rule, for tests generated from the definitions."""
        if self.kind == "int_list":
            return "one,two"
        if self.kind != "number":
            return None  # paths: the tests make a missing or an uncreatable one
        if self.low is not None:
            return str(int(self.low) - (0 if self.above else 1)) if is_int else \
                str(self.low - (0 if self.above else 0.5))
        if self.high is not None:
            return str(int(self.high) + 1) if is_int else str(self.high + 0.5)
        return None if is_int else "nan"


def _number_error(rule: Rule, value: float) -> str | None:
    if not math.isfinite(value):
        return "must be a finite number"
    if rule.low is not None and (value <= rule.low if rule.above else value < rule.low):
        if rule.high is not None:
            return f"must be in [{rule.low}, {rule.high}]"
        return f"must be greater than {rule.low}" if rule.above else f"must be at least {rule.low}"
    if rule.high is not None and value > rule.high:
        return (f"must be in [{rule.low}, {rule.high}]" if rule.low is not None
                else f"must be at most {rule.high}")
    return None


def _input_error(name: str, value: str) -> str | None:
    for part in filter(None, (p.strip() for p in value.split(","))):
        if "://" in part:
            continue  # remote (gs://...): read by the script, not probed here
        path = os.path.expanduser(part)
        if glob.glob(path) or glob.glob(path + ".index"):
            continue
        if name.endswith("_checkpoint"):
            if part in pretrained.names():
                continue
            return (f"--{name}={part}: no such checkpoint (expected a checkpoint prefix with a "
                    ".index file, a directory holding one, or a registered model name)")
        if glob.has_magic(part):
            return f"--{name}: no file matches {part!r}"
        return f"--{name}={part!r} does not exist"
    return None


def _output_error(name: str, value: str) -> str | None:
    for part in filter(None, (p.strip() for p in value.split(","))):
        if "://" in part:
            continue
        wanted = existing = os.path.abspath(os.path.expanduser(part))
        while not os.path.exists(existing):
            existing = os.path.dirname(existing)
        if existing != wanted and not os.path.isdir(existing):
            return f"--{name}={part!r} cannot be created: {existing!r} is a file"
        if existing == wanted and os.path.isdir(wanted) != name.endswith("_dir"):
            return f"--{name}={part!r} is a {'file' if name.endswith('_dir') else 'directory'}"
    return None


AT_LEAST_0, AT_LEAST_1 = Rule(low=0), Rule(low=1)
POSITIVE, FRACTION, FINITE = Rule(low=0, above=True), Rule(low=0, high=1), Rule()

# Name patterns (fnmatch) -> rule; the first pattern that matches a flag of the
# rule's kind (number rules for integer/float flags, the rest for string flags) wins.
FLAG_RULES: dict[str, Rule] = {
    "num_warmup_steps": AT_LEAST_0,
    "docs_per_shard": AT_LEAST_0,         # 0 = the default shard size
    "log_examples": AT_LEAST_0,
    "max_query_length": AT_LEAST_0,
    "null_score_diff_threshold": FINITE,  # any score difference
    "label_smoothing": FRACTION,
    "*seed": AT_LEAST_0,
    "min_*": AT_LEAST_0,
    "learning_rate": POSITIVE,
    "*_epochs": POSITIVE,
    "*_prob": FRACTION,
    "*_proportion": FRACTION,
    "*batch_size": AT_LEAST_1,
    "*_steps": AT_LEAST_1,
    "num_*": AT_LEAST_1,
    "max_*": AT_LEAST_1,
    "*_max": AT_LEAST_1,
    "*_length": AT_LEAST_1,
    "*_size": AT_LEAST_1,
    "*_factor": AT_LEAST_1,
    "*_stride": AT_LEAST_1,
    "iterations_per_loop": AT_LEAST_1,
    "layers": Rule("int_list"),
    "output_*": Rule("output"),
    "export_dir": Rule("output"),
    "*_file": Rule("input"),
    "*_dir": Rule("input"),
    "*_checkpoint": Rule("input"),
}
# (smaller, larger): when a script has both flags, smaller's value must be below larger's.
FLAG_ORDER = [("doc_stride", "max_seq_length")]


# Flags these packages define (absl's logging and help, TensorFlow's TPU internals) are
# not the script's.
OTHER_PACKAGES = ("absl.", "tensorflow.", "tensorflow_", "keras.", "tf_keras.", "official.")


def script_flags() -> dict[str, flags.Flag]:
    """The running script's flags: every defined flag but those of OTHER_PACKAGES."""
    return {f.name: f for module, defined in FLAGS.flags_by_module_dict().items()
            if not module.startswith(OTHER_PACKAGES) for f in defined}


def rule_for(flag: flags.Flag) -> Rule | None:
    """The rule a flag's value must follow (see the module docstring), or None."""
    numeric = isinstance(flag.parser, (flags.IntegerParser, flags.FloatParser))
    if numeric and (flag.parser.lower_bound is not None or flag.parser.upper_bound is not None):
        return Rule(low=flag.parser.lower_bound, high=flag.parser.upper_bound)
    if not numeric and flag.parser.flag_type() != "string":
        return None  # bool, enum and list flags: absl's parser checks them
    for pattern, rule in FLAG_RULES.items():
        if fnmatch.fnmatchcase(flag.name, pattern) and (rule.kind == "number") == numeric:
            return rule
    if numeric:
        return AT_LEAST_0 if isinstance(flag.parser, flags.IntegerParser) else FINITE
    return None


def validate_flags() -> None:
    """Raises flags.ValidationError naming the first bad flag value or environment variable."""
    defined = script_flags()
    for name in sorted(defined):
        rule = rule_for(defined[name])
        message = rule and rule.error(name, defined[name].value)
        if message:
            raise flags.ValidationError(message)
    for smaller, larger in FLAG_ORDER:
        values = [defined[n].value if n in defined else None for n in (smaller, larger)]
        if None not in values and values[0] >= values[1]:
            raise flags.ValidationError(
                f"--{smaller}={defined[smaller].value}: must be less than "
                f"--{larger}={defined[larger].value}")
    if "distribution_strategy" in defined and \
            defined["distribution_strategy"].value == "multi_worker_mirrored":
        training.check_tf_config()
    pretrained.check_environment()


def check_argv(argv: list[str]) -> str | None:
    """The error `run` would print for `argv` before calling main, or None; flags are
    left unparsed. For tests that try many command lines in one process."""
    try:
        FLAGS(argv)
        validate_flags()
    except (flags.Error, ValueError, OSError) as e:
        return str(e)
    finally:
        FLAGS.unparse_flags()
    return None


def _fail(error: Exception) -> None:
    print(f"{os.path.basename(sys.argv[0])}: error: {error}", file=sys.stderr)
    sys.exit(2)


def _parse_flags(argv: list[str]) -> list[str]:
    """absl's parsing, with a bad value reported like every other error (exit 2)."""
    try:
        return FLAGS(argv)
    except flags.Error as e:
        _fail(e)


def run(main: Callable[[list[str]], None]) -> None:
    """absl's app.run, printing expected errors as one clear line instead of a traceback.

    Every flag is validated (`validate_flags`) before `main` runs. Set
    BERT_TF_TRACEBACK=1 to see the full traceback.
    """
    def wrapped(argv: list[str]) -> None:
        try:
            if len(argv) > 1:
                raise flags.ValidationError(f"unexpected arguments: {' '.join(argv[1:])}")
            validate_flags()
            main(argv)
        except (ValueError, OSError, KeyError, flags.Error, training.TrainingError) as e:
            if os.environ.get("BERT_TF_TRACEBACK"):
                raise
            _fail(e)

    app.run(wrapped, flags_parser=_parse_flags)
