"""Find the app's flywheel models and describe the DynamoDB table each one needs.

:func:`discover_models` imports ``app/models/*.py`` (sorted by file name) under
stable module names (``app.models.<stem>``) with the app root on ``sys.path``
and returns the flywheel ``Model`` subclasses each file defines.  Importing a
generated model reads ``os.environ['NAME']`` and ``os.environ['STAGE']``: apply
the app's environment first (:func:`tight.dev.env.apply_env`).

:func:`table_spec` turns one model class into a plain description of its table,
shaped like the CloudFormation ``AWS::DynamoDB::Table`` properties; it is the
single mapping behind ``tight dynamo.generateschema`` (CloudFormation files) and
:func:`tight.dev.local_dynamodb.create_tables` (CreateTable calls).

Besides flywheel's own ``__metadata__`` keys (``_name``, ``throughput``,
``global_indexes``), tight reads:

``billing_mode``
    ``'PROVISIONED'`` (default) or ``'PAY_PER_REQUEST'`` (on-demand: no
    throughput on the table or its global indexes).
``ttl``
    ``{'attribute': 'expires', 'enabled': True}`` (or just ``'expires'``):
    the time-to-live attribute.
``stream``
    ``'NEW_AND_OLD_IMAGES'``, ``'NEW_IMAGE'``, ``'OLD_IMAGE'`` or
    ``'KEYS_ONLY'``: enables a DynamoDB stream with that view type.

flywheel is imported lazily, inside the functions that need it.
"""
from __future__ import annotations

import importlib.util
import os
import re
import sys
from pathlib import Path
from typing import Any

MODELS_DIR = ("app", "models")
BILLING_MODES = ("PROVISIONED", "PAY_PER_REQUEST")
STREAM_VIEW_TYPES = ("NEW_AND_OLD_IMAGES", "NEW_IMAGE", "OLD_IMAGE", "KEYS_ONLY")
KEY_TYPES = ("S", "N", "B")


class ModelImportError(Exception):
    """A model file that cannot be imported; ``str()`` names the file and the reason."""

    def __init__(self, path: str | os.PathLike, reason: str):
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


class ModelError(ValueError):
    """A model whose declaration cannot become a DynamoDB table (names model and file)."""


def model_files(app_root: str | os.PathLike) -> list[Path]:
    """``app/models/*.py`` of the app, sorted by name, without ``_private.py``/``__init__.py``."""
    folder = Path(app_root).joinpath(*MODELS_DIR)
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob("*.py") if p.is_file() and not p.name.startswith("_"))


def _describe(exc: BaseException) -> str:
    if isinstance(exc, SyntaxError):
        return f"SyntaxError at line {exc.lineno}: {exc.msg}"
    if isinstance(exc, KeyError):
        return (f"KeyError: {exc} (an environment variable the model reads is not set: "
                "add it to env.yml, e.g. with `tight generate.env`)")
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def _same_file(module: Any, path: Path) -> bool:
    filename = getattr(module, "__file__", None)
    try:
        return filename is not None and Path(filename).resolve() == path.resolve()
    except OSError:
        return False


def _import_file(path: Path, name: str):
    existing = sys.modules.get(name)
    if existing is not None and _same_file(existing, path):
        return existing
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ModelImportError(path, "not a loadable Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except (Exception, SystemExit) as exc:  # any failure of user code is reported
        sys.modules.pop(name, None)
        raise ModelImportError(path, _describe(exc)) from exc
    return module


def load_model_file(path: str | os.PathLike) -> list[type]:
    """Import one model file as ``app.models.<stem>``; its own Model subclasses, in order."""
    from flywheel import Model

    path = Path(path)
    module = _import_file(path, "app.models." + path.stem)
    found = []
    for value in list(vars(module).values()):
        if (isinstance(value, type) and issubclass(value, Model) and value is not Model
                and value.__module__ == module.__name__):
            meta = getattr(value, "meta_", None)
            if meta is not None and not meta.abstract and not value.__dict__.get("__abstract__"):
                found.append(value)
    return found


def discover_models(app_root: str | os.PathLike) -> list[type]:
    """Every flywheel ``Model`` subclass defined in ``app/models/*.py`` (files sorted).

    Raises :class:`ModelImportError` naming the file and the reason when one fails.
    """
    root = str(Path(app_root).resolve())
    if root not in sys.path:
        sys.path.insert(0, root)
    models: list[type] = []
    for path in model_files(root):
        models.extend(load_model_file(path))
    return models


# -- model -> table ---------------------------------------------------------------


def model_file(model: type) -> str:
    module = sys.modules.get(model.__module__)
    return getattr(module, "__file__", None) or model.__module__


def _error(model: type, message: str) -> ModelError:
    return ModelError(f"{model_file(model)}: model {model.__name__}: {message}")


#: What DynamoDB accepts as a table name.
TABLE_NAME_CHARS = re.compile(r"[A-Za-z0-9_.-]+")
TABLE_NAME_LENGTH = (3, 255)


def table_name_problem(name: Any) -> str | None:
    """Why DynamoDB would refuse ``name`` as a table name (a clause), or None."""
    low, high = TABLE_NAME_LENGTH
    if not isinstance(name, str):
        return f"the table name must be a string, not {type(name).__name__}"
    shown = repr(name) if len(name) <= 60 else f"{name[:40]!r}..."
    if not low <= len(name) <= high:
        return f"table name {shown} has {len(name)} characters; DynamoDB needs {low} to {high}"
    if not TABLE_NAME_CHARS.fullmatch(name):
        return f"table name {shown} has characters DynamoDB refuses; use only letters, digits, '_', '-' and '.'"
    return None


def table_name(model: type) -> str:
    """The model's table name (``__metadata__['_name']``); :class:`ModelError` if DynamoDB would refuse it."""
    name = model.meta_.ddb_tablename()
    problem = table_name_problem(name)
    if problem:
        raise _error(model, f"{problem} (set by __metadata__['_name'])")
    return name


def _key_type(model: type, field: Any, role: str) -> str:
    kind = field.ddb_data_type
    if kind not in KEY_TYPES:
        raise _error(model, f"{role} '{field.name}' has DynamoDB type {kind}; keys must be str (S), "
                            "a number (N) or binary (B)")
    return kind


def _throughput(value: Any) -> dict[str, int]:
    return {"ReadCapacityUnits": int(value.read), "WriteCapacityUnits": int(value.write)}


def _projection(kind: str, includes: Any) -> dict[str, Any]:
    projection: dict[str, Any] = {"ProjectionType": kind}
    if kind == "INCLUDE":
        projection["NonKeyAttributes"] = list(includes or [])
    return projection


def billing_mode(model: type) -> str:
    mode = getattr(model.meta_, "billing_mode", None) or "PROVISIONED"
    if mode not in BILLING_MODES:
        raise _error(model, f"__metadata__['billing_mode'] is {mode!r}; use one of {', '.join(BILLING_MODES)}")
    return mode


def ttl_spec(model: type) -> dict[str, Any] | None:
    ttl = getattr(model.meta_, "ttl", None)
    if ttl is None:
        return None
    if isinstance(ttl, str):
        ttl = {"attribute": ttl}
    if not isinstance(ttl, dict) or not isinstance(ttl.get("attribute"), str) or not ttl["attribute"]:
        raise _error(model, "__metadata__['ttl'] must be an attribute name or "
                            "{'attribute': NAME, 'enabled': True}")
    return {"AttributeName": ttl["attribute"], "Enabled": bool(ttl.get("enabled", True))}


def stream_spec(model: type) -> dict[str, str] | None:
    stream = getattr(model.meta_, "stream", None)
    if stream is None or stream is False:
        return None
    if stream not in STREAM_VIEW_TYPES:
        raise _error(model, f"__metadata__['stream'] is {stream!r}; use one of {', '.join(STREAM_VIEW_TYPES)}")
    return {"StreamViewType": stream}


def table_spec(model: type) -> dict[str, Any]:
    """The table of ``model`` as CloudFormation ``AWS::DynamoDB::Table`` properties.

    Keys: ``TableName``, ``AttributeDefinitions`` (exactly the key attributes
    of the table and its indexes, sorted by name), ``KeySchema``, then
    ``ProvisionedThroughput`` or ``BillingMode: PAY_PER_REQUEST``, and
    ``LocalSecondaryIndexes``, ``GlobalSecondaryIndexes``,
    ``TimeToLiveSpecification``, ``StreamSpecification`` when declared.
    """
    meta = model.meta_
    mode = billing_mode(model)
    provisioned = mode == "PROVISIONED"
    attributes: dict[str, str] = {}

    def key(field: Any, role: str) -> None:
        kind = _key_type(model, field, role)
        if attributes.setdefault(field.name, kind) != kind:
            raise _error(model, f"attribute '{field.name}' is used with two types")

    if meta.hash_key is None:
        raise _error(model, "no hash key: declare one Field(hash_key=True)")
    key(meta.hash_key, "hash key")
    key_schema = [{"AttributeName": meta.hash_key.name, "KeyType": "HASH"}]
    if meta.range_key is not None:
        key(meta.range_key, "range key")
        key_schema.append({"AttributeName": meta.range_key.name, "KeyType": "RANGE"})

    local = []
    for name in sorted(meta.fields):
        field = meta.fields[name]
        if not field.index:
            continue
        key(field, f"local index '{field.index_name}' range key")
        index = field.get_ddb_index()
        local.append({
            "IndexName": field.index_name,
            "KeySchema": [{"AttributeName": meta.hash_key.name, "KeyType": "HASH"},
                          {"AttributeName": field.name, "KeyType": "RANGE"}],
            "Projection": _projection(index.projection_type, index.include_fields),
        })
    local.sort(key=lambda item: item["IndexName"])

    global_ = []
    for gindex in meta.global_indexes:
        schema = [{"AttributeName": gindex.hash_key, "KeyType": "HASH"}]
        key(meta.fields[gindex.hash_key], f"global index '{gindex.name}' hash key")
        if gindex.range_key is not None:
            key(meta.fields[gindex.range_key], f"global index '{gindex.name}' range key")
            schema.append({"AttributeName": gindex.range_key, "KeyType": "RANGE"})
        index = gindex.get_ddb_index(meta.fields)
        item: dict[str, Any] = {
            "IndexName": gindex.name,
            "KeySchema": schema,
            "Projection": _projection(index.projection_type, index.include_fields),
        }
        if provisioned:
            item["ProvisionedThroughput"] = _throughput(gindex._throughput)
        global_.append(item)

    spec: dict[str, Any] = {
        "TableName": table_name(model),
        "AttributeDefinitions": [{"AttributeName": n, "AttributeType": t} for n, t in sorted(attributes.items())],
        "KeySchema": key_schema,
    }
    if provisioned:
        spec["ProvisionedThroughput"] = _throughput(meta.throughput)
    else:
        spec["BillingMode"] = mode
    if local:
        spec["LocalSecondaryIndexes"] = local
    if global_:
        spec["GlobalSecondaryIndexes"] = global_
    ttl = ttl_spec(model)
    if ttl is not None:
        spec["TimeToLiveSpecification"] = ttl
    stream = stream_spec(model)
    if stream is not None:
        spec["StreamSpecification"] = stream
    return spec
