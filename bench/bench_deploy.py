"""deploy.template for 100 functions + 100 models (limit 2 s) against dynamo.generateschema on the same
models; a no-op `tight deploy` against moto's server next to `tight generate.artifact`."""
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


def big_app(tmp):
    tight("generate.app", "big", cwd=tmp)
    root = tmp / "big"
    for n in range(100):
        folder = root / "app" / "functions" / f"fn{n:03d}"
        folder.mkdir(parents=True)
        (folder / "__init__.py").write_text("")
        (folder / "handler.py").write_text("def get_handler(*args, **kwargs):\n    return {}\n")
        (root / "app" / "models" / f"Model{n:03d}.py").write_text(MODEL.format(n=n))
    return root


def moto_env(tmp):
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no request log between the figures
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TIGHT_"))}
    env.update(AWS_ENDPOINT_URL=f"http://localhost:{port}", AWS_ACCESS_KEY_ID="testing",
               AWS_SECRET_ACCESS_KEY="testing", AWS_REGION="us-east-1", AWS_EC2_METADATA_DISABLED="true",
               AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull)
    return server, env


def run(tmp):
    root = big_app(tmp)
    out = tmp / "template.yml"
    template, schema = median_interleaved(
        lambda: wall([PY, "-m", "tight_tasks", "deploy.template", "--output", str(out)], cwd=root),
        lambda: wall([PY, "-m", "tight_tasks", "dynamo.generateschema"], cwd=root))
    size = out.stat().st_size
    yield Figure(f"deploy.template, 100 functions + 100 models ({size:,} bytes; limit 2 s: "
                 f"{'ok' if template <= 2 else 'MISSED'})", template, "dynamo.generateschema (same models)", schema)

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
