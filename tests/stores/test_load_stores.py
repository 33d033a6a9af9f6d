"""`idlib-kg load` into real stores (Virtuoso, the Oxigraph server), then the competency queries.

After loading, every query of queries/ except the federated one must give the same answers
from each store as from the embedded pyoxigraph store. How the stores are made to answer like
the embedded one (whose default graph is the union of the named graphs):
- Virtuoso: all named graphs loaded, queries sent without FROM: Virtuoso's default graph is the
  union of all its graphs (its system graphs hold nothing in our vocabulary).
- Oxigraph server: named graphs loaded, queries sent with the `union-default-graph` parameter.
Results are compared as sets of rows, after normalising what stores legitimately write
differently: numeric literals by value (Virtuoso returns canonical forms; booleans as 0/1
integers, so booleans compare as 0/1; the embedded store turns xsd:nonNegativeInteger into
xsd:integer and xsd:dateTimeStamp into xsd:dateTime, oxigraph#526, which the loaded stores may
not), language tags in
lower case (Virtuoso lower-cases them), xsd:string vs plain literals, blank nodes and our
skolem IRIs (the loader skolemizes blank nodes) as one placeholder, and WKT geometry by its
coordinates to 4 decimals (Virtuoso stores geo:wktLiteral as virtrdf:Geometry in single
precision: "POINT(36.63 35.93)" comes back as "POINT(36.630001068115 35.930000305176)").
"""

from __future__ import annotations

import re
import subprocess
import sys
from decimal import Decimal, InvalidOperation

import pytest
import requests
from pyoxigraph import (BlankNode, Literal, NamedNode, QueryBoolean, QuerySolutions, QueryTriples)

from idlib_kg.export import load_dataset
from idlib_kg.loader import SKOLEM_BASE, LoadError, Target, load_into
from idlib_kg.safety import inspect
from stores.services import REPO_ROOT, SELECT_JSON

QUERIES = sorted((REPO_ROOT / "queries").glob("*.rq"))
# Federated queries need Wikidata, which the stores here cannot reach: left out, decided by the
# SERVICE clauses the endpoint's own query inspection finds (a comment naming a service is not one).
LOCAL_QUERIES = [q for q in QUERIES if not inspect(q.read_text(encoding="utf-8")).services]
XSD = "http://www.w3.org/2001/XMLSchema#"
WKT = ("http://www.opengis.net/ont/geosparql#wktLiteral", "http://www.openlinksw.com/schemas/virtrdf#Geometry")
NUMERIC = {XSD + t for t in ("integer", "decimal", "double", "float", "int", "long", "short", "byte",
                             "nonNegativeInteger", "positiveInteger", "negativeInteger",
                             "nonPositiveInteger", "unsignedInt", "unsignedLong")}
# Our own checks, so the comparison means something even without queries/.
EXTRA_QUERIES = {
    "graph-counts": "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } "
                    "FILTER(STRSTARTS(STR(?g), 'https://w3id.org/idlib-kg/graph/')) } GROUP BY ?g",
    "turkish-letters": "SELECT ?s ?l WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?l "
                       "FILTER(REGEX(?l, '[ğşİÇü]')) }",
    "typed-values": "SELECT ?s ?p ?v WHERE { ?s ?p ?v FILTER(isLiteral(?v) && DATATYPE(?v) != "
                    "<http://www.w3.org/2001/XMLSchema#string> && LANG(?v) = '' && "
                    "STRSTARTS(STR(?s), 'https://w3id.org/idlib-kg/id/')) }",
}


def norm_json_term(t: dict | None):
    if t is None:
        return None
    kind, value = t["type"], t["value"]
    if kind == "bnode" or (kind == "uri" and value.startswith((SKOLEM_BASE, "nodeID://"))):
        return ("bnode",)
    if kind == "uri":
        return ("iri", value)
    return norm_literal(value, t.get("datatype"), t.get("xml:lang"))


def norm_literal(value: str, datatype: str | None, lang: str | None):
    if lang:
        return ("lit", value, "@" + lang.lower())
    if datatype in NUMERIC:
        try:
            return ("num", Decimal(value).normalize())
        except InvalidOperation:
            pass
    if datatype == XSD + "boolean":  # Virtuoso returns EXISTS(...) and comparisons as 0/1
        return ("num", Decimal(1 if value in ("true", "1") else 0))
    if datatype == XSD + "dateTimeStamp":  # pyoxigraph stores it as xsd:dateTime (same value)
        datatype = XSD + "dateTime"
    if datatype in WKT:  # Virtuoso turns geo:wktLiteral into its own geometry type, as floats
        nums = re.findall(r"-?\d+(?:\.\d+)?", value)
        return ("wkt", value.split("(")[0].strip().upper(), tuple(round(float(n), 4) for n in nums))
    if datatype in (None, XSD + "string"):
        return ("lit", value, "")
    return ("lit", value, datatype)


def norm_ox_term(t):
    if t is None:
        return None
    if isinstance(t, BlankNode) or (isinstance(t, NamedNode) and t.value.startswith(SKOLEM_BASE)):
        return ("bnode",)
    if isinstance(t, NamedNode):
        return ("iri", t.value)
    assert isinstance(t, Literal)
    return norm_literal(t.value, t.datatype.value if t.datatype else None, t.language)


def embedded_answer(store, query: str):
    res = store.query(query, use_default_graph_as_union=True)
    if isinstance(res, QueryBoolean):
        return bool(res)
    if isinstance(res, QueryTriples):
        return {tuple(norm_ox_term(x) for x in (t.subject, t.predicate, t.object)) for t in res}
    assert isinstance(res, QuerySolutions)
    names = [v.value for v in res.variables]
    return {tuple((n, norm_ox_term(row[n])) for n in names) for row in res}


def remote_answer(url: str, query: str, params: dict | None = None):
    r = requests.post(url, params=params or {}, data={"query": query},
                      headers={"Accept": f"{SELECT_JSON}, application/n-triples;q=0.9"}, timeout=120)
    assert r.status_code == 200, f"HTTP {r.status_code}: {r.text[:500]}"
    assert not r.headers.get("X-SPARQL-MaxRows"), "Virtuoso truncated the result"
    if "json" not in r.headers.get("Content-Type", ""):
        from pyoxigraph import RdfFormat, parse
        triples = parse(r.content, format=RdfFormat.N_TRIPLES)
        return {tuple(norm_ox_term(x) for x in (t.subject, t.predicate, t.object)) for t in triples}
    body = r.json()
    if "boolean" in body:
        return bool(body["boolean"])
    names = body["head"]["vars"]
    return {tuple((n, norm_json_term(b.get(n))) for n in names) for b in body["results"]["bindings"]}


@pytest.fixture(scope="module")
def embedded():
    return load_dataset()


@pytest.fixture(scope="module")
def loaded_virtuoso(virtuoso):
    target = Target(virtuoso.sparql_url, user=virtuoso.user, password=virtuoso.password,
                    auth="digest", progress=lambda m: None)
    assert load_into(target) == "gsp"
    return virtuoso


@pytest.fixture(scope="module")
def loaded_oxigraph(oxigraph):
    assert load_into(Target(oxigraph.sparql_url, progress=lambda m: None)) == "gsp"
    return oxigraph


def _ask(store, query: str, params=None):
    return remote_answer(store.sparql_url, query, params)


CASES = [pytest.param(q.read_text(encoding="utf-8"), id=q.stem) for q in LOCAL_QUERIES] + \
        [pytest.param(text, id=name) for name, text in EXTRA_QUERIES.items()]


def test_only_federated_queries_are_left_out_of_the_store_comparison():
    assert QUERIES, "queries/ holds no .rq file: the stores would be compared on nothing of ours"
    left_out = [q for q in QUERIES if q not in LOCAL_QUERIES]
    assert len(left_out) < len(QUERIES) / 2
    for q in left_out:  # each one really is federated, and federated with Wikidata
        services = inspect(q.read_text(encoding="utf-8")).services
        assert services and all("wikidata" in s for s in services), (q.name, services)
    compared = {p.id for p in CASES}
    assert {q.stem for q in LOCAL_QUERIES} <= compared


@pytest.mark.parametrize("query", CASES)
def test_virtuoso_answers_like_embedded(loaded_virtuoso, embedded, query):
    expected = embedded_answer(embedded, query)
    assert _ask(loaded_virtuoso, query) == expected


@pytest.mark.parametrize("query", CASES)
def test_oxigraph_answers_like_embedded(loaded_oxigraph, embedded, query):
    expected = embedded_answer(embedded, query)
    assert _ask(loaded_oxigraph, query, {"union-default-graph": ""}) == expected


def test_loading_twice_gives_the_same_store(loaded_oxigraph, embedded):
    load_into(Target(loaded_oxigraph.sparql_url, progress=lambda m: None))
    n = loaded_oxigraph.select("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } "
                               "FILTER(STRSTARTS(STR(?g), 'https://w3id.org/idlib-kg/graph/')) }")
    assert int(n[0]["n"]) == len(embedded)


def test_update_fallback_into_virtuoso_in_small_batches(virtuoso, tmp_path):
    """SPARQL Update only: INSERT DATA batches of <= 500 triples, blank nodes skolemized."""
    graph = "https://w3id.org/idlib-kg/graph/test-update-load"
    messages: list[str] = []
    target = Target(virtuoso.sparql_url, graph=graph, user=virtuoso.user, password=virtuoso.password,
                    protocol="update", batch=500, progress=messages.append)
    assert load_into(target) == "update"
    assert any("INSERT DATA" in m for m in messages)
    rows = virtuoso.select(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
    assert int(rows[0]["n"]) == len({(q.subject, q.predicate, q.object) for q in load_dataset()})
    skolem = virtuoso.select(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o "
                             f"FILTER(STRSTARTS(STR(?s), '{SKOLEM_BASE}')) }} }}")
    assert int(skolem[0]["n"]) > 0  # the ontology's blank nodes (lists, restrictions)
    virtuoso.isql(f"SPARQL CLEAR GRAPH <{graph}>")


def test_update_fallback_into_oxigraph(oxigraph):
    graph = "https://w3id.org/idlib-kg/graph/test-update-load"
    messages: list[str] = []
    assert load_into(Target(oxigraph.sparql_url, graph=graph, protocol="update",
                            progress=messages.append)) == "update"
    assert any("blank nodes skolemized: SPARQL Update" in m for m in messages)
    rows = oxigraph.select(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
    assert int(rows[0]["n"]) > 5000


def test_small_chunks_are_put_then_posted(oxigraph):
    graph = "https://w3id.org/idlib-kg/graph/test-chunks"
    messages: list[str] = []
    load_into(Target(oxigraph.sparql_url, graph=graph, chunk_bytes=100_000, progress=messages.append))
    assert any("GSP PUT" in m for m in messages) and any("GSP POST" in m for m in messages)
    rows = oxigraph.select(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
    assert int(rows[0]["n"]) == len({(q.subject, q.predicate, q.object) for q in load_dataset()})


def _blank_and_skolem_subjects(store, graph: str) -> tuple[int, int]:
    def count(test: str) -> int:
        rows = store.select(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o FILTER({test}) }} }}")
        return int(rows[0]["n"])
    return count("isBlank(?s)"), count(f"isIRI(?s) && STRSTARTS(STR(?s), '{SKOLEM_BASE}')")


def test_one_upload_per_graph_keeps_the_ontologys_blank_nodes(oxigraph):
    # OWL restrictions and lists stay anonymous, as the OWL 2 RDF mapping writes them
    graph = "https://w3id.org/idlib-kg/graph/test-blank-kept"
    messages: list[str] = []
    assert load_into(Target(oxigraph.sparql_url, graph=graph, progress=messages.append)) == "gsp"
    blank, skolem = _blank_and_skolem_subjects(oxigraph, graph)
    assert blank > 0 and skolem == 0, (blank, skolem)
    assert not any("skolemized" in m for m in messages)


def test_split_uploads_skolemize_and_never_refuses_them(oxigraph):
    graph = "https://w3id.org/idlib-kg/graph/test-blank-split"
    messages: list[str] = []
    load_into(Target(oxigraph.sparql_url, graph=graph, chunk_bytes=100_000, progress=messages.append))
    blank, skolem = _blank_and_skolem_subjects(oxigraph, graph)
    assert blank == 0 and skolem > 0, (blank, skolem)
    assert any("blank nodes skolemized: graph" in m and "several chunks" in m for m in messages)
    with pytest.raises(LoadError, match="would split blank nodes"):
        load_into(Target(oxigraph.sparql_url, graph=graph, chunk_bytes=100_000, skolemize="never",
                         progress=lambda m: None))
    always = "https://w3id.org/idlib-kg/graph/test-blank-always"
    load_into(Target(oxigraph.sparql_url, graph=always, skolemize="always", progress=lambda m: None))
    assert _blank_and_skolem_subjects(oxigraph, always)[0] == 0


def test_wrong_password_is_a_clear_error_with_exit_1(virtuoso):
    r = subprocess.run([sys.executable, "-m", "idlib_kg", "load", "--endpoint", virtuoso.sparql_url,
                        "--user", "dba", "--password", "wrong"], capture_output=True, text=True,
                       cwd=REPO_ROOT, timeout=300)
    assert r.returncode == 1, r.stderr
    assert "HTTP 401" in r.stderr and "what to do" in r.stderr and "--password" in r.stderr


def test_anonymous_update_refused_by_virtuoso_is_explained(virtuoso):
    target = Target(virtuoso.sparql_url, graph="https://w3id.org/idlib-kg/graph/refused",
                    protocol="update", progress=lambda m: None)
    with pytest.raises(LoadError) as e:
        load_into(target)
    assert e.value.status is not None and e.value.status >= 400
    assert "what to do" in str(e.value)


def test_unreachable_store(tmp_path):
    from stores.services import free_port
    r = subprocess.run([sys.executable, "-m", "idlib_kg", "load", "--endpoint",
                        f"http://127.0.0.1:{free_port()}/sparql"], capture_output=True, text=True,
                       cwd=REPO_ROOT, timeout=120)
    assert r.returncode == 1 and "cannot reach" in r.stderr
