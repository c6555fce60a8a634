"""local.serve runs every source of one app over HTTP: queue, stream, bucket, schedule, dead letters, dashboard."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
import uuid

import pytest
import requests
from conftest import free_port
from event_app import make_event_app
from local_apps import Server


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    root = make_event_app(tmp_path_factory.mktemp("events") / "shop")
    port = free_port()
    server = Server(root, "--port", str(port))
    server.wait_ready()
    server.base = f"http://127.0.0.1:{port}"
    server.endpoint = re.search(r"DynamoDB \(embedded\) at (\S+)", server.output()).group(1)
    yield server
    server.kill()


def state(base: str) -> dict:
    response = requests.get(f"{base}/_tight/api/state", timeout=10)
    assert response.status_code == 200
    return response.json()


def detail(base: str, entry: dict) -> dict:
    return requests.get(f"{base}/_tight/api/invocations/{entry['id']}", timeout=10).json()


def wait_for(base: str, function: str, text: str, count: int = 1, timeout: float = 15) -> list[dict]:
    """The first ``count`` invocations of ``function`` whose event holds ``text`` (waiting for them)."""
    deadline = time.monotonic() + timeout
    while True:
        found = [detail(base, e) for e in state(base)["invocations"] if e["function"] == function]
        found = [e for e in found if text in e["event"]]
        if len(found) >= count or time.monotonic() > deadline:
            assert len(found) >= count, f"{function} got {len(found)} of {count} events with {text!r}"
            return found[:count]
        time.sleep(0.1)


def boto(served, service: str):
    import boto3

    return boto3.client(service, endpoint_url=served.endpoint, region_name="eu-west-2",
                        aws_access_key_id="anyone", aws_secret_access_key="x")


def test_request_enqueues_and_the_consumer_writes_a_model(served):
    key = f"a-{uuid.uuid4().hex[:8]}"
    response = requests.post(f"{served.base}/api", json={"id": key, "owner": "café"}, timeout=10)
    assert response.status_code == 202
    deadline = time.monotonic() + 10
    while (found := requests.get(f"{served.base}/accounts/{key}", timeout=10)).status_code == 404:
        assert time.monotonic() < deadline, served.output()
        time.sleep(0.05)
    assert found.json() == {"id": key, "owner": "café"}
    (entry,) = wait_for(served.base, "orders", key)
    assert (entry["source"], entry["status"]) == ("sqs", "ok")
    record = json.loads(entry["event"])["Records"][0]
    assert record["eventSource"] == "aws:sqs" and record["eventSourceARN"].endswith(":shop-dev-orders")
    assert record["messageId"] == response.json()["id"]
    assert record["messageAttributes"]["source"] == {"stringValue": "api", "stringListValues": [],
                                                     "binaryListValues": [], "dataType": "String"}
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert f"saved {key} api" in entry["logs"]
    served.wait_for_line(r"sqs orders 1 record ok \d+\.\d ms", pattern=True)


def test_any_table_write_reaches_the_stream_function_in_order(served):
    key = f"s-{uuid.uuid4().hex[:8]}"
    dynamodb = boto(served, "dynamodb")  # another writer, signing for another region
    table = "shop-dev-accounts"
    dynamodb.put_item(TableName=table, Item={"id": {"S": key}, "owner": {"S": "one"}})
    dynamodb.put_item(TableName=table, Item={"id": {"S": key}, "owner": {"S": "two"}})
    items = requests.get(f"{served.base}/_tight/api/tables/{table}", timeout=10).json()
    assert {"id": {"S": key}, "owner": {"S": "two"}} in items["items"] and items["keys"] == ["id"]
    deleted = requests.post(f"{served.base}/_tight/api/tables/{table}/delete", json={"key": {"id": {"S": key}}},
                            timeout=10)
    assert deleted.status_code == 200
    deadline = time.monotonic() + 10
    while True:
        records = [r for e in state(served.base)["invocations"] if e["function"] == "audit"
                   for r in json.loads(detail(served.base, e)["event"])["Records"] if key in json.dumps(r)]
        if len(records) >= 3 or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert [r["eventName"] for r in records] == ["INSERT", "MODIFY", "REMOVE"]
    insert, modify, remove = (r["dynamodb"] for r in records)
    assert insert["NewImage"]["owner"] == {"S": "one"} and "OldImage" not in insert
    assert (modify["OldImage"]["owner"], modify["NewImage"]["owner"]) == ({"S": "one"}, {"S": "two"})
    assert remove["OldImage"]["owner"] == {"S": "two"} and "NewImage" not in remove
    assert all(r["dynamodb"]["StreamViewType"] == "NEW_AND_OLD_IMAGES" for r in records)
    assert int(insert["SequenceNumber"]) < int(modify["SequenceNumber"]) < int(remove["SequenceNumber"])
    assert records[0]["eventSourceARN"].startswith("arn:aws:dynamodb:us-east-1:123456789012:table/shop-dev-accounts/stream/")


def test_an_upload_reaches_the_s3_function_with_its_prefix_only(served):
    name = f"in/café {uuid.uuid4().hex[:6]}.txt"
    response = requests.post(f"{served.base}/api/upload", json={"key": name}, timeout=10)
    assert response.status_code == 201 and response.json() == {"bucket": "shop-dev-uploads"}
    s3 = boto(served, "s3")
    s3.put_object(Bucket="shop-dev-uploads", Key=f"out/{name}", Body=b"not for thumbs")
    s3.delete_object(Bucket="shop-dev-uploads", Key=name)
    encoded = name.replace("é", "%C3%A9").replace(" ", "+")
    created, removed = wait_for(served.base, "thumbs", encoded, 2)
    for entry, kind in ((created, "ObjectCreated:Put"), (removed, "ObjectRemoved:Delete")):
        (record,) = json.loads(entry["event"])["Records"]
        assert (record["eventSource"], record["eventName"]) == ("aws:s3", kind)
        assert record["s3"]["bucket"]["name"] == "shop-dev-uploads"
        assert record["s3"]["object"]["key"] == encoded
        assert entry["status"] == "ok" and f"object {kind} {encoded}" in entry["logs"]
    assert json.loads(created["event"])["Records"][0]["s3"]["object"]["size"] == 4
    listed = requests.get(f"{served.base}/_tight/api/buckets/shop-dev-uploads", timeout=10).json()
    assert f"out/{name}" in [o["key"] for o in listed["objects"]]
    time.sleep(0.5)
    keys = [r["s3"]["object"]["key"] for e in state(served.base)["invocations"] if e["function"] == "thumbs"
            for r in json.loads(detail(served.base, e)["event"])["Records"]]
    assert encoded in keys and not [k for k in keys if k.startswith("out")]


def test_a_schedule_fires_now_on_request(served):
    answer = requests.post(f"{served.base}/_tight/schedules/nightly", json={}, timeout=10)
    assert answer.status_code == 200 and answer.json()["status"] == "ok"
    entry = [e for e in state(served.base)["invocations"] if e["function"] == "nightly"][-1]
    event = json.loads(detail(served.base, entry)["event"])
    assert (event["source"], event["detail-type"], entry["source"]) == ("aws.events", "Scheduled Event", "schedule")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", event["time"])
    assert "nightly (schedule): cron(0 3 * * ? *), next " in served.output()
    refused = requests.post(f"{served.base}/_tight/schedules/nightly", data="{}", timeout=10)
    assert refused.status_code == 415 and "JSON body" in refused.json()["message"]
    unknown = requests.post(f"{served.base}/_tight/schedules/orders", json={}, timeout=10)
    assert unknown.status_code == 404 and unknown.json()["message"] == \
        "no schedule function 'orders' (schedules: nightly)"


def test_a_message_that_always_fails_is_retried_then_dead_lettered_and_redriven(served):
    key = f"p-{uuid.uuid4().hex[:8]}"
    sent = requests.post(f"{served.base}/api", json={"id": key, "poison": True}, timeout=10).json()["id"]
    served.wait_for_line(f"sqs poison: message {sent} moved to dead-letter queue shop-dev-poison-dlq "
                         "after its 5th failed receive")
    tries = wait_for(served.base, "poison", key, 5)
    counts = [json.loads(e["event"])["Records"][0]["attributes"]["ApproximateReceiveCount"] for e in tries]
    assert counts == ["1", "2", "3", "4", "5"] and {e["status"] for e in tries} == {"1 failed"}
    assert "ValueError: never" in tries[0]["logs"]
    queue = next(q for q in state(served.base)["queues"] if q["function"] == "poison")
    assert queue["queue"] == "shop-dev-poison" and queue["dead"] >= 1
    moved = requests.post(f"{served.base}/_tight/api/queues/poison/redrive", json={}, timeout=10).json()
    assert moved["moved"] >= 1
    wait_for(served.base, "poison", key, 6)


def test_fifo_messages_arrive_in_order(served):
    tag = uuid.uuid4().hex[:6]
    for n in range(6):
        assert requests.post(f"{served.base}/api/ledger", json={"n": f"{tag}-{n}"}, timeout=10).status_code == 202
    deadline = time.monotonic() + 10
    while len(seen := [line for line in served.lines if line.startswith(f"ledger {tag}-")]) < 6:
        assert time.monotonic() < deadline, served.output()
        time.sleep(0.05)
    assert seen == [f"ledger {tag}-{n}" for n in range(6)]


def test_the_dashboard_lists_functions_and_their_last_invocations_in_chromium(served, tmp_path):
    for _ in range(2):
        requests.get(f"{served.base}/accounts/nobody", timeout=10)
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    assert chromium, "chromium is not installed (.ci/run installs Debian's chromium package)"
    result = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu",
                             f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=5000", "--dump-dom",
                             f"{served.base}/_tight/"], capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    dom = result.stdout
    functions = dom[dom.index('<table id="functions">'):dom.index('<h2>Recent invocations')]
    for name in ("api", "audit", "ledger", "lookup", "nightly", "orders", "poison", "thumbs"):
        assert f"<td>{name}</td>" in functions
    assert "<td>stream of Account</td>" in functions and "<td>bucket uploads (in/*)</td>" in functions
    assert re.search(r"<td>lookup</td><td>lambda_proxy</td><td>http</td><td>/accounts/\{id\}</td><td>404 at ", functions)
    recent = dom[dom.index('<table id="invocations">'):dom.index("<h2>Queues")]
    assert re.search(r'<tr class="inv" data-function="lookup"><td>[^<]+</td><td>lookup</td><td>http</td>'
                     r'<td><span class="bad">404</span></td><td>[\d.]+ ms</td></tr>', recent)
    assert "shop-dev-poison" in dom and "run now: nightly" in dom and "shop-dev-accounts" in dom
    assert "GET /_tight" not in served.output()  # the dashboard's polling is not in the access log


def test_dashboard_paths_are_reserved_and_answer_json(served):
    missing = requests.get(f"{served.base}/_tight/api/nothing", timeout=10)
    assert missing.status_code == 404 and missing.json() == {"message": "no dashboard resource GET /_tight/api/nothing"}
    page = requests.get(f"{served.base}/_tight", timeout=10)
    assert page.status_code == 200 and page.url.endswith("/_tight/") and "<title>tight local.serve</title>" in page.text
    assert "http" not in re.sub(r"https?://www\.w3\.org", "", page.text.split("<script>")[1])  # no CDN, nothing remote


def test_ctrl_c_stops_every_source_and_the_process(tmp_path):
    root = make_event_app(tmp_path / "shop")
    server = Server(root, "--port", str(free_port()), "--no-schedules")
    server.wait_ready()
    assert "nightly (schedule): cron(0 3 * * ? *), next never (--no-schedules)" in server.output()
    started = time.monotonic()
    assert server.interrupt() == 0
    assert time.monotonic() - started < 10
    assert server.lines[-1] == "Stopped."


def test_a_new_sqs_function_in_tight_yml_gets_its_queue_on_reload(tmp_path):
    root = make_event_app(tmp_path / "shop")
    server = Server(root, "--port", str(port := free_port()), "--no-schedules")
    try:
        server.wait_ready()
        (root / "app" / "functions" / "mail").mkdir()
        (root / "app" / "functions" / "mail" / "__init__.py").write_text("")
        (root / "app" / "functions" / "mail" / "handler.py").write_text(
            "import tight.providers.aws.controllers.sqs_event as sqs_event\n\n\n"
            "@sqs_event.message\ndef handle(body):\n    print('mail to', body['to'])\n")
        config = (root / "tight.yml").read_text().replace("uses: [orders,", "uses: [mail, orders,")
        (root / "tight.yml").write_text(config + "  mail:\n    type: sqs\n")
        server.wait_for_line("Event sources restarted for the new tight.yml.")
        handler = root / "app" / "functions" / "api" / "handler.py"
        handler.write_text(handler.read_text().replace('queue = "poison"', 'queue = "mail" if body.get("to") else "poison"'))
        time.sleep(0.5)
        deadline = time.monotonic() + 10
        while requests.post(f"http://127.0.0.1:{port}/api", json={"to": "ann"}, timeout=10).status_code != 202:
            assert time.monotonic() < deadline, server.output()
            time.sleep(0.3)
        server.wait_for_line("mail to ann")
        server.wait_for_line(r"sqs mail 1 record ok \d+\.\d ms", pattern=True)
    finally:
        assert server.interrupt() == 0


@pytest.mark.parametrize(("value", "shown"), [("-1", "-1"), ("soon", "'soon'"), ("true", "True"), ("50000", "50000")])
def test_a_bad_visibility_timeout_is_one_line(tmp_path, value, shown):
    from conftest import run_tight

    root = make_event_app(tmp_path / "shop")
    (root / "tight.yml").write_text((root / "tight.yml").read_text().replace("visibility_timeout: 0",
                                                                             f"visibility_timeout: {value}"))
    result = run_tight("local.serve", "--port", str(free_port()), cwd=root, timeout=60)
    assert result.returncode != 0 and result.stdout == ""
    assert result.stderr.strip().splitlines()[-1] == (
        f"tight.yml: local.visibility_timeout {shown} is not a whole number of seconds from 0 to 43200 (default 2).")
    assert "Traceback" not in result.stderr


def test_without_the_engine_event_sources_are_not_served_and_it_says_so(tmp_path):
    root = make_event_app(tmp_path / "shop")
    server = Server(root, "--port", str(free_port()), "--no-db", "--no-schedules")
    try:
        server.wait_ready()
        assert "Queues, buckets and streams run in the embedded engine: with --no-db they are not served" in \
            server.output()
    finally:
        assert server.interrupt() == 0


def test_local_invoke_of_a_sender_sends_to_the_local_queue(tmp_path):
    from conftest import run_tight

    root = make_event_app(tmp_path / "shop")
    result = run_tight("local.invoke", "api", "--method", "POST", "--header", "Content-Type=application/json",
                       "--body", '{"id": "i-1", "owner": "ann"}', cwd=root, timeout=120)
    assert result.returncode == 0, result.stderr
    response = json.loads(result.stdout)
    assert response["statusCode"] == 202 and re.fullmatch(r"[0-9a-f-]{36}", json.loads(response["body"])["id"])
    assert ("Local queues and buckets for api: shop-dev-orders, shop-dev-poison, shop-dev-ledger.fifo, "
            "shop-dev-uploads (nothing consumes them here: `tight local.serve` delivers to their functions)") \
        in result.stderr


def test_only_the_failed_messages_of_a_batch_come_back(served):
    tag = uuid.uuid4().hex[:8]
    sqs = boto(served, "sqs")
    url = sqs.get_queue_url(QueueName="shop-dev-orders")["QueueUrl"]
    good, bad = [f"g{n}-{tag}" for n in range(2)], f"bad-{tag}"
    sqs.send_message_batch(QueueUrl=url, Entries=[
        {"Id": "0", "MessageBody": json.dumps({"id": good[0], "owner": "x"}),
         "MessageAttributes": {"source": {"DataType": "String", "StringValue": "cli"}}},
        {"Id": "1", "MessageBody": json.dumps({"id": bad})},  # no owner: the handler raises KeyError
        {"Id": "2", "MessageBody": json.dumps({"id": good[1], "owner": "y"}),
         "MessageAttributes": {"source": {"DataType": "String", "StringValue": "cli"}}}])
    line = served.wait_for_line(r"sqs orders: message \S+ moved to dead-letter queue shop-dev-orders-dlq after its "
                                r"5th failed receive", pattern=True)
    tries = [next(r for r in json.loads(e["event"])["Records"] if bad in r["body"])
             for e in wait_for(served.base, "orders", bad, 5)]
    assert [r["attributes"]["ApproximateReceiveCount"] for r in tries] == ["1", "2", "3", "4", "5"]
    assert f"message {tries[0]['messageId']} moved" in line
    for key in good:
        assert len(wait_for(served.base, "orders", key, 1)) == 1
        time.sleep(0.2)
        assert len([e for e in state(served.base)["invocations"] if e["function"] == "orders"
                    and key in detail(served.base, e)["event"]]) == 1  # deleted after its one success
        assert requests.get(f"{served.base}/accounts/{key}", timeout=10).status_code == 200
