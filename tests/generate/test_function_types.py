"""generate.function --type sqs|schedule|s3|dynamodb_stream: code, passing tests, the tight.yml entry."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml
from conftest import clean_env, run_tight

from tight.dev import routes
from tight_tasks.generate import function_types

USER_TIGHT_YML = """\
# my service's settings
provider: aws
name: my-service   # dasherized
vendor_dir: app/vendored
runtime: python3.12
functions:
  # the HTTP API
  api:
    memory: 512
architecture: x86_64
"""


@pytest.fixture(scope="module")
def typed_app(tmp_path_factory) -> Path:
    """An app with a model, a commented tight.yml and one function of every type."""
    parent = tmp_path_factory.mktemp("typed")
    assert run_tight("generate.app", "my_service", cwd=parent).returncode == 0
    root = parent / "my_service"
    (root / "tight.yml").write_text(USER_TIGHT_YML)
    outputs = {}
    for command in (["generate.model", "account"], ["generate.function", "api"],
                    ["generate.function", "orders", "--type", "sqs"],
                    ["generate.function", "nightly", "--type", "schedule"],
                    ["generate.function", "thumbnails", "--type", "s3"],
                    ["generate.function", "audit", "--type", "dynamodb_stream"]):
        result = run_tight(*command, cwd=root)
        assert result.returncode == 0, result.stdout + result.stderr
        outputs[command[1]] = result.stdout
    root.joinpath("outputs.json").write_text(json.dumps(outputs))
    return root


@pytest.mark.parametrize("name", ["orders", "nightly", "thumbnails", "audit"])
def test_each_type_generates_code_whose_tests_pass(typed_app, name):
    out = json.loads((typed_app / "outputs.json").read_text())[name]
    assert "2 passed" in out and out.strip().endswith("Successfully generated function and tests!")
    assert f"Recorded function {name} in tight.yml" in out
    for relative in (f"app/functions/{name}/handler.py", f"tests/functions/unit/{name}/test_unit_{name}.py",
                     f"tests/functions/integration/{name}/test_integration_{name}.py"):
        assert (typed_app / relative).is_file(), relative


def test_types_recorded_in_tight_yml_with_the_users_comments_kept(typed_app):
    text = (typed_app / "tight.yml").read_text()
    assert text.startswith(USER_TIGHT_YML.split("architecture")[0])  # nothing before the new entries moved
    assert "# my service's settings" in text and "# dasherized" in text and "# the HTTP API" in text
    assert text.rstrip().endswith("architecture: x86_64")
    config = yaml.safe_load(text)
    assert config["functions"] == {
        "api": {"memory": 512},
        "orders": {"type": "sqs", "batch_size": 10},
        "nightly": {"type": "schedule", "schedule": "rate(5 minutes)"},
        "thumbnails": {"type": "s3", "bucket": "thumbnails-uploads", "events": ["s3:ObjectCreated:*"],
                       "prefix": "uploads/"},
        "audit": {"type": "dynamodb_stream", "table": "Account", "batch_size": 100},
    }
    names = ["api", "audit", "nightly", "orders", "thumbnails"]
    settings = routes.function_settings(config, names)
    assert {name: s["type"] for name, s in settings.items()}["audit"] == "dynamodb_stream"
    assert [r.function for r in routes.routes(config, names)] == ["api", "api"]  # only HTTP gets routes


def test_the_whole_app_passes_and_app_index_routes_each_type(typed_app):
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=typed_app,
                            capture_output=True, text=True, env=clean_env(), timeout=120, check=False)
    assert result.returncode == 0, result.stdout
    assert "10 passed" in result.stdout
    probe = textwrap.dedent("""
        import json, app_index
        from tight.dev import sample_events
        try:
            app_index.thumbnails(sample_events.sqs("x"), None)
        except Exception as exc:
            wrong = type(exc).__name__
        print(json.dumps([app_index.orders(sample_events.sqs("x"), None), wrong]))
    """)
    out = subprocess.run([sys.executable, "-c", probe], cwd=typed_app, capture_output=True, text=True,
                         env=clean_env(NAME="my-service", STAGE="dev"), timeout=60, check=False)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.splitlines()[-1]) == [{"batchItemFailures": []}, "WrongEventType"]
    assert "message " in out.stdout  # the generated handler prints each message


def test_force_keeps_the_recorded_settings_and_other_types_are_refused(typed_app, tmp_path):
    typed_app = Path(shutil.copytree(typed_app, tmp_path / "my_service"))  # the module's app stays as generated
    yml = typed_app / "tight.yml"
    yml.write_text(yml.read_text().replace("rate(5 minutes)", "rate(1 hour)  # hourly"))
    before = yml.read_text()
    again = run_tight("generate.function", "nightly", "--type", "schedule", "--force", cwd=typed_app)
    assert again.returncode == 0, again.stderr
    assert yml.read_text() == before
    other = run_tight("generate.function", "nightly2", "--type", "sqs", cwd=typed_app)
    assert other.returncode == 0
    yml.write_text(before)  # drop nightly2's entry
    clash = run_tight("generate.function", "orders", "--type", "s3", "--force", cwd=typed_app)
    assert clash.returncode == 1
    assert "already configures function orders as type sqs" in clash.stderr and "Traceback" not in clash.stderr
    assert "sqs_event" in (typed_app / "app/functions/orders/handler.py").read_text()


def test_stream_table_choice(tmp_path):
    assert run_tight("generate.app", "svc", cwd=tmp_path).returncode == 0
    root = tmp_path / "svc"
    none = run_tight("generate.function", "audit", "--type", "dynamodb_stream", cwd=root)
    assert none.returncode == 2 and "no model" in none.stderr
    for model in ("account", "user_profile"):
        assert run_tight("generate.model", model, cwd=root).returncode == 0
    two = run_tight("generate.function", "audit", "--type", "dynamodb_stream", cwd=root)
    assert two.returncode == 2 and "--table Account or --table UserProfile" in two.stderr
    unknown = run_tight("generate.function", "audit", "--type", "dynamodb_stream", "--table", "order", cwd=root)
    assert unknown.returncode == 2 and "not a model" in unknown.stderr
    misplaced = run_tight("generate.function", "jobs", "--type", "sqs", "--table", "account", cwd=root)
    assert misplaced.returncode == 2 and "--type dynamodb_stream only" in misplaced.stderr
    assert not (root / "app/functions/audit").exists() and not (root / "app/functions/jobs").exists()
    assert "functions" not in yaml.safe_load((root / "tight.yml").read_text())


# -- the text edit, pure ----------------------------------------------------------------

ENTRY = {"type": "schedule", "schedule": "rate(5 minutes)"}


@pytest.mark.parametrize(("text", "expected"), [
    ("name: a\n", "name: a\n\nfunctions:\n  tick:\n    type: schedule\n    schedule: rate(5 minutes)\n"),
    ("name: a", "name: a\n\nfunctions:\n  tick:\n    type: schedule\n    schedule: rate(5 minutes)\n"),
    ("", "functions:\n  tick:\n    type: schedule\n    schedule: rate(5 minutes)\n"),
    ("functions: {}  # none yet\nname: a\n",
     "functions:  # none yet\n  tick:\n    type: schedule\n    schedule: rate(5 minutes)\nname: a\n"),
    ("functions:\n    api:\n        memory: 512\n\n# trailing\nname: a\n",
     ("functions:\n    api:\n        memory: 512\n    tick:\n        type: schedule\n"
      "        schedule: rate(5 minutes)\n\n# trailing\nname: a\n")),
])
def test_add_entry_keeps_everything_else(text, expected):
    new = function_types.add_entry(text, "tick", ENTRY)
    assert new == expected
    assert yaml.safe_load(new)["functions"]["tick"] == ENTRY


def test_flow_style_section_refused():
    with pytest.raises(ValueError, match="flow style"):
        function_types.add_entry("functions: {api: {memory: 512}}\n", "tick", ENTRY)


def test_hostile_tight_yml_is_refused_unchanged(tmp_path):
    assert run_tight("generate.app", "svc", cwd=tmp_path).returncode == 0
    root = tmp_path / "svc"
    yml = root / "tight.yml"
    for text, message in (("name: svc\nfunctions: {api: {memory: 512}}\n", "flow style"),
                          ("name: svc\nfunctions: [a, b]\n", "must be a mapping"),
                          ("name: !!python/object:os.system x\n", "could not determine a constructor")):
        yml.write_text(text)
        result = run_tight("generate.function", "jobs", "--type", "sqs", cwd=root)
        assert result.returncode == 1 and message in result.stderr, result.stderr
        assert yml.read_text() == text
        assert not (root / "app/functions/jobs").exists()


@pytest.mark.parametrize("name", ["null", "on", "yes", "true", "off"])
def test_names_yaml_would_misread_are_quoted(name):
    new = function_types.add_entry("name: a\nfunctions:\n  api:\n    memory: 512\n", name, ENTRY)
    assert yaml.safe_load(new)["functions"] == {"api": {"memory": 512}, name: ENTRY}


def test_windows_line_ends_are_kept():
    new = function_types.add_entry("name: a\r\nfunctions:\r\n  api:\r\n    memory: 512\r\n", "tick", ENTRY)
    assert "\n" not in new.replace("\r\n", "")
    assert yaml.safe_load(new)["functions"]["tick"] == ENTRY


def test_generating_a_function_named_null(tmp_path):
    assert run_tight("generate.app", "svc", cwd=tmp_path).returncode == 0
    root = tmp_path / "svc"
    result = run_tight("generate.function", "null", "--type", "schedule", cwd=root)
    assert result.returncode == 0, result.stdout + result.stderr
    assert yaml.safe_load((root / "tight.yml").read_text())["functions"] == {
        "null": {"type": "schedule", "schedule": "rate(5 minutes)"}}


def test_an_unknown_type_lists_the_types_as_a_sentence(typed_app):
    result = run_tight("generate.function", "q", "--type", "kafka", cwd=typed_app)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == ("Unsupported function type 'kafka': use --type lambda_proxy, sqs, schedule, s3, "
                             "dynamodb_stream or authorizer.\n")
    assert not (typed_app / "app" / "functions" / "q").exists()
    provider = run_tight("generate.app", "x", "--provider", "gcp", cwd=typed_app)
    assert provider.stderr == "Unsupported provider 'gcp': use --provider aws.\n"
