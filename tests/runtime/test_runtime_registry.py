"""tight.providers.aws.controllers.registry: the entry point dispatches by the controller's event source."""
from __future__ import annotations

import importlib
import sys

import pytest
from runtime_helpers import forget_app_modules, make_app

import tight.providers.aws.controllers.lambda_proxy_event as lambda_proxy
from tight.providers.aws.controllers import registry

QUEUE_SOURCE = '''\
"""A stand-in event source module, as sqs_event will be."""
from tight.providers.aws.controllers import registry

_HANDLERS = {}


def dispatch(controller, event, context):
    return {"source": "queue", "records": len(event["Records"]), "result": _HANDLERS[controller](event)}


def on_message(function):
    controller = function.__module__.split(".")[-2]
    registry.register(controller, "queue", dispatch)
    _HANDLERS[controller] = function
    return function
'''

QUEUE_HANDLER = '''\
import queue_source

@queue_source.on_message
def handle(event):
    return [r["body"] for r in event["Records"]]
'''

HTTP_HANDLER = '''\
import tight.providers.aws.controllers.lambda_proxy_event as lambda_proxy

@lambda_proxy.get
def get_handler(**kwargs):
    return {"via": "http"}
'''


@pytest.fixture
def isolated(monkeypatch):
    forget_app_modules()
    monkeypatch.setattr(sys, "path", list(sys.path))
    yield
    forget_app_modules()
    sys.modules.pop("queue_source", None)
    for name in ("queued", "web"):
        registry.forget(name)


def test_register_and_look_up():
    def dispatch(controller, event, context):
        return "x"

    registry.register("reg_probe", "sqs", dispatch)
    registry.register("reg_probe", "sqs", dispatch)  # a second handler of the same source is fine
    try:
        assert registry.dispatcher("reg_probe") is dispatch
        assert registry.source("reg_probe") == "sqs"
        assert registry.controllers()["reg_probe"] == "sqs"
        with pytest.raises(registry.SourceConflict, match="reg_probe already handles sqs events"):
            registry.register("reg_probe", "http", dispatch)
    finally:
        registry.forget("reg_probe")
    assert registry.dispatcher("reg_probe") is None and registry.source("reg_probe") is None


def test_http_decorators_register_the_http_dispatcher():
    def get_handler(**kwargs):
        return {}

    get_handler.__module__ = "app.functions.reg_http.handler"
    lambda_proxy.get(get_handler)
    try:
        assert registry.dispatcher("reg_http") is lambda_proxy.dispatch
        assert registry.source("reg_http") == "http"
    finally:
        registry.forget("reg_http")


def test_entry_point_uses_the_dispatcher_of_each_controllers_source(tmp_path, isolated):
    root = make_app(tmp_path, functions={"queued": QUEUE_HANDLER, "web": HTTP_HANDLER},
                    files={"queue_source.py": QUEUE_SOURCE})
    sys.path.insert(0, str(root))
    app_index = importlib.import_module("app_index")
    event = {"Records": [{"messageId": "1", "body": "a"}, {"messageId": "2", "body": "b"}]}
    assert app_index.queued(event, None) == {"source": "queue", "records": 2, "result": ["a", "b"]}
    assert app_index.web({"httpMethod": "GET"}, None)["body"] == '{"via":"http"}'
