"""tight.providers.aws.lambda_app.secrets: ssm:/secretsmanager: references resolved at cold start, against moto."""
from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import uuid
from pathlib import Path

import boto3
import pytest
from conftest import AWS_REGION, aws_env
from runtime_helpers import make_app

from tight.providers.aws.lambda_app import secret_fetch, secrets


@pytest.fixture
def stored(aws):
    """``stored(kind, name, value)`` puts a parameter ("ssm") or secret ("sm") in moto; removed after the test."""
    made = []

    def put(kind, name, value, **extra):
        if kind == "ssm":
            aws("ssm").put_parameter(Name=name, Value=value, Type=extra.pop("Type", "SecureString"), Overwrite=True)
        else:
            made.append(("sm", aws("secretsmanager").create_secret(Name=name, SecretString=value)["ARN"]))
            return made[-1][1]
        if ("ssm", name) not in made:
            made.append(("ssm", name))
        return aws("ssm").get_parameter(Name=name)["Parameter"]["ARN"]

    yield put
    for kind, name in made:
        if kind == "ssm":
            aws("ssm").delete_parameter(Name=name)
        else:
            aws("secretsmanager").delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)


@pytest.fixture
def counted(moto_endpoint):
    """A client factory for the moto server that counts the API calls made: ``(factory, calls)``."""
    calls = []
    session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                                    region_name=AWS_REGION)

    def factory(service):
        client = session.client(service, endpoint_url=moto_endpoint)
        client.meta.events.register("before-call", lambda model, **kw: calls.append(model.name))
        return client

    return factory, calls


@pytest.fixture(autouse=True)
def _forget_failures():
    saved = dict(secrets.FAILED)
    yield
    secrets.FAILED.clear()
    secrets.FAILED.update(saved)


def unique(prefix="/café-app/") -> str:
    return f"{prefix.replace('é', 'e')}{uuid.uuid4().hex[:8]}"


@pytest.mark.parametrize("value, parsed", [
    ("ssm:/shop/prod/db-password", ("ssm", "/shop/prod/db-password", None)),
    ("ssm:/shop/db:3", ("ssm", "/shop/db:3", None)),
    ("ssm:plain_name", ("ssm", "plain_name", None)),
    ("ssm:arn:aws:ssm:eu-west-1:123456789012:parameter/shop/db", (
        "ssm", "arn:aws:ssm:eu-west-1:123456789012:parameter/shop/db", None)),
    ("secretsmanager:prod/api", ("secretsmanager", "prod/api", None)),
    ("secretsmanager:prod/api:token", ("secretsmanager", "prod/api", "token")),
    ("secretsmanager:arn:aws:secretsmanager:eu-west-1:1:secret:api-AbCdEf:key",
     ("secretsmanager", "arn:aws:secretsmanager:eu-west-1:1:secret:api-AbCdEf", "key")),
    ("hunter2", None), ("SSM:/x", None), ("", None),
])
def test_references_are_parsed(value, parsed):
    assert secrets.parse(value) == parsed


@pytest.mark.parametrize("value, why", [
    ("ssm:", "a parameter name is"), ("ssm:a/b", "a parameter name is"), ("ssm:/a b", "a parameter name is"),
    ("ssm:/a:1:2", "only one :version"), ("ssm:arn:aws:s3:::bucket", "a parameter ARN looks like"),
    ("secretsmanager:", "a secret name is"), ("secretsmanager:api:", "JSON key"),
    ("secretsmanager:a b", "a secret name is"), ("secretsmanager:arn:aws:iam::1:role/x", "a secret ARN"),
])
def test_bad_references_say_why(value, why):
    with pytest.raises(secrets.BadReference, match=why):
        secrets.parse(value)


def test_every_reference_is_resolved_with_one_call_per_service(stored, counted):
    factory, calls = counted
    db, api, other = unique(), unique("cafe-api-"), unique("cafe-other-")
    stored("ssm", db, "first")
    stored("ssm", db, "s3cr3t pässword")  # version 2 is current
    plain = unique("plain-")
    stored("ssm", plain, "a,b", Type="StringList")
    stored("sm", api, json.dumps({"token": "tok-1", "port": 5432, "debug": True}))
    stored("sm", other, "whole text")
    environ = {"DB": f"ssm:{db}", "DB_V1": f"ssm:{db}:1", "LIST": f"ssm:{plain}", "TOKEN": f"secretsmanager:{api}:token",
               "PORT": f"secretsmanager:{api}:port", "DEBUG": f"secretsmanager:{api}:debug",
               "OTHER": f"secretsmanager:{other}", "STAGE": "prod"}
    assert secrets.resolve(environ, factory) == {}
    assert environ == {"DB": "s3cr3t pässword", "DB_V1": "first", "LIST": "a,b", "TOKEN": "tok-1", "PORT": "5432",
                       "DEBUG": "true", "OTHER": "whole text", "STAGE": "prod"}
    assert sorted(calls) == ["BatchGetSecretValue", "GetParameters"]


def test_one_secret_is_one_get_secret_value_and_an_arn_works(stored, counted):
    factory, calls = counted
    name = unique("cafe-")
    arn = stored("sm", name, "v")
    environ = {"A": f"secretsmanager:{arn}"}
    assert secrets.resolve(environ, factory) == {} and environ == {"A": "v"}
    assert calls == ["GetSecretValue"]


def test_no_reference_means_no_client_at_all():
    environ = {"STAGE": "prod", "URL": "https://ssm.example.com", "NOTE": "ssm is a service"}

    def no_client(service):
        raise AssertionError("no client may be made")

    assert secrets.resolve(environ, no_client) == {}
    assert environ == {"STAGE": "prod", "URL": "https://ssm.example.com", "NOTE": "ssm is a service"}


def test_unresolvable_references_unset_only_their_variables_in_one_line_each(stored, counted, caplog):
    factory, _ = counted
    good, missing = unique(), unique()
    stored("ssm", good, "fine")
    notjson = unique("cafe-")
    stored("sm", notjson, "not json at all, a password")
    environ = {"GOOD": f"ssm:{good}", "GONE": f"ssm:{missing}", "KEY": f"secretsmanager:{notjson}:user",
               "NOSECRET": "secretsmanager:never-made-x1", "BAD": "ssm:a/b"}
    with caplog.at_level(logging.ERROR, logger="tight.lambda_app"):
        failures = secrets.resolve(environ, factory)
    assert environ == {"GOOD": "fine"}
    assert sorted(failures) == ["BAD", "GONE", "KEY", "NOSECRET"]
    assert failures["GONE"] == (f"GONE=ssm:{missing} cannot be resolved: ParameterNotFound: no such parameter "
                                "(or version) in this account and region")
    assert failures["KEY"] == (f"KEY=secretsmanager:{notjson}:user cannot be resolved: the secret is not a JSON "
                               "object, so it has no key 'user'")
    assert failures["NOSECRET"].startswith("NOSECRET=secretsmanager:never-made-x1 cannot be resolved: "
                                           "secretsmanager BatchGetSecretValue: ResourceNotFoundException")
    assert failures["BAD"].startswith("BAD=ssm:a/b is not a usable reference: a parameter name is")
    assert secrets.FAILED == failures
    ours = [r for r in caplog.records if r.name == "tight.lambda_app"]
    messages = [r.getMessage() for r in ours]
    assert len(messages) == 4 and all(r.exc_info is None for r in ours)
    assert not any("a password" in m for m in messages)  # a secret's value is never logged
    assert secrets.unresolved(KeyError("GONE")) == failures["GONE"]
    assert secrets.unresolved(KeyError("GOOD")) is None and secrets.unresolved(ValueError("GONE")) is None


def test_an_unreachable_endpoint_fails_every_reference_of_that_service(monkeypatch):
    for key, value in aws_env("http://127.0.0.1:9").items():
        if key.startswith("AWS_"):
            monkeypatch.setenv(key, value)
    monkeypatch.setenv("AWS_DEFAULT_REGION", AWS_REGION)
    environ = {"A": "ssm:/a", "B": "ssm:/b", "C": "secretsmanager:c"}
    failures = secrets.resolve(environ, secret_fetch.client)
    assert environ == {}
    assert failures["A"].startswith("A=ssm:/a cannot be resolved: ssm GetParameters failed: EndpointConnectionError")
    assert failures["C"].startswith("C=secretsmanager:c cannot be resolved: secretsmanager GetSecretValue failed: "
                                    "EndpointConnectionError")


READS_AT_IMPORT = '''\
import os
import tight.providers.aws.controllers.lambda_proxy_event as lambda_proxy

PASSWORD = os.environ['DB_PASSWORD']


@lambda_proxy.get
def get_handler(**kwargs):
    return {'length': len(PASSWORD)}
'''

READS_PER_CALL = '''\
import os
import tight.providers.aws.controllers.lambda_proxy_event as lambda_proxy


@lambda_proxy.get
def get_handler(**kwargs):
    return {'length': len(os.environ['DB_PASSWORD'])}
'''

READS_TOKEN = '''\
import os
import tight.providers.aws.controllers.lambda_proxy_event as lambda_proxy


@lambda_proxy.get
def get_handler(**kwargs):
    return {'token': os.environ['API_TOKEN']}
'''

PROBE = '''\
import json, app_index
event = {"httpMethod": "GET", "headers": {}}
print(json.dumps([app_index.at_import(event, None), app_index.per_call(event, None), app_index.token(event, None)]))
'''


def test_in_an_app_only_the_functions_that_read_a_failed_reference_answer_500(tmp_path, stored, moto_endpoint):
    token = unique()
    stored("ssm", token, "tok-42")
    missing = unique()
    root = make_app(tmp_path / "svc", functions={"at_import": READS_AT_IMPORT, "per_call": READS_PER_CALL,
                                                  "token": READS_TOKEN})
    (root / "tight_env.json").write_text(json.dumps({"NAME": "svc", "STAGE": "prod", "API_TOKEN": f"ssm:{token}",
                                                     "DB_PASSWORD": f"ssm:{missing}"}))
    env = aws_env(moto_endpoint, AWS_DEFAULT_REGION=AWS_REGION)
    result = subprocess.run([sys.executable, "-c", PROBE], cwd=root, capture_output=True, text=True, env=env,
                            timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    at_import, per_call, ok = json.loads(result.stdout.splitlines()[-1])
    assert (at_import["statusCode"], per_call["statusCode"]) == (500, 500)
    assert json.loads(ok["body"]) == {"token": "tok-42"}
    why = f"DB_PASSWORD=ssm:{missing} cannot be resolved: ParameterNotFound"
    lines = result.stderr.splitlines()
    assert [line for line in lines if why in line] == [
        (f"{why}: no such parameter (or version) in this account and region; functions that read DB_PASSWORD "
         "answer 500"),
        f"{why}: no such parameter (or version) in this account and region: app/functions/at_import cannot start",
        f"Controller 'per_call' needs {why}: no such parameter (or version) in this account and region",
    ]
    assert "Traceback" not in result.stderr and "tok-42" not in result.stderr


def test_an_event_function_reading_a_failed_reference_logs_one_line_per_record(caplog):
    from tight.providers.aws.controllers import registry, sqs_event

    secrets.FAILED["QUEUE_TOKEN"] = "QUEUE_TOKEN=ssm:/gone cannot be resolved: ParameterNotFound: no such parameter"

    def handle(body):
        return os.environ["QUEUE_TOKEN"]

    handle.__module__ = "app.functions.orders_secret.handler"
    registry.forget("orders_secret")
    sqs_event.message(handle)
    batch = json.loads((Path(__file__).parents[1] / "events" / "sqs.json").read_text(encoding="utf-8"))
    with caplog.at_level(logging.ERROR, logger="tight.events"):
        result = sqs_event.dispatch("orders_secret", batch)
    assert len(result["batchItemFailures"]) == 3  # every message fails, so SQS delivers them again
    ours = [r for r in caplog.records if r.name == "tight.events"]
    assert len(ours) == 3 and ours[0].getMessage() == (
        "function 'orders_secret' failed on record 059f36b4-87a3-44ab-83d2-661975830a7d: it needs "
        "QUEUE_TOKEN=ssm:/gone cannot be resolved: ParameterNotFound: no such parameter")
    assert all(r.exc_info is None for r in ours)
