"""The Service Description: RDF by negotiation, HTML for browsers, triple counts per graph."""

from __future__ import annotations

import requests
from flask import Flask
from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import RDF

from idlib_kg.description import GraphInfo, render_html

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
VOID = Namespace("http://rdfs.org/ns/void#")


def test_description_in_turtle(endpoint):
    r = requests.get(endpoint.endpoint, headers={"Accept": "text/turtle"})
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/turtle")
    g = Graph().parse(data=r.text, format="turtle")
    service = g.value(predicate=RDF.type, object=SD.Service)
    assert g.value(service, SD.endpoint) == URIRef(endpoint.endpoint)
    assert (service, SD.feature, SD.UnionDefaultGraph) in g
    assert (service, SD.feature, SD.BasicFederatedQuery) in g  # a SERVICE is allowed here
    assert (service, SD.resultFormat, URIRef("http://www.w3.org/ns/formats/SPARQL_Results_CSV")) in g
    counts = {}
    for ng in g.objects(g.value(service, SD.defaultDataset), SD.namedGraph):
        counts[str(g.value(ng, SD.name))] = g.value(g.value(ng, SD.graph), VOID.triples).toPython()
    assert counts["https://w3id.org/idlib-kg/graph/loaded/people.nt"] == 3
    assert counts["http://example.org/graph/events"] == 3
    assert counts["https://w3id.org/idlib-kg/graph/loaded/many.nt"] == 1500
    default = g.value(g.value(service, SD.defaultDataset), SD.defaultGraph)
    assert g.value(default, VOID.triples).toPython() == sum(counts.values())


def test_description_default_is_turtle_and_other_formats_work(endpoint):
    assert requests.get(endpoint.endpoint).headers["Content-Type"].startswith("text/turtle")
    r = requests.get(endpoint.endpoint, headers={"Accept": "application/ld+json"})
    assert r.headers["Content-Type"].startswith("application/ld+json")
    assert r.json()


def test_description_in_html_for_browsers(endpoint):
    accept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    r = requests.get(endpoint.endpoint, headers={"Accept": accept})
    assert r.headers["Content-Type"].startswith("text/html")
    assert "https://w3id.org/idlib-kg/graph/loaded/people.nt" in r.text
    assert "<td>1,500</td>" in r.text


def test_html_is_escaped():
    app = Flask("idlib_kg")  # the package's templates, without its routes: links are stand-ins
    app.jinja_env.globals["url_for"] = lambda endpoint, **values: f"/{endpoint}"
    with app.app_context():
        html = render_html("http://x/sparql?a=<b>", [GraphInfo("http://e/<script>alert(1)</script>", 1)],
                           "/", None)
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
