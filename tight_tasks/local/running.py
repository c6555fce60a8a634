"""Everything ``local.serve`` runs beside HTTP: resources, event sources, schedules, the activity record.

:func:`start` makes the app's queues, buckets and streams in the embedded engine
(:mod:`.resources`), points handlers at them (``AWS_ENDPOINT_URL_SQS``/``_S3``/``_DYNAMODB``,
``TIGHT_QUEUES``/``TIGHT_BUCKETS`` per function) and starts one thread per source
(:mod:`.sources`, :mod:`.schedules`); :meth:`Running.stop` stops them all.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

from ..config import fail
from ..console import say, warn
from .activity import Activity

#: Function types whose events come from the embedded engine.
EVENT_TYPES = frozenset({"sqs", "s3", "dynamodb_stream"})


class Running:
    """The app's event sources and what the dashboard shows."""

    def __init__(self, app, activity: Activity, resources=None, schedules: bool = True, visibility: int = 2):
        self.app, self.activity, self.resources = app, activity, resources
        self.schedules_on, self.visibility = schedules, visibility
        self.threads: list[Any] = []
        self.clients: dict[str, Any] = {}
        self.timer = None
        self.database: dict[str, Any] | None = None
        self.settings: dict[str, Any] = {}
        self.reloader = threading.Thread(target=self._follow, name="tight-sources-reload", daemon=True)
        self.stopped = threading.Event()

    def make_resources(self) -> None:
        """Queues, buckets and streams of the app's current settings (raises ResourceError)."""
        from .resources import clients, create, local_app

        app = self.app
        self.settings = {name: dict(s) for name, s in app.settings.items()}
        if self.database is None or not {s.get("type") for s in app.settings.values()} & EVENT_TYPES:
            self.resources = None
            return
        endpoint = self.database["endpoint"]
        self.clients = self.clients or clients(endpoint)
        self.resources = create(endpoint, local_app(app_name(app.root), app.stage, app.settings,
                                                    model_tables(app.root)), **self.clients)
        for service in ("SQS", "S3"):
            os.environ[f"AWS_ENDPOINT_URL_{service}"] = endpoint
        local_credentials()
        self.activity.environments = {name: self.resources.environment(s) for name, s in app.settings.items()}
        os.environ.update(self.resources.environment())

    def _follow(self) -> None:
        """Apply a changed tight.yml (hot reload): the sources of the new settings replace the old ones."""
        from .resources import ResourceError

        while not self.stopped.wait(0.3):
            if not self.app.stale:
                continue
            self.app.reload_if_stale()
            if self.app.settings == self.settings:
                continue
            self.stop_sources()
            try:
                self.make_resources()
            except ResourceError as exc:
                warn(f"{exc} (event sources stopped until tight.yml is fixed)")
                continue
            self.start_sources()
            say("Event sources restarted for the new tight.yml.")

    def start_sources(self) -> None:
        from . import sources
        from .schedules import Scheduler

        res, settings = self.resources, self.app.settings
        if res is not None:
            sqs = self.clients["sqs"]
            for name, url in res.queues.items():
                self.threads.append(sources.QueueSource(name, self.activity, settings[name], sqs, url,
                                                        res.dead_letters[name], self.visibility))
            for name, url in res.notices.items():
                self.threads.append(sources.BucketSource(name, self.activity, settings[name], sqs, url,
                                                         self.visibility))
            for name, table in res.streams.items():
                self.threads.append(sources.StreamSource(name, self.activity, settings[name], table,
                                                         self.visibility))
        timed = {n: s for n, s in settings.items() if s.get("type") == "schedule"}
        self.timer = Scheduler(self.activity, timed, run=self.schedules_on)
        self.threads.append(self.timer)
        for thread in self.threads:
            thread.start()

    def stop_sources(self) -> None:
        for thread in self.threads:
            thread.stop()
        for thread in self.threads:
            thread.join(3)
        self.threads = []

    def stop(self) -> None:
        self.stopped.set()
        if self.reloader.is_alive():
            self.reloader.join(3)
        self.stop_sources()
        self.activity.stop()

    def served(self) -> frozenset[str]:
        """The functions whose events are delivered (their banner lines are :meth:`banner`'s)."""
        res = self.resources
        names = set(res.queues) | set(res.notices) | set(res.streams) if res else set()
        return frozenset(names | set(self.timer.functions if self.timer else ()))

    def banner(self) -> list[str]:
        res = self.resources
        lines = []
        if res is not None:
            for name, url in sorted(res.queues.items()):
                lines.append(f"  {name} (sqs): queue {url.rsplit('/', 1)[-1]}, dead letters "
                             f"{res.dead_letters[name].rsplit('/', 1)[-1]}")
            for name, bucket in sorted(res.buckets.items()):
                prefix = self.app.settings[name].get("prefix")
                lines.append(f"  {name} (s3): bucket {bucket}" + (f", prefix {prefix}" if prefix else ""))
            for name, table in sorted(res.streams.items()):
                lines.append(f"  {name} (dynamodb_stream): stream of table {table}")
        if self.timer is not None:
            lines += self.timer.banner()
        return lines


def app_name(root: Path) -> str:
    from .runner import read_tight_yml

    try:
        name = read_tight_yml(root).get("name")
    except Exception:  # noqa: BLE001 - the banner names the folder then; configure() reports the file
        name = None
    return str(name or root.name)


def model_tables(root: Path) -> dict[str, str]:
    """Model name (class and file) -> table, as deploy reads them (the app's env is applied already)."""
    from tight.dev.models import discover_models, model_file, table_spec

    found: dict[str, str] = {}
    try:
        for model in discover_models(root):
            found[model.__name__] = found[Path(model_file(model)).stem] = table_spec(model)["TableName"]
    except Exception:  # noqa: BLE001,S110 - the database start already reported a broken model
        pass
    return found


def start(app, database: dict[str, Any] | None, schedules: bool, visibility: int) -> Running:
    """Make the resources (when the embedded engine runs) and start every source."""
    from .resources import ResourceError

    running = Running(app, Activity(app), schedules=schedules, visibility=visibility)
    running.database = database
    try:
        running.make_resources()
    except ResourceError as exc:
        raise fail(f"{exc}.") from None
    if database is None and {s.get("type") for s in app.settings.values()} & EVENT_TYPES:
        warn("Queues, buckets and streams run in the embedded engine: with --no-db they are not served "
             "(try `tight local.invoke NAME`).")
    running.activity.start()
    running.start_sources()
    running.reloader.start()
    return running


def sender_environment(app, database: dict[str, Any], function: str) -> list[str]:
    """For ``local.invoke``: make the queues and buckets of the app, give ``function`` its ``TIGHT_*`` env.

    Returns the names of the queues and buckets it may use (nothing consumes them: ``local.serve`` does).
    """
    from .resources import ResourceError

    running = Running(app, Activity(app))
    running.database = database
    try:
        running.make_resources()
    except ResourceError as exc:
        raise fail(f"{exc}.") from None
    if running.resources is None:
        return []
    os.environ.update(running.resources.environment(app.settings[function]))
    uses = app.settings[function].get("uses") or ()
    return [running.resources.queues.get(n, "").rsplit("/", 1)[-1] or running.resources.buckets[n] for n in uses]


def local_credentials() -> None:
    """Dummy credentials and a region for plain boto3 in handlers, when the shell and ~/.aws give none.

    The engine checks no signature (and serves every region as one), but boto3 refuses to sign
    without credentials and SQS clients need a region.
    """
    from tight.dev.local_dynamodb import DUMMY_CREDENTIALS, SHARED_REGION

    home = Path.home() / ".aws"
    files = [os.environ.get("AWS_SHARED_CREDENTIALS_FILE") or home / "credentials",
             os.environ.get("AWS_CONFIG_FILE") or home / "config"]
    configured = any(os.path.isfile(f) and os.path.getsize(f) for f in files)
    if not (configured or os.environ.get("AWS_ACCESS_KEY_ID") or os.environ.get("AWS_PROFILE")):
        os.environ["AWS_ACCESS_KEY_ID"] = DUMMY_CREDENTIALS["aws_access_key_id"]
        os.environ["AWS_SECRET_ACCESS_KEY"] = DUMMY_CREDENTIALS["aws_secret_access_key"]
    if not (configured or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")):
        os.environ["AWS_DEFAULT_REGION"] = SHARED_REGION
