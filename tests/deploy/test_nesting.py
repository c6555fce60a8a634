"""Nested stacks (pure): every reference of a split template resolves, limits hold, cfn-lint passes."""
from __future__ import annotations

import pytest
import yaml
from deploy_support import cfn_lint

from tight.dev.routes import function_settings, routes
from tight_tasks.deploy.nesting import STACK_LIMIT, _cyclic, references, split
from tight_tasks.deploy.template import App, TemplateError, build, render


def big_app(count: int, extra: tuple[str, ...] = (), **deploy) -> App:
    names = [f"fn{i:03d}" for i in range(count)] + ["worker", "audit", "tick", *extra]
    config = {"functions": {"worker": {"type": "sqs"}, "audit": {"type": "dynamodb_stream", "table": "a"},
                            "tick": {"type": "schedule", "schedule": "rate(1 hour)"},
                            "fn000": {"path": ["/v1/a", "/v1/b"]}, "fn001": {"path": ["/v1/c"]}}}
    spec = {"TableName": "shop-dev-a", "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}], "BillingMode": "PAY_PER_REQUEST"}
    return App(name="shop", stage="dev", runtime="python3.12", architecture="x86_64",
               environment={"NAME": "shop", "STAGE": "dev"}, tables=[spec], functions=function_settings(config, names),
               routes=routes(config, names), model_tables={"a": "shop-dev-a"}, function_models={"fn002": {"a"}},
               deploy=deploy)


def resolvable(template: dict, extra: set[str]) -> None:
    known = set(template["Resources"]) | set(template.get("Parameters") or {}) | extra
    for key, resource in template["Resources"].items():
        for name, _ in references(resource):
            assert name in known or name.startswith("AWS::"), (key, name)
        for name in [resource["DependsOn"]] if isinstance(resource.get("DependsOn"), str) else \
                resource.get("DependsOn") or []:
            assert name in template["Resources"], (key, name)


def test_a_small_app_stays_one_stack():
    template = build(big_app(10))
    assert split(template, render) == (template, {})


def test_an_app_near_the_rest_api_quota_splits_into_stacks_that_each_resolve(tmp_path):
    flat = build(big_app(149))  # 149 HTTP functions: 299 paths and /, within the quota
    root, children = split(flat, render)
    assert len(flat["Resources"]) > STACK_LIMIT and len(root["Resources"]) < 20
    resolvable(root, set())
    assert acyclic(root)
    count = len(root["Resources"]) - len(children)
    paths = [tmp_path / "root.yml"]
    paths[0].write_text(render(root))
    for stack, (name, text) in children.items():
        child = yaml.safe_load(text)
        assert len(child["Resources"]) <= STACK_LIMIT and len(child["Parameters"]) <= 200
        resolvable(child, set())
        count += len(child["Resources"])
        assert root["Resources"][stack]["Properties"]["TemplateURL"] == {"Fn::Sub": f"${{TemplateBase}}/{name}"}
        paths.append(tmp_path / name)
        paths[-1].write_text(text)
        for output in (child.get("Outputs") or {}).values():
            assert next(iter(output["Value"])) in ("Ref", "Fn::GetAtt")
    assert count == len(flat["Resources"])  # every resource lands once
    assert [k for k, v in root["Resources"].items() if v["Type"] == "AWS::DynamoDB::Table"] == ["TableA"]
    linted = cfn_lint(*paths)
    assert linted.returncode == 0, linted.stdout + linted.stderr


def test_past_the_rest_apis_quota_the_counts_and_the_way_out():
    with pytest.raises(TemplateError, match=r"the REST API needs 301 resources \(one per path segment of 299 routes "
                                            r"of 150 functions\), over API Gateway's quota of 300 per API: share "):
        build(big_app(150))
    assert build(big_app(150, api_resources=400))  # a raised quota, said in deploy.api_resources


def acyclic(template: dict) -> bool:
    """Whether the root's resources (nested stacks included) depend on each other without a circle."""
    resources = template["Resources"]
    return not _cyclic({key: ({name for name, _ in references(resource)} | set(resource.get("DependsOn") or []))
                             & set(resources) - {key} for key, resource in resources.items()})


@pytest.mark.parametrize("api", ["rest", "http"])
def test_authorized_apps_split_without_a_circle(api, tmp_path):
    from tight.dev import auth

    names = tuple(f"fn{i:03d}" for i in range(60)) + ("gate",)
    config = {"api": api, "auth": {"default": "gate"}, "functions": {"gate": {"type": "authorizer"},
                                                                      "fn000": {"auth": "none"}}}
    settings = function_settings(config, names)
    app = App(name="shop", stage="dev", runtime="python3.12", architecture="arm64",
              environment={"NAME": "shop", "STAGE": "dev"}, tables=[], functions=settings,
              routes=routes(config, names), api=auth.api_type(config), rules=auth.rules(config, settings),
              jwt=auth.jwt_settings(config))
    root, children = split(build(app), render)
    assert len(children) >= 2 and acyclic(root)
    for _, text in children.values():
        resolvable(yaml.safe_load(text), set())
    path = tmp_path / "root.yml"
    path.write_text(render(root))
    linted = cfn_lint(path)
    assert linted.returncode == 0, linted.stdout + linted.stderr


def placed(children: dict) -> dict[str, int]:
    """Resource -> the number of the nested stack it is in (what deploy reads back from the deployed stack)."""
    return {key: int(stack.removeprefix("StackPart")) for stack, (_, text) in children.items()
            for key in yaml.safe_load(text)["Resources"]}


def test_a_redeploy_keeps_every_resource_in_its_nested_stack_and_adds_new_ones_last(tmp_path):
    """CloudFormation cannot move a function or its log group from one stack to another in one update."""
    _, first = split(build(big_app(100)), render)
    placement = placed(first)
    grown = build(big_app(100, extra=("aaa", "api")))  # sorted first: packed afresh, they would shift the rest
    assert {k: v for k, v in placed(split(grown, render)[1]).items() if k in placement} != placement
    root, children = split(grown, render, placement)
    after = placed(children)
    assert {k: after[k] for k in placement} == placement
    added = set(after) - set(placement)
    assert {k[:11] for k in added} >= {"FunctionAaa", "FunctionApi"}
    assert {after[k] for k in added} <= {max(placement.values()), max(placement.values()) + 1}
    resolvable(root, set())
    assert acyclic(root)
    paths = [tmp_path / "root.yml"]
    paths[0].write_text(render(root))
    for name, text in children.values():
        paths.append(tmp_path / name)
        paths[-1].write_text(text)
    assert cfn_lint(*paths).returncode == 0
    gone = build(big_app(60))  # functions removed: the rest stay; an emptied stack is no longer listed
    kept = placed(split(gone, render, placement)[1])
    assert {k: placement[k] for k in kept} == kept



@pytest.mark.parametrize("needs, cyclic", [
    ({}, False),
    ({"StackPart1": set(), "StackPart2": {"StackPart1"}, "StackPart3": {"StackPart1", "StackPart2"}}, False),
    ({"StackPart1": {"StackPart3"}, "StackPart2": set(), "StackPart3": set()}, False),  # a later part, first
    ({"StackPart1": {"StackPart2"}, "StackPart2": {"StackPart1"}}, True),
    ({"StackPart1": {"StackPart2"}, "StackPart2": {"StackPart3"}, "StackPart3": {"StackPart1"}, "Api": set()}, True),
])
def test_stacks_waiting_on_each_other_in_a_circle_are_found(needs, cyclic):
    assert _cyclic(needs) is cyclic
