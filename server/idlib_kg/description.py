"""SPARQL 1.1 Service Description of the endpoint (https://www.w3.org/TR/sparql11-service-description/).

Returned for GET /sparql without a query: RDF by negotiation (Turtle by default), or a small
HTML page for browsers. The default graph is described as the union of the named graphs
(sd:UnionDefaultGraph), each named graph with its triple count (void:triples).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from flask import render_template_string
from pyoxigraph import BlankNode, Literal, NamedNode, Triple

from idlib_kg import __version__
from idlib_kg.executor import PREFIXES
from idlib_kg.negotiation import GRAPH_FORMATS, JSON_LD, RESULT_FORMATS, Format
from idlib_kg.serialization import serialize_graph

SD = "http://www.w3.org/ns/sparql-service-description#"
VOID = "http://rdfs.org/ns/void#"
RDF_TYPE = NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
DCT = "http://purl.org/dc/terms/"
XSD_INTEGER = NamedNode("http://www.w3.org/2001/XMLSchema#integer")
FORMAT_IRIS = {
    "json": "http://www.w3.org/ns/formats/SPARQL_Results_JSON",
    "xml": "http://www.w3.org/ns/formats/SPARQL_Results_XML",
    "csv": "http://www.w3.org/ns/formats/SPARQL_Results_CSV",
    "tsv": "http://www.w3.org/ns/formats/SPARQL_Results_TSV",
    "turtle": "http://www.w3.org/ns/formats/Turtle",
    "ntriples": "http://www.w3.org/ns/formats/N-Triples",
    "rdfxml": "http://www.w3.org/ns/formats/RDF_XML",
    "jsonld": "http://www.w3.org/ns/formats/JSON-LD",
}

# Formats of the description itself: RDF, plus HTML for people.
HTML = Format("html", "text/html", ("application/xhtml+xml",), None)
#: the documents' formats (Service Description, VoID, /id/, /ontology, /graph/): the graph formats
#: (plain `application/json` meaning JSON-LD) and HTML
DESCRIPTION_FORMATS = {**GRAPH_FORMATS, "jsonld": JSON_LD, "html": HTML}


@dataclass
class GraphInfo:
    name: str
    triples: int


def describe(endpoint: str, graphs: list[GraphInfo], *, update_endpoint: str | None = None,
             federated: bool = False) -> list[Triple]:
    def sd(term: str) -> NamedNode:
        return NamedNode(SD + term)

    def count(n: int) -> Literal:
        return Literal(str(n), datatype=XSD_INTEGER)

    service = BlankNode("service")
    dataset = BlankNode("dataset")
    default_graph = BlankNode("defaultGraph")
    t = [
        Triple(service, RDF_TYPE, sd("Service")),
        Triple(service, sd("endpoint"), NamedNode(endpoint)),
        Triple(service, sd("supportedLanguage"), sd("SPARQL11Query")),
        Triple(service, sd("feature"), sd("UnionDefaultGraph")),
        Triple(service, sd("feature"), sd("EmptyGraphs")),
        Triple(service, NamedNode(DCT + "title"), Literal("idlib-kg SPARQL endpoint")),
        Triple(service, NamedNode(DCT + "hasVersion"), Literal(__version__)),
        Triple(service, sd("defaultDataset"), dataset),
        Triple(dataset, RDF_TYPE, sd("Dataset")),
        Triple(dataset, sd("defaultGraph"), default_graph),
        Triple(default_graph, RDF_TYPE, sd("Graph")),
        Triple(default_graph, NamedNode(DCT + "description"),
               Literal("The default graph is the union of all the named graphs.", language="en")),
        Triple(default_graph, NamedNode(VOID + "triples"), count(sum(g.triples for g in graphs))),
    ]
    datasets = [dataset]
    if update_endpoint:  # a service of its own: /sparql answers queries only
        updates = BlankNode("updateService")
        update_dataset, update_default = BlankNode("updateDataset"), BlankNode("updateDefaultGraph")
        datasets.append(update_dataset)  # the same named graphs, another default graph
        t += [Triple(updates, RDF_TYPE, sd("Service")),
              Triple(updates, sd("endpoint"), NamedNode(update_endpoint)),
              Triple(updates, sd("supportedLanguage"), sd("SPARQL11Update")),
              Triple(updates, sd("defaultDataset"), update_dataset),
              Triple(update_dataset, RDF_TYPE, sd("Dataset")),
              Triple(update_dataset, sd("defaultGraph"), update_default),
              Triple(update_default, RDF_TYPE, sd("Graph")),
              Triple(update_default, NamedNode(DCT + "description"), Literal(
                  "The store's own default graph, not the union of the named graphs that queries "
                  "see (SPARQL Update has no union default graph).", language="en")),
              Triple(updates, NamedNode(DCT + "title"), Literal("idlib-kg SPARQL update endpoint")),
              Triple(updates, NamedNode(DCT + "description"), Literal(
                  "Needs Authorization: Bearer TOKEN. An update without GRAPH, WITH or USING "
                  "writes and matches the store's own default graph, not the union of the named "
                  "graphs that queries see: name the graph to change it.", language="en"))]
    if federated:
        t.append(Triple(service, sd("feature"), sd("BasicFederatedQuery")))
    for key in (*RESULT_FORMATS, *GRAPH_FORMATS):
        t.append(Triple(service, sd("resultFormat"), NamedNode(FORMAT_IRIS[key])))
    for i, g in enumerate(sorted(graphs, key=lambda g: g.name)):
        ng, gr = BlankNode(f"ng{i}"), BlankNode(f"g{i}")
        t += [Triple(d, sd("namedGraph"), ng) for d in datasets]
        t += [
            Triple(ng, RDF_TYPE, sd("NamedGraph")),
            Triple(ng, sd("name"), NamedNode(g.name)),
            Triple(ng, sd("graph"), gr),
            Triple(gr, RDF_TYPE, sd("Graph")),
            Triple(gr, NamedNode(VOID + "triples"), count(g.triples)),
        ]
    return t


def serialize_description(triples: list[Triple], fmt: Format) -> bytes:
    return serialize_graph(triples, fmt.oxigraph, PREFIXES)


HTML_TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>idlib-kg SPARQL endpoint</title></head>
<body>
{% from "site_nav.html" import site_links %}<nav>{{ site_links(" · ") }}</nav>
<h1>idlib-kg SPARQL endpoint</h1>
<p>This is a <a href="https://www.w3.org/TR/sparql11-protocol/">SPARQL 1.1 Protocol</a> endpoint:
<code>{{ endpoint }}</code>. Send a query with <code>?query=</code> (GET) or POST it.
<a href="{{ ui }}">Query form</a>.</p>
<p>The default graph is the union of the named graphs below.
Result formats: {{ formats|join(", ") }}.
Ask for this description as <a href="?format=turtle">Turtle</a>.</p>
<table>
<tr><th>Named graph</th><th>Triples</th></tr>
{% for g, href in graphs %}<tr><td>{% if href %}<a href="{{ href }}"><code>{{ g.name }}</code></a>{% else %}<code>{{ g.name }}</code>{% endif %}</td><td>{{ "{:,}".format(g.triples) }}</td></tr>
{% endfor %}</table>
{% if update_endpoint %}<p>Updates (authenticated): <code>{{ update_endpoint }}</code></p>{% endif %}
</body></html>
"""


def render_html(endpoint: str, graphs: list[GraphInfo], ui: str, update_endpoint: str | None,
                graph_href: Callable[[str], str | None] = lambda name: None) -> str:
    """The page for browsers (in a request: its links come from url_for, so they keep a proxy's
    prefix); graph_href gives a named graph's page (linkeddata.local_href)."""
    formats = [f.media_type for f in (*RESULT_FORMATS.values(), *GRAPH_FORMATS.values())]
    return render_template_string(HTML_TEMPLATE, endpoint=endpoint, ui=ui, formats=formats,
                                  graphs=[(g, graph_href(g.name)) for g in sorted(graphs, key=lambda g: g.name)],
                                  update_endpoint=update_endpoint)
