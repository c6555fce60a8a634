"""The mutation bench's verdicts: surviving mutants judged equivalent (the code behaves the same), with why.

Keyed by ``(line removed, line added)`` as mutmut shows them; :mod:`bench.bench_mutation` prints the reason
beside each such survivor. Data only.
"""
from __future__ import annotations

FAST_PATH = "reading __code__ is a shortcut: inspect.signature gives the same names"
ROUTES_SORTED = ("tight.dev.routes.routes gives the routes sorted by path (paths are unique); sorting again by "
                 "function and path changes no resource, only the order of keys in the template")
C_DUMPER = "the C dumper (libyaml) writes the same text as SafeDumper, only faster"
SIZE_ONLY = "only the length of the policy's text counts, and the case of a letter does not change it"
UNUSED_PREFIX = "every caller passes the prefix; without one, only a table name starting with XXXX could tell"
SLASH = "a name starting with / is never a plain name, whatever the separator: it gets a digest either way"
SHORT = "function_name is at most 64 characters, so this limit (and one more) never shortens the name"
CODEC = "codec names are case-insensitive"
FAST_DICT = "a shortcut for the usual dict: isinstance(..., Mapping) gives the same answer"
INFINITY = "only an infinite Decimal reaches the comparison, and it is never between 0 and 1"
PATH_FAST = "a shortcut: request.path_parameters reads the same event key"
BODY_FAST = "a shortcut: request.body is None for an absent or empty body"
NO_CONTEXT = "an error response reads nothing from the Lambda context"
#: Survivors judged equivalent: (removed line, added line) with surrounding spaces stripped -> why.
EQUIVALENT = {
    ('origin = headers.get("origin")', 'origin = headers.get("ORIGIN")'):
        "request headers are a case-insensitive mapping",
    ('allowed = policy.allowed_origin(headers.get("origin"))', 'allowed = policy.allowed_origin(headers.get("ORIGIN"))'):
        "request headers are a case-insensitive mapping",
    ('allowed = policy.allowed_origin(request.headers.get("origin"))',
     'allowed = policy.allowed_origin(request.headers.get("ORIGIN"))'):
        "request headers are a case-insensitive mapping",
    ('if policy is None or response.has("Access-Control-Allow-Origin") or \\',
     'if policy is None or response.has("access-control-allow-origin") or \\'):
        "response header names are looked up in lower case",
    ('if policy is None or response.has("Access-Control-Allow-Origin") or \\',
     'if policy is None or response.has("ACCESS-CONTROL-ALLOW-ORIGIN") or \\'):
        "response header names are looked up in lower case",
    ('response.was_removed("Access-Control-Allow-Origin"):', 'response.was_removed("access-control-allow-origin"):'):
        "response header names are looked up in lower case",
    ('response.was_removed("Access-Control-Allow-Origin"):', 'response.was_removed("ACCESS-CONTROL-ALLOW-ORIGIN"):'):
        "response header names are looked up in lower case",
    ('requested = [h.strip() for h in headers.get("access-control-request-headers", "").split(",") if h.strip()]',
     'requested = [h.strip() for h in headers.get("ACCESS-CONTROL-REQUEST-HEADERS", "").split(",") if h.strip()]'):
        "request headers are a case-insensitive mapping",
    ('key = re.sub(r"\\{[^}/]*?(\\+?)\\}", r"{}\\1", path)  # /a/{id} and /a/{key} are the same resource',
     'key = re.sub(r"\\{[^}/]*?(\\+?)\\}", r"XX{}\\1XX", path)  # /a/{id} and /a/{key} are the same resource'):
        "the key is only compared with keys made the same way",
    ('return resource_name(app, name, 80, end), resource_name(app, name, 80, "-dlq" + end)',
     'return resource_name(app, name, 81, end), resource_name(app, name, 80, "-dlq" + end)'): SHORT,
    ('return resource_name(app, name, 80, end), resource_name(app, name, 80, "-dlq" + end)',
     'return resource_name(app, name, 80, end), resource_name(app, name, 81, "-dlq" + end)'): SHORT,
    ('"Name": resource_name(app, name, 64),', '"Name": resource_name(app, name, 65),'): SHORT,
    ('"VisibilityTimeout": min(43_200, 6 * int(settings["timeout"])),',
     '"VisibilityTimeout": min(43201, 6 * int(settings["timeout"])),'):
        "timeout is at most 900 s (routes), so 6x never reaches SQS's 43,200",
    ('return a == b or (a.endswith(":*") and b.startswith(a[:-1])) or (b.endswith(":*") and a.startswith(b[:-1]))',
     'return a == b or (a.endswith(":*") and b.startswith(a[:-2])) or (b.endswith(":*") and a.startswith(b[:-1]))'):
        "no S3 event type starts with a wildcard's prefix without its ':'",
    ('return a == b or (a.endswith(":*") and b.startswith(a[:-1])) or (b.endswith(":*") and a.startswith(b[:-1]))',
     'return a == b or (a.endswith(":*") and b.startswith(a[:-1])) or (b.endswith(":*") and a.startswith(b[:-2]))'):
        "no S3 event type starts with a wildcard's prefix without its ':'",
    ('code = function.__code__', 'code = None'): FAST_PATH,
    ('log().exception("%s", what, extra=fields)', 'log().exception(what, extra=fields)'):
        "a message without arguments is not %-formatted by logging",
    ('head, sep, rest = str(arn or "").partition(":execute-api:")',
     'head, sep, rest = str(arn or "XXXX").partition(":execute-api:")'):
        "without an ARN neither default holds ':execute-api:', and the answer is '*'",
    ('return None if value.is_finite() else (path, "NaN" if value.is_nan() else f"{\'-\' if value < 0 else \'\'}Infinity")',
     'return None if value.is_finite() else (path, "NaN" if value.is_nan() else f"{\'-\' if value <= 0 else \'\'}Infinity")'):
        INFINITY,
    ('return None if value.is_finite() else (path, "NaN" if value.is_nan() else f"{\'-\' if value < 0 else \'\'}Infinity")',
     'return None if value.is_finite() else (path, "NaN" if value.is_nan() else f"{\'-\' if value < 1 else \'\'}Infinity")'):
        INFINITY,
    ('response.body = base64.b64encode(bytes(body)).decode("ascii")',
     'response.body = base64.b64encode(bytes(body)).decode("ASCII")'):
        CODEC,
    ('response.set(name, list(values) if isinstance(values, (list, tuple)) else values)',
     'response.set(name, list(values) if (isinstance(values, (list, tuple))) and False else values)'):
        "Response.set copies lists and tuples itself",
    ('handler = registered.get(method) if method else None',
     'handler = registered.get(method) if (method) or True else None'):
        "no handler is registered under None",
    ('parameters = event.get("pathParameters")',
     'parameters = None'):
        PATH_FAST,
    ('parameters = event.get("pathParameters")',
     'parameters = event.get(None)'):
        PATH_FAST,
    ('parameters = event.get("pathParameters")',
     'parameters = event.get("XXpathParametersXX")'):
        PATH_FAST,
    ('parameters = event.get("pathParameters")',
     'parameters = event.get("pathparameters")'):
        PATH_FAST,
    ('parameters = event.get("pathParameters")',
     'parameters = event.get("PATHPARAMETERS")'):
        PATH_FAST,
    ('"body": None if raw_body is None or raw_body == "" else request.body,',
     '"body": None if (raw_body is None or raw_body == "") and False else request.body,'):
        BODY_FAST,
    ('"body": None if raw_body is None or raw_body == "" else request.body,',
     '"body": None if raw_body is None and raw_body == "" else request.body,'):
        BODY_FAST,
    ('"body": None if raw_body is None or raw_body == "" else request.body,',
     '"body": None if raw_body is None or raw_body == "XXXX" else request.body,'):
        BODY_FAST,
    ('"path_parameters": dict(parameters) if type(parameters) is dict else request.path_parameters,',
     '"path_parameters": dict(parameters) if (type(parameters) is dict) and False else request.path_parameters,'):
        PATH_FAST,
    ('"path_parameters": dict(parameters) if type(parameters) is dict else request.path_parameters,',
     '"path_parameters": dict(parameters) if type(None) is dict else request.path_parameters,'):
        PATH_FAST,
    ('"principal_id": principal_id(event) if "requestContext" in event else None}',
     '"principal_id": principal_id(event) if ("requestContext" in event) or True else None}'):
        "principal_id() of an event without a requestContext is None",
    ('elif name == "event":',
     'elif name == "XXeventXX":'):
        "the fallback, getattr(request, name), reads the same attribute",
    ('elif name == "event":',
     'elif name == "EVENT":'):
        "the fallback, getattr(request, name), reads the same attribute",
    ('elif name == "context":',
     'elif name == "XXcontextXX":'):
        "the fallback, getattr(request, name), reads the same attribute",
    ('elif name == "context":',
     'elif name == "CONTEXT":'):
        "the fallback, getattr(request, name), reads the same attribute",
    ('request = Request(event if type(event) is dict or isinstance(event, Mapping) else {}, context)',
     'request = Request(event if type(None) is dict or isinstance(event, Mapping) else {}, context)'):
        FAST_DICT,
    ('elif getattr(exc, "one_line", False):  # NaN in the body...: the message says what and where',
     'elif getattr(exc, "one_line", None):  # NaN in the body...: the message says what and where'):
        "both defaults are false",
    ('request = Request(event if isinstance(event, Mapping) else {}, context)',
     'request = Request(event if isinstance(event, Mapping) else {}, None)'):
        NO_CONTEXT,
    ('request = Request(event if isinstance(event, Mapping) else {}, context)',
     'request = Request(event if isinstance(event, Mapping) else {}, )'):
        NO_CONTEXT,
    ('if type(value) is dict:  # the usual case, without the ABC check',
     'if type(None) is dict:  # the usual case, without the ABC check'):
        FAST_DICT,
    ('return int(size) if size is not None else None', 'return int(size) if (size is not None) or True else None'):
        "int(None) raises TypeError, which is caught: None as well",
    ('return RECORD_SOURCES.get(record_source(found[0]) or "", "an event with unknown Records")',
     'return RECORD_SOURCES.get(record_source(found[0]) or "XXXX", "an event with unknown Records")'):
        "neither default is a record source",
    ('if ".lambda-url." in str(context.get("domainName") or ""):',
     'if ".lambda-url." in str(context.get("domainName") or "XXXX"):'):
        "without a domain name neither default holds '.lambda-url.'",
    ('text = raw.decode("utf-8") if encoded else body',
     'text = raw.decode("UTF-8") if encoded else body'):
        CODEC,
    ('return json.dumps(body).encode("utf-8")',
     'return json.dumps(body).encode("UTF-8")'):
        CODEC,
    ('return body.encode("utf-8")',
     'return body.encode("UTF-8")'):
        CODEC,
    ('return body.encode("utf-8", "surrogatepass")',
     'return body.encode("UTF-8", "surrogatepass")'):
        CODEC,
    ('routes = sorted(app.routes, key=lambda r: (r.path, r.function))', 'routes = sorted(app.routes, key=None)'):
        ROUTES_SORTED,
    ('routes = sorted(app.routes, key=lambda r: (r.path, r.function))', 'routes = sorted(app.routes, )'):
        ROUTES_SORTED,
    ('auth = method_auth(app, route.function, http=False)', 'auth = method_auth(app, route.function, http=None)'):
        "http is only tested for truth, and None is false like False",
    ('class Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):', 'class Dumper(getattr(None, "CSafeDumper", yaml.SafeDumper)):'): C_DUMPER,
    ('class Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):', 'class Dumper(getattr(yaml, "CSafeDumper", None)):'): C_DUMPER,
    ('class Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):', 'class Dumper(getattr(yaml, "CSafeDumper", )):'): C_DUMPER,
    ('class Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):', 'class Dumper(getattr(yaml, "XXCSafeDumperXX", yaml.SafeDumper)):'): C_DUMPER,
    ('class Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):', 'class Dumper(getattr(yaml, "csafedumper", yaml.SafeDumper)):'): C_DUMPER,
    ('class Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):', 'class Dumper(getattr(yaml, "CSAFEDUMPER", yaml.SafeDumper)):'): C_DUMPER,
    ('return yaml.dump(dict(template), Dumper=Dumper, default_flow_style=False, sort_keys=False, width=4096)',
     'return yaml.dump(dict(template), Dumper=Dumper, default_flow_style=False, sort_keys=None, width=4096)'):
        "yaml only tests sort_keys for truth, and None is false like False",
    ('return yaml.dump(dict(template), Dumper=Dumper, default_flow_style=False, sort_keys=False, width=4096)',
     'return yaml.dump(dict(template), Dumper=Dumper, sort_keys=False, width=4096)'):
        "block style (default_flow_style=False) is PyYAML's own default since 5.1",
    ('return yaml.dump(dict(template), Dumper=Dumper, default_flow_style=False, sort_keys=False, width=4096)',
     'return yaml.dump(dict(template), Dumper=Dumper, default_flow_style=False, sort_keys=False, width=4097)'):
        "only where a line longer than 4,096 columns is folded changes, and YAML reads a folded line back the same",
    ('text = json.dumps({"Version": "2012-10-17", "Statement": resolved}, separators=(",", ":"))',
     'text = json.dumps({"version": "2012-10-17", "Statement": resolved}, separators=(",", ":"))'): SIZE_ONLY,
    ('text = json.dumps({"Version": "2012-10-17", "Statement": resolved}, separators=(",", ":"))',
     'text = json.dumps({"VERSION": "2012-10-17", "Statement": resolved}, separators=(",", ":"))'): SIZE_ONLY,
    ('text = json.dumps({"Version": "2012-10-17", "Statement": resolved}, separators=(",", ":"))',
     'text = json.dumps({"Version": "2012-10-17", "statement": resolved}, separators=(",", ":"))'): SIZE_ONLY,
    ('text = json.dumps({"Version": "2012-10-17", "Statement": resolved}, separators=(",", ":"))',
     'text = json.dumps({"Version": "2012-10-17", "STATEMENT": resolved}, separators=(",", ":"))'): SIZE_ONLY,
    ('return "x" * GET_ATT_ARN if isinstance(resource, dict) else resource',
     'return "X" * GET_ATT_ARN if isinstance(resource, dict) else resource'): SIZE_ONLY,
    ('start = arn.find(marker) + len(marker)', 'start = arn.rfind(marker) + len(marker)'):
        "a marker is in an ARN once at most (table and log group names hold no ':')",
    ('return grants(app, name, settings)', 'return grants(app, None, settings)'):
        "producers.grants reads only the function's settings (the name is the provider's signature)",
    ('def table_id(table: str, prefix: str = "") -> str:', 'def table_id(table: str, prefix: str = "XXXX") -> str:'):
        UNUSED_PREFIX,
    ('def table_parts(spec: Mapping[str, Any], prefix: str = "", recovery: bool = True, protect: bool = False) -> Parts:',
     'def table_parts(spec: Mapping[str, Any], prefix: str = "XXXX", recovery: bool = True, protect: bool = False) -> Parts:'):
        UNUSED_PREFIX,
    ('return logical_id("Table", f"/{table}", separator="-")', 'return logical_id("Table", f"/{table}", )'): SLASH,
    ('return logical_id("Table", f"/{table}", separator="-")', 'return logical_id("Table", f"/{table}", separator="XX-XX")'):
        SLASH,
    ('for depth in range(1, len(segments) + 1):', 'for depth in range(len(segments) + 1):'):
        "depth 0 is the root, which is known before the loop (and skipped in it)",
    ('for depth in range(1, len(segments) + 1):', 'for depth in range(1, len(segments) + 2):'):
        "one past the last segment is the whole path again, made the step before (and skipped)",
}


#: Functions that run only when their module is imported, before mutmut switches a mutant on in the test
#: process: their mutants cannot fail a test, whatever it checks (mutant name prefix -> what covers them).
#: A test that calls the function itself reaches them: test_runtime_proxy_units makes ``lambda_proxy._register``
#: and test_runtime_authorizer_units ``records.decorator`` at test time, so neither needs an entry.
IMPORT_TIME: dict[str, str] = {}
