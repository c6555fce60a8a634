"""Pure parts of pip.install (installers, requirements, vendordir): platform tags, command lines,
requirements editing, pruning."""
from __future__ import annotations

import sys

import pytest
from invoke.exceptions import Exit

from tight_tasks._pip import installers, vendor, vendordir
from tight_tasks._pip.installers import IndexOptions, lambda_target
from tight_tasks._pip.requirements import add_requirements, requirement_name


@pytest.mark.parametrize("runtime", ["python3.10", "python3.11"])
def test_amazon_linux_2_runtimes_stop_at_manylinux2014(runtime):
    target = lambda_target(runtime, "x86_64")
    tags = target.pip_platforms
    assert tags[0] == "manylinux_2_17_x86_64"
    assert "manylinux2014_x86_64" in tags and "manylinux1_x86_64" in tags
    assert not any(t.startswith(("manylinux_2_18", "manylinux_2_28", "manylinux_2_34")) for t in tags)
    assert target.uv_platform == "x86_64-manylinux_2_17"
    assert target.python_version == runtime.removeprefix("python")


@pytest.mark.parametrize("runtime", ["python3.12", "python3.13", "python3.14"])
def test_amazon_linux_2023_runtimes_reach_manylinux_2_34(runtime):
    target = lambda_target(runtime, "arm64")
    tags = target.pip_platforms
    assert tags[0] == "manylinux_2_34_aarch64"
    assert "manylinux_2_28_aarch64" in tags and "manylinux2014_aarch64" in tags
    assert "manylinux_2_35_aarch64" not in tags
    assert all(t.endswith("_aarch64") for t in tags)
    assert "manylinux1_aarch64" not in tags  # manylinux1/2010 never existed for aarch64
    assert target.uv_platform == "aarch64-manylinux_2_34"


@pytest.mark.parametrize("arch, expected", [("x86_64", "x86_64"), ("arm64", "aarch64"), ("ARM64", "aarch64"),
                                            ("aarch64", "aarch64"), ("amd64", "x86_64")])
def test_architecture_spellings(arch, expected):
    assert lambda_target("python3.12", arch).arch == expected


@pytest.mark.parametrize("runtime, arch", [("python2.7", "x86_64"), ("python3.9", "x86_64"), ("nodejs20.x", "x86_64"),
                                           ("python3.12", "i686"), ("python3.12", "")])
def test_unsupported_platforms_are_usage_errors(runtime, arch):
    with pytest.raises(Exit) as info:
        lambda_target(runtime, arch)
    assert info.value.code == 2
    assert "\n" not in info.value.message


def test_pip_command_resolves_for_lambda_with_own_interpreter(tmp_path):
    target = lambda_target("python3.11", "arm64")
    index = IndexOptions(index_url="https://example.invalid/simple", find_links="/wheels", no_index=True)
    command = installers.pip_command(tmp_path, target, ["-r", "req.txt", "requests"], index)
    assert command[:4] == [sys.executable, "-m", "pip", "install"]
    assert command[command.index("--target") + 1] == str(tmp_path)
    assert "--only-binary=:all:" in command
    assert command[command.index("--implementation") + 1] == "cp"
    assert command[command.index("--python-version") + 1] == "3.11"
    platforms = [command[i + 1] for i, arg in enumerate(command) if arg == "--platform"]
    assert platforms == target.pip_platforms
    assert command[-7:] == ["--index-url", "https://example.invalid/simple", "--find-links", "/wheels", "--no-index",
                            "-r", "req.txt", "requests"][-7:]
    assert command[-2:] == ["req.txt", "requests"]


def test_uv_command(tmp_path):
    target = lambda_target("python3.12", "x86_64")
    command = installers.uv_command("/bin/uv", tmp_path, target, ["six"], IndexOptions(find_links="/w", no_index=True))
    assert command[:3] == ["/bin/uv", "pip", "install"]
    assert command[command.index("--python-platform") + 1] == "x86_64-manylinux_2_34"
    assert command[command.index("--python-version") + 1] == "3.12"
    assert command[command.index("--only-binary") + 1] == ":all:"
    assert command[command.index("--python") + 1] == sys.executable
    assert command[-4:] == ["--find-links", "/w", "--no-index", "six"]


def test_unknown_installer_is_a_usage_error():
    with pytest.raises(Exit) as info:
        installers.choose_installer("conda", lambda_target("python3.12", "x86_64"))
    assert info.value.code == 2


@pytest.mark.parametrize("line, name", [
    ("requests", "requests"), ("Flask==3.0", "flask"), ("PyYAML >= 6 ; python_version > '3'", "pyyaml"),
    ("zope.interface", "zope-interface"), ("foo_bar[extra]>=1", "foo-bar"), ("  six  # why", "six"),
    ("pkg @ https://example.invalid/pkg.whl", "pkg"), ("# comment", None), ("", None), ("-r other.txt", None),
    ("--index-url https://x", None), ("./wheels/a.whl", None), ("git+https://example.invalid/x.git", None),
])
def test_requirement_name(line, name):
    assert requirement_name(line) == name


def test_add_requirements_keeps_lines_comments_and_final_newline():
    text = "# vendored for Lambda\nFlask==3.0  # web\n\nfoo_bar\n"
    new, added = add_requirements(text, ["flask", "Foo-Bar>=2", "requests", "six==1.16", "requests"])
    assert added == ["requests", "six==1.16"]
    assert new == text + "requests\nsix==1.16\n"


def test_add_requirements_without_final_newline_and_crlf():
    new, added = add_requirements("a\r\nb", ["c"])
    assert (new, added) == ("a\r\nb\r\nc", ["c"])
    assert add_requirements("", ["x", "y"]) == ("x\ny\n", ["x", "y"])
    assert add_requirements("x\n", ["X"]) == ("x\n", [])


def _touch(path, text="x"):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_prune_removes_what_lambda_provides(tmp_path):
    for rel in ["boto3/__init__.py", "boto3-1.0.dist-info/RECORD", "botocore/data/x.json",
                "botocore-1.0.dist-info/RECORD", "s3transfer/__init__.py", "s3transfer-0.1.dist-info/RECORD",
                "bin/tool", "requests/__init__.py", "requests/__pycache__/x.pyc", "requests-2.0.dist-info/RECORD",
                "boto3_stubs/__init__.py", "six.py", "__pycache__/six.cpython-312.pyc", ".lock"]:
        _touch(tmp_path / rel)
    removed, caches = vendordir.prune(tmp_path)
    assert removed == ["bin/", "boto3/", "boto3-1.0.dist-info/", "botocore/", "botocore-1.0.dist-info/",
                       "s3transfer/", "s3transfer-0.1.dist-info/"]
    assert caches == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["boto3_stubs", "requests", "requests-2.0.dist-info", "six.py"]
    assert not (tmp_path / "requests" / "__pycache__").exists()


def test_prune_keep_boto3(tmp_path):
    for rel in ["boto3/__init__.py", "botocore-1.0.dist-info/RECORD", "bin/x"]:
        _touch(tmp_path / rel)
    removed, _ = vendordir.prune(tmp_path, keep_boto3=True)
    assert removed == ["bin/"]
    assert (tmp_path / "boto3").is_dir() and (tmp_path / "botocore-1.0.dist-info").is_dir()


PIP_OUTPUT = """Looking in links: /w
ERROR: Could not find a version that satisfies the requirement macpkg (from versions: none)
ERROR: No matching distribution found for macpkg
"""
UV_OUTPUT = """error: No solution found when resolving dependencies
  cause: Because macpkg==1.0 has no wheels with a matching platform tag (e.g., `manylinux_2_34_x86_64`) and only \
macpkg==1.0 is available, we can conclude that all versions of macpkg cannot be used.
"""


def test_missing_package_from_installer_output():
    assert installers.missing_package(PIP_OUTPUT) == "macpkg"
    assert installers.missing_package(UV_OUTPUT) == "macpkg"
    assert installers.missing_package("  cause: Because nosuch was not found in the provided package locations") == "nosuch"
    assert installers.missing_package("  cause: Because srconly==1.0 has no usable wheels and only srconly==1.0 is "
                                  "available, we can conclude") == "srconly"
    assert installers.missing_package("  cause: Because badzip==1.0 has an invalid package format and only badzip==1.0 "
                                  "is available, we can conclude") is None
    assert installers.missing_package("ERROR: something else") is None


def test_reported_installs():
    assert installers.reported_installs("Successfully installed natpkg-1.0 python-dateutil-2.9.0\n") == [
        "natpkg 1.0", "python-dateutil 2.9.0"]
    assert installers.reported_installs("Installed 2 packages\n + b==2.0\n + a==1.0\n - a==0.9\n") == ["a 1.0", "b 2.0"]


def test_vendor_dir_in_tight_yml_stays_inside_the_app(tmp_path):
    assert vendor.app_vendor_dir(tmp_path, "app/vendored") == tmp_path / "app" / "vendored"
    with pytest.raises(Exit):
        vendor.app_vendor_dir(tmp_path, "../elsewhere")


@pytest.mark.parametrize("where", ["root", "parent", "git"])
def test_dangerous_targets_are_refused(tmp_path, where):
    root = tmp_path / "svc"
    root.mkdir()
    target = {"root": root, "parent": tmp_path, "git": tmp_path / "repo"}[where]
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    with pytest.raises(Exit):
        vendordir.check_target(target, root)


def test_size_warning_near_and_over_the_unzipped_limit():
    assert vendordir.size_warning(5_000_000, "app/vendored") is None
    near = vendordir.size_warning(220_000_000, "app/vendored")
    assert "84%" in near and "262,144,000" in near
    over = vendordir.size_warning(300_000_000, "app/vendored")
    assert "over Lambda's 262,144,000-byte unzipped limit" in over


def test_stale_staging_dirs_are_removed_fresh_ones_kept(tmp_path):
    import os
    import time

    from tight_tasks._pip.vendordir import remove_stale_staging

    vendor = tmp_path / "vendored"
    vendor.mkdir()
    stale = tmp_path / ".vendored.tight-abc"
    stale_old = tmp_path / ".vendored.old-def"
    fresh = tmp_path / ".vendored.tight-new"
    other = tmp_path / ".other.tight-xyz"
    for path in (stale, stale_old, fresh, other):
        (path / "pkg").mkdir(parents=True)
    hour_ago = time.time() - 7200
    for path in (stale, stale_old, other):
        os.utime(path, (hour_ago, hour_ago))
    assert remove_stale_staging(vendor) == [".vendored.tight-abc", ".vendored.old-def"]
    assert not stale.exists() and not stale_old.exists()
    assert fresh.exists() and other.exists() and vendor.exists()


def test_requirement_names_follow_included_files(tmp_path):
    from tight_tasks._pip.requirements import requirement_names_in

    (tmp_path / "requirements-vendor.txt").write_text("flywheel\n-r base.txt\n-c pins.txt\n./wheels/x.whl\n")
    (tmp_path / "base.txt").write_text("Six==1.16\n--requirement=requirements-vendor.txt  # a loop\nflywheel\n")
    (tmp_path / "pins.txt").write_text("urllib3<2\n")
    assert requirement_names_in(tmp_path / "requirements-vendor.txt") == ["flywheel", "six"]
