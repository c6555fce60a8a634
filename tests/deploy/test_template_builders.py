"""Each event-source builder of deploy's template on its own (pure): what the module-scoped templates of
test_template_events.py read in bulk, here per builder with its defaults, limits and names."""
from __future__ import annotations

import hashlib

import pytest

from tight.dev.routes import function_settings
from tight_tasks.deploy import event_sources
from tight_tasks.deploy.parts import App, function_name

LONG = "a" * 60  # <app>-<stage>-<function> longer than every limit below


def make_app(functions: dict, name: str = "shop") -> App:
    tables = [{"TableName": f"{name}-dev-accounts", "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
               "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}], "BillingMode": "PAY_PER_REQUEST"}]
    return App(name=name, stage="dev", runtime="python3.12", architecture="x86_64",
               environment={"NAME": name, "STAGE": "dev"}, tables=tables,
               functions=function_settings({"functions": functions}, list(functions)),
               model_tables={"Account": f"{name}-dev-accounts"})


def build(kind: str, entry: dict, function: str = "job", name: str = "shop"):
    app = make_app({function: {"type": kind, **entry}}, name)
    return event_sources.BUILDERS[kind](app, function, app.functions[function])


# -- sqs -------------------------------------------------------------------------------

@pytest.mark.parametrize(("batch_size", "window"), [(None, None), (1, None), (10, None), (11, 1), (10000, 1)])
def test_sqs_mapping_batch_and_the_batching_window_above_ten(batch_size, window):
    parts = build("sqs", {"batch_size": batch_size})
    expected = {"EventSourceArn": {"Fn::GetAtt": ["QueueJob", "Arn"]}, "FunctionName": {"Ref": "FunctionJob"},
                "BatchSize": batch_size or 10, "FunctionResponseTypes": ["ReportBatchItemFailures"], "Enabled": True}
    if window:
        expected["MaximumBatchingWindowInSeconds"] = window
    assert parts.resources["EventsJob"] == {"Type": "AWS::Lambda::EventSourceMapping", "DependsOn": ["RoleJob"],
                                           "Properties": expected}


@pytest.mark.parametrize(("timeout", "visibility"), [(1, 6), (30, 180), (900, 5400)])
def test_sqs_queue_hides_a_message_six_timeouts_and_redrives_after_five(timeout, visibility):
    parts = build("sqs", {"timeout": timeout})
    assert parts.resources["QueueJob"] == {"Type": "AWS::SQS::Queue", "Properties": {
        "QueueName": "shop-dev-job", "VisibilityTimeout": visibility,
        "RedrivePolicy": {"deadLetterTargetArn": {"Fn::GetAtt": ["DeadLettersJob", "Arn"]}, "maxReceiveCount": 5}}}
    assert parts.resources["DeadLettersJob"] == {"Type": "AWS::SQS::Queue", "Properties": {
        "QueueName": "shop-dev-job-dlq", "MessageRetentionPeriod": 1_209_600}}
    assert parts.grants == {"job": [{"Effect": "Allow", "Action": event_sources.SQS_ACTIONS, "Resource": [
        {"Fn::Sub": "arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:shop-dev-job"}]}]}
    assert parts.outputs == {"QueueUrlJob": {"Description": "Queue of function job", "Value": {"Ref": "QueueJob"}}}


def test_sqs_queue_names_keep_within_80_characters():
    parts = build("sqs", {}, function=LONG, name="b" * 20)
    full = function_name("b" * 20, "dev", LONG)
    queues = {k: v["Properties"]["QueueName"] for k, v in parts.resources.items() if v["Type"] == "AWS::SQS::Queue"}
    assert sorted(queues.values()) == [full, full + "-dlq"] and len(full) == 64  # the function's name, shortened
    fifo = build("sqs", {"fifo": True}, function=LONG, name="b" * 20)
    names = sorted(v["Properties"]["QueueName"] for v in fifo.resources.values() if v["Type"] == "AWS::SQS::Queue")
    assert names == [full + "-dlq.fifo", full + ".fifo"] and max(map(len, names)) <= 80


# -- schedule ----------------------------------------------------------------------------

@pytest.mark.parametrize(("function", "app_name", "rule_name"), [
    ("nightly", "shop", "shop-dev-nightly"),
    ("n" * 52, "shop", "shop-dev-" + "n" * 52),  # 61 characters: kept
    (LONG, "b" * 20, None),  # shortened as the function's own name, to EventBridge's 64
])
def test_schedule_rule_names_and_targets(function, app_name, rule_name):
    parts = build("schedule", {"schedule": "rate(1 day)"}, function=function, name=app_name)
    rules = [v for v in parts.resources.values() if v["Type"] == "AWS::Events::Rule"]
    assert len(rules) == 1
    properties = rules[0]["Properties"]
    assert properties["Name"] == (rule_name or function_name(app_name, "dev", function))
    assert len(properties["Name"]) <= 64
    assert properties["Description"] == f"Runs function {function} of {app_name} (dev)"
    assert (properties["ScheduleExpression"], properties["State"]) == ("rate(1 day)", "ENABLED")
    assert properties["Targets"][0]["Id"] == "function"


def test_schedule_permission_lets_eventbridge_invoke_from_its_rule_only():
    parts = build("schedule", {"schedule": "cron(0 3 * * ? *)"})
    assert parts.resources["RuleInvokeJob"] == {"Type": "AWS::Lambda::Permission", "Properties": {
        "Action": "lambda:InvokeFunction", "FunctionName": {"Ref": "FunctionJob"},
        "Principal": "events.amazonaws.com", "SourceArn": {"Fn::GetAtt": ["ScheduleJob", "Arn"]}}}
    assert parts.resources["ScheduleJob"]["Properties"]["Targets"] == [
        {"Id": "function", "Arn": {"Fn::GetAtt": ["FunctionJob", "Arn"]}}]


# -- s3 ----------------------------------------------------------------------------------

def test_s3_bucket_blocks_every_kind_of_public_access_and_is_kept():
    bucket = build("s3", {"bucket": "uploads"}).resources["BucketUploads"]
    assert bucket["Properties"]["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True, "BlockPublicPolicy": True, "IgnorePublicAcls": True, "RestrictPublicBuckets": True}
    assert (bucket["Type"], bucket["DeletionPolicy"], bucket["UpdateReplacePolicy"]) == (
        "AWS::S3::Bucket", "Retain", "Retain")
    assert bucket["Properties"]["BucketName"] == "shop-dev-uploads"
    assert bucket["DependsOn"] == ["S3InvokeJob"]


@pytest.mark.parametrize(("entry", "configurations"), [
    ({}, [{"Event": "s3:ObjectCreated:*", "Function": {"Fn::GetAtt": ["FunctionJob", "Arn"]}}]),
    ({"events": "s3:ObjectRemoved:*", "prefix": "in/"}, [
        {"Event": "s3:ObjectRemoved:*", "Function": {"Fn::GetAtt": ["FunctionJob", "Arn"]},
         "Filter": {"S3Key": {"Rules": [{"Name": "prefix", "Value": "in/"}]}}}]),
])
def test_s3_notifications_default_to_every_created_object(entry, configurations):
    parts = build("s3", {"bucket": "uploads", **entry})
    notifications = parts.resources["BucketUploads"]["Properties"]["NotificationConfiguration"]
    assert notifications == {"LambdaConfigurations": configurations}
    prefix = entry.get("prefix", "")
    assert parts.grants["job"][0] == {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": [
        {"Fn::Sub": f"arn:${{AWS::Partition}}:s3:::shop-dev-uploads/{prefix}*"}]}


def test_s3_permission_names_the_bucket_and_the_account():
    assert build("s3", {"bucket": "Uploads"}).resources["S3InvokeJob"] == {
        "Type": "AWS::Lambda::Permission", "Properties": {
            "Action": "lambda:InvokeFunction", "FunctionName": {"Ref": "FunctionJob"}, "Principal": "s3.amazonaws.com",
            "SourceAccount": {"Ref": "AWS::AccountId"},
            "SourceArn": {"Fn::Sub": "arn:${AWS::Partition}:s3:::shop-dev-uploads"}}}


@pytest.mark.parametrize(("bucket", "valid"), [
    ("u" * 54, True),  # shop-dev- + 54 = 63 characters, S3's limit
    ("u" * 55, False),
    ("a.b", True),
    ("a..b", False),
    ("a_b", False),
    ("up-", False),
])
def test_bucket_names_at_s3s_limits(bucket, valid):
    app = make_app({})
    if valid:
        assert event_sources.bucket_name(app, bucket) == f"shop-dev-{bucket}"
    else:
        with pytest.raises(event_sources.TemplateError) as raised:
            event_sources.bucket_name(app, bucket)
        assert str(raised.value) == (
            f"bucket 'shop-dev-{bucket}' is not a valid S3 bucket name (3 to 63 lower-case letters, digits, "
            "'-' and '.'): shorten or rename the function's bucket setting")


# -- dynamodb_stream ----------------------------------------------------------------------

@pytest.mark.parametrize(("batch_size", "expected"), [(None, 100), (1, 1), (10000, 10000)])
def test_stream_mapping_batch_defaults_to_100(batch_size, expected):
    mapping = build("dynamodb_stream", {"table": "Account", "batch_size": batch_size}).resources["EventsJob"]
    assert mapping["Type"] == "AWS::Lambda::EventSourceMapping" and mapping["DependsOn"] == ["RoleJob"]
    properties = mapping["Properties"]
    assert {k: properties[k] for k in ("EventSourceArn", "FunctionName", "StartingPosition", "BatchSize",
                                       "FunctionResponseTypes", "Enabled")} == {
        "EventSourceArn": {"Fn::GetAtt": ["TableAccounts", "StreamArn"]}, "FunctionName": {"Ref": "FunctionJob"},
        "StartingPosition": "LATEST", "BatchSize": expected, "FunctionResponseTypes": ["ReportBatchItemFailures"],
        "Enabled": True}


def test_stream_role_reads_its_tables_stream_only():
    grants = build("dynamodb_stream", {"table": "Account"}).grants["job"]
    assert grants[0] == {"Effect": "Allow", "Action": event_sources.STREAM_ACTIONS, "Resource": [
        {"Fn::Sub": "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/shop-dev-accounts/stream/*"}]}


# -- names at their limits -------------------------------------------------------------------

@pytest.mark.parametrize(("function", "expected"), [
    ("f" * 55, "shop-dev-" + "f" * 55),  # 64 characters: Lambda's limit, kept
    ("f" * 56, None),  # 65: head and a digest of the whole, 64 in all
])
def test_function_names_at_lambdas_64_characters(function, expected):
    full = f"shop-dev-{function}"
    name = function_name("shop", "dev", function)
    assert name == (expected or f"{full[:55]}-{hashlib.sha256(full.encode()).hexdigest()[:8]}")
    assert len(name) == 64


@pytest.mark.parametrize(("limit", "suffix"), [(64, ""), (80, "-dlq"), (80, "-dlq.fifo"), (10, "-x")])
def test_resource_names_keep_the_suffix_within_the_limit(limit, suffix):
    app = make_app({})
    name = event_sources.resource_name(app, LONG, limit, suffix)
    assert name == function_name("shop", "dev", LONG)[: limit - len(suffix)] + suffix
    assert len(name) == min(limit, 64 + len(suffix))


# -- what the module-scoped templates leave out ---------------------------------------------

def test_queue_names_default_to_a_standard_queue():
    assert event_sources.queue_names(make_app({}), "job") == ("shop-dev-job", "shop-dev-job-dlq")
    assert event_sources.queue_names(make_app({}), "job", True) == ("shop-dev-job.fifo", "shop-dev-job-dlq.fifo")


def test_a_fifo_queue_and_its_dead_letters_are_fifo_with_content_deduplication():
    parts = build("sqs", {"fifo": True, "batch_size": 10})
    ordered = {"FifoQueue": True, "ContentBasedDeduplication": True}
    for queue_id, name in (("QueueJob", "shop-dev-job.fifo"), ("DeadLettersJob", "shop-dev-job-dlq.fifo")):
        properties = parts.resources[queue_id]["Properties"]
        assert {k: properties[k] for k in ("QueueName", *ordered)} == {"QueueName": name, **ordered}
    assert parts.resources["EventsJob"]["Properties"]["BatchSize"] == 10
    assert "FifoQueue" not in build("sqs", {}).resources["QueueJob"]["Properties"]
    with pytest.raises(event_sources.TemplateError) as raised:
        build("sqs", {"fifo": True, "batch_size": 11})
    assert str(raised.value) == "function 'job': a FIFO queue delivers at most 10 messages a batch (batch_size 11)"


def test_a_bucket_with_dashes_keeps_a_readable_logical_id():
    assert "BucketMyUploads" in build("s3", {"bucket": "my-uploads"}).resources


def test_a_stream_of_a_table_that_is_no_model_names_the_function():
    with pytest.raises(event_sources.TemplateError) as raised:
        build("dynamodb_stream", {"table": "Order"})
    assert str(raised.value) == "function 'job': table 'Order' is not a model of this app (models: Account)"


@pytest.mark.parametrize(("first", "second"), [
    ("s3:ObjectCreated:Put", "s3:ObjectCreated:*"),
    ("s3:ObjectCreated:*", "s3:ObjectCreated:Put"),
])
def test_a_wildcard_overlaps_its_events_in_either_order(first, second):
    app = make_app({"a": {"type": "s3", "bucket": "up", "events": [first]},
                    "b": {"type": "s3", "bucket": "up", "events": [second]}})
    with pytest.raises(event_sources.TemplateError) as raised:
        event_sources.s3_parts(app, "a", app.functions["a"])
    assert str(raised.value) == (
        f"functions 'a' and 'b' both get {first} and {second} events of bucket shop-dev-up for overlapping prefixes "
        "('', ''), which S3 refuses (\"Configurations overlap\"): give each function its own prefix "
        "(functions.NAME.prefix) or event types (functions.NAME.events)")
