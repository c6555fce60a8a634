"""Configuration's `tight.yml` example, which uses every section, is one tight accepts and deploys as it says."""
from __future__ import annotations

import re

import yaml
from conftest import REPO, run_tight


def test_the_full_tight_yml_example_works(tmp_path):
    page = (REPO / "docs" / "configuration.md").read_text(encoding="utf-8")
    example = re.search(r"```yaml\n(.*?)```", page[page.index("A `tight.yml` that uses every section"):],
                        re.DOTALL).group(1)
    assert run_tight("generate.app", "my_service", cwd=tmp_path).returncode == 0
    root = tmp_path / "my_service"
    for args in (("generate.function", "my_controller"), ("generate.model", "account"), ("generate.env",)):
        result = run_tight(*args, cwd=root)
        assert result.returncode == 0, result.stdout + result.stderr
    (root / "tight.yml").write_text(example, encoding="utf-8")
    result = run_tight("deploy.template", "--output", "-", cwd=root)
    assert result.returncode == 0, result.stderr
    template = yaml.safe_load(result.stdout)
    function = template["Resources"]["FunctionMyController"]["Properties"]
    assert (function["MemorySize"], function["Architectures"]) == (512, ["arm64"])
    table = template["Resources"]["TableAccounts"]["Properties"]
    assert table.get("DeletionProtectionEnabled") is not True  # protect: [prod], and this is dev
    paths = {r["Properties"]["PathPart"] for r in template["Resources"].values()
             if r["Type"] == "AWS::ApiGateway::Resource"}
    assert paths == {"accounts", "{id}"}


def test_the_functions_example_works(tmp_path):
    """Configuration's `functions:` example: one function of each kind, as generate.function makes them."""
    page = (REPO / "docs" / "configuration.md").read_text(encoding="utf-8")
    example = re.search(r"```yaml\n(functions:\n.*?)```", page[page.index("## `functions:`"):], re.DOTALL).group(1)
    assert run_tight("generate.app", "my_service", cwd=tmp_path).returncode == 0
    root = tmp_path / "my_service"
    for args in (("generate.function", "my_controller"), ("generate.model", "account"),
                 ("generate.function", "orders", "--type", "sqs"), ("generate.function", "nightly", "--type", "schedule"),
                 ("generate.function", "thumbnails", "--type", "s3"),
                 ("generate.function", "audit", "--type", "dynamodb_stream", "--table", "account"),
                 ("generate.function", "gate", "--type", "authorizer"), ("generate.env",)):
        result = run_tight(*args, cwd=root)
        assert result.returncode == 0, result.stdout + result.stderr
    config = yaml.safe_load((root / "tight.yml").read_text(encoding="utf-8"))
    config["functions"] = yaml.safe_load(example)["functions"]
    (root / "tight.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    result = run_tight("deploy.template", "--output", "-", cwd=root)
    assert result.returncode == 0, result.stderr
    resources = yaml.safe_load(result.stdout)["Resources"]
    kinds = {r["Type"] for r in resources.values()}
    assert {"AWS::SQS::Queue", "AWS::Events::Rule", "AWS::S3::Bucket", "AWS::Lambda::EventSourceMapping",
            "AWS::ApiGateway::Authorizer"} <= kinds
    assert resources["FunctionMyController"]["Properties"]["MemorySize"] == 512


def test_every_setting_tight_reads_is_in_the_reference():
    """Every per-function key the parser accepts, and every key of each tight.yml section's defaults, is named on
    the Configuration page (new settings are documented where users look them up)."""
    from tight.dev.routes import KEYS
    from tight_tasks import config
    from tight_tasks._pip import DEFAULTS as PIP
    from tight_tasks.deploy import DEFAULTS as DEPLOY
    from tight_tasks.dynamo import DEFAULTS as DYNAMO
    from tight_tasks.local import DEFAULTS as LOCAL

    page = (REPO / "docs" / "configuration.md").read_text(encoding="utf-8")
    functions = page[page.index("## `functions:`"):page.index("\n## ", page.index("## `functions:`") + 1)]
    missing = [key for key in KEYS if f"`{key}`" not in functions]
    sections = {"": config.DEFAULTS, "dynamo": DYNAMO, "pip": PIP, "local": LOCAL, "deploy": DEPLOY}
    for section, defaults in sections.items():
        row = page if not section else next(line for line in page.splitlines() if line.startswith(f"| `{section}:`"))
        missing += [f"{section}.{key}" for key in defaults if f"`{key}" not in row]
    assert missing == []
