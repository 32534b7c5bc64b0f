"""The Hugging Face side of bench_bert2bert_hf.py (run in a venv with torch + transformers).

  python benchmarks/hf_bert2bert.py MODEL_DIR TRAIN.tsv TEST.tsv OUT.json --seed 0 \
      --epochs 1 --batch 32 --lr 1e-4 --max_source_length 32 --max_target_length 32 --beam 4

EncoderDecoderModel.from_encoder_decoder_pretrained(MODEL_DIR, MODEL_DIR) (bert2bert:
cross-attention and the LM head's transform new), trained as Hugging Face's
Seq2SeqTrainer would: AdamW (weight decay 0.01, not on biases and LayerNorm), linear
decay with no warmup, gradient clipping 1.0, each batch padded to its own longest
example. Targets as run_seq2seq's: [CLS] starts the decoder, [SEP] ends the labels.
Writes {"train_examples_per_s", "hypotheses", "train_seconds"} to OUT.json; BLEU is
scored by the caller with the same sacreBLEU call as run_seq2seq. With --parity FOLDER
(from profile_bert2bert.py --parity): one batch instead, its weights saved for bert_tf.
"""

import argparse
import csv
import json
import os
import random
import time

import numpy as np
import torch
from transformers import BertTokenizer, EncoderDecoderModel, get_linear_schedule_with_warmup


def read(path):
    with open(path, encoding="utf-8") as f:
        rows = list(csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    return [(r[0], r[1]) for r in rows[1:]]


def opt_for(model, lr=1e-4):
    """AdamW as Seq2SeqTrainer's: weight decay 0.01, none on biases and LayerNorm."""
    no_decay = ("bias", "LayerNorm.weight")
    named = list(model.named_parameters())
    return torch.optim.AdamW([
        {"params": [q for n, q in named if not any(x in n for x in no_decay)], "weight_decay": 0.01},
        {"params": [q for n, q in named if any(x in n for x in no_decay)], "weight_decay": 0.0}],
        lr=lr)


def profile(model, opt, batch, a):
    """Median seconds of forward, forward+backward and the whole step, interleaved rounds."""
    ids, mask, labels = batch
    model.train()

    def forward():
        with torch.no_grad():
            return model(input_ids=ids, attention_mask=mask, labels=labels).loss

    def backward():
        model.zero_grad()
        model(input_ids=ids, attention_mask=mask, labels=labels).loss.backward()

    def step():
        loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()

    fns = {"forward": forward, "forward+backward": backward, "whole step": step}
    times = {k: [] for k in fns}
    for f in fns.values():
        f(), f()
    order = list(fns)
    for _ in range(a.repeats):
        random.shuffle(order)
        for k in order:
            t = time.perf_counter()
            fns[k]()
            times[k].append(time.perf_counter() - t)
    json.dump({k: float(np.median(v)) for k, v in times.items()}, open(a.out, "w"))


def parity(model, folder):
    """One batch (FOLDER/batch.npz) on this model's weights, which it saves to FOLDER
    (model.safetensors, config.json: bert_tf loads them). Writes the loss, the gradients
    and one AdamW step's update (clipped, lr 2e-4) to FOLDER/hf.npz, under Hugging Face's
    names and layouts. Dropout off."""
    model.save_pretrained(folder)
    b = np.load(f"{folder}/batch.npz")
    params = dict(model.named_parameters())
    before = {n: p.detach().numpy().copy() for n, p in params.items()}
    labels = np.where(b["target_mask"] > 0, b["target_ids"], -100)
    model.eval()
    loss = model(input_ids=torch.tensor(b["input_ids"]).long(),
                 attention_mask=torch.tensor(b["input_mask"]).long(),
                 decoder_input_ids=torch.tensor(b["decoder_input_ids"]).long(),
                 labels=torch.tensor(labels).long()).loss
    loss.backward()
    out = {"loss": loss.detach().numpy()}
    out.update({f"grad:{n}": p.grad.numpy().copy() for n, p in params.items()
                if p.grad is not None})  # not the pooler
    opt = opt_for(model, 2e-4)
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    out.update({f"update:{n}": p.detach().numpy() - before[n] for n, p in params.items()})
    np.savez(os.path.join(folder, "hf.npz"), **out)


def main():
    p = argparse.ArgumentParser()
    for name in ("model_dir", "train", "test", "out"):
        p.add_argument(name)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--epochs", type=float, default=1.0)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--lr", type=float, default=1e-4)
    p.add_argument("--max_source_length", type=int, default=32)
    p.add_argument("--max_target_length", type=int, default=32)
    p.add_argument("--beam", type=int, default=4)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--profile", action="store_true", help="time forward, forward+backward and "
                   "the whole step on the first batch (padded to the max lengths) instead")
    p.add_argument("--repeats", type=int, default=7)
    p.add_argument("--parity", metavar="FOLDER", help="instead: loss, gradients and one AdamW "
                   "step on the batch in FOLDER; the weights saved there (see `parity`)")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    random.seed(a.seed), np.random.seed(a.seed), torch.manual_seed(a.seed)
    tok = BertTokenizer.from_pretrained(a.model_dir)
    model = EncoderDecoderModel.from_encoder_decoder_pretrained(a.model_dir, a.model_dir)
    cls, sep = tok.cls_token_id, tok.sep_token_id
    model.config.decoder_start_token_id, model.config.pad_token_id = cls, tok.pad_token_id
    model.config.eos_token_id = sep
    if a.parity:
        return parity(model, a.parity)

    train = read(a.train)
    def encode(pairs):
        src = [tok.encode(s, max_length=a.max_source_length, truncation=True) for s, _ in pairs]
        tgt = [tok.encode(t, add_special_tokens=False)[:a.max_target_length - 1] + [sep]
               for _, t in pairs]
        return src, tgt
    src, tgt = encode(train)

    def collate(idx, S=None, T=None):  # dynamic padding to the batch's longest
        s = [src[i] for i in idx]
        t = [tgt[i] for i in idx]
        S, T = S or max(map(len, s)), T or max(map(len, t))
        ids = torch.tensor([x + [0] * (S - len(x)) for x in s])
        labels = torch.tensor([x + [-100] * (T - len(x)) for x in t])
        return ids, (ids > 0).long(), labels

    if a.profile:
        return profile(model, opt_for(model), collate(range(a.batch), a.max_source_length,
                                                      a.max_target_length), a)
    steps_per_epoch = -(-len(train) // a.batch)
    total = int(round(a.epochs * steps_per_epoch))
    opt = opt_for(model, a.lr)
    sched = get_linear_schedule_with_warmup(opt, 0, total)
    model.train()
    rng = np.random.RandomState(a.seed)
    order, step, t0, losses = [], 0, None, []
    while step < total:
        if not order:
            order = list(rng.permutation(len(train)))
        idx, order = order[:a.batch], order[a.batch:]
        ids, mask, labels = collate(idx)
        loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        losses.append(loss.item())
        step += 1
        if step == 1:
            t0 = time.time()  # the first step (allocation) is not timed, as run_seq2seq's
    seconds = time.time() - t0
    model.eval()
    test = read(a.test)
    hyps = []
    with torch.no_grad():
        for i in range(0, len(test), 32):
            batch = tok([s for s, _ in test[i:i + 32]], padding=True, truncation=True,
                        max_length=a.max_source_length, return_tensors="pt")
            out = model.generate(batch["input_ids"], attention_mask=batch["attention_mask"],
                                 num_beams=a.beam, max_length=a.max_target_length,
                                 decoder_start_token_id=cls, eos_token_id=sep,
                                 pad_token_id=0, early_stopping=True)
            hyps += tok.batch_decode(out, skip_special_tokens=True)
    json.dump({"train_examples_per_s": (total - 1) * a.batch / max(seconds, 1e-9),
               "train_seconds": seconds, "steps": total, "final_loss": float(np.mean(losses[-5:])),
               "hypotheses": hyps}, open(a.out, "w"))


if __name__ == "__main__":
    main()
