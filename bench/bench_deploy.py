"""deploy.template for 100 and 150 functions + 100 models (limit 2 s) against dynamo.generateschema on the
same models (150 functions need nested stacks and a raised REST API quota, deploy.api_resources); resources
per HTTP function; a no-op `tight deploy` against moto's server next to `tight generate.artifact`.

The largest app deployed in the tests: tests/deploy/test_deploy_nested_aws.py (72 HTTP functions and an
sqs worker, nested stacks on moto's server)."""
import os
import socket
import subprocess

from .common import PY, Figure, median_interleaved, wall

MODEL = '''import os
from flywheel import Field, GlobalIndex, Model


class Model{n:03d}(Model):
    __metadata__ = {{
        '_name': f"{{os.environ['NAME']}}-{{os.environ['STAGE']}}-table{n:03d}",
        'throughput': {{'read': 1, 'write': 1}},
        'global_indexes': [GlobalIndex.all('by-kind', 'kind').throughput(1, 1)],
    }}
    id = Field(type=str, hash_key=True)
    ts = Field(type=int, range_key=True)
    kind = Field(type=str)
    score = Field(type=int, index='by-score')
'''


def tight(*args, cwd, env=None):
    return subprocess.run([PY, "-m", "tight_tasks", *args], cwd=cwd, env=env, check=True, capture_output=True,
                          text=True)


def big_app(tmp, functions=100, name="big", models=100):
    tight("generate.app", name, cwd=tmp)
    root = tmp / name
    if functions > 149:  # two paths a function: past API Gateway's default 300 resources per REST API
        with open(root / "tight.yml", "a", encoding="utf-8") as handle:
            handle.write("deploy:\n  api_resources: 400\n")
    for n in range(functions):
        folder = root / "app" / "functions" / f"fn{n:03d}"
        folder.mkdir(parents=True)
        (folder / "__init__.py").write_text("")
        (folder / "handler.py").write_text("def get_handler(*args, **kwargs):\n    return {}\n")
        if n < models:
            (root / "app" / "models" / f"Model{n:03d}.py").write_text(MODEL.format(n=n))
    return root


def resources_per_function(tmp):
    """The resources one more HTTP function adds to the template: ``(count, "type xN, ...")``."""
    from collections import Counter

    import yaml

    found = []
    for functions in (10, 11):
        root = big_app(tmp / f"count{functions}", functions, name="count", models=0)
        found.append(yaml.safe_load(tight("deploy.template", "--output", "-", cwd=root).stdout)["Resources"])
    added = Counter(v["Type"].split("::", 1)[1] for k, v in found[1].items()
                    if k not in found[0] and v["Type"] != "AWS::ApiGateway::Deployment")  # renamed, not added
    return sum(added.values()), ", ".join(f"{kind} x{n}" if n > 1 else kind for kind, n in sorted(added.items()))


def moto_env(tmp):
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no request log between the figures
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    import boto3  # what an account has once: API Gateway's CloudWatch role (REST access logs need it)

    boto3.client("apigateway", endpoint_url=f"http://localhost:{port}", region_name="us-east-1",
                 aws_access_key_id="testing", aws_secret_access_key="testing").update_account(
        patchOperations=[{"op": "replace", "path": "/cloudwatchRoleArn", "value": "arn:aws:iam::1:role/logs"}])
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TIGHT_"))}
    env.update(AWS_ENDPOINT_URL=f"http://localhost:{port}", AWS_ACCESS_KEY_ID="testing",
               AWS_SECRET_ACCESS_KEY="testing", AWS_REGION="us-east-1", AWS_EC2_METADATA_DISABLED="true",
               AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull)
    return server, env


def run(tmp):
    for functions in (100, 150):
        (tmp / str(functions)).mkdir()
        root = big_app(tmp / str(functions), functions)
        out = tmp / str(functions) / "template.yml"
        template, schema = median_interleaved(
            lambda out=out, root=root: wall([PY, "-m", "tight_tasks", "deploy.template", "--output", str(out)],
                                            cwd=root),
            lambda root=root: wall([PY, "-m", "tight_tasks", "dynamo.generateschema"], cwd=root))
        nested = len(list(out.parent.glob("template.StackPart*.yml")))
        size = sum(p.stat().st_size for p in out.parent.glob("template*.yml"))
        yield Figure(f"deploy.template, {functions} functions + 100 models ({nested} nested stacks, {size:,} bytes; "
                     f"limit 2 s: {'ok' if template <= 2 else 'MISSED'})", template,
                     "dynamo.generateschema (same models)", schema)
    (tmp / "count10").mkdir()
    (tmp / "count11").mkdir()
    count, kinds = resources_per_function(tmp)
    yield Figure(f"resources per HTTP function ({kinds})", count, "round 3 (one shared role, no versions)", 7,
                 unit="", runs=1)

    server, env = moto_env(tmp)
    try:
        tight("generate.app", "small", cwd=tmp)
        app = tmp / "small"
        for name in ("generate.function", "generate.model"):
            tight(name, "hello" if name.endswith("function") else "account", cwd=app)
        (app / "requirements-vendor.txt").write_text("")  # nothing to vendor: no PyPI in the bench
        tight("deploy", "--yes", cwd=app, env=env)
        redeploy, artifact = median_interleaved(
            lambda: wall([PY, "-m", "tight_tasks", "deploy", "--yes"], cwd=app, env=env),
            lambda: wall([PY, "-m", "tight_tasks", "generate.artifact"], cwd=app, env=env))
        yield Figure("deploy, nothing to change (moto server)", redeploy, "generate.artifact", artifact)
    finally:
        server.stop()
