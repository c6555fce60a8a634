"""deploy.logs against the session's deployed stage: recent events, --since, JSON records, --follow."""

from __future__ import annotations

import json
import time

from conftest import AWS_REGION as REGION


def test_logs_prints_the_functions_recent_events(deployed, deploy_app, aws, tight_aws):
    logs = aws("logs")
    group = "/aws/lambda/shop-test-hello"
    logs.create_log_stream(logGroupName=group, logStreamName="2026/11/26/[$LATEST]abc")
    now = int(time.time() * 1000)
    logs.put_log_events(logGroupName=group, logStreamName="2026/11/26/[$LATEST]abc", logEvents=[
        {"timestamp": now - 3 * 3600 * 1000, "message": "START RequestId: old"},
        {"timestamp": now - 1000, "message": "START RequestId: recent\n"},
        {"timestamp": now, "message": "END RequestId: recent"},
    ])
    result = tight_aws("deploy.logs", "hello", "--stage", "test", cwd=deploy_app)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert [line.split(" ", 2)[2] for line in lines] == ["START RequestId: recent", "END RequestId: recent"]
    assert result.stderr == ""
    quiet = tight_aws("deploy.logs", "users", "--stage", "test", "--since", "1h", cwd=deploy_app)
    assert (quiet.returncode, quiet.stdout) == (0, "")  # silence would look like a hang or a broken command:
    assert quiet.stderr == (f"No log events in /aws/lambda/shop-test-users ({REGION}) in the last 1h: invoke the "
                            "function, or look further back with --since 1d.\n")
    longer = tight_aws("deploy.logs", "hello", "--stage", "test", "--since", "4h", cwd=deploy_app)
    assert "START RequestId: old" in longer.stdout
    unknown = tight_aws("deploy.logs", "nope", "--stage", "test", cwd=deploy_app)
    assert unknown.returncode == 2
    assert unknown.stderr.strip() == "No function 'nope' in app/functions (functions: hello, users)."
    bad = tight_aws("deploy.logs", "hello", "--since", "yesterday", cwd=deploy_app)
    assert bad.returncode == 2 and "--since 'yesterday' is not a duration" in bad.stderr


JSON_LOGS = [  # Lambda's JSON log format: platform records, logging records (tight's extra fields), a print()
    {"time": "2026-11-26T10:00:00.000Z", "type": "platform.start",
     "record": {"requestId": "7f1c-a", "version": "$LATEST"}},
    {"timestamp": "2026-11-26T10:00:00.010Z", "level": "INFO", "message": "listing users", "logger": "root",
     "requestId": "7f1c-a"},
    {"timestamp": "2026-11-26T10:00:00.020Z", "level": "ERROR", "message": "Unhandled error in controller 'users'",
     "logger": "tight.lambda_proxy", "requestId": "7f1c-a", "controller": "users", "errorType": "KeyError",
     "errorMessage": "'id'", "stackTrace": ['  File "/var/task/app/functions/users/handler.py", line 9, in get\n',
                                            "    return users[kwargs['id']]\n"]},
    "plain print() output",
    {"time": "2026-11-26T10:00:00.030Z", "type": "platform.report",
     "record": {"requestId": "7f1c-a", "metrics": {"durationMs": 21.5, "billedDurationMs": 22, "memorySizeMB": 128,
                                                   "maxMemoryUsedMB": 61, "initDurationMs": 240.1},
                "status": "success"}},
    {"timestamp": "2026-11-26T10:00:01.000Z", "level": "WARNING", "message": "slow", "logger": "root",
     "requestId": "9e2d-b"},
]


def test_logs_print_json_records_readably_and_filter_them(deployed, deploy_app, aws, tight_aws):
    logs = aws("logs")
    group, stream = "/aws/lambda/shop-test-hello", "2026/11/26/[$LATEST]json"
    logs.create_log_stream(logGroupName=group, logStreamName=stream)
    now = int(time.time() * 1000) - 30 * 60 * 1000  # outside the other logs tests' windows
    logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=[
        {"timestamp": now + i, "message": r if isinstance(r, str) else json.dumps(r)} for i, r in enumerate(JSON_LOGS)])

    def shown(*args):
        result = tight_aws("deploy.logs", "hello", "--stage", "test", "--since", "1h", *args, cwd=deploy_app)
        assert result.returncode == 0, result.stderr
        return [line.split(" ", 2)[2] if line[:2] == "20" else line for line in result.stdout.splitlines()
                if "RequestId: " not in line]  # the text lines of the test above

    everything = shown()
    assert everything[0] == "START 7f1c-a: version $LATEST"
    assert everything[1] == "INFO  [7f1c-a] listing users  (root)"
    assert everything[2] == ("ERROR [7f1c-a] Unhandled error in controller 'users' (KeyError: 'id')  "
                             "(tight.lambda_proxy, controller=users)")
    assert everything[3:5] == ['  File "/var/task/app/functions/users/handler.py", line 9, in get',
                               "    return users[kwargs['id']]"]
    assert everything[5] == "plain print() output"
    assert everything[6] == ("REPORT 7f1c-a: duration 21.5 ms, billed 22 ms, init 240.1 ms, memory used 61 MB, "
                             "of 128 MB, status success")
    assert everything[7] == "WARN  [9e2d-b] slow  (root)"
    assert [line[:13] for line in shown("--level", "warning") if not line.startswith(" ")] == ["ERROR [7f1c-a",
                                                                                              "WARN  [9e2d-b"]
    assert shown("--request-id", "9e2d-b") == ["WARN  [9e2d-b] slow  (root)"]
    assert len(shown("--request-id", "7f1c-a")) == 6, "START, two records (one with its trace) and REPORT"
    assert shown("--level", "error", "--request-id", "9e2d-b") == []
    bad = tight_aws("deploy.logs", "hello", "--stage", "test", "--level", "loud", cwd=deploy_app)
    assert (bad.returncode, bad.stderr.strip()) == (2, ("--level 'loud' is not a log level: use one of TRACE, DEBUG, "
                                                       "INFO, WARN, ERROR, FATAL (or WARNING)."))


def test_logs_follow_prints_new_events_until_interrupted(deployed, deploy_app, aws, in_moto, monkeypatch, capsys):
    from tight_tasks.config import read_app_config
    from tight_tasks.deploy import report
    from tight_tasks.deploy.cloud import Cloud

    logs = aws("logs")
    group, stream = "/aws/lambda/shop-test-users", "2026/11/26/[$LATEST]follow"
    logs.create_log_stream(logGroupName=group, logStreamName=stream)
    now = int(time.time() * 1000)
    logs.put_log_events(logGroupName=group, logStreamName=stream,
                        logEvents=[{"timestamp": now - 2000, "message": "first"}])
    polls = []

    def sleep(seconds):
        polls.append(seconds)
        if len(polls) == 1:  # a new event arrives while tight waits
            logs.put_log_events(logGroupName=group, logStreamName=stream,
                                logEvents=[{"timestamp": now - 1000, "message": "second"}])
        else:
            raise KeyboardInterrupt

    printed = []
    try:
        count = report.logs(deploy_app, read_app_config(deploy_app / "tight.yml"), "users", "test", follow=True,
                            out=printed.append, cloud_factory=lambda region: Cloud.connect(region, sleep=sleep))
    finally:  # the deployed stack is shared: other tests expect no recent events in this group
        logs.delete_log_stream(logGroupName=group, logStreamName=stream)
    assert [line.split(" ", 2)[2] for line in printed] == ["first", "second"]  # each once, in order
    assert count == 2 and polls == [2, 2]
    assert capsys.readouterr().err == f"Following {group} ({REGION}) from 10m ago; Ctrl-C stops.\n"
