"""protocol.QueryEndpoint, the WSGI layer that answers /sparql's queries below Flask: what it
answers itself, what it hands on to the app, and that its errors read like the app's."""

from __future__ import annotations

import logging

import pytest

from idlib_kg.app import Runtime, create_app
from idlib_kg.config import Settings

MAX_BODY = 4_000


@pytest.fixture(scope="module")
def app():
    settings = Settings(workers=1, max_body_bytes=MAX_BODY)
    runtime = Runtime.start(settings)
    yield create_app(settings, runtime)
    runtime.close()


@pytest.fixture
def client(app):
    return app.test_client()


def test_head_answers_with_the_headers_of_get_and_no_body(client):
    get = client.get("/sparql", query_string={"query": "ASK { ?s ?p ?o }"})
    head = client.head("/sparql", query_string={"query": "ASK { ?s ?p ?o }"})
    assert get.status_code == head.status_code == 200
    assert head.data == b"" and get.json["boolean"] is True
    assert head.headers["Content-Length"] == str(len(get.data))
    for name in ("Content-Type", "ETag", "X-Idlib-Rows", "Access-Control-Allow-Origin"):
        assert head.headers[name] == get.headers[name]


def test_a_body_over_the_limit_is_413_with_a_message(client):
    r = client.post("/sparql", data={"query": "ASK {} #" + "x" * MAX_BODY})
    assert r.status_code == 413
    assert r.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    r = client.post("/sparql", data=b"ASK {} #" + b"x" * MAX_BODY, content_type="application/sparql-query")
    assert r.status_code == 413


def test_requests_without_a_query_go_on_to_the_app(client):
    sd = client.get("/sparql", headers={"Accept": "text/turtle"})
    assert sd.status_code == 200 and sd.mimetype == "text/turtle"
    assert b"sd:endpoint" in sd.data
    pre = client.options("/sparql")
    assert pre.status_code == 204 and "POST" in pre.headers["Access-Control-Allow-Methods"]
    put = client.put("/sparql", data="ASK {}")
    assert put.status_code == 405 and put.get_data(as_text=True) == "PUT is not allowed on /sparql; use GET, POST\n"
    assert put.headers["Allow"] == "GET, HEAD, OPTIONS, POST"


def test_an_error_reads_the_same_from_the_query_layer_and_from_the_app(client):
    wants_json = {"Accept": "application/json"}
    from_layer = client.get("/sparql", query_string={"query": "SELECT WHERE {"}, headers=wants_json)
    from_app = client.get("/sparql", query_string={"format": "bogus"}, headers=wants_json)  # the description
    for r in (from_layer, from_app):
        assert r.status_code == 400 and r.headers["Content-Type"] == "application/json"
        assert set(r.get_json()) == {"status", "message"} and r.get_json()["status"] == 400
        assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert from_layer.get_json()["message"].startswith("the query is not valid SPARQL")
    plain = client.get("/sparql", query_string={"query": "SELECT WHERE {"})
    assert plain.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert plain.get_data(as_text=True) == from_layer.get_json()["message"] + "\n"


def test_an_unexpected_error_is_a_logged_500_and_the_next_query_answers(app, client, monkeypatch, caplog):
    runtime = app.extensions["idlib_kg"]
    real = runtime.executor.run

    def broken(job):
        monkeypatch.setattr(runtime.executor, "run", real)
        raise RuntimeError("a bug")

    monkeypatch.setattr(runtime.executor, "run", broken)
    with caplog.at_level(logging.ERROR):
        r = client.get("/sparql", query_string={"query": "ASK { ?s ?p ?s }"})
    assert r.status_code == 500 and "a bug" not in r.get_data(as_text=True)
    assert any("unhandled error on GET /sparql" in m for m in caplog.messages)
    ok = client.get("/sparql", query_string={"query": "ASK { ?s ?p ?s }"})
    assert ok.status_code == 200
