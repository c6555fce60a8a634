"""generate.app / generate.model / generate.env through the real CLI, and their refusals."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import clean_env
from invoke.exceptions import Exit

from tight_tasks.generate import scaffold

APP_TREE = {
    ".gitignore", "app/__init__.py", "app/functions/__init__.py", "app/lib/__init__.py", "app/models/__init__.py",
    "app/serializers/__init__.py", "app/vendored/.gitkeep", "app_index.py", "conftest.py", "env.dist.yml",
    "pytest.ini", "requirements-vendor.txt", "requirements.txt", "schemas/dynamo/.gitkeep", "tasks.py",
    "tests/functions/integration/.gitkeep", "tests/functions/unit/.gitkeep", "tight.yml",
}


def snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def app_dir(tight, tmp_path):
    result = tight("generate.app", "my_service", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    return tmp_path / "my_service"


def test_app_tree_and_config(app_dir):
    assert set(snapshot(app_dir)) == APP_TREE
    config = yaml.safe_load((app_dir / "tight.yml").read_text())
    assert config == {"provider": "aws", "name": "my-service", "vendor_dir": "app/vendored",
                      "runtime": "python3.12", "architecture": "x86_64"}
    assert "Copyright" not in (app_dir / "app_index.py").read_text()


def test_requirements_ask_for_this_tight_not_the_2017_one(app_dir):
    from packaging.requirements import Requirement

    from tight_tasks._version import __version__

    lines = [ln for ln in (app_dir / "requirements.txt").read_text().splitlines() if ln and not ln.startswith("#")]
    (requirement,) = map(Requirement, lines)
    assert requirement.name == "tight-cli"
    assert requirement.specifier.contains(__version__)
    assert not requirement.specifier.contains("0.1.3")  # the last tight-cli of 2017


def test_requirements_say_how_to_install_this_tight(app_dir):
    """tight-cli 1.x is on no index: the generated requirements.txt says where this one came from."""
    from tight_tasks._version import __version__
    from tight_tasks.generate.origin import direct_url, requirement_lines

    text = (app_dir / "requirements.txt").read_text()
    assert text.endswith("\n".join(requirement_lines(__version__, direct_url())) + "\n")
    assert "Installing tight for a team and CI" in text


@pytest.mark.parametrize("record, lines", [
    ({"url": "https://github.com/ann/tight.git", "vcs_info": {"vcs": "git", "commit_id": "0" * 40}},
     ["tight-cli @ git+https://github.com/ann/tight.git@" + "0" * 40]),
    ({"url": "https://files.example.com/tight_cli-1.0.0-py3-none-any.whl", "archive_info": {"hashes": {}}},
     ["tight-cli @ https://files.example.com/tight_cli-1.0.0-py3-none-any.whl"]),
    ({"url": "file:///home/ann/tight", "dir_info": {}},
     ["# tight-cli 1.0.0 was installed from file:///home/ann/tight. ", "tight-cli>=1.0.0"]),
    ({"url": "file:///home/ann/tight", "dir_info": {"editable": True}},
     ["was installed from file:///home/ann/tight (editable).", "--find-links wheels -r requirements.txt"]),
    ({"url": "file:///tmp/tight_cli-1.0.0-py3-none-any.whl", "archive_info": {}},
     ["was installed from file:///tmp/tight_cli-1.0.0-py3-none-any.whl.", "tight-cli>=1.0.0"]),
    ({"url": "file:///srv/tight", "vcs_info": {"vcs": "git", "commit_id": "abc"}},  # a local clone: unreachable
     ["was installed from file:///srv/tight.", "tight-cli>=1.0.0"]),
    (None, ["was installed from a package index.", "tight-cli>=1.0.0"]),
])
def test_requirement_lines_follow_where_tight_came_from(record, lines):
    from packaging.requirements import Requirement

    from tight_tasks.generate.origin import requirement_lines

    written = requirement_lines("1.0.0", record)
    text = "\n".join(written)
    for line in lines:
        assert line in text
    (requirement,) = [Requirement(line) for line in written if not line.startswith("#")]
    assert requirement.name == "tight-cli"


def test_app_options_and_target(tight, tmp_path):
    (tmp_path / "elsewhere").mkdir()
    result = tight("generate.app", "MyService", "--target", "elsewhere", "--runtime", "python3.11",
                   "--architecture", "arm64", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    config = yaml.safe_load((tmp_path / "elsewhere" / "MyService" / "tight.yml").read_text())
    assert config["name"] == "my-service"
    assert (config["runtime"], config["architecture"]) == ("python3.11", "arm64")


def test_generated_python_passes_ruff(app_dir, tight):
    assert tight("generate.model", "user_profile", cwd=app_dir).returncode == 0
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "--isolated", "--no-cache", "."],
                            capture_output=True, text=True, cwd=app_dir, check=False)
    assert result.returncode == 0, result.stdout


@pytest.mark.parametrize("name", ["../x", "a/b", "", ".", "9lives"])
def test_bad_app_name_writes_nothing(tight, tmp_path, name):
    result = tight("generate.app", name, cwd=tmp_path)
    assert result.returncode == 2
    assert "Invalid app name" in result.stderr and "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []
    assert not (tmp_path.parent / "x").exists()


@pytest.mark.parametrize("option, value, listed", [("--provider", "gcp", "aws"), ("--type", "ec2", "lambda"),
                                                    ("--runtime", "python2.7", "python3.12"),
                                                    ("--architecture", "sparc", "arm64")])
def test_unsupported_choices_are_usage_errors(tight, tmp_path, option, value, listed):
    result = tight("generate.app", "svc", option, value, cwd=tmp_path)
    assert result.returncode == 2
    assert listed in result.stderr and value in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_existing_destination_untouched_without_force(tight, app_dir):
    (app_dir / "mine.txt").write_text("keep me")
    before = snapshot(app_dir)
    result = tight("generate.app", "my_service", cwd=app_dir.parent)
    assert result.returncode == 1
    assert "already exists" in result.stderr and "--force" in result.stderr
    assert snapshot(app_dir) == before
    assert sorted(p.name for p in app_dir.parent.iterdir()) == ["my_service"]


def test_force_replaces_destination(tight, app_dir):
    (app_dir / "mine.txt").write_text("old")
    result = tight("generate.app", "my_service", "--force", cwd=app_dir.parent)
    assert result.returncode == 0, result.stderr
    assert set(snapshot(app_dir)) == APP_TREE
    assert sorted(p.name for p in app_dir.parent.iterdir()) == ["my_service"]


def test_failure_midway_leaves_nothing(tmp_path, monkeypatch):
    real = scaffold.write_files

    def write_half_then_fail(files, staging):
        real(dict(list(files.items())[:3]), staging)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(scaffold, "write_files", write_half_then_fail)
    with pytest.raises(Exit) as info:
        scaffold.generate_app("my_service", target=str(tmp_path))
    assert info.value.message.startswith(f"Cannot create {tmp_path / 'my_service'}: No space left on device;")
    assert list(tmp_path.iterdir()) == []


def user_project(root: Path) -> Path:
    """A directory of someone's work: a repository, sources, editor leftovers; not a tight app."""
    for rel, text in {".git/HEAD": "ref: refs/heads/main\n", ".git/objects/ab/cdef": "blob",
                      "src/main.py": "print('mine')\n", "src/.main.py.swp": "swap", "notes.txt~": "backup",
                      "app/functions/legacy.py": "x = 1\n"}.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def test_force_refuses_what_is_not_a_tight_app(tight, tmp_path):
    user_project(tmp_path / "my_service")
    before = snapshot(tmp_path)
    result = tight("generate.app", "my_service", "--force", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.startswith(f"Refusing to replace {tmp_path / 'my_service'} (generate.app --force): ")
    assert "--force replaces only an existing tight app" in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert snapshot(tmp_path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["my_service"], "no staging or .tight-old-* left"


def test_force_refuses_a_tight_app_with_a_repository(tight, app_dir):
    (app_dir / ".git").mkdir()
    (app_dir / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    before = snapshot(app_dir)
    result = tight("generate.app", "my_service", "--force", cwd=app_dir.parent)
    assert result.returncode == 1 and "it holds .git" in result.stderr
    assert snapshot(app_dir) == before


def test_force_refuses_a_file_or_a_link(tight, tmp_path):
    (tmp_path / "my_service").write_text("a plain file")
    result = tight("generate.app", "my_service", "--force", cwd=tmp_path)
    assert result.returncode == 1 and "it is a file, not a directory tight created" in result.stderr
    assert (tmp_path / "my_service").read_text() == "a plain file"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["my_service"], "no .tight-old-* left"

    assert tight("generate.app", "real_app", cwd=tmp_path).returncode == 0
    (tmp_path / "my_service").unlink()
    (tmp_path / "my_service").symlink_to(tmp_path / "real_app")
    result = tight("generate.app", "my_service", "--force", cwd=tmp_path)
    assert result.returncode == 1 and "it is a symbolic link" in result.stderr
    assert (tmp_path / "my_service").is_symlink() and (tmp_path / "real_app" / "tight.yml").is_file()


def test_force_fills_an_empty_directory(tight, tmp_path):
    (tmp_path / "my_service").mkdir()
    result = tight("generate.app", "my_service", "--force", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert set(snapshot(tmp_path / "my_service")) == APP_TREE


def test_force_puts_the_new_app_in_place_before_removing_the_old(app_dir, monkeypatch):
    from tight_tasks import files

    (app_dir / "app" / "functions" / "old.py").write_text("old")
    seen = []
    real_remove = files.remove_tree

    def spy(path):
        if ".tight-old-" in str(path):
            seen.append((app_dir / "tight.yml").is_file() and not (app_dir / "app" / "functions" / "old.py").exists())
        real_remove(path)

    monkeypatch.setattr(files, "remove_tree", spy)
    scaffold.generate_app("my_service", target=str(app_dir.parent), force=True)
    assert seen == [True], "the old tree was removed only once the new one had its name"
    assert set(snapshot(app_dir)) == APP_TREE
    assert sorted(p.name for p in app_dir.parent.iterdir()) == ["my_service"]


def test_permission_denied_is_one_line(tmp_path):
    from conftest import without_write_permission

    parent = tmp_path / "readonly"
    parent.mkdir()
    parent.chmod(0o555)
    try:
        result = subprocess.run([*without_write_permission(), sys.executable, "-m", "tight_tasks", "generate.app",
                                 "my_service"], cwd=parent, capture_output=True, text=True, env=clean_env(),
                                check=False, timeout=120)
    finally:
        parent.chmod(0o755)
    assert result.returncode == 1, result.stderr
    assert result.stderr.strip() == (f"Cannot create {parent / 'my_service'}: Permission denied; "
                                     f"check that you may write to {parent} (nothing was written).")
    assert list(parent.iterdir()) == []


def test_rendered_paths_cannot_escape(tmp_path):
    with pytest.raises(Exit) as info:
        scaffold.render_tree("function", {"name": "../../evil"})
    assert "escapes" in info.value.message


def test_model_file_and_refusal(tight, app_dir):
    result = tight("generate.model", "user_profile", cwd=app_dir / "app" / "functions")
    assert result.returncode == 0, result.stderr
    path = app_dir / "app" / "models" / "UserProfile.py"
    text = path.read_text()
    assert "class UserProfile(Model):" in text
    assert "-user-profiles" in text and "id = Field(type=str, hash_key=True)" in text
    path.write_text(text + "# edited\n")
    again = tight("generate.model", "user_profile", cwd=app_dir)
    assert again.returncode == 1 and "--force" in again.stderr
    assert path.read_text().endswith("# edited\n")
    forced = tight("generate.model", "user_profile", "--force", cwd=app_dir)
    assert forced.returncode == 0 and not path.read_text().endswith("# edited\n")


def test_model_names_its_table_as_this_machine_will(tight, app_dir):
    """The printed table name is the real one (NAME from tight.yml, STAGE from env.yml or the shell)."""
    result = tight("generate.model", "account", cwd=app_dir)
    assert result.stdout.strip() == ("Generated model Account in app/models/Account.py "
                                     "(table my-service-dev-accounts, from NAME-STAGE-accounts with stage dev)")
    staged = tight("generate.model", "user_profile", cwd=app_dir, env=clean_env(STAGE="qa"))
    assert "(table my-service-qa-user-profiles, from NAME-STAGE-user-profiles with stage qa)" in staged.stdout
    (app_dir / "env.dist.yml").write_text("CI: false\n")
    unset = tight("generate.model", "person", cwd=app_dir)
    assert "(table NAME-STAGE-people, from the NAME and STAGE environment variables)" in unset.stdout


def test_model_registers_with_flywheel(tight, app_dir):
    assert tight("generate.model", "person", cwd=app_dir).returncode == 0
    code = ("from flywheel import Engine; from app.models.Person import Person; e = Engine(); e.register(Person); "
            "print(Person.meta_.ddb_tablename(), Person.meta_.hash_key.name, Person('p1').id)")
    out = subprocess.run([sys.executable, "-c", code], cwd=app_dir, capture_output=True, text=True,
                         env=clean_env(NAME="my-service", STAGE="dev", PYTHONPATH=str(app_dir)), check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["my-service-dev-people", "id", "p1"]


def test_generate_env(tight, app_dir):
    result = tight("generate.env", cwd=app_dir)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "{CI: false, NAME: my-service, STAGE: dev}"
    assert yaml.safe_load((app_dir / "env.yml").read_text()) == {"CI": False, "NAME": "my-service", "STAGE": "dev"}
    assert result.stderr == ""
    shell = tight("generate.env", cwd=app_dir, env=clean_env(CI="true", STAGE="prod", UNRELATED="x"))
    assert shell.stdout.strip() == "{CI: true, NAME: my-service, STAGE: prod}"
    assert yaml.safe_load((app_dir / "env.yml").read_text())["CI"] is True
    assert shell.stderr.splitlines() == [  # a stray STAGE=prod in env.yml is said, not silent
        "env.yml: CI: true comes from the shell's CI=true (was 'false').",
        "env.yml: STAGE: prod comes from the shell's STAGE=prod (was 'dev').",
        ("dynamo.rundb, local.serve, local.invoke and the app's tests now use the prod stage's tables "
        "(my-service-prod-...); to go back: `STAGE=dev tight generate.env`.")]
    again = tight("generate.env", cwd=app_dir, env=clean_env(CI="true", STAGE="prod"))
    assert again.stderr == ""  # env.yml already says so
    back = tight("generate.env", cwd=app_dir, env=clean_env(STAGE="dev"))
    assert back.stdout.strip() == "{CI: true, NAME: my-service, STAGE: dev}"
    assert back.stderr.splitlines() == ["env.yml: STAGE: dev comes from the shell's STAGE=dev (was 'prod')."]


def test_generate_env_keeps_edits_unless_reset(tight, app_dir):
    (app_dir / "env.yml").write_text("STAGE: qa\nEXTRA: 1\n")
    kept = tight("generate.env", cwd=app_dir)
    assert kept.stdout.strip() == "{CI: false, EXTRA: 1, NAME: my-service, STAGE: qa}"
    reset = tight("generate.env", "--reset", cwd=app_dir)
    assert reset.stdout.strip() == "{CI: false, NAME: my-service, STAGE: dev}"


def test_malformed_env_dist_is_one_line_and_env_untouched(tight, app_dir):
    (app_dir / "env.yml").write_text("STAGE: mine\n")
    (app_dir / "env.dist.yml").write_text("STAGE: dev\nCI: [oops\n")
    result = tight("generate.env", cwd=app_dir)
    assert result.returncode == 1
    assert "env.dist.yml" in result.stderr and "line" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert (app_dir / "env.yml").read_text() == "STAGE: mine\n"


def test_env_check_and_show(tight, app_dir):
    missing = tight("env.check", cwd=app_dir)
    assert missing.returncode == 1 and "generate.env" in missing.stderr
    (app_dir / "env.yml").write_text("STAGE: dev\n")
    partial = tight("env.check", cwd=app_dir)
    assert partial.returncode == 1 and "CI" in partial.stderr
    assert tight("generate.env", cwd=app_dir).returncode == 0
    assert tight("env.check", cwd=app_dir).returncode == 0
    shown = tight("env.show", cwd=app_dir, env=clean_env(STAGE="prod"))
    assert yaml.safe_load(shown.stdout) == {"CI": False, "NAME": "my-service", "STAGE": "prod"}
