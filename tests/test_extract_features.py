"""extract_features.py end to end: the original's JSON lines, values equal the golden outputs."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from conftest import REPO


def run_script(script: str, *args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "CUDA_VISIBLE_DEVICES": ""}
    return subprocess.run([sys.executable, str(REPO / script), *args], capture_output=True,
                          text=True, timeout=timeout, env=env, cwd=REPO)


@pytest.mark.slow
@pytest.mark.parametrize("dtype, atol", [("float32", 1e-4), ("bfloat16", 0.1)])
def test_extract_features_matches_golden(minilm, golden, tmp_path, dtype, atol):
    lines = [f"{a} ||| {b}" if str(b) else str(a) for a, b in zip(golden["text_a"], golden["text_b"])]
    (tmp_path / "in.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    r = run_script("extract_features.py", f"--input_file={tmp_path / 'in.txt'}",
                   f"--output_file={out}", f"--init_checkpoint={minilm}", "--layers=-1,-2",
                   "--max_seq_length=32", "--batch_size=2", f"--inference_dtype={dtype}")
    assert r.returncode == 0, r.stderr[-3000:]
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [row["linex_index"] for row in rows] == list(range(len(lines)))
    errors = []
    for i, row in enumerate(rows):
        expected = [t for t in json.loads(str(golden["tokens"][i])) if t != "[PAD]"]
        assert [f["token"] for f in row["features"]] == expected
        for j, feature in enumerate(row["features"]):
            assert [layer["index"] for layer in feature["layers"]] == [-1, -2]
            values = feature["layers"][0]["values"]
            assert len(values) == 384
            assert all(v == round(v, 6) for v in values)
            np.testing.assert_allclose(values, golden["last_hidden_state"][i, j], atol=atol)
            errors.append(np.abs(np.array(values) - golden["last_hidden_state"][i, j]))
    # bfloat16 keeps 8 bits of mantissa: values move, but by ~1e-2 on average at most.
    error = np.concatenate(errors)
    assert error.mean() < (1e-5 if dtype == "float32" else 2e-2)
    assert dtype == "float32" or error.max() > 1e-4


@pytest.mark.slow
def test_extract_features_bad_input(minilm, tmp_path):
    r = run_script("extract_features.py", f"--input_file={tmp_path / 'missing.txt'}",
                   f"--output_file={tmp_path / 'o.jsonl'}", f"--init_checkpoint={minilm}")
    assert r.returncode == 2
    assert "--input_file" in r.stderr and "does not exist" in r.stderr
    (tmp_path / "in.txt").write_text("hello\n")
    r = run_script("extract_features.py", f"--input_file={tmp_path / 'in.txt'}",
                   f"--output_file={tmp_path / 'o.jsonl'}", f"--init_checkpoint={minilm}",
                   "--layers=-1,9")
    assert r.returncode == 2 and "--layers='-1,9': [9] out of range" in r.stderr
    assert not (tmp_path / "o.jsonl").exists()
