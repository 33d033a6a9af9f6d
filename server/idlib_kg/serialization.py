"""Writing RDF graphs in the format a client asked for.

pyoxigraph writes every format, fast and with our prefixes in Turtle, but its JSON-LD is the
expanded form: every IRI in full, no `@context`. JSON-LD is the format people read in a
browser or use from JavaScript, where `{"@id": "ikr:russia", "@type": "ikg:Backer"}` is what
they expect from a linked-data site (Fuseki answers the same way). So JSON-LD is compacted
here by rdflib's JSON-LD serializer, with an `@context` holding the prefixes of vocab.py that
the document uses. It is the same RDF: a JSON-LD processor expands it to the same triples
(tests/server/test_serialization.py). Every other format is pyoxigraph's.

The dataset dumps (export.py) stay expanded JSON-LD: they are for loading into stores, and
are written byte for byte the same on every run, which rdflib's fresh blank node labels
would not be.
"""

from __future__ import annotations

from typing import Iterable, Mapping

from pyoxigraph import RdfFormat, Triple, serialize

from idlib_kg.vocab import NAMESPACES


def serialize_graph(triples: Iterable[Triple], fmt: RdfFormat,
                    prefixes: Mapping[str, str] | None = None) -> bytes:
    """The triples in `fmt`; `prefixes` are declared in Turtle and RDF/XML, and JSON-LD is
    compacted (compact_jsonld)."""
    if fmt == RdfFormat.JSON_LD:
        return compact_jsonld(triples)
    return serialize(triples, format=fmt, prefixes=dict(prefixes) if prefixes else None)


def compact_jsonld(triples: Iterable[Triple]) -> bytes:
    """JSON-LD with compact IRIs and an @context of the namespaces the triples use (none
    used: no @context, the plain expanded list)."""
    import rdflib  # only JSON-LD needs it: the HTTP and worker processes need not load it

    triples = list(triples)
    if any(isinstance(t.subject, Triple) or isinstance(t.object, Triple) for t in triples):
        # neither JSON-LD 1.1 nor rdflib has RDF 1.2 triple terms (pyoxigraph refuses them too)
        raise ValueError("JSON-LD cannot hold RDF 1.2 triple terms (<<( ... )>>); ask for Turtle, "
                         "N-Triples or RDF/XML")
    nt = serialize(triples, format=RdfFormat.N_TRIPLES).decode("utf-8")
    context = {prefix: ns for prefix, ns in NAMESPACES.items() if ns in nt}
    graph = rdflib.Graph(bind_namespaces="none")
    graph.parse(data=nt, format="nt")
    return graph.serialize(format="json-ld", context=context, auto_compact=True, encoding="utf-8")
