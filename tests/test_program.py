"""The `tight` Program: listing, help, version, argv fixes, config discovery, errors."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest
from conftest import REPO, clean_env

NAMESPACES = ("generate.", "pip.", "dynamo.", "env.")


def test_version(tight, tmp_path):
    result = tight("--version", cwd=tmp_path)
    assert result.returncode == 0
    assert result.stdout.strip() == "tight 1.0.0"


def test_list_shows_every_namespace_with_docstrings(tight, tmp_path):
    result = tight("--list", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    for prefix in NAMESPACES:
        assert prefix in result.stdout
    for name in ("generate.app", "generate.function", "generate.model", "generate.env", "generate.artifact",
                 "pip.install", "dynamo.installdb", "dynamo.rundb", "dynamo.generateschema", "env.show", "env.check"):
        line = next(line for line in result.stdout.splitlines() if line.strip().startswith(name + " "))
        assert len(line.split()) > 1, f"{name} has no docstring in --list"


@pytest.mark.parametrize("argv", [["--help", "generate.app"], ["generate.app", "--help"], ["generate.app", "-h"]])
def test_task_help_instead_of_running(tight, tmp_path, argv):
    result = tight(*argv, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "--provider" in result.stdout and "Platform provider" in result.stdout
    assert list(tmp_path.iterdir()) == [], "help must not create anything"


def test_help_survives_second_run_in_same_process(capsys):
    from tight_tasks.program import TightProgram

    program = TightProgram()
    for _ in range(2):
        program.run(["tight", "--help", "dynamo.rundb"], exit=False)
        out = capsys.readouterr().out
        assert "Port to listen on" in out


def test_variadic_packages_reach_the_task():
    from tight_tasks.program import TightProgram

    argv = TightProgram().fix_argv(["pip.install", "requests", "flask==3.0", "--target", "x", "boto3"])
    assert argv == ["pip.install", "--package", "requests", "--package", "flask==3.0",
                    "--target", "x", "--package", "boto3"]


def test_unknown_task_is_a_usage_error(tight, tmp_path):
    result = tight("nosuch.task", cwd=tmp_path)
    assert result.returncode == 2
    assert "nosuch.task" in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("argv, message", [
    (["generate"], "'generate' is a namespace, not a task: pick one of its tasks (see `tight --list generate`)."),
    (["--bogus"], "Unknown option '--bogus' (see `tight --help`)."),
    (["nosuch.task"], "No task named 'nosuch.task' (see `tight --list`)."),
    (["dynamo.rundb", "--port"], "--port needs a value (see `tight --help dynamo.rundb`)."),
    (["dynamo.rundb", "--bogus"], "Unknown option '--bogus' for dynamo.rundb (see `tight --help dynamo.rundb`)."),
    (["generate.app", "a", "b"], "Unexpected argument 'b' for generate.app (see `tight --help generate.app`)."),
])
def test_parse_errors_read_as_advice(tight, tmp_path, argv, message):
    result = tight(*argv, cwd=tmp_path)
    assert (result.returncode, result.stderr.strip()) == (2, message)
    assert list(tmp_path.iterdir()) == []


def test_pip_install_without_packages_is_a_usage_error(tight, tmp_path):
    (tmp_path / "tight.yml").write_text("name: demo\n")
    result = tight("pip.install", cwd=tmp_path)
    assert result.returncode == 2
    assert "--requirements" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("task", ["generate.function x", "generate.model x", "generate.env",
                                  "dynamo.rundb", "dynamo.generateschema", "env.show", "env.check",
                                  "generate.artifact", "pip.install --requirements"])
def test_tasks_that_need_an_app_fail_outside_one(tight, tmp_path, task):
    result = tight(*task.split(), cwd=tmp_path)
    assert result.returncode == 1
    assert "No tight.yml found" in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def test_app_root_and_config_found_from_a_subdirectory(tmp_path):
    (tmp_path / "tight.yml").write_text("name: demo\nruntime: python3.11\ndynamo:\n  port: 9000\n")
    sub = tmp_path / "app" / "functions"
    sub.mkdir(parents=True)
    code = textwrap.dedent("""
        import json
        from tight_tasks.program import TightProgram
        from tight_tasks.config import settings, app_root
        p = TightProgram()
        p.create_config()
        p.config.merge()
        class C: config = p.config
        print(json.dumps([str(app_root()), settings(C), settings(C, "dynamo", {"port": 8000, "host": "h"})]))
    """)
    out = subprocess.run([sys.executable, "-c", code], cwd=sub, capture_output=True, text=True, env=clean_env(), check=False)
    assert out.returncode == 0, out.stderr
    root, top, dynamo = json.loads(out.stdout)
    assert root == str(tmp_path.resolve())
    assert top["name"] == "demo" and top["runtime"] == "python3.11"
    assert top["vendor_dir"] == "app/vendored"  # default filled in
    assert dynamo == {"port": 9000, "host": "h"}


def test_malformed_tight_yml_is_one_line(tight, tmp_path):
    (tmp_path / "tight.yml").write_text("name: [unclosed\n")
    result = tight("env.show", cwd=tmp_path)
    assert result.returncode == 1
    assert "tight.yml" in result.stderr and "line" in result.stderr
    assert "Traceback" not in result.stderr


def test_importing_tight_tasks_stays_light():
    code = ("import sys, tight_tasks, tight_tasks.program; "
            "heavy = {'boto3','botocore','flywheel','moto','jinja2','requests','dynamo3','placebo'}; "
            "print(sorted(heavy & set(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, env=clean_env(), check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_inv_collection_flag_from_repo_root():
    inv = [sys.executable, "-c", "import sys; from invoke.main import program; sys.argv[0]='inv'; program.run()"]
    out = subprocess.run([*inv, "-c", "tight_tasks", "--list"], cwd=REPO, capture_output=True, text=True,
                         env=clean_env(), check=False)
    assert out.returncode == 0, out.stderr
    for prefix in NAMESPACES:
        assert prefix in out.stdout


def test_completion_script(tight, tmp_path):
    result = tight("--print-completion-script", "bash", cwd=tmp_path)
    assert result.returncode == 0
    assert "tight" in result.stdout and "--complete" in result.stdout
    done = tight("--complete", "--", "tight", "dyn", cwd=tmp_path)
    assert "dynamo.rundb" in done.stdout


def test_user_config_sets_generate_defaults(tight, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / ".tight.yml").write_text("generate:\n  runtime: python3.13\n")
    work = tmp_path / "work"
    work.mkdir()
    result = tight("generate.app", "svc", cwd=work, env=clean_env(HOME=str(home)))
    assert result.returncode == 0, result.stderr
    assert "runtime: python3.13" in (work / "svc" / "tight.yml").read_text()


def test_tight_yaml_spelling_is_found(tight, tmp_path):
    (tmp_path / "tight.yaml").write_text("name: other\n")
    (tmp_path / "env.dist.yml").write_text("STAGE: dev\n")
    result = tight("env.show", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "NAME: other" in result.stdout


INV = [sys.executable, "-c", "import sys; from invoke.main import program; sys.argv[0] = 'inv'; program.run()"]


def test_inv_collection_flag_runs_tasks(tmp_path):
    """`inv -c tight_tasks TASK` from the checkout reaches the task (no `pip` shadowing, no traceback)."""
    out = subprocess.run([*INV, "-c", "tight_tasks", "dynamo.rundb"], cwd=REPO, capture_output=True, text=True,
                         env=clean_env(), check=False)
    assert out.returncode == 1
    assert "No tight.yml found" in out.stderr and "Traceback" not in out.stderr
    (tmp_path / "tight.yml").write_text("name: from-inv\n")
    (tmp_path / "env.dist.yml").write_text("STAGE: dev\n")
    shown = subprocess.run([*INV, "--search-root", str(REPO), "-c", "tight_tasks", "env.show"], cwd=tmp_path,
                           capture_output=True, text=True, env=clean_env(), check=False)
    assert shown.returncode == 0, shown.stderr
    assert "NAME: from-inv" in shown.stdout


def test_missing_argument_points_at_the_task_help(tight, tmp_path):
    result = tight("generate.app", cwd=tmp_path)
    assert result.returncode == 2
    assert "'name'" in result.stderr and "tight --help generate.app" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_the_reference_spelling_with_spaces_works(tight, tmp_path):
    """`tight generate app NAME` (the command reference's form) is `tight generate.app NAME`."""
    created = tight("generate", "app", "my_service", cwd=tmp_path)
    assert created.returncode == 0, created.stderr
    assert (tmp_path / "my_service" / "tight.yml").is_file()
    helped = tight("generate", "model", "--help", cwd=tmp_path / "my_service")
    assert helped.returncode == 0 and "generate.model" in helped.stdout
    model = tight("generate", "model", "account", cwd=tmp_path / "my_service")
    assert model.returncode == 0, model.stderr
    assert (tmp_path / "my_service" / "app" / "models" / "Account.py").is_file()


def test_a_closed_pipe_ends_quietly(tmp_path):
    """`tight --list | head -1`: no BrokenPipeError traceback, SIGPIPE's exit status."""
    read_end, write_end = os.pipe()
    os.close(read_end)  # nobody will ever read
    try:
        result = subprocess.run([sys.executable, "-m", "tight_tasks", "--list"], cwd=tmp_path, stdout=write_end,
                                stderr=subprocess.PIPE, text=True, env=clean_env(), timeout=60, check=False)
    finally:
        os.close(write_end)
    assert (result.returncode, result.stderr) == (141, "")


@pytest.mark.parametrize("task, option", [("local.serve", "--host"), ("dynamo.rundb", "--host"),
                                          ("local.invoke", "--header")])
def test_no_option_lists_h_which_is_help(tight, tmp_path, task, option):
    """`tight TASK -h` is the task's help, so an option listed as `-h, --host` could never be given as -h."""
    helped = tight(task, "--help", cwd=tmp_path)
    assert helped.returncode == 0, helped.stderr
    (line,) = [line for line in helped.stdout.splitlines() if option in line]
    assert line.split()[0].startswith(option), line
    assert not any(line.lstrip().startswith("-h") for line in helped.stdout.splitlines())
    shown = tight(task, "-h", "0.0.0.0", cwd=tmp_path)
    assert shown.returncode == 0 and shown.stdout == helped.stdout


@pytest.mark.parametrize("task, usage", [
    ("local.invoke", "Usage: tight local.invoke [--options] NAME"),
    ("deploy.logs", "Usage: tight deploy.logs [--options] NAME"),
    ("pip.install", "Usage: tight pip.install [--options] [PACKAGE ...]"),
    ("deploy", "Usage: tight deploy [--options]"),
])
def test_task_help_shows_the_command_to_type(tight, tmp_path, task, usage):
    """The usage line names positional arguments: a new user reading `--help` learns `local.invoke NAME`."""
    helped = tight(task, "--help", cwd=tmp_path)
    assert helped.returncode == 0, helped.stderr
    lines = helped.stdout.splitlines()
    assert lines[0] == usage
    assert "Options:" in lines and "Docstring:" not in lines
