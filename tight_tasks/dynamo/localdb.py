"""``tight dynamo.rundb``: a local DynamoDB with a table for every model of the app.

:func:`running_dynamodb` is the Python API: a context manager that starts an
engine with a table for every model of the app and yields its endpoint;
:func:`run_dynamodb` is the command (banner, then serve until a signal).
The engines are in :mod:`.engines`, seed files in :mod:`.seed`, the embedded
engine's ``--keep`` file in :mod:`.snapshot`, signals and locks in :mod:`.process`.
"""
from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..config import fail, require_env_file, usage_error
from ..console import say
from .engines import ENGINES, SHARED_DB, java_version, java_warning  # noqa: F401 - part of this API

#: A command that lists the tables with either AWS CLI: v1 reads no AWS_REGION and wants keys, even here.
CLI_EXAMPLE = ("AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local aws dynamodb list-tables "
               "--endpoint-url {endpoint} --region us-east-1")
#: Held (``fcntl.flock``) by the rundb that owns ``dynamo_db/``'s data files; gone when it stops.
LOCK = ".tight-rundb.lock"


def _data_file(chosen, root: Path, directory) -> Path | None:
    """The file this run reads and writes, which no other rundb may use meanwhile (None: memory only).

    It must lie in a directory inside the app (never the app root, never outside it).
    """
    from ..files import inside

    data = chosen.directory / SHARED_DB if chosen.name == "local" else chosen.data_file
    if data is not None and inside(root, data.parent) is None:
        raise fail(f"dynamo.dir {str(directory)!r} (tight.yml) is not a directory inside the app {root}: rundb keeps "
                   "its data in the app; use a directory such as dynamo_db.")
    return data


def _make_data_dir(directory: Path) -> None:
    """Create ``directory`` if missing, marked as tight's so ``installdb`` may install into it later."""
    from .snapshot import MARKER

    if directory.is_dir():
        return
    directory.mkdir(parents=True)
    (directory / MARKER).write_text('{"created_by": "tight dynamo.rundb --keep"}\n', encoding="utf-8")


@contextlib.contextmanager
def _holding(data: Path | None, port: int) -> Iterator[None]:
    """Hold ``data``'s directory lock while the block runs (nothing to hold for memory only)."""
    from ..lockfile import LockHeld, exclusive

    with contextlib.ExitStack() as stack:
        if data is not None:
            try:
                _make_data_dir(data.parent)
                stack.enter_context(exclusive(data.parent / LOCK, port=port, data=str(data)))
            except LockHeld as exc:
                holder = exc.holder
                where = f"pid {holder.get('pid', '?')}" + (f", port {holder['port']}" if holder.get("port") else "")
                raise fail(f"Another `tight dynamo.rundb` ({where}) is using {data}: stop it first "
                           "(or run this one with --engine embedded and without --keep).") from None
            except OSError as exc:
                raise fail(f"Cannot lock {data.parent / LOCK}: {exc.strerror or exc}.") from None
        yield


def _read_snapshot(chosen) -> dict[str, Any] | None:
    from .snapshot import SnapshotError, read_snapshot

    if chosen.name != "embedded" or chosen.data_file is None:
        return None
    try:
        return read_snapshot(chosen.data_file)
    except SnapshotError as exc:
        raise fail(str(exc)) from None


def _save_snapshot(chosen) -> None:
    from tight.dev.local_dynamodb import DynamoDBError

    from .snapshot import take_snapshot, write_snapshot

    try:
        snapshot = take_snapshot(chosen.endpoint)
        write_snapshot(chosen.data_file, snapshot)
    except (DynamoDBError, OSError) as exc:
        raise fail(f"Could not save the tables to {chosen.data_file}: {getattr(exc, 'strerror', None) or exc}; "
                   "the file of the previous run is unchanged.") from None
    tables, items = len(snapshot["tables"]), sum(len(t["items"]) for t in snapshot["tables"])
    say(f"Saved {tables} table{'s' if tables != 1 else ''} and {items} item{'s' if items != 1 else ''} "
        f"to {chosen.data_file}")


def _start(chosen, specs: list[dict[str, Any]], snapshot: dict[str, Any] | None, seed: str | None):
    """Start ``chosen``, load ``snapshot``, create the tables, load the seed files; returns (tables, seeded)."""
    from tight.dev.local_dynamodb import DynamoDBError, create_tables, wait_until_ready

    from .schema import table_prefix
    from .seed import read_seed, write_seed
    from .snapshot import SnapshotError, load_snapshot

    batches = read_seed(specs, Path(seed).absolute(), table_prefix()) if seed else []
    chosen.start()
    try:
        wait_until_ready(chosen.endpoint, timeout=90 if chosen.name == "local" else 30, alive=chosen.alive)
    except (RuntimeError, TimeoutError) as exc:
        raise fail(f"The {chosen.name} engine did not start: {exc}.") from None
    try:
        if snapshot is not None:
            chosen.loaded = load_snapshot(chosen.endpoint, snapshot, chosen.data_file)
        tables = create_tables(chosen.endpoint, specs)
    except SnapshotError as exc:
        raise fail(f"{exc}; the engine was stopped.") from None
    except DynamoDBError as exc:
        raise fail(f"The {chosen.name} engine refused a table: {exc}; the engine was stopped.") from None
    return tables, write_seed(chosen.endpoint, batches)


@contextlib.contextmanager
def running_dynamodb(root: str | os.PathLike, engine: str = "auto", host: str = "127.0.0.1", port: int = 0,
                     directory: str | os.PathLike = "dynamo_db", keep: bool = False, seed: str | None = None,
                     ) -> Iterator[dict[str, Any]]:
    """Start an engine with a table per model of the app at ``root``; yield its details.

    Yields ``{"endpoint", "engine", "tables", "seeded", "banner"}``. The app's
    env (env.dist.yml < env.yml < shell) is applied to ``os.environ`` first.
    ``port=0`` (embedded only) picks a free port. The engine stops when the block
    exits. ``keep``: the local engine keeps ``dynamo_db/shared-local-instance.db``
    (else deletes it first); the embedded engine loads ``dynamo_db/shared-embedded-instance.json``
    and, when the block ends normally or by :class:`~tight_tasks.process.StopRequested`
    or KeyboardInterrupt, saves its tables there. Everything is checked (models,
    seed files, the port, the saved file) before the engine starts.
    """
    from ..process import StopRequested
    from .engines import address_problem, choose_engine
    from .schema import load_models, model_specs

    root = Path(root).absolute()
    chosen = choose_engine(engine, root, directory, host, port, keep)
    if port == 0 and chosen.name == "local":
        raise usage_error("--engine local needs an explicit port.")
    with _holding(_data_file(chosen, root, directory), port):
        problem = address_problem(host, port)
        if problem:
            raise fail(problem)
        specs = model_specs(load_models(root))
        snapshot = _read_snapshot(chosen)
        if chosen.name == "local" and not keep:
            (chosen.directory / SHARED_DB).unlink(missing_ok=True)
        started = clean = False  # a stop during start-up (a half-loaded snapshot) saves nothing
        try:
            tables, seeded = _start(chosen, specs, snapshot, seed)
            started = True
            yield {"endpoint": chosen.endpoint, "engine": chosen.name, "tables": tables, "seeded": seeded,
                   "banner": chosen.banner()}
            clean = True
        except (StopRequested, KeyboardInterrupt):
            clean = started
            raise
        finally:
            try:
                if clean and chosen.name == "embedded" and chosen.data_file is not None:
                    _save_snapshot(chosen)
            finally:
                chosen.stop()


def run_dynamodb(root, engine: str = "auto", host: str = "127.0.0.1", port: int = 8000,
                 directory: str = "dynamo_db", keep: bool = False, seed: str | None = None) -> None:
    """``tight dynamo.rundb``: run until SIGINT/SIGTERM, then stop the engine and return (exit 0)."""
    from ..process import StopRequested, ignore_signals, stop_on_signals, wait_for_stop

    root = Path(root)
    require_env_file(root, "rundb")
    if not 0 < port < 65536:
        raise usage_error(f"--port {port} is not a TCP port (1-65535).")
    stopped_by = None
    with stop_on_signals():
        try:
            with running_dynamodb(root, engine, host, port, directory, keep, seed) as db:
                try:
                    for line in db["banner"]:
                        say(line)
                    say()
                    say(f"This engine has the following tables {db['tables']!r}")
                    for table, count in db["seeded"].items():
                        say(f"Seeded {count} item{'s' if count != 1 else ''} into {table}")
                    say(f"Point clients at it: export AWS_ENDPOINT_URL_DYNAMODB={db['endpoint']}")
                    say(f"AWS CLI (v1 and v2; any keys and region): {CLI_EXAMPLE.format(endpoint=db['endpoint'])}")
                    say("Press Ctrl-C to stop.")
                    wait_for_stop()
                finally:
                    ignore_signals()
        except StopRequested as exc:
            stopped_by = str(exc)
    say(f"Stopped DynamoDB ({stopped_by}).")
