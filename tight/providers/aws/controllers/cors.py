"""App-wide CORS for HTTP controllers: preflights answered, allowed origins echoed.

Configure once, where every function sees it (``app/__init__.py`` runs before
any handler module)::

    import tight.providers.aws.controllers.lambda_proxy_event as lambda_proxy

    lambda_proxy.configure_cors(origins=['https://app.example.com'], credentials=True)

Defaults: any origin (``*``), the methods of the controller, the headers the
preflight asks for, ``max_age=600`` seconds, no credentials. ``configure_cors(None)``
turns CORS handling off (preflights then reach ``@options`` handlers or get 405).
"""
from __future__ import annotations

from collections.abc import Iterable

from tight.providers.aws.controllers.http_response import Response

ANY = "*"


class CorsSettings:
    """The app's CORS policy; ``headers``/``methods`` None mean "what the preflight asks for"
    and "the controller's methods"."""

    __slots__ = ("credentials", "expose_headers", "headers", "max_age", "methods", "origins")

    def __init__(self, origins: tuple[str, ...] = (ANY,), headers: tuple[str, ...] | None = None,
                 methods: tuple[str, ...] | None = None, expose_headers: tuple[str, ...] = (),
                 max_age: int | None = 600, credentials: bool = False):
        self.origins = origins
        self.headers = headers
        self.methods = methods
        self.expose_headers = expose_headers
        self.max_age = max_age
        self.credentials = credentials

    def __repr__(self) -> str:
        return (f"CorsSettings(origins={self.origins!r}, headers={self.headers!r}, methods={self.methods!r}, "
                f"expose_headers={self.expose_headers!r}, max_age={self.max_age!r}, credentials={self.credentials!r})")

    def allowed_origin(self, origin: str | None) -> str | None:
        """The Access-Control-Allow-Origin value for a request from ``origin`` (None: not allowed)."""
        if ANY in self.origins:
            return origin if (self.credentials and origin) else (None if self.credentials else ANY)
        if origin and origin.removesuffix("/") in self.origins:
            return origin
        return None


_settings: CorsSettings | None = CorsSettings()


def _tuple(values: Iterable[str] | str | None) -> tuple[str, ...] | None:
    if values is None:
        return None
    if isinstance(values, str):
        values = [values]
    return tuple(str(v).strip() for v in values)


def _origins(values: Iterable[str] | str) -> tuple[str, ...]:
    """Configured origins as browsers send them: ``https://app.example.com/`` is ``https://app.example.com``."""
    return tuple(origin.removesuffix("/") for origin in _tuple(values) or ())


def configure(origins: Iterable[str] | str | None = (ANY,), headers: Iterable[str] | None = None,
              methods: Iterable[str] | None = None, max_age: int | None = 600, credentials: bool = False,
              expose_headers: Iterable[str] = ()) -> CorsSettings | None:
    """Set the app's CORS policy (see the module docstring); ``origins=None`` turns CORS off."""
    global _settings
    if origins is None:
        _settings = None
        return None
    _settings = CorsSettings(origins=_origins(origins), headers=_tuple(headers),
                             methods=tuple(m.upper() for m in methods) if methods is not None else None,
                             expose_headers=_tuple(expose_headers) or (), max_age=max_age,
                             credentials=bool(credentials))
    return _settings


def settings() -> CorsSettings | None:
    return _settings


def is_preflight(method: str | None, headers) -> bool:
    return method == "OPTIONS" and "access-control-request-method" in headers


def preflight(headers, methods: Iterable[str]) -> Response:
    """The 204 answer to a preflight for a controller that has ``methods``."""
    response = Response(204)
    policy = _settings
    if policy is None:  # CORS off
        return response
    allowed = policy.allowed_origin(headers.get("origin"))
    if allowed is None:
        return response
    listed = list(policy.methods if policy.methods is not None else methods)
    if "OPTIONS" not in listed:
        listed.append("OPTIONS")
    response.set("Access-Control-Allow-Origin", allowed)
    response.set("Access-Control-Allow-Methods", ", ".join(listed))
    requested = [h.strip() for h in headers.get("access-control-request-headers", "").split(",") if h.strip()]
    if policy.headers is None:
        allowed_headers = requested
    else:
        allowed_headers = list(policy.headers)
    if allowed_headers:
        response.set("Access-Control-Allow-Headers", ", ".join(allowed_headers))
    if policy.max_age is not None:
        response.set("Access-Control-Max-Age", str(int(policy.max_age)))
    if policy.credentials:
        response.set("Access-Control-Allow-Credentials", "true")
    if allowed != ANY:
        response.add_vary("Origin")
    return response


def decorate(response: Response, request) -> None:
    """Add the CORS headers of an actual (non-preflight) response to ``request``, unless the handler
    set its own."""
    policy = _settings
    if policy is None or response.has("Access-Control-Allow-Origin") or \
            response.was_removed("Access-Control-Allow-Origin"):
        return
    if policy.origins == (ANY,) and not policy.credentials and not policy.expose_headers:
        response.set("Access-Control-Allow-Origin", ANY)  # the default: no need to read the request
        return
    allowed = policy.allowed_origin(request.headers.get("origin"))
    if ANY not in policy.origins or policy.credentials:
        response.add_vary("Origin")
    if allowed is None:
        return
    response.set("Access-Control-Allow-Origin", allowed)
    if policy.credentials:
        response.set("Access-Control-Allow-Credentials", "true")
    if policy.expose_headers:
        response.set("Access-Control-Expose-Headers", ", ".join(policy.expose_headers))
