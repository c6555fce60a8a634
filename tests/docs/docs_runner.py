"""Run the ``sh`` blocks of a docs page as a reader would, in terminals, and check what they print.

Rules (docs/contributing.md repeats them for writers):

- Every fenced block whose language is ``sh`` runs, in page order, each in ``bash`` with ``set -e``.
  Other blocks (``console``, ``text``, ``yaml``...) are not run.
- A block whose first line is ``# terminal N`` runs in terminal N; other blocks run in the terminal
  of the block before (terminal 1 first). Each terminal keeps its working directory and exported
  variables from one block to the next, as a shell does; a new terminal starts in ``$HOME`` with
  the environment the reader had before the page (so a page that forgets to activate the venv
  there fails, as it would for a reader).
- A block whose last command starts a server (``tight local.serve``, ``tight dynamo.rundb``,
  ``moto_server``) keeps running in the background until the run ends; Ctrl-C (SIGINT) stops it
  then.
- A ``text`` block right after an ``sh`` block is what that block prints: each of its lines must
  appear in the output (surrounding spaces ignored, every run of digits matches any number, ``…``
  matches anything, and the reader's ``$HOME`` is shown as ``/home/you``).

What the machine running the test cannot do as a reader would is replaced, line by line
(:data:`REPLACED`), and the fixed ports of the docs (3000, 5000, 8000) become free ones.
"""
from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

FENCE = re.compile(r"^(?P<indent> *)```(?P<lang>[\w-]*)[^\n]*\n(?P<body>.*?)^(?P=indent)```[ \t]*$", re.MULTILINE | re.DOTALL)
SERVERS = ("tight local.serve", "tight dynamo.rundb", "moto_server")
#: Lines the docs ask a reader to run that this machine does differently (same effect).
REPLACED = {
    # the reader's venv with tight installed from a checkout: the session's venv with tight's wheel
    "python3 -m venv .venv": "ln -s {venv} .venv",
    "pip install /path/to/tight": "true  # tight is installed in the venv, from a wheel of this checkout",
    # moto's server: the venv running these tests has it (tight's test extras)
    "python3 -m venv moto-venv": "ln -s {tools} moto-venv",
    "pip install 'moto[server]'": "true  # moto[server] is installed in the venv",
}


@dataclass
class Block:
    lang: str
    text: str
    expected: str | None = None


def blocks(markdown: str) -> list[Block]:
    """The page's ``sh`` blocks, each with the ``text`` block that follows it (if any)."""
    found: list[Block] = []
    previous_end, previous = -1, None
    for match in FENCE.finditer(markdown):
        indent = len(match.group("indent"))
        body = "".join(line[indent:] + "\n" for line in match.group("body").splitlines())
        lang = match.group("lang")
        between = markdown[previous_end:match.start()] if previous_end >= 0 else "x"
        if lang == "text" and previous is not None and not between.strip():
            previous.expected = body
        previous = None
        if lang == "sh":
            previous = Block(lang, body)
            found.append(previous)
        previous_end = match.end()
    return found


def _pattern(line: str) -> re.Pattern:
    parts = re.split(r"(…|\d+)", line.strip())
    regex = "".join(".*" if p == "…" else r"\d+" if p.isdigit() else re.escape(p) for p in parts)
    return re.compile(regex)


def missing_lines(expected: str, output: str, home: str) -> list[str]:
    """Lines of ``expected`` that no line of ``output`` matches (see the module's rules)."""
    lines = [line.strip() for line in output.replace(home, "/home/you").splitlines()]
    return [want for want in expected.splitlines() if want.strip()
            and not any(_pattern(want).fullmatch(have) for have in lines)]


@dataclass
class Terminal:
    cwd: str
    env: dict[str, str]


@dataclass
class Reader:
    """Runs blocks for one reader: ``home`` is their $HOME, ``env`` their environment before the docs."""

    home: Path
    env: dict[str, str]
    substitutions: dict[str, str]
    timeout: float = 240
    terminals: dict[int, Terminal] = field(default_factory=dict)
    current: int = 1
    servers: list[tuple[str, subprocess.Popen, list[str]]] = field(default_factory=list)

    def prepare(self, text: str) -> str:
        lines = []
        for line in text.splitlines():
            command = line.split("  #")[0].split(" # ")[0].strip()
            lines.append(REPLACED[command].format(**self.substitutions) if command in REPLACED else line)
        text = "\n".join(lines) + "\n"
        for old, new in self.substitutions.items():
            if not old.isidentifier():
                text = text.replace(old, new)
        return text

    def terminal(self, text: str) -> Terminal:
        first = text.lstrip().splitlines()[0] if text.strip() else ""
        chosen = re.match(r"#\s*terminal\s+(\d+)", first, re.IGNORECASE)
        if chosen:
            self.current = int(chosen.group(1))
        if self.current not in self.terminals:
            self.terminals[self.current] = Terminal(str(self.home), dict(self.env))
        return self.terminals[self.current]

    def run(self, block: Block) -> str:
        """Run one block; returns its output. Raises AssertionError when it fails or prints otherwise."""
        terminal = self.terminal(block.text)
        script = self.prepare(block.text)
        last = [ln.strip() for ln in script.splitlines() if ln.strip() and not ln.strip().startswith("#")][-1]
        if last.startswith(SERVERS):
            output = self._start_server(terminal, script, last)
        else:
            output = self._run(terminal, script)
        if block.expected is not None:
            expected = self.prepare(block.expected)
            missing = missing_lines(expected, output, str(self.home))
            assert not missing, f"block\n{block.text}\ndid not print {missing}; it printed:\n{output}"
        return output

    def _run(self, terminal: Terminal, script: str) -> str:
        state = self.home / ".docs-runner-state"
        wrapped = (f"set -e\ncd {_quote(terminal.cwd)}\n{script}\npwd > {_quote(str(state))}.cwd\n"
                   f"env -0 > {_quote(str(state))}.env\n")
        result = subprocess.run(["bash", "--noprofile", "--norc", "-c", wrapped], env=terminal.env,
                                capture_output=True, text=True, timeout=self.timeout, stdin=subprocess.DEVNULL,
                                check=False)
        output = result.stdout + "\n" + result.stderr
        assert result.returncode == 0, f"block failed (exit {result.returncode}):\n{script}\n{output}"
        terminal.cwd = Path(f"{state}.cwd").read_text().strip()
        pairs = Path(f"{state}.env").read_text().split("\0")
        terminal.env = dict(p.split("=", 1) for p in pairs if "=" in p)
        for name in ("PWD", "OLDPWD", "SHLVL", "_"):
            terminal.env.pop(name, None)
        return output

    def _start_server(self, terminal: Terminal, script: str, command: str) -> str:
        process = subprocess.Popen(["bash", "--noprofile", "--norc", "-c", (f"set -e\ncd {_quote(terminal.cwd)}\n"
                                    f"{script}")], env=terminal.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, text=True, start_new_session=True)
        lines: list[str] = []
        threading.Thread(target=lambda: lines.extend(process.stdout), daemon=True).start()
        self.servers.append((command, process, lines))
        given = re.search(r"(?:--port|-p) (\d+)", command)
        port = int(given.group(1)) if given else None
        ready = "Press Ctrl-C to stop." if command.startswith("tight ") else None
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            assert process.poll() is None, f"{command} stopped (exit {process.returncode}):\n{''.join(lines)}"
            if (ready is None or ready in "".join(lines)) and (port is None or _listening(port)):
                return "".join(lines)
            time.sleep(0.05)
        raise AssertionError(f"{command} did not start in 90 s:\n{''.join(lines)}")

    def stop(self) -> list[tuple[str, int, str]]:
        """Ctrl-C every server, last started first: ``[(command, exit code, output)]``."""
        stopped = []
        for command, process, lines in reversed(self.servers):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGINT)
            try:
                code = process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                code = process.wait(10)
            stopped.append((command, code, "".join(lines)))
        self.servers.clear()
        return stopped


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _quote(text: str) -> str:
    import shlex

    return shlex.quote(text)
