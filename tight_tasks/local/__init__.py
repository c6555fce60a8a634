"""Run the app on this machine: ``local.serve`` (its HTTP API) and ``local.invoke`` (one function)."""
from invoke import Collection, task

from ..config import app_root, port_number, settings, usage_error

#: ``payload`` None: 2.0 when tight.yml says ``api: http``, else 1.0 (what deploy creates).
DEFAULTS = {"host": "127.0.0.1", "port": 3000, "payload": None, "db": True, "reload": True, "schedules": True,
            "visibility_timeout": 2}


def _flag(key: str, value) -> bool:
    """A ``local:`` switch: a boolean (YAML's true/false) or its usual spellings; ``db: "no"`` means no."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "yes", "on", "1"):
        return True
    if text in ("false", "no", "off", "0"):
        return False
    raise usage_error(f"tight.yml: local.{key} {value!r} is not true or false.")


def _payload(c, given, opts) -> str:
    from .environment import check_payload

    return check_payload(given or opts["payload"] or ("2.0" if settings(c)["api"] == "http" else "1.0"))


def _port(value) -> int:
    port = port_number(value, 3000)
    if not 0 <= port < 65536:
        raise usage_error(f"--port {port} is not a TCP port (1-65535, or 0 for any free one).")
    return port


@task(
    help={
        "port": "Port to listen on (default 3000; 0 picks a free one).",
        "host": "Address to bind (default 127.0.0.1; 0.0.0.0 for every interface: other machines can call the API, and serve warns so).",
        "payload": "API Gateway payload version: 1.0 (REST API) or 2.0 (HTTP API); default: what deploy "
                   "creates (2.0 with api: http in tight.yml, else 1.0).",
        "db": "Start the embedded DynamoDB with a table per model (--no-db: use what AWS_ENDPOINT_URL_DYNAMODB "
              "or the AWS settings of the shell point at).",
        "reload": "Reload the app's code when a file under app/ or app_index.py changes (--no-reload: never).",
        "schedules": "Fire schedule functions at their rate()/cron() times, UTC (--no-schedules: only when run "
                     "from the dashboard or POST /_tight/schedules/NAME).",
    }
)
def serve(c, port=None, host=None, payload=None, db=True, reload=True, schedules=True):
    """Serve the app on localhost: its API, its queues, buckets, streams and schedules, a dashboard at /_tight/."""
    root = app_root()
    from .serve import serve as run

    opts = settings(c, "local", DEFAULTS)
    run(root, host or opts["host"], _port(port if port is not None else opts["port"]),
        _payload(c, payload, opts), db=db and _flag("db", opts["db"]),
        reload=reload and _flag("reload", opts["reload"]), schedules=schedules and _flag("schedules", opts["schedules"]),
        visibility=_visibility(opts["visibility_timeout"]))


def _visibility(value) -> int:
    """``local.visibility_timeout``: seconds before a failed message is delivered again (0-43200)."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 43_200:
        raise usage_error(f"tight.yml: local.visibility_timeout {value!r} is not a whole number of seconds "
                          "from 0 to 43200 (default 2).")
    return value


@task(
    iterable=["header"],
    help={
        "name": "The function to run (a directory of app/functions).",
        "event": "JSON file holding the whole event; - reads it from stdin.",
        "method": "HTTP method of the event built from flags (default GET).",
        "path": "Request path, with an optional ?query (default /NAME).",
        "body": "Request body (text; JSON for most handlers).",
        "header": "A request header as name=value (repeat for more).",
        "payload": "API Gateway payload version of the built event: 1.0 or 2.0 (default: 2.0 with api: http).",
        "db": "Start the embedded DynamoDB when the function first calls DynamoDB (--no-db: use what the shell "
              "points at).",
    }
)
def invoke(c, name, event=None, method=None, path=None, body=None, header=None, payload=None, db=True):
    """Run one function in process and print its response as JSON (logs on stderr)."""
    root = app_root()
    from .invoking import invoke as run

    opts = settings(c, "local", DEFAULTS)
    run(root, name, _payload(c, payload, opts), event_file=event, method=method, path=path,
        body=body, headers=header, db=db and _flag("db", opts["db"]))


@task(
    iterable=["scope", "claim"],
    help={
        "sub": "The token's subject (default local-user).",
        "scope": "A scope the token carries (repeat for more).",
        "claim": "An extra claim as name=value (repeat for more; a JSON value is read as JSON).",
        "expires_in": "Seconds until it expires (default 3600).",
    }
)
def token(c, sub="local-user", scope=None, claim=None, expires_in=3600):
    """Print a JWT for auth.jwt signed with this app's local key: local.serve accepts it, AWS never does."""
    root = app_root()
    from .token import print_token

    print_token(root, sub, scope or [], claim or [], expires_in)


ns = Collection("local", serve, invoke, token)
ns.configure({"local": DEFAULTS})
