"""Moved to :mod:`tight.dev.test_helpers`; this name stays for apps that import it."""
import sys

from tight.dev import test_helpers

sys.modules[__name__] = test_helpers
