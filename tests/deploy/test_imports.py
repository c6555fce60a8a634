"""Which models a function's code imports (static analysis for its IAM role): real files, nothing imported."""
from __future__ import annotations

import sys

import pytest

from tight_tasks.deploy.imports import ImportScanError, function_models

FILES = {
    "app/__init__.py": "",
    "app/lib/__init__.py": "",
    "app/lib/store.py": "from app.models import Account\nfrom app.lib import cycle\n",
    "app/lib/cycle.py": "import app.lib.store\n",
    "app/models/__init__.py": "",
    "app/models/Account.py": "from .Address import Address\n",
    "app/models/Address.py": "",
    "app/models/Order.py": "",
    "app/models/Unused.py": "",
    "app/functions/orders/handler.py": "import json\nfrom app.lib import store\nfrom .helpers import total\n",
    "app/functions/orders/helpers.py": "import app.models.Order\n\n\ndef total():\n    pass\n",
    "app/functions/admin/handler.py": "from app import models\n",
    "app/functions/star/handler.py": "from app.models import *  # noqa\n",
    "app/functions/lazy/handler.py": "def handler():\n    from app.models.Order import Order\n    return Order\n",
    "app/functions/health/handler.py": "import json\nimport os.path\nfrom . import handler\n",
    "app/functions/deep/handler.py": "from ....... import nothing\nfrom .sub.x import y\n",
    "app/functions/deep/sub/x.py": "from ....lib.store import z\n",
}


@pytest.fixture
def root(tmp_path):
    for name, text in FILES.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


@pytest.mark.parametrize("function, models", [
    ("orders", {"Order", "Account", "Address"}),  # its own modules, app.lib (with a cycle), the models' imports
    ("admin", {"*"}), ("star", {"*"}),  # the whole models package: every table
    ("lazy", {"Order"}),  # an import inside a function counts
    ("health", set()),
    ("deep", {"Account", "Address"}),  # relative imports reaching out of the package; one beyond the root
])
def test_models_found_through_the_apps_own_modules(root, function, models):
    before = set(sys.modules)
    assert function_models(root, function) == models
    assert set(sys.modules) == before  # nothing of the app was imported


def test_a_file_that_does_not_parse_is_named_with_its_line(root):
    (root / "app/lib/store.py").write_text("from app.models import Account\ndef broken(:\n")
    with pytest.raises(ImportScanError, match=r"app/lib/store.py line 2: "):
        function_models(root, "orders")
