"""Writing RDF graphs in the format a client asked for.

pyoxigraph writes every format, fast and with our prefixes in Turtle, but its JSON-LD is the
expanded form: every IRI in full, no `@context`. JSON-LD is the format people read in a
browser or use from JavaScript, where `{"@id": "ikr:russia", "@type": "ikg:Backer"}` is what
they expect from a linked-data site (Fuseki answers the same way). So JSON-LD is compacted
here: pyoxigraph's expanded document, with the IRIs under a namespace of vocab.py written as
compact IRIs and those namespaces as the `@context`.

Why not a JSON-LD library: rdflib's serializer turns typed literals into JSON numbers and
booleans, which changes them ("2.0E0"^^xsd:double comes back as 2.0, "01" as 1, "NaN" is not
JSON), and PyLD is a general processor, slow on large answers. Compacting with prefix
definitions only needs three rules (below), and pyoxigraph's expanded form keeps every
literal's lexical form. A JSON-LD processor expands the result to exactly the same triples
(tests/server/test_serialization.py). Every other format is pyoxigraph's.

The dataset dumps (export.py) stay expanded JSON-LD, for loading into stores.
"""

from __future__ import annotations

import json
import re
from typing import Iterable, Mapping

from pyoxigraph import RdfFormat, Triple, serialize

from idlib_kg.vocab import NAMESPACES

RDF_TYPE = NAMESPACES["rdf"] + "type"


class UnwritableAnswer(ValueError):
    """The answer holds something the asked format cannot carry; the message names formats that
    can. Not the query's failure: the same query in another format answers."""


def serialize_graph(triples: Iterable[Triple], fmt: RdfFormat,
                    prefixes: Mapping[str, str] | None = None) -> bytes:
    """The triples in `fmt`; `prefixes` are declared in Turtle and RDF/XML, and JSON-LD is
    compacted (compact_jsonld)."""
    if fmt == RdfFormat.JSON_LD:
        return compact_jsonld(triples)
    if fmt == RdfFormat.RDF_XML:
        triples = list(triples)
        check_rdfxml_predicates(triples)
    body = serialize(triples, format=fmt, prefixes=dict(prefixes) if prefixes else None)
    if fmt == RdfFormat.RDF_XML:
        check_xml_chars(body, "RDF/XML", "Turtle, N-Triples or JSON-LD")
    return body


# What XML 1.0 cannot hold, even as a character reference (its Char production), in UTF-8:
# C0 controls other than tab, LF and CR, and the noncharacters U+FFFE and U+FFFF.
_NOT_XML_CHAR = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]|\xef\xbf[\xbe\xbf]")


def check_xml_chars(body: bytes, what: str, instead: str) -> None:
    """UnwritableAnswer when `body` holds a character XML 1.0 cannot carry: pyoxigraph writes such a
    character (a literal with U+0001, say) as it is, and every XML parser rejects the document.
    Refusing names the character and the formats that carry it."""
    found = _NOT_XML_CHAR.search(body)
    if found:
        char = found.group().decode("utf-8")
        raise UnwritableAnswer(f"{what} cannot carry the character U+{ord(char):04X} that the answer holds "
                         f"(XML 1.0 allows no such character, even escaped); ask for {instead}")


# An XML name (NCName) at the end of an IRI: RDF/XML writes a predicate as namespace + name.
_XML_NAME_AT_END = re.compile(r"[A-Za-z_\u00C0-\u02FF\u0370-\uFFFF][\w.\-\u00B7\u00C0-\uFFFF]*\Z")


def check_rdfxml_predicates(triples: list[Triple]) -> None:
    """UnwritableAnswer for a predicate RDF/XML cannot write: one that does not end in an XML name
    (<http://example.org/123>, <http://example.org/p/>). pyoxigraph would write a malformed
    element `<oxprefix:>` for it, which XML parsers reject."""
    for predicate in {t.predicate.value for t in triples}:
        if not _XML_NAME_AT_END.search(predicate):
            raise UnwritableAnswer(f"RDF/XML cannot write the predicate <{predicate}>: it does not end in "
                             "an XML name; ask for Turtle, N-Triples or JSON-LD")


class _Compactor:
    """IRI -> compact IRI under the namespaces of vocab.py, remembering the prefixes used.

    JSON-LD expands `prefix:suffix` to the prefix's IRI + suffix when the prefix is a term
    whose IRI ends in "/" or "#" (all of ours do), except when the suffix starts with "//".
    """

    def __init__(self, excluded: frozenset[str] = frozenset()) -> None:
        # longest namespace first, so that a namespace inside another picks the longer one
        self.namespaces = sorted(((p, ns) for p, ns in NAMESPACES.items() if p not in excluded),
                                 key=lambda kv: -len(kv[1]))
        self.used: set[str] = set()
        self.confusable: set[str] = set()  # prefixes that are also the scheme of an IRI kept whole

    def iri(self, iri: str) -> str:
        for prefix, ns in self.namespaces:
            if iri.startswith(ns) and len(iri) > len(ns) and not iri.startswith("//", len(ns)):
                self.used.add(prefix)
                return f"{prefix}:{iri[len(ns):]}"
        scheme = iri.split(":", 1)[0]
        if scheme in NAMESPACES:  # geo:37.78,-122.39 would expand through a "geo" prefix
            self.confusable.add(scheme)
        return iri

    def value(self, obj: dict) -> dict:
        """A node reference {"@id"} or a value object {"@value", "@type"|"@language"}."""
        out = dict(obj)
        if "@id" in out:
            out["@id"] = self.iri(out["@id"])
        if "@type" in out:  # a datatype IRI
            out["@type"] = self.iri(out["@type"])
        return out

    def node(self, node: dict) -> dict:
        out: dict = {"@id": self.iri(node["@id"])}
        types = node.get(RDF_TYPE, [])
        # rdf:type as @type, unless a type is a blank node (deprecated in @type)
        if types and all(not t.get("@id", "_:").startswith("_:") for t in types):
            out["@type"] = [self.iri(t["@id"]) for t in types]
            node = {k: v for k, v in node.items() if k != RDF_TYPE}
        for key, values in node.items():
            if key != "@id":
                out[self.iri(key)] = [self.value(v) for v in values]
        return out


def _merged(nodes: list[dict]) -> list[dict]:
    """One node object per subject: pyoxigraph starts a new one whenever the subject changes
    between consecutive triples (the same graph either way; one object reads better)."""
    by_id: dict[str, dict] = {}
    for node in nodes:
        into = by_id.setdefault(node["@id"], {"@id": node["@id"]})
        for key, values in node.items():
            if key != "@id":
                into.setdefault(key, []).extend(values)
    return list(by_id.values())


def _single_values(node: dict) -> dict:
    """A one-element array as the element itself, as JSON-LD compaction writes it."""
    return {k: v[0] if isinstance(v, list) and len(v) == 1 else v for k, v in node.items()}


def compact_jsonld(triples: Iterable[Triple]) -> bytes:
    """JSON-LD with compact IRIs and an @context of the namespaces the triples use (none
    used: no @context, the plain expanded list)."""
    try:
        nodes = json.loads(serialize(triples, format=RdfFormat.JSON_LD))
    except (OSError, ValueError, TypeError) as e:  # RDF 1.2 triple terms
        raise UnwritableAnswer(f"this answer cannot be written as JSON-LD ({e}); ask for Turtle, "
                         "N-Triples or RDF/XML") from None
    merged = _merged(nodes)
    compactor = _Compactor()
    graph = [_single_values(compactor.node(n)) for n in merged]
    if compactor.confusable & compactor.used:  # rare: leave those prefixes out of the @context
        compactor = _Compactor(frozenset(compactor.confusable))
        graph = [_single_values(compactor.node(n)) for n in merged]
    if not compactor.used:
        return json.dumps(nodes, ensure_ascii=False, indent=2).encode("utf-8")
    doc: dict = {"@context": {p: ns for p, ns in NAMESPACES.items() if p in compactor.used}}
    if len(graph) == 1:
        doc.update(graph[0])
    else:
        doc["@graph"] = graph
    return json.dumps(doc, ensure_ascii=False, indent=2).encode("utf-8")
