"""Packaging that pyproject.toml cannot express statically (metadata is in pyproject.toml).

- Every top-level entry script (a .py file that hands its main to `cli.run`) is
  installed as a module, so `python -m run_classifier` works from any directory, and
  as a console command `bert-<script with dashes>` (`bert-run-classifier`,
  `bert-create-pretraining-data`, ...). A new script is picked up without an edit here.
- The bundled sample data in data/ ships inside the package as bert_tf/sample_data
  (found by `bert_tf.io.sample_data`), so `--demo` works from an installed wheel.
"""

import pathlib

from setuptools import find_packages, setup

ROOT = pathlib.Path(__file__).resolve().parent
SCRIPTS = sorted(p.stem for p in ROOT.glob("*.py")
                 if p.name != "setup.py" and "cli.run" in p.read_text(encoding="utf-8"))

setup(
    packages=find_packages(include=["bert_tf", "bert_tf.*"]) + ["bert_tf.sample_data"],
    package_dir={"bert_tf.sample_data": "data"},
    package_data={"bert_tf.sample_data": ["*", "**/*"]},
    exclude_package_data={"bert_tf.sample_data": ["*.py", "**/*.py"]},
    py_modules=SCRIPTS,
    entry_points={"console_scripts": [f"bert-{name.replace('_', '-')} = bert_tf.scripts:{name}"
                                      for name in SCRIPTS]},
)
