"""A browser on one origin calls a JWT-protected route of local.serve on another, with a local.token token."""
from __future__ import annotations

import json

import pytest
from conftest import browse, free_port, run_tight, serve_wsgi
from local_apps import APP_INDEX, Server, write

ITEMS = '''\
import tight.providers.aws.controllers.lambda_proxy_event as lambda_proxy

lambda_proxy.configure_cors(origins=["*"])


@lambda_proxy.post
def post_handler(request):
    return {"statusCode": 201, "body": {"got": request.body, "sub": request.claims.get("sub"),
                                        "scopes": request.scopes}}
'''
PAGE = """<!doctype html><html><body><pre id="out">pending</pre><script>
fetch("%s/items", {method: "POST", headers: {"Content-Type": "application/json", "Authorization": "Bearer %s"},
                   body: JSON.stringify({name: "from the browser"})})
  .then(r => r.json().then(j => "status " + r.status + " " + JSON.stringify(j)))
  .catch(e => "failed: " + e)
  .then(text => { document.getElementById("out").textContent = text; });
</script></body></html>"""


@pytest.mark.parametrize("api", ["http", "rest"])
def test_browser_posts_json_with_a_bearer_token_across_origins(tmp_path, api):
    root = tmp_path / "shop"
    write(root / "tight.yml", f"name: shop\napi: {api}\nauth:\n  default: jwt\n  jwt:\n"
                              "    issuer: https://login.example.com/\n    audience: [web]\n"
                              "functions:\n  items: {scopes: [items/write]}\n")
    write(root / "env.yml", "NAME: shop\nSTAGE: dev\n")
    write(root / "app_index.py", APP_INDEX)
    for package in ("app", "app/functions", "app/functions/items"):
        write(root / package / "__init__.py", "")
    write(root / "app/functions/items/handler.py", ITEMS)
    result = run_tight("local.token", "--sub", "browser-user", "--scope", "items/write", cwd=root)
    assert result.returncode == 0, result.stderr
    token = result.stdout.strip()
    port = free_port()
    server = Server(root, "--port", str(port), "--no-db")  # no --payload: api decides
    try:
        server.wait_ready()
        assert f"payload {'2.0' if api == 'http' else '1.0'}" in server.output()
        refusal = "Note: deploy refuses auth: jwt on a REST API with a non-Cognito issuer: add `api: http`"
        assert (refusal in server.output()) == (api == "rest")
        api_url = f"http://127.0.0.1:{port}"

        def page(environ, start_response):
            start_response("200 OK", [("Content-Type", "text/html")])
            return [(PAGE % (api_url, token)).encode()]

        with serve_wsgi(page) as origin:
            text = browse(f"{origin.replace('127.0.0.1', 'localhost')}/", tmp_path / "profile")
        expected = {"got": {"name": "from the browser"}, "sub": "browser-user", "scopes": ["items/write"]}
        assert text == "status 201 " + json.dumps(expected, separators=(",", ":")), server.output()
        assert "OPTIONS /items 204" in server.output()
    finally:
        server.kill()
