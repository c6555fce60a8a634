"""flywheel 0.5.4, fixed and made faster where tight's apps need it.

- datetime/date fields load on every Python 3;
- ``engine.get(Model, id=...)`` (one item by its key) is one ``GetItem``, not a
  ``BatchGetItem`` of one key: the same item, with less work per request on both sides.

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
    engine.Engine.get = _engine_get(engine.Engine.get)
    types.DateTimeType.ddb_dump = _datetime_dump
    types.DateTimeType.ddb_load = _datetime_load
    types.DateType.ddb_load = _date_load
    types.DateTimeType._tight_patched = True
