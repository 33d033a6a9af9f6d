"""Choosing the response format: Accept (q-values, wildcards), `format`, query form."""

from __future__ import annotations

import pytest
import requests

from idlib_kg.description import DESCRIPTION_FORMATS
from idlib_kg.negotiation import (BadFormat, GRAPH_FORMATS, NotAcceptable, RESULT_FORMATS, choose,
                                  choose_for_query, parse_accept)

SELECT = "SELECT ?name WHERE { ?p <http://xmlns.com/foaf/0.1/name> ?name } ORDER BY ?name"
CONSTRUCT = "CONSTRUCT { ?p <http://example.org/called> ?name } WHERE { ?p <http://xmlns.com/foaf/0.1/name> ?name }"


@pytest.mark.parametrize("accept, form, key", [
    (None, "SELECT", "json"),
    ("*/*", "SELECT", "json"),
    ("*/*", "CONSTRUCT", "turtle"),
    ("application/sparql-results+xml", "SELECT", "xml"),
    ("application/rdf+xml, application/sparql-results+xml", "SELECT", "xml"),
    ("application/rdf+xml, application/sparql-results+xml", "CONSTRUCT", "rdfxml"),
    ("application/rdf+xml, application/sparql-results+xml", "ASK", "xml"),
    ("application/sparql-results+json,*/*;q=0.9", "SELECT", "json"),
    ("application/n-triples,*/*;q=0.9", "CONSTRUCT", "ntriples"),
    ("application/n-triples,*/*;q=0.9", "SELECT", "json"),
    ("text/csv;q=0.5, text/tab-separated-values", "SELECT", "tsv"),
    ("text/csv, text/tab-separated-values;q=0.4", "SELECT", "csv"),
    ("application/sparql-results+json;q=1.0, application/sparql-results+xml;q=0.7", "SELECT", "json"),
    ("text/*", "SELECT", "csv"),
    ("text/*", "DESCRIBE", "turtle"),
    ("application/x-turtle", "CONSTRUCT", "turtle"),
    ("application/ld+json", "CONSTRUCT", "jsonld"),
    ("application/json", "SELECT", "json"),
    ("application/json", "CONSTRUCT", "jsonld"),  # plain JSON for a graph: JSON-LD, as format=json
    # media-type parameters do not change the format meant
    ("application/sparql-results+json; charset=utf-8", "SELECT", "json"),
    ("text/csv;charset=utf-8;q=0.9, application/sparql-results+xml;q=0.5", "SELECT", "csv"),
    ('application/ld+json; profile="http://www.w3.org/ns/json-ld#compacted"', "CONSTRUCT", "jsonld"),
    ("text/turtle; charset=utf-8;q=0.2, application/n-triples;q=0.3", "CONSTRUCT", "ntriples"),
    ("text/csv; charset=utf-8;q=0, text/tab-separated-values;q=0.1", "SELECT", "tsv"),
    # generic XML for a graph query is RDF/XML
    ("application/xml", "DESCRIBE", "rdfxml"),
    ("text/xml", "CONSTRUCT", "rdfxml"),
    ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "CONSTRUCT", "rdfxml"),
])
def test_accept_header_picks_the_format(accept, form, key):
    assert choose_for_query(form, parse_accept(accept)).key == key


def test_content_type_is_what_the_client_asked_for():
    assert choose_for_query("SELECT", parse_accept("application/json")).content_type.startswith("application/json")
    assert choose_for_query("CONSTRUCT", parse_accept("application/x-turtle")).content_type.startswith(
        "application/x-turtle")


def test_json_ld_is_labelled_json_ld_whatever_json_was_asked_for():
    for accept in ("application/json", "application/ld+json"):
        assert choose_for_query("CONSTRUCT", parse_accept(accept)).content_type == "application/ld+json; charset=utf-8"
    assert choose(DESCRIPTION_FORMATS, parse_accept("application/json")).content_type.startswith("application/ld+json")
    assert choose(DESCRIPTION_FORMATS, parse_accept("application/json"), "application/json").key == "jsonld"


def test_sparql_results_xml_is_no_graph_format():
    with pytest.raises(NotAcceptable):
        choose_for_query("CONSTRUCT", parse_accept("application/sparql-results+xml"))


def test_unsupported_accept_is_not_acceptable_and_lists_offers():
    with pytest.raises(NotAcceptable) as e:
        choose_for_query("SELECT", parse_accept("image/png"))
    assert "application/sparql-results+json" in str(e.value)
    with pytest.raises(NotAcceptable):
        choose_for_query("SELECT", parse_accept("text/turtle"))  # a graph type for a SELECT


def test_format_parameter_overrides_accept():
    assert choose(RESULT_FORMATS, parse_accept("application/sparql-results+xml"), "csv").key == "csv"
    assert choose(GRAPH_FORMATS, parse_accept("text/turtle"), "ntriples").key == "ntriples"
    assert choose(RESULT_FORMATS, parse_accept(None), "text/tab-separated-values").key == "tsv"
    with pytest.raises(BadFormat):
        choose(RESULT_FORMATS, parse_accept(None), "turtle")
    with pytest.raises(BadFormat):
        choose(GRAPH_FORMATS, parse_accept(None), "csv")


def test_format_xml_and_json_mean_rdf_for_graph_queries():
    assert choose(GRAPH_FORMATS, parse_accept(None), "xml").key == "rdfxml"
    assert choose(GRAPH_FORMATS, parse_accept(None), "json").key == "jsonld"
    assert choose(RESULT_FORMATS, parse_accept(None), "xml").key == "xml"


# ---- over HTTP

def test_http_q_values_choose_tsv(endpoint):
    r = requests.get(endpoint.endpoint, params={"query": SELECT},
                     headers={"Accept": "text/csv;q=0.2, text/tab-separated-values;q=0.8"})
    assert r.headers["Content-Type"].startswith("text/tab-separated-values")
    assert r.text.splitlines() == ["?name", '"Alice"', '"Bob"@en']


def test_http_csv(endpoint):
    r = requests.get(endpoint.endpoint, params={"query": SELECT}, headers={"Accept": "text/csv"})
    assert r.headers["Content-Type"].startswith("text/csv")
    assert r.text.splitlines() == ["name", "Alice", "Bob"]


def test_http_xml_for_sparqlwrapper_style_accept(endpoint):
    r = requests.get(endpoint.endpoint, params={"query": SELECT},
                     headers={"Accept": "application/rdf+xml, application/sparql-results+xml"})
    assert r.headers["Content-Type"].startswith("application/sparql-results+xml")
    assert "<literal>Alice</literal>" in r.text


def test_http_construct_formats(endpoint):
    nt = requests.get(endpoint.endpoint, params={"query": CONSTRUCT}, headers={"Accept": "application/n-triples"})
    assert nt.headers["Content-Type"].startswith("application/n-triples")
    assert '<http://example.org/alice> <http://example.org/called> "Alice" .' in nt.text.splitlines()
    ttl = requests.get(endpoint.endpoint, params={"query": CONSTRUCT}, headers={"Accept": "*/*"})
    assert ttl.headers["Content-Type"].startswith("text/turtle")
    jl = requests.get(endpoint.endpoint, params={"query": CONSTRUCT, "format": "jsonld"})
    assert jl.headers["Content-Type"].startswith("application/ld+json")
    assert "Alice" in jl.text and jl.json()
    rx = requests.get(endpoint.endpoint, params={"query": CONSTRUCT},
                      headers={"Accept": "application/rdf+xml, application/sparql-results+xml"})
    assert rx.headers["Content-Type"].startswith("application/rdf+xml")
    assert "rdf:RDF" in rx.text


def test_http_format_parameter(endpoint):
    r = requests.get(endpoint.endpoint, params={"query": SELECT, "format": "csv"}, headers={"Accept": "text/turtle"})
    assert r.status_code == 200
    assert r.text.splitlines()[0] == "name"


def test_http_406_for_unsupported_accept(endpoint):
    r = requests.get(endpoint.endpoint, params={"query": SELECT}, headers={"Accept": "image/png"})
    assert r.status_code == 406
    assert "text/csv" in r.text


def test_http_400_for_a_format_of_the_wrong_family(endpoint):
    r = requests.get(endpoint.endpoint, params={"query": SELECT, "format": "turtle"})
    assert r.status_code == 400
    assert "format='turtle'" in r.text


def test_http_accept_with_parameters_is_honoured_on_queries_and_documents(endpoint):
    r = requests.get(endpoint.endpoint, params={"query": "ASK {}"},
                     headers={"Accept": "application/sparql-results+json; charset=utf-8"})
    assert r.status_code == 200 and r.json()["boolean"] is True
    profile = 'application/ld+json; profile="http://www.w3.org/ns/json-ld#compacted"'
    doc = requests.get(endpoint.url + "id/turkey", headers={"Accept": profile})
    assert doc.status_code == 200 and doc.headers["Content-Type"].startswith("application/ld+json")
    assert "@context" in doc.json()


def test_a_browsers_xml_types_never_outrank_its_html_on_the_pages():
    from idlib_kg.description import DESCRIPTION_FORMATS
    old_webkit = "application/xml,application/xhtml+xml,text/html;q=0.9,text/plain;q=0.8,image/png,*/*;q=0.5"
    assert choose(DESCRIPTION_FORMATS, parse_accept(old_webkit)).key == "html"
    assert choose_for_query("CONSTRUCT", parse_accept(old_webkit)).key == "rdfxml"  # a query answer: XML
