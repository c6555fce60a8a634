"""Which models each function's code imports (static analysis; reads the app's files, imports nothing).

From every ``.py`` file of ``app/functions/NAME/`` the ``import`` statements are followed through the app's
own modules (``app.lib.*``, ``app.serializers.*``, relative imports, the models' own imports), transitively;
an import of ``app.models.X`` (or ``from app.models import X``) names model ``X``. ``import app.models``,
``from app import models`` and ``from app.models import *`` mean every model. Imports made at run time
(``importlib``) are not seen: list those tables in ``functions.NAME.tables``.
"""
from __future__ import annotations

import ast
from pathlib import Path

MODELS = "app.models"
ALL = "*"


class ImportScanError(ValueError):
    """A module of the app cannot be parsed; the message names the file and line."""


def _module_file(root: Path, module: str) -> Path | None:
    """The file of the app's module ``module`` (``app.x.y``), or None when it is not the app's."""
    if module != "app" and not module.startswith("app."):
        return None
    base = root.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _package_of(root: Path, path: Path) -> list[str]:
    """The package a module file is in (``x/y.py`` and ``x/__init__.py`` are both in ``x``)."""
    return list(path.relative_to(root).parts[:-1])


def _imported(root: Path, path: Path) -> list[tuple[str, list[str]]]:
    """``(module, names)`` of every import in ``path`` (names: what ``from module import`` takes)."""
    try:
        tree = ast.parse(path.read_bytes(), filename=str(path))
    except SyntaxError as exc:
        raise ImportScanError(f"{path.relative_to(root)} line {exc.lineno}: {exc.msg}") from None
    except (OSError, ValueError) as exc:
        raise ImportScanError(f"cannot read {path.relative_to(root)}: {exc}") from None
    found: list[tuple[str, list[str]]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((alias.name, []) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = _package_of(root, path)
                if node.level - 1 > len(package):
                    continue
                base = ".".join(package[:len(package) - (node.level - 1)] + ([base] if base else []))
            found.append((base, [alias.name for alias in node.names]))
    return found


def _models_named(module: str, names: list[str]) -> tuple[set[str], list[str]]:
    """Models an import names, and the app modules it makes the code run."""
    if module == MODELS or (module == "app" and "models" in names):
        if module == "app" or not names or ALL in names:
            return {ALL}, []
        return set(names), [f"{MODELS}.{n}" for n in names]
    models = {module.split(".")[2]} if module.startswith(MODELS + ".") else set()
    return models, [module] + [f"{module}.{n}" for n in names if n != ALL]


def function_models(root: Path, function: str) -> frozenset[str]:
    """The model names (class or file; ``*`` for all) the code of ``app/functions/<function>`` imports."""
    root = Path(root)
    todo = sorted((root / "app" / "functions" / function).rglob("*.py"))
    seen: set[Path] = set(todo)
    models: set[str] = set()
    while todo:
        for module, names in _imported(root, todo.pop()):
            named, modules = _models_named(module, names)
            models |= named
            for other in modules:
                path = _module_file(root, other)
                if path is not None and path not in seen and other != MODELS:
                    seen.add(path)
                    todo.append(path)
    return frozenset(models)
