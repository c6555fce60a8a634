"""Moved to :mod:`tight.dev.local_dynamodb`; this name stays for apps that import it."""
import sys

from tight.dev import local_dynamodb

sys.modules[__name__] = local_dynamodb
