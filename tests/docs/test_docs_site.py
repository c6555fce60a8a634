"""The documentation site builds with `mkdocs build --strict`: a link to a missing page or heading fails."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest
from conftest import REPO


def test_mkdocs_build_strict(tmp_path):
    pytest.importorskip("mkdocs", reason="mkdocs is in the docs extra: pip install -e '.[test,docs]'")
    pytest.importorskip("material", reason="mkdocs-material is in the docs extra")
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
                            cwd=REPO, capture_output=True, text=True, timeout=300, check=False,
                            env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert result.returncode == 0, result.stdout + result.stderr
    for page in ("getting-started", "local", "deploy", "troubleshooting", "contributing"):
        assert (tmp_path / "site" / page / "index.html").is_file()


def test_a_broken_link_fails_the_build(tmp_path):
    """The check itself: a page linking to a heading that does not exist fails --strict."""
    pytest.importorskip("mkdocs", reason="mkdocs is in the docs extra")
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "index.md").write_text("# Home\n\nSee [there](other.md#no-such-heading).\n")
    (docs / "other.md").write_text("# Other\n")
    config = (REPO / "mkdocs.yml").read_text().split("\nnav:")[0] + "\n" + \
        (REPO / "mkdocs.yml").read_text().split("\nvalidation:", 1)[1].join(["validation:", ""])
    (tmp_path / "mkdocs.yml").write_text(config)
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=300, check=False,
                            env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert result.returncode == 1
    assert "no-such-heading" in result.stdout + result.stderr
