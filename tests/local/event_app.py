"""One app with every kind of source, for the tests of local.serve's event delivery and dashboard."""
from __future__ import annotations

from pathlib import Path

from local_apps import HANDLERS as LOCAL_HANDLERS
from local_apps import make_app

TIGHT_YML = '''\
name: shop
provider: aws
local:
  visibility_timeout: 0
functions:
  api:
    uses: [orders, poison, ledger, thumbs]
  lookup:
    path: /accounts/{id}
  orders:
    type: sqs
    batch_size: 5
  poison:
    type: sqs
  ledger:
    type: sqs
    fifo: true
  thumbs:
    type: s3
    bucket: uploads
    prefix: in/
    events: [s3:ObjectCreated:*, s3:ObjectRemoved:*]
  audit:
    type: dynamodb_stream
    table: Account
  nightly:
    type: schedule
    schedule: cron(0 3 * * ? *)
'''

HANDLERS = {
    "api": '''\
        import boto3
        import tight.providers.aws.controllers.lambda_proxy_event as lambda_proxy
        from tight.providers.aws.clients import buckets, queues


        @lambda_proxy.post
        def post_handler(body, path_parameters):
            what = (path_parameters or {}).get("proxy")
            if what == "upload":
                boto3.client("s3").put_object(Bucket=buckets.name("thumbs"), Key=body["key"], Body=b"data")
                return {"statusCode": 201, "body": {"bucket": buckets.name("thumbs")}}
            if what == "ledger":
                return {"statusCode": 202, "body": {"id": queues.send("ledger", body)}}
            queue = "poison" if body.get("poison") else "orders"
            return {"statusCode": 202, "body": {"id": queues.send(queue, body, source="api")}}
        ''',
    "lookup": LOCAL_HANDLERS["lookup"],  # the same GET through a model as the local.serve app's
    "orders": '''\
        import tight.providers.aws.controllers.sqs_event as sqs_event
        from tight.providers.aws.clients import dynamo_db
        from app.models.Account import Account

        db = dynamo_db.connect()


        @sqs_event.message
        def handle(body, record):
            account = Account(body["id"])
            account.owner = body["owner"]
            db.save(account, overwrite=True)
            print("saved", body["id"], record["messageAttributes"]["source"]["stringValue"])
        ''',
    "poison": '''\
        import tight.providers.aws.controllers.sqs_event as sqs_event


        @sqs_event.message
        def handle(body):
            raise ValueError("never")
        ''',
    "ledger": '''\
        import tight.providers.aws.controllers.sqs_event as sqs_event


        @sqs_event.message
        def handle(body):
            print("ledger", body["n"])
        ''',
    "thumbs": '''\
        import tight.providers.aws.controllers.s3_event as s3_event


        @s3_event.object
        def handle(record):
            print("object", record["eventName"], record["s3"]["object"]["key"])
        ''',
    "audit": '''\
        import tight.providers.aws.controllers.dynamodb_stream_event as stream


        @stream.record
        def handle(record):
            print("change", record["eventName"], sorted(record["dynamodb"]))
        ''',
    "nightly": '''\
        import tight.providers.aws.controllers.schedule_event as schedule_event


        @schedule_event.handler
        def handle(event):
            print("nightly ran at", event["time"])
        ''',
}


def make_event_app(root: Path) -> Path:
    return make_app(root, TIGHT_YML, HANDLERS)
