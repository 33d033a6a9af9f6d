"""SERVICE allow-list, update detection, and no outbound connections for FROM / refused SERVICE."""

from __future__ import annotations

import pytest
import requests

from idlib_kg.safety import (UnsafeQuery, check_services, explain_syntax_error, inspect, is_public_address,
                             target_allowed, undeclared_prefixes)

# ---- the lexer


def test_service_iri_is_found_and_prefixed_names_resolved():
    found = inspect("PREFIX w: <https://query.wikidata.org/> SELECT * { SERVICE w:sparql { ?s ?p ?o } }")
    assert found.services == ["https://query.wikidata.org/sparql"]
    assert found.form == "SELECT"


def test_service_iri_relative_to_base():
    found = inspect("BASE <http://127.0.0.1:9/x/> ASK { SERVICE SILENT <sparql> { } }")
    assert found.services == ["http://127.0.0.1:9/x/sparql"]


def test_service_in_strings_comments_and_iris_is_not_a_keyword():
    q = '''SELECT * WHERE {
      ?s ?p "SERVICE <http://a.example/>" .   # SERVICE <http://b.example/>
      ?s ?p """long
      SERVICE <http://c.example/> """ .
      ?s <http://d.example/SERVICE> ?o .
      ?s ?p 'SERVICE ?v' .
    }'''
    found = inspect(q)
    assert found.services == [] and found.service_variables == []
    assert not found.is_update


def test_service_variable_is_found():
    assert inspect("SELECT * { SERVICE ?ep { ?s ?p ?o } }").service_variables == ["?ep"]
    assert inspect("SELECT * { service $ep { } }").service_variables == ["$ep"]


def test_update_keywords_are_detected_but_not_in_prefixed_names_or_variables():
    assert inspect("PREFIX ex: <http://e/> INSERT DATA { ex:a ex:b ex:c }").update_keyword == "INSERT"
    assert inspect("load <http://x.example/data.ttl>").loads == ["http://x.example/data.ttl"]
    assert inspect("WITH <http://g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }").is_update
    q = inspect("PREFIX ex: <http://e/> SELECT ?delete WHERE { ?delete ex:insert ?load }")
    assert not q.is_update and q.form == "SELECT"


def test_less_than_is_not_an_iri():
    found = inspect("SELECT * { ?a ?p ?b FILTER(?a < ?b) SERVICE <http://x.example/s> { } }")
    assert found.services == ["http://x.example/s"]


def test_from_is_reported_as_a_dataset_clause():
    assert inspect("SELECT * FROM <file:///etc/passwd> { ?s ?p ?o }").has_dataset_clause
    assert not inspect("SELECT * { ?s ?p ?o }").has_dataset_clause


# ---- the allow-list decision (no traffic: the resolver is a stub)

def resolver(table):
    return lambda host: table[host]


def test_unlisted_service_is_refused_with_a_how_to():
    with pytest.raises(UnsafeQuery) as e:
        check_services(inspect("SELECT * { SERVICE <https://query.wikidata.org/sparql> { } }"), [])
    msg = str(e.value)
    assert "https://query.wikidata.org/sparql" in msg
    assert "--allow-service https://query.wikidata.org/sparql" in msg


def test_listed_service_is_allowed_even_on_loopback():
    assert target_allowed("http://127.0.0.1:8000/sparql", ["http://127.0.0.1:8000/sparql"])[0]


def test_wildcard_allows_only_public_addresses():
    table = {"query.wikidata.org": ["208.80.154.224"], "intranet.example": ["10.1.2.3"],
             "localhost": ["127.0.0.1", "::1"], "metadata.example": ["169.254.169.254"],
             "mixed.example": ["93.184.215.14", "192.168.1.1"], "v6.example": ["::ffff:127.0.0.1"]}
    r = resolver(table)
    assert target_allowed("https://query.wikidata.org/sparql", ["*"], r) == (True, "public address")
    for host in ("intranet.example", "localhost", "metadata.example", "mixed.example", "v6.example"):
        ok, reason = target_allowed(f"http://{host}/sparql", ["*"], r)
        assert not ok, host
        assert "non-public" in reason
    assert not target_allowed("file:///etc/passwd", ["*"], r)[0]
    assert not target_allowed("https://query.wikidata.org/sparql", [], r)[0]


def test_public_address_classification():
    assert is_public_address("8.8.8.8")
    for addr in ("127.0.0.1", "10.0.0.1", "172.16.0.1", "192.168.0.1", "169.254.1.1", "::1", "fe80::1",
                 "0.0.0.0", "224.0.0.1", "fc00::1", "100.64.0.1"):
        assert not is_public_address(addr), addr


def test_service_variable_is_always_refused():
    with pytest.raises(UnsafeQuery, match="never allowed"):
        check_services(inspect("SELECT * { SERVICE ?x { } }"), ["*"])


# ---- over HTTP

def test_service_refused_over_http_without_contacting_the_target(endpoint, recorder):
    q = f"SELECT * WHERE {{ SERVICE <{recorder.url}sparql> {{ ?s ?p ?o }} }}"
    r = requests.get(endpoint.endpoint, params={"query": q})
    assert r.status_code == 400
    assert f"SERVICE <{recorder.url}sparql> is not allowed" in r.text
    assert "--allow-service" in r.text
    r = requests.get(endpoint.endpoint, params={"query": "SELECT * WHERE { SERVICE ?ep { ?s ?p ?o } }"})
    assert r.status_code == 400
    assert recorder.requests == []


def test_allowed_service_is_queried(endpoint, stub_endpoint):
    before = len(stub_endpoint.requests)
    q = f"SELECT ?x WHERE {{ SERVICE <{stub_endpoint.url}sparql> {{ ?x ?p ?o }} }}"
    r = requests.get(endpoint.endpoint, params={"query": q}, headers={"Accept": "application/sparql-results+json"})
    assert r.status_code == 200, r.text
    assert [b["x"]["value"] for b in r.json()["results"]["bindings"]] == ["from the stub endpoint"]
    assert len(stub_endpoint.requests) > before


def test_from_and_from_named_are_never_dereferenced(endpoint, recorder):
    for q in (f"SELECT * FROM <{recorder.url}data.ttl> WHERE {{ ?s ?p ?o }}",
              f"SELECT * FROM NAMED <{recorder.url}named.ttl> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
              "SELECT * FROM <file:///etc/passwd> WHERE { ?s ?p ?o }",
              "SELECT * FROM NAMED <file:///etc/passwd> WHERE { GRAPH ?g { ?s ?p ?o } }"):
        r = requests.get(endpoint.endpoint, params={"query": q})
        assert r.status_code == 200, r.text
        assert r.json()["results"]["bindings"] == [], q
    r = requests.get(endpoint.endpoint, params={"query": "SELECT * { ?s ?p ?o }",
                                                "default-graph-uri": recorder.url + "dg.ttl"})
    assert r.json()["results"]["bindings"] == []
    assert recorder.requests == []


def test_undeclared_prefixes_are_found_in_use_order_and_not_in_strings_iris_or_comments():
    q = ('PREFIX ikg: <https://w3id.org/idlib-kg/ontology#>\n'
         'SELECT * WHERE { ?s ikg:target ?o ; sem:hasPlace <urn:x:y> . ?o rdfs:label "geo:no" }  # owl:no\n')
    assert undeclared_prefixes(q) == ["sem", "rdfs"]
    assert undeclared_prefixes("SELECT * WHERE { ?s a :Thing }") == [""]  # the empty prefix too
    assert undeclared_prefixes("PREFIX : <x:> SELECT * WHERE { ?s a :Thing }") == []


def test_an_undeclared_prefix_error_names_the_prefix_and_the_line_to_add():
    engine = "error at 1:28: expected one of Prefix not found, ['%'], ['-' | '0' ..= '9' ..."
    text = explain_syntax_error("SELECT * WHERE { ?s ikg:target ex:o }", engine)
    assert text.startswith("error at 1:28: the prefix ikg:, ex: are not declared")
    assert "PREFIX ikg: <https://w3id.org/idlib-kg/ontology#>" in text  # a project prefix: its namespace
    assert "PREFIX ex: <namespace IRI>" in text
    assert "['%']" not in text
    other = "error at 1:3: expected one of LATERAL, SERVICE"
    assert explain_syntax_error("SELECT * WHERE { ?s ?p }", other) == other  # other errors as the engine says


def test_an_undeclared_prefix_is_named_even_where_the_engine_stops_before_saying_so():
    # a short name stops the engine's parse earlier, with a message that names no prefix
    text = explain_syntax_error("ASK { ex:s ?p ?o }", "error at 1:15: expected OPTIONAL")
    assert text.startswith("error at 1:15: the prefix ex: is not declared; add at the top: PREFIX ex: <namespace IRI>")
    assert "(the parser stopped with: error at 1:15: expected OPTIONAL)" in text


def test_a_broken_iri_or_a_name_after_where_the_engine_stopped_is_not_blamed():
    broken_iri = "error at 1:48: expected IRI parsing failed"
    query = "SELECT * WHERE { ?s ?p <http://example.org/a b> }"
    assert explain_syntax_error(query, broken_iri) == broken_iri  # `http:` there is no prefix
    stopped = "error at 2:3: expected one of LATERAL, SERVICE"
    assert explain_syntax_error("SELECT * WHERE {\n  ?s ?p }\n# fine\nex:after", stopped) == stopped
    assert undeclared_prefixes("ASK { a:x b:y }", before=10) == ["a"]


def test_thousands_of_undeclared_prefixes_get_a_short_answer_in_linear_time():
    query = "SELECT * WHERE { ?s ?p ?o } " + " ".join(f"p{i}:" for i in range(50_000))
    assert len(undeclared_prefixes(query)) == 50_000  # the list check was quadratic: 19 s at 60,000
    text = explain_syntax_error(query, "error at 1:30: expected one of Prefix not found")
    assert "p0:, p1:" in text and "and 49,990 more are not declared" in text
    assert len(text) < 1_000
    assert undeclared_prefixes("SELECT * WHERE { ?s ex.:p ?o }") == []  # no prefix ends with a dot


@pytest.mark.parametrize("text", [
    "PREFIX sd: <http://www.w3.org/ns/sparql-service-description#>\nSELECT ?s WHERE { ?s a sd:Service }",
    "SELECT * WHERE { ?s <http://example.org/downloads#a> ?o . ?s <http://schema.org/serviceType> 'customer service' }",
    "PREFIX schema: <http://schema.org/> SELECT ?load WHERE { ?x schema:serviceArea ?load } # load it all",
    "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s <http://e/#p> ?o } FILTER(?o < 3) }",
    "LOAD SILENT <http://example.org/x#y> INTO GRAPH <http://example.org/g>",
    # a quote or '#' in an IRI, then the words in strings: another reading sees them as code,
    # but nothing the engine would run (no endpoint after the keyword)
    "SELECT * { <http://dbpedia.org/resource/Ireland's_Call> ?p ?o FILTER(CONTAINS(STR(?o), 'download')) }",
    "SELECT * { VALUES ?s { <http://dbpedia.org/resource/O'Brien> } ?s <http://e/abstract> 'Customer service' }",
    "SELECT * { VALUES ?s { <http://dbpedia.org/resource/O'Brien> } ?s <http://e/x> 'services downloaded' }",
    'INSERT DATA { <http://e/s> <http://www.w3.org/2000/01/rdf-schema#comment> """One.\nWe offer a download service.""" }',
    "PREFIX ex: <http://e/> SELECT * { ?s ex:load.balancer ?b ; ex:a.b.c ?c }",
])
def test_service_and_load_written_plainly_are_not_taken_for_hidden_ones(text):
    assert inspect(text).hidden_outbound is None


@pytest.mark.parametrize("text", [
    "PREFIX : <http://e/> SELECT * { SERVICE:x { } }",            # the engine: SERVICE :x
    "SELECT * { ?s ?p trueSERVICE<http://e/>{ } }",                # the engine: true SERVICE <...>
    "INSERT DATA { } ; LOADSILENT<http://e/x>",                    # the engine: LOAD SILENT <...>
    "SELECT * { FILTER(1<'>') SERVICE <http://e/> { } } #'",       # the engine: 1 < '>'
    "SELECT * { ?a ?b ?c FILTER(?a<?b)#>'''\nSERVICE <http://e/> { } #'''\n}",
    "PREFIX ex: <http://e/> SELECT * { ?s ?p ex:a.b.SERVICE <http://e/> { } }",  # ex:a.b . SERVICE
    "PREFIX ex: <http://e/> SELECT * { ?s ?p ex:.SERVICE <http://e/> { } }",     # ex: . SERVICE
    "SELECT * { FILTER(1<'>') ?s ?p trueSERVICE <http://e/> { } } #'",           # both at once
])
def test_a_service_or_load_the_engine_would_read_is_never_hidden(text):
    assert inspect(text).hidden_outbound
