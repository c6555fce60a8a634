"""tight_tasks.files: atomic writes, paths that cannot escape, and the one rule for replacing a directory."""
from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from tight_tasks import files
from tight_tasks.files import (
    RefusedReplace,
    check_replaceable,
    inside,
    remove_tree,
    replace_dir,
    staging_dir,
)

MARK = ".tight-install.json"


def tree(root: Path) -> dict[str, bytes | str]:
    """Every entry under ``root``: file contents, ``"<dir>"`` or ``"-> target"`` for links."""
    out: dict[str, bytes | str] = {}
    for path in sorted(root.rglob("*")):
        rel = str(path.relative_to(root))
        if path.is_symlink():
            out[rel] = "-> " + os.readlink(path)
        elif path.is_dir():
            out[rel] = "<dir>"
        else:
            out[rel] = path.read_bytes()
    return out


def make(root: Path, spec: dict[str, str | bytes]) -> Path:
    for rel, data in spec.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if rel.endswith("/"):
            path.mkdir(exist_ok=True)
        else:
            path.write_bytes(data if isinstance(data, bytes) else data.encode())
    return root


def make_app(root: Path) -> Path:
    return make(root, {"tight.yml": "name: svc\n", "app/functions/users/handler.py": "x = 1\n",
                       "app/models/account.py": "class Account: ...\n", "app/vendored/": ""})


def staged(tmp_path: Path, name: str = "new") -> Path:
    return make(tmp_path / name, {"DynamoDBLocal.jar": b"new jar", MARK: "{}"})


# -- write_atomic ------------------------------------------------------------------


def test_write_atomic_text_bytes_and_modes(tmp_path):
    path = tmp_path / "deep" / "er" / "out.yml"
    files.write_atomic(path, "a: 1\r\nb: é\n")
    assert path.read_bytes() == "a: 1\r\nb: é\n".encode(), "UTF-8, newlines untouched"
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    path.chmod(0o600)
    files.write_atomic(path, b"\x00binary")
    assert path.read_bytes() == b"\x00binary"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600, "an existing file keeps its mode"
    files.write_atomic(path, "x", mode=0o755)
    assert stat.S_IMODE(path.stat().st_mode) == 0o755
    assert sorted(p.name for p in path.parent.iterdir()) == ["out.yml"], "no temporary files left"


def test_write_atomic_failure_keeps_the_old_file_and_leaves_no_temp(tmp_path, monkeypatch):
    path = tmp_path / "requirements-vendor.txt"
    path.write_text("PyYAML\n")

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, "replace", broken_replace)
    with pytest.raises(OSError, match="No space"):
        files.write_atomic(path, "PyYAML\nrequests\n")
    assert path.read_text() == "PyYAML\n"
    assert [p.name for p in tmp_path.iterdir()] == ["requirements-vendor.txt"]


def test_write_temp_is_renamed_later(tmp_path):
    path = tmp_path / "f.txt"
    tmp = files.write_temp(path, "later")
    assert not path.exists() and tmp.parent == tmp_path and tmp.name.startswith(".f.txt.")
    os.replace(tmp, path)
    assert path.read_text() == "later"


# -- inside ------------------------------------------------------------------------


def test_inside_keeps_untrusted_paths_in(tmp_path):
    base = make(tmp_path / "base", {"pkg/mod.py": "", "pkg/sub/": ""})
    (tmp_path / "secret").write_text("s")
    (base / "out").symlink_to(tmp_path / "secret")
    (base / "in").symlink_to(base / "pkg")
    assert inside(base, "pkg/mod.py") == (base / "pkg" / "mod.py").resolve()
    assert inside(base, "pkg/sub/../mod.py") == (base / "pkg" / "mod.py").resolve()
    assert inside(base, "in/mod.py") == (base / "pkg" / "mod.py").resolve(), "a link that stays inside is fine"
    assert inside(base, "../secret") is None
    assert inside(base, "pkg/../../secret") is None
    assert inside(base, str(tmp_path / "secret")) is None, "absolute paths elsewhere"
    assert inside(base, "/etc/passwd") is None
    assert inside(base, "out") is None, "a symlink pointing outside"
    assert inside(base, ".") is None and inside(base, "pkg/..") is None, "the base itself is not inside"
    assert inside(base, ".", allow_base=True) == base.resolve()
    assert inside(base, base / "pkg") == (base / "pkg").resolve(), "absolute paths inside are fine"
    assert inside(base, "does/not/exist") == base.resolve() / "does" / "not" / "exist"


# -- remove_tree -------------------------------------------------------------------


def test_remove_tree_read_only_parts_and_links(tmp_path):
    keep = make(tmp_path / "keep", {"precious.txt": "mine"})
    doomed = make(tmp_path / "doomed", {"ro/a.txt": "a", "f.txt": "f"})
    (doomed / "link").symlink_to(keep)
    (doomed / "ro" / "a.txt").chmod(0o444)
    (doomed / "ro").chmod(0o555)
    remove_tree(doomed)
    assert not doomed.exists()
    assert tree(keep) == {"precious.txt": b"mine"}, "a link's target is never followed"

    link = tmp_path / "link"
    link.symlink_to(keep)
    remove_tree(link)
    assert not link.is_symlink() and tree(keep) == {"precious.txt": b"mine"}
    (tmp_path / "file").write_text("x")
    remove_tree(tmp_path / "file")
    remove_tree(tmp_path / "missing")  # nothing there: no error
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep"]


# -- check_replaceable -------------------------------------------------------------


def refusal(target, **kwargs) -> str:
    kwargs.setdefault("owner_marker", MARK)
    with pytest.raises(RefusedReplace) as info:
        check_replaceable(target, what=kwargs.pop("what", "install directory"), **kwargs)
    message = str(info.value)
    assert "\n" not in message and message.startswith(f"Refusing to replace {files._absolute(target)} (")
    assert "pick another directory" in message, "the message says how to fix it"
    return message


def test_missing_empty_and_owned_directories_may_be_replaced(tmp_path):
    check_replaceable(tmp_path / "missing", owner_marker=MARK)
    (tmp_path / "empty").mkdir()
    check_replaceable(tmp_path / "empty", owner_marker=MARK)
    owned = make(tmp_path / "owned", {MARK: "{}", "DynamoDBLocal.jar": "jar", "lib/x.so": "so"})
    check_replaceable(owned, owner_marker=MARK, app_root=None)
    app = make_app(tmp_path / "svc")
    make(app / "dynamo_db", {MARK: "{}"})
    check_replaceable(app / "dynamo_db", owner_marker=MARK, app_root=app)
    check_replaceable(app / "app" / "vendored", owner_marker=".tight-platform", app_root=app)


def test_user_files_are_refused(tmp_path):
    notes = make(tmp_path / "notes", {"todo.txt": "mine"})
    assert "holds files tight did not create (todo.txt; no .tight-install.json)" in refusal(notes)
    many = make(tmp_path / "many", {"a.py": "", "b.py": "", "c/": ""})
    assert "(a.py and 2 more;" in refusal(many)


@pytest.mark.parametrize("leftover", [".handler.py.swp", "handler.py~", "#handler.py#", ".DS_Store"])
def test_editor_leftovers_are_user_files(tmp_path, leftover):
    target = make(tmp_path / "dynamo_db", {leftover: "x"})
    assert leftover in refusal(target)
    assert tree(target) == {leftover: b"x"}


def test_git_is_refused_whatever_the_marker(tmp_path):
    repo = make(tmp_path / "repo", {".git/HEAD": "ref: refs/heads/main\n", MARK: "{}", "tight.yml": "name: x\n"})
    assert "it holds .git (a repository tight did not create)" in refusal(repo)
    assert ".git" in refusal(repo, owner_marker="tight.yml"), "generate.app --force never deletes a repository"
    bare = make(tmp_path / "bare", {".git": "gitdir: ../elsewhere\n"})  # a worktree's .git is a file
    assert ".git" in refusal(bare)


def test_app_dirs_are_refused_even_with_the_marker(tmp_path):
    app = make_app(tmp_path / "svc")
    (app / MARK).write_text("{}")  # a marker planted (or cloned) into the app root
    assert "it is the app's root directory" in refusal(app, app_root=app)
    assert f"it contains the app at {app.resolve()}" in refusal(tmp_path, app_root=app)
    assert "it contains the app's app/functions" in refusal(app / "app", app_root=app)
    assert "app/functions" in refusal(app / "app" / "functions", app_root=app)
    assert "app/models" in refusal(app / "app" / "models", app_root=app)
    # Without knowing the app root, what the directory holds still gives it away.
    assert "it holds tight.yml (it is a tight app or part of one)" in refusal(app)
    nested = make(tmp_path / "other", {MARK: "{}", "app/x.py": ""})
    assert "it holds app/" in refusal(nested)
    assert f"replace {app.resolve()} " in refusal(app / "app" / "functions" / ".." / "..", app_root=app / "app" / "..")


def test_an_app_is_replaced_only_by_its_config_owner(tmp_path):
    app = make_app(tmp_path / "svc")
    check_replaceable(app, owner_marker="tight.yml", what="app")
    yaml_app = make(tmp_path / "yaml_app", {"tight.yaml": "name: y\n", "app/": ""})
    check_replaceable(yaml_app, owner_marker="tight.yml")
    plain = make(tmp_path / "plain", {"README.md": "mine", "app/": ""})
    assert "no tight.yml or tight.yaml" in refusal(plain, owner_marker="tight.yml")


def test_links_files_and_unreadable_dirs_are_refused(tmp_path):
    outside = make(tmp_path / "outside", {MARK: "{}", "DynamoDBLocal.jar": "jar"})
    link = tmp_path / "svc" / "dynamo_db"
    link.parent.mkdir()
    link.symlink_to(outside)
    assert f"it is a symbolic link (to {outside})" in refusal(link)
    dangling = tmp_path / "dangling"
    dangling.symlink_to(tmp_path / "nowhere")
    assert "symbolic link" in refusal(dangling)
    (tmp_path / "file").write_text("x")
    assert "it is a file, not a directory tight created" in refusal(tmp_path / "file")
    fake = make(tmp_path / "fake", {"user.txt": "mine"})
    (fake / MARK).symlink_to(outside / MARK)
    assert "user.txt" in refusal(fake), "a marker that is a link does not count"
    dir_marker = make(tmp_path / "dir_marker", {f"{MARK}/": "", "user.txt": "mine"})
    assert "user.txt" in refusal(dir_marker), "a marker that is a directory does not count"


def test_unreadable_directory_is_refused(tmp_path, monkeypatch):
    target = make(tmp_path / "locked", {MARK: "{}"})
    real_scandir = os.scandir

    def denied(path):
        if Path(path) == target:
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(files.os, "scandir", denied)
    assert "it cannot be read (Permission denied)" in refusal(target)


def test_a_parent_of_home_is_refused(tmp_path, monkeypatch):
    home = make(tmp_path / "home" / "me", {MARK: "{}"})
    monkeypatch.setenv("HOME", str(home))
    assert "it contains your home directory" in refusal(home)
    assert "home directory" in refusal(tmp_path / "home")
    monkeypatch.setenv("HOME", "")  # no home at all: nothing to protect, no crash
    monkeypatch.chdir(tmp_path / "home")
    check_replaceable(home, owner_marker=MARK)


def test_custom_what_and_hint(tmp_path):
    target = make(tmp_path / "t", {"x": ""})
    with pytest.raises(RefusedReplace) as info:
        check_replaceable(target, owner_marker=MARK, what="--dir", hint="pass --dir dynamo_db")
    assert str(info.value).endswith("; pass --dir dynamo_db.") and "(--dir)" in str(info.value)


# -- replace_dir -------------------------------------------------------------------


def names(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


def test_replace_into_a_missing_directory(tmp_path):
    new = staged(tmp_path)
    result = replace_dir(tmp_path / "dynamo_db", new, owner_marker=MARK)
    assert result == tmp_path / "dynamo_db"
    assert tree(result) == {"DynamoDBLocal.jar": b"new jar", MARK: b"{}"}
    assert names(tmp_path) == ["dynamo_db"]


def test_replace_an_owned_directory_new_first_old_after(tmp_path, monkeypatch):
    make(tmp_path / "dynamo_db", {MARK: "{}", "DynamoDBLocal.jar": "old jar", "old_lib/x.so": "so"})
    (tmp_path / "dynamo_db" / "old_lib").chmod(0o555)
    order = []
    real_rename = os.rename

    def spy(src, dst):
        order.append((Path(src).name, Path(dst).name))
        return real_rename(src, dst)

    monkeypatch.setattr(files.os, "rename", spy)
    replace_dir(tmp_path / "dynamo_db", staged(tmp_path), owner_marker=MARK)
    assert order[0] == ("dynamo_db", "dynamo_db") and order[1] == ("new", "dynamo_db")
    assert tree(tmp_path / "dynamo_db") == {"DynamoDBLocal.jar": b"new jar", MARK: b"{}"}
    assert names(tmp_path) == ["dynamo_db"], "no .tight-old-* left"


def test_replace_an_empty_directory(tmp_path):
    (tmp_path / "dynamo_db").mkdir()
    replace_dir(tmp_path / "dynamo_db", staged(tmp_path), owner_marker=MARK)
    assert names(tmp_path) == ["dynamo_db"] and (tmp_path / "dynamo_db" / MARK).is_file()


@pytest.mark.parametrize("case", ["user files", ".git", "app root", "parent of app", "file", "link"])
def test_refused_replace_touches_nothing(tmp_path, case):
    app = make_app(tmp_path / "svc")
    outside = make(tmp_path / "outside", {"precious.txt": "mine"})
    target = {
        "user files": lambda: make(app / "notes", {"todo.txt": "mine", ".todo.txt.swp": "swap"}),
        ".git": lambda: make(app / "dynamo_db", {MARK: "{}", ".git/HEAD": "ref"}),
        "app root": lambda: app,
        "parent of app": lambda: tmp_path,
        "file": lambda: make(app, {"dynamo_db": "a file"}) / "dynamo_db",
        "link": lambda: (app / "dynamo_db").symlink_to(outside) or app / "dynamo_db",
    }[case]()
    new = staged(tmp_path / "svc", ".staged")
    before = tree(tmp_path)
    with pytest.raises(RefusedReplace):
        replace_dir(target, new, owner_marker=MARK, app_root=app)
    assert tree(tmp_path) == before, "nothing touched, the staged tree is the caller's to remove"


def test_failed_swap_puts_the_old_tree_back(tmp_path, monkeypatch):
    old = make(tmp_path / "dynamo_db", {MARK: "{}", "DynamoDBLocal.jar": "old jar", "data.db": "user data"})
    before = tree(old)
    new = staged(tmp_path)
    real_rename = os.rename

    def fail_second(src, dst):
        if Path(src) == new:
            raise OSError(18, "Invalid cross-device link")
        return real_rename(src, dst)

    monkeypatch.setattr(files.os, "rename", fail_second)
    with pytest.raises(OSError, match="cross-device"):
        replace_dir(old, new, owner_marker=MARK)
    assert tree(old) == before
    assert names(tmp_path) == ["dynamo_db", "new"], "no .tight-old-* left; the staged tree is the caller's"


def test_interrupt_during_swap_puts_the_old_tree_back(tmp_path, monkeypatch):
    make(tmp_path / "svc", {"tight.yml": "name: svc\n", "app/functions/f/handler.py": "old"})
    new = make(tmp_path / ".svc.tight-new-x", {"tight.yml": "name: svc\n", "app/functions/": ""})
    real_rename = os.rename

    def interrupted(src, dst):
        if Path(src) == new:
            raise KeyboardInterrupt
        return real_rename(src, dst)

    monkeypatch.setattr(files.os, "rename", interrupted)
    with pytest.raises(KeyboardInterrupt):
        replace_dir(tmp_path / "svc", new, owner_marker="tight.yml")
    assert (tmp_path / "svc" / "app" / "functions" / "f" / "handler.py").read_text() == "old"
    assert names(tmp_path) == [".svc.tight-new-x", "svc"]


def test_a_file_appearing_after_the_check_is_not_lost(tmp_path, monkeypatch):
    """Between check and rename a file takes the name: it is renamed back, not deleted."""
    target = tmp_path / "dynamo_db"
    new = staged(tmp_path)
    real_check = files.check_replaceable

    def check_then_race(*args, **kwargs):
        real_check(*args, **kwargs)
        target.write_text("appeared")

    monkeypatch.setattr(files, "check_replaceable", check_then_race)
    with pytest.raises(OSError):
        replace_dir(target, new, owner_marker=MARK)
    assert target.read_text() == "appeared"
    assert names(tmp_path) == ["dynamo_db", "new"]


def test_staging_dir_is_beside_the_target_and_cleaned_up(tmp_path):
    target = tmp_path / "a" / "dynamo_db"
    with staging_dir(target) as new:
        assert new.parent == target.parent and new.name.startswith(".dynamo_db.tight-new-")
        assert stat.S_IMODE(new.stat().st_mode) == 0o755
        (new / MARK).write_text("{}")
        replace_dir(target, new, owner_marker=MARK)
    assert names(target.parent) == ["dynamo_db"]
    with pytest.raises(RuntimeError), staging_dir(target) as new:
        (new / "partial").write_text("x")
        raise RuntimeError("boom")
    assert names(target.parent) == ["dynamo_db"], "a failed build leaves nothing"


def test_a_gitkeep_placeholder_counts_as_empty_and_is_kept(tmp_path):
    """A generated app's app/vendored holds only an empty .gitkeep: tight may fill it, and keeps the .gitkeep."""
    app = make_app(tmp_path / "svc")
    vendored = app / "app" / "vendored"
    (vendored / ".gitkeep").touch()
    check_replaceable(vendored, owner_marker=".tight-platform", app_root=app)
    new = make(tmp_path / "new", {".tight-platform": "python3.12 x86_64\n", "six.py": "# six\n"})
    replace_dir(vendored, new, owner_marker=".tight-platform", app_root=app)
    assert tree(vendored) == {".gitkeep": b"", ".tight-platform": b"python3.12 x86_64\n", "six.py": b"# six\n"}
    assert names(app / "app") == ["functions", "models", "vendored"]

    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / ".gitkeep").write_text("not empty: someone wrote in it")
    assert ".gitkeep" in refusal(tmp_path / "notes")
    (tmp_path / "linked").mkdir()
    (tmp_path / "linked" / ".keep").symlink_to(tmp_path / "notes" / ".gitkeep")
    assert ".keep" in refusal(tmp_path / "linked")



def test_staging_dir_removes_the_parents_it_made_when_nothing_was_placed(tmp_path):
    target = tmp_path / "a" / "b" / "dynamo_db"
    with pytest.raises(RuntimeError), staging_dir(target) as new:
        assert new.parent == tmp_path / "a" / "b"
        raise RuntimeError("download failed")
    assert names(tmp_path) == [], "no empty a/b left behind"
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "mine.txt").write_text("x")
    with pytest.raises(RuntimeError), staging_dir(target):
        raise RuntimeError("again")
    assert names(tmp_path / "a") == ["mine.txt"], "a directory that existed stays"
