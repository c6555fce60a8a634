"""Bad input to the generate/env commands and the Program: one line, exit != 0, nothing written.

Every case runs the real ``tight`` command in a subprocess against a real app.
"""
from __future__ import annotations

import ctypes
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import billion_laughs, clean_env, run_tight

from tight_tasks.__main__ import INTERRUPTED


@pytest.fixture(scope="module")
def app_template(tmp_path_factory) -> Path:
    """One generated app per module; tests get copies (see ``app``)."""
    where = tmp_path_factory.mktemp("template")
    result = run_tight("generate.app", "svc", cwd=where)
    assert result.returncode == 0, result.stderr
    return where / "svc"


@pytest.fixture
def app(app_template, tmp_path) -> Path:
    return Path(shutil.copytree(app_template, tmp_path / "svc", symlinks=True))


def snapshot(root: Path) -> dict[str, bytes | None]:
    """Every file (with its bytes) and directory (None) under ``root``: "nothing written" compares these."""
    return {p.relative_to(root).as_posix(): p.read_bytes() if p.is_file() else None for p in sorted(root.rglob("*"))}


def assert_one_line(result, code: int = 1, *words: str) -> str:
    """``result`` failed with ``code`` and exactly one line on stderr containing ``words``."""
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


# -- names -------------------------------------------------------------------
@pytest.mark.parametrize("task, length", [("generate.app", 241), ("generate.app", 65),
                                          ("generate.function", 250), ("generate.function", 236),
                                          ("generate.model", 250), ("generate.model", 65)])
def test_long_names_are_refused_before_anything_is_written(app, task, length):
    cwd = app.parent if task == "generate.app" else app
    before = snapshot(cwd)
    result = run_tight(task, "a" * length, cwd=cwd)
    assert_one_line(result, 2, "at most 64")
    assert snapshot(cwd) == before


def test_the_longest_names_work_end_to_end(app):
    """64 characters: the file names (test_integration_<name>.py and its .pyc) and the handler fit."""
    name = "f" * 64
    function = run_tight("generate.function", name, cwd=app)
    assert function.returncode == 0, function.stdout + function.stderr
    assert (app / "tests/functions/integration" / name / f"test_integration_{name}.py").is_file()
    model = run_tight("generate.model", "m" * 64, cwd=app)
    assert model.returncode == 0, model.stderr
    created = run_tight("generate.app", "b" * 64, cwd=app.parent)
    assert created.returncode == 0, created.stderr


@pytest.mark.parametrize("name", ["none", "None_", "true", "false"])
def test_model_names_that_become_python_constants_are_refused(app, name):
    result = run_tight("generate.model", name, cwd=app)
    if name == "None_":  # class None_ is a fine name
        assert result.returncode == 0, result.stderr
        return
    line = assert_one_line(result, 2, repr(name), "reserves")
    assert f"'{name.capitalize()}'" in line
    assert sorted(p.name for p in (app / "app/models").iterdir()) == ["__init__.py"]


@pytest.mark.parametrize("name", ["_x", "__init__", "_"])
def test_function_names_the_runtime_ignores_are_refused(app, name):
    before = snapshot(app)
    result = run_tight("generate.function", name, cwd=app)
    assert_one_line(result, 2, "Invalid function name")
    assert snapshot(app) == before


# -- tight.yml, env.yml, env.dist.yml ----------------------------------------
@pytest.mark.parametrize("file", ["tight.yml", "env.yml", "env.dist.yml"])
@pytest.mark.parametrize("task", ["env.show", "generate.env", "env.check", "dynamo.generateschema"])
def test_files_that_are_not_utf8_are_one_line(app, file, task):
    (app / "env.yml").write_text("CI: false\nSTAGE: dev\n")
    path = app / file
    path.write_bytes(path.read_bytes() + b"OTHER: caf\xe9\n")  # Latin-1, as an old editor saves it
    before = snapshot(app)
    result = run_tight(task, cwd=app)
    assert_one_line(result, 1, file, "not UTF-8")
    assert snapshot(app) == before


@pytest.mark.parametrize("line, words, task", [
    # each section with a task of its own collection (where invoke's merge would raise AmbiguousMergeError)
    ("dynamo: 5", "'dynamo' must be a mapping", "dynamo.generateschema"),
    ("pip: [1]", "'pip' must be a mapping", "pip.install six"),
    ("generate: 5", "'generate' must be a mapping", "generate.model x"),
    ("local: yes", "'local' must be a mapping", "env.show"),
    ("dynamo:\n  port: [8000]", "'dynamo.port' must be a single", "dynamo.generateschema"),
    ("name: [a, b]", "'name' must be text", "generate.model x"),
    ("vendor_dir: 5", "'vendor_dir' must be text", "pip.install six"),
    ("runtime: {a: 1}", "'runtime' must be text", "generate.model x"),
    ("name: ../../evil", "name '../../evil' must be", "generate.env"),
    ("name: a b", "name 'a b' must be", "dynamo.generateschema"),
    ("name: " + "n" * 65, "at most 64", "generate.env"),
])
def test_tight_yml_of_the_wrong_shape_is_one_line(app, line, words, task):
    with (app / "tight.yml").open("a") as handle:
        handle.write(line + "\n")
    before = snapshot(app)
    result = run_tight(*task.split(), cwd=app)
    assert_one_line(result, 1, "tight.yml", words)
    assert snapshot(app) == before


def test_user_config_of_the_wrong_shape_is_one_line(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    for text, words in [("generate: 5\n", ("'generate'", ".tight.yml")), (b"a: \xff\n", ("not UTF-8",)),
                        ("a: [\n", ("line 2",))]:
        config = home / ".tight.yml"
        config.write_bytes(text if isinstance(text, bytes) else text.encode())
        work = tmp_path / "work"
        work.mkdir(exist_ok=True)
        result = run_tight("generate.app", "svc", cwd=work, env=clean_env(HOME=str(home)))
        assert_one_line(result, 1, *words)
        assert list(work.iterdir()) == []


@pytest.mark.parametrize("content, words", [
    (b"a: 1\n", ("does not exist",)),
    (b"a: \xff\n", ("not UTF-8",)),
    (b"dynamo: 5\n", ("'dynamo'",)),
])
def test_runtime_config_file_is_checked(app, tmp_path, content, words):
    runtime = tmp_path / "runtime.yml"
    if "does not exist" not in words:
        runtime.write_bytes(content)
    result = run_tight("-f", str(runtime), "dynamo.generateschema", cwd=app)
    assert_one_line(result, 1, *words)


@pytest.mark.parametrize("after", [["--list"], ["--list", "--list-format", "json"], ["--help", "env.show"]])
def test_a_missing_runtime_config_file_is_refused_before_listing(app, tmp_path, after):
    """The command reference's `tight -f ci.yml --list ...`: a mistyped -f file is not silently ignored."""
    result = run_tight("-f", str(tmp_path / "ci.yml"), *after, cwd=app)
    assert_one_line(result, 1, "does not exist")
    assert result.stdout == ""


def test_a_tight_variable_of_the_wrong_type_is_one_line(app):
    result = run_tight("dynamo.generateschema", cwd=app, env=clean_env(TIGHT_DYNAMO_PORT="abc"))
    assert_one_line(result, 1, "TIGHT_DYNAMO_PORT")


@pytest.mark.parametrize("text, words", [
    ('A: !!python/object/apply:os.system ["touch pwned"]\n', ("line 1", "constructor")),
    ("A: [1, 2]\n", ("A is a list",)),
    ("A: {b: 1}\n", ("A is a mapping",)),
    ("A: !!binary aGVsbG8=\n", ("A is binary data",)),
    ('"A=B": 1\n', ("'A=B' cannot be an environment variable name",)),
    ('"": 1\n', ("'' cannot be an environment variable name",)),
    ('A: "x\\0y"\n', ("NUL",)),
    ("A: &x [*x]\n", ("A is a list",)),
    ("? [a]\n: 1\n", ("unhashable",)),
    ("- a\n- b\n", ("expected a mapping",)),
])
def test_hostile_env_files_are_one_line(app, text, words):
    file = "env.dist.yml"
    (app / "env.yml").write_text("CI: false\nSTAGE: dev\n")
    (app / file).write_text(text)
    before = snapshot(app)
    for task in ("generate.env", "dynamo.generateschema"):
        result = run_tight(task, cwd=app)
        assert_one_line(result, 1, file, *words)
    assert snapshot(app) == before
    assert not (app / "pwned").exists()


def test_a_value_larger_than_a_child_process_accepts_is_refused(app):
    (app / "env.dist.yml").write_text("STAGE: dev\nBIG: " + "x" * 200_000 + "\n")
    result = run_tight("generate.env", cwd=app)
    assert_one_line(result, 1, "BIG", "131071 bytes")
    assert not (app / "env.yml").exists()
    (app / "env.dist.yml").write_text("STAGE: dev\nBIG: " + "x" * 100_000 + "\n")
    assert run_tight("generate.env", cwd=app).returncode == 0


def test_env_check_without_env_dist_fails(app):
    (app / "env.yml").write_text("STAGE: dev\n")
    (app / "env.dist.yml").unlink()
    result = run_tight("env.check", cwd=app)
    assert_one_line(result, 1, "env.dist.yml is missing")


# -- shell values ------------------------------------------------------------
def test_shell_values_keep_their_text(app):
    shell = clean_env(CI="0123", STAGE="12:30", A="on", B="TRUE", C="-7", D="1.5", E="~", F="0")
    (app / "env.dist.yml").write_text("CI: false\nSTAGE: dev\nA: x\nB: x\nC: x\nD: x\nE: x\nF: x\n")
    result = run_tight("generate.env", cwd=app, env=shell)
    assert result.returncode == 0, result.stderr
    written = yaml.safe_load((app / "env.yml").read_text())
    expected = {"CI": "0123", "STAGE": "12:30", "A": "on", "B": True, "C": -7, "D": "1.5", "E": "~", "F": 0,
                "NAME": "svc"}
    assert written == expected
    shown = run_tight("env.show", cwd=app, env=shell)
    assert yaml.safe_load(shown.stdout) == expected


# -- permission denied -------------------------------------------------------
def _without_root_file_powers():
    """In the child: drop CAP_DAC_OVERRIDE/CAP_DAC_READ_SEARCH, so root meets file modes like anyone."""
    if os.geteuid() == 0:
        libc = ctypes.CDLL(None, use_errno=True)
        for capability in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
            if libc.prctl(24, capability, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
                raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def run_unprivileged(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tight_tasks", *args], cwd=cwd, capture_output=True, text=True,
                          env=clean_env(), timeout=300, preexec_fn=_without_root_file_powers, check=False)


def read_only(*paths: Path):
    for path in paths:
        path.chmod(stat.S_IRUSR | stat.S_IXUSR | stat.S_IRGRP | stat.S_IXGRP | stat.S_IROTH | stat.S_IXOTH)


@pytest.mark.parametrize("task, locked", [
    ("generate.model account", ["app/models"]),
    ("generate.function fn", ["tests/functions/unit"]),  # the handler could go in, its tests cannot
    ("generate.function fn", ["."]),
    ("generate.env", ["."]),
    ("generate.app other", ["."]),
])
def test_permission_denied_is_one_line_and_leaves_nothing(app, task, locked):
    cwd = app
    (app / "env.yml").write_text("STAGE: dev\n")
    before = snapshot(app.parent)
    read_only(*(app / path for path in locked))
    try:
        result = run_unprivileged(*task.split(), cwd=cwd)
    finally:
        for path in locked:
            (app / path).chmod(0o755)
    line = assert_one_line(result, 1, "Permission denied")
    assert "nothing was" in line or "env.yml is unchanged" in line
    assert snapshot(app.parent) == before
    assert not [p for p in app.parent.rglob(".tight-*")]


# -- Ctrl-C ------------------------------------------------------------------
BLOCK_IMPORT = """
import os, signal, sys, time

class Blocker:
    def find_spec(self, name, path=None, target=None):
        if name == "invoke":  # the first heavy import: tell the parent, then wait for its Ctrl-C
            os.write(1, b"importing\\n")
            time.sleep(60)
        return None

sys.meta_path.insert(0, Blocker())
sys.argv = ["tight", "--list"]
from tight_tasks.__main__ import main
main()
"""


def test_ctrl_c_while_importing_is_one_line_and_exit_130(tmp_path):
    child = subprocess.Popen([sys.executable, "-c", BLOCK_IMPORT], cwd=tmp_path, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env=clean_env())
    try:
        assert child.stdout.readline() == "importing\n"
        child.send_signal(2)  # SIGINT, as Ctrl-C sends
        _, err = child.communicate(timeout=60)
    finally:
        child.kill()
    assert (child.returncode, err) == (130, INTERRUPTED + "\n")


RAISE_IN_TASK = """
import sys
from invoke import Collection, task
from tight_tasks.program import TightProgram

@task
def slow(c):
    raise KeyboardInterrupt

TightProgram(namespace=Collection(slow)).run(["tight", "slow"])
"""


@pytest.mark.parametrize("code", [RAISE_IN_TASK, RAISE_IN_TASK.replace("raise KeyboardInterrupt", "pass").replace(
    "from tight_tasks.program import TightProgram",
    "from tight_tasks import program\n"
    "from tight_tasks.program import TightProgram\n"
    "def boom(*a):\n    raise KeyboardInterrupt\n"
    "program.find_config_file = boom")])
def test_ctrl_c_in_a_task_or_while_reading_config_is_one_line_and_exit_130(tmp_path, code):
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                            env=clean_env(), timeout=60, check=False)
    assert (result.returncode, result.stderr) == (130, INTERRUPTED + "\n")


# -- --help ------------------------------------------------------------------
HONOURED = ("--complete", "--print-completion-script", "--debug", "--list-depth", "--config", "--list-format",
            "--help", "--list", "--version")
NOT_HONOURED = ("--pty", "--dry", "--echo", "--hide", "--warn-only", "--command-timeout",
                "--prompt-for-sudo-password", "--write-pyc", "--collection", "--search-root", "--no-dedupe")


def test_help_lists_only_the_options_tight_honours(tmp_path):
    result = run_tight("--help", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    core = result.stdout.split("Subcommands:")[0]
    for option in HONOURED:
        assert option in core
    for option in NOT_HONOURED:
        assert option not in core
    assert "sudo" not in core and "shell commands" not in core


@pytest.mark.parametrize("option", ["--pty", "--dry", "--echo", "-w", "--write-pyc", "--prompt-for-sudo-password"])
def test_options_tight_does_not_honour_are_refused(tmp_path, option):
    result = run_tight(option, "--list", cwd=tmp_path)
    assert_one_line(result, 2, f"Unknown option {option!r}")


def test_honoured_options_work(app, tmp_path):
    listed = run_tight("--list", "--list-format", "json", cwd=tmp_path)
    assert listed.returncode == 0 and '"generate"' in listed.stdout
    runtime = tmp_path / "runtime.yml"
    runtime.write_text("name: from-runtime-file\n")
    written = run_tight("-f", str(runtime), "generate.env", cwd=app)
    assert written.returncode == 0, written.stderr
    assert yaml.safe_load((app / "env.yml").read_text())["NAME"] == "from-runtime-file"


# -- paths that lead out of the app -------------------------------------------
@pytest.mark.parametrize("link, task", [("app/models", "generate.model account"),
                                        ("tests/functions/unit", "generate.function fn"),
                                        ("schemas/dynamo", "dynamo.generateschema")])
def test_a_folder_linked_outside_the_app_is_never_written_through(app, tmp_path, link, task):
    outside = tmp_path / "outside"
    outside.mkdir()
    (app / "env.yml").write_text("CI: false\nNAME: svc\nSTAGE: dev\n")
    (app / "app/models/Account.py").write_text(
        (Path(__file__).parent.parent / "templates/model/app/models/{class_name}.py.j2").read_text()
        .replace("{{ class_name }}", "Account").replace("{{ table_suffix }}", "accounts"))
    if task.startswith("generate.model"):
        (app / "app/models/Account.py").unlink()
    shutil.rmtree(app / link)
    (app / link).symlink_to(outside, target_is_directory=True)
    before = snapshot(app)
    result = run_tight(*task.split(), cwd=app)
    assert_one_line(result, 1, "leads outside the app")
    assert list(outside.iterdir()) == []
    assert snapshot(app) == before


@pytest.mark.parametrize("where", ["app", "home"])
def test_a_yaml_bomb_in_a_config_file_is_one_line_not_a_hang(app, tmp_path, where):
    home = tmp_path / "home"
    home.mkdir()
    target = app / "tight.yml" if where == "app" else home / ".tight.yml"
    with target.open("a") as handle:
        handle.write(billion_laughs())
    result = run_tight("dynamo.generateschema", cwd=app, env=clean_env(HOME=str(home)), timeout=60)
    assert_one_line(result, 1, target.name, "expand to more than")


def test_deploy_and_the_artifact_read_env_files_by_the_same_rules(tmp_path):
    """What goes to Lambda (stack environment, tight_env.json) passes the checks env.show applies."""
    from invoke.exceptions import Exit

    from tight_tasks._pip.artifact_rules import app_env_json
    from tight_tasks.deploy.inputs import stage_environment

    (tmp_path / "env.dist.yml").write_text('STAGE: dev\nA: "x\\0y"\n')
    with pytest.raises(Exit) as info:
        stage_environment(tmp_path, "svc", "prod")
    assert "A contains a NUL character" in info.value.message
    (tmp_path / "env.dist.yml").write_text("STAGE: dev\nA: [1, 2]\n")
    with pytest.raises(Exit) as info:
        app_env_json(tmp_path, "svc", include_env=False)
    assert "A is a list" in info.value.message
    (tmp_path / "env.dist.yml").write_text("STAGE: dev\nA: '0123'\n")
    assert stage_environment(tmp_path, "svc", "prod")["A"] == "0123"
