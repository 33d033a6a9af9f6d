"""Shared fixtures: start the real `idlib-kg serve` as a subprocess on a free loopback port.

`start_server(*options)` (function-scoped factory), `server` (session-scoped, no extra
options) and `server_launcher` (the launch function, for fixtures of other scopes) are
available to every test package. Servers are stopped at the end of their scope.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

REPO_ROOT = Path(__file__).resolve().parent.parent
READY_MARK = "idlib-kg: ready"
START_TIMEOUT = 120.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class ServerProcess:
    """A running `idlib-kg serve`; `url` ends with a slash, `endpoint` is its /sparql."""

    process: subprocess.Popen
    port: int
    log_path: Path
    stdout_lines: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    @property
    def endpoint(self) -> str:
        return self.url + "sparql"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


def launch_server(options: list[str], log_dir: Path, port: int | None = None) -> ServerProcess:
    """Start `python -m idlib_kg serve` and wait until it prints its ready line."""
    port = port or free_port()
    log_path = log_dir / f"server-{port}.log"
    cmd = [sys.executable, "-m", "idlib_kg", "serve", "--host", "127.0.0.1", "--port", str(port), *options]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with log_path.open("w") as log:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=log, text=True, cwd=REPO_ROOT, env=env)
    server = ServerProcess(proc, port, log_path)
    ready = threading.Event()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            server.stdout_lines.append(line)
            if READY_MARK in line:
                ready.set()

    threading.Thread(target=pump, daemon=True).start()
    deadline = time.monotonic() + START_TIMEOUT
    while not ready.wait(0.1):
        if proc.poll() is not None or time.monotonic() > deadline:
            server.stop()
            raise RuntimeError(f"server did not start ({' '.join(cmd)}):\n{server.log()}")
    # The ready line is printed once the socket is bound; one request proves it answers.
    requests.get(server.endpoint, params={"query": "ASK {}"}, timeout=60).raise_for_status()
    return server


@pytest.fixture(scope="session")
def server_launcher():
    """launch_server itself, for session/module fixtures elsewhere: launcher(options, log_dir)."""
    return launch_server


@pytest.fixture
def start_server(tmp_path):
    """Factory: start_server("--load", "x.nt", ...) -> ServerProcess, stopped after the test."""
    started: list[ServerProcess] = []

    def start(*options: str, port: int | None = None) -> ServerProcess:
        s = launch_server([str(o) for o in options], tmp_path, port)
        started.append(s)
        return s

    yield start
    for s in started:
        s.stop()


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """A server with the project's data only and default options."""
    s = launch_server([], tmp_path_factory.mktemp("server"))
    yield s
    s.stop()
