"""Names: validation of user-given names and the inflections derived from them."""
from __future__ import annotations

import keyword
import re

from .config import usage_error

APP_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]*\Z")
MODEL_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")


def _not_an_option(name: str, task: str) -> None:
    if (name or "").startswith("-"):
        raise usage_error(f"Unknown option {name!r} for {task}: see `tight --help {task}`.")


def check_app_name(name: str) -> str:
    _not_an_option(name, "generate.app")
    if not APP_NAME.match(name or ""):
        raise usage_error(
            f"Invalid app name {name!r}: use letters, digits, _ and -, starting with a letter (e.g. my_service)."
        )
    return name


def check_function_name(name: str) -> str:
    _not_an_option(name, "generate.function")
    if not (name or "").isidentifier() or keyword.iskeyword(name) or not name.isascii():
        raise usage_error(
            f"Invalid function name {name!r}: it must be a Python identifier (e.g. my_controller)."
        )
    return name


def check_model_name(name: str) -> str:
    _not_an_option(name, "generate.model")
    if not MODEL_NAME.match(name or "") or keyword.iskeyword(name):
        raise usage_error(
            f"Invalid model name {name!r}: use letters, digits and _, starting with a letter (e.g. user_profile)."
        )
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
