"""Human documentation of the ontology: ontology/doc/index.html, rebuilt by `idlib-kg docs`.

Our own small Jinja2 generator rather than pyLODE: pyLODE 3.4 as installed from PyPI fails on
import (its version.py opens a pyproject.toml that the wheel does not ship), and we need two
things it does not promise: every term's fragment (https://w3id.org/idlib-kg/ontology#Claim)
is the id of the element describing it, so /ontology#Claim lands there, and the output is
byte-for-byte deterministic so the committed file can be checked (`idlib-kg docs --check`).
Jinja2 autoescaping escapes all text taken from the ontology; the few HTML fragments built in
Python (class expressions, links) escape every piece with markupsafe before joining.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import jinja2
import rdflib
from markupsafe import Markup, escape
from rdflib import OWL, RDF, RDFS, SKOS, BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import DCTERMS, Namespace

from idlib_kg import resources
from idlib_kg.vocab import prefixes

ONTOLOGY_IRI = URIRef("https://w3id.org/idlib-kg/ontology")
NS = "https://w3id.org/idlib-kg/ontology#"
SCHEME_BASE = "https://w3id.org/idlib-kg/scheme/"
VANN = Namespace("http://purl.org/vocab/vann/")
SOURCE_FILES = ("idlib-kg.ttl", "event-types.ttl")
OUTPUT = Path("doc") / "index.html"

PREFIXES = prefixes("ikg", "owl", "rdf", "rdfs", "xsd", "skos", "dcterms", "sem", "prov", "time", "geo",
                    "nif", "gaf", "schema", "org", "wd", "cameo", "acled", "role", "act", "vann")

CHARACTERISTICS = (
    (OWL.FunctionalProperty, "functional"), (OWL.InverseFunctionalProperty, "inverse functional"),
    (OWL.SymmetricProperty, "symmetric"), (OWL.AsymmetricProperty, "asymmetric"),
    (OWL.TransitiveProperty, "transitive"), (OWL.ReflexiveProperty, "reflexive"),
    (OWL.IrreflexiveProperty, "irreflexive"),
)
MAPPINGS = (SKOS.exactMatch, SKOS.closeMatch, SKOS.broadMatch, SKOS.narrowMatch, SKOS.relatedMatch)


def default_sources() -> list[Path]:
    return [resources.ontology_dir() / name for name in SOURCE_FILES]


def default_output() -> Path:
    return resources.ontology_dir() / OUTPUT


# --------------------------------------------------------------------------- rendering helpers

class Renderer:
    """Turns terms and OWL class expressions into escaped HTML links."""

    def __init__(self, g: Graph, anchors: dict[URIRef, str]):
        self.g = g
        self.anchors = anchors  # IRI -> element id in this page

    def qname(self, iri: URIRef) -> str:
        text = str(iri)
        for prefix, ns in sorted(PREFIXES.items(), key=lambda kv: -len(kv[1])):
            if text.startswith(ns) and len(text) > len(ns):
                return f"{prefix}:{text[len(ns):]}"
        return text

    def href(self, iri: URIRef) -> str:
        return "#" + self.anchors[iri] if iri in self.anchors else str(iri)

    def link(self, term) -> Markup:
        if isinstance(term, URIRef):
            return Markup('<a href="{}"><code>{}</code></a>').format(self.href(term), self.qname(term))
        if isinstance(term, Literal):
            return Markup("<code>{}</code>").format(term.n3())
        return self.expression(term)

    def expression(self, node) -> Markup:
        """An OWL class expression in Manchester-like syntax."""
        g = self.g
        if isinstance(node, URIRef):
            return self.link(node)
        for op, word in ((OWL.intersectionOf, "and"), (OWL.unionOf, "or")):
            head = g.value(node, op)
            if head is not None:
                parts = [self.expression(x) for x in Collection(g, head)]
                return Markup("(") + Markup(f" <em>{word}</em> ").join(parts) + Markup(")")
        head = g.value(node, OWL.oneOf)
        if head is not None:
            return Markup("{") + Markup(", ").join(self.link(x) for x in Collection(g, head)) + Markup("}")
        head = g.value(node, OWL.complementOf)
        if head is not None:
            return Markup("<em>not</em> ") + self.expression(head)
        prop = g.value(node, OWL.onProperty)
        if prop is not None:
            p = self.link(prop)
            for pred, word in ((OWL.someValuesFrom, "some"), (OWL.allValuesFrom, "only"), (OWL.hasValue, "value")):
                v = g.value(node, pred)
                if v is not None:
                    return p + Markup(f" <em>{word}</em> ") + self.expression(v)
            for pred, word in ((OWL.cardinality, "exactly"), (OWL.minCardinality, "min"), (OWL.maxCardinality, "max"),
                               (OWL.qualifiedCardinality, "exactly"), (OWL.minQualifiedCardinality, "min"),
                               (OWL.maxQualifiedCardinality, "max")):
                v = g.value(node, pred)
                if v is not None:
                    out = p + Markup(f" <em>{word}</em> ") + escape(str(v))
                    on = g.value(node, OWL.onClass) or g.value(node, OWL.onDataRange)
                    return out + (Markup(" ") + self.expression(on) if on is not None else Markup(""))
        return escape("(anonymous expression)")


def _text(g: Graph, s, p) -> list[str]:
    """Literal values, English (or untagged) first, sorted for stable output."""
    values = [o for o in g.objects(s, p) if isinstance(o, Literal)]
    values.sort(key=lambda l: (l.language not in (None, "en"), l.language or "", str(l)))
    return [str(v) for v in values]


def _first(g: Graph, s, *preds) -> str:
    for p in preds:
        values = _text(g, s, p)
        if values:
            return values[0]
    return ""


@dataclass
class TermDoc:
    iri: URIRef
    anchor: str
    qname: str
    label: str
    kinds: list[str] = field(default_factory=list)
    definition: str = ""
    comments: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    rows: list[tuple[str, list[Markup]]] = field(default_factory=list)


def _sorted_terms(terms: Iterable) -> list[URIRef]:
    return sorted((t for t in set(terms) if isinstance(t, URIRef)), key=str)


def build_context(g: Graph) -> dict:
    """Everything the template shows, as plain sorted data."""
    ikg = lambda t: isinstance(t, URIRef) and str(t).startswith(NS)  # noqa: E731
    classes = _sorted_terms(t for t in g.subjects(RDF.type, OWL.Class) if ikg(t))
    obj_props = _sorted_terms(t for t in g.subjects(RDF.type, OWL.ObjectProperty) if ikg(t))
    data_props = _sorted_terms(t for t in g.subjects(RDF.type, OWL.DatatypeProperty) if ikg(t))
    ann_props = _sorted_terms(t for t in g.subjects(RDF.type, OWL.AnnotationProperty) if ikg(t))
    individuals = _sorted_terms(t for t in g.subjects(RDF.type, OWL.NamedIndividual) if ikg(t))
    schemes = _sorted_terms(g.subjects(RDF.type, SKOS.ConceptScheme))
    concepts = _sorted_terms(g.subjects(RDF.type, SKOS.Concept))

    anchors: dict[URIRef, str] = {}
    for t in classes + obj_props + data_props + ann_props + individuals:
        anchors[t] = str(t)[len(NS):]
    for t in schemes + concepts:
        # Concepts live outside the ontology namespace: ids like "cameo-016" (never clash with
        # term ids, which have no hyphen-separated scheme prefix of this form).
        anchors[t] = "scheme-" + str(t)[len(SCHEME_BASE):].replace("/", "-") if str(t).startswith(SCHEME_BASE) \
            else "concept-" + hashlib.sha1(str(t).encode()).hexdigest()[:12]
    r = Renderer(g, anchors)

    def links(items) -> list[Markup]:
        return [r.link(x) for x in sorted(items, key=lambda x: (isinstance(x, BNode), str(x) if not isinstance(x, BNode) else ""))]

    def exprs(items) -> list[Markup]:
        named = sorted((x for x in items if isinstance(x, URIRef)), key=str)
        anon = [x for x in items if isinstance(x, BNode)]
        rendered = [r.expression(x) for x in named] + sorted((r.expression(x) for x in anon), key=str)
        return rendered

    def base(t: URIRef, kinds: list[str]) -> TermDoc:
        doc = TermDoc(t, anchors[t], r.qname(t), _first(g, t, RDFS.label, SKOS.prefLabel) or r.qname(t), kinds,
                      _first(g, t, SKOS.definition), _text(g, t, RDFS.comment),
                      _text(g, t, SKOS.scopeNote) + _text(g, t, SKOS.example))
        return doc

    def add(doc: TermDoc, name: str, values: list[Markup]) -> None:
        if values:
            doc.rows.append((name, values))

    def mappings(doc: TermDoc, t: URIRef) -> None:
        for p in MAPPINGS:
            add(doc, r.qname(p), links(g.objects(t, p)))

    class_docs = []
    for c in classes:
        d = base(c, ["class"])
        add(d, "equivalent to", exprs(list(g.objects(c, OWL.equivalentClass))))
        add(d, "subclass of", exprs(list(g.objects(c, RDFS.subClassOf))))
        add(d, "superclass of", links(x for x in g.subjects(RDFS.subClassOf, c) if isinstance(x, URIRef)))
        disjoint = set(g.objects(c, OWL.disjointWith)) | set(g.subjects(OWL.disjointWith, c))
        add(d, "disjoint with", links(disjoint))
        add(d, "in domain of", links(g.subjects(RDFS.domain, c)))
        add(d, "in range of", links(g.subjects(RDFS.range, c)))
        add(d, "instances", links(x for x in g.subjects(RDF.type, c) if x in anchors))
        mappings(d, c)
        class_docs.append(d)

    def prop_doc(p: URIRef, kind: str) -> TermDoc:
        chars = [word for cls, word in CHARACTERISTICS if (p, RDF.type, cls) in g]
        d = base(p, [kind] + chars)
        add(d, "sub-property of", links(g.objects(p, RDFS.subPropertyOf)))
        add(d, "super-property of", links(g.subjects(RDFS.subPropertyOf, p)))
        inverse = set(g.objects(p, OWL.inverseOf)) | set(g.subjects(OWL.inverseOf, p))
        add(d, "inverse of", links(inverse))
        add(d, "domain", exprs(list(g.objects(p, RDFS.domain))))
        add(d, "range", exprs(list(g.objects(p, RDFS.range))))
        for head in sorted(g.objects(p, OWL.propertyChainAxiom), key=str):
            add(d, "property chain", [Markup(" <em>o</em> ").join(r.link(x) for x in Collection(g, head))])
        mappings(d, p)
        return d

    individual_docs = []
    for i in individuals:
        d = base(i, ["named individual"])
        add(d, "type", links(x for x in g.objects(i, RDF.type) if x != OWL.NamedIndividual))
        individual_docs.append(d)

    scheme_docs = []
    for s in schemes:
        members = [c for c in concepts if (c, SKOS.inScheme, s) in g]
        concept_docs = []
        for c in members:
            d = base(c, ["concept"])
            notation = _text(g, c, SKOS.notation)
            if notation:
                d.rows.append(("notation", [Markup("<code>{}</code>").format(n) for n in notation]))
            add(d, "broader", links(g.objects(c, SKOS.broader)))
            mappings(d, c)
            add(d, "used by", links(x for p in MAPPINGS for x in g.subjects(p, c) if str(x).startswith(NS)))
            concept_docs.append(d)
        notation_key = lambda d: (_first(g, d.iri, SKOS.notation), str(d.iri))  # noqa: E731
        concept_docs.sort(key=notation_key)
        sd = base(s, ["concept scheme"])
        for line in _text(g, s, DCTERMS.source):
            sd.notes.append("Source: " + line)
        scheme_docs.append((sd, concept_docs))

    reused = _sorted_terms(t for cls in (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty)
                           for t in g.subjects(RDF.type, cls) if not ikg(t))

    meta_rows = []
    o = ONTOLOGY_IRI
    def meta(name: str, values: list) -> None:  # noqa: E306
        if values:
            meta_rows.append((name, values))
    meta("IRI", [r.link(o)])
    meta("version IRI", links(g.objects(o, OWL.versionIRI)))
    meta("version", [escape(v) for v in _text(g, o, OWL.versionInfo)])
    meta("created", [escape(v) for v in _text(g, o, DCTERMS.created)])
    meta("modified", [escape(v) for v in _text(g, o, DCTERMS.modified)])
    meta("creator", [escape(v) for v in _text(g, o, DCTERMS.creator)])
    meta("license", links(g.objects(o, DCTERMS.license)))
    meta("preferred prefix", [escape(v) for v in _text(g, o, VANN.preferredNamespacePrefix)])
    meta("namespace", [escape(v) for v in _text(g, o, VANN.preferredNamespaceUri)])
    meta("source", [escape(v) for v in _text(g, o, DCTERMS.source)])
    meta("see also", links(g.objects(o, RDFS.seeAlso)))

    return {
        "title": _first(g, o, DCTERMS.title) or "idlib-kg ontology",
        "description": _first(g, o, DCTERMS.description),
        "comments": _text(g, o, RDFS.comment),
        "meta_rows": meta_rows,
        "sections": [
            ("classes", "Classes", class_docs),
            ("object-properties", "Object properties", [prop_doc(p, "object property") for p in obj_props]),
            ("datatype-properties", "Datatype properties", [prop_doc(p, "datatype property") for p in data_props]),
            ("annotation-properties", "Annotation properties", [prop_doc(p, "annotation property") for p in ann_props]),
            ("individuals", "Named individuals", individual_docs),
        ],
        "schemes": scheme_docs,
        "reused": [(r.qname(t), str(t)) for t in reused],
        "prefixes": sorted(PREFIXES.items()),
    }


TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title>
<!-- Generated by `idlib-kg docs` from ontology/idlib-kg.ttl and ontology/event-types.ttl; do not edit by hand. -->
<style>
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 0 auto; padding: 1rem; line-height: 1.45; color: #222; }
code { font-size: 0.92em; }
a { color: #0645ad; }
section.term { border-top: 1px solid #ccc; padding: 0.4rem 0 0.8rem; }
section.term:target { background: #fff8dc; }
h3 { margin-bottom: 0.2rem; }
.kind { font-size: 0.8rem; color: #555; text-transform: uppercase; letter-spacing: 0.03em; }
.iri { font-size: 0.85rem; color: #555; word-break: break-all; }
table.rows th { text-align: left; vertical-align: top; padding-right: 1rem; white-space: nowrap; font-weight: 600; }
table.rows td { vertical-align: top; }
nav ul { columns: 3; }
.definition { font-size: 1.05rem; }
</style>
</head>
<body>
<header>
<h1>{{ title }}</h1>
<p>{{ description }}</p>
{% for c in comments %}<p>{{ c }}</p>{% endfor %}
<table class="rows">
{% for name, values in meta_rows %}<tr><th>{{ name }}</th><td>{% for v in values %}{{ v }}{% if not loop.last %}, {% endif %}{% endfor %}</td></tr>
{% endfor %}</table>
</header>
<nav id="toc">
<h2>Contents</h2>
{% for sid, heading, terms in sections %}{% if terms %}<h3><a href="#sec-{{ sid }}">{{ heading }}</a></h3>
<ul>{% for t in terms %}<li><a href="#{{ t.anchor }}">{{ t.qname }}</a></li>{% endfor %}</ul>
{% endif %}{% endfor %}
<h3><a href="#sec-schemes">Concept schemes</a></h3>
<ul>{% for s, concepts in schemes %}<li><a href="#{{ s.anchor }}">{{ s.label }}</a> ({{ concepts|length }} concepts)</li>{% endfor %}</ul>
<h3><a href="#sec-reused">Reused terms</a></h3>
<h3><a href="#sec-prefixes">Namespaces</a></h3>
</nav>
<main>
{% macro term(t) %}
<section class="term" id="{{ t.anchor }}">
<h3>{{ t.label }}</h3>
<div class="kind">{{ t.kinds|join(", ") }}</div>
<div class="iri"><code>{{ t.qname }}</code> &middot; <a href="#{{ t.anchor }}" title="this term's IRI; a link to its entry here">{{ t.iri }}</a></div>
{% if t.definition %}<p class="definition">{{ t.definition }}</p>{% endif %}
{% for c in t.comments %}<p>{{ c }}</p>{% endfor %}
{% for n in t.notes %}<p><em>Note:</em> {{ n }}</p>{% endfor %}
{% if t.rows %}<table class="rows">
{% for name, values in t.rows %}<tr><th>{{ name }}</th><td>{% for v in values %}{{ v }}{% if not loop.last %}<br>{% endif %}{% endfor %}</td></tr>
{% endfor %}</table>{% endif %}
</section>
{% endmacro %}
{% for sid, heading, terms in sections %}{% if terms %}
<section id="sec-{{ sid }}">
<h2>{{ heading }}</h2>
{% for t in terms %}{{ term(t) }}{% endfor %}
</section>
{% endif %}{% endfor %}
<section id="sec-schemes">
<h2>Concept schemes</h2>
{% for s, concepts in schemes %}
{{ term(s) }}
{% for c in concepts %}{{ term(c) }}{% endfor %}
{% endfor %}
</section>
<section id="sec-reused">
<h2>Reused terms</h2>
<p>Declared in the ontology so that it stays OWL 2 DL; defined by their own vocabularies, not imported.</p>
<ul>{% for q, iri in reused %}<li><a href="{{ iri }}"><code>{{ q }}</code></a></li>{% endfor %}</ul>
</section>
<section id="sec-prefixes">
<h2>Namespaces</h2>
<table class="rows">{% for p, ns in prefixes %}<tr><th><code>{{ p }}</code></th><td><code>{{ ns }}</code></td></tr>{% endfor %}</table>
</section>
</main>
</body>
</html>
"""


def render(sources: Iterable[Path | str] | None = None) -> str:
    g = Graph()
    for path in (default_sources() if sources is None else sources):
        g.parse(path, format="turtle")
    env = jinja2.Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True,
                             undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    return env.from_string(TEMPLATE).render(**build_context(g))


def write_docs(path: Path | str | None = None, sources=None) -> Path:
    path = Path(path) if path is not None else default_output()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(sources), encoding="utf-8")
    return path


# --------------------------------------------------------------------------- `idlib-kg docs`

def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "docs", help="rebuild the ontology's HTML documentation (ontology/doc/index.html)",
        description="Render ontology/idlib-kg.ttl and ontology/event-types.ttl as one HTML page. "
                    "Exit codes: 0 done (or up to date), 1 --check found the page out of date, 2 bad input.")
    p.add_argument("--check", action="store_true", help="write nothing; exit 1 if the page is out of date")
    p.add_argument("--output", type=Path, metavar="FILE", help="where to write (default ontology/doc/index.html)")
    p.set_defaults(func=docs_command)


def docs_command(args: argparse.Namespace) -> int:
    output = args.output or default_output()
    try:
        html = render()
    except (OSError, rdflib.exceptions.ParserError, SyntaxError) as e:
        print(f"idlib-kg docs: cannot read the ontology: {e}", file=sys.stderr)
        return 2
    if args.check:
        current = output.read_bytes() if output.is_file() else None  # bytes: any encoding differs
        if current != html.encode("utf-8"):
            print(f"idlib-kg docs: {output} is out of date; run `idlib-kg docs` and commit it", file=sys.stderr)
            return 1
        print(f"idlib-kg docs: {output} is up to date")
        return 0
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(html, encoding="utf-8")
    except OSError as e:
        print(f"idlib-kg docs: cannot write {output}: {e.strerror or e}", file=sys.stderr)
        return 2
    print(f"idlib-kg docs: wrote {output}")
    return 0

