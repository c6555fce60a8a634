"""pip.install never deletes user files, never loses an update, and vendors only what runs on Lambda."""
from __future__ import annotations

import fcntl
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import vendor_fixtures
from conftest import REPO
from vendor_fixtures import snapshot

wheelhouse, env, make_app, install = (vendor_fixtures.wheelhouse, vendor_fixtures.env, vendor_fixtures.make_app,
                                      vendor_fixtures.install)


def user_app(make_app, requirements="purepkg\n") -> Path:
    root = make_app(requirements=requirements)
    for rel, text in {"app/functions/hello/handler.py": "def handler(e, c): ...\n",
                      "app/models/account.py": "class Account: ...\n", "app_index.py": "",
                      "tests/test_hello.py": "def test(): ...\n", "src/notes.txt": "mine\n"}.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


@pytest.mark.parametrize("named", [False, True], ids=["requirements", "named"])
@pytest.mark.parametrize("where", ["vendor_dir: app", "app", "tests", ".", "src", "app/functions", ".."])
def test_user_directories_are_never_rebuilt(make_app, install, where, named):
    root = user_app(make_app)
    if where.startswith("vendor_dir"):
        (root / "tight.yml").write_text("name: svc\nvendor_dir: app\n")
        args = []
    else:
        args = ["--target", str(root / where)]
    before = snapshot(root.parent)
    result = install(root, *(["solo"] if named else ["--requirements"]), *args)
    assert result.returncode == 2, result.stdout
    assert len(result.stderr.strip().splitlines()) == 1 and "Refusing to use" in result.stderr, result.stderr
    assert "choose" in result.stderr and "Traceback" not in result.stderr
    assert snapshot(root.parent) == before


def test_only_a_vendored_empty_or_missing_dir_is_rebuilt(make_app, install):
    root = make_app(requirements="purepkg\n")
    vendored = root / "app" / "vendored"
    vendored.mkdir()
    (vendored / "keep.txt").write_text("not tight's\n")
    result = install(root, "--requirements")
    assert result.returncode == 2 and "tight did not create (keep.txt" in result.stderr, result.stderr
    assert (vendored / "keep.txt").read_text() == "not tight's\n"
    (vendored / "keep.txt").unlink()
    assert install(root, "--requirements").returncode == 0  # empty
    assert install(root, "solo").returncode == 0  # tight's own (marker)
    assert {"purepkg", "solo", "tight", ".tight-platform"} <= {p.name for p in vendored.iterdir()}


def test_a_marker_left_in_an_emptied_vendor_dir_does_not_block(make_app, install):
    root = make_app("python3.12", "x86_64")
    vendored = root / "app" / "vendored"
    vendored.mkdir()
    (vendored / ".tight-platform").write_text("python3.11 aarch64\n")
    result = install(root, "purepkg")
    assert result.returncode == 0, result.stderr
    assert (vendored / ".tight-platform").read_text() == "python3.12 x86_64\n"


def test_named_packages_are_installed_with_every_requirement(make_app, install):
    """A fresh app: requirements-vendor.txt lists flywheel-like dependencies, nothing is vendored yet."""
    root = make_app(requirements="purepkg\nnatpkg  # native\n")
    result = install(root, "solo")
    assert result.returncode == 0, result.stderr
    assert {"purepkg", "natpkg", "solo"} <= {p.name for p in (root / "app" / "vendored").iterdir()}
    assert (root / "requirements-vendor.txt").read_text() == "purepkg\nnatpkg  # native\nsolo\n"
    assert "Installing solo + requirements-vendor.txt" in result.stdout


def test_named_packages_resolve_together_with_the_pins(make_app, install):
    root = make_app(requirements="glibcpkg==1.0\n")
    assert install(root, "--requirements").returncode == 0
    before = snapshot(root)
    result = install(root, "glibcpkg>=2")
    assert result.returncode == 1
    assert "install failed" in result.stderr.strip().splitlines()[-1]
    assert snapshot(root) == before, "a conflicting pin is an error, not a silent upgrade"


def _tight(root: Path, env: dict, wheelhouse: Path, *args: str, **kwargs) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "tight_tasks", "pip.install", *args, "--no-index",
                             "--find-links", str(wheelhouse), "--installer", "pip"],
                            cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)


def test_two_installs_at_once_lose_no_update(make_app, env, wheelhouse):
    root = make_app()
    first = _tight(root, env, wheelhouse, "purepkg")
    second = _tight(root, env, wheelhouse, "solo")
    outputs = [p.communicate(timeout=300) for p in (first, second)]
    assert [first.returncode, second.returncode] == [0, 0], outputs
    assert sorted((root / "requirements-vendor.txt").read_text().split()) == ["purepkg", "solo"]
    assert {"purepkg", "solo"} <= {p.name for p in (root / "app" / "vendored").iterdir()}
    assert not (root / ".tight-pip.lock").exists()


def test_an_install_waits_for_the_running_one_and_says_so(make_app, env, wheelhouse):
    root = make_app()
    with open(root / ".tight-pip.lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        held.write(f"{os.getpid()}\n")
        held.flush()
        waiting = _tight(root, env, wheelhouse, "solo")
        line = waiting.stdout.readline()
        assert line.strip() == (f"Another pip.install is running in this app (pid {os.getpid()}): "
                                "waiting for it to finish...")
        assert waiting.poll() is None and not (root / "requirements-vendor.txt").exists()
        (root / ".tight-pip.lock").unlink()  # what the holder does on release
    _out, err = waiting.communicate(timeout=300)
    assert waiting.returncode == 0, err
    assert (root / "requirements-vendor.txt").read_text() == "solo\n"


def test_a_lock_left_by_a_dead_process_does_not_block(make_app, install):
    root = make_app()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True)
    (root / ".tight-pip.lock").write_text(dead.stdout)
    result = install(root, "solo")
    assert result.returncode == 0, result.stderr
    assert "Another" not in result.stdout
    assert not (root / ".tight-pip.lock").exists()


@pytest.mark.parametrize("requirements, extra, shown", [
    ("purepkg\n-e ./localpkg\n", {}, "requirements-vendor.txt line 2: editable installs (-e)"),
    ("-r more.txt\n", {"more.txt": "solo\n--editable=./x  # dev\n"}, "more.txt line 2: editable installs (--editable"),
])
def test_editable_lines_are_refused(make_app, install, requirements, extra, shown):
    root = make_app(requirements=requirements)
    for name, text in extra.items():
        (root / name).write_text(text)
    for args in (["--requirements"], ["solo"]):
        result = install(root, *args)
        assert result.returncode == 1
        assert result.stderr.strip().startswith(shown) and "\n" not in result.stderr.strip(), result.stderr
        assert "link to a directory on this machine" in result.stderr
        assert not (root / "app" / "vendored").exists()
        assert (root / "requirements-vendor.txt").read_text() == requirements


def test_a_host_built_binary_is_refused(make_app, install):
    root = make_app("python3.13", "arm64")
    result = install(root, "hostbuilt")
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("hostbuilt/cmod.cpython-311-x86_64-linux-gnu.so cannot run on Lambda python3.13 aarch64"
                           " (manylinux_2_34): built for Python 3.11 on x86_64-linux."), last
    assert not (root / "app" / "vendored").exists() and not (root / "requirements-vendor.txt").exists()


def test_a_binary_for_the_target_platform_is_kept(make_app, install):
    root = make_app("python3.11", "x86_64")
    result = install(root, "hostbuilt")
    assert result.returncode == 0, result.stderr
    assert (root / "app/vendored/hostbuilt/cmod.cpython-311-x86_64-linux-gnu.so").is_file()


def test_an_editable_finder_is_refused(make_app, install):
    root = make_app()
    result = install(root, "linkedpkg")
    assert result.returncode == 1
    assert "__editable__" in result.stderr and "an editable install's link" in result.stderr
    assert not (root / "app" / "vendored").exists()


@pytest.mark.parametrize("args", [["--package=--no-deps"], ["purepkg", "--package", "-e ./x"]])
def test_option_looking_packages_are_not_saved(make_app, install, args):
    root = make_app(requirements="purepkg\n")
    result = install(root, *args)
    assert result.returncode == 2
    assert "is not a package name" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert (root / "requirements-vendor.txt").read_text() == "purepkg\n"


@pytest.mark.parametrize("key, value", [("runtime", "python3.99"), ("runtime", "python2.7"),
                                        ("architecture", "sparc")])
def test_unknown_platforms_in_tight_yml_are_one_line(make_app, install, key, value):
    root = make_app(**{key: value})
    result = install(root, "purepkg")
    assert result.returncode == 2
    assert result.stderr.strip().startswith(f"Unsupported {key} {value!r}") and "\n" not in result.stderr.strip()
    assert not (root / "app" / "vendored").exists()


def test_ctrl_c_changes_nothing(make_app, install, env):
    root = make_app(requirements="purepkg\n")
    assert install(root, "--requirements").returncode == 0
    before = snapshot(root)
    with socket.socket() as stalled:  # an index that accepts connections and never answers
        stalled.bind(("127.0.0.1", 0))
        stalled.listen(8)
        url = f"http://127.0.0.1:{stalled.getsockname()[1]}/simple"
        process = subprocess.Popen(
            [sys.executable, "-m", "tight_tasks", "pip.install", "solo", "--index-url", url, "--installer", "pip"],
            cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
        deadline = time.monotonic() + 120
        while not list((root / "app").glob(".vendored.tight-*")) and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)  # let the installer start
        os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        _out, err = process.communicate(timeout=120)
    assert process.returncode == 130, err
    assert err.strip() == "pip.install interrupted, nothing changed.", err
    assert snapshot(root) == before
    assert sorted(p.name for p in (root / "app").iterdir()) == ["vendored"]


COMPOSED_TASKS = """from invoke import Collection

from tight_tasks import dynamo, env, generate, pip

ns = Collection(generate, pip, dynamo, env)
"""


def test_composed_under_plain_inv_packages_are_named_with_p(make_app, env, wheelhouse):
    """The docs' composition: a project's own tasks.py run by plain `inv`."""
    root = make_app(requirements="purepkg\n")
    (root / "tasks.py").write_text(COMPOSED_TASKS)
    inv = [sys.executable, "-m", "invoke", "pip.install"]
    offline = ["--no-index", "--find-links", str(wheelhouse), "--installer", "pip"]
    result = subprocess.run([*inv, "-p", "solo", "--package", "natpkg", *offline], cwd=root, env=env,
                            capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr
    assert {"purepkg", "solo", "natpkg"} <= {p.name for p in (root / "app" / "vendored").iterdir()}
    assert (root / "requirements-vendor.txt").read_text() == "purepkg\nsolo\nnatpkg\n"
    bare = subprocess.run([*inv, "six", *offline], cwd=root, env=env, capture_output=True, text=True, timeout=300,
                          check=False)
    assert bare.returncode != 0 and "No idea what 'six' is!" in bare.stderr
    docs = (REPO / "docs" / "commands.md").read_text()
    composition = docs[docs.index("## Composing tight into your own `tasks.py`"):]
    assert "inv pip.install -p six -p requests" in composition.split("\n## ", 1)[0]


def test_a_local_c_extension_built_on_this_machine_is_refused(make_app, wheelhouse, env, tmp_path):
    """The real thing: pip builds a local path for the host (this Python, this CPU), not for Lambda."""
    import sysconfig

    from vendor_wheels import wheel_from_installed

    project = tmp_path / "localext"
    (project / "cmod.c").parent.mkdir()
    (project / "cmod.c").write_text(
        '#include <Python.h>\nstatic struct PyModuleDef m = {PyModuleDef_HEAD_INIT, "cmod", NULL, -1, NULL};\n'
        "PyMODINIT_FUNC PyInit_cmod(void) { return PyModule_Create(&m); }\n")
    (project / "setup.py").write_text("from setuptools import Extension, setup\n"
                                      "setup(name='localext', version='1.0', ext_modules=[Extension('cmod', ['cmod.c'])])\n")
    (project / "pyproject.toml").write_text('[build-system]\nrequires = ["setuptools"]\n'
                                            'build-backend = "setuptools.build_meta"\n')
    builders = tmp_path / "builders"  # offline: the build backend from this environment
    wheel_from_installed(builders, "setuptools")
    root = make_app("python3.13", "arm64")
    result = subprocess.run(
        [sys.executable, "-m", "tight_tasks", "pip.install", str(project), "--no-index", "--find-links", str(builders),
         "--installer", "pip"], cwd=root, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 1, result.stdout + result.stderr
    suffix = sysconfig.get_config_var("EXT_SUFFIX")  # .cpython-311-x86_64-linux-gnu.so
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(f"cmod{suffix} cannot run on Lambda python3.13 aarch64 (manylinux_2_34): built for "
                           f"Python {sys.version_info[0]}.{sys.version_info[1]} on "), result.stderr
    assert "A local path or sdist was built on this machine" in last
    assert not (root / "app" / "vendored").exists() and not (root / "requirements-vendor.txt").exists()
