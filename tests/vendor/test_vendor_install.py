"""`tight pip.install` end to end, offline: tiny wheels in a local wheelhouse, both installers."""
from __future__ import annotations

import runpy
import shutil
from pathlib import Path

import pytest
import vendor_fixtures
from conftest import REPO, run_tight
from vendor_fixtures import INSTALLERS, snapshot, uv_usable

# The shared fixtures, by name for pytest.
wheelhouse, env, make_app, install = (vendor_fixtures.wheelhouse, vendor_fixtures.env, vendor_fixtures.make_app,
                                      vendor_fixtures.install)

def module_tag(vendored: Path, name: str) -> str:
    namespace = runpy.run_path(str(vendored / name / "__init__.py"))
    return f"{namespace['VERSION']} {namespace['TAG']}"


@pytest.mark.parametrize("installer", INSTALLERS)
@pytest.mark.parametrize("runtime, arch, natpkg, glibcpkg", [
    ("python3.11", "x86_64", "cp311-cp311-manylinux_2_17_x86_64", "1.0 cp310-abi3-manylinux_2_17_x86_64"),
    ("python3.12", "arm64", "cp312-cp312-manylinux_2_17_aarch64", "2.0 cp310-abi3-manylinux_2_28_aarch64"),
    ("python3.13", "x86_64", "cp313-cp313-manylinux_2_17_x86_64", "2.0 cp310-abi3-manylinux_2_28_x86_64"),
])
def test_wheels_are_chosen_for_the_lambda_platform(make_app, install, installer, runtime, arch, natpkg, glibcpkg):
    root = make_app(runtime, arch)
    result = install(root, "natpkg", "glibcpkg", installer=installer)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"with {installer}" in result.stdout
    vendored = root / "app" / "vendored"
    assert module_tag(vendored, "natpkg").startswith(f"1.0 {natpkg}.")
    assert module_tag(vendored, "glibcpkg").startswith(glibcpkg)
    expected_arch = "aarch64" if arch == "arm64" else arch
    assert (vendored / ".tight-platform").read_text() == f"{runtime} {expected_arch}\n"


def test_command_line_overrides_tight_yml_platform(make_app, install):
    root = make_app("python3.12", "x86_64")
    result = install(root, "natpkg", "--runtime", "python3.10", "--architecture", "arm64")
    assert result.returncode == 0, result.stderr
    assert "cp310-cp310-manylinux_2_17_aarch64" in module_tag(root / "app" / "vendored", "natpkg")


@pytest.mark.parametrize("installer", INSTALLERS)
def test_no_compatible_wheel_names_package_and_platform(make_app, install, installer):
    root = make_app(requirements="purepkg\n")
    assert install(root, "--requirements", installer=installer).returncode == 0
    vendored = root / "app" / "vendored"
    before = snapshot(vendored)
    for package in ("macpkg", "needsmac"):  # directly and as a dependency
        result = install(root, package, installer=installer)
        assert result.returncode == 1
        last = result.stderr.strip().splitlines()[-1]
        assert last.startswith("No compatible wheel of macpkg for Lambda python3.12 x86_64"), last
        assert "unchanged" in last and "Traceback" not in result.stderr
        assert len(result.stderr.strip().splitlines()) > 1, "the installer's own output is shown"
        assert snapshot(vendored) == before
        assert (root / "requirements-vendor.txt").read_text() == "purepkg\n"
    assert sorted(p.name for p in (root / "app").iterdir()) == ["vendored"], "no staging dir left behind"


@pytest.mark.parametrize("installer", INSTALLERS)
def test_named_packages_are_installed_and_appended(make_app, install, installer):
    root = make_app(requirements="# shipped to Lambda\nPurePkg>=0.5")
    result = install(root, "purepkg", "natpkg", "glibcpkg==1.0", installer=installer)  # bare words, like the CLI
    assert result.returncode == 0, result.stderr
    assert (root / "requirements-vendor.txt").read_text() == "# shipped to Lambda\nPurePkg>=0.5\nnatpkg\nglibcpkg==1.0"
    assert "Added to requirements-vendor.txt: natpkg, glibcpkg==1.0" in result.stdout
    vendored = root / "app" / "vendored"
    assert {"purepkg", "natpkg", "glibcpkg", "tight"} <= {p.name for p in vendored.iterdir()}

    # Adding one more keeps what is there and appends only the new name.
    result = install(root, "solo", "NATPKG", installer=installer)
    assert result.returncode == 0, result.stderr
    assert {"purepkg", "natpkg", "glibcpkg", "solo"} <= {p.name for p in vendored.iterdir()}
    assert (root / "requirements-vendor.txt").read_text().endswith("glibcpkg==1.0\nsolo")


def test_requirements_file_is_created_when_missing(make_app, install):
    root = make_app()
    assert install(root, "purepkg").returncode == 0
    assert (root / "requirements-vendor.txt").read_text() == "purepkg\n"


@pytest.mark.parametrize("installer", INSTALLERS)
def test_boto3_is_pruned_and_runtime_copied(make_app, install, installer):
    root = make_app()
    result = install(root, "usesboto", installer=installer)
    assert result.returncode == 0, result.stderr
    vendored = root / "app" / "vendored"
    names = {p.name for p in vendored.iterdir()}
    assert "usesboto" in names
    assert not {n for n in names if n.split("-")[0] in ("boto3", "botocore", "s3transfer")}, names
    assert "bin" not in names and not list(vendored.rglob("__pycache__"))
    assert "Removed (provided by the Lambda runtime): boto3/, boto3-1.99.0.dist-info/, botocore/" in result.stdout
    source = REPO / "tight"
    shipped = {p.relative_to(source).as_posix() for p in source.rglob("*.py") if "__pycache__" not in p.parts
               and (p.parent == source or p.relative_to(source).parts[0] == "providers")}
    copied = {p.relative_to(vendored / "tight").as_posix() for p in (vendored / "tight").rglob("*.py")}
    assert shipped == copied and "providers/aws/lambda_app/app.py" in copied
    assert not any(name.startswith(("core/", "dev/")) for name in copied)  # development-only code stays home
    assert "app/vendored:" in result.stdout and " in " in result.stdout  # the size line

    result = install(root, "usesboto", "--keep-boto3", installer=installer)
    assert result.returncode == 0, result.stderr
    assert {"boto3", "botocore", "s3transfer"} <= {p.name for p in vendored.iterdir()}


@pytest.mark.parametrize("installer", INSTALLERS)
def test_failing_install_changes_nothing(make_app, install, installer):
    root = make_app(requirements="purepkg\n")
    assert install(root, "--requirements", installer=installer).returncode == 0
    vendored = root / "app" / "vendored"
    (vendored / "NOTES.txt").write_text("mine\n")
    before = snapshot(vendored)
    result = install(root, "badzip", installer=installer)
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert f"{installer} install failed" in last and "unchanged" in last
    assert snapshot(vendored) == before
    assert (root / "requirements-vendor.txt").read_text() == "purepkg\n"
    assert sorted(p.name for p in (root / "app").iterdir()) == ["vendored"]


def test_requirements_rebuilds_and_platform_change_needs_rebuild(make_app, install):
    root = make_app(requirements="purepkg\n")
    vendored = root / "app" / "vendored"
    assert install(root, "--requirements").returncode == 0
    (root / "requirements-vendor.txt").write_text("natpkg\n")  # the user swapped a dependency
    result = install(root, "--requirements")
    assert result.returncode == 0, result.stderr
    names = {p.name for p in vendored.iterdir()}
    assert "natpkg" in names and "purepkg" not in names, "the vendor dir is rebuilt from the file"
    assert (root / "requirements-vendor.txt").read_text() == "natpkg\n"

    # Naming a package for another platform rebuilds everything for it: one resolution, one platform.
    result = install(root, "solo", "--architecture", "arm64")
    assert result.returncode == 0, result.stderr
    assert "aarch64" in module_tag(vendored, "natpkg") and (vendored / "solo").is_dir()
    assert (vendored / ".tight-platform").read_text() == "python3.12 aarch64\n"


@pytest.mark.skipif(not uv_usable(), reason="uv is not installed")
def test_auto_prefers_uv(make_app, install):
    root = make_app()
    result = install(root, "purepkg", installer="auto")
    assert result.returncode == 0, result.stderr
    assert "with uv..." in result.stdout


def test_requirements_without_file_is_one_line(make_app, install):
    root = make_app()
    result = install(root, "--requirements")
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "requirements-vendor.txt not found: create it, pass --requirements-file, or name packages.")
    assert not (root / "app" / "vendored").exists()


def test_requirements_file_and_target_relative_to_cwd(make_app, install):
    root = make_app()
    sub = root / "deploy"
    sub.mkdir()
    (sub / "reqs.txt").write_text("solo\n")
    result = install(root, "--requirements", "--requirements-file", "reqs.txt", "--target", "out", cwd=sub)
    assert result.returncode == 0, result.stderr
    assert (sub / "out" / "solo" / "__init__.py").is_file()
    assert not (root / "app" / "vendored").exists()


def test_index_options_from_tight_yml(make_app, wheelhouse, env):
    root = make_app()
    shutil.copytree(wheelhouse, root / "wheels")
    with open(root / "tight.yml", "a") as handle:
        handle.write("pip:\n  find_links: wheels\n  no_index: true\n  installer: pip\n")
    result = run_tight("pip.install", "solo", cwd=root / "app", env=env)
    assert result.returncode == 0, result.stderr
    assert "with pip" in result.stdout
    assert (root / "app" / "vendored" / "solo" / "__init__.py").is_file()
