"""Names: validation of user-given names and the inflections derived from them."""
from __future__ import annotations

import keyword
import re

from .config import MAX_NAME, usage_error

APP_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]*\Z")
MODEL_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")

#: MAX_NAME, the longest app, function or model name: each becomes part of file names (255 bytes
#: each, e.g. ``test_integration_<name>.py`` and pytest's ``.pyc`` beside it), of the Lambda handler
#: ``app_index.<name>`` (128 characters), and of names AWS limits (a Lambda function name is at
#: most 64 characters, a DynamoDB table name ``NAME-STAGE-<models>`` 255).
__all__ = ["MAX_NAME", "check_app_name", "check_function_name", "check_model_name", "class_name", "dasherize",
           "table_suffix"]

#: Python's constants: keywords that ``str.isidentifier`` accepts and ``class None`` rejects.
_CONSTANTS = ("None", "True", "False")


def _not_an_option(name: str, task: str) -> None:
    if (name or "").startswith("-"):
        raise usage_error(f"Unknown option {name!r} for {task}: see `tight --help {task}`.")


def _not_too_long(name: str, what: str) -> None:
    if len(name) > MAX_NAME:
        raise usage_error(f"Invalid {what} name {name[:20]}... ({len(name)} characters): use at most "
                          f"{MAX_NAME}, since it becomes part of file, handler and AWS resource names.")


def check_app_name(name: str) -> str:
    _not_an_option(name, "generate.app")
    _not_too_long(name or "", "app")
    if not APP_NAME.match(name or ""):
        raise usage_error(
            f"Invalid app name {name!r}: use letters, digits, _ and -, starting with a letter (e.g. my_service)."
        )
    return name


#: Names that app_index.py binds itself (templates/app/app_index.py.j2): ``app_index.os`` is the module,
#: never a function of that name, so Lambda could not call its handler.
APP_INDEX_NAMES = ("lambda_app", "os", "sys")


def check_function_name(name: str) -> str:
    _not_an_option(name, "generate.function")
    _not_too_long(name or "", "function")
    if not (name or "").isidentifier() or keyword.iskeyword(name) or not name.isascii():
        raise usage_error(
            f"Invalid function name {name!r}: it must be a Python identifier (e.g. my_controller)."
        )
    if name.startswith("_"):
        raise usage_error(f"Invalid function name {name!r}: names starting with '_' are private and the "
                          "runtime never serves them; start with a letter (e.g. my_controller).")
    if name in APP_INDEX_NAMES:
        raise usage_error(f"Invalid function name {name!r}: app_index.py uses it for itself, so Lambda's handler "
                          f"app_index.{name} could not reach the function; pick another name (e.g. {name}_api).")
    return name


def check_model_name(name: str) -> str:
    _not_an_option(name, "generate.model")
    _not_too_long(name or "", "model")
    if not MODEL_NAME.match(name or "") or keyword.iskeyword(name):
        raise usage_error(
            f"Invalid model name {name!r}: use letters, digits and _, starting with a letter (e.g. user_profile)."
        )
    cls = class_name(name)
    if not cls.isidentifier() or keyword.iskeyword(cls) or cls in _CONSTANTS:
        raise usage_error(f"Invalid model name {name!r}: its class would be {cls!r}, which Python reserves; "
                          f"pick another name (e.g. {name}_record).")
    return name


def dasherize(name: str) -> str:
    """``my_service``, ``MyService``, ``my-service`` -> ``my-service``."""
    import inflection

    return inflection.dasherize(inflection.underscore(name))


def class_name(name: str) -> str:
    """``account`` -> ``Account``; ``user_profile`` -> ``UserProfile``."""
    import inflection

    return inflection.camelize(inflection.underscore(name))


def table_suffix(name: str) -> str:
    """``account`` -> ``accounts``; ``person`` -> ``people``; ``user_profile`` -> ``user-profiles``."""
    import inflection

    return inflection.dasherize(inflection.pluralize(inflection.underscore(name)))
