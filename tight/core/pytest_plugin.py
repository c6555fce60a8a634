"""Moved to :mod:`tight.dev.pytest_plugin`; this name stays for apps that import it."""
import sys

from tight.dev import pytest_plugin

sys.modules[__name__] = pytest_plugin
