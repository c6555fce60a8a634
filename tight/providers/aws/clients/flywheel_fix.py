"""flywheel 0.5.4, fixed and made faster where tight's apps need it.

- datetime/date fields load on every Python 3;
- ``engine.get(Model, id=...)`` (one item by its key) is one ``GetItem``, not a
  ``BatchGetItem`` of one key: the same item, with less work per request on both sides;
- loading an item (``Model.ddb_load_``) writes the model's state directly instead of through
  flywheel's ``__setattr__``/``__getattribute__`` (about 50 calls an item): the same object, a
  fraction of the time. Models that override how flywheel builds or loads them keep flywheel's way.

Imported only when the engine is first built (flywheel is loaded then anyway).
"""
from __future__ import annotations

import calendar
import datetime
import decimal
from typing import Any

_EPOCH = datetime.datetime(1970, 1, 1)
_MICRO = decimal.Decimal(1_000_000)


def _to_microseconds(value: Any) -> int:
    if not isinstance(value, decimal.Decimal):
        value = decimal.Decimal(str(value))
    return int((value * _MICRO).to_integral_value(rounding=decimal.ROUND_HALF_EVEN))


def _datetime_dump(self, value: datetime.datetime) -> decimal.Decimal:
    seconds = calendar.timegm(value.utctimetuple())
    return decimal.Decimal(seconds) + decimal.Decimal(value.microsecond).scaleb(-6)


def _datetime_load(self, value: Any) -> datetime.datetime:
    from flywheel.fields.types import UTC

    dt = _EPOCH + datetime.timedelta(microseconds=_to_microseconds(value))
    return dt if self.naive else dt.replace(tzinfo=UTC)


def _date_load(self, value: Any) -> datetime.date:
    return (_EPOCH + datetime.timedelta(microseconds=_to_microseconds(value))).date()


def _engine_get(original):
    def get(self, model, pkeys=None, consistent=False, **kwargs):
        if pkeys is not None:  # a list of keys: flywheel's batch get
            return original(self, model, pkeys, consistent=consistent, **kwargs)
        meta = model.meta_
        found = self.dynamo.get_item2(meta.ddb_tablename(self.namespace), meta.pk_dict(scope=kwargs),
                                      consistent=consistent)
        return model.ddb_load_(self, found) if found.exists else None

    get.__doc__ = original.__doc__
    get._tight_original = original
    return get


_PLAIN = ("__new__", "__setattr__", "set_ddb_val_", "post_load_", "_reset_cache", "loading_")


def _ddb_load(original):
    import copy

    from flywheel.models import Model

    def ddb_load_(cls, engine, data):
        """Load a model from DynamoDB data (the state flywheel's own ``ddb_load_`` leaves, set directly)."""
        if any(getattr(cls, name) is not getattr(Model, name) for name in _PLAIN):
            return original.__func__(cls, engine, data)
        obj = object.__new__(cls)
        values = obj.__dict__
        fields = cls.meta_.fields
        for name, field in fields.items():
            if not field.composite:
                values[name] = field.coerce(field.default)
        for key, value in data.items():
            field = fields.get(key)
            if field is not None and not field.composite:
                values[key] = field.coerce(field.ddb_load(value))
        values["_loading"] = False
        if engine is not None:
            values["__engine__"] = engine
        values["_persisted"] = True
        values["__dirty__"] = set()
        values["__incrs__"] = {}
        values["__cache__"] = {name: copy.copy(values[name]) for name, field in fields.items()
                               if not field.composite and field.is_mutable}
        return obj

    ddb_load_._tight_original = original
    return classmethod(ddb_load_)


def patch() -> None:
    """Make flywheel 0.5.4 datetime/date fields load on every Python 3, and one-key gets a GetItem (idempotent).

    flywheel loads them with ``datetime.utcfromtimestamp(Decimal)``, a TypeError on
    current Pythons (and deprecated since 3.12). Values are stored exactly as before
    (seconds since the epoch, microsecond precision); loading is exact arithmetic.
    """
    from flywheel import engine
    from flywheel.fields import types

    if getattr(types.DateTimeType, "_tight_patched", False):
        return
    from flywheel.models import Model

    engine.Engine.get = _engine_get(engine.Engine.get)
    Model.ddb_load_ = _ddb_load(Model.__dict__["ddb_load_"])
    types.DateTimeType.ddb_dump = _datetime_dump
    types.DateTimeType.ddb_load = _datetime_load
    types.DateType.ddb_load = _date_load
    types.DateTimeType._tight_patched = True
