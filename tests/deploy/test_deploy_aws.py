"""`tight deploy` and friends against moto's server: what really gets created, updated and deleted."""
from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import pytest
import yaml
from conftest import AWS_REGION as REGION
from conftest import aws_env, clean_env, listed, run_tight
from deploy_support import cfn_lint, role_policy

ACCOUNT = "123456789012"
#: Resource types moto's CloudFormation really creates (DESIGN.md, round-2 facts).
CREATED_BY_MOTO = {
    "AWS::DynamoDB::Table", "AWS::IAM::Role", "AWS::Lambda::Function", "AWS::Lambda::Permission",
    "AWS::Logs::LogGroup", "AWS::ApiGateway::RestApi", "AWS::ApiGateway::Resource", "AWS::ApiGateway::Method",
    "AWS::ApiGateway::Deployment", "AWS::Lambda::Version",
}
#: What moto's CloudFormation skips (the stack still succeeds): checked in the template and by cfn-lint.
SKIPPED_BY_MOTO = {"AWS::Lambda::Alias", "AWS::ApiGateway::Stage"}


def template_of(root: Path, stage: str) -> dict:
    result = run_tight("deploy.template", "--stage", stage, "--output", "-", cwd=root, env=clean_env())
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)


def zip_sha256(root: Path) -> bytes:
    return hashlib.sha256((root / "builds" / "shop.zip").read_bytes()).digest()


def stack_resources(aws, stack: str) -> dict[str, dict]:
    summaries = listed(aws("cloudformation"), "list_stack_resources", "StackResourceSummaries", StackName=stack)
    return {r["LogicalResourceId"]: r for r in summaries}


# -- the template ---------------------------------------------------------------------------


def test_template_of_the_generated_app_passes_cfn_lint(deploy_app, tmp_path):
    out = tmp_path / "t.yml"
    result = run_tight("deploy.template", "--stage", "test", "--output", str(out), cwd=deploy_app, env=clean_env())
    assert result.returncode == 0, result.stderr
    assert f"Wrote {out}" in result.stdout
    linted = cfn_lint(out)
    assert linted.returncode == 0, linted.stdout + linted.stderr
    assert linted.stdout == ""
    template = yaml.safe_load(out.read_text())
    assert {r["Type"] for r in template["Resources"].values()} <= CREATED_BY_MOTO | SKIPPED_BY_MOTO
    assert "*id0" not in out.read_text()  # no YAML aliases: CloudFormation rejects them


# -- first deploy ---------------------------------------------------------------------------


def test_every_resource_in_the_template_exists_after_deploy(deployed, deploy_app, aws):
    assert "Stack shop-test is CREATE_COMPLETE" in deployed.stdout
    assert deployed.stdout.count("Created S3 bucket") <= 1
    template = template_of(deploy_app, "test")
    created = stack_resources(aws, "shop-test")
    for logical, resource in template["Resources"].items():
        if resource["Type"] in SKIPPED_BY_MOTO:
            continue  # moto creates no aliases (the functions are invoked unqualified) and no REST stages
        if resource["Type"] == "AWS::Lambda::Version":  # deploy names each after the zip's sha256
            logical = next(k for k in created if k.startswith(logical[:-10]) and len(k) == len(logical))
        assert logical in created, logical
        assert created[logical]["ResourceType"] == resource["Type"]
    skipped = [r for r in listed(aws("cloudformation"), "list_stack_resources", "StackResourceSummaries", StackName="shop-test")
               if not r["LogicalResourceId"]]  # moto lists a skipped resource type with an empty id
    assert bool(skipped) == any(r["Type"] in SKIPPED_BY_MOTO for r in template["Resources"].values())
    assert "versions are published, but the functions are invoked unqualified" in deployed.stdout
    # checked through their own services, too
    functions = {f["FunctionName"] for f in listed(aws("lambda"), "list_functions", "Functions")}
    assert {"shop-test-hello", "shop-test-users"} <= functions
    groups = {g["logGroupName"]: g for g in listed(aws("logs"), "describe_log_groups", "logGroups")}
    assert groups["/aws/lambda/shop-test-hello"]["retentionInDays"] == 30
    assert groups["/aws/lambda/shop-test-users"]["retentionInDays"] == 14
    tables = listed(aws("dynamodb"), "list_tables", "TableNames")
    assert {"shop-test-accounts", "shop-test-events"} <= set(tables)


def test_functions_are_configured_from_tight_yml_and_the_stage_env(deployed, deploy_app, aws):
    client = aws("lambda")
    sha = base64.b64encode(zip_sha256(deploy_app)).decode()
    expected_env = {"CI": "false", "GREETING": "hi from test", "NAME": "shop", "RETRIES": "3", "STAGE": "test"}
    for name, memory, timeout in (("hello", 512, 10), ("users", 256, 30)):
        config = client.get_function_configuration(FunctionName=f"shop-test-{name}")
        assert config["Handler"] == f"app_index.{name}"
        assert config["Runtime"] == "python3.12"
        assert config["Architectures"] == ["x86_64"]
        assert (config["MemorySize"], config["Timeout"]) == (memory, timeout)
        # never env.yml (SECRET, "laptop"), never the shell (CI=true, GREETING=from the shell)
        assert config["Environment"]["Variables"] == expected_env
        assert config["CodeSha256"] == sha
        assert config["Role"].startswith(f"arn:aws:iam::{ACCOUNT}:role/")


def test_tables_match_the_models(deployed, deploy_app, aws):
    from tight_tasks.config import read_app_config
    from tight_tasks.deploy.inputs import read_app

    app = read_app(deploy_app, read_app_config(deploy_app / "tight.yml"), "test")
    assert sorted(spec["TableName"] for spec in app.tables) == ["shop-test-accounts", "shop-test-events"]
    client = aws("dynamodb")
    for spec in app.tables:
        table = client.describe_table(TableName=spec["TableName"])["Table"]
        assert table["KeySchema"] == spec["KeySchema"]
        assert sorted(table["AttributeDefinitions"], key=lambda a: a["AttributeName"]) == spec["AttributeDefinitions"]
        assert sorted(i["IndexName"] for i in table.get("GlobalSecondaryIndexes", [])) == \
            sorted(i["IndexName"] for i in spec.get("GlobalSecondaryIndexes", []))
        assert sorted(i["IndexName"] for i in table.get("LocalSecondaryIndexes", [])) == \
            sorted(i["IndexName"] for i in spec.get("LocalSecondaryIndexes", []))
    events = client.describe_table(TableName="shop-test-events")["Table"]
    assert events["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert events["GlobalSecondaryIndexes"][0]["ProvisionedThroughput"]["ReadCapacityUnits"] == 4
    assert "shop-test-accounts" in deployed.stdout and "shop-test-events" in deployed.stdout


def test_each_function_has_its_own_role_with_its_own_tables_and_log_group(deployed, aws):
    table = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table"
    group = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/lambda"
    hello, users = role_policy(aws, "shop-test-hello"), role_policy(aws, "shop-test-users")
    logs = ("logs:CreateLogStream", "logs:PutLogEvents")
    assert (hello.pop(logs), users.pop(logs)) == ([f"{group}/shop-test-hello:*"], [f"{group}/shop-test-users:*"])
    # hello: functions.hello.tables; users: its queries.py imports app.models.Account
    assert list(hello.values()) == [[f"{table}/shop-test-events", f"{table}/shop-test-events/index/*"]]
    assert list(users.values()) == [[f"{table}/shop-test-accounts", f"{table}/shop-test-accounts/index/*"]]
    (actions,) = hello
    assert "dynamodb:PutItem" in actions and not any(a.endswith("*") or "Table" in a[9:14] for a in actions)
    roles = {r["PhysicalResourceId"] for r in stack_resources(aws, "shop-test").values()
             if r["ResourceType"] == "AWS::IAM::Role"}
    assert len(roles) == 2


def test_api_integrations_point_at_the_functions(deployed, aws, moto_endpoint):
    client = aws("apigateway")
    api_id = stack_resources(aws, "shop-test")["Api"]["PhysicalResourceId"]
    # deployed to a local endpoint: the address it serves the API at, not an unreachable amazonaws.com one
    assert f"\nAPI: {moto_endpoint}/restapis/{api_id}/test/_user_request_/\n" in deployed.stdout
    assert "amazonaws.com" not in deployed.stdout
    routes = {}
    for resource in client.get_resources(restApiId=api_id)["items"]:
        if "ANY" in resource.get("resourceMethods", {}):
            integration = client.get_integration(restApiId=api_id, resourceId=resource["id"], httpMethod="ANY")
            assert integration["type"] == "AWS_PROXY"
            assert integration["httpMethod"] == "POST"
            routes[resource["path"]] = integration["uri"].split(":function:")[1].split("/")[0]
    assert routes == {"/hello": "shop-test-hello", "/hello/{proxy+}": "shop-test-hello",
                      "/users": "shop-test-users", "/users/{id}": "shop-test-users"}
    # the stage is an AWS::ApiGateway::Stage, which moto skips: tests/deploy/test_template.py checks it
    for name in ("hello", "users"):
        policy = aws("lambda").get_policy(FunctionName=f"shop-test-{name}")["Policy"]
        assert "apigateway.amazonaws.com" in policy
        assert f":{api_id}/*" in policy


# -- redeploys ------------------------------------------------------------------------------


def test_redeploy_without_changes_changes_nothing(deployed, deploy_app, aws, tight_aws):
    client = aws("lambda")
    before = {n: client.get_function_configuration(FunctionName=f"shop-test-{n}") for n in ("hello", "users")}
    events = aws("cloudformation").describe_stack_events(StackName="shop-test")["StackEvents"]
    result = tight_aws("deploy", "--stage", "test", cwd=deploy_app)
    assert result.returncode == 0, result.stderr
    assert "nothing to change" in result.stdout
    assert "is already uploaded" in result.stdout
    assert f"Code bucket: tight-deploy-{ACCOUNT}-{REGION}" in result.stdout  # created once, then reused
    buckets = [b["Name"] for b in aws("s3").list_buckets()["Buckets"] if b["Name"].startswith("tight-deploy-")]
    assert buckets == [f"tight-deploy-{ACCOUNT}-{REGION}"]
    assert "UPDATE" not in result.stdout
    after = {n: client.get_function_configuration(FunctionName=f"shop-test-{n}") for n in ("hello", "users")}
    for name in before:
        assert after[name]["CodeSha256"] == before[name]["CodeSha256"]
        assert after[name]["LastModified"] == before[name]["LastModified"]
    assert aws("cloudformation").describe_stack_events(StackName="shop-test")["StackEvents"] == events
    left = listed(aws("cloudformation"), "list_change_sets", "Summaries", StackName="shop-test")
    left = [c for c in left if c["StackName"] == "shop-test"]  # moto lists every stack's change sets
    assert [c for c in left if c["ExecutionStatus"] != "EXECUTE_COMPLETE"] == []  # the empty one was deleted


def test_code_change_and_redeploy_updates_the_code(app_copy, aws, tight_aws):
    first = tight_aws("deploy", "--stage", "change", cwd=app_copy)
    assert first.returncode == 0, first.stderr
    old = aws("lambda").get_function_configuration(FunctionName="shop-change-hello")["CodeSha256"]
    handler = app_copy / "app" / "functions" / "hello" / "handler.py"
    handler.write_text(handler.read_text() + "\n# changed\n")
    second = tight_aws("deploy", "--stage", "change", cwd=app_copy)
    assert second.returncode == 0, second.stderr
    assert "~ parameters: CodeKey" in second.stdout
    assert "Stack shop-change is UPDATE_COMPLETE" in second.stdout
    new = aws("lambda").get_function_configuration(FunctionName="shop-change-hello")["CodeSha256"]
    assert new != old
    assert new == base64.b64encode(zip_sha256(app_copy)).decode()


# -- status, logs, delete ---------------------------------------------------------------------


def test_status_shows_stack_api_functions_and_tables(deployed, deploy_app, aws, tight_aws, moto_endpoint):
    result = tight_aws("deploy.status", "--stage", "test", cwd=deploy_app)
    assert result.returncode == 0, result.stderr
    api_id = stack_resources(aws, "shop-test")["Api"]["PhysicalResourceId"]
    assert result.stdout.startswith(f"Stack shop-test: CREATE_COMPLETE ({REGION})")
    assert f"\nAPI: {moto_endpoint}/restapis/{api_id}/test/_user_request_/\n" in result.stdout
    sha = zip_sha256(deploy_app).hex()
    for name in ("hello", "users"):
        assert f"Function shop-test-{name}: python3.12" in result.stdout
        assert f"shop-test-{name}: python3.12" in result.stdout and f"code sha256 {sha}" in result.stdout
    assert "Table shop-test-accounts: ACTIVE" in result.stdout
    assert "Table shop-test-events: ACTIVE" in result.stdout


def test_delete_removes_the_stack_and_keeps_the_tables(app_copy, aws, tight_aws):
    assert tight_aws("deploy", "--stage", "gone", cwd=app_copy).returncode == 0
    refused = tight_aws("deploy.delete", "--stage", "gone", cwd=app_copy)
    assert refused.returncode == 2
    assert "pass --yes" in refused.stderr and len(refused.stderr.strip().splitlines()) == 1
    assert aws("cloudformation").describe_stacks(StackName="shop-gone")["Stacks"]
    result = tight_aws("deploy.delete", "--stage", "gone", "--yes", cwd=app_copy)
    assert result.returncode == 0, result.stderr
    assert "Deleted stack shop-gone" in result.stdout
    assert "Kept 2 tables with their data (DeletionPolicy: Retain): shop-gone-accounts, shop-gone-events" \
        in result.stdout
    assert f"aws dynamodb delete-table --region {REGION} --table-name shop-gone-accounts" in result.stdout
    stacks = listed(aws("cloudformation"), "list_stacks", "StackSummaries")
    assert {s["StackStatus"] for s in stacks if s["StackName"] == "shop-gone"} == {"DELETE_COMPLETE"}
    functions = {f["FunctionName"] for f in listed(aws("lambda"), "list_functions", "Functions")}
    assert not {"shop-gone-hello", "shop-gone-users"} & functions
    assert {"shop-gone-accounts", "shop-gone-events"} <= set(listed(aws("dynamodb"), "list_tables", "TableNames"))
    again = tight_aws("deploy.delete", "--stage", "gone", "--yes", cwd=app_copy)
    assert again.returncode == 1 and "No stack shop-gone" in again.stderr
    redeploy = tight_aws("deploy", "--stage", "gone", cwd=app_copy)  # the kept tables are in the way
    assert redeploy.returncode == 1
    assert redeploy.stderr.startswith("Table shop-gone-accounts and table shop-gone-events already exist but are "
                                      "not part of stack shop-gone")  # both named: one round trip, not two
    assert redeploy.stderr.endswith("--table-name shop-gone-events), or rename them (the models' table names).\n")


# -- failures and errors ----------------------------------------------------------------------


def test_a_failing_resource_is_reported_and_exits_1(deploy_app, aws, tight_aws):
    aws("logs").create_log_group(logGroupName="/aws/lambda/shop-clash-hello")  # CloudFormation's to create
    result = tight_aws("deploy", "--stage", "clash", cwd=deploy_app)
    assert result.returncode == 1
    assert "Deploy of stack shop-clash failed" in result.stderr
    assert "execute_change_set failed: ResourceAlreadyExistsException" in result.stderr
    assert "COMPLETE (" not in result.stdout and "API:" not in result.stdout
    assert "Traceback" not in result.stderr


def test_a_table_kept_from_an_earlier_stack_stops_the_deploy_before_anything_changes(deploy_app, aws, tight_aws):
    aws("dynamodb").create_table(
        TableName="shop-kept-accounts", BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}])
    result = tight_aws("deploy", "--stage", "kept", cwd=deploy_app)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "Table shop-kept-accounts already exists but is not part of stack shop-kept (deploy.delete keeps "
        "tables), so CloudFormation cannot create it: delete it if its data can go (aws dynamodb delete-table "
        f"--region {REGION} --table-name shop-kept-accounts), or give the model another table name.")
    assert result.stdout == ""  # nothing built, uploaded or planned
    stacks = listed(aws("cloudformation"), "list_stacks", "StackSummaries")
    assert "shop-kept" not in {s["StackName"] for s in stacks}


@pytest.mark.parametrize("drop, add, message", [
    (("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"), {}, ("No AWS credentials found: set AWS_PROFILE (see `aws "
     "configure`) or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; against a local endpoint (AWS_ENDPOINT_URL: moto, "
     "LocalStack) any values work, e.g. AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test.\n")),
    (("AWS_REGION",), {}, ("No AWS region is set: pass --region, set AWS_REGION, or set a region in your AWS profile "
     "(`aws configure`); against a local endpoint any region works, e.g. AWS_REGION=us-east-1.\n")),
    (("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"), {"AWS_PROFILE": "nobody"},
     "The config profile (nobody) could not be found: create it with `aws configure --profile NAME`"),
])
def test_no_credentials_or_no_region_is_one_line(deploy_app, moto_endpoint, drop, add, message):
    env = {k: v for k, v in aws_env(moto_endpoint, **add).items() if k not in drop}
    result = run_tight("deploy", "--stage", "test", cwd=deploy_app, env=env, timeout=60)
    assert result.returncode == 1
    assert result.stderr.startswith(message)
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Built" not in result.stdout  # nothing was built or uploaded before the check


def test_bad_stage_is_a_usage_error(deploy_app, tight_aws):
    result = tight_aws("deploy", "--stage", "my_stage", cwd=deploy_app)
    assert result.returncode == 2
    assert result.stderr.strip() == ("--stage 'my_stage' is not a stage name: use 1 to 32 letters, digits and '-' "
                                     "(it names the stack, the tables and the API stage).")


# -- in process: confirmation, --follow, big templates, --bucket ----------------------------------


def test_declining_the_change_set_deploys_nothing(app_copy, aws, in_moto, monkeypatch):
    from invoke.exceptions import Exit

    from tight_tasks.config import read_app_config
    from tight_tasks.deploy.deployer import deploy

    monkeypatch.chdir(app_copy)
    asked, printed = [], []
    with pytest.raises(Exit) as caught:
        deploy(app_copy, read_app_config(app_copy / "tight.yml"), "nope", out=printed.append,
               confirm=lambda question: asked.append(question) or False)
    assert caught.value.code == 1
    assert caught.value.message == "Not deployed: the change set was discarded and shop-nope is as it was."
    assert asked == [f"Deploy these changes to shop-nope in {REGION}?"]
    assert "  + FunctionHello (AWS::Lambda::Function)" in printed
    assert not [f for f in listed(aws("lambda"), "list_functions", "Functions") if f["FunctionName"].startswith("shop-nope")]
    assert "shop-nope-accounts" not in listed(aws("dynamodb"), "list_tables", "TableNames")
    stacks = listed(aws("cloudformation"), "list_stacks", "StackSummaries")
    assert {s["StackStatus"] for s in stacks if s["StackName"] == "shop-nope"} <= {"DELETE_COMPLETE"}


def test_a_code_change_publishes_a_version_and_rollback_returns_to_the_first_release(app_copy, aws, tight_aws):
    client, stage = aws("lambda"), "rb"

    def deploy_and_read():
        result = tight_aws("deploy", "--stage", stage, cwd=app_copy, CI="true")
        assert result.returncode == 0, result.stdout + result.stderr
        created = stack_resources(aws, "shop-rb")
        versions = {k: v for k, v in created.items() if v["ResourceType"] == "AWS::Lambda::Version"}
        return client.get_function_configuration(FunctionName="shop-rb-hello")["CodeSha256"], versions

    first, versions = deploy_and_read()
    handler = app_copy / "app" / "functions" / "hello" / "handler.py"
    handler.write_text(handler.read_text().replace("'world'", "'release 2'"))
    second, later = deploy_and_read()
    assert second != first
    hello = [k for k in later if k.startswith("VersionHello")]
    assert len(hello) == 1 and hello[0] not in versions, "the changed code made a new version resource"
    assert later[hello[0]]["ResourceStatus"] == "CREATE_COMPLETE"  # CloudFormation published it
    # (moto publishes no new version *number* for a function CloudFormation updated; AWS does)
    assert next(k for k in later if k.startswith("VersionUsers")) not in versions, "one zip: users' too"
    status = tight_aws("deploy.status", "--stage", stage, cwd=app_copy)
    hexes = [base64.b64decode(s).hex()[:12] for s in (first, second)]
    lines = status.stdout.split("Deployments (newest first", 1)[1].splitlines()[1:]
    assert [line.split(" code ")[1][:12] for line in lines] == [hexes[1], hexes[0]]
    assert lines[0].endswith("(current)") and " deploy of code " in lines[0]

    asks = tight_aws("deploy.rollback", "--stage", stage, cwd=app_copy)
    assert (asks.returncode, asks.stderr.strip()) == (2, ("deploy.rollback asks before changing the stack: pass "
                                                          "--yes to roll stage rb back without asking."))
    rolled = tight_aws("deploy.rollback", "--stage", stage, "--yes", cwd=app_copy)
    assert rolled.returncode == 0, rolled.stdout + rolled.stderr
    assert client.get_function_configuration(FunctionName="shop-rb-hello")["CodeSha256"] == first
    assert f"back to code {hexes[0]}" in rolled.stdout
    after = tight_aws("deploy.status", "--stage", stage, cwd=app_copy).stdout.split("Deployments", 1)[1]
    assert f"rollback to code {hexes[0]}" in after.splitlines()[1]
    nothing = tight_aws("deploy.rollback", "--stage", "nowhere", "--yes", cwd=app_copy)
    assert (nothing.returncode, nothing.stderr.strip()) == (1, (f"No stack shop-nowhere in {REGION}: nothing to "
                                                               "roll back."))


def test_a_big_template_goes_through_s3_and_bucket_names_a_bucket(app_copy, aws, tight_aws, moto_endpoint):
    for n in range(24):
        folder = app_copy / "app" / "functions" / f"worker{n:02d}"
        folder.mkdir()
        (folder / "__init__.py").write_text("")
        (folder / "handler.py").write_text("def get_handler(*args, **kwargs):\n    return {}\n")
    missing = tight_aws("deploy", "--stage", "big", "--bucket", "no-such-artifacts", cwd=app_copy)
    assert missing.returncode == 1
    assert missing.stderr.strip().endswith("S3 bucket no-such-artifacts does not exist: create it, or leave out "
                                           "--bucket and deploy.bucket so tight creates its own.")
    import boto3

    boto3.client("s3", region_name="eu-north-1", endpoint_url=moto_endpoint, aws_access_key_id="testing",
                 aws_secret_access_key="testing").create_bucket(
        Bucket="far-artifacts", CreateBucketConfiguration={"LocationConstraint": "eu-north-1"})
    far = tight_aws("deploy", "--stage", "big", "--bucket", "far-artifacts", cwd=app_copy)
    assert far.returncode == 1
    assert far.stderr.strip() == (f"S3 bucket far-artifacts is in eu-north-1, but the stack goes to {REGION}: "
                                  f"Lambda reads code only from its own region; choose a bucket in {REGION}.")
    aws("s3").create_bucket(Bucket="my-artifacts", CreateBucketConfiguration={"LocationConstraint": REGION})
    result = tight_aws("deploy", "--stage", "big", "--bucket", "my-artifacts", cwd=app_copy)
    assert result.returncode == 0, result.stderr
    keys = [o["Key"] for o in aws("s3").list_objects_v2(Bucket="my-artifacts")["Contents"]]
    assert f"tight/shop/{zip_sha256(app_copy).hex()}.zip" in keys
    (template_key,) = [k for k in keys if k.startswith("tight/shop/templates/big-")]
    body = aws("s3").get_object(Bucket="my-artifacts", Key=template_key)["Body"].read()
    assert len(body) > 51200
    functions = [f for f in listed(aws("lambda"), "list_functions", "Functions") if f["FunctionName"].startswith("shop-big-")]
    assert len(functions) == 26


def test_status_and_delete_of_a_stage_never_deployed_say_so(deploy_app, tight_aws):
    status = tight_aws("deploy.status", "--stage", "never", cwd=deploy_app)
    assert status.returncode == 1
    assert status.stderr.strip() == f"No stack shop-never in {REGION}: deploy it with `tight deploy --stage never`."
    unnamed = tight_aws("deploy.delete", "--yes", cwd=deploy_app)
    assert unnamed.returncode == 2
    assert unnamed.stderr.strip() == "deploy.delete needs --stage: name the stage to delete (e.g. --stage dev)."


def test_ctrl_c_while_following_says_the_stack_carries_on(app_copy, aws, in_moto, monkeypatch):
    from invoke.exceptions import Exit

    from tight_tasks.config import read_app_config
    from tight_tasks.deploy import changeset
    from tight_tasks.deploy.deployer import deploy

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.chdir(app_copy)
    monkeypatch.setattr(changeset, "follow", interrupted)
    with pytest.raises(Exit) as caught:
        deploy(app_copy, read_app_config(app_copy / "tight.yml"), "ctrlc", out=lambda line: None)
    assert caught.value.code == 130
    assert caught.value.message == ("Stopped watching: CloudFormation carries on with shop-ctrlc; "
                                    "`tight deploy.status --stage ctrlc` shows where it is.")
    assert aws("lambda").get_function_configuration(FunctionName="shop-ctrlc-hello")["Handler"] == "app_index.hello"


def test_region_option_and_deploy_section_of_tight_yml(deployed, deploy_app, app_copy, moto_endpoint):
    env = {k: v for k, v in aws_env(moto_endpoint).items() if k != "AWS_REGION"}
    status = run_tight("deploy.status", "--stage", "test", "--region", REGION, cwd=deploy_app, env=env)
    assert status.returncode == 0, status.stderr
    assert status.stdout.startswith(f"Stack shop-test: CREATE_COMPLETE ({REGION})")
    # deploy.stage and deploy.region from tight.yml
    with open(app_copy / "tight.yml", "a", encoding="utf-8") as handle:
        handle.write(f"deploy:\n  stage: test\n  region: {REGION}\n")
    from_yml = run_tight("deploy.status", cwd=app_copy, env=env)
    assert from_yml.returncode == 0, from_yml.stderr
    assert from_yml.stdout.startswith("Stack shop-test: ")
