"""Bad flag values end in one line naming the flag and the value, exit status 2.

The cases are generated from the flag definitions themselves: every top-level
script that calls `cli.run` is imported (in one subprocess), and each of its
integer/float flags gets a value outside its rule, each input path flag a missing
path, each output path flag a path under a regular file, each enum and bool flag
an unknown value. A flag added later is covered without a new case here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from bert_tf import cli
from conftest import REPO, SCRIPTS


# Runs in one fresh process: imports each script in turn (dropping the previous one's
# flags), and for each flag tries a bad value through cli.check_argv.
GENERATE = r"""
import importlib, json, os, sys
from absl import flags
tmp = sys.argv[1]
a_file = os.path.join(tmp, "a_file")
open(a_file, "w").close()
out = {}
for script in json.loads(sys.argv[2]):
    from bert_tf import cli
    for name in list(cli.script_flags()):
        delattr(flags.FLAGS, name)
    importlib.import_module(script)
    prog = script + ".py"
    cases = [{"flag": None, "argv": [], "error": cli.check_argv([prog])}]
    for name, flag in sorted(cli.script_flags().items()):
        rule, kind = cli.rule_for(flag), flag.parser.flag_type()
        if rule is not None and rule.kind == "input":
            bad = os.path.join(tmp, "missing", name)
        elif rule is not None and rule.kind == "output":
            bad = os.path.join(a_file, name)
        elif rule is not None:
            bad = rule.violation(kind == "int")
        else:
            bad = {"enum": "no_such_choice", "bool": "maybe"}.get(kind)
        if bad is not None:
            argv = [f"--{name}={bad}"]
            cases.append({"flag": name, "value": bad, "kind": rule.kind if rule else kind,
                          "argv": argv, "error": cli.check_argv([prog, *argv])})
    defined = cli.script_flags()
    if "distribution_strategy" in defined:
        os.environ["TF_CONFIG"] = '{"cluster": {"worker": ["localhost:1"]}, "task": '
        argv = ["--distribution_strategy=multi_worker_mirrored"]
        cases.append({"flag": "TF_CONFIG", "argv": argv, "error": cli.check_argv([prog, *argv])})
        del os.environ["TF_CONFIG"]
    os.environ["BERT_TF_CACHE"] = os.path.join(a_file, "cache")
    cases.append({"flag": "BERT_TF_CACHE", "argv": [], "error": cli.check_argv([prog])})
    del os.environ["BERT_TF_CACHE"]
    if "doc_stride" in defined:
        argv = ["--doc_stride=64", "--max_seq_length=64"]
        cases.append({"flag": "doc_stride", "argv": argv, "error": cli.check_argv([prog, *argv])})
    out[script] = cases
print("CASES " + json.dumps(out))
"""


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> dict[str, list[dict]]:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "CUDA_VISIBLE_DEVICES": ""}
    env.pop("TF_CONFIG", None)
    env.pop("BERT_TF_CACHE", None)
    r = subprocess.run([sys.executable, "-c", GENERATE, str(tmp_path_factory.mktemp("flags")),
                        json.dumps(SCRIPTS)], capture_output=True, text=True, cwd=REPO, env=env,
                       timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    line = next(x for x in r.stdout.splitlines() if x.startswith("CASES "))
    return json.loads(line[len("CASES "):])


def test_scripts_are_discovered():
    assert {"run_pretraining", "run_classifier", "run_squad", "run_ner", "create_pretraining_data",
            "extract_features", "export_model"} <= set(SCRIPTS)


@pytest.mark.parametrize("script", SCRIPTS)
def test_every_flag_rejects_a_bad_value_by_name(generated, script):
    cases = generated[script]
    defaults, cases = cases[0], cases[1:]
    assert defaults["error"] is None, f"{script}: the defaults fail validation: {defaults['error']}"
    wrong = []
    for case in cases:
        error, name = case["error"] or "", case["flag"]
        named = (f"--{name}" in error if name.islower() else name in error)
        value = case.get("value")
        if value is not None and case["kind"] == "number":
            shown = value in error or repr(float(value)) in error
        else:
            shown = value is None or value in error
        if not (named and shown):
            wrong.append(f"{case['argv']}: {error or 'accepted'}")
    assert not wrong, f"{script}:\n" + "\n".join(wrong)
    flagged = {c["flag"] for c in cases}
    # The original's numeric and path flags all have a case.
    for name in ("max_seq_length", "vocab_file", "input_file", "train_batch_size", "batch_size",
                 "learning_rate", "warmup_proportion", "masked_lm_prob", "layers", "doc_stride",
                 "init_checkpoint", "output_dir"):
        if name in generated_flags(generated, script):
            assert name in flagged, name


def generated_flags(generated, script) -> set[str]:
    return {c["flag"] for c in generated[script][1:]}


def test_covered_flag_count(generated):
    """Numeric and path flags per script with a generated bad value (the report quotes this)."""
    counts = {s: sum(c.get("kind") in ("number", "input", "output", "int_list")
                     for c in generated[s]) for s in SCRIPTS}
    distinct = {c["flag"] for s in SCRIPTS for c in generated[s][1:]
                if c.get("kind") in ("number", "input", "output", "int_list")}
    print(f"numeric/path flags with a generated bad value: {sum(counts.values())} "
          f"({len(distinct)} distinct) {counts}")
    assert counts["run_classifier"] >= 19 and counts["create_pretraining_data"] >= 12


def test_rules_from_names_and_declared_bounds():
    from absl import flags

    fv = flags.FlagValues()
    flags.DEFINE_integer("beam_size", 4, "", flag_values=fv)
    flags.DEFINE_integer("min_length", 0, "", flag_values=fv)
    flags.DEFINE_integer("top_k", 5, "", lower_bound=1, upper_bound=50, flag_values=fv)
    flags.DEFINE_float("temperature", 1.0, "", flag_values=fv)
    flags.DEFINE_float("dropout_prob", 0.1, "", flag_values=fv)
    flags.DEFINE_string("teacher_checkpoint", None, "", flag_values=fv)
    rules = {name: cli.rule_for(fv[name]) for name in fv}
    assert rules["beam_size"] == cli.AT_LEAST_1
    assert rules["min_length"] == cli.AT_LEAST_0  # min_* before *_length
    assert rules["top_k"] == cli.Rule(low=1, high=50)
    assert rules["temperature"] == cli.FINITE and rules["dropout_prob"] == cli.FRACTION
    assert rules["teacher_checkpoint"].kind == "input"
    assert cli.FRACTION.error("dropout_prob", 1.5) == "--dropout_prob=1.5: must be in [0, 1]"
    assert cli.POSITIVE.error("learning_rate", 0.0) == "--learning_rate=0.0: must be greater than 0"
    assert cli.FINITE.error("temperature", float("inf")) == "--temperature=inf: must be a finite number"


# A few real runs (started together: each spends its time importing TensorFlow).
REAL_RUNS = [
    ("run_classifier.py", ["--train_batch_size=0"], {}, "--train_batch_size=0: must be at least 1"),
    ("extract_features.py", ["--batch_size=0"], {}, "--batch_size=0: must be at least 1"),
    ("run_squad.py", ["--distribution_strategy=multi_worker_mirrored"],
     {"TF_CONFIG": '{"cluster": {"worker": ["localhost:1"]}, "task": '},
     "environment variable TF_CONFIG="),
    ("run_ner.py", ["--mixed_precision=float64"], {}, "flag --mixed_precision=float64"),
]


def test_scripts_exit_2_with_one_line():
    base = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "CUDA_VISIBLE_DEVICES": ""}
    procs = [subprocess.Popen([sys.executable, str(REPO / script), *args], cwd=REPO, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**base, **env})
             for script, args, env, _ in REAL_RUNS]
    for (script, _, _, expected), proc in zip(REAL_RUNS, procs):
        _, stderr = proc.communicate(timeout=300)
        assert proc.returncode == 2, stderr[-3000:]
        assert "Traceback" not in stderr
        last = stderr.strip().splitlines()[-1]
        assert last.startswith(f"{script}: error: ") and expected in last, stderr[-2000:]


@pytest.mark.parametrize("value, expected", [
    ('{"cluster": ', "not valid JSON (Expecting value"),
    ("[1]", '"cluster"'),
    ('{"cluster": {"worker": ["localhost"]}, "task": {"type": "worker", "index": 0}}', '"cluster"'),
    ('{"cluster": {"worker": ["a:1"]}, "task": {"type": "chief", "index": 0}}', '"task"'),
    ('{"cluster": {"worker": ["a:1"]}, "task": {"type": "worker", "index": 1}}',
     "task index 1 out of range"),
])
def test_tf_config_errors_name_the_variable(monkeypatch, value, expected):
    from bert_tf import training

    monkeypatch.setenv("TF_CONFIG", value)
    with pytest.raises(ValueError) as e:
        training.check_tf_config()
    assert str(e.value).startswith("environment variable TF_CONFIG=") and expected in str(e.value)


def test_registry_environment_is_named(monkeypatch, tmp_path):
    from bert_tf import pretrained, training

    monkeypatch.setenv("TF_CONFIG", '{"cluster": {"worker": ["a:1", "b:2"]}, '
                                    '"task": {"type": "worker", "index": 1}}')
    assert training.check_tf_config()["task"]["index"] == 1
    (tmp_path / "file").write_text("")
    monkeypatch.setenv("BERT_TF_CACHE", str(tmp_path / "file" / "cache"))
    with pytest.raises(pretrained.DownloadError, match="environment variable BERT_TF_CACHE="):
        pretrained.cache_dir()
    monkeypatch.setenv("BERT_TF_CACHE", str(tmp_path / "new" / "cache"))
    assert pretrained.cache_dir() == str(tmp_path / "new" / "cache")
    monkeypatch.setenv("BERT_TF_BASE_URL", "storage.googleapis.com/bert_models")
    with pytest.raises(pretrained.DownloadError, match="BERT_TF_BASE_URL"):
        pretrained.check_environment()
