"""Fixtures for the endpoint tests: test data, local stub servers, a configured endpoint.

Every server here listens on 127.0.0.1 only; no test sends traffic anywhere else.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from stores.services import start_recorder

DATA = Path(__file__).resolve().parent / "data"
MANY_TRIPLES = 1500
MAX_ROWS = 200
TIMEOUT = 4  # seconds: the endpoint's query time limit in these tests

# Each cross product is far beyond any time limit; the graph patterns are legal and simple.
SLOW_QUERY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?p ?b . ?c ?q ?d . ?e ?r ?f . ?g ?s ?h }"


STUB_RESULTS = {"head": {"vars": ["x"]},
                "results": {"bindings": [{"x": {"type": "literal", "value": "from the stub endpoint"}}]}}


@pytest.fixture(scope="session")
def stub_endpoint():
    """A fake remote SPARQL endpoint answering every query with one row, ?x = 'from the stub endpoint'."""
    r = start_recorder(json.dumps(STUB_RESULTS).encode(), "application/sparql-results+json")
    yield r
    r.server.shutdown()


@pytest.fixture
def recorder():
    """A loopback HTTP server that must NOT be contacted (function-scoped: starts empty)."""
    r = start_recorder(b"<http://example.org/leak> <http://example.org/p> \"leaked\" .\n", "text/turtle")
    yield r
    r.server.shutdown()


@pytest.fixture(scope="session")
def many_nt(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("data") / "many.nt"
    path.write_text("".join(f'<http://example.org/n{i}> <http://example.org/value> "{i}" .\n'
                            for i in range(MANY_TRIPLES)))
    return path


@pytest.fixture(scope="session")
def endpoint(server_launcher, tmp_path_factory, many_nt, stub_endpoint):
    """The endpoint with test data, a short time limit, a row limit and one allowed SERVICE."""
    s = server_launcher([
        "--load", str(DATA / "people.nt"), "--load", str(DATA / "events.nq"),
        "--load", str(DATA / "places.trig"), "--load", str(many_nt),
        "--timeout", str(TIMEOUT), "--max-rows", str(MAX_ROWS), "--workers", "2",
        "--allow-service", stub_endpoint.url + "sparql",
    ], tmp_path_factory.mktemp("endpoint"))
    yield s
    s.stop()
