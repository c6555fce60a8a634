"""deploy.template for sqs, schedule, s3 and dynamodb_stream functions (pure, plus cfn-lint)."""
from __future__ import annotations

import re

import pytest
from deploy_support import cfn_lint

from tight.dev.routes import function_settings, routes
from tight_tasks.deploy.template import App, TemplateError, build, logical_id, render

CONFIG = {"functions": {
    "orders": {"type": "sqs", "batch_size": 50, "timeout": 20},
    "nightly": {"type": "schedule", "schedule": "cron(0 3 * * ? *)"},
    "thumbs": {"type": "s3", "bucket": "uploads", "events": ["s3:ObjectCreated:*"], "prefix": "photos/"},
    "cleanup": {"type": "s3", "bucket": "uploads", "events": ["s3:ObjectRemoved:*", "s3:ObjectRestore:Completed"]},
    "audit": {"type": "dynamodb_stream", "table": "Account"},
    "feed": {"type": "dynamodb_stream", "table": "event"},
}}
NAMES = ("api", "audit", "cleanup", "feed", "nightly", "orders", "thumbs")


def table(name: str, stream: str | None = None) -> dict:
    spec = {"TableName": name, "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}], "BillingMode": "PAY_PER_REQUEST"}
    if stream:
        spec["StreamSpecification"] = {"StreamViewType": stream}
    return spec


def make_app(config=CONFIG, names=NAMES, name="shop") -> App:
    return App(name=name, stage="dev", runtime="python3.12", architecture="x86_64",
               environment={"NAME": name, "STAGE": "dev"},
               tables=[table("shop-dev-accounts"), table("shop-dev-events", "KEYS_ONLY"), table("shop-dev-other")],
               functions=function_settings(config, names), routes=routes(config, names),
               model_tables={"Account": "shop-dev-accounts", "account": "shop-dev-accounts",
                             "Event": "shop-dev-events", "event": "shop-dev-events", "Other": "shop-dev-other"})


@pytest.fixture(scope="module")
def template() -> dict:
    return build(make_app())


def resources(template: dict, kind: str) -> dict:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


def statements(template: dict, function: str) -> dict:
    """``function``'s own role: actions -> resources."""
    (policy,) = template["Resources"][logical_id("Role", function)]["Properties"]["Policies"]
    return {tuple(s["Action"]): [r.get("Fn::Sub", r) for r in s["Resource"]]
            for s in policy["PolicyDocument"]["Statement"]}


def test_sqs_queue_dead_letters_and_mapping(template):
    queue = template["Resources"]["QueueOrders"]["Properties"]
    assert queue["QueueName"] == "shop-dev-orders"
    assert queue["VisibilityTimeout"] == 120  # six times the function's timeout
    assert queue["RedrivePolicy"] == {"deadLetterTargetArn": {"Fn::GetAtt": ["DeadLettersOrders", "Arn"]},
                                      "maxReceiveCount": 5}
    assert template["Resources"]["DeadLettersOrders"]["Properties"]["QueueName"] == "shop-dev-orders-dlq"
    mapping = template["Resources"]["EventsOrders"]["Properties"]
    assert mapping["EventSourceArn"] == {"Fn::GetAtt": ["QueueOrders", "Arn"]}
    assert mapping["FunctionName"] == {"Fn::Sub": "${FunctionOrders.Arn}:live"}  # the alias
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert (mapping["BatchSize"], mapping["MaximumBatchingWindowInSeconds"]) == (50, 1)
    assert template["Outputs"]["QueueUrlOrders"]["Value"] == {"Ref": "QueueOrders"}


def test_schedule_rule_targets_the_function_with_a_permission(template):
    rule = template["Resources"]["ScheduleNightly"]["Properties"]
    assert rule["ScheduleExpression"] == "cron(0 3 * * ? *)"
    assert rule["Targets"] == [{"Id": "function", "Arn": {"Fn::Sub": "${FunctionNightly.Arn}:live"}}]
    permission = template["Resources"]["RuleInvokeNightly"]["Properties"]
    assert permission["Principal"] == "events.amazonaws.com"
    assert permission["SourceArn"] == {"Fn::GetAtt": ["ScheduleNightly", "Arn"]}


def test_functions_sharing_a_bucket_share_one_bucket_with_every_notification(template):
    (bucket_id, bucket), = resources(template, "AWS::S3::Bucket").items()
    assert bucket_id == "BucketUploads"
    assert (bucket["DeletionPolicy"], bucket["UpdateReplacePolicy"]) == ("Retain", "Retain")
    assert bucket["Properties"]["BucketName"] == "shop-dev-uploads"
    assert bucket["DependsOn"] == ["AliasCleanup", "AliasThumbs", "S3InvokeCleanup", "S3InvokeThumbs"]
    assert bucket["Properties"]["NotificationConfiguration"]["LambdaConfigurations"] == [
        {"Event": "s3:ObjectRemoved:*", "Function": {"Fn::Sub": "${FunctionCleanup.Arn}:live"}},
        {"Event": "s3:ObjectRestore:Completed", "Function": {"Fn::Sub": "${FunctionCleanup.Arn}:live"}},
        {"Event": "s3:ObjectCreated:*", "Function": {"Fn::Sub": "${FunctionThumbs.Arn}:live"},
         "Filter": {"S3Key": {"Rules": [{"Name": "prefix", "Value": "photos/"}]}}},
    ]
    permission = template["Resources"]["S3InvokeThumbs"]["Properties"]
    assert permission["Principal"] == "s3.amazonaws.com"
    assert permission["SourceArn"] == {"Fn::Sub": "arn:${AWS::Partition}:s3:::shop-dev-uploads"}


def test_streams_enabled_on_followed_tables_only(template):
    tables = {v["Properties"]["TableName"]: v["Properties"] for v in resources(template, "AWS::DynamoDB::Table").values()}
    assert tables["shop-dev-accounts"]["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert tables["shop-dev-events"]["StreamSpecification"] == {"StreamViewType": "KEYS_ONLY"}  # the model's own
    assert "StreamSpecification" not in tables["shop-dev-other"]
    mapping = template["Resources"]["EventsAudit"]["Properties"]
    assert mapping["EventSourceArn"] == {"Fn::GetAtt": ["TableAccounts", "StreamArn"]}
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["StartingPosition"] == "LATEST"
    assert template["Resources"]["EventsFeed"]["Properties"]["EventSourceArn"] == \
        {"Fn::GetAtt": ["TableEvents", "StreamArn"]}


def test_each_role_gets_its_own_sources_actions_only(template):
    base = "arn:${AWS::Partition}"
    logs = ("logs:CreateLogStream", "logs:PutLogEvents")
    region = "${AWS::Region}:${AWS::AccountId}"

    def own(function: str, actions: tuple, arns: list) -> None:
        found = statements(template, function)
        dead = found.pop(("sqs:SendMessage",), None)  # its own dead-letter queue, where failed events go
        assert dead == (None if function == "orders" else [{"Fn::GetAtt": [logical_id("DeadLetters", function), "Arn"]}])
        assert found == {logs: [f"{base}:logs:{region}:log-group:/aws/lambda/shop-dev-{function}:*"], actions: arns}

    own("orders", ("sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes",
                   "sqs:ReceiveMessage"), [f"{base}:sqs:{region}:shop-dev-orders"])
    stream = ("dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams")
    own("audit", stream, [f"{base}:dynamodb:{region}:table/shop-dev-accounts/stream/*"])
    own("feed", stream, [f"{base}:dynamodb:{region}:table/shop-dev-events/stream/*"])
    own("thumbs", ("s3:GetObject",), [f"{base}:s3:::shop-dev-uploads/photos/*"])
    own("cleanup", ("s3:GetObject",), [f"{base}:s3:::shop-dev-uploads/*"])


def test_no_event_functions_no_event_resources():
    template = build(make_app({"functions": {}}, ("api",)))
    kinds = {v["Type"] for v in template["Resources"].values()}
    assert kinds.isdisjoint({"AWS::SQS::Queue", "AWS::Events::Rule", "AWS::S3::Bucket",
                             "AWS::Lambda::EventSourceMapping"})
    tables = {v["Properties"]["TableName"]: v["Properties"] for v in resources(template, "AWS::DynamoDB::Table").values()}
    assert "StreamSpecification" not in tables["shop-dev-accounts"]


@pytest.mark.parametrize(("config", "message"), [
    ({"functions": {"audit": {"type": "dynamodb_stream", "table": "Order"}}}, "table 'Order' is not a model"),
    ({"functions": {"thumbs": {"type": "s3", "bucket": "Bad_Name!"}}}, "not a valid S3 bucket name"),
    ({"functions": {"thumbs": {"type": "s3", "bucket": "x" * 60}}}, "not a valid S3 bucket name"),
])
def test_unusable_settings_are_one_line_errors(config, message):
    with pytest.raises(TemplateError, match=message):
        build(make_app(config, tuple(config["functions"])))


def test_template_with_every_type_passes_cfn_lint(template, tmp_path):
    path = tmp_path / "template.yml"
    path.write_text(render(template))
    result = cfn_lint(path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_fifo_queue_and_its_dead_letters_are_fifo(tmp_path):
    config = {"functions": {"ledger": {"type": "sqs", "fifo": True, "batch_size": 10}}}
    template = build(make_app(config, ("ledger",)))
    queue, dlq = (template["Resources"][k]["Properties"] for k in ("QueueLedger", "DeadLettersLedger"))
    assert (queue["QueueName"], dlq["QueueName"]) == ("shop-dev-ledger.fifo", "shop-dev-ledger-dlq.fifo")
    for properties in (queue, dlq):
        assert (properties["FifoQueue"], properties["ContentBasedDeduplication"]) == (True, True)
    assert "MaximumBatchingWindowInSeconds" not in template["Resources"]["EventsLedger"]["Properties"]
    path = tmp_path / "template.yml"
    path.write_text(render(template))
    result = cfn_lint(path)
    assert result.returncode == 0, result.stdout + result.stderr
    config["functions"]["ledger"]["batch_size"] = 11
    with pytest.raises(TemplateError, match="a FIFO queue delivers at most 10 messages a batch"):
        build(make_app(config, ("ledger",)))


S3_OVERLAPS = [
    ({"a": {}, "b": {}}, ("functions 'a' and 'b' both get s3:ObjectCreated:* and s3:ObjectCreated:* events of bucket "
                         "shop-dev-uploads for overlapping prefixes ('', '')")),
    ({"a": {"prefix": "photos/"}, "b": {"prefix": "photos/thumbs/"}}, "prefixes ('photos/', 'photos/thumbs/')"),
    ({"a": {"prefix": "x/"}, "b": {"events": ["s3:ObjectCreated:Put"]}}, "s3:ObjectCreated:* and s3:ObjectCreated:Put"),
    ({"a": {"events": ["s3:ObjectCreated:*", "s3:ObjectCreated:Post"]}}, ("function 'a' gets s3:ObjectCreated:* and "
                                                                         "s3:ObjectCreated:Post events")),
]


@pytest.mark.parametrize("functions, message", S3_OVERLAPS)
def test_overlapping_s3_notifications_are_refused_naming_both_functions(functions, message):
    config = {"functions": {k: {"type": "s3", "bucket": "uploads", **v} for k, v in functions.items()}}
    with pytest.raises(TemplateError, match=re.escape(message) + ".*which S3 refuses .*functions.NAME.prefix"):
        build(make_app(config, tuple(functions)))


@pytest.mark.parametrize("functions", [
    {"a": {"prefix": "in/"}, "b": {"prefix": "out/"}},
    {"a": {}, "b": {"events": ["s3:ObjectRemoved:*"]}},
    {"a": {"events": ["s3:ObjectCreated:Put", "s3:ObjectCreated:Post"]}},
])
def test_separate_s3_notifications_pass(functions):
    config = {"functions": {k: {"type": "s3", "bucket": "uploads", **v} for k, v in functions.items()}}
    (bucket,) = resources(build(make_app(config, tuple(functions))), "AWS::S3::Bucket").values()
    assert len(bucket["Properties"]["NotificationConfiguration"]["LambdaConfigurations"]) == \
        sum(len(v.get("events", ["x"])) for v in functions.values())


def test_stream_failures_are_bounded_bisected_and_kept_for_14_days(template):
    mapping = template["Resources"]["EventsAudit"]["Properties"]
    assert (mapping["MaximumRetryAttempts"], mapping["BisectBatchOnFunctionError"],
            mapping["MaximumRecordAgeInSeconds"]) == (3, True, 3600)
    assert mapping["DestinationConfig"] == {"OnFailure": {"Destination": {"Fn::GetAtt": ["DeadLettersAudit", "Arn"]}}}
    queue = template["Resources"]["DeadLettersAudit"]["Properties"]
    assert queue == {"QueueName": "shop-dev-audit-dlq", "MessageRetentionPeriod": 1_209_600}


def test_async_functions_get_an_invoke_config_with_an_on_failure_queue(template):
    for function in ("nightly", "thumbs", "cleanup"):
        config = template["Resources"][logical_id("AsyncConfig", function)]
        assert config["Type"] == "AWS::Lambda::EventInvokeConfig"
        assert config["Properties"] == {
            "FunctionName": {"Ref": logical_id("Function", function)}, "Qualifier": "live",
            "MaximumRetryAttempts": 2, "MaximumEventAgeInSeconds": 21600,
            "DestinationConfig": {"OnFailure": {"Destination": {"Fn::GetAtt": [logical_id("DeadLetters", function),
                                                                               "Arn"]}}}}
        assert template["Resources"][logical_id("DeadLetters", function)]["Properties"]["QueueName"] == \
            f"shop-dev-{function}-dlq"
    assert "AsyncConfigOrders" not in template["Resources"] and "AsyncConfigApi" not in template["Resources"]


def test_failure_settings_are_overridable_and_checked():
    config = {"functions": {"audit": {"type": "dynamodb_stream", "table": "Account", "retries": 0, "max_age": 600,
                                      "bisect": False},
                            "nightly": {"type": "schedule", "schedule": "rate(1 day)", "retries": 0, "max_age": 60}}}
    template = build(make_app(config, ("audit", "nightly")))
    mapping = template["Resources"]["EventsAudit"]["Properties"]
    assert (mapping["MaximumRetryAttempts"], mapping["BisectBatchOnFunctionError"],
            mapping["MaximumRecordAgeInSeconds"]) == (0, False, 600)
    nightly = template["Resources"]["AsyncConfigNightly"]["Properties"]
    assert (nightly["MaximumRetryAttempts"], nightly["MaximumEventAgeInSeconds"]) == (0, 60)


@pytest.mark.parametrize(("entry", "message"), [
    ({"type": "schedule", "schedule": "rate(1 day)", "retries": 3}, "retries must be a whole number from 0 to 2"),
    ({"type": "s3", "bucket": "b", "max_age": 30}, "max_age must be a whole number from 60 to 21600"),
    ({"type": "dynamodb_stream", "table": "Account", "max_age": 604801}, "from 60 to 604800"),
    ({"type": "dynamodb_stream", "table": "Account", "bisect": "yes"}, "bisect must be true or false"),
    ({"type": "sqs", "retries": 1}, "retries applies to type dynamodb_stream or schedule or s3, not sqs"),
])
def test_failure_settings_aws_would_refuse(entry, message):
    from tight.dev.routes import FunctionsConfigError

    with pytest.raises(FunctionsConfigError, match=message):
        function_settings({"functions": {"f": entry}}, ["f"])


def test_senders_get_their_queues_and_buckets_in_env_and_role(tmp_path):
    import json

    config = {"functions": {**CONFIG["functions"], "api": {"uses": ["orders", "thumbs"]}}}
    template = build(make_app(config))
    variables = template["Resources"]["FunctionApi"]["Properties"]["Environment"]["Variables"]
    assert variables["TIGHT_QUEUES"] == {"Fn::Sub": '{"orders":"${QueueOrders}"}'}
    assert json.loads(variables["TIGHT_BUCKETS"]) == {"cleanup": None, "thumbs": "shop-dev-uploads"}
    assert json.loads(template["Resources"]["FunctionNightly"]["Properties"]["Environment"]["Variables"]
                      ["TIGHT_QUEUES"]) == {"orders": None}
    policy = template["Resources"]["RoleApi"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    grants = {tuple(s["Action"]): [r["Fn::Sub"] for r in s["Resource"]] for s in policy}
    assert grants[("sqs:SendMessage",)] == ["arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:shop-dev-orders"]
    assert grants[("s3:PutObject",)] == ["arn:${AWS::Partition}:s3:::shop-dev-uploads/*"]
    nightly = template["Resources"]["RoleNightly"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    assert "shop-dev-orders" not in json.dumps(nightly) and "s3:PutObject" not in json.dumps(nightly)
    path = tmp_path / "template.yml"
    path.write_text(render(template))
    result = cfn_lint(path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "TIGHT_QUEUES" not in build(make_app({"functions": {}}, ("api",)))["Resources"]["FunctionApi"][
        "Properties"]["Environment"]["Variables"]


def test_an_environment_that_the_queue_urls_would_push_over_lambdas_limit_is_refused():
    config = {"functions": {**CONFIG["functions"], "api": {"uses": ["orders"]}}}
    app = make_app(config)
    app = App(**{**app.__dict__, "environment": {**app.environment, "BIG": "x" * 3980}})
    with pytest.raises(TemplateError, match=r"function 'api': its environment \(with TIGHT_QUEUES/TIGHT_BUCKETS\) "
                                            r"would exceed Lambda's 4,096-byte limit"):
        build(app)
