"""generate.artifact builds only what runs where it runs, and never ships secrets."""
from __future__ import annotations

import ctypes
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import test_artifact_build
from conftest import clean_env, run_tight
from test_artifact_build import write

app = test_artifact_build.app
HINT = "run `tight pip.install --requirements --runtime {} --architecture {}`; no zip written."


def refused(root: Path, *args: str) -> str:
    result = run_tight("generate.artifact", *args, cwd=root)
    assert result.returncode != 0, result.stdout
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr, result.stderr
    assert not (root / "builds" / "my-service.zip").exists()
    assert sorted(p.name for p in (root / "builds").iterdir()) == ["old.zip"], "no temp file left"
    return result.stderr.strip()


def names(root: Path) -> list[str]:
    with zipfile.ZipFile(root / "builds" / "my-service.zip") as zf:
        return zf.namelist()


def test_a_requirement_that_is_not_vendored_is_refused(app):
    write(app / "requirements-vendor.txt", "somepkg\nflywheel>=0.5  # models\n")
    assert refused(app) == ("requirements-vendor.txt lists flywheel, not vendored in app/vendored: "
                            + HINT.format("python3.12", "x86_64"))
    write(app / "requirements-vendor.txt", "-r shared.txt\n")  # an included file counts too
    write(app / "shared.txt", "somepkg\ndynamo3\n")
    assert refused(app).startswith("requirements-vendor.txt lists dynamo3, not vendored")


def test_a_fresh_app_with_nothing_vendored_is_refused(app):
    import shutil

    shutil.rmtree(app / "app" / "vendored")
    message = refused(app)
    assert message.startswith("requirements-vendor.txt lists somepkg, not vendored in app/vendored")


@pytest.mark.parametrize("marker, runtime, arch, expected", [
    ("python3.12 x86_64", "python3.13", "arm64", ("app/vendored was built for python3.12 x86_64, but tight.yml says "
                                                 "python3.13 aarch64: ")),
    ("python3.11 aarch64", "python3.12", "x86_64", ("app/vendored was built for python3.11 aarch64, but tight.yml says "
                                                   "python3.12 x86_64: ")),
    (None, "python3.12", "x86_64", ("app/vendored holds packages of an unknown platform (no "
                                   "app/vendored/.tight-platform): ")),
])
def test_a_vendor_dir_for_another_platform_is_refused(app, marker, runtime, arch, expected):
    (app / "tight.yml").write_text(f"name: my-service\nruntime: {runtime}\narchitecture: {arch}\n")
    if marker is None:
        (app / "app/vendored/.tight-platform").unlink()
    else:
        write(app / "app/vendored/.tight-platform", marker + "\n")
    assert refused(app) == expected + HINT.format(runtime, arch)


@pytest.mark.parametrize("key, value", [("runtime", "python2.7"), ("runtime", "python3.99"),
                                        ("architecture", "sparc")])
def test_an_unknown_platform_in_tight_yml_is_refused(app, key, value):
    with open(app / "tight.yml", "a") as handle:
        handle.write(f"{key}: {value}\n")
    assert refused(app).startswith(f"Unsupported {key} {value!r}")


def _without_root_powers() -> None:
    """In the child: drop the capabilities that let root read any directory (no-op for other users)."""
    if os.geteuid() == 0:
        libc = ctypes.CDLL(None, use_errno=True)
        for capability in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
            if libc.prctl(24, capability, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
                raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def test_an_unreadable_directory_is_refused_with_its_path(app):
    locked = app / "app" / "functions" / "locked"
    write(locked / "handler.py", "def handler(e, c): ...\n")
    locked.chmod(0)
    try:
        result = subprocess.run([sys.executable, "-m", "tight_tasks", "generate.artifact"], cwd=app,
                                capture_output=True, text=True, env=clean_env(), timeout=120, check=False,
                                preexec_fn=_without_root_powers)
    finally:
        locked.chmod(0o755)
    assert result.returncode == 1
    assert result.stderr.strip() == (f"Cannot read {locked}: Permission denied; fix its permissions or move it out "
                                     "of app/ (no zip written).")
    assert not (app / "builds" / "my-service.zip").exists()


SECRETS = ["app/.env", "app/.env.production", "app/.aws/credentials", "app/functions/id_rsa",
           "app/functions/id_ed25519.pub", "app/certs/server.pem", "app/.npmrc", "app/.pypirc", "app/.netrc",
           "app/env.yml", "app/vendored/somepkg/.env"]


def test_secret_files_are_left_out_and_named(app):
    for rel in SECRETS:
        write(app / rel, "secret\n")
    write(app / "app/vendored/certifi/cacert.pem", "a CA bundle\n")  # package data, not a secret
    write(app / "app/vendored/certifi-2024.1.dist-info/METADATA", "Name: certifi\n")
    write(app / ".aws/config", "[default]\n")
    (app / "app/settings.yml").symlink_to(app / "env.yml")  # excluded by its target, not its name
    (app / "app/aws").symlink_to(app / ".aws", target_is_directory=True)
    (app / "app/config.yml").symlink_to(app / "app/.env")
    result = run_tight("generate.artifact", cwd=app)
    assert result.returncode == 0, result.stderr
    shipped = names(app)
    assert not set(SECRETS) & set(shipped)
    assert not {"app/settings.yml", "app/aws/config", "app/config.yml"} & set(shipped)
    assert "app/vendored/certifi/cacert.pem" in shipped
    line = next(x for x in result.stdout.splitlines() if x.startswith("Left out (they look like secrets): "))
    listed = line.split(": ", 1)[1].split(", ")
    assert sorted(listed) == sorted([*SECRETS, "app/settings.yml", "app/aws/config", "app/config.yml"])


def test_include_env_ships_env_yml_and_its_values(app):
    result = run_tight("generate.artifact", "--include-env", cwd=app)
    assert result.returncode == 0, result.stderr
    assert "env.yml" in names(app)
    with zipfile.ZipFile(app / "builds" / "my-service.zip") as zf:
        assert json.loads(zf.read("tight_env.json")) == {"NAME": "my-service", "STAGE": "dev", "SECRET": "s3cr3t"}


def test_a_directory_link_out_of_the_app_is_refused(app, tmp_path):
    write(tmp_path / "elsewhere" / "lib.py", "X = 1\n")
    (app / "app" / "lib").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    assert "links outside the app" in refused(app)


def test_tight_env_json_holds_env_dist_values_for_the_lambda_runtime(app):
    write(app / "env.dist.yml", "STAGE: dev\nDEBUG: true\nPORT: 8080\nDAY: 2024-01-31\nEMPTY:\nNAME: custom\n")
    result = run_tight("generate.artifact", cwd=app)
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(app / "builds" / "my-service.zip") as zf:
        raw = zf.read("tight_env.json")
        info = zf.getinfo("tight_env.json")
    assert json.loads(raw) == {"NAME": "custom", "STAGE": "dev", "DEBUG": True, "PORT": 8080, "DAY": "2024-01-31",
                               "EMPTY": None}
    assert "SECRET" not in raw.decode() and info.external_attr >> 16 == 0o100644
    first = (app / "builds" / "my-service.zip").read_bytes()
    assert run_tight("generate.artifact", cwd=app).returncode == 0
    assert (app / "builds" / "my-service.zip").read_bytes() == first
