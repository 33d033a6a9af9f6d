"""`idlib-kg load` against loopback servers that need no Debian package: our own /update
(bearer token), a web server that is not a SPARQL store, bad options."""

from __future__ import annotations

import subprocess
import sys

import pytest
import requests
from stores.services import start_recorder

TOKEN = "loader-test-token"


def load(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "idlib_kg", "load", *map(str, args)],
                          capture_output=True, text=True, timeout=300)


@pytest.fixture
def writable(start_server):
    return start_server("--update-token", TOKEN, "--workers", "2")


def test_load_into_an_idlib_kg_update_endpoint_with_a_bearer_token(writable):
    graph = "http://example.org/graph/loaded-by-token"
    done = load("--endpoint", writable.endpoint, "--token", TOKEN, "--graph", graph)
    assert done.returncode == 0, done.stderr
    assert "via update" in done.stderr
    q = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
    n = int(requests.get(writable.endpoint, params={"query": q}).json()["results"]["bindings"][0]["n"]["value"])
    total = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } FILTER(?g != <%s>) }" % graph
    expected = int(requests.get(writable.endpoint, params={"query": total}).json()["results"]["bindings"][0]["n"]["value"])
    assert n == expected > 1000


def test_a_wrong_token_is_exit_1_with_the_servers_answer(writable):
    done = load("--endpoint", writable.endpoint, "--token", "wrong", "--graph", "http://example.org/g")
    assert done.returncode == 1 and "token is wrong" in done.stderr
    assert "bearer token was not accepted" in done.stderr and "Virtuoso" not in done.stderr


def test_a_server_without_updates_is_exit_1_saying_how_to_turn_them_on(start_server):
    read_only = start_server("--workers", "2")
    for token in ((), ("--token", "secret")):  # with a token too: the token is not what is wrong
        done = load("--endpoint", read_only.endpoint, "--graph", "http://example.org/g", *token)
        assert done.returncode == 1, done.stderr
        assert "started with --update-token T, given here as --token T" in " ".join(done.stderr.split())
        assert "bearer token was not accepted" not in done.stderr


def test_gsp_only_says_no_graph_store_was_found_after_trying_each_guess(writable):
    done = load("--endpoint", writable.endpoint, "--token", TOKEN, "--protocol", "gsp")
    assert done.returncode == 1
    assert "no Graph Store endpoint found" in done.stderr and "trying the next way" in done.stderr


def test_a_web_server_that_is_not_a_store_is_refused_before_any_upload():
    page = start_recorder(b"<html>hello</html>", "text/html")
    try:
        done = load("--endpoint", page.url + "sparql", "--timeout", "10")
    finally:
        page.server.shutdown()
    assert done.returncode == 1 and "did not answer a SPARQL ASK" in done.stderr
    assert [r["method"] for r in page.requests] == ["GET"]  # the ASK, and no upload


@pytest.mark.parametrize("option", [["--timeout", "0"], ["--chunk-mb", "nan"], ["--batch", "0"]])
def test_options_that_are_not_positive_numbers_are_usage_errors(option):
    done = load("--endpoint", "http://127.0.0.1:9/sparql", *option)
    assert done.returncode == 2 and option[0] in done.stderr


def test_a_token_beyond_latin_1_works_both_ways(start_server):
    token = "şifre-ğüç"  # Turkish letters: not Latin-1
    server = start_server("--update-token", token, "--workers", "2")
    graph = "http://example.org/graph/turkish-token"
    done = load("--endpoint", server.endpoint, "--token", token, "--graph", graph, "--protocol", "update")
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    wrong = load("--endpoint", server.endpoint, "--token", "şifre-yanlış", "--graph", graph)
    assert wrong.returncode == 1 and "token is wrong" in wrong.stderr


def test_a_digest_user_name_beyond_latin_1_is_a_usage_error_before_any_request():
    page = start_recorder(b"{}", "application/json")
    try:
        done = load("--endpoint", page.url + "sparql", "--user", "kullanıcı", "--password", "p", "--timeout", "10")
    finally:
        page.server.shutdown()
    assert done.returncode == 2 and "--auth basic" in done.stderr and "Traceback" not in done.stderr
    assert page.requests == []


def test_an_endpoint_answering_the_ask_with_an_error_is_refused_before_any_upload():
    broken = start_recorder(b"boom", "text/plain", status=500)
    try:
        done = load("--endpoint", broken.url + "sparql", "--timeout", "10")
    finally:
        broken.server.shutdown()
    assert done.returncode == 1 and "did not answer a SPARQL ASK (HTTP 500" in done.stderr
    assert [r["method"] for r in broken.requests] == ["GET"]


def test_a_blank_node_in_two_graphs_or_in_several_chunks_is_a_split():
    from pyoxigraph import BlankNode, Literal, NamedNode, Quad
    from idlib_kg.loader import blank_nodes_split, graphs_to_load
    p, b = NamedNode("http://e/p"), BlankNode("x")
    g1, g2 = NamedNode("http://e/g1"), NamedNode("http://e/g2")
    one = [Quad(b, p, Literal("a"), g1), Quad(NamedNode("http://e/s"), p, b, g1)]
    assert blank_nodes_split(one, graphs_to_load(one, None, skolem=False), None, 10_000) is None
    two = one + [Quad(b, p, Literal("c"), g2)]
    assert "_:x is in graphs <http://e/g1> and <http://e/g2>" in blank_nodes_split(
        two, graphs_to_load(two, None, skolem=False), None, 10_000)
    assert blank_nodes_split(two, graphs_to_load(two, "http://e/all", skolem=False), "http://e/all", 10_000) is None
    assert "several chunks" in blank_nodes_split(one, graphs_to_load(one, None, skolem=False), None, 10)


def test_a_skolemize_mode_that_does_not_exist_is_refused():
    from idlib_kg.loader import Target
    with pytest.raises(ValueError, match="use one of auto, always, never"):
        Target("http://127.0.0.1:1/sparql", skolemize="Never")
