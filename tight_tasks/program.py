"""The ``tight`` command: an :class:`invoke.Program` over :data:`tight_tasks.ns`.

What it adds to invoke's Program:

* ``tight.yml`` (or ``tight.yaml``) from the current directory or its
  nearest parent is loaded as project config (invoke skips project config
  when a Program has a fixed namespace);
* ``tight TASK --help``/``-h`` shows the task's help (invoke would pass
  ``--help`` as the value of a positional argument);
* several bare values after a task with a variadic argument
  (``tight pip.install requests flask boto3``) all reach the task;
* per-argument help survives a second ``Program.run`` in one process;
* parse errors are one line and exit with code 2; a Ctrl-C is one line and
  exit code 130; a config file of the wrong shape is one line and exit 1;
* ``--help`` shows only the core options tight honours: invoke's options for
  shell commands (``--pty``, ``--dry``, ``--echo``, sudo ...) are not
  accepted, since no tight task runs shell commands through invoke.
"""
from __future__ import annotations

import os
import re
import sys
from pathlib import Path

from invoke import Config, Program
from invoke.config import AmbiguousMergeError
from invoke.exceptions import Exit, ParseError, UncastableEnvVar, UnknownFileType
from invoke.parser import Argument
from invoke.util import yaml

from . import ns
from ._version import __version__
from .config import fail, find_config_file, read_app_config

HELP_FLAGS = ("--help", "-h")

#: invoke's core options that tight honours (the others configure ``c.run``/``c.sudo``, unused here).
CORE_OPTIONS = ("help", "version", "list", "list-depth", "list-format", "complete", "print-completion-script",
                "config", "debug")

from .__main__ import INTERRUPTED

#: Where invoke's Config looks for system and user config files (``/etc/tight.yml``, ``~/.tight.yml``).
CONFIG_PREFIXES = ("/etc/", "~/.")

#: Tasks whose extra bare words are collected into a list argument.
VARIADIC = {"pip.install": "package"}


class TightConfig(Config):
    """Config with prefix ``tight``: ``/etc/tight.yml``, ``~/.tight.yml``, ``TIGHT_*``."""

    prefix = "tight"
    #: Tells :func:`tight_tasks.config.settings` that ``tight.yml`` is loaded.
    tight_loaded = True

    def load_shell_env(self) -> None:
        try:
            super().load_shell_env()
        except (ValueError, UncastableEnvVar) as exc:
            names = ", ".join(sorted(k for k in os.environ if k.startswith("TIGHT_"))) or "TIGHT_*"
            raise fail(f"{names}: an environment variable does not fit its setting ({_one_line(exc)}); "
                       "give it a value of the setting's type, or unset it.") from None


def _reserve_help_flag(task) -> None:
    """``-h`` after a task is its help (``fix_argv``): an argument whose short flag would be ``-h``
    (``--host``, ``--header``) gets none, rather than list one that never reaches it."""
    if getattr(task, "_tight_help_reserved", False):
        return
    original = task.arg_opts

    def arg_opts(name, default, taken_names):
        opts = original(name, default, taken_names)
        opts["names"] = [flag for flag in opts["names"] if flag != "h"]
        return opts

    task.arg_opts = arg_opts
    task._tight_help_reserved = True


class TightProgram(Program):
    def __init__(self, **kwargs):
        kwargs.setdefault("name", "tight")
        kwargs.setdefault("binary", "tight")
        kwargs.setdefault("binary_names", ["tight"])
        kwargs.setdefault("version", __version__)
        kwargs.setdefault("namespace", ns)
        kwargs.setdefault("config_class", TightConfig)
        super().__init__(**kwargs)
        # invoke's Task.arg_opts pops per-argument help while building a
        # parser; keep the originals to restore them on every run.
        self._saved_help = {task: dict(task.help) for task in _all_tasks(self.namespace)}
        for task in self._saved_help:
            _reserve_help_flag(task)

    # -- core options ----------------------------------------------------------
    def core_args(self) -> list[Argument]:
        return [arg for arg in super().core_args() if arg.name in CORE_OPTIONS]

    def _dropped_args(self) -> list[Argument]:
        return [arg for arg in super().core_args() if arg.name not in CORE_OPTIONS]

    # -- config ------------------------------------------------------------
    def create_config(self) -> None:
        with _errors():
            self._check_config_files()  # before invoke reads them: a bad one is one line naming it
            try:
                super().create_config()  # reads /etc/tight.yml and ~/.tight.yml
            except (ValueError, OSError, yaml.YAMLError, UnknownFileType) as exc:
                raise fail(f"Cannot read tight's config files: {_one_line(exc)}.") from None
            self._load_app_config()

    def _check_config_files(self) -> None:
        """``/etc/tight.yml`` and ``~/.tight.yml``: readable, UTF-8, the right shape (else one line)."""
        sections = _sections(self.namespace)
        for prefix in CONFIG_PREFIXES:
            for ext in ("yaml", "yml"):
                path = Path(os.path.expanduser(f"{prefix}tight.{ext}"))
                if path.is_file():
                    read_app_config(path, sections)

    def _load_app_config(self) -> None:
        found = find_config_file()
        if found is not None:
            # malformed YAML or a section of the wrong shape: a one-line error, not a traceback
            read_app_config(found, _sections(self.namespace))
            self.config.set_project_location(str(found.parent))
            # invoke looks for "<prefix>.yml"; a tight.yaml is found too.
            self.config.load_project(merge=False)
            self.config.merge()

    # -- argv ----------------------------------------------------------------
    def run(self, argv=None, exit: bool = True) -> None:
        if argv is None:
            argv = sys.argv
        elif isinstance(argv, str):
            argv = argv.split()
        argv = [argv[0], *self.fix_argv(list(argv[1:]))]
        for task, help_ in self._saved_help.items():
            task.help = dict(help_)
        super().run(argv, exit=exit)

    def fix_argv(self, args: list[str]) -> list[str]:
        """Rewrite ``TASK --help``, ``NAMESPACE TASK`` and variadic task arguments into invoke's syntax."""
        names = set(self.namespace.task_names)
        for aliases in self.namespace.task_names.values():
            names.update(aliases)
        out: list[str] = []
        current = None  # the task whose arguments we are reading
        value_flags: set[str] = set()
        i = 0
        while i < len(args):
            arg = args[i]
            if arg == "--":
                out.extend(args[i:])
                break
            if current is None and arg in self.namespace.collections and i + 1 < len(args) \
                    and f"{arg}.{args[i + 1]}" in names:
                # the command reference's spelling: `tight generate app NAME`
                i += 1
                arg = f"{arg}.{args[i]}"
            if arg in names:
                current = arg
                value_flags = _value_flags(self.namespace[arg])
                out.append(arg)
            elif current and arg in HELP_FLAGS:
                return ["--help", current]
            elif current and arg.startswith("-"):
                out.append(arg)
                if arg.split("=", 1)[0] in value_flags and "=" not in arg and i + 1 < len(args):
                    i += 1
                    out.append(args[i])
            elif current in VARIADIC:
                out.extend([f"--{VARIADIC[current]}", arg])
            else:
                out.append(arg)
            i += 1
        return out

    # -- help ------------------------------------------------------------------
    def print_task_help(self, name: str) -> None:
        """invoke's task help, with the usage line a user types: positional arguments named
        (``tight local.invoke [--options] NAME``), not ``[--core-opts]``/``[other tasks here ...]``."""
        import inspect

        context = self.parser.contexts[name]
        tuples = context.help_tuples()
        words = [arg.name.upper() for arg in context.positional_args]
        task = self.collection[name]
        variadic = VARIADIC.get(name)
        if variadic:
            words.append(f"[{variadic.upper()} ...]")
        print(" ".join(["Usage:", self.binary, name, *(["[--options]"] if tuples else []), *words]))
        print()
        for line in (inspect.getdoc(task) or "").splitlines():
            print(self.leading_indent + line if line.strip() else "")
        print()
        print("Options:")
        if tuples:
            self.print_columns(tuples)
        else:
            print(self.leading_indent + "none")
            print()

    # -- errors: one line; exit code 2 for usage, 130 for Ctrl-C ------------
    def parse_core(self, argv) -> None:
        with _errors():
            super().parse_core(argv)

    def parse_core_args(self) -> None:
        with _errors():
            super().parse_core_args()
        # invoke's own steps read the options tight does not offer: give them their defaults.
        for arg in self._dropped_args():
            self.core[0].add_arg(arg)
        runtime = self.args.config.value
        if runtime:  # also before --list/--help, which end before update_config reads it
            with _errors(runtime):
                self._check_runtime_file(Path(runtime))

    def parse_collection(self) -> None:
        with _errors():
            super().parse_collection()

    def parse_tasks(self) -> None:
        with _errors():
            super().parse_tasks()

    def parse_cleanup(self) -> None:
        with _errors():
            super().parse_cleanup()

    def update_config(self, merge: bool = True) -> None:
        runtime = self.args.config.value or os.environ.get("INVOKE_RUNTIME_CONFIG")
        with _errors(runtime):
            if runtime:
                self._check_runtime_file(Path(runtime))
            super().update_config(merge)

    def _check_runtime_file(self, path: Path) -> None:
        """``-f FILE``: it exists, has a supported type, and (YAML) reads as tight's settings."""
        if not path.is_file():
            raise fail(f"Config file {path} (-f/--config) does not exist.")
        if path.suffix not in (".yml", ".yaml", ".json", ".py"):
            raise fail(f"Config file {path} (-f/--config) must end in .yml, .yaml, .json or .py.")
        if path.suffix in (".yml", ".yaml"):
            read_app_config(path, _sections(self.namespace))

    def execute(self) -> None:
        with _errors():
            super().execute()


class _errors:
    """Turn what invoke would print as a traceback (or a bare exit 1) into one line."""

    def __init__(self, config_file: str | None = None):
        self.config_file = config_file

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, tb):
        if isinstance(exc, ParseError):
            task = getattr(getattr(exc, "context", None), "name", None)
            raise Exit(_usage_message(str(exc), task), code=2) from None
        if isinstance(exc, KeyboardInterrupt):
            raise Exit(INTERRUPTED, code=130) from None
        if isinstance(exc, (AmbiguousMergeError, UncastableEnvVar)):
            raise fail(f"tight's settings do not fit together ({_one_line(exc)}): a section such as "
                       "'dynamo:' must be a mapping in every config file and TIGHT_* variable.") from None
        if self.config_file and isinstance(exc, (ValueError, OSError)) and not isinstance(exc, Exit):
            raise fail(f"Cannot read config file {self.config_file} (-f/--config): {_one_line(exc)}.") from None
        return False


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:300]


def _usage_message(text: str, task: str | None) -> str:
    """invoke's parse error in words a user can act on, with where to look next."""
    hint = f"tight --help {task}" if task else "tight --list"
    needed = re.match(r"Flag <Argument: (\w+)", text)
    if needed and "needed value" in text:
        flag = needed.group(1).replace("_", "-")
        return f"--{flag} needs a value (see `{hint}`)."
    unknown = re.match(r"No idea what '(.*)' is!", text)
    if unknown:
        word = unknown.group(1)
        if word in ns.collections:
            return f"{word!r} is a namespace, not a task: pick one of its tasks (see `tight --list {word}`)."
        if word.startswith("-"):
            if not task:
                return f"Unknown option {word!r} (see `tight --help`)."
            return f"Unknown option {word!r} for {task} (see `{hint}`)."
        if task:
            return f"Unexpected argument {word!r} for {task} (see `{hint}`)."
        return f"No task named {word!r} (see `{hint}`)."
    return f"{text} (see `{hint}`)"


def _all_tasks(collection):
    yield from collection.tasks.values()
    for sub in collection.collections.values():
        yield from _all_tasks(sub)


def _sections(collection) -> dict[str, dict]:
    """Config sections (``dynamo``, ``pip``, ``generate``, ...) and their defaults, from every sub-collection."""
    found = {key: value for key, value in collection.configuration().items() if isinstance(value, dict)}
    for sub in collection.collections.values():
        found.update(_sections(sub))
    return found


def _value_flags(task) -> set[str]:
    """Flags of ``task`` that take a value (non-boolean arguments)."""
    flags: set[str] = set()
    for arg in task.get_arguments():
        if arg.kind is not bool:
            flags.update(f"--{n}" if len(n) > 1 else f"-{n}" for n in arg.names)
    return flags


program = TightProgram()


def main() -> None:
    try:
        program.run()
    except KeyboardInterrupt:
        print(INTERRUPTED, file=sys.stderr)
        sys.exit(130)
    except BrokenPipeError:
        # `tight --list | head`: the reader left; stop quietly, as a SIGPIPE'd tool would.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(128 + 13)
