"""/sparql over HTTP: the three ways to send a query, parameters, errors, dataset, CORS, ETag."""

from __future__ import annotations

import requests

EX = "http://example.org/"
NAMES = "SELECT ?name WHERE { ?p <http://xmlns.com/foaf/0.1/name> ?name } ORDER BY ?name"
JSON = "application/sparql-results+json"


def values(resp, var):
    return [b[var]["value"] for b in resp.json()["results"]["bindings"]]


def test_get_query_returns_json_results(endpoint):
    r = requests.get(endpoint.endpoint, params={"query": NAMES}, headers={"Accept": JSON})
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith(JSON)
    assert values(r, "name") == ["Alice", "Bob"]


def test_form_post_query(endpoint):
    r = requests.post(endpoint.endpoint, data={"query": NAMES}, headers={"Accept": JSON})
    assert r.status_code == 200
    assert values(r, "name") == ["Alice", "Bob"]


def test_direct_post_query(endpoint):
    r = requests.post(endpoint.endpoint, data=NAMES.encode(),
                      headers={"Content-Type": "application/sparql-query", "Accept": JSON})
    assert r.status_code == 200
    assert values(r, "name") == ["Alice", "Bob"]


def test_malformed_query_is_400_with_the_parser_message(endpoint):
    r = requests.get(endpoint.endpoint, params={"query": "SELECT ?x WHERE { ?x ?y }"})
    assert r.status_code == 400
    assert r.headers["Content-Type"].startswith("text/plain")
    assert "not valid SPARQL" in r.text
    assert "1:" in r.text  # the parser's line:column
    assert "Traceback" not in r.text


def test_an_undeclared_prefix_is_400_naming_it_and_the_prefix_line_to_add(endpoint):
    r = requests.post(endpoint.endpoint, data={"query": "SELECT * WHERE { ?s ikg:target ?o }"})
    assert r.status_code == 400
    assert "the prefix ikg: is not declared" in r.text
    assert "PREFIX ikg: <https://w3id.org/idlib-kg/ontology#>" in r.text
    huge = "SELECT * WHERE { " + " ".join(f"?s p{i}:target ?o ." for i in range(20_000)) + " }"
    r = requests.post(endpoint.endpoint, data={"query": huge})
    assert r.status_code == 400 and "and 19,990 more are not declared" in r.text and len(r.text) < 2_000
    after = requests.get(endpoint.endpoint, params={"query": "ASK { ?s ?p ?o }"}, headers={"Accept": JSON})
    assert after.status_code == 200 and after.json()["boolean"] is True  # and the server goes on


def test_two_query_parameters_are_400(endpoint):
    r = requests.get(endpoint.endpoint, params=[("query", "ASK {}"), ("query", "ASK {}")])
    assert r.status_code == 400
    assert "`query` parameter was given 2 times" in r.text


def test_query_in_body_and_url_is_400(endpoint):
    r = requests.post(endpoint.endpoint, params={"query": "ASK {}"}, data=b"ASK {}",
                      headers={"Content-Type": "application/sparql-query"})
    assert r.status_code == 400


def test_query_and_update_parameters_are_400(endpoint):
    r = requests.post(endpoint.endpoint, data={"query": "ASK {}", "update": "CLEAR ALL"})
    assert r.status_code == 400
    assert "/update" in r.text


def test_wrong_method_is_405(endpoint):
    r = requests.put(endpoint.endpoint, data=b"ASK {}")
    assert r.status_code == 405
    assert "GET" in r.headers["Allow"] and "POST" in r.headers["Allow"]
    assert "PUT is not allowed" in r.text


def test_wrong_post_content_type_is_415(endpoint):
    r = requests.post(endpoint.endpoint, data=b'{"query": "ASK {}"}', headers={"Content-Type": "application/json"})
    assert r.status_code == 415
    assert "application/sparql-query" in r.text


def test_empty_form_post_is_400(endpoint):
    r = requests.post(endpoint.endpoint, data={"format": "json"})
    assert r.status_code == 400
    assert "no `query` parameter" in r.text


def test_update_sent_to_sparql_is_refused_and_data_unchanged(endpoint):
    ask = {"query": f"ASK {{ GRAPH ?g {{ <{EX}alice> <http://xmlns.com/foaf/0.1/name> \"Alice\" }} }}"}
    assert requests.get(endpoint.endpoint, params=ask).json()["boolean"] is True
    attempts = [
        requests.post(endpoint.endpoint, data=b"CLEAR ALL", headers={"Content-Type": "application/sparql-update"}),
        requests.post(endpoint.endpoint, data={"update": "CLEAR ALL"}),
        requests.post(endpoint.endpoint, data={"query": "CLEAR ALL"}),
        requests.get(endpoint.endpoint, params={"query": "DROP ALL"}),
        requests.get(endpoint.endpoint, params={"query": f"DELETE WHERE {{ GRAPH ?g {{ <{EX}alice> ?p ?o }} }}"}),
        requests.post(endpoint.endpoint, data=b"# hi\nPREFIX ex: <http://example.org/>\nINSERT DATA { ex:a ex:b ex:c }",
                      headers={"Content-Type": "application/sparql-query"}),
    ]
    for r in attempts:
        assert r.status_code == 400, r.text
        assert "/update" in r.text
    assert requests.get(endpoint.endpoint, params=ask).json()["boolean"] is True
    inserted = {"query": f"ASK {{ GRAPH ?g {{ <{EX}a> <{EX}b> <{EX}c> }} }}"}
    assert requests.get(endpoint.endpoint, params=inserted).json()["boolean"] is False


def test_update_endpoint_is_off_by_default(endpoint):
    r = requests.post(endpoint.url + "update", data=b"CLEAR ALL",
                      headers={"Content-Type": "application/sparql-update", "Authorization": "Bearer x"})
    assert r.status_code == 403
    assert "--update-token" in r.text


def test_default_graph_is_union_of_named_graphs(endpoint):
    q = ("SELECT ?label WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?label "
         'FILTER(STRSTARTS(STR(?s), "http://example.org/")) } ORDER BY ?label')
    labels = values(requests.get(endpoint.endpoint, params={"query": q}), "label")
    assert labels == ["Airstrike on Ariha", "Ariha", "Saraqib", "Shelling of Saraqib"]


def test_default_graph_uri_restricts_the_default_graph(endpoint):
    q = "SELECT ?label WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?label } ORDER BY ?label"
    r = requests.get(endpoint.endpoint, params={"query": q, "default-graph-uri": f"{EX}graph/places"})
    assert values(r, "label") == ["Ariha", "Saraqib"]


def test_named_graph_uri_restricts_graph_patterns(endpoint):
    q = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
    r = requests.post(endpoint.endpoint, data={"query": q, "named-graph-uri": [f"{EX}graph/events"]})
    assert values(r, "g") == [f"{EX}graph/events"]
    # ... and with only named-graph-uri given, the default graph is empty
    r = requests.post(endpoint.endpoint, data={"query": "SELECT * { ?s ?p ?o }",
                                               "named-graph-uri": [f"{EX}graph/events"]})
    assert values(r, "s") == []


def test_from_clause_selects_the_default_graph(endpoint):
    q = f"SELECT ?label FROM <{EX}graph/places> WHERE {{ ?s <http://www.w3.org/2000/01/rdf-schema#label> ?label }} ORDER BY ?label"
    assert values(requests.get(endpoint.endpoint, params={"query": q}), "label") == ["Ariha", "Saraqib"]


def test_get_with_a_20kb_query_string_works(endpoint):
    padding = "# " + "x" * 100 + "\n"
    filler = "".join(f'"{i:05d}" ' for i in range(3000))
    q = padding * 40 + f"SELECT (COUNT(?v) AS ?n) WHERE {{ VALUES ?v {{ {filler} }} }}"
    assert len(q) > 20_000
    r = requests.get(endpoint.endpoint, params={"query": q})
    assert r.status_code == 200, r.text[:300]
    assert values(r, "n") == ["3000"]


def test_body_over_the_size_limit_is_413(endpoint):
    q = "ASK {} #" + "x" * 1_100_000
    r = requests.post(endpoint.endpoint, data=q.encode(), headers={"Content-Type": "application/sparql-query"})
    assert r.status_code == 413
    # answered by the HTTP front, before the app: still readable by a page on another origin
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    assert "X-Idlib-Rows" in r.headers["Access-Control-Expose-Headers"]
    assert r.headers["X-Content-Type-Options"] == "nosniff"


def test_cors_header_and_preflight(endpoint):
    r = requests.get(endpoint.endpoint, params={"query": "ASK {}"}, headers={"Origin": "http://example.com"})
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    pre = requests.options(endpoint.endpoint, headers={"Origin": "http://example.com",
                                                       "Access-Control-Request-Method": "POST",
                                                       "Access-Control-Request-Headers": "content-type"})
    assert pre.status_code in (200, 204)
    assert pre.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in pre.headers["Access-Control-Allow-Methods"]
    assert "content-type" in pre.headers["Access-Control-Allow-Headers"].lower()


def test_an_error_echoing_the_query_is_never_sniffed_as_html(endpoint):
    r = requests.get(endpoint.endpoint, params={"query": "SELECT <script>alert(1)</script>"})
    assert r.status_code == 400
    assert r.headers["Content-Type"].startswith("text/plain")
    assert r.headers["X-Content-Type-Options"] == "nosniff"


def test_etag_and_304(endpoint):
    params = {"query": NAMES}
    first = requests.get(endpoint.endpoint, params=params, headers={"Accept": JSON})
    tag = first.headers["ETag"]
    assert tag.startswith('"') and len(tag) > 10
    again = requests.get(endpoint.endpoint, params=params, headers={"Accept": JSON, "If-None-Match": tag})
    assert again.status_code == 304
    assert again.content == b""
    other_format = requests.get(endpoint.endpoint, params=params, headers={"Accept": "text/csv", "If-None-Match": tag})
    assert other_format.status_code == 200
    assert other_format.headers["ETag"] != tag
    other_query = requests.get(endpoint.endpoint, params={"query": NAMES + " LIMIT 1"},
                               headers={"Accept": JSON, "If-None-Match": tag})
    assert other_query.status_code == 200
    assert values(other_query, "name") == ["Alice"]


def test_a_weak_etag_in_if_none_match_also_gets_304(endpoint):
    """If-None-Match compares weakly (RFC 9110 13.1.2): a cache may send the tag back as W/"..."."""
    first = requests.get(endpoint.endpoint, params={"query": NAMES}, headers={"Accept": JSON})
    weak = "W/" + first.headers["ETag"]
    again = requests.get(endpoint.endpoint, params={"query": NAMES}, headers={"Accept": JSON, "If-None-Match": weak})
    assert again.status_code == 304
    listed = requests.get(endpoint.endpoint, params={"query": NAMES},
                          headers={"Accept": JSON, "If-None-Match": f'"other", {weak}'})
    assert listed.status_code == 304
    changed = requests.get(endpoint.endpoint, params={"query": NAMES + " LIMIT 1"},
                           headers={"Accept": JSON, "If-None-Match": weak})
    assert changed.status_code == 200


def test_cached_answer_is_identical(endpoint):
    params = {"query": "SELECT ?v WHERE { ?s <http://example.org/value> ?v } ORDER BY ?v LIMIT 3"}
    a = requests.get(endpoint.endpoint, params=params)
    b = requests.get(endpoint.endpoint, params=params)
    assert a.content == b.content
    assert values(a, "v") == ["0", "1", "10"]


def test_a_repeated_request_is_answered_by_the_response_cache_with_the_same_headers(endpoint):
    params = {"query": "SELECT ?v WHERE { ?s <http://example.org/value> ?v } ORDER BY DESC(?v) LIMIT 2"}
    first = requests.get(endpoint.endpoint, params=params, headers={"Accept": "text/csv"})
    again = requests.get(endpoint.endpoint, params=params, headers={"Accept": "text/csv"})
    assert "X-Idlib-Cache" not in first.headers
    assert again.headers["X-Idlib-Cache"] == "hit"
    assert again.content == first.content and again.text.startswith("v\r\n")
    for name in ("ETag", "Content-Type", "X-Idlib-Rows", "Access-Control-Allow-Origin", "Vary"):
        assert again.headers[name] == first.headers[name], name
    # revalidation always reaches the app, which answers 304 for the current data
    revalidated = requests.get(endpoint.endpoint, params=params,
                               headers={"Accept": "text/csv", "If-None-Match": first.headers["ETag"]})
    assert revalidated.status_code == 304 and "X-Idlib-Cache" not in revalidated.headers
    # an error is never kept
    bad = {"query": "SELECT ?v WHERE {"}
    assert [requests.get(endpoint.endpoint, params=bad).headers.get("X-Idlib-Cache") for _ in range(2)] == [None, None]


def test_errors_never_show_a_stack_trace(endpoint):
    r = requests.get(endpoint.url + "no-such-page")
    assert r.status_code == 404
    assert "Traceback" not in r.text


def test_relative_iris_resolve_against_the_base_iri(endpoint):
    r = requests.get(endpoint.endpoint, params={"query": "CONSTRUCT { <id/x> <p> 1 } WHERE {}"},
                     headers={"Accept": "application/n-triples"})
    assert r.status_code == 200, r.text
    assert r.text.strip() == ('<https://w3id.org/idlib-kg/id/x> <https://w3id.org/idlib-kg/p> '
                              '"1"^^<http://www.w3.org/2001/XMLSchema#integer> .')
