"""Fixtures for hostile-input tests: planted data, a loopback-only HTTP client that counts what
it sends, and the servers (started with tests/conftest.py's launcher, never a second helper).

Every request goes to 127.0.0.1. Loops are bounded by count and by time.
"""

from __future__ import annotations

import http.client
import socket
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pytest

# Planted markup: must never come back as markup in any HTML page.
SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
CANARY_S = "http://example.org/hostile/canary"
CANARY_P = "http://example.org/hostile/p"
CANARY_VALUE = "canary value ğşİÇ"
NORMAL_QUERY = f"SELECT ?o WHERE {{ <{CANARY_S}> <{CANARY_P}> ?o }}"
TIME_LIMIT_503 = "time limit"  # the only 5xx the endpoint may answer (plus busy workers, also 503)
CYCLE = 40  # nodes in the cyclic graph used by the runaway property path


@dataclass
class SentCounter:
    """Counts requests sent by the hostile/fault suites; printed at the end of the run."""

    by_test: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, test: str, n: int = 1) -> None:
        with self._lock:
            self.by_test[test] = self.by_test.get(test, 0) + n

    @property
    def total(self) -> int:
        return sum(self.by_test.values())


SENT = SentCounter()
NOTES: list[str] = []  # measurements reported (never asserted), e.g. latencies under runaways


def pytest_terminal_summary(terminalreporter):
    if NOTES:
        terminalreporter.section("hostile measurements (reported, not asserted)")
        for line in NOTES:
            terminalreporter.write_line(line)
    if SENT.total:
        terminalreporter.section("hostile requests sent (all to 127.0.0.1)")
        for name, n in sorted(SENT.by_test.items()):
            terminalreporter.write_line(f"{n:7d}  {name}")
        terminalreporter.write_line(f"{SENT.total:7d}  total")


class RawClient:
    """A keep-alive http.client connection to 127.0.0.1 that sends bytes as given.

    requests re-quotes broken percent-encoding; this does not. Reconnects when the server
    closes the connection (it does after 413 and some 400s).
    """

    def __init__(self, port: int, test: str, timeout: float = 60.0):
        self.port, self.test, self.timeout = port, test, timeout
        self.conn: http.client.HTTPConnection | None = None

    def _connect(self) -> http.client.HTTPConnection:
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        return self.conn

    def request(self, method: str, target: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        headers = dict(headers or {})
        for attempt in range(2):
            conn = self._connect()
            try:
                conn.putrequest(method, target, skip_accept_encoding=True)
                for k, v in headers.items():
                    conn.putheader(k, v)
                if body is not None:
                    conn.putheader("Content-Length", str(len(body)))
                try:
                    conn.endheaders(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the server answered early (413) and closed: read what it said
                resp = conn.getresponse()
                data = resp.read()
                SENT.add(self.test)
                if resp.will_close:
                    self.close()
                return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError,
                    http.client.CannotSendRequest, http.client.ResponseNotReady):
                self.close()
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def assert_no_5xx(status: int, body: bytes, what: object) -> None:
    """Not one 5xx except the documented 503 (time limit / all workers busy)."""
    if status >= 500:
        text = body.decode("utf-8", "replace")
        assert status == 503 and ("time limit" in text or "busy" in text), \
            f"{status} for {what!r}: {text[:500]}"


def hostile_turtle() -> str:
    """Literals and IRIs carrying markup, a canary triple, and a cyclic graph."""
    def esc(s: str) -> str:
        return s.replace("\\", "\\\\").replace('"', '\\"')
    # IRIs cannot hold < > " or spaces; percent-encoded markup and quote-breaking characters can.
    lines = [
        "@prefix ex: <http://example.org/hostile/> .",
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .",
        "@prefix ikr: <https://w3id.org/idlib-kg/id/> .",
        f'<{CANARY_S}> <{CANARY_P}> "{esc(CANARY_VALUE)}" .',
        f'ikr:xss-literal rdfs:label "{esc(SCRIPT)}" ; rdfs:comment "{esc(IMG)}"@en ;',
        f'    ex:value "{esc(SCRIPT)}"^^<http://example.org/hostile/dt%3Cscript%3E> ;',
        "    ex:link <javascript:alert(1)> , <http://example.org/%22%3E%3Cimg%20src=x%20onerror=alert(1)%3E> ,",
        "        <http://x.example/'onmouseover='alert(1)> , ikr:xss-iri%3Cscript%3E .",
        f'ikr:xss-iri%3Cscript%3E rdfs:label "{esc(IMG)}" ; ex:back ikr:xss-literal .',
        f'<http://example.org/%3Cscript%3Ealert(1)%3C/script%3E> ex:points ikr:xss-literal ; rdfs:label "{esc(SCRIPT)}" .',
    ]
    for i in range(CYCLE):
        lines.append(f"ex:c{i} ex:next ex:c{(i + 1) % CYCLE} .")
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="session")
def hostile_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("hostile-data") / "hostile.ttl"
    path.write_text(hostile_turtle(), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def hostile_server(server_launcher, tmp_path_factory, hostile_file):
    """The project's data plus the planted file; short time limit so runaway fuzz cases end."""
    s = server_launcher(["--load", str(hostile_file), "--timeout", "3", "--workers", "2",
                         "--max-rows", "500"], tmp_path_factory.mktemp("hostile-server"))
    yield s
    s.stop()


def canary_answer(port: int, test: str) -> list[str]:
    """The normal query's exact answer (values of ?o)."""
    import json
    from urllib.parse import quote
    client = RawClient(port, test)
    try:
        status, _, body = client.request("GET", "/sparql?query=" + quote(NORMAL_QUERY),
                                         headers={"Accept": "application/sparql-results+json"})
    finally:
        client.close()
    assert status == 200, body[:500]
    return [b["o"]["value"] for b in json.loads(body)["results"]["bindings"]]


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
