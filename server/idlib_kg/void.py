"""A VoID description of the dataset (https://www.w3.org/TR/void/) at /.well-known/void and /void.

The dataset BASE + "void#idlib-kg" (BASE the configured base IRI) has: one subset per named
graph (the graph IRI itself, with void:triples and a void:dataDump link to /graph/G), the
vocabularies used (void:vocabulary: namespaces of every predicate and class), its SPARQL
endpoint (this server's /sparql), example resources, its license (CC BY 4.0 for the data; the
quoted article text stays the publisher's), and its links to Wikidata as void:Linksets (one per
link predicate: owl:sameAs, skos:closeMatch) with void:triples counted from the data.
RDF by negotiation (Turtle by default), HTML for browsers.
"""

from __future__ import annotations

import json

from flask import Blueprint, Response, current_app, render_template, request
from pyoxigraph import Literal, NamedNode, Triple

from idlib_kg.description import DESCRIPTION_FORMATS
from idlib_kg.executor import QueryJob
from idlib_kg.negotiation import from_request
from idlib_kg.serialization import serialize_graph
from idlib_kg.vocab import WIKIDATA_LINKS, prefixes

bp = Blueprint("void", __name__)

VOID = "http://rdfs.org/ns/void#"
DCT = "http://purl.org/dc/terms/"
RDF_TYPE = NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
FOAF = "http://xmlns.com/foaf/0.1/"
XSD_INTEGER = NamedNode("http://www.w3.org/2001/XMLSchema#integer")
CC_BY = "https://creativecommons.org/licenses/by/4.0/"
WD = "http://www.wikidata.org/entity/"
EXAMPLES = ("id/attack-2020-02-27", "id/turkey", "id/erdogan", "id/claim-daily-sabah-regime-attack")
PREFIXES = prefixes("void", "dcterms", "foaf", "owl", "skos", "xsd")
VOCABULARY_QUERY = "SELECT DISTINCT ?t WHERE { { ?s ?t ?o } UNION { ?s a ?t } }"


def _rows(query: str) -> list[dict]:
    runtime = current_app.extensions["idlib_kg"]
    result = runtime.executor.run(QueryJob(query, result_format="json", max_rows=100_000))
    return json.loads(result.body)["results"]["bindings"]


def namespace(iri: str) -> str:
    """The vocabulary an IRI belongs to: up to its last "#" or "/", else its last ":" (for
    URNs such as urn:example:p -> urn:example:)."""
    cut = max(iri.rfind("#"), iri.rfind("/"))
    if cut < 0:
        cut = iri.rfind(":")
    return iri[:cut + 1]


def _is_iri(text: str) -> bool:
    try:
        NamedNode(text)
    except ValueError:
        return False
    return True


def describe(base: str, endpoint: str, site: str) -> tuple[list[Triple], dict]:
    """VoID triples, and the same facts as a dict for the HTML page."""
    runtime = current_app.extensions["idlib_kg"]
    graphs = sorted(runtime.graph_counts(), key=lambda g: g.name)
    dataset = NamedNode(base + "void#idlib-kg")
    wikidata = NamedNode(base + "void#wikidata")
    n = lambda v: Literal(str(v), datatype=XSD_INTEGER)  # noqa: E731
    t = [Triple(dataset, RDF_TYPE, NamedNode(VOID + "Dataset")),
         Triple(dataset, NamedNode(DCT + "title"), Literal("idlib-kg", language="en")),
         Triple(dataset, NamedNode(DCT + "description"), Literal(
             "A news article (Daily Sabah, 28 February 2020) on the Idlib airstrikes as linked data: "
             "events, claims and denials, qualified figures and times, each traced to its words.",
             language="en")),
         Triple(dataset, NamedNode(DCT + "license"), NamedNode(CC_BY)),
         Triple(dataset, NamedNode(DCT + "rights"), Literal(
             "Data: CC BY 4.0. The quoted article text is (c) Daily Sabah, quoted for provenance only.",
             language="en")),
         Triple(dataset, NamedNode(VOID + "sparqlEndpoint"), NamedNode(endpoint)),
         Triple(dataset, NamedNode(VOID + "uriSpace"), Literal(base)),
         Triple(dataset, NamedNode(VOID + "triples"), n(sum(g.triples for g in graphs)))]
    for g in graphs:
        node = NamedNode(g.name)
        t += [Triple(dataset, NamedNode(VOID + "subset"), node),
              Triple(node, RDF_TYPE, NamedNode(VOID + "Dataset")),
              Triple(node, NamedNode(VOID + "triples"), n(g.triples))]
        if g.name.startswith(base + "graph/"):  # what /graph/ serves (a --load file may name others)
            t.append(Triple(node, NamedNode(VOID + "dataDump"),
                            NamedNode(site + g.name[len(base):] + "?format=nt")))
    vocab_rows = _rows(VOCABULARY_QUERY if not runtime.backend_mode else (  # backend mode:
        # the dataset's graphs only, not the store's own (Virtuoso's default graph holds them too)
        "SELECT DISTINCT ?t WHERE { VALUES ?g { " + " ".join(f"<{g.name}>" for g in graphs)
        + " } GRAPH ?g { { ?s ?t ?o } UNION { ?s a ?t } } }"))
    # void:vocabulary names an IRI: a namespace that is no IRI on its own ("urn:") is left out
    vocabularies = sorted(v for v in {namespace(r["t"]["value"]) for r in vocab_rows if r["t"]["type"] == "uri"}
                          if _is_iri(v))
    t += [Triple(dataset, NamedNode(VOID + "vocabulary"), NamedNode(v)) for v in vocabularies]
    examples = []
    for ex in EXAMPLES:
        if _rows(f"SELECT ?p WHERE {{ <{base}{ex}> ?p ?o }} LIMIT 1"):
            examples.append(base + ex)
            t.append(Triple(dataset, NamedNode(VOID + "exampleResource"), NamedNode(base + ex)))
    t += [Triple(wikidata, RDF_TYPE, NamedNode(VOID + "Dataset")),
          Triple(wikidata, NamedNode(DCT + "title"), Literal("Wikidata", language="en")),
          Triple(wikidata, NamedNode(FOAF + "homepage"), NamedNode("https://www.wikidata.org/")),
          Triple(wikidata, NamedNode(VOID + "sparqlEndpoint"), NamedNode("https://query.wikidata.org/sparql")),
          Triple(wikidata, NamedNode(VOID + "uriSpace"), Literal(WD))]
    linksets = []
    for name, pred in WIKIDATA_LINKS.items():
        count = int(_rows(f"""SELECT (COUNT(*) AS ?n) WHERE {{ SELECT DISTINCT ?s ?o WHERE {{
            ?s <{pred}> ?o FILTER(STRSTARTS(STR(?o), "{WD}")) }} }}""")[0]["n"]["value"])
        if not count:
            continue
        ls = NamedNode(base + f"void#wikidata-{name}")
        linksets.append({"iri": ls.value, "predicate": pred, "triples": count})
        t += [Triple(dataset, NamedNode(VOID + "subset"), ls),
              Triple(ls, RDF_TYPE, NamedNode(VOID + "Linkset")),
              Triple(ls, NamedNode(VOID + "linkPredicate"), NamedNode(pred)),
              Triple(ls, NamedNode(VOID + "subjectsTarget"), dataset),
              Triple(ls, NamedNode(VOID + "objectsTarget"), wikidata),
              Triple(ls, NamedNode(VOID + "target"), dataset),
              Triple(ls, NamedNode(VOID + "target"), wikidata),
              Triple(ls, NamedNode(VOID + "triples"), n(count))]
    facts = {"dataset": dataset.value, "endpoint": endpoint, "license": CC_BY, "graphs": graphs,
             "vocabularies": vocabularies, "examples": examples, "linksets": linksets,
             "total": sum(g.triples for g in graphs)}
    return t, facts


@bp.get("/.well-known/void")
@bp.get("/void")
def void_description() -> Response:
    fmt = from_request(DESCRIPTION_FORMATS)
    settings = current_app.config["IDLIB_KG_SETTINGS"]
    site = request.url_root
    triples, facts = describe(settings.base_iri, site + "sparql", site)
    if fmt.key == "html":
        from idlib_kg.linkeddata import fetch_labels, local_href  # linkeddata imports this module
        labels = fetch_labels(set(facts["examples"]))
        body = render_template("void.html", **facts, href=local_href,
                               examples_labelled=[(e, labels.get(e, e)) for e in facts["examples"]])
    else:
        body = serialize_graph(triples, fmt.format.oxigraph, PREFIXES if fmt.key == "turtle" else None)
    # the page is HTML5, not XHTML: text/html even when asked for application/xhtml+xml
    resp = Response(body, content_type="text/html; charset=utf-8" if fmt.key == "html" else fmt.content_type)
    resp.headers["Vary"] = "Accept"
    return resp
