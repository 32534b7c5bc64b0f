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
model config or a run directory (--layers within the model's depth, every max_*length
flag within max_position_embeddings) run in bert_tf/runner.py before any work.

Training scripts are their flag definitions plus `run_task(<Task>)`: the values and the
names given on the command line go to `bert_tf.runner.run`; the library never reads FLAGS.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import glob
import math
import os
import sys
from typing import Callable

from absl import app, flags

from bert_tf import pretrained, stability, training
from bert_tf.errors import BertTfError

FLAGS = flags.FLAGS


def define_model_flags(max_seq_length: int | None = 128, vocab: bool = True) -> None:
    """bert_config_file, init_checkpoint, max_seq_length (unless None: a script with
    lengths of its own) (+ vocab_file, do_lower_case), dry_run."""
    define_dry_run_flag()
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
    flags.DEFINE_bool("dynamic_padding", True,
                      "(new) Cut each training batch to its longest real sequence, rounded up to "
                      "a multiple of 16 (bounded shapes for tf.function/XLA): short text trains at "
                      "its own length, not max_seq_length. Padding is masked, so losses change by "
                      "float noise only (run_squad's span softmax then covers the real tokens "
                      "only; the original's also covers padding). Off on TPU (static shapes). "
                      "false: every batch padded to max_seq_length, as the original.")
    flags.DEFINE_bool("group_by_length", False,
                      "(new) Batch examples of similar length together (Hugging Face's "
                      "group_by_length): windows of 50 batches sorted by length, the batches "
                      "then shuffled. Less padding with --dynamic_padding; changes which "
                      "examples share a batch.")
    define_runtime_flags()
    define_tpu_flags()


def define_dry_run_flag() -> None:
    flags.DEFINE_bool("dry_run", False,
                      "(new) Check flags, files and run-directory settings, print the resolved "
                      "configuration (each value marked with where it came from) and exit "
                      "without featurizing or training.")


def define_restart_flags() -> None:
    flags.DEFINE_integer("num_restarts", 1, "(new) Fine-tune this many times with seeds --seed, "
                         "--seed+1, ... (each in output_dir/restart_<r>) and keep the best on the "
                         "dev set, as the BERT paper did on small data; writes restarts.tsv.",
                         lower_bound=1)
    flags.DEFINE_string("restart_metric", None, "(new) The eval_results.txt key that picks the "
                        "best restart (higher is better; lower for a *loss key). Default: the "
                        "task's main metric.")


def define_eval_flags(do_predict_help: str = "Whether to run the model in inference mode on the "
                      "test set.") -> None:
    flags.DEFINE_bool("do_eval", False, "Whether to run eval on the dev set.")
    flags.DEFINE_bool("do_predict", False, do_predict_help)
    flags.DEFINE_integer("eval_batch_size", 8, "Total batch size for eval.")
    flags.DEFINE_integer("predict_batch_size", 8, "Total batch size for predict.")


def define_classifier_data_flags() -> None:
    """run_classifier's data flags (run_distillation shares them)."""
    flags.DEFINE_string("data_dir", None,
                        "The input data dir. Should contain the .tsv files (or other data files) "
                        "for the task.")
    flags.DEFINE_string("task_name", None, "The name of the task to train.")
    flags.DEFINE_string("xnli_language", "zh", "(XNLI) The language of the dev set to evaluate.")
    flags.DEFINE_string("text_a_column", None,
                        "(generic) Column (name or 0-based index) of text_a.")
    flags.DEFINE_string("text_b_column", None, "(generic) Column of text_b, for sentence pairs.")
    flags.DEFINE_string("label_column", None, "(generic) Column of the label.")
    flags.DEFINE_list("label_list", None,
                      "(generic) The labels, in id order; default: the run directory's, else the "
                      "sorted labels of train.")
    define_eval_flags()


def flag_values() -> tuple[dict, set[str]]:
    """The script's flag values, and the names given on the command line."""
    defined = script_flags()
    return ({name: flag.value for name, flag in defined.items()},
            {name for name, flag in defined.items() if flag.present})


def run_task(task_cls) -> None:
    """The main of a training script: its flags, then the shared runner on `task_cls`."""
    from bert_tf import runner

    run(lambda argv: runner.run(task_cls, *flag_values()))


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
    except (flags.Error, BertTfError) as e:
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
    """absl's app.run, printing bad input as one clear line instead of a traceback.

    Every flag is validated (`validate_flags`) before `main` runs. A BertTfError or a
    flag error is one line and exit status 2; anything else is a bug and keeps its
    traceback (exit 1). Set BERT_TF_TRACEBACK=1 to see the traceback of a bad input too.
    """
    def wrapped(argv: list[str]) -> None:
        try:
            if len(argv) > 1:
                raise flags.ValidationError(f"unexpected arguments: {' '.join(argv[1:])}")
            validate_flags()
            main(argv)
        except (BertTfError, flags.Error) as e:
            if os.environ.get("BERT_TF_TRACEBACK"):
                raise
            _fail(e)

    app.run(wrapped, flags_parser=_parse_flags)
