"""Graph answers: JSON-LD compacted with an @context, the same triples as every other format."""

from __future__ import annotations

import json

import pyoxigraph as ox
import pytest
import requests
from rdflib import Graph
from rdflib.compare import isomorphic

from idlib_kg import resources
from idlib_kg.serialization import compact_jsonld, serialize_graph
from idlib_kg.vocab import NAMESPACES

ONTOLOGY = resources.ontology_dir() / "idlib-kg.ttl"


def _ox_graph(data: bytes, fmt: ox.RdfFormat) -> Graph:
    """Parse with pyoxigraph (an implementation other than the rdflib that wrote the JSON-LD)."""
    nt = ox.serialize(ox.parse(data, format=fmt), format=ox.RdfFormat.N_TRIPLES)
    return Graph().parse(data=nt.decode(), format="nt")


def test_compacted_jsonld_expands_to_the_same_triples_blank_nodes_included():
    triples = list(ox.parse(path=str(ONTOLOGY), format=ox.RdfFormat.TURTLE))
    assert any(isinstance(t.object, ox.BlankNode) for t in triples)  # restrictions, lists
    doc = compact_jsonld(triples)
    expected = Graph().parse(ONTOLOGY, format="turtle")
    assert isomorphic(_ox_graph(doc, ox.RdfFormat.JSON_LD), expected)


def test_context_holds_the_namespaces_used_and_iris_are_compact():
    s, p, o = (ox.NamedNode(NAMESPACES["ikr"] + "russia"), ox.NamedNode(NAMESPACES["owl"] + "sameAs"),
               ox.NamedNode(NAMESPACES["wd"] + "Q159"))
    doc = json.loads(compact_jsonld([ox.Triple(s, p, o)]))
    assert doc["@context"] == {k: NAMESPACES[k] for k in ("ikr", "owl", "wd")}
    assert doc["@id"] == "ikr:russia" and doc["owl:sameAs"] == {"@id": "wd:Q159"}


XSD = "http://www.w3.org/2001/XMLSchema#"


def test_literals_keep_their_lexical_form_and_datatype():
    """rdflib's JSON-LD writer made these JSON numbers and booleans (2.0E0 -> 2.0, 01 -> 1,
    NaN: not JSON at all). Compared term for term as pyoxigraph reads them, not through
    rdflib, which would normalize them the same way on both sides."""
    s, p = ox.NamedNode(NAMESPACES["ikr"] + "x"), ox.NamedNode(NAMESPACES["ikg"] + "statedValue")
    objects = [ox.Literal(v, datatype=ox.NamedNode(XSD + d)) for v, d in (
        ("NaN", "double"), ("2.0E0", "double"), ("01", "integer"), ("+5", "integer"),
        ("1", "boolean"), ("-INF", "float"), ("2020-02-28", "date"))]
    objects += [ox.Literal("33 Turkish soldiers", language="en"), ox.Literal("plain"), ox.Literal(""),
                ox.NamedNode(NAMESPACES["ikr"] + "article/text#char=0,66"), ox.BlankNode("b1")]
    triples = [ox.Triple(s, p, o) for o in objects]
    triples += [ox.Triple(s, ox.NamedNode(NAMESPACES["rdf"] + "type"), ox.NamedNode(NAMESPACES["ikg"] + "State")),
                ox.Triple(ox.BlankNode("b1"), ox.NamedNode(NAMESPACES["rdf"] + "type"), ox.BlankNode("c"))]
    doc = compact_jsonld(triples)
    json.loads(doc)  # strict JSON: no NaN or Infinity tokens
    back = list(ox.parse(doc, format=ox.RdfFormat.JSON_LD))
    assert ox.serialize(back, format=ox.RdfFormat.N_TRIPLES).count(b"\n") == len(triples)
    assert {str(t) for t in back if not isinstance(t.subject, ox.BlankNode) and not isinstance(t.object, ox.BlankNode)} == \
        {str(t) for t in triples if not isinstance(t.subject, ox.BlankNode) and not isinstance(t.object, ox.BlankNode)}


def test_an_iri_whose_scheme_is_one_of_our_prefixes_is_not_read_as_a_compact_iri():
    """geo:37.78,-122.39 (RFC 5870) beside GeoSPARQL terms: with "geo" in the @context a
    JSON-LD processor would expand it through that prefix, so "geo" is left out."""
    s = ox.NamedNode(NAMESPACES["ikr"] + "idlib")
    triples = [ox.Triple(s, ox.NamedNode(NAMESPACES["geo"] + "hasGeometry"), ox.NamedNode("geo:35.93,36.63")),
               ox.Triple(s, ox.NamedNode(NAMESPACES["rdfs"] + "label"), ox.Literal("Idlib"))]
    doc = json.loads(compact_jsonld(triples))
    assert "geo" not in doc["@context"] and doc["@id"] == "ikr:idlib"
    back = list(ox.parse(json.dumps(doc).encode(), format=ox.RdfFormat.JSON_LD))
    assert {str(t) for t in back} == {str(t) for t in triples}


def test_triple_terms_in_jsonld_are_a_clear_error_and_turtle_holds_them():
    inner = ox.Triple(ox.NamedNode("http://example.org/a"), ox.NamedNode("http://example.org/b"),
                      ox.NamedNode("http://example.org/c"))
    t = ox.Triple(ox.NamedNode("http://example.org/s"), ox.NamedNode("http://example.org/p"), inner)
    with pytest.raises(ValueError, match="cannot be written as JSON-LD.*Turtle"):
        compact_jsonld([t])
    assert b"<<( <http://example.org/a>" in serialize_graph([t], ox.RdfFormat.TURTLE)


def test_construct_of_a_triple_term_as_jsonld_is_a_400_that_says_which_formats_work(endpoint):
    query = ("CONSTRUCT { <http://example.org/s> <http://example.org/p> "
             "<<( <http://example.org/a> <http://example.org/b> <http://example.org/c> )>> } WHERE {}")
    r = requests.post(endpoint.endpoint, data={"query": query}, headers={"Accept": "application/ld+json"})
    assert r.status_code == 400 and "JSON-LD" in r.text and "Turtle" in r.text
    ok = requests.post(endpoint.endpoint, data={"query": query}, headers={"Accept": "text/turtle"})
    assert ok.status_code == 200 and "<<(" in ok.text


def test_other_formats_are_pyoxigraphs_with_prefixes():
    t = ox.Triple(ox.NamedNode(NAMESPACES["ikr"] + "a"), ox.NamedNode(NAMESPACES["rdfs"] + "label"),
                  ox.Literal("A"))
    ttl = serialize_graph([t], ox.RdfFormat.TURTLE, {"rdfs": NAMESPACES["rdfs"]})
    assert b"@prefix rdfs:" in ttl and b"rdfs:label" in ttl
    assert serialize_graph([t], ox.RdfFormat.N_TRIPLES) == ox.serialize([t], format=ox.RdfFormat.N_TRIPLES)


def test_construct_as_jsonld_has_a_context_and_the_triples_of_ntriples(endpoint):
    query = ("CONSTRUCT { ?s ?p ?o } WHERE { ?s a <https://w3id.org/idlib-kg/ontology#State> ; ?p ?o }")
    answers = {media: requests.post(endpoint.endpoint, data={"query": query}, headers={"Accept": media})
               for media in ("application/ld+json", "application/n-triples")}
    jsonld, nt = answers["application/ld+json"], answers["application/n-triples"]
    assert jsonld.status_code == 200 and jsonld.headers["Content-Type"].startswith("application/ld+json")
    assert "@context" in jsonld.json()
    assert jsonld.headers["X-Idlib-Rows"] == nt.headers["X-Idlib-Rows"]
    assert isomorphic(_ox_graph(jsonld.content, ox.RdfFormat.JSON_LD),
                      _ox_graph(nt.content, ox.RdfFormat.N_TRIPLES))


def test_service_description_in_jsonld_is_compacted(endpoint):
    r = requests.get(endpoint.endpoint, headers={"Accept": "application/ld+json"})
    doc = r.json()
    assert doc["@context"]["sd"] == NAMESPACES["sd"]
    turtle = requests.get(endpoint.endpoint, headers={"Accept": "text/turtle"})
    assert isomorphic(_ox_graph(r.content, ox.RdfFormat.JSON_LD),
                      _ox_graph(turtle.content, ox.RdfFormat.TURTLE))


@pytest.mark.parametrize("predicate", ["http://example.org/123", "http://example.org/p/"])
def test_rdfxml_refuses_a_predicate_without_an_xml_name_instead_of_writing_broken_xml(predicate):
    """pyoxigraph would write <oxprefix:>, which no XML parser reads."""
    t = ox.Triple(ox.NamedNode("http://example.org/s"), ox.NamedNode(predicate), ox.Literal("x"))
    with pytest.raises(ValueError, match="RDF/XML cannot write the predicate"):
        serialize_graph([t], ox.RdfFormat.RDF_XML)
    ok = ox.Triple(ox.NamedNode("http://example.org/s"), ox.NamedNode("http://example.org/a#b"), ox.Literal("x"))
    import xml.dom.minidom
    xml.dom.minidom.parseString(serialize_graph([ok], ox.RdfFormat.RDF_XML))


def test_construct_as_rdfxml_with_such_a_predicate_is_a_400_naming_other_formats(endpoint):
    query = 'CONSTRUCT { <http://example.org/s> <http://example.org/123> "x" } WHERE {}'
    r = requests.post(endpoint.endpoint, data={"query": query}, headers={"Accept": "application/rdf+xml"})
    assert r.status_code == 400 and "RDF/XML cannot write" in r.text and "Turtle" in r.text


XML_FORBIDDEN = ["\x01", "\x0b", "\x1f", "\ufffe"]


@pytest.mark.parametrize("char", XML_FORBIDDEN)
def test_rdfxml_refuses_a_literal_with_a_character_xml_cannot_carry(char):
    """pyoxigraph writes the character as it is; the document would not parse."""
    t = ox.Triple(ox.NamedNode("http://example.org/s"), ox.NamedNode("http://example.org/p"),
                  ox.Literal(f"a{char}b"))
    with pytest.raises(ValueError, match=f"U\\+{ord(char):04X}"):
        serialize_graph([t], ox.RdfFormat.RDF_XML)
    back = list(ox.parse(serialize_graph([t], ox.RdfFormat.N_TRIPLES), format=ox.RdfFormat.N_TRIPLES))
    assert back[0].object.value == f"a{char}b"  # the formats the message names carry it


def test_rdfxml_keeps_tab_newline_and_carriage_return_which_xml_allows():
    import xml.dom.minidom
    t = ox.Triple(ox.NamedNode("http://example.org/s"), ox.NamedNode("http://example.org/p"),
                  ox.Literal("a\tb\nc\u00e9\U0001F600"))
    doc = xml.dom.minidom.parseString(serialize_graph([t], ox.RdfFormat.RDF_XML))
    assert doc.getElementsByTagName("p")[0].firstChild.data == "a\tb\nc\u00e9\U0001F600"


@pytest.mark.parametrize("char", XML_FORBIDDEN)
def test_xml_results_with_a_character_xml_cannot_carry_are_refused_and_json_carries_it(endpoint, char):
    query = f'SELECT ?x WHERE {{ BIND("a\\u{ord(char):04X}b" AS ?x) }}'
    r = requests.post(endpoint.endpoint, data={"query": query},
                      headers={"Accept": "application/sparql-results+xml"})
    assert r.status_code == 400
    assert f"U+{ord(char):04X}" in r.text and "JSON" in r.text
    assert "the query failed" not in r.text  # the format's limit, not the query's
    ok = requests.post(endpoint.endpoint, data={"query": query},
                       headers={"Accept": "application/sparql-results+json"})
    assert ok.status_code == 200
    assert ok.json()["results"]["bindings"][0]["x"]["value"] == f"a{char}b"
    assert requests.get(endpoint.endpoint, params={"query": "ASK {}"},
                        headers={"Accept": "application/sparql-results+xml"}).status_code == 200
