"""tight.dev.routes: the functions: section of tight.yml and the route table (pure, no I/O)."""
from __future__ import annotations

import pytest

from tight.dev.routes import (
    DEFAULTS,
    FunctionsConfigError,
    Match,
    Route,
    RouteTable,
    function_settings,
    routes,
)


def table(config, names):
    return RouteTable(routes(config, names))


def test_defaults_fill_every_function():
    got = function_settings({"functions": {"a": {"memory": 512}}}, ["a", "b"])
    assert got == {"a": {**DEFAULTS, "memory": 512}, "b": dict(DEFAULTS)}
    assert DEFAULTS == {"type": "lambda_proxy", "memory": 256, "timeout": 30, "log_retention": 14}


def test_no_section_and_empty_entries_mean_defaults():
    assert function_settings({}, ["a"]) == {"a": DEFAULTS}
    assert function_settings(None, ["a"]) == {"a": DEFAULTS}
    assert function_settings({"functions": None}, ["a"]) == {"a": DEFAULTS}
    assert function_settings({"functions": {"a": None}}, ["a"]) == {"a": DEFAULTS}


def test_default_routes_are_name_and_greedy_proxy():
    assert routes({}, ["users", "accounts"]) == [
        Route("accounts", "/accounts"), Route("accounts", "/accounts/{proxy+}"),
        Route("users", "/users"), Route("users", "/users/{proxy+}")]


def test_path_overrides_as_string_or_list():
    config = {"functions": {"accounts": {"path": ["/accounts", "/accounts/{id}"]}, "home": {"path": "/"}}}
    assert routes(config, ["accounts", "home"]) == [
        Route("home", "/"), Route("accounts", "/accounts"), Route("accounts", "/accounts/{id}")]


def test_only_lambda_proxy_functions_get_routes():
    config = {"functions": {"nightly": {"type": "schedule", "schedule": "rate(1 day)"},
                            "queue": {"type": "sqs", "batch_size": 10}}}
    assert routes(config, ["nightly", "queue", "web"]) == [Route("web", "/web"), Route("web", "/web/{proxy+}")]
    settings = function_settings(config, ["nightly", "queue", "web"])
    assert settings["nightly"]["schedule"] == "rate(1 day)"
    assert settings["queue"]["batch_size"] == 10


def test_every_known_key_is_accepted():
    config = {"functions": {
        "s": {"type": "s3", "bucket": "uploads", "events": "s3:ObjectCreated:*", "prefix": "in/",
              "memory": 1024, "timeout": 900, "log_retention": 3653},
        "t": {"type": "dynamodb_stream", "table": "accounts", "batch_size": 100},
    }}
    got = function_settings(config, ["s", "t"])
    assert got["s"]["events"] == ["s3:ObjectCreated:*"]
    assert got["t"]["table"] == "accounts"


@pytest.mark.parametrize(("entry", "words"), [
    ({"pth": "/x"}, ["'accounts'", "unknown key pth", "known: type"]),
    ({"path": "accounts"}, ["'accounts'", "starting with /"]),
    ({"path": "/a//b"}, ["'accounts'", "empty"]),
    ({"path": "/a/../b"}, ["'accounts'", "'..'"]),
    ({"path": "/a/{proxy+}/b"}, ["'accounts'", "last segment"]),
    ({"path": "/a/{id}/{id}"}, ["'accounts'", "twice"]),
    ({"path": "/a/{id"}, ["'accounts'", "malformed segment '{id'"]),
    ({"path": "/a/b c"}, ["'accounts'", "malformed"]),
    ({"path": "/a/"}, ["'accounts'", "empty"]),
    ({"path": []}, ["'accounts'", "non-empty list"]),
    ({"path": ["/a", 3]}, ["'accounts'", "starting with /"]),
    ({"memory": "lots"}, ["'accounts'", "memory", "128 to 10240"]),
    ({"memory": True}, ["'accounts'", "memory"]),
    ({"timeout": 901}, ["'accounts'", "timeout"]),
    ({"log_retention": 15}, ["'accounts'", "log_retention", "14"]),
    ({"type": "http"}, ["'accounts'", "type 'http'", "lambda_proxy"]),
    ({"schedule": "rate(1 day)"}, ["'accounts'", "schedule applies to type schedule"]),
    ({"type": "schedule", "schedule": "daily"}, ["'accounts'", "rate(...)"]),
    ({"type": "sqs", "batch_size": 0}, ["'accounts'", "batch_size"]),
    ({"type": "s3", "bucket": ""}, ["'accounts'", "bucket"]),
    ({"type": "s3", "events": [1]}, ["'accounts'", "events"]),
    ("/accounts", ["'accounts'", "expected a mapping"]),
    ({"type": "sqs", "fifo": "yes"}, ["'accounts'", "fifo must be true or false"]),
    ({"fifo": True}, ["'accounts'", "fifo applies to type sqs"]),
    ({"uses": [1]}, ["'accounts'", "uses must be a list of sqs or s3 function names"]),
    ({"uses": ["accounts"]}, ["'accounts'", "uses 'accounts', which is a lambda_proxy function",
                              "queues: none", "buckets: none"]),
    ({"path": "/_tight/x"}, ["'accounts'", "path /_tight/x is under /_tight/", "dashboard"]),
    ({"path": ["/a", "/_tight"]}, ["'accounts'", "path /_tight is under /_tight/"]),
])
def test_bad_entries_are_errors_naming_the_function(entry, words):
    with pytest.raises(FunctionsConfigError) as info:
        routes({"functions": {"accounts": entry}}, ["accounts"])
    message = str(info.value)
    assert "\n" not in message
    for word in words:
        assert word in message


def test_uses_names_queues_and_buckets_of_the_app():
    config = {"functions": {"api": {"uses": ["orders", "uploads"]}, "orders": {"type": "sqs", "fifo": True},
                            "uploads": {"type": "s3", "bucket": "up"}, "one": {"uses": "orders"}}}
    got = function_settings(config, ["api", "orders", "uploads", "one"])
    assert got["api"]["uses"] == ["orders", "uploads"] and got["one"]["uses"] == ["orders"]
    assert got["orders"]["fifo"] is True
    config["functions"]["api"]["uses"] = ["orders", "mail"]
    with pytest.raises(FunctionsConfigError, match=r"^function 'api': uses 'mail', which is not a function of "
                                                   r"the app: .*\(queues: orders\) .*\(buckets: uploads\)$"):
        function_settings(config, ["api", "orders", "uploads", "one"])


def test_a_function_named_like_the_dashboard_cannot_take_its_path():
    with pytest.raises(FunctionsConfigError, match="path /_tight is under /_tight/"):
        routes({}, ["_tight"])


def test_section_must_be_a_mapping_and_name_real_functions():
    with pytest.raises(FunctionsConfigError, match="functions must be a mapping"):
        function_settings({"functions": ["a"]}, ["a"])
    with pytest.raises(FunctionsConfigError, match=r"'acounts' .*app/functions/acounts/handler.py.*accounts"):
        function_settings({"functions": {"acounts": {}}}, ["accounts"])


def test_two_functions_cannot_share_a_path():
    config = {"functions": {"a": {"path": "/x/{id}"}, "b": {"path": "/x/{key}"}}}
    with pytest.raises(FunctionsConfigError, match=r"function 'b': path /x/\{key\} is already taken by function 'a'"):
        routes(config, ["a", "b"])


def test_one_variable_per_level_as_api_gateway_requires():
    config = {"functions": {"a": {"path": "/x/{id}"}, "b": {"path": "/x/{proxy+}"}}}
    with pytest.raises(FunctionsConfigError, match="one \\{variable\\} per level"):
        routes(config, ["a", "b"])
    ok = {"functions": {"a": {"path": ["/x/{id}", "/x/{id}/items"]}, "b": {"path": "/x/{id}/orders/{order}"}}}
    assert len(routes(ok, ["a", "b"])) == 3


def test_match_default_routes():
    t = table({}, ["accounts", "users"])
    assert t.match("/accounts") == Match(Route("accounts", "/accounts"), {})
    assert t.match("/accounts/") == Match(Route("accounts", "/accounts"), {})
    assert t.match("/accounts/42/orders") == Match(Route("accounts", "/accounts/{proxy+}"), {"proxy": "42/orders"})
    assert t.match("/nope") is None
    assert t.match("/") is None
    assert t.functions() == ["accounts", "users"]


def test_match_prefers_literals_then_variables_then_greedy():
    config = {"functions": {
        "a": {"path": ["/a/me", "/a/{id}", "/a/{id}/{rest+}"]},
        "b": {"path": ["/"]},
    }}
    t = table(config, ["a", "b"])
    assert t.match("/a/me").route.path == "/a/me"
    assert t.match("/a/42") == Match(Route("a", "/a/{id}"), {"id": "42"})
    assert t.match("/a/42/x/y") == Match(Route("a", "/a/{id}/{rest+}"), {"id": "42", "rest": "x/y"})
    assert t.match("/a/me/x") == Match(Route("a", "/a/{id}/{rest+}"), {"id": "me", "rest": "x"})
    assert t.match("/") == Match(Route("b", "/"), {})
    assert t.match("/a") is None


def test_a_request_segment_looking_like_a_template_is_just_text():
    t = table({"functions": {"a": {"path": ["/a/{id}"]}}}, ["a"])
    assert t.match("/a/{id}") == Match(Route("a", "/a/{id}"), {"id": "{id}"})


def test_lambda_code_never_imports_tight_dev():
    from pathlib import Path

    providers = Path(__file__).resolve().parents[2] / "tight" / "providers"
    offenders = [str(p) for p in providers.rglob("*.py") if "tight.dev" in p.read_text(encoding="utf-8")]
    assert offenders == []
