"""tight dynamo.installdb against a local HTTP server serving archives built here."""
from __future__ import annotations

import hashlib
import http.server
import io
import os
import re
import signal
import subprocess
import sys
import tarfile
import threading
import time
from pathlib import Path

import pytest
from conftest import clean_env

JAR = b"PK fake DynamoDBLocal.jar " + os.urandom(1024 * 1024)  # ~1 MiB: several progress updates


def tarball(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tf:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def sha256(data: bytes) -> bytes:
    return f"{hashlib.sha256(data).hexdigest()}  dynamodb_local_latest.tar.gz\n".encode()


class Server:
    """Serves ``files`` (path -> bytes); ``/short/...`` announces more bytes than it sends."""

    def __init__(self):
        self.files: dict[str, bytes] = {}
        self.requests: list[str] = []
        self.sent_half = threading.Event()
        self.release = threading.Event()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                outer.requests.append(self.path)
                data = outer.files.get(self.path)
                if data is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                short = self.path.startswith("/short/") and not self.path.endswith(".sha256")
                self.send_header("Content-Length", str(len(data) * (2 if short else 1)))
                self.end_headers()
                if self.path.startswith("/slow/") and not self.path.endswith(".sha256"):
                    self.wfile.write(data[: len(data) // 2])
                    self.wfile.flush()
                    outer.sent_half.set()
                    outer.release.wait(30)
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def publish(self, path: str, archive: bytes, checksum: bytes | None = None) -> str:
        self.files[path] = archive
        self.files[path + ".sha256"] = sha256(archive) if checksum is None else checksum
        return self.url + path


@pytest.fixture
def server():
    s = Server()
    good = tarball({"DynamoDBLocal.jar": JAR, "DynamoDBLocal_lib/libsqlite4java-linux-amd64.so": b"so",
                    "LICENSE.txt": b"license"})
    s.publish("/v3.x/dynamodb_local_latest.tar.gz", good)
    yield s
    s.release.set()
    s.httpd.shutdown()
    s.httpd.server_close()


def install(tight, cwd, *args, path=None):
    env = clean_env(**({"PATH": path} if path is not None else {}))
    return tight("dynamo.installdb", *args, cwd=cwd, env=env)


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.startswith("."))


def test_install_verify_unpack_and_rerun_is_quick(tight, tmp_path, server):
    url = server.url + "/v3.x/dynamodb_local_latest.tar.gz"
    first = install(tight, tmp_path, "--url", url)
    assert first.returncode == 0, first.stderr
    db = tmp_path / "dynamo_db"
    assert (db / "DynamoDBLocal.jar").read_bytes() == JAR
    assert (db / "DynamoDBLocal_lib" / "libsqlite4java-linux-amd64.so").read_bytes() == b"so"
    assert "Installed DynamoDB Local" in first.stdout
    # Not a terminal: plain progress lines with bytes, rate and ETA, then a summary.
    assert "ETA" in first.stderr and "MiB/s" in first.stderr and "Downloading done: 1.0 MiB" in first.stderr
    assert "\r" not in first.stderr
    assert leftovers(tmp_path) == []
    assert server.requests.count("/v3.x/dynamodb_local_latest.tar.gz") == 1

    again = install(tight, tmp_path, "--url", url)
    assert again.returncode == 0
    assert "already installed" in again.stdout and "--force" in again.stdout
    assert server.requests.count("/v3.x/dynamodb_local_latest.tar.gz") == 1, "no second download"

    (db / "shared-local-instance.db").write_bytes(b"my data")
    forced = install(tight, tmp_path, "--url", url, "--force")
    assert forced.returncode == 0
    assert server.requests.count("/v3.x/dynamodb_local_latest.tar.gz") == 2
    assert (db / "shared-local-instance.db").read_bytes() == b"my data", "user data survives a re-install"


def test_install_dir_option(tight, tmp_path, server):
    result = install(tight, tmp_path, "--url", server.url + "/v3.x/dynamodb_local_latest.tar.gz", "--dir", "ddb")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "ddb" / "DynamoDBLocal.jar").is_file()
    assert not (tmp_path / "dynamo_db").exists()


BAD = {
    "wrong checksum": (lambda s: s.publish("/bad/a.tar.gz", tarball({"DynamoDBLocal.jar": b"x"}),
                                           checksum=b"0" * 64 + b"  a.tar.gz\n"), "checksum mismatch"),
    "short body": (lambda s: s.publish("/short/a.tar.gz", tarball({"DynamoDBLocal.jar": JAR})),
                   "/short/a.tar.gz is truncated: the connection closed after"),
    "truncated archive": (lambda s: s.publish("/trunc/a.tar.gz", tarball({"DynamoDBLocal.jar": JAR})[:5000]),
                          "corrupt or truncated"),
    "escaping member": (lambda s: s.publish("/evil/a.tar.gz", tarball({"DynamoDBLocal.jar": b"x",
                                                                        "../escaped.txt": b"gotcha"})),
                        "outside the install directory"),
    "no jar": (lambda s: s.publish("/nojar/a.tar.gz", tarball({"README": b"x"})), "no DynamoDBLocal.jar"),
    "404": (lambda s: (s.files.__setitem__("/gone/a.tar.gz.sha256", sha256(b"x")), s.url + "/gone/a.tar.gz")[1],
            "cannot download http://127.0.0.1"),
    "no checksum": (lambda s: (s.files.__setitem__("/nosum/a.tar.gz", b"x"), s.url + "/nosum/a.tar.gz")[1],
                    "a.tar.gz.sha256: HTTP 404"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_failures_leave_the_install_untouched(tight, tmp_path, server, case):
    good = server.url + "/v3.x/dynamodb_local_latest.tar.gz"
    assert install(tight, tmp_path, "--url", good).returncode == 0
    db = tmp_path / "dynamo_db"
    before = sorted((str(p.relative_to(db)), p.read_bytes()) for p in db.rglob("*") if p.is_file())
    make, message = BAD[case]
    result = install(tight, tmp_path, "--url", make(server), "--force")
    assert result.returncode == 1
    assert message in result.stderr
    assert "nothing was installed (the existing install is untouched)" in result.stderr
    assert "Traceback" not in result.stderr
    after = sorted((str(p.relative_to(db)), p.read_bytes()) for p in db.rglob("*") if p.is_file())
    assert after == before
    assert leftovers(tmp_path) == [], "no partial files"
    assert not (tmp_path / "escaped.txt").exists()


def test_ctrl_c_during_download_leaves_the_install_untouched(tight, tmp_path, server):
    assert install(tight, tmp_path, "--url", server.url + "/v3.x/dynamodb_local_latest.tar.gz").returncode == 0
    jar = (tmp_path / "dynamo_db" / "DynamoDBLocal.jar").read_bytes()
    url = server.publish("/slow/a.tar.gz", tarball({"DynamoDBLocal.jar": b"new " + JAR}))
    process = subprocess.Popen([sys.executable, "-m", "tight_tasks", "dynamo.installdb", "--url", url, "--force"],
                               cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env=clean_env())
    assert server.sent_half.wait(60), "the download never started"
    time.sleep(0.3)  # let the client write what it received into its staging directory
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode != 0
    assert "Interrupted: nothing was installed" in err and "Traceback" not in err
    assert (tmp_path / "dynamo_db" / "DynamoDBLocal.jar").read_bytes() == jar
    assert leftovers(tmp_path) == []


def test_failure_without_previous_install_leaves_nothing(tight, tmp_path, server):
    result = install(tight, tmp_path, "--url", server.url + "/missing.tar.gz")
    assert result.returncode == 1 and "HTTP 404" in result.stderr
    assert list(tmp_path.iterdir()) == []
    server.publish("/nojar/a.tar.gz", tarball({"README": b"x"}))
    nested = install(tight, tmp_path, "--url", server.url + "/nojar/a.tar.gz", "--dir", "deep/er/ddb")
    assert nested.returncode == 1 and "no DynamoDBLocal.jar" in nested.stderr
    assert list(tmp_path.iterdir()) == [], "not even the parent directories made for it"


def test_unreachable_server_says_what_to_try(tight, tmp_path):
    import socket

    with socket.socket() as sock:  # a port nobody listens on: bound, never listening
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}/dynamodb_local_latest.tar.gz"
        result = install(tight, tmp_path, "--url", url)
    assert result.returncode == 1
    assert "the connection was refused; check the network" in result.stderr and "--url" in result.stderr
    errors = [line for line in result.stderr.strip().splitlines() if not line.startswith("Warning: ")]
    assert "Traceback" not in result.stderr and len(errors) == 1
    assert list(tmp_path.iterdir()) == []


def test_java_missing_is_a_clear_warning(tight, tmp_path, server):
    result = install(tight, tmp_path, "--url", server.url + "/v3.x/dynamodb_local_latest.tar.gz",
                     path=str(Path(sys.executable).parent))
    assert result.returncode == 0, result.stderr
    assert "Java 17+ was not found" in result.stderr and "embedded engine" in result.stderr


def test_bad_version_is_a_usage_error(tight, tmp_path):
    result = tight("dynamo.installdb", "--version", "../../etc", cwd=tmp_path)
    assert result.returncode == 2 and "v3.x" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_default_url_is_the_https_cloudfront_archive():
    from tight_tasks.dynamo.installdb import archive_url

    assert archive_url("v3.x") == "https://d1ni2b6xgvw0s0.cloudfront.net/v3.x/dynamodb_local_latest.tar.gz"
    assert archive_url("v2.x").startswith("https://")


def test_progress_on_a_terminal_redraws_one_line():
    from tight_tasks.dynamo.download import Progress

    now = [0.0]
    out = io.StringIO()
    progress = Progress(4 * 1024 * 1024, stream=out, tty=True, clock=lambda: now[0])
    for _ in range(4):
        now[0] += 1.0
        progress.update(1024 * 1024)
    progress.finish()
    text = out.getvalue()
    assert text.count("\r") == 5 and text.endswith("\n") and text.count("\n") == 1
    assert "[######------------------] Downloading 1.0 MiB / 4.0 MiB (25%)  1.0 MiB/s  ETA 0:03" in text
    assert "Downloading done: 4.0 MiB in 4.0 s (1.0 MiB/s)" in text


def test_progress_plain_lines_every_tenth():
    from tight_tasks.dynamo.download import Progress

    now = [0.0]
    out = io.StringIO()
    progress = Progress(1000, stream=out, tty=False, clock=lambda: now[0])
    for _ in range(100):
        now[0] += 0.1
        progress.update(10)
    lines = out.getvalue().splitlines()
    assert len(lines) == 9
    assert lines[0] == "Downloading 100 B / 1000 B (10%)  100 B/s  ETA 0:09"


# -- installdb replaces only what it created ---------------------------------------


def snapshot(root: Path) -> dict[str, bytes | None]:
    return {str(p.relative_to(root)): (None if p.is_dir() else p.read_bytes()) for p in sorted(root.rglob("*"))}


def user_app(root: Path) -> Path:
    from dynamo_apps import make_app

    app = make_app(root)
    for rel, text in {"app/functions/users/handler.py": "def handler(e, c): ...\n",
                      "app/functions/users/.handler.py.swp": "vim swap", "app/models/account.py~": "backup",
                      ".git/HEAD": "ref: refs/heads/main\n", "README.md": "mine"}.items():
        (app / rel).parent.mkdir(parents=True, exist_ok=True)
        (app / rel).write_text(text)
    return app


REFUSED_DIRS = {
    "--dir app": (("--dir", "app"), None, "it contains the app's app/functions"),
    "--dir .": (("--dir", "."), None, "it is the app's root directory"),
    "--dir ..": (("--dir", ".."), None, "it contains the app at"),
    "--dir app/functions": (("--dir", "app/functions"), None, "it contains the app's app/functions"),
    "--dir app/models": (("--dir", "app/models"), None, "it contains the app's app/models"),
    "dynamo.dir in tight.yml": ((), "dynamo:\n  dir: app\n", "it contains the app's app/functions"),
    "dynamo.dir: . in tight.yml": ((), "dynamo:\n  dir: .\n", "it is the app's root directory"),
    "--dir .git": (("--dir", ".git"), None, "it holds files tight did not create"),
    "--dir with user files": (("--dir", "app/functions/users"), None, "handler.py"),
}


@pytest.mark.parametrize("case", list(REFUSED_DIRS))
def test_installdb_refuses_directories_it_did_not_create(tight, tmp_path, server, case):
    args, config, reason = REFUSED_DIRS[case]
    app = user_app(tmp_path / "svc")
    if config:
        with open(app / "tight.yml", "a") as handle:
            handle.write(config)
    before = snapshot(tmp_path)
    result = install(tight, app, "--url", server.url + "/v3.x/dynamodb_local_latest.tar.gz", *args)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Refusing to replace" in result.stderr and reason in result.stderr, result.stderr
    assert "installdb replaces only a directory it created" in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert snapshot(tmp_path) == before, "nothing touched"
    assert server.requests == [], "refused before any download"


def test_installdb_refuses_a_planted_marker_in_the_app(tight, tmp_path, server):
    """A cloned tight.yml pointing dynamo.dir at the app, with a marker in it: still refused."""
    app = user_app(tmp_path / "svc")
    (app / ".tight-install.json").write_text('{"url": "x"}')
    (app / "tight.yml").write_text((app / "tight.yml").read_text() + "dynamo: {dir: .}\n")
    before = snapshot(tmp_path)
    result = install(tight, app, "--url", server.url + "/v3.x/dynamodb_local_latest.tar.gz", "--force")
    assert result.returncode == 1 and "it is the app's root directory" in result.stderr
    assert snapshot(tmp_path) == before


def test_installdb_outside_an_app_refuses_a_user_directory(tight, tmp_path, server):
    (tmp_path / "dynamo_db").mkdir()
    (tmp_path / "dynamo_db" / "notes.txt").write_text("mine")
    result = install(tight, tmp_path, "--url", server.url + "/v3.x/dynamodb_local_latest.tar.gz")
    assert result.returncode == 1 and "notes.txt" in result.stderr
    assert (tmp_path / "dynamo_db" / "notes.txt").read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dynamo_db"]


def test_installdb_fills_an_empty_directory_and_replaces_its_own(tight, tmp_path, server):
    app = user_app(tmp_path / "svc")
    (app / "local_db").mkdir()
    url = server.url + "/v3.x/dynamodb_local_latest.tar.gz"
    first = install(tight, app, "--url", url, "--dir", "local_db")
    assert first.returncode == 0, first.stderr
    assert (app / "local_db" / "DynamoDBLocal.jar").read_bytes() == JAR
    assert (app / "local_db" / ".tight-install.json").is_file()
    again = install(tight, app, "--url", url, "--dir", "local_db", "--force")
    assert again.returncode == 0, again.stderr
    assert not [p for p in app.iterdir() if ".tight-" in p.name], "no staging or .tight-old-* left"


# -- archives, plain HTTP, progress, stalls, truncation, permissions ---------------


def test_archive_made_with_tar_dot_installs(tight, tmp_path, server):
    """``tar -C dir -czf a.tar.gz .`` names members ./DynamoDBLocal.jar (and ./ itself)."""
    src = tmp_path / "src"
    (src / "DynamoDBLocal_lib").mkdir(parents=True)
    (src / "DynamoDBLocal.jar").write_bytes(JAR)
    (src / "DynamoDBLocal_lib" / "libsqlite4java-linux-amd64.so").write_bytes(b"so")
    archive = tmp_path / "a.tar.gz"
    subprocess.run(["tar", "-C", str(src), "-czf", str(archive), "."], check=True)
    with tarfile.open(archive) as tf:
        assert "./DynamoDBLocal.jar" in tf.getnames() and "." in tf.getnames()
    url = server.publish("/dot/dynamodb_local_latest.tar.gz", archive.read_bytes())
    work = tmp_path / "work"
    work.mkdir()
    result = install(tight, work, "--url", url)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    db = work / "dynamo_db"
    assert (db / "DynamoDBLocal.jar").read_bytes() == JAR
    assert (db / "DynamoDBLocal_lib" / "libsqlite4java-linux-amd64.so").read_bytes() == b"so"


def test_plain_http_warns_that_the_checksum_proves_little(tight, tmp_path, server, capsys):
    result = install(tight, tmp_path, "--url", server.url + "/v3.x/dynamodb_local_latest.tar.gz")
    assert result.returncode == 0, result.stderr
    assert (f"Warning: {server.url}/v3.x/dynamodb_local_latest.tar.gz is plain HTTP: its checksum comes from "
            "the same origin") in result.stderr
    from tight_tasks.dynamo.installdb import check_url

    check_url("https://example.com/dynamodb_local_latest.tar.gz")
    assert capsys.readouterr().err == "", "https: no warning"


def test_small_download_prints_no_repeated_100_percent_lines(tight, tmp_path, server):
    url = server.publish("/small/dynamodb_local_latest.tar.gz", tarball({"DynamoDBLocal.jar": b"tiny jar"}))
    result = install(tight, tmp_path, "--url", url)
    assert result.returncode == 0, result.stderr
    progress = [line for line in result.stderr.splitlines() if line.startswith("Downloading")]
    assert len(progress) == 1 and progress[0].startswith("Downloading done: "), result.stderr


def test_progress_counts_a_tenth_once_however_big_the_chunk():
    from tight_tasks.dynamo.download import Progress

    out = io.StringIO()
    progress = Progress(1000, stream=out, tty=False, clock=lambda: 1.0)
    progress.update(550)  # crosses 10 % ... 50 % at once: one line
    progress.update(450)  # the rest: finish() reports it
    progress.finish()
    lines = out.getvalue().splitlines()
    assert len(lines) == 2 and "(55%)" in lines[0] and lines[1].startswith("Downloading done: 1000 B")


def test_stalled_download_says_it_timed_out(server, tmp_path):
    from tight_tasks.dynamo.download import DownloadError, download

    data = tarball({"DynamoDBLocal.jar": os.urandom(1_000_000)})  # the server sends half, then nothing
    url = server.publish("/slow/stall.tar.gz", data)
    with pytest.raises(DownloadError) as info:
        download(url, tmp_path / "archive", progress_stream=io.StringIO(), timeout=(10, 0.5))
    message = str(info.value)
    match = re.fullmatch(rf"download of {re.escape(url)} stalled: nothing arrived for 0\.5 s \(read timeout\) "
                         rf"after (\d+) of {len(data)} bytes; check the network.*", message)
    assert match, message
    assert 0 < int(match.group(1)) <= len(data) // 2, "the bytes that did arrive, not 0"
    assert "cannot connect" not in message


def test_connection_closed_midway_reports_the_bytes_that_arrived(tight, tmp_path, server):
    data = tarball({"DynamoDBLocal.jar": b"small jar"})  # smaller than one read: nothing reaches the file
    url = server.publish("/short/small.tar.gz", data)
    result = install(tight, tmp_path, "--url", url)
    assert result.returncode == 1
    assert f"the connection closed after {len(data)} of {2 * len(data)} bytes" in result.stderr, result.stderr
    assert list(tmp_path.iterdir()) == []


def run_unprivileged(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    from conftest import without_write_permission

    return subprocess.run([*without_write_permission(), sys.executable, "-m", "tight_tasks", "dynamo.installdb",
                           *args], cwd=cwd, capture_output=True, text=True, env=clean_env(), timeout=120, check=False)


def errors(stderr: str) -> list[str]:
    return [line for line in stderr.strip().splitlines() if not line.startswith("Warning: ")]


def test_permission_denied_on_the_install_dir_is_one_line(tight, tmp_path, server):
    url = server.url + "/v3.x/dynamodb_local_latest.tar.gz"
    readonly = tmp_path / "readonly"
    readonly.mkdir()
    readonly.chmod(0o555)
    try:
        result = run_unprivileged(readonly, "--url", url)
    finally:
        readonly.chmod(0o755)
    assert result.returncode == 1
    assert errors(result.stderr) == [(f"Cannot install into {readonly / 'dynamo_db'}: Permission denied; check that "
                                     f"you may write to it and to {readonly}; nothing was installed.")]
    assert list(readonly.iterdir()) == []

    # An install made earlier, now read-only: one line, and the install is untouched.
    assert install(tight, tmp_path, "--url", url).returncode == 0
    db = tmp_path / "dynamo_db"
    before = snapshot(db)
    db.chmod(0o555)
    try:
        again = run_unprivileged(tmp_path, "--url", url, "--force")
    finally:
        db.chmod(0o755)
    assert again.returncode == 1
    assert errors(again.stderr) == [(f"Cannot install into {db}: Permission denied; check that you may write to it "
                                    f"and to {tmp_path}; nothing was installed (the existing install is untouched).")]
    assert snapshot(db) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dynamo_db", "readonly"]
    assert server.requests.count("/v3.x/dynamodb_local_latest.tar.gz") == 1, "refused before downloading again"


def test_installdb_fills_the_dir_rundb_keep_made_and_keeps_its_data(tight, tmp_path, server):
    """`rundb --keep` first (embedded engine), installdb later: allowed, and the snapshot survives (also --force)."""
    sys.path.insert(0, str(Path(__file__).parent))
    from conftest import free_port
    from dynamo_apps import Rundb, make_app

    app = make_app(tmp_path / "svc")
    run = Rundb(app, "--engine", "embedded", "--keep", "--port", str(free_port()))
    run.banner()
    assert run.stop()[0] == 0
    data = app / "dynamo_db" / "shared-embedded-instance.json"
    saved = data.read_bytes()
    url = server.url + "/v3.x/dynamodb_local_latest.tar.gz"
    for extra in ([], ["--force"]):
        result = install(tight, app, "--url", url, *extra)
        assert result.returncode == 0, result.stderr
        assert (app / "dynamo_db" / "DynamoDBLocal.jar").read_bytes() == JAR
        assert data.read_bytes() == saved
    (app / "mine").mkdir()
    (app / "mine" / "shared-embedded-instance.json").write_text("{}")  # the data file alone marks nothing
    refused = install(tight, app, "--url", url, "--dir", "mine")
    assert refused.returncode == 1 and "Refusing to replace" in refused.stderr
