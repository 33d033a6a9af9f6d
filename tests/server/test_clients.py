"""Real SPARQL clients against the running endpoint: SPARQLWrapper, rdflib's SPARQLStore, roqet."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from prerequisites import require
from rdflib import Graph, Literal, URIRef
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import GET, JSON, POST, POSTDIRECTLY, TURTLE, XML, SPARQLWrapper

NAMES = "SELECT ?name WHERE { ?p <http://xmlns.com/foaf/0.1/name> ?name } ORDER BY ?name"
CONSTRUCT = ("CONSTRUCT { ?p <http://example.org/called> ?name } "
             "WHERE { ?p <http://xmlns.com/foaf/0.1/name> ?name }")
ALICE = URIRef("http://example.org/alice")


@pytest.mark.parametrize("method", [GET, POST])
def test_sparqlwrapper_json(endpoint, method):
    sw = SPARQLWrapper(endpoint.endpoint)
    sw.setMethod(method)
    sw.setQuery(NAMES)
    sw.setReturnFormat(JSON)
    data = sw.query().convert()
    assert [b["name"]["value"] for b in data["results"]["bindings"]] == ["Alice", "Bob"]
    assert data["results"]["bindings"][1]["name"]["xml:lang"] == "en"


def test_sparqlwrapper_post_directly(endpoint):
    sw = SPARQLWrapper(endpoint.endpoint)
    sw.setMethod(POST)
    sw.setRequestMethod(POSTDIRECTLY)
    sw.setQuery(NAMES)
    sw.setReturnFormat(JSON)
    assert [b["name"]["value"] for b in sw.query().convert()["results"]["bindings"]] == ["Alice", "Bob"]


def test_sparqlwrapper_default_xml(endpoint):
    sw = SPARQLWrapper(endpoint.endpoint)
    sw.setQuery(NAMES)
    sw.setReturnFormat(XML)
    doc = sw.query().convert()  # an xml.dom.minidom Document
    literals = [n.firstChild.data for n in doc.getElementsByTagName("literal")]
    assert literals == ["Alice", "Bob"]


def test_sparqlwrapper_ask(endpoint):
    sw = SPARQLWrapper(endpoint.endpoint)
    sw.setQuery("ASK { ?p <http://xmlns.com/foaf/0.1/name> \"Alice\" }")
    sw.setReturnFormat(JSON)
    assert sw.query().convert()["boolean"] is True


def test_sparqlwrapper_construct_turtle(endpoint):
    sw = SPARQLWrapper(endpoint.endpoint)
    sw.setQuery(CONSTRUCT)
    sw.setReturnFormat(TURTLE)
    body = sw.query().convert()
    g = Graph().parse(data=body, format="turtle")
    assert set(g.objects(ALICE, URIRef("http://example.org/called"))) == {Literal("Alice")}
    assert len(g) == 2


def test_sparqlwrapper_construct_default_rdfxml(endpoint):
    sw = SPARQLWrapper(endpoint.endpoint)
    sw.setQuery(CONSTRUCT)
    g = sw.query().convert()  # rdflib Graph parsed from RDF/XML
    assert len(g) == 2
    assert (ALICE, URIRef("http://example.org/called"), Literal("Alice")) in g


def test_rdflib_sparqlstore_select_and_construct(endpoint):
    store = SPARQLStore(endpoint.endpoint)
    g = Graph(store)
    rows = list(g.query(NAMES))
    assert [str(r.name) for r in rows] == ["Alice", "Bob"]
    assert rows[1].name == Literal("Bob", lang="en")
    constructed = g.query(CONSTRUCT).graph
    assert (ALICE, URIRef("http://example.org/called"), Literal("Alice")) in constructed
    assert g.query("ASK { ?s <http://xmlns.com/foaf/0.1/knows> <http://example.org/bob> }").askAnswer is True


def test_roqet(endpoint):
    require(shutil.which("roqet") is not None, "roqet (Debian rasqal-utils) is not installed")
    out = subprocess.run(["roqet", "-p", endpoint.endpoint, "-e", NAMES, "-r", "csv"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    lines = [line.strip() for line in out.stdout.strip().splitlines()]
    assert lines[0] == "name"
    assert lines[1:] == ["Alice", "Bob"]
