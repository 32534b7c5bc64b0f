"""Console commands for the entry scripts: `bert-run-classifier` runs run_classifier.py.

setup.py points `bert-<script with dashes>` at `bert_tf.scripts:<script>` for every
top-level script; the command runs that module as __main__, exactly as
`python -m run_classifier` (or `python run_classifier.py` in a checkout) would.
"""

from __future__ import annotations

import importlib.util
import runpy
from typing import Callable


def __getattr__(name: str) -> Callable[[], None]:
    if name.startswith("_") or importlib.util.find_spec(name) is None:
        raise AttributeError(f"no entry script named {name!r}")

    def main() -> None:
        runpy.run_module(name, run_name="__main__", alter_sys=True)

    main.__name__ = name
    return main
