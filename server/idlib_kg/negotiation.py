"""Picking the response format from Accept (werkzeug's parser: q-values, wildcards) and `format`.

Policy (documented for clients):
- The query form decides which family is offered: SELECT/ASK get SPARQL results
  (JSON, XML, CSV, TSV), CONSTRUCT/DESCRIBE get RDF (Turtle, N-Triples, RDF/XML, JSON-LD).
  So `Accept: application/rdf+xml, application/sparql-results+xml` (SPARQLWrapper, rdflib's
  SPARQLStore) gets SPARQL XML for a SELECT and RDF/XML for a CONSTRUCT.
- No Accept header, or only wildcards (`*/*`, `application/*`): SPARQL JSON for SELECT/ASK,
  Turtle for CONSTRUCT/DESCRIBE.
- `application/xml` or `text/xml` for a CONSTRUCT/DESCRIBE gets RDF/XML (so a browser's
  `application/xml;q=0.9` does too). Only query answers read them so: on the pages and
  documents, whose formats include HTML, a browser's XML types never outrank its HTML.
  The SPARQL results type `application/sparql-results+xml` is not RDF: 406, as for any type we
  do not offer.
- An Accept header naming only types we do not offer: 406, with the offered types listed.
- A `format` parameter (json, xml, csv, tsv, turtle, ntriples, rdfxml, jsonld, or a media type)
  overrides Accept; for CONSTRUCT/DESCRIBE `xml` means RDF/XML and `json` JSON-LD (what
  SPARQLWrapper means by them). A format of the wrong family or an unknown one is a 400.
- Plain `application/json` for a CONSTRUCT/DESCRIBE, or for a document (a resource, VoID, the
  ontology, a graph, the Service Description), gets JSON-LD, as `format=json` does.
The response Content-Type is the media type the client asked for (application/json if it asked
for application/json for SPARQL results), with charset=utf-8 on text types; JSON-LD is always
application/ld+json.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from pyoxigraph import QueryResultsFormat, RdfFormat
from werkzeug.datastructures import MIMEAccept

from idlib_kg.cache import memoize_small


@dataclass(frozen=True)
class Format:
    key: str                 # the `format` parameter value and cache key
    media_type: str          # canonical media type
    aliases: tuple[str, ...]  # other media types clients use for it
    oxigraph: object         # QueryResultsFormat or RdfFormat


RESULT_FORMATS: dict[str, Format] = {f.key: f for f in (
    Format("json", "application/sparql-results+json", ("application/json",), QueryResultsFormat.JSON),
    Format("xml", "application/sparql-results+xml", ("application/xml", "text/xml"), QueryResultsFormat.XML),
    Format("csv", "text/csv", (), QueryResultsFormat.CSV),
    Format("tsv", "text/tab-separated-values", (), QueryResultsFormat.TSV),
)}

GRAPH_FORMATS: dict[str, Format] = {f.key: f for f in (
    Format("turtle", "text/turtle", ("application/turtle", "application/x-turtle"), RdfFormat.TURTLE),
    Format("ntriples", "application/n-triples", (), RdfFormat.N_TRIPLES),
    Format("rdfxml", "application/rdf+xml", (), RdfFormat.RDF_XML),
    Format("jsonld", "application/ld+json", (), RdfFormat.JSON_LD),
)}

#: what graphs are offered as, by Accept, on every route that answers one (CONSTRUCT/DESCRIBE
#: answers, documents): plain JSON meaning JSON-LD, as `format=json` does (and as linked-data
#: clients asking for it mean); JSON-LD is always labelled application/ld+json (see choose)
JSON_LD = replace(GRAPH_FORMATS["jsonld"], aliases=("application/json",))

#: what CONSTRUCT/DESCRIBE answers offer: the graph formats, generic XML meaning RDF/XML
GRAPH_ANSWER_FORMATS: dict[str, Format] = {
    **GRAPH_FORMATS, "rdfxml": replace(GRAPH_FORMATS["rdfxml"], aliases=("application/xml", "text/xml")),
    "jsonld": JSON_LD}

ALL_FORMATS = {**RESULT_FORMATS, **GRAPH_FORMATS}

# Other `format` values clients send. SPARQLWrapper sends format=xml / format=json for every
# query form, meaning RDF/XML / JSON-LD for CONSTRUCT and DESCRIBE.
FORMAT_PARAM_ALIASES = {
    "results": {"srj": "json", "srx": "xml"},
    "graph": {"xml": "rdfxml", "rdf": "rdfxml", "rdf+xml": "rdfxml", "json": "jsonld", "json-ld": "jsonld",
              "ttl": "turtle", "nt": "ntriples", "n-triples": "ntriples"},
}
GRAPH_FORMS = ("CONSTRUCT", "DESCRIBE")


class NotAcceptable(Exception):
    """No offered type matches Accept (406)."""


class BadFormat(Exception):
    """The `format` parameter names something we cannot produce for this query (400)."""


@dataclass(frozen=True)
class Choice:
    format: Format
    content_type: str        # what goes in Content-Type

    @property
    def key(self) -> str:
        return self.format.key


def _content_type(media_type: str) -> str:
    if media_type.startswith("text/") or media_type.endswith(("+json", "/json", "+xml", "/xml")):
        return f"{media_type}; charset=utf-8"
    return media_type


def family_for(form: str) -> dict[str, Format]:
    return GRAPH_ANSWER_FORMATS if form.upper() in GRAPH_FORMS else RESULT_FORMATS


def offered(formats: dict[str, Format]) -> list[str]:
    """Canonical types first (in preference order), then aliases: a wildcard picks a canonical type."""
    return [f.media_type for f in formats.values()] + [a for f in formats.values() for a in f.aliases]


def choose(formats: dict[str, Format], accept: MIMEAccept, format_param: str | None = None) -> Choice:
    """Pick a format of one family (RESULT_FORMATS or GRAPH_FORMATS)."""
    if format_param:
        wanted = format_param.strip().lower()
        family = "graph" if formats.keys() & GRAPH_FORMATS.keys() else "results"
        wanted = FORMAT_PARAM_ALIASES[family].get(wanted, wanted)
        for f in formats.values():
            if wanted == f.key or wanted == f.media_type or wanted in f.aliases:
                media = wanted if "/" in wanted and f.key != "jsonld" else f.media_type
                return Choice(f, _content_type(media))
        names = ", ".join(formats)
        shown = format_param if len(format_param) <= 80 else format_param[:80] + "..."
        raise BadFormat(f"format={shown!r} cannot be produced here; use one of: {names}")
    default = next(iter(formats.values()))
    if not accept:  # no Accept header at all
        return Choice(default, _content_type(default.media_type))
    offers = offered(formats)
    best = _without_parameters(accept).best_match(offers)
    if best is None:
        raise NotAcceptable("none of the types in the Accept header can be produced for this query; "
                            "offered: " + ", ".join(offers))
    # A bare wildcard match returns the first offer; that is the documented default.
    for f in formats.values():
        if best == f.media_type or best in f.aliases:
            # JSON-LD says what it is whatever JSON was asked for: one type on every route
            return Choice(f, _content_type(f.media_type if f.key == "jsonld" else best))
    raise AssertionError(best)  # pragma: no cover


def from_request(formats: dict[str, Format]) -> Choice:
    """choose() for the current request, by its `format` parameter (a key, an extension such as
    ttl or nt, or a media type) or else its Accept header; a format we cannot produce is a 400
    and an Accept we cannot meet a 406, as HTTP errors. For the pages and documents; /sparql
    answers go through choose_from_header (memoized)."""
    from flask import request
    from werkzeug.exceptions import BadRequest, NotAcceptable as HTTPNotAcceptable
    try:
        return choose(formats, request.accept_mimetypes, request.args.get("format"))
    except BadFormat as e:
        raise BadRequest(str(e)) from None
    except NotAcceptable as e:
        raise HTTPNotAcceptable(str(e)) from None


def _without_parameters(accept: MIMEAccept) -> MIMEAccept:
    """Accept with its media-type parameters dropped, q-values kept.

    A parameter (`charset=utf-8`, a JSON-LD `profile`) does not change which format a client
    means, but werkzeug matches an offer only with the same parameters: `Accept:
    application/sparql-results+json; charset=utf-8` would get a 406. JSON-LD is answered
    compacted whichever profile is named.
    """
    if not any(";" in value for value, _ in accept):
        return accept
    return MIMEAccept([(value.split(";", 1)[0].strip(), q) for value, q in accept])


def choose_for_query(form: str, accept: MIMEAccept, format_param: str | None = None) -> Choice:
    return choose(family_for(form), accept, format_param)


#: Accept headers (and `format` values) up to this length are memoized by choose_from_header
MEMO_MAX_CHARS = 512


def choose_from_header(form: str, accept_header: str | None, format_param: str | None = None) -> Choice:
    """choose_for_query from the raw Accept header. Memoized: a server sees few distinct
    headers, and parsing and matching one costs more than the rest of a cached answer."""
    return _choose(form, accept_header, format_param)


@memoize_small(MEMO_MAX_CHARS, 256)
def _choose(form: str, accept_header: str | None, format_param: str | None) -> Choice:
    return choose_for_query(form, parse_accept(accept_header), format_param)


def parse_accept(header: str | None) -> MIMEAccept:
    """Parse an Accept header outside a request (the CLI, tests) with werkzeug's parser."""
    from werkzeug.http import parse_accept_header
    return parse_accept_header(header, MIMEAccept)
