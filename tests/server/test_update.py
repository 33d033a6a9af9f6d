"""/update with a token: auth, visibility to every worker, cache invalidation, LOAD allow-list."""

from __future__ import annotations

import pytest
import requests

TOKEN = "s3cret-token-for-tests"
UPDATE = "application/sparql-update"
ASK_NEW = {"query": "ASK { GRAPH ?g { <http://example.org/new> <http://example.org/p> \"v\" } }"}
INSERT = 'INSERT DATA { GRAPH <http://example.org/graph/t> { <http://example.org/new> <http://example.org/p> "v" } }'


@pytest.fixture(params=["memory", "disk"])
def writable(request, start_server, tmp_path):
    options = ["--update-token", TOKEN, "--workers", "3"]
    if request.param == "disk":
        options += ["--store", tmp_path / "store"]
    return start_server(*options)


def post_update(server, text, token=TOKEN, **kw):
    headers = {"Content-Type": UPDATE}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return requests.post(server.url + "update", data=text.encode(), headers=headers, **kw)


def test_update_needs_the_token(writable):
    missing = post_update(writable, INSERT, token=None)
    assert missing.status_code == 401
    assert missing.headers["WWW-Authenticate"].startswith("Bearer")
    assert "error=" not in missing.headers["WWW-Authenticate"]
    wrong = post_update(writable, INSERT, token="nope")
    assert wrong.status_code == 401  # RFC 6750 3.1
    assert wrong.headers["WWW-Authenticate"] == 'Bearer realm="idlib-kg", error="invalid_token"'
    assert "token is wrong" in wrong.text
    assert requests.get(writable.endpoint, params=ASK_NEW).json()["boolean"] is False


def test_update_is_seen_by_every_worker_and_changes_the_etag(writable):
    before = requests.get(writable.endpoint, params=ASK_NEW)
    assert before.json()["boolean"] is False
    kept = requests.get(writable.endpoint, params=ASK_NEW)  # the same request: kept by the front
    assert kept.headers.get("X-Idlib-Cache") == "hit"
    assert post_update(writable, INSERT).status_code == 204
    # the same bytes again: both caches were emptied by the update, so the new data answers
    answers = {requests.get(writable.endpoint, params=ASK_NEW).json()["boolean"] for _ in range(9)}
    assert answers == {True}
    after = requests.get(writable.endpoint, params=ASK_NEW, headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200  # the old ETag no longer matches
    assert after.headers["ETag"] != before.headers["ETag"]
    # The Service Description counts the new graph
    sd = requests.get(writable.endpoint, headers={"Accept": "application/n-triples"}).text
    assert "<http://example.org/graph/t>" in sd


def test_a_triple_inserted_without_a_graph_shows_on_the_resource_page(writable):
    """INSERT DATA without GRAPH writes the store's own default graph: the page lists it with
    the named graphs' values (marked "default"), as its RDF documents do."""
    target = "https://w3id.org/idlib-kg/id/turkey"
    assert post_update(writable, f'INSERT DATA {{ <{target}> <http://example.org/note> "inserted note" }}').status_code == 204
    ttl = requests.get(writable.url + "doc/turkey.ttl").text
    assert "inserted note" in ttl
    page = requests.get(writable.url + "doc/turkey.html").text
    assert "inserted note" in page and "http://example.org/note" in page
    assert "Wikidata" in page or "Q43" in page  # the named graphs' values are still there


def test_form_update_and_syntax_error(writable):
    assert post_update(writable, INSERT).status_code == 204
    assert requests.get(writable.endpoint, params=ASK_NEW).json()["boolean"] is True
    r = requests.post(writable.url + "update", data={"update": "CLEAR GRAPH <http://example.org/graph/t>"},
                      headers={"Authorization": f"Bearer {TOKEN}"})
    assert r.status_code == 204, r.text
    assert requests.get(writable.endpoint, params=ASK_NEW).json()["boolean"] is False
    bad = post_update(writable, "INSERT DATA { <a> }")
    assert bad.status_code == 400
    assert "not valid SPARQL" in bad.text
    query = post_update(writable, "ASK {}")
    assert query.status_code == 400 and "/sparql" in query.text


@pytest.mark.parametrize("writable", ["memory"], indirect=True)
def test_load_is_refused_unless_allowed(writable, recorder):
    r = post_update(writable, f"LOAD <{recorder.url}data.ttl> INTO GRAPH <http://example.org/graph/l>")
    assert r.status_code == 400
    assert "--allow-load" in r.text
    assert recorder.requests == []


@pytest.mark.parametrize("writable", ["disk"], indirect=True)
def test_relative_iris_in_updates_resolve_against_the_base_iri(writable):
    assert post_update(writable, "INSERT DATA { GRAPH <graph/rel> { <id/r> <p> <o> } }").status_code == 204
    q = {"query": "ASK { GRAPH <https://w3id.org/idlib-kg/graph/rel> { <https://w3id.org/idlib-kg/id/r> ?p ?o } }"}
    assert requests.get(writable.endpoint, params=q).json()["boolean"] is True


def test_a_graph_document_follows_an_update_to_its_graph(writable):
    """Before any update the graph documents are written from the files (literals as written);
    after one, from the store, which holds the change."""
    links = "https://w3id.org/idlib-kg/graph/links"
    before = requests.get(writable.url + "graph/links?format=nt").text
    assert "inserted into links" not in before
    insert = f'INSERT DATA {{ GRAPH <{links}> {{ <http://example.org/x> <http://example.org/p> "inserted into links" }} }}'
    assert post_update(writable, insert).status_code == 204
    after = requests.get(writable.url + "graph/links?format=nt").text
    assert "inserted into links" in after
    assert len(after.splitlines()) == len(before.splitlines()) + 1


def test_an_update_while_another_process_holds_the_store_is_503_then_works(start_server, tmp_path):
    import gc

    from pyoxigraph import Store
    path = tmp_path / "store"
    server = start_server("--update-token", TOKEN, "--workers", "2", "--store", path)
    held = Store(str(path))  # RocksDB's lock, as another program would hold it
    try:
        busy = post_update(server, INSERT)
        assert busy.status_code == 503, busy.text
        assert "another process" in busy.text and busy.headers.get("Retry-After")
    finally:
        del held
        gc.collect()
    assert post_update(server, INSERT).status_code == 204
    assert requests.get(server.endpoint, params=ASK_NEW).json()["boolean"] is True


def test_base_iri_that_is_not_an_iri_is_a_usage_error():
    import subprocess
    import sys
    out = subprocess.run([sys.executable, "-m", "idlib_kg", "serve", "--base-iri", "not an iri"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and "not an absolute IRI" in out.stderr


def test_the_service_description_names_the_update_endpoint_as_a_service_of_its_own(writable):
    from rdflib import Graph, Namespace, URIRef
    sd = Namespace("http://www.w3.org/ns/sparql-service-description#")
    g = Graph().parse(data=requests.get(writable.endpoint, headers={"Accept": "text/turtle"}).text, format="turtle")
    by_endpoint = {str(g.value(s, sd.endpoint)): s for s in g.subjects(sd.endpoint, None)}
    query_service, update_service = by_endpoint[writable.endpoint], by_endpoint[writable.url + "update"]
    assert set(g.objects(query_service, sd.supportedLanguage)) == {sd.SPARQL11Query}  # /sparql refuses updates
    assert set(g.objects(update_service, sd.supportedLanguage)) == {sd.SPARQL11Update}
    assert "store's own default graph" in str(g.value(update_service, URIRef("http://purl.org/dc/terms/description")))
    # each service's dataset describes its own default graph, over the same named graphs
    query_dataset, update_dataset = g.value(query_service, sd.defaultDataset), g.value(update_service, sd.defaultDataset)
    assert query_dataset != update_dataset
    describe = lambda ds: str(g.value(g.value(ds, sd.defaultGraph), URIRef("http://purl.org/dc/terms/description")))  # noqa: E731
    assert "union of all the named graphs" in describe(query_dataset)
    assert "store's own default graph" in describe(update_dataset) and "union" not in describe(update_dataset).split("not")[0]
    names = lambda ds: {g.value(ng, sd.name) for ng in g.objects(ds, sd.namedGraph)}  # noqa: E731
    assert names(query_dataset) == names(update_dataset) and URIRef("https://w3id.org/idlib-kg/graph/article") in names(update_dataset)
    # and what it says holds: DELETE WHERE without GRAPH does not reach the named graphs
    label = 'ASK { <https://w3id.org/idlib-kg/id/turkey> <http://www.w3.org/2000/01/rdf-schema#label> "Turkey"@en }'
    delete = 'DELETE WHERE { <https://w3id.org/idlib-kg/id/turkey> <http://www.w3.org/2000/01/rdf-schema#label> ?l }'
    assert post_update(writable, delete).status_code == 204
    assert requests.get(writable.endpoint, params={"query": label}).json()["boolean"] is True


@pytest.mark.parametrize("text", ["", "# nothing to do\n", "PREFIX ex: <http://example.org/>"])
def test_an_update_with_no_operation_is_valid_and_changes_nothing(writable, text):
    before = requests.get(writable.endpoint, params=ASK_NEW).headers["ETag"]
    assert post_update(writable, text).status_code == 204
    assert requests.get(writable.endpoint, params=ASK_NEW).headers["ETag"] == before
    refused = post_update(writable, "SELECT * WHERE { ?s ?p ?o }")
    assert refused.status_code == 400 and "not a SPARQL Update" in refused.text
