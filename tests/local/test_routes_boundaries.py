"""tight.dev.routes: each functions: setting at its limits, and its neighbour just outside (exact messages)."""
from __future__ import annotations

import pytest

from tight.dev.routes import (
    DEFAULTS,
    KEYS,
    FunctionsConfigError,
    check_schedule,
    function_settings,
    paths,
)

PREFIX = "p" * 1024
ACCENTED = "é" * 512  # 1,024 bytes in UTF-8, 512 characters


def settings(entry: dict) -> dict:
    return function_settings({"functions": {"f": entry}}, ["f"])["f"]


@pytest.mark.parametrize(("entry", "key", "expected"), [
    ({"memory": 128}, "memory", 128),
    ({"memory": 10240}, "memory", 10240),
    ({"timeout": 1}, "timeout", 1),
    ({"timeout": 900}, "timeout", 900),
    ({"log_retention": 1}, "log_retention", 1),
    ({"log_retention": 3653}, "log_retention", 3653),
    ({"type": "sqs", "batch_size": 1}, "batch_size", 1),
    ({"type": "sqs", "batch_size": 10}, "batch_size", 10),
    ({"type": "sqs", "batch_size": 10000}, "batch_size", 10000),
    ({"type": "dynamodb_stream", "table": "Account", "batch_size": 10000}, "batch_size", 10000),
    ({"type": "s3", "bucket": "up", "prefix": PREFIX}, "prefix", PREFIX),
    ({"type": "s3", "bucket": "up", "prefix": ACCENTED}, "prefix", ACCENTED),
    ({"type": "s3", "bucket": "up", "events": "s3:ObjectRemoved:*"}, "events", ["s3:ObjectRemoved:*"]),
    ({"type": "s3", "bucket": "up", "events": ["s3:ObjectAcl:Put", "s3:ObjectCreated:*"]}, "events",
     ["s3:ObjectAcl:Put", "s3:ObjectCreated:*"]),
    ({"type": "schedule", "schedule": "rate(1 minute)"}, "schedule", "rate(1 minute)"),
    ({"type": "schedule", "schedule": "rate(999999999 days)"}, "schedule", "rate(999999999 days)"),
    ({"type": "schedule", "schedule": "cron(0 3 ? * MON-FRI *)"}, "schedule", "cron(0 3 ? * MON-FRI *)"),
    ({"path": "/a/.b/c."}, "path", ["/a/.b/c."]),  # dots inside a segment are text
    ({"path": ["/", "/{id}"]}, "path", ["/", "/{id}"]),
    ({"type": "sqs", "fifo": True}, "fifo", True),
    ({"memory": None}, "memory", 256),  # null is the default
])
def test_values_at_the_limits_are_accepted(entry, key, expected):
    assert settings(entry)[key] == expected


def test_an_authorizer_gets_its_cache_ttl_and_header_by_default():
    assert settings({"type": "authorizer"}) == {**DEFAULTS, "type": "authorizer", "ttl": 300, "header": "Authorization"}
    assert settings({"type": "authorizer", "ttl": 0, "header": "X-Token"})["ttl"] == 0


def test_an_s3_function_without_events_or_prefix_stores_neither():
    got = settings({"type": "s3", "bucket": "up"})
    assert got == {**DEFAULTS, "type": "s3", "bucket": "up"}


WHOLE = "function 'f': {key} must be a whole number from {low} to {high}, got {value!r}"


@pytest.mark.parametrize(("entry", "message"), [
    ({"memory": 127}, WHOLE.format(key="memory", low=128, high=10240, value=127)),
    ({"memory": 10241}, WHOLE.format(key="memory", low=128, high=10240, value=10241)),
    ({"memory": 512.0}, WHOLE.format(key="memory", low=128, high=10240, value=512.0)),
    ({"timeout": 0}, WHOLE.format(key="timeout", low=1, high=900, value=0)),
    ({"timeout": 901}, WHOLE.format(key="timeout", low=1, high=900, value=901)),
    ({"timeout": False}, WHOLE.format(key="timeout", low=1, high=900, value=False)),
    ({"type": "sqs", "batch_size": 0}, WHOLE.format(key="batch_size", low=1, high=10000, value=0)),
    ({"type": "sqs", "batch_size": 10001}, WHOLE.format(key="batch_size", low=1, high=10000, value=10001)),
    ({"type": "sqs", "batch_size": "10"}, WHOLE.format(key="batch_size", low=1, high=10000, value="10")),
    ({"log_retention": True}, ("function 'f': log_retention must be one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, "
                               "180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653 days, got True")),
    ({"type": "s3", "bucket": "up", "prefix": PREFIX + "p"},
     "function 'f': prefix is longer than an S3 key (1,024 bytes)"),
    ({"type": "s3", "bucket": "up", "prefix": ACCENTED + "p"},
     "function 'f': prefix is longer than an S3 key (1,024 bytes)"),
    ({"type": "s3", "bucket": "up", "prefix": 5}, "function 'f': prefix must be a non-empty string, got 5"),
    ({"type": "s3", "bucket": "up", "prefix": "  "}, "function 'f': prefix must be a non-empty string, got '  '"),
    ({"type": "s3", "bucket": 7}, "function 'f': bucket must be a non-empty string, got 7"),
    ({"type": "dynamodb_stream", "table": ["Account"]},
     "function 'f': table must be a non-empty string, got ['Account']"),
    ({"type": "schedule", "schedule": 5}, "function 'f': schedule must be a non-empty string, got 5"),
    ({"type": "schedule", "schedule": {"rate": "1 day"}},
     "function 'f': schedule must be a non-empty string, got {'rate': '1 day'}"),
    ({"type": "s3", "bucket": "up", "events": 5}, "function 'f': events must be a string or a list of strings"),
    ({"type": "s3", "bucket": "up", "events": []}, "function 'f': events must be a string or a list of strings"),
    ({"type": "s3", "bucket": "up", "events": [""]}, "function 'f': events must be a non-empty string, got ''"),
    ({"type": "s3", "bucket": "up", "events": ["s3:ObjectCreated:*", "s3:ObjectCreated"]},
     "function 'f': events 's3:ObjectCreated' is not an S3 event type (e.g. s3:ObjectCreated:*, s3:ObjectRemoved:Delete)"),
    ({"type": "s3"}, "function 'f': type s3 needs bucket (e.g. bucket: uploads)"),
    ({"type": "schedule"}, "function 'f': type schedule needs schedule (e.g. schedule: rate(5 minutes))"),
    ({"type": "dynamodb_stream"}, "function 'f': type dynamodb_stream needs table (e.g. table: MyModel)"),
    ({"path": "/a/./b"}, "function 'f': path '/a/./b' has an empty, '.' or '..' segment"),
    ({"path": "/a/.."}, "function 'f': path '/a/..' has an empty, '.' or '..' segment"),
    ({"path": ["/a", "/a/./b"]}, "function 'f': path '/a/./b' has an empty, '.' or '..' segment"),
    ({"path": "/a/{x+}/{y}"}, ("function 'f': path '/a/{x+}/{y}' has {x+} before its end: a greedy {name+} "
                               "must be the last segment")),
    ({"path": "/{id}/{id}"}, "function 'f': path '/{id}/{id}' uses {id} twice"),
    ({"path": 5}, "function 'f': path must be a string or a non-empty list of strings"),
    ({"batch_size": 5}, "function 'f': batch_size applies to type sqs or dynamodb_stream, not lambda_proxy"),
    ({"type": "schedule", "schedule": "rate(1 day)", "path": "/x"},
     "function 'f': path applies to type lambda_proxy, not schedule"),
    ({"type": "queue"}, ("function 'f': type 'queue' is not one of lambda_proxy, sqs, schedule, s3, "
                         "dynamodb_stream, authorizer")),
    ({"type": "sqs", "fifo": "yes"}, "function 'f': fifo must be true or false, got 'yes'"),
    ({"tables": "Account"}, "function 'f': tables must be a list of model names, got 'Account'"),
    ({"tables": ["Account", " "]}, "function 'f': tables must be a list of model names, got ['Account', ' ']"),
    ({"type": "dynamodb_stream", "table": "T", "retries": 10001},
     WHOLE.format(key="retries", low=0, high=10000, value=10001)),
    ({"type": "dynamodb_stream", "table": "T", "max_age": 59}, WHOLE.format(key="max_age", low=60, high=604800, value=59)),
    ({"type": "schedule", "schedule": "rate(1 day)", "retries": 3}, WHOLE.format(key="retries", low=0, high=2, value=3)),
    ({"type": "s3", "bucket": "up", "max_age": 21601}, WHOLE.format(key="max_age", low=60, high=21600, value=21601)),
    ({"type": "dynamodb_stream", "table": "T", "bisect": "yes"}, "function 'f': bisect must be true or false, got 'yes'"),
    ({"type": "authorizer", "ttl": 3601},
     "function 'f': ttl must be a whole number of seconds from 0 (no caching) to 3600, got 3601"),
    ({"path": ["/a", 3]}, "function 'f': path 3 must be a string starting with /"),
    ({"uses": ["nope"]}, ("function 'f': uses 'nope', which is not a function of the app: list sqs functions "
                          "(queues: none) or s3 functions (buckets: none)")),
    ({"memry": 1, "tmeout": 2}, f"function 'f': unknown keys memry, tmeout (known: {', '.join(KEYS)})"),
    ({"memry": 1}, f"function 'f': unknown key memry (known: {', '.join(KEYS)})"),
])
def test_values_just_outside_the_limits_are_one_line_errors(entry, message):
    with pytest.raises(FunctionsConfigError) as raised:
        settings(entry)
    assert str(raised.value) == message


@pytest.mark.parametrize(("expression", "why"), [
    ("rate(0 minutes)", "is not rate(N minutes|hours|days) with N a whole number from 1"),
    ("rate(1000000000 days)", "is not rate(N minutes|hours|days) with N a whole number from 1"),
    ("rate(1 minutes)", "needs a singular unit for 1 and a plural one otherwise (rate(1 hour), rate(5 hours))"),
    ("rate(2 hour)", "needs a singular unit for 1 and a plural one otherwise (rate(1 hour), rate(5 hours))"),
    ("every day", "must be rate(...) or cron(...)"),
    ("cron(0 3 * * ? *", "must be rate(...) or cron(...)"),
    ("(0 3 * * ? *)", "must be rate(...) or cron(...)"),
    ("cron(0 3 * * ?)", "needs six cron fields: minutes hours day-of-month month day-of-week year"),
    ("cron(0 3 * * ? * *)", "needs six cron fields: minutes hours day-of-month month day-of-week year"),
    ("cron(0 3 * * ? %)", "needs six cron fields: minutes hours day-of-month month day-of-week year"),
    ("cron(0 3 * * * *)", "needs ? in exactly one of day-of-month and day-of-week (e.g. cron(0 3 * * ? *))"),
    ("cron(0 3 ? * ? *)", "needs ? in exactly one of day-of-month and day-of-week (e.g. cron(0 3 * * ? *))"),
])
def test_schedules_just_outside_what_eventbridge_takes(expression, why):
    with pytest.raises(FunctionsConfigError) as raised:
        check_schedule("f", expression)
    assert str(raised.value) == f"function 'f': schedule {expression!r} {why}"


def test_a_path_list_keeps_its_order_and_a_string_is_one_path():
    assert paths("f", ["/b", "/a"]) == ["/b", "/a"]
    assert paths("f", "/a") == ["/a"]
    with pytest.raises(FunctionsConfigError, match=r"^function 'f': path must be a string or a non-empty list"):
        paths("f", [])


def test_the_section_and_its_entries_must_be_mappings_naming_real_functions():
    def message(config, names):
        with pytest.raises(FunctionsConfigError) as raised:
            function_settings(config, names)
        return str(raised.value)

    assert message({"functions": ["f"]}, ["f"]) == (
        "tight.yml: functions must be a mapping of function name: settings, got list")
    assert message({"functions": {"f": "fast"}}, ["f"]) == (
        "function 'f': expected a mapping of settings (path, memory, ...), got str")
    assert message({"functions": {"x": {}}}, []) == (
        "function 'x' in tight.yml has no app/functions/x/handler.py (functions: none)")
    assert message({"functions": {"x": {}}}, ["a", "b"]) == (
        "function 'x' in tight.yml has no app/functions/x/handler.py (functions: a, b)")


def test_uses_names_the_apps_queues_and_buckets():
    functions = {"f": {"uses": ["web"]}, "q1": {"type": "sqs"}, "q2": {"type": "sqs"},
                 "b1": {"type": "s3", "bucket": "x"}, "b2": {"type": "s3", "bucket": "y"}, "web": {}}
    with pytest.raises(FunctionsConfigError) as raised:
        function_settings({"functions": functions}, list(functions))
    assert str(raised.value) == ("function 'f': uses 'web', which is a lambda_proxy function: list sqs functions "
                                 "(queues: q1, q2) or s3 functions (buckets: b1, b2)")


def test_the_auth_section_is_checked_with_the_functions():
    from tight.dev.auth import AuthConfigError

    with pytest.raises(AuthConfigError, match=r"^auth: jwt needs auth.jwt with an issuer and an audience"):
        function_settings({"auth": {"default": "jwt"}, "functions": {"f": {}}}, ["f"])


@pytest.mark.parametrize(("path", "refused"), [("/_tight/x", True), ("/_tight", True), ("/_tightly", False),
                                               ("/a/_tight", False)])
def test_local_serves_dashboard_path_is_kept(path, refused):
    from tight.dev.routes import Route, routes

    config = {"functions": {"f": {"path": path}}}
    if not refused:
        assert routes(config, ["f"]) == [Route("f", path)]
        return
    with pytest.raises(FunctionsConfigError) as raised:
        routes(config, ["f"])
    assert str(raised.value) == (f"function 'f': path {path} is under /_tight/, which local.serve keeps for its "
                                 "dashboard: choose another path")


@pytest.mark.parametrize(("entry", "key", "expected"), [
    ({"provisioned_concurrency": 1}, "provisioned_concurrency", 1),
    ({"provisioned_concurrency": 10000}, "provisioned_concurrency", 10000),
    ({"reserved_concurrency": 0}, "reserved_concurrency", 0),
    ({"reserved_concurrency": 10000}, "reserved_concurrency", 10000),
    ({"reserved_concurrency": 5, "provisioned_concurrency": 5}, "provisioned_concurrency", 5),
    ({"snapstart": True}, "snapstart", True),
    ({"snapstart": False, "provisioned_concurrency": 2}, "provisioned_concurrency", 2),
])
def test_concurrency_settings_at_their_limits(entry, key, expected):
    assert settings(entry)[key] == expected


@pytest.mark.parametrize(("entry", "message"), [
    ({"provisioned_concurrency": 0}, WHOLE.format(key="provisioned_concurrency", low=1, high=10000, value=0)),
    ({"provisioned_concurrency": 10001},
     WHOLE.format(key="provisioned_concurrency", low=1, high=10000, value=10001)),
    ({"reserved_concurrency": -1}, WHOLE.format(key="reserved_concurrency", low=0, high=10000, value=-1)),
    ({"reserved_concurrency": 10001}, WHOLE.format(key="reserved_concurrency", low=0, high=10000, value=10001)),
    ({"snapstart": "yes"}, "function 'f': snapstart must be true or false, got 'yes'"),
    ({"snapstart": True, "provisioned_concurrency": 1},
     ("function 'f': snapstart and provisioned_concurrency cannot be used together: Lambda refuses SnapStart on a "
      "version with provisioned concurrency (keep one of them)")),
    ({"reserved_concurrency": 4, "provisioned_concurrency": 5},
     "function 'f': provisioned_concurrency 5 is above reserved_concurrency 4: raise reserved_concurrency or lower it"),
    ({"reserved_concurrency": 0, "provisioned_concurrency": 1},
     "function 'f': provisioned_concurrency 1 is above reserved_concurrency 0: raise reserved_concurrency or lower it"),
])
def test_concurrency_settings_just_outside(entry, message):
    with pytest.raises(FunctionsConfigError) as raised:
        settings(entry)
    assert str(raised.value) == message
