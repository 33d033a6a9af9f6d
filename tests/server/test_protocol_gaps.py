"""Protocol details found by the W3C conformance run: the update dataset parameters
(using-graph-uri / using-named-graph-uri), non-UTF-8 bodies (415) and the bare 204 of /update."""

from __future__ import annotations

from urllib.parse import quote

import pytest
import requests

from idlib_kg.safety import UpdateDatasetConflict, add_using

TOKEN = "s3cret-token-for-protocol-gaps"
G1, G2, OUT = "http://example.org/g1", "http://example.org/g2", "http://example.org/out"


# --------------------------------------------------------------------------- add_using (text)

def test_using_goes_before_every_where():
    text = ("PREFIX ex: <http://example.org/> INSERT { GRAPH ex:out { ?s a ex:T } } WHERE { ?s a ex:S } ;\n"
            "DELETE { ?s ?p ?o } INSERT { ?s ?p 1 } WHERE { ?s ?p ?o } ; INSERT DATA { ex:a ex:b ex:c }")
    out = add_using(text, [G1], [G2])
    assert out.count(f"USING <{G1}> USING NAMED <{G2}> WHERE") == 2
    assert out.endswith("INSERT DATA { ex:a ex:b ex:c }")


def test_delete_where_shortcut_is_expanded():
    out = add_using("DELETE WHERE { ?s <http://p> ?o }", [G1], [])
    assert out == f"DELETE {{ ?s <http://p> ?o }} USING <{G1}> WHERE {{ ?s <http://p> ?o }}"


def test_where_in_strings_comments_and_subqueries_is_left_alone():
    text = ('INSERT { <http://s> <http://p> "WHERE" } # WHERE\n'
            'WHERE { { SELECT ?x WHERE { ?x ?p ?o } } }')
    out = add_using(text, [G1], [])
    assert out.count("USING") == 1 and f'"WHERE" }} # WHERE\nUSING <{G1}> WHERE {{ {{ SELECT ?x WHERE' in out


@pytest.mark.parametrize("text", [
    "WITH <http://g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
    "DELETE { ?s ?p ?o } USING <http://g> WHERE { ?s ?p ?o }",
    "INSERT { ?s ?p ?o } using named <http://g> WHERE { GRAPH ?g { ?s ?p ?o } }",
])
def test_own_using_or_with_conflicts(text):
    with pytest.raises(UpdateDatasetConflict):
        add_using(text, [], [G1])


def test_graph_values_must_be_iris():
    with pytest.raises(UpdateDatasetConflict):
        add_using("INSERT { ?s ?p ?o } WHERE { ?s ?p ?o }", ["http://a> } ; DROP ALL ; #"], [])


# --------------------------------------------------------------------------- live server

@pytest.fixture
def writable(start_server):
    return start_server("--update-token", TOKEN, "--workers", "2")


def update(server, text, params=None, content_type="application/sparql-update"):
    return requests.post(server.url + "update", params=params, data=text.encode("utf-8"), timeout=30,
                         headers={"Content-Type": content_type, "Authorization": f"Bearer {TOKEN}"})


def ask(server, query):
    return requests.get(server.endpoint, params={"query": query}, timeout=30).json()["boolean"]


def test_using_graph_uri_is_the_where_dataset(writable):
    data = (f"INSERT DATA {{ GRAPH <{G1}> {{ <http://e/a> a <http://e/Doc> }} "
            f"GRAPH <{G2}> {{ <http://e/b> a <http://e/Doc> }} }}")
    r = update(writable, data)
    assert r.status_code == 204 and "Content-Type" not in r.headers
    copy = f"INSERT {{ GRAPH <{OUT}> {{ ?s a <http://e/Copied> }} }} WHERE {{ ?s a <http://e/Doc> }}"
    r = update(writable, copy, {"using-graph-uri": G1})
    assert r.status_code == 204, r.text
    assert ask(writable, f"ASK {{ GRAPH <{OUT}> {{ <http://e/a> a <http://e/Copied> }} }}")
    assert not ask(writable, f"ASK {{ GRAPH <{OUT}> {{ <http://e/b> ?p ?o }} }}")
    # form POST: the parameters may come in the body too; DELETE WHERE applies them as well
    r = requests.post(writable.url + "update", timeout=30, headers={"Authorization": f"Bearer {TOKEN}"},
                      data={"update": "DELETE WHERE { ?s a <http://e/Doc> }", "using-graph-uri": G2})
    assert r.status_code == 204, r.text
    # G2 was the default graph of the WHERE, but DELETE acts on the store's default graph, so
    # nothing was deleted from the named graphs: the dataset only scopes the pattern
    assert ask(writable, f"ASK {{ GRAPH <{G2}> {{ <http://e/b> a <http://e/Doc> }} }}")


def test_using_graph_uri_with_with_clause_is_400(writable):
    r = update(writable, f"WITH <{G1}> DELETE {{ ?s ?p ?o }} WHERE {{ ?s ?p ?o }}",
               {"using-named-graph-uri": G2})
    assert r.status_code == 400 and "WITH" in r.text


@pytest.mark.parametrize("content_type", ["application/sparql-query; charset=UTF-16",
                                          "application/x-www-form-urlencoded; charset=ISO-8859-1"])
def test_query_body_in_another_charset_is_415(server, content_type):
    query = "ASK {}"
    body = query.encode("utf-16") if "16" in content_type else b"query=ASK+%7B%7D"
    r = requests.post(server.endpoint, data=body, headers={"Content-Type": content_type}, timeout=30)
    assert r.status_code == 415, r.text
    assert "UTF-8" in r.text and "charset=" in r.text


@pytest.mark.parametrize("charset", ["utf-8", "UTF-8", "us-ascii", '"utf-8"'])
def test_utf8_and_ascii_bodies_are_read(server, charset):
    r = requests.post(server.endpoint, data=b"ASK {}", timeout=30,
                      headers={"Content-Type": f"application/sparql-query; charset={charset}"})
    assert r.status_code == 200 and r.json()["boolean"] is True


def test_update_body_in_another_charset_is_415(writable):
    r = requests.post(writable.url + "update", data="CLEAR ALL".encode("utf-16"), timeout=30,
                      headers={"Content-Type": "application/sparql-update; charset=utf-16",
                               "Authorization": f"Bearer {TOKEN}"})
    assert r.status_code == 415 and "UTF-8" in r.text


# --------------------------------------------------------------------------- bytes that are not UTF-8

LATIN1_QUERY = 'SELECT ("caf\xe9" AS ?x) WHERE {}'


@pytest.mark.parametrize("how", ["get", "form", "body"])
def test_a_query_that_is_not_utf8_is_400_not_another_query(server, how):
    """werkzeug kept a Latin-1 %E9 as the text "%E9" and the body decoder put U+FFFD in place
    of a bad byte: either way a different query ran. Now the client is told."""
    raw = LATIN1_QUERY.encode("latin-1")
    if how == "get":
        r = requests.get(server.endpoint + "?query=" + quote(raw), timeout=30)
    elif how == "form":
        r = requests.post(server.endpoint, data=b"query=" + quote(raw).encode(), timeout=30,
                          headers={"Content-Type": "application/x-www-form-urlencoded"})
    else:
        r = requests.post(server.endpoint, data=raw, timeout=30,
                          headers={"Content-Type": "application/sparql-query"})
    assert r.status_code == 400, r.text
    assert "not UTF-8" in r.text


@pytest.mark.parametrize("how", ["get", "form"])
def test_utf8_and_a_literal_percent_sign_arrive_as_sent(server, how):
    query = 'SELECT ?x WHERE { VALUES ?x { "café %E9 100%" } }'
    if how == "get":
        r = requests.get(server.endpoint, params={"query": query}, timeout=30)
    else:
        r = requests.post(server.endpoint, data={"query": query}, timeout=30)
    assert r.status_code == 200, r.text
    assert r.json()["results"]["bindings"][0]["x"]["value"] == "café %E9 100%"


def test_an_update_that_is_not_utf8_is_400_and_writes_nothing(writable):
    insert = f'INSERT DATA {{ GRAPH <{OUT}> {{ <http://example.org/s> <http://example.org/p> "caf\xe9" }} }}'
    for body, ctype in ((insert.encode("latin-1"), "application/sparql-update"),
                        (b"update=" + quote(insert.encode("latin-1")).encode(), "application/x-www-form-urlencoded")):
        r = requests.post(writable.url + "update", data=body, timeout=30,
                          headers={"Content-Type": ctype, "Authorization": f"Bearer {TOKEN}"})
        assert r.status_code == 400 and "not UTF-8" in r.text, r.text
    ask = requests.get(writable.endpoint, params={"query": f"ASK {{ GRAPH <{OUT}> {{ ?s ?p ?o }} }}"}, timeout=30)
    assert ask.json()["boolean"] is False
