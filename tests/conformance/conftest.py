"""Fixtures for the W3C conformance tests: where the suites are, and live servers to test.

Each server is a real `python -m idlib_kg serve` process on 127.0.0.1 (a free port), started
once per session and stopped at the end:

* ``protocol_server``: the protocol suite's data1..3.nt loaded with ``--load`` as an N-Quads
  file whose graph names are the ones the manifest asks for; no update token;
* ``update_server``: /update switched on with a Bearer token (passed through the environment
  variable the server reads, so it does not show in `ps`); the query-evaluation tests load
  each test's data through it, the protocol update tests run against it.

When ../shared/w3c-rdf-tests is absent the tests skip, saying why; with CI=true they fail.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from prerequisites import skip_or_fail

from . import evaluation
from .manifest import REPO_ROOT, path_of, protocol_tests, suite_dir, suite_missing_reason

STARTUP_SECONDS = 60


def require_suite() -> Path:
    """The suite directory; skip (fail under CI=true) when it is not there."""
    reason = suite_missing_reason()
    if reason is None:
        return suite_dir()
    skip_or_fail(reason)


@pytest.fixture(scope="session")
def w3c_suite() -> Path:
    return require_suite()


@dataclass
class Server:
    url: str  # http://127.0.0.1:PORT
    token: str | None
    process: subprocess.Popen
    log: Path

    def log_tail(self, n: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return "(no log)"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(tmp: Path, *extra: str, token: str | None = None) -> Server:
    """Start `python -m idlib_kg serve` and wait until /sparql answers ASK {}."""
    port = _free_port()
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(REPO_ROOT / "server")] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])
    )
    env.pop("IDLIB_KG_UPDATE_TOKEN", None)
    if token:
        env["IDLIB_KG_UPDATE_TOKEN"] = token
    log = tmp / f"server-{port}.log"
    cmd = [sys.executable, "-m", "idlib_kg", "serve", "--host", "127.0.0.1", "--port", str(port),
           "--workers", "2", *extra]
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, cwd=REPO_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    server = Server(f"http://127.0.0.1:{port}", token, proc, log)
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"server exited with {proc.returncode} at start-up: {' '.join(cmd)}\n"
                        f"{server.log_tail()}", pytrace=False)
        try:
            r = requests.get(f"{server.url}/sparql", params={"query": "ASK {}"}, timeout=5)
            if r.status_code == 200:
                return server
        except requests.RequestException:
            pass
        time.sleep(0.2)
    stop_server(server)
    pytest.fail(f"server did not answer on {server.url}/sparql within {STARTUP_SECONDS}s: "
                f"{' '.join(cmd)}\n{server.log_tail()}", pytrace=False)


def stop_server(server: Server) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait(timeout=10)


def _protocol_nquads(dest: Path) -> Path:
    """data1..3.nt rewritten as N-Quads in the graphs the protocol manifest names."""
    seen: dict[str, str] = {}
    for test in protocol_tests():
        for file_iri, graph in test.graph_data:
            seen[file_iri] = graph
    lines = []
    for file_iri, graph in sorted(seen.items()):
        for line in path_of(file_iri).read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if line and not line.startswith("#"):
                assert line.endswith("."), f"unexpected N-Triples line in {file_iri}: {line}"
                lines.append(f"{line[:-1].rstrip()} <{graph}> .")
    dest.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return dest


@pytest.fixture(scope="session")
def protocol_server(w3c_suite, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("protocol-server")
    nq = _protocol_nquads(tmp / "protocol-data.nq")
    server = start_server(tmp, "--load", str(nq))  # read-only: /update stays off
    yield server
    stop_server(server)


@pytest.fixture(scope="session")
def update_server(w3c_suite, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("update-server")
    server = start_server(tmp, token=secrets.token_urlsafe(16))
    yield server
    stop_server(server)


@pytest.fixture(scope="session")
def http():
    with requests.Session() as s:
        yield s


@pytest.fixture(scope="session")
def eval_backend(update_server, http) -> evaluation.OverHttp:
    return evaluation.OverHttp(http, update_server.url, update_server.token)


# --------------------------------------------------------------------------- summary


def pytest_terminal_summary(terminalreporter):
    """Per-folder pass counts of the query-evaluation suite: server strict/lenient, and what
    pyoxigraph gets in process (so a gap between the two is visible at a glance)."""
    table = evaluation.summary_table()
    if table:
        terminalreporter.write_sep("=", "W3C SPARQL 1.1 query evaluation through the server")
        terminalreporter.write_line(table)
