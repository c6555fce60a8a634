"""tight.providers.aws.lambda_app.environment: the packaged env, applied for missing keys only."""
from __future__ import annotations

import sys

import pytest

from tight.providers.aws.lambda_app import environment


def test_json_wins_over_yaml_and_values_are_strings(tmp_path, monkeypatch):
    (tmp_path / "tight_env.json").write_text('{"A": true, "B": 3, "C": null, "D": "x"}')
    (tmp_path / "env.dist.yml").write_text("A: from-yaml\nE: 1\n")
    for key in "ABCDE":
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("D", "shell")
    assert environment.apply(tmp_path) == {"A": "true", "B": "3", "C": ""}
    assert "E" not in environment.packaged_values(tmp_path)


def test_yaml_files_without_pyyaml_give_nothing(tmp_path, monkeypatch):
    (tmp_path / "env.dist.yml").write_text("STAGE: dev\n")
    (tmp_path / "tight.yml").write_text("name: svc\n")
    assert environment.packaged_values(tmp_path) == {"NAME": "svc", "STAGE": "dev"}
    monkeypatch.setitem(sys.modules, "yaml", None)  # as on Lambda: no PyYAML
    assert environment.packaged_values(tmp_path) == {}


@pytest.mark.parametrize("text", ["[1, 2]", "{not json", "\udcff"])
def test_a_broken_packaged_env_names_the_file(tmp_path, text):
    (tmp_path / "tight_env.json").write_text(text, errors="surrogateescape")
    with pytest.raises(environment.EnvironmentFileError, match="tight_env.json"):
        environment.apply(tmp_path)


def test_yaml_tags_are_refused(tmp_path):
    (tmp_path / "env.dist.yml").write_text("A: !!python/object/apply:os.system ['echo hacked']\n")
    with pytest.raises(environment.EnvironmentFileError, match="env.dist.yml"):
        environment.packaged_values(tmp_path)
