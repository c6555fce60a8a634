"""What the CLI and an app's tests share, never shipped to Lambda.

``routes`` (tight.yml's ``functions:`` section and the app's HTTP routes, read
by ``tight local.serve`` and the deploy template) and ``gateway`` (HTTP request
parts <-> API Gateway proxy events, no sockets).
"""
