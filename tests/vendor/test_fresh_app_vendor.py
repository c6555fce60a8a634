"""pip.install into the app/vendored of an app generate.app just made (it holds only an empty .gitkeep)."""
from __future__ import annotations

import vendor_fixtures
from conftest import run_tight

wheelhouse, env, install = vendor_fixtures.wheelhouse, vendor_fixtures.env, vendor_fixtures.install


def test_a_generated_apps_vendor_dir_is_filled_and_keeps_its_gitkeep(tmp_path, install, env):
    made = run_tight("generate.app", "svc", cwd=tmp_path, env=env)
    assert made.returncode == 0, made.stderr
    root = tmp_path / "svc"
    vendored = root / "app" / "vendored"
    assert sorted(p.name for p in vendored.iterdir()) == [".gitkeep"]
    (root / "requirements-vendor.txt").write_text("")  # offline: only the wheelhouse's packages
    result = install(root, "purepkg")
    assert result.returncode == 0, result.stderr
    assert (vendored / "purepkg" / "__init__.py").is_file() and (vendored / ".tight-platform").is_file()
    assert (vendored / ".gitkeep").read_bytes() == b"", "the placeholder git tracks is still there"
    assert not [p.name for p in (root / "app").iterdir() if p.name.startswith(".")], "no staging left"
