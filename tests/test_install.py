"""A built wheel works outside the checkout: console commands, python -m, the bundled data."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from conftest import REPO, SCRIPTS


# Run in the fresh environment from a directory outside the checkout: bert_tf and the
# script module must come from the installed wheel, and the demo's data from the package.
DEMO_DATA = r"""
import sys
import bert_tf, run_classifier
from bert_tf.io import sample_data
from bert_tf.data import classifier
venv = sys.argv[1]
assert bert_tf.__file__.startswith(venv) and run_classifier.__file__.startswith(venv), (
    bert_tf.__file__, run_classifier.__file__)
data_dir = sample_data("sentiment")
assert data_dir.startswith(venv), data_dir
processor = classifier.get_processor("sst-2")
print("demo data", data_dir, len(processor.get_train_examples(data_dir)),
      len(processor.get_dev_examples(data_dir)))
"""


def _env() -> dict[str, str]:
    """This environment without PYTHONPATH, which could put a checkout first."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "CUDA_VISIBLE_DEVICES": ""}
    env.pop("PYTHONPATH", None)
    return env


def _run(cmd: list[str], cwd, check: bool = True) -> subprocess.CompletedProcess:
    r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=600, env=_env())
    assert not check or r.returncode == 0, f"{cmd}\n{r.stdout[-2000:]}\n{r.stderr[-3000:]}"
    return r


@pytest.mark.slow
def test_wheel_in_a_fresh_venv(tmp_path):
    """Builds the wheel (offline, this environment's setuptools), installs it without
    dependencies into a venv that sees this environment's TensorFlow, and runs it from
    an empty directory."""
    dist, venv, elsewhere = tmp_path / "dist", tmp_path / "venv", tmp_path / "elsewhere"
    elsewhere.mkdir()
    _run([sys.executable, "-m", "pip", "wheel", str(REPO), "--no-deps", "--no-build-isolation",
          "-q", "-w", str(dist)], cwd=tmp_path)
    (wheel,) = dist.glob("bert_tf-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "bert_tf/sample_data/sentiment/train.tsv" in names
    assert "bert_tf/sample_data/sample_text.txt" in names
    assert {f"{s}.py" for s in SCRIPTS} <= set(names) and "setup.py" not in names
    entry_points = zipfile.ZipFile(wheel).read(
        next(n for n in names if n.endswith("entry_points.txt"))).decode()
    for script in SCRIPTS:
        assert f"bert-{script.replace('_', '-')} = bert_tf.scripts:{script}" in entry_points

    _run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], cwd=tmp_path)
    python = venv / "bin" / "python"
    if sys.prefix != sys.base_prefix:
        # Inside a venv, --system-site-packages reaches the base interpreter's packages, not
        # this venv's: add this environment's after the new venv's own, as it would be.
        site_dir = _run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                        cwd=tmp_path).stdout.strip()
        outer = {sysconfig.get_path("purelib"), sysconfig.get_path("platlib")}
        (Path(site_dir) / "outer_env.pth").write_text(
            "".join(f"import site; site.addsitedir({d!r})\n" for d in sorted(outer)))
    _run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)],
         cwd=tmp_path)
    r = _run([str(python), "-c", DEMO_DATA, str(venv)], cwd=elsewhere)
    assert "demo data" in r.stdout and "/sample_data/sentiment" in r.stdout
    r = _run([str(venv / "bin" / "bert-run-classifier"), "--helpshort"], cwd=elsewhere,
             check=False)
    assert r.returncode == 1, r.stderr[-3000:]  # absl's help flags exit with status 1
    assert "--task_name" in r.stdout and "--demo" in r.stdout and "Traceback" not in r.stderr
