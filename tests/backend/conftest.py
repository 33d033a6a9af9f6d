"""Fixtures for backend mode: real stores (the Oxigraph server, Virtuoso) on 127.0.0.1, loaded
with `idlib-kg load`, and `idlib-kg serve --backend URL` in front of each.

The store classes come from the services module (tests/stores/services.py re-exports
idlib_kg.services); missing tools skip (fail under CI=true) like tests/stores.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from stores.services import REPO_ROOT, OxigraphServer, VirtuosoServer, require, which

MAX_ROWS = 5000  # below the dataset's size, so a full dump is truncated


def idlib_load(endpoint: str, *options: str, env: dict | None = None) -> None:
    """`idlib-kg load --endpoint URL` as a user runs it; fails the test with its stderr."""
    r = subprocess.run([sys.executable, "-m", "idlib_kg", "load", "--endpoint", endpoint, *options],
                       capture_output=True, text=True, cwd=REPO_ROOT, timeout=600,
                       env={**os.environ, **(env or {})})
    assert r.returncode == 0, f"idlib-kg load failed (exit {r.returncode}):\n{r.stderr[-3000:]}"


@pytest.fixture(scope="module")
def oxigraph_store(tmp_path_factory):
    require(which("oxigraph") is not None, "the oxigraph server binary is missing (pip install oxigraph)")
    with OxigraphServer(tmp_path_factory.mktemp("backend-oxigraph")) as ox:
        idlib_load(ox.sparql_url)
        yield ox


@pytest.fixture(scope="module")
def virtuoso_store(tmp_path_factory):
    require(which("virtuoso-t") is not None and which("isql-vt") is not None,
            "Virtuoso is not installed (apt-get install virtuoso-opensource)")
    with VirtuosoServer(tmp_path_factory.mktemp("backend-virtuoso")) as vt:
        idlib_load(vt.sparql_url, "--user", vt.user, env={"IDLIB_KG_STORE_PASSWORD": vt.password})
        yield vt


@pytest.fixture(scope="module")
def oxigraph_backend(oxigraph_store, server_launcher, tmp_path_factory):
    """`idlib-kg serve --backend` in front of the Oxigraph server (union default graph: auto)."""
    ep = server_launcher(["--backend", oxigraph_store.sparql_url, "--timeout", "10",
                          "--max-rows", str(MAX_ROWS)], tmp_path_factory.mktemp("ep-oxigraph"))
    yield ep
    ep.stop()


@pytest.fixture(scope="module")
def virtuoso_backend(virtuoso_store, server_launcher, tmp_path_factory):
    """`idlib-kg serve --backend` in front of Virtuoso (its default graph is the union)."""
    ep = server_launcher(["--backend", virtuoso_store.sparql_url, "--timeout", "30",
                          "--max-rows", str(MAX_ROWS)], tmp_path_factory.mktemp("ep-virtuoso"))
    yield ep
    ep.stop()


@pytest.fixture(scope="module", params=["oxigraph", "virtuoso"])
def backend(request):
    """Each backend-mode endpoint in turn."""
    return request.getfixturevalue(f"{request.param}_backend")


class RawServer:
    """`idlib-kg serve` started without the fixture's ASK check (the store may be down)."""

    def __init__(self, *options: str):
        from stores.services import free_port
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.endpoint = self.url + "sparql"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "idlib_kg", "serve", "--host", "127.0.0.1", "--port", str(self.port),
             *options], cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"})
        line = self.process.stdout.readline()
        assert "idlib-kg: ready" in line, f"the server did not start: {line!r}"

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def raw_server():
    """Factory: raw_server(*options) -> RawServer, stopped after the test."""
    started: list[RawServer] = []

    def start(*options: str) -> RawServer:
        s = RawServer(*options)
        started.append(s)
        return s

    yield start
    for s in started:
        s.stop()
