"""Dereferenceable IRIs: the server answers for every IRI the project mints.

The configured base IRI (Settings.base_iri, default https://w3id.org/idlib-kg/) maps to this
server's paths: BASE + "id/X" -> /id/X, BASE + "scheme/..." -> /scheme/..., BASE + "ontology"
-> /ontology, BASE + "graph/G" -> /graph/G (w3id.org redirects to the server).

Choice: 303 See Other for things, 200 for documents.
- /id/X and /scheme/... name things (a state, a person, an attack, a concept), not web pages,
  so they answer `303 See Other` to a document about them (the httpRange-14 resolution):
  /doc/X.html for browsers, /doc/X.ttl, .nt, .rdf or .jsonld for RDF clients (chosen from
  Accept with werkzeug's parser through idlib_kg.negotiation; `Vary: Accept`). Documents for
  concepts sit at /doc/scheme/....ext; an id/ IRI whose path starts with scheme/ or id/ (data
  a --load file mints) has its document at /doc/id/....ext. Each document is also reachable
  directly, at exactly one URL.
- Information resources answer 200 with `Content-Location` naming the variant sent and
  `Vary: Accept`: the ontology (/ontology: the HTML documentation from `idlib-kg docs`, or a
  term list when it was not generated; Turtle, RDF/XML, N-Triples, JSON-LD; the variants are
  /ontology.html, .ttl, .rdf, .nt, .jsonld; the version IRI /ontology/1.0.0 serves the same; its terms BASE + "ontology#Claim" land on the id
  "Claim" of the page), the article text (/id/article/text: HTML with every sentence and span
  anchored by its fragment, e.g. #char=84,346; text/plain; or its RDF description; no
  Content-Location there, the variants have no URLs of their own) and the
  named graphs (/graph/G: the graph's triples, or an HTML summary).
- A resource the data does not mention: 404 (an HTML page for browsers).

Pages are Jinja2 templates with autoescaping: every literal is data from the outside world.
Links are made only to http(s) IRIs (an IRI such as javascript:... is shown as text).
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from typing import Callable
from urllib.parse import quote

from flask import (Blueprint, Response, abort, current_app, redirect, render_template, request,
                   send_file, url_for)
from pyoxigraph import Literal, NamedNode, RdfFormat, Triple, parse

from idlib_kg import resources, void
from idlib_kg.config import DOCUMENT_MAX_TRIPLES
from idlib_kg.dataset import read_dataset
from idlib_kg.description import DESCRIPTION_FORMATS, HTML
from idlib_kg.executor import PREFIXES as QUERY_PREFIXES, QueryJob, QueryResult
from idlib_kg.protocol import http_error as query_http_error
from idlib_kg.export import PREFIXES
from idlib_kg.negotiation import GRAPH_FORMATS, Format, from_request
from idlib_kg.serialization import serialize_graph
from idlib_kg.vocab import WIKIDATA_LINKS

log = logging.getLogger(__name__)

bp = Blueprint("linkeddata", __name__, template_folder="templates")
bp.register_blueprint(void.bp)

EXTENSIONS = {"html": "html", "ttl": "turtle", "nt": "ntriples", "rdf": "rdfxml", "jsonld": "jsonld"}
EXT_OF = {v: k for k, v in EXTENSIONS.items()}
TEXT_PLAIN = Format("text", "text/plain", (), None)
TEXT_FORMATS = {**DESCRIPTION_FORMATS, "text": TEXT_PLAIN}
MAX_ROWS = DOCUMENT_MAX_TRIPLES
INBOUND_LIMIT = 50       # links shown per inbound property on a page (the count says how many there are)

RDFS = "http://www.w3.org/2000/01/rdf-schema#"
DCT = "http://purl.org/dc/terms/"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
OWL = "http://www.w3.org/2002/07/owl#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
NIF = "http://persistence.uni-leipzig.org/nlp2rdf/ontologies/nif-core#"
GAF = "http://groundedannotationframework.org/gaf#"
WD = "http://www.wikidata.org/entity/"
LINK_IRIS = frozenset(WIKIDATA_LINKS.values())
ARTICLE_TEXT_PATH = "id/article/text"
#: characters an IRI path keeps as they are (RFC 3987 ipath): the rest is percent-encoded
IRI_PATH_SAFE = "/:@!$&'()*+,;=-._~"


# --------------------------------------------------------------------------- helpers

def _runtime():
    return current_app.extensions["idlib_kg"]


def base_iri() -> str:
    return _runtime().settings.base_iri


def select(query: str) -> list[dict]:
    """Run a SELECT in the executor; rows as {var: SPARQL-JSON term}."""
    result = _runtime().executor.run(QueryJob(query, result_format="json", max_rows=MAX_ROWS))
    return json.loads(result.body)["results"]["bindings"]


def construct(query: str, fmt: str) -> QueryResult:
    """Run a CONSTRUCT in the executor, cut at MAX_ROWS triples (`truncated` says so)."""
    return _runtime().executor.run(QueryJob(query, graph_format=fmt, max_rows=MAX_ROWS))


def signal_truncation(resp: Response, truncated: bool) -> Response:
    """A document cut at the row limit says so, as /sparql answers do: never silent."""
    if truncated:
        resp.headers["X-Idlib-Truncated"] = "true"
        resp.headers["X-Idlib-Row-Limit"] = str(MAX_ROWS)
    return resp


def ask(query: str) -> bool:
    result = _runtime().executor.run(QueryJob(query, result_format="json"))
    return bool(json.loads(result.body)["boolean"])


def iri_ref(iri: str) -> str:
    """An IRI safe to put between < > in a query (the route only lets path characters through)."""
    if any(c in iri for c in '<>"{}|^`\\ \n\r\t'):
        abort(404)
    return f"<{iri}>"


def described_iri(prefix: str, name: str, present: Callable[[str], bool]) -> str | None:
    """The IRI that the path `prefix + name` stands for, if the data has it.

    The router hands over the path percent-decoded, so `/id/a%20b` arrives as "a b". An IRI
    may hold the character itself (`ikr:İdlib`) or its percent-encoding (a --load file's
    `ikr:a%20b`, the graph of `--load "türkçe veri.ttl"`): the decoded form is tried first,
    then the re-encoded one. A form that is no IRI at all (`%01`, `x%25y`) is not tried: 404,
    never a query error.
    """
    for candidate in dict.fromkeys((name, quote(name, safe=IRI_PATH_SAFE))):
        iri = base_iri() + prefix + candidate
        try:
            NamedNode(iri)
        except ValueError:
            continue
        if present(iri):
            return iri
    return None


def local_href(iri: str) -> str | None:
    """Our IRIs -> this server's path (fragment kept), under the prefix a proxy serves it at
    (request.script_root, from X-Forwarded-Prefix with --trusted-proxies); others -> None."""
    base = base_iri()
    if iri.startswith(base):
        return request.script_root + "/" + iri[len(base):]
    return None


def negotiate(formats: dict[str, Format]) -> str:
    """The format key for this request (`format=` over Accept; 400 or 406 otherwise)."""
    return from_request(formats).key


def _vary(resp: Response) -> Response:
    resp.headers["Vary"] = "Accept"
    return resp


def rdf_response(body: bytes, fmt: str, content_location: str | None = None) -> Response:
    f = GRAPH_FORMATS[fmt]
    ctype = f.media_type + ("; charset=utf-8" if f.media_type.startswith("text/") or "json" in f.media_type
                            or "xml" in f.media_type else "")
    resp = Response(body, content_type=ctype)
    if content_location:
        resp.headers["Content-Location"] = content_location
    return resp


def not_found(what: str) -> Response:
    wants_html = request.accept_mimetypes.best_match(["text/html", "text/plain"]) == "text/html"
    if wants_html:
        body = render_template("not_found.html", what=what, path=request.path)
        return _vary(Response(body, status=404, content_type="text/html; charset=utf-8"))
    return _vary(Response(f"not found: {what} is not described in this dataset\n", status=404,
                          content_type="text/plain; charset=utf-8"))


# --------------------------------------------------------------------------- values for templates

@dataclass
class Value:
    """One RDF term as a page shows it."""

    kind: str                       # iri, literal, bnode
    text: str                       # the IRI, the lexical form, or the blank node label
    href: str | None = None         # only http(s) IRIs (ours: local path)
    external: bool = False
    label: str | None = None
    lang: str | None = None
    datatype: str | None = None
    graphs: list[str] = field(default_factory=list)

    @property
    def short_datatype(self) -> str | None:
        return compact(self.datatype) if self.datatype else None


def compact(iri: str) -> str:
    for prefix, ns in PREFIXES.items():
        if iri.startswith(ns) and len(iri) > len(ns):
            return f"{prefix}:{iri[len(ns):]}"
    return iri


def to_value(term: dict, labels: dict[str, str]) -> Value:
    kind, text = term["type"], term["value"]
    if kind == "uri":
        href = local_href(text)
        external = False
        if href is None and text.lower().startswith(("http://", "https://")):
            href, external = text, True
        short = compact(text)
        return Value("iri", text, href, external, labels.get(text) or (short if short != text else None))
    if kind == "bnode":
        return Value("bnode", text)
    dt = term.get("datatype")
    if dt == "http://www.w3.org/2001/XMLSchema#string":
        dt = None
    return Value("literal", text, lang=term.get("xml:lang"), datatype=dt)


def fetch_labels(iris: set[str]) -> dict[str, str]:
    """The label to show for each IRI: rdfs:label or skos:prefLabel, else dcterms:title (the
    ontology and the datasets have titles); English first, then untagged."""
    iris = {i for i in iris if not any(c in i for c in '<>"{}|^`\\ ')}
    if not iris:
        return {}
    values = " ".join(f"<{i}>" for i in sorted(iris))
    rows = select(f"""SELECT ?x ?l ?k WHERE {{ VALUES ?x {{ {values} }}
        {{ ?x <{RDFS}label>|<{SKOS}prefLabel> ?l BIND(0 AS ?k) }} UNION {{ ?x <{DCT}title> ?l BIND(1 AS ?k) }} }}""")
    labels: dict[str, tuple[int, int, str]] = {}
    for r in rows:
        lang = r["l"].get("xml:lang", "")
        rank = (int(r["k"]["value"]), 0 if lang.lower().startswith("en") else (1 if not lang else 2), r["l"]["value"])
        cur = labels.get(r["x"]["value"])
        if cur is None or rank < cur:
            labels[r["x"]["value"]] = rank
    return {k: v[2] for k, v in labels.items()}


def _graph_of(row: dict) -> str:
    """The short name of the named graph a row's ?g holds, "default" for the store's own."""
    return row["g"]["value"].rsplit("/", 1)[-1] if "g" in row else "default"


def _written_triple(t: Triple, written: dict) -> Triple:
    """`t` with its object as the source files write it, where the store normalized it."""
    return Triple(t.subject, t.predicate, written.get((t.subject, t.predicate, t.object), t.object))


def _natural(text: str) -> list:
    """A sort key that orders the numbers in `text` by value."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text)]


def _as_written(subject: NamedNode, predicate: str, term: dict, written: dict) -> dict:
    """A SPARQL JSON literal as the source files write it, where the store normalized it."""
    if term["type"] != "literal" or not written or "xml:lang" in term:
        return term
    datatype = term.get("datatype")
    stored = Literal(term["value"], datatype=NamedNode(datatype)) if datatype else Literal(term["value"])
    original = written.get((subject, NamedNode(predicate), stored))
    if original is None:
        return term
    return {"type": "literal", "value": original.value, "datatype": original.datatype.value}


@dataclass
class Evidence:
    span: str
    href: str | None
    words: str
    before: str
    after: str
    sentence: str | None


def evidence_for(iri: str) -> list[Evidence]:
    rows = select(f"""PREFIX nif: <{NIF}>
        SELECT ?span ?b ?e ?words ?sent ?sb ?stext WHERE {{
          {iri_ref(iri)} <{GAF}denotedBy> ?span .
          OPTIONAL {{ ?span nif:beginIndex ?b ; nif:endIndex ?e }}
          OPTIONAL {{ ?span nif:anchorOf ?words }}
          OPTIONAL {{ ?span nif:sentence ?sent . ?sent nif:beginIndex ?sb ; nif:anchorOf ?stext }}
        }} ORDER BY ?b ?e ?span""")
    seen: dict[str, Evidence] = {}
    for r in rows:
        span = r["span"]["value"]
        if span in seen:
            continue
        words = r.get("words", {}).get("value", "")
        before = after = ""
        sentence = None
        if "stext" in r and "b" in r and "sb" in r:
            stext = r["stext"]["value"]
            start = int(r["b"]["value"]) - int(r["sb"]["value"])
            end = int(r["e"]["value"]) - int(r["sb"]["value"])
            if 0 <= start <= end <= len(stext) and stext[start:end] == words:
                before, after = stext[:start], stext[end:]
            else:
                before = stext + " | "
            sentence = r["sent"]["value"]
        seen[span] = Evidence(span, local_href(span), words, before, after, sentence)
    return list(seen.values())


def describe_page(iri: str) -> dict:
    """Everything the resource page shows."""
    ref = iri_ref(iri)
    # each value with the named graphs that hold it; a triple only in the store's own default
    # graph (an INSERT DATA without GRAPH) comes from the second branch, with ?g unbound
    out_rows = select(f"""SELECT ?p ?o ?g WHERE {{
        {{ GRAPH ?g {{ {ref} ?p ?o }} }}
        UNION {{ {ref} ?p ?o FILTER NOT EXISTS {{ GRAPH ?h {{ {ref} ?p ?o }} }} }}
    }} ORDER BY ?p ?o ?g""")
    # inbound links, at most INBOUND_LIMIT per property: one property's thousands never hide
    # the others (a page counts what it leaves out)
    inbound_counts = {r["p"]["value"]: int(r["n"]["value"]) for r in select(
        f"SELECT ?p (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?s ?p {ref} }} GROUP BY ?p ORDER BY ?p")}
    # one query, a UNION branch per property (not a query each: a class page has dozens)
    branches = " UNION ".join(f"""{{
        {{ SELECT DISTINCT ?s WHERE {{ ?s <{prop}> {ref} }} ORDER BY ?s LIMIT {INBOUND_LIMIT} }}
        BIND(<{prop}> AS ?p)
        {{ GRAPH ?g {{ ?s ?p {ref} }} }}
        UNION {{ ?s ?p {ref} FILTER NOT EXISTS {{ GRAPH ?h {{ ?s ?p {ref} }} }} }}
    }}""" for prop in inbound_counts)
    in_rows = select(f"SELECT ?s ?p ?g WHERE {{ {branches} }} ORDER BY ?p ?s ?g") if branches else []
    iris = {iri} | {r["p"]["value"] for r in out_rows + in_rows}
    iris |= {r["o"]["value"] for r in out_rows if r["o"]["type"] == "uri"}
    iris |= {r["s"]["value"] for r in in_rows if r["s"]["type"] == "uri"}
    labels = fetch_labels(iris)
    written = _runtime().written_literals()  # pages show literals as the files write them too
    subject = NamedNode(iri)
    properties: dict[str, list[Value]] = {}
    types: list[Value] = []
    links: list[tuple[str, Value]] = []
    by_key: dict[tuple[str, str, str], Value] = {}
    for r in out_rows:
        p, o = r["p"]["value"], r["o"]
        key = (p, o["type"], o["value"] + o.get("xml:lang", "") + o.get("datatype", ""))
        graph = _graph_of(r)
        if key in by_key:
            if graph not in by_key[key].graphs:
                by_key[key].graphs.append(graph)
            continue
        v = to_value(_as_written(subject, p, o, written), labels)
        v.graphs.append(graph)
        by_key[key] = v
        if p == RDF_TYPE:
            types.append(v)
        if p in LINK_IRIS and o["type"] == "uri" and o["value"].startswith(WD):
            links.append((compact(p), v))
        properties.setdefault(p, []).append(v)
    for values in properties.values():
        values.sort(key=lambda v: _natural(v.text))  # #char=512,520 before #char=2209,2214
    inbound: dict[str, list[Value]] = {}
    seen: dict[tuple[str, str], Value] = {}
    for r in in_rows:
        graph = _graph_of(r)
        key = (r["p"]["value"], r["s"]["value"])
        if key not in seen:
            seen[key] = to_value(r["s"], labels)
            inbound.setdefault(key[0], []).append(seen[key])
        if graph not in seen[key].graphs:
            seen[key].graphs.append(graph)  # an inferred link says so, as outbound values do
    label = labels.get(iri)
    return {
        "iri": iri, "label": label or iri.rsplit("/", 1)[-1], "types": types,
        "properties": [(to_value({"type": "uri", "value": p}, labels), vs) for p, vs in properties.items()],
        # (property, the links shown, how many more there are)
        "inbound": [(to_value({"type": "uri", "value": p}, labels), vs, max(0, inbound_counts[p] - len(vs)))
                    for p, vs in inbound.items()],
        "evidence": evidence_for(iri), "wikidata": links,
    }


def describe_rdf(iri: str, fmt: str) -> tuple[bytes, bool]:
    """The resource's outbound triples with the blank nodes they lead to (its Concise Bounded
    Description, to BLANK_DEPTH levels: lists and nested structures whole), its inbound triples
    and its neighbours' labels, each triple once; literals as the source files write them where
    the store normalized them (Runtime.written_literals), so a document is a faithful piece of
    the data. Also whether it was cut: at the row limit, or at a blank node deeper than
    BLANK_DEPTH that no shallower level reached (a cycle's nodes are all reached: not cut)."""
    written = _runtime().written_literals()
    result = construct(_description_query(iri), "ntriples")
    triples: dict[Triple, None] = {}  # each triple once, in the order found
    beyond = set()
    for t in parse(result.body, format=RdfFormat.N_TRIPLES):
        if t.predicate == BEYOND:
            beyond.add(t.subject)
        else:
            triples[_written_triple(t, written)] = None
    cut = bool(beyond - {t.subject for t in triples})
    return serialize_graph(list(triples), GRAPH_FORMATS[fmt].oxigraph, QUERY_PREFIXES), result.truncated or cut


def as_written(answer: Callable[[str], bytes], fmt: str) -> bytes:
    """`answer(fmt)` (a CONSTRUCT through the workers) with every literal the store normalized
    put back as the source files write it (Runtime.written_literals)."""
    written = _runtime().written_literals()
    if not written:
        return answer(fmt)
    triples = [_written_triple(t, written) for t in parse(answer("ntriples"), format=RdfFormat.N_TRIPLES)]
    return serialize_graph(triples, GRAPH_FORMATS[fmt].oxigraph, QUERY_PREFIXES)


#: blank nodes a document follows from its resource: an RDF list of this many members comes whole
BLANK_DEPTH = 16
#: marks, inside one CONSTRUCT answer, the blank nodes one level deeper than BLANK_DEPTH
BEYOND = NamedNode("urn:x-idlib-kg:beyond-depth")


def _description_query(iri: str) -> str:
    """describe_rdf's CONSTRUCT: one query, so blank nodes join within one answer whatever the
    store (a remote store may number them afresh in each answer), and the same on every store
    (Virtuoso's DESCRIBE does not follow blank nodes). Branch k gives the triples of the blank
    nodes k steps away; each level is the DISTINCT set of the one before, so a clique or a
    cycle of blank nodes costs rows in proportion to its size, never one row per path."""
    ref = iri_ref(iri)
    template = [f"{ref} ?p ?o .", f"?o <{RDFS}label> ?ol .", f"?s ?pi {ref} .", f"?s <{RDFS}label> ?sl ."]
    branches = [f"{{ {ref} ?p ?o OPTIONAL {{ FILTER(isIRI(?o)) ?o <{RDFS}label> ?ol }} }}",
                f"{{ ?s ?pi {ref} OPTIONAL {{ ?s <{RDFS}label> ?sl }} }}"]
    def deeper(level: str, k: int) -> str:
        """The DISTINCT blank nodes one step from those `level` selects (as ?n{k-1})."""
        return f"SELECT DISTINCT ?n{k} WHERE {{ {{ {level} }} ?n{k - 1} ?x{k} ?n{k} FILTER(isBlank(?n{k})) }}"

    level = f"SELECT DISTINCT ?n1 WHERE {{ {ref} ?x1 ?n1 FILTER(isBlank(?n1)) }}"
    for k in range(1, BLANK_DEPTH + 1):
        if k > 1:
            level = deeper(level, k)
        template.append(f"?n{k} ?q{k} ?v{k} .")
        branches.append(f"{{ {{ {level} }} ?n{k} ?q{k} ?v{k} }}")
    # the blank nodes one step deeper, marked (describe_rdf drops the marks): if any was reached
    # by no shallower level, the document is cut there
    k = BLANK_DEPTH + 1
    template.append(f"?n{k} <{BEYOND.value}> ?n{k} .")
    branches.append(f"{{ {deeper(level, k)} }}")
    return f"CONSTRUCT {{ {' '.join(template)} }} WHERE {{ {' UNION '.join(branches)} }}"


def exists(iri: str) -> bool:
    ref = iri_ref(iri)
    return ask(f"ASK {{ {{ {ref} ?p ?o }} UNION {{ ?s ?p {ref} }} }}")


def described_or_404(prefix: str, name: str) -> str:
    """described_iri() of a thing or concept in the data, or the 404 page naming the IRI asked for."""
    iri = described_iri(prefix, name, exists)
    if iri is None:
        abort(not_found(base_iri() + prefix + name))
    return iri


# --------------------------------------------------------------------------- things: 303

def _see_other(doc_path: str) -> Response:
    key = negotiate(DESCRIPTION_FORMATS)
    resp = redirect(url_for("linkeddata.document", path=f"{doc_path}.{EXT_OF[key]}"), code=303)
    return _vary(resp)


@bp.get("/id/<path:name>")
def thing(name: str):
    if name == "article/text":
        return article_text()
    described_or_404("id/", name)
    return _see_other(_id_document_stem(name))


#: /doc/ stems that do not stand for BASE + "id/" + stem: concepts, and the id/ IRIs whose
#: own path would read as one of these (a --load file's ikr:scheme/x)
_DOC_PREFIXES = ("scheme/", "id/")


def _id_document_stem(name: str) -> str:
    """The /doc/ stem of BASE + "id/" + name: the name itself, or "id/" + name where the name
    alone would be read as a concept's (scheme/...) or as another such stem, so that every
    thing has exactly one document."""
    return "id/" + name if name.startswith(_DOC_PREFIXES) else name


def _document_iri_path(stem: str) -> tuple[str, str] | None:
    """(prefix, name) of the IRI a /doc/ stem describes; None for a stem no IRI maps to."""
    if stem.startswith("scheme/"):
        return "", stem
    if stem.startswith("id/"):
        return ("", stem) if stem[3:].startswith(_DOC_PREFIXES) else None
    return "id/", stem


@bp.get("/scheme/<path:name>")
def concept(name: str):
    described_or_404("scheme/", name)
    return _see_other("scheme/" + name)


@bp.get("/doc/<path:path>")
def document(path: str):
    stem, _, ext = path.rpartition(".")
    if not stem or ext not in EXTENSIONS:
        return not_found(request.path)
    where = _document_iri_path(stem)
    if where is None:  # /doc/id/X for an X that has its document at /doc/X
        return not_found(request.path)
    iri = described_or_404(*where)
    fmt = EXTENSIONS[ext]
    if fmt == "html":
        page = describe_page(iri)
        rdf_links = {k: url_for("linkeddata.document", path=f"{stem}.{e}") for e, k in EXTENSIONS.items()
                     if k != "html"}
        return render_template("resource.html", page=page, rdf_links=rdf_links)
    body, truncated = describe_rdf(iri, fmt)
    return signal_truncation(rdf_response(body, fmt), truncated)


# --------------------------------------------------------------------------- the article text

def article_text() -> Response:
    iri = base_iri() + ARTICLE_TEXT_PATH
    fmt = negotiate(TEXT_FORMATS)
    if fmt in GRAPH_FORMATS:
        about_text = f'?s ?p ?o FILTER(?s = <{iri}> || STRSTARTS(STR(?s), "{iri}#"))'
        if not ask(f"ASK {{ {about_text} }}"):
            return not_found(iri)  # nothing describes the text (another --base-iri, a CLEAR)
        body = as_written(lambda f: construct(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ {about_text} }}", f).body, fmt)
        return _vary(rdf_response(body, fmt))
    rows = select(f"""PREFIX nif: <{NIF}>
        SELECT ?s ?text WHERE {{ ?s nif:isString ?text FILTER(STRSTARTS(STR(?s), "{iri}#")) }}""")
    if not rows:
        return not_found(iri)
    text = rows[0]["text"]["value"]
    if fmt == "text":
        resp = Response(text, content_type="text/plain; charset=utf-8")
        return _vary(resp)
    spans = select(f"""PREFIX nif: <{NIF}>
        SELECT ?span ?b ?e ?words (SAMPLE(?kind) AS ?k) (GROUP_CONCAT(DISTINCT STR(?r); separator=" ") AS ?rs)
        WHERE {{ ?span nif:beginIndex ?b ; nif:endIndex ?e .
                 FILTER(STRSTARTS(STR(?span), "{iri}#"))
                 OPTIONAL {{ ?span nif:anchorOf ?words }}
                 OPTIONAL {{ ?span a ?kind FILTER(?kind = nif:Sentence) }}
                 OPTIONAL {{ ?r <{GAF}denotedBy> ?span }} }}
        GROUP BY ?span ?b ?e ?words ORDER BY ?b ?e""")
    sentences, parts, context_id, context_resources = [], [], None, []
    labels = fetch_labels({x for r in spans for x in r.get("rs", {}).get("value", "").split()})
    for r in spans:
        b, e = int(r["b"]["value"]), int(r["e"]["value"])
        frag = r["span"]["value"].split("#", 1)[1]
        denoting = [{"iri": x, "href": local_href(x), "label": labels.get(x, x.rsplit("/", 1)[-1])}
                    for x in r.get("rs", {}).get("value", "").split() if x]
        entry = {"id": frag, "begin": b, "end": e, "words": r.get("words", {}).get("value", text[b:e]),
                 "resources": denoting}
        if "k" in r:
            sentences.append(entry)
        elif e - b < len(text):
            parts.append(entry)
        else:  # the nif:Context, the whole text: the element holding the sentences
            context_id, context_resources = frag, denoting
    return _vary(Response(render_template("text.html", iri=iri, text=text, sentences=sentences, spans=parts,
                                          context_id=context_id, context_resources=context_resources),
                          content_type="text/html; charset=utf-8"))


# --------------------------------------------------------------------------- the ontology

def ontology_file():
    return resources.ontology_dir() / "idlib-kg.ttl"


@bp.get("/ontology")
@bp.get("/ontology.<ext>")
def ontology(ext: str | None = None):
    if ext is None:
        fmt = negotiate(DESCRIPTION_FORMATS)
    elif ext in EXTENSIONS:
        fmt = EXTENSIONS[ext]
    else:
        return not_found(request.path)
    location = None if ext else url_for("linkeddata.ontology", ext=EXT_OF[fmt])
    path = ontology_file()
    if fmt == "html":
        doc = resources.ontology_dir() / "doc" / "index.html"
        resp = send_file(doc, mimetype="text/html") if doc.is_file() else \
            Response(render_template("terms.html", **ontology_terms()), content_type="text/html; charset=utf-8")
    elif fmt == "turtle":
        resp = Response(path.read_bytes(), content_type="text/turtle; charset=utf-8")
    else:
        triples = list(parse(path=str(path), format=RdfFormat.TURTLE))
        triples.sort(key=lambda t: (str(t.subject), str(t.predicate), str(t.object)))
        resp = rdf_response(serialize_graph(triples, GRAPH_FORMATS[fmt].oxigraph), fmt)
    if location:
        resp.headers["Content-Location"] = location
    return _vary(resp)


@bp.get("/ontology/<version>")
def ontology_version(version: str):
    """The version IRI (owl:versionIRI) of the current ontology serves the same documents."""
    iri = base_iri() + "ontology/" + version
    if not ask(f"ASK {{ ?o <{OWL}versionIRI> {iri_ref(iri)} }}"):
        return not_found(iri)
    return ontology()


def ontology_terms() -> dict:
    ns = base_iri() + "ontology#"
    rows = select(f"""SELECT ?t ?kind (SAMPLE(?l) AS ?label) (SAMPLE(?d) AS ?def) WHERE {{
        GRAPH <{base_iri()}graph/ontology> {{ ?t a ?kind
          FILTER(STRSTARTS(STR(?t), "{ns}") && ?kind IN (<{OWL}Class>, <{OWL}ObjectProperty>,
                 <{OWL}DatatypeProperty>, <{OWL}AnnotationProperty>, <{OWL}NamedIndividual>))
          OPTIONAL {{ ?t <{RDFS}label> ?l }} OPTIONAL {{ ?t <{SKOS}definition>|<{RDFS}comment> ?d }} }}
        }} GROUP BY ?t ?kind ORDER BY ?kind ?t""")
    terms = [{"id": r["t"]["value"][len(ns):], "iri": r["t"]["value"], "kind": compact(r["kind"]["value"]),
              "label": r.get("label", {}).get("value"), "definition": r.get("def", {}).get("value")}
             for r in rows]
    return {"iri": base_iri() + "ontology", "terms": terms}


# --------------------------------------------------------------------------- named graphs

@bp.get("/graph/<path:name>")
def graph(name: str):
    runtime = _runtime()
    counts = {g.name: g.triples for g in runtime.graph_counts()}
    iri = described_iri("graph/", name, counts.__contains__)
    if iri is None and runtime.counts_error is not None:  # backend mode, the store is away
        raise query_http_error(runtime.counts_error)
    if iri is None:
        return not_found(base_iri() + "graph/" + name)
    fmt = negotiate(DESCRIPTION_FORMATS)
    location = None if request.args.get("format") else url_for("linkeddata.graph", name=name, format=EXT_OF[fmt])
    if fmt == "html":
        resp = Response(render_template("graph.html", iri=iri, triples=counts[iri],
                                        downloads={e: url_for("linkeddata.graph", name=name, format=e)
                                                   for e in EXTENSIONS if e != "html"}),
                        content_type="text/html; charset=utf-8")
    else:
        sources = runtime.graph_sources(iri)
        truncated = False
        if sources:  # every literal as the files write it
            triples = [q.triple for q in read_dataset(sources)]
            body = serialize_graph(triples, GRAPH_FORMATS[fmt].oxigraph, QUERY_PREFIXES)
        else:
            result = construct(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{iri}> {{ ?s ?p ?o }} }}", fmt)
            body, truncated = result.body, result.truncated
        resp = signal_truncation(rdf_response(body, fmt), truncated)
    if location:
        resp.headers["Content-Location"] = location
    return _vary(resp)


__all__ = ["bp", "HTML"]
