"""Small file helpers: outputs are written whole or not at all."""

from __future__ import annotations

import contextlib
import os
import tempfile
from typing import IO, Any, Iterator, Mapping

import tensorflow as tf
from absl import logging
from bert_tf.errors import MissingFileError

_PACKAGE = os.path.dirname(os.path.abspath(__file__))


def sample_data(*parts: str) -> str:
    """A path in the bundled sample data (sentiment/, squad/, ner/, sample_text.txt).

    Installed (`pip install .`, a wheel) it ships inside the package as
    bert_tf/sample_data; in a checkout it is data/ beside the package.
    """
    for root in (os.path.join(_PACKAGE, "sample_data"), os.path.join(os.path.dirname(_PACKAGE),
                                                                     "data")):
        if os.path.isdir(root):
            return os.path.join(root, *parts)
    raise MissingFileError(f"the bundled sample data is missing from {_PACKAGE}; reinstall bert_tf")


@contextlib.contextmanager
def atomic_open(path: str, mode: str = "w", encoding: str | None = "utf-8") -> Iterator[IO]:
    """Opens a temporary file beside `path` and renames it over `path` on success.

    A crash or exception inside the block leaves any previous `path` untouched.
    Remote paths (gs://) go through tf.io.gfile, whose rename is not atomic but is
    still only done after the whole file was written.
    """
    if "://" in path:
        tmp = f"{path}.tmp-{os.getpid()}"
        with tf.io.gfile.GFile(tmp, mode) as f:
            yield f
        tf.io.gfile.rename(tmp, path, overwrite=True)
        return
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=os.path.basename(path) + ".", suffix=".tmp", dir=directory)
    try:
        binary = "b" in mode
        with os.fdopen(fd, mode, encoding=None if binary else encoding) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def read_text(path: str, what: str, error: type[Exception] = ValueError) -> str:
    """A UTF-8 text file (a BOM tolerated) whole; clear errors naming `what` and the path."""
    if not tf.io.gfile.exists(path):
        raise MissingFileError(f"{what} {path!r} does not exist")
    with tf.io.gfile.GFile(path, "rb") as f:
        raw = f.read()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise error(f"{what} {path!r} is not UTF-8 text: {e}") from None


def atomic_write_text(path: str, text: str) -> None:
    with atomic_open(path) as f:
        f.write(text)


def write_eval_results(output_dir: str, result: Mapping[str, Any],
                       name: str = "eval_results.txt") -> None:
    """`key = value` lines, sorted, as the original's eval_results.txt; atomic; logged."""
    lines = [f"{k} = {result[k]}" for k in sorted(result)]
    atomic_write_text(os.path.join(output_dir, name), "".join(f"{line}\n" for line in lines))
    logging.info("***** Eval results (%s) *****\n%s", name,
                 "\n".join(f"  {line}" for line in lines))


def expand_globs(patterns: str, flag: str = "input_file") -> list[str]:
    """Comma-separated glob patterns -> sorted file list; a clear error if empty."""
    files: list[str] = []
    for pattern in filter(None, (p.strip() for p in patterns.split(","))):
        matched = tf.io.gfile.glob(pattern)
        if not matched:
            raise MissingFileError(f"--{flag}: no file matches {pattern!r}")
        files.extend(sorted(matched))
    if not files:
        raise MissingFileError(f"--{flag} is empty; expected comma-separated file patterns")
    return files
