"""deploy.template against a careless or hostile tight.yml and --output: one line, exit 1, nothing written."""
from __future__ import annotations

import shutil

import pytest
from conftest import run_tight


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    base = tmp_path_factory.mktemp("hostile-template")
    assert run_tight("generate.app", "shop", cwd=base).returncode == 0
    app = base / "shop"
    for args in (("generate.function", "hello"), ("generate.model", "account")):
        result = run_tight(*args, cwd=app)
        assert result.returncode == 0, result.stderr
    return app


@pytest.fixture
def app(generated, tmp_path):
    copy = tmp_path / "shop"
    shutil.copytree(generated, copy)
    return copy


def refused(result, *words):
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr
    for word in words:
        assert word in result.stderr, result.stderr


def test_output_never_replaces_a_file_tight_did_not_write(app):
    settings = (app / "tight.yml").read_text()
    refused(run_tight("deploy.template", "--output", "tight.yml", cwd=app), "tight.yml", "not a template")
    assert (app / "tight.yml").read_text() == settings  # was replaced by the template, exit 0
    handler = app / "app" / "functions" / "hello" / "handler.py"
    code = handler.read_text()
    refused(run_tight("deploy.template", "--output", str(handler), cwd=app), "not a template")
    assert handler.read_text() == code
    (app / "link.yml").symlink_to(app / "env.dist.yml")
    env = (app / "env.dist.yml").read_text()
    refused(run_tight("deploy.template", "--output", "link.yml", cwd=app), "link.yml")
    assert (app / "env.dist.yml").read_text() == env and (app / "link.yml").is_symlink()


def test_output_replaces_its_own_template(app):
    for _ in range(2):
        result = run_tight("deploy.template", "--output", "t.yml", cwd=app)
        assert result.returncode == 0, result.stderr
        result = run_tight("deploy.template", cwd=app)
        assert result.returncode == 0, result.stderr
    assert (app / "t.yml").read_text().startswith("AWSTemplateFormatVersion")


@pytest.mark.parametrize("section, kind", [("[hello]", "list"), ("hello", "str"), ("5", "int")])
def test_a_functions_section_that_is_not_a_mapping(app, section, kind):
    with (app / "tight.yml").open("a") as handle:
        handle.write(f"functions: {section}\n")  # was silently ignored: the defaults were deployed
    refused(run_tight("deploy.template", "--output", "t.yml", cwd=app), "functions must be a mapping", kind)
    assert not (app / "t.yml").exists()


@pytest.mark.parametrize("expression, words", [
    ("rate(banana)", ["whole number"]), ("rate(0 minutes)", ["whole number"]),
    ("rate(1 minutes)", ["singular"]), ("rate(5 hour)", ["plural"]),
    ("cron(* * * * * * * *)", ["six cron fields"]), ("cron(0 3 * * * *)", ["exactly one"]),
    ("cron(0 3 ? * ? *)", ["exactly one"]), ("cron(0 3 * * ? *; rm -rf /)", ["six cron fields"]),
    ("every day", ["rate(...) or cron(...)"]),
])
def test_schedules_eventbridge_rejects_are_refused_before_any_stack(app, expression, words):
    (app / "app" / "functions" / "tick").mkdir()
    (app / "app" / "functions" / "tick" / "handler.py").write_text("")
    with (app / "tight.yml").open("a") as handle:
        handle.write(f"functions:\n  tick:\n    type: schedule\n    schedule: '{expression}'\n")
    refused(run_tight("deploy.template", "--output", "t.yml", cwd=app), "'tick'", expression, *words)
    assert not (app / "t.yml").exists()


@pytest.mark.parametrize("expression", ["rate(1 minute)", "rate(12 hours)", "cron(0/15 8-17 ? * MON-FRI *)",
                                        "cron(0 10 ? * 6#3 *)", "cron(0 0 L * ? 2030)"])
def test_valid_schedules_pass(app, expression):
    (app / "app" / "functions" / "tick").mkdir()
    (app / "app" / "functions" / "tick" / "handler.py").write_text("")
    with (app / "tight.yml").open("a") as handle:
        handle.write(f"functions:\n  tick:\n    type: schedule\n    schedule: '{expression}'\n")
    result = run_tight("deploy.template", "--output", "-", cwd=app)
    assert result.returncode == 0, result.stderr
    assert f"ScheduleExpression: {expression}" in result.stdout


def add_function(app, name: str, entry: str) -> None:
    (app / "app" / "functions" / name).mkdir()
    (app / "app" / "functions" / name / "handler.py").write_text("")
    with (app / "tight.yml").open("a") as handle:
        handle.write(f"functions:\n  {name}: {entry}\n")


@pytest.mark.parametrize("entry, words", [
    ("{type: s3}", ["type s3 needs bucket"]),  # a KeyError traceback before
    ("{type: schedule}", ["type schedule needs schedule"]),
    ("{type: dynamodb_stream}", ["type dynamodb_stream needs table"]),
    ("{type: s3, bucket: b, events: ['s3:Bogus']}", ["'s3:Bogus' is not an S3 event type"]),  # CloudFormation's
    ("{type: s3, bucket: b, events: 'ObjectCreated:*'}", ["'ObjectCreated:*' is not an S3 event type"]),
    ("{type: s3, bucket: b, prefix: " + "p" * 1025 + "}", ["longer than an S3 key"]),
])
def test_event_function_settings_aws_would_reject(app, entry, words):
    add_function(app, "worker", entry)
    refused(run_tight("deploy.template", "--output", "t.yml", cwd=app), "'worker'", *words)
    assert not (app / "t.yml").exists()
    refused(run_tight("local.invoke", "worker", "--no-db", cwd=app), "'worker'", *words)


def test_every_s3_event_type_passes(app):
    add_function(app, "worker", "{type: s3, bucket: b, events: ['s3:ObjectCreated:CompleteMultipartUpload', "
                                "'s3:ObjectRemoved:*', 's3:LifecycleTransition', 's3:ObjectTagging:Put']}")
    result = run_tight("deploy.template", "--output", "-", cwd=app)
    assert result.returncode == 0, result.stderr
    assert "Event: s3:LifecycleTransition" in result.stdout


@pytest.mark.parametrize("task", ["deploy.template", "deploy", "deploy.status", "deploy.logs hello"])
def test_an_empty_stage_is_a_usage_error_never_the_default_stage(app, task):
    result = run_tight(*task.split(), "--stage", "", cwd=app)  # an unset $STAGE in CI
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert result.stderr == '--stage "" is empty (an unset variable in CI?): name the stage, e.g. --stage dev.\n'
    assert not (app / "builds").exists()


def test_an_http_timeout_above_api_gateways_is_a_warning(app):
    with (app / "tight.yml").open("a") as handle:
        handle.write("functions:\n  hello:\n    timeout: 60\n")
    result = run_tight("deploy.template", "--output", "t.yml", cwd=app)
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines()[0] == (
        "Warning: function 'hello': timeout 60 s is above API Gateway's 29 s integration timeout: callers get a 504 "
        "after 29 s while it runs on (set functions.hello.timeout to 29 or less, or hand the work to an sqs "
        "function).")
    (app / "tight.yml").write_text((app / "tight.yml").read_text().replace("timeout: 60", "memory: 512"))
    quiet = run_tight("deploy.template", "--output", "t.yml", cwd=app)  # the default 30 s says nothing
    assert quiet.returncode == 0 and "Warning" not in quiet.stderr, quiet.stderr
