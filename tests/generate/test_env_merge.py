"""env merging as pure functions: env.dist.yml < env.yml < shell, plus NAME."""
import os
import re

import pytest
from conftest import billion_laughs

from tight.dev import env


@pytest.mark.parametrize("text, value", [
    ("true", True), ("false", False), ("TRUE", True), ("False", False), ("3", 3), ("0", 0), ("-7", -7),
    ("42", 42),
    # everything else is the exact string (YAML 1.1 would give 83, 750, True, 1.5, None, ...)
    ("0123", "0123"), ("12:30", "12:30"), ("on", "on"), ("yes", "yes"), ("no", "no"), ("1.5", "1.5"),
    ("-0", "-0"), ("+5", "+5"), ("0x1f", "0x1f"), ("1_000", "1_000"), ("1e3", "1e3"), (" 42", " 42"),
    ("~", "~"), ("null", "null"), ("", ""), ("2024-01-01", "2024-01-01"), ("٤٢", "٤٢"), ("dev", "dev"),
    ("[a, b]", "[a, b]"), ("{x: 1}", "{x: 1}"), ("a: b: c", "a: b: c"), ("!!python/object:os.system", "!!python/object:os.system"),
    ("9" * 5000, "9" * 5000),
])
def test_shell_values_are_strings_except_booleans_and_plain_integers(text, value):
    parsed = env.parse_scalar(text)
    assert parsed == value and type(parsed) is type(value)


def test_merge_env_takes_dist_keys_overridden_by_shell_plus_name():
    merged = env.merge_env({"STAGE": "dev", "CI": False}, {"CI": "true", "HOME": "/root"}, "my-service")
    assert merged == {"CI": True, "NAME": "my-service", "STAGE": "dev"}
    assert list(merged) == sorted(merged)


def test_app_env_precedence(tmp_path):
    (tmp_path / "tight.yml").write_text("name: svc\n")
    (tmp_path / "env.dist.yml").write_text("STAGE: dev\nCI: false\nREGION: eu\n")
    (tmp_path / "env.yml").write_text("STAGE: qa\n")
    assert env.app_env(tmp_path, shell={"REGION": "us"}) == {"CI": False, "NAME": "svc", "REGION": "us",
                                                             "STAGE": "qa"}


def test_apply_env_never_overrides_the_shell(tmp_path, monkeypatch):
    (tmp_path / "env.dist.yml").write_text("TIGHT_T_A: one\nTIGHT_T_B: true\n")
    monkeypatch.setenv("TIGHT_T_A", "mine")
    monkeypatch.delenv("TIGHT_T_B", raising=False)
    added = env.apply_env(tmp_path)
    assert added == {"TIGHT_T_B": "true"}
    assert os.environ["TIGHT_T_A"] == "mine"
    monkeypatch.delenv("TIGHT_T_B")


def test_malformed_and_non_mapping_files_name_file_and_line(tmp_path):
    bad = tmp_path / "env.dist.yml"
    bad.write_text("A: 1\nB: [x\n")
    with pytest.raises(env.EnvFileError, match=r"env\.dist\.yml: line \d"):
        env.read_mapping(bad)
    bad.write_text("- just\n- a list\n")
    with pytest.raises(env.EnvFileError, match="expected a mapping"):
        env.read_mapping(bad)
    assert env.read_mapping(tmp_path / "missing.yml") == {}


def test_config_file_found_from_a_file_or_subdirectory(tmp_path):
    (tmp_path / "tight.yaml").write_text("name: x\n")
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    (deep / "f.py").write_text("")
    assert env.find_config_file(deep) == tmp_path / "tight.yaml"
    assert env.find_config_file(deep / "f.py") == tmp_path / "tight.yaml"


@pytest.mark.parametrize("text, message", [
    ("A: [1]\n", "A is a list"), ("A: {b: 1}\n", "A is a mapping"), ("A: !!binary aGk=\n", "A is binary data"),
    ("A: !!set {x}\n", "A is a set"), ('"A=B": 1\n', "'A=B' cannot be"), ('"": 1\n', "'' cannot be"),
    ('A: "a\\0b"\n', "NUL"), ("A: " + "x" * (env.MAX_VALUE_BYTES + 1) + "\n", "longer than"),
])
def test_env_files_hold_only_what_an_environment_can(tmp_path, text, message):
    path = tmp_path / "env.yml"
    path.write_text(text)
    with pytest.raises(env.EnvFileError, match=re.escape(message)):
        env.read_env_file(path)


def test_env_file_scalars_pass(tmp_path):
    path = tmp_path / "env.yml"
    path.write_text("A: text\nB: 3\nC: 1.5\nD: true\nE:\nF: 2024-01-01\nG: " + "x" * env.MAX_VALUE_BYTES + "\n")
    assert set(env.read_env_file(path)) == set("ABCDEFG")


def test_non_utf8_file_names_file_and_offset(tmp_path):
    path = tmp_path / "env.yml"
    path.write_bytes(b"A: caf\xe9\n")
    with pytest.raises(env.EnvFileError, match=r"env\.yml is not UTF-8 text \(byte 0xe9 at offset 6\)"):
        env.read_mapping(path)


def test_aliases_that_expand_past_the_limit_are_refused(tmp_path):
    path = tmp_path / "tight.yml"
    path.write_text(billion_laughs())
    with pytest.raises(env.EnvFileError, match="expand to more than 100,000 values"):
        env.load_yaml(path)
    path.write_text("base: &base {port: 8000}\ndynamo: *base\nlocal: *base\nloop: &l [*l]\n")
    assert env.load_yaml(path)["local"] == {"port": 8000}


def test_values_nested_too_deeply_are_refused(tmp_path):
    path = tmp_path / "env.dist.yml"
    path.write_text("A: " + "[" * 5000 + "]" * 5000 + "\n")
    with pytest.raises(env.EnvFileError, match="nested too deeply"):
        env.load_yaml(path)
