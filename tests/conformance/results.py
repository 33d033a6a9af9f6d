"""Parsing SPARQL results (XML, JSON, CSV, TSV, RDF result-set vocabulary, RDF graphs) into one
plain form and comparing two of them the way the W3C tests mean it.

Parsers are written here (ElementTree, json, csv) rather than taken from the engine under test,
so a wrong serializer in the server cannot be hidden by a matching parser. Terms are tuples
that keep the lexical form exactly (rdflib would normalise ``"01"^^xsd:integer`` to ``"1"``,
which would make the strict comparison lenient):

    ("u", iri) | ("b", label) | ("l", lexical, datatype, language) | ("s", csv_text)

Comparison is by multiset of rows with a bijection between blank nodes (graphs: set of
triples, same matcher); ``lenient`` also takes numeric (and boolean) literals of equal value
as equal (see _by_value).
"""

from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

import pyoxigraph as ox

XSD = "http://www.w3.org/2001/XMLSchema#"
RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RS = "http://www.w3.org/2001/sw/DataAccess/tests/result-set#"
SRX = "{http://www.w3.org/2005/sparql-results#}"
XSD_STRING = XSD + "string"
RDF_LANGSTRING = RDF_NS + "langString"
NUMERIC = {XSD + t for t in (
    "integer", "decimal", "float", "double", "nonPositiveInteger", "negativeInteger", "long",
    "int", "short", "byte", "nonNegativeInteger", "unsignedLong", "unsignedInt",
    "unsignedShort", "unsignedByte", "positiveInteger",
)}

Term = tuple
Row = tuple  # terms (or None for unbound), aligned with Result.variables

MEDIA = {
    "srx": "application/sparql-results+xml",
    "srj": "application/sparql-results+json",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
}


@dataclass
class Result:
    kind: str  # "bindings" | "boolean" | "graph"
    variables: tuple[str, ...] = ()
    rows: list[Row] = field(default_factory=list)
    boolean: bool | None = None

    def describe(self, limit: int = 12) -> str:
        if self.kind == "boolean":
            return f"boolean {self.boolean}"
        head = f"{self.kind} {list(self.variables)} ({len(self.rows)} rows)"
        body = "\n".join("  " + " | ".join(_show(t) for t in r) for r in self.rows[:limit])
        more = f"\n  ... {len(self.rows) - limit} more" if len(self.rows) > limit else ""
        return f"{head}\n{body}{more}"


def _show(t: Term | None) -> str:
    if t is None:
        return "-"
    if t[0] == "u":
        return f"<{t[1]}>"
    if t[0] == "b":
        return f"_:{t[1]}"
    if t[0] == "s":
        return repr(t[1])
    if t[0] == "v":
        return f"{t[2]}(value)"
    _, lex, dt, lang = t
    if lang:
        return f'"{lex}"@{lang}'
    return f'"{lex}"' if dt == XSD_STRING else f'"{lex}"^^<{dt}>'


def literal(lex: str, datatype: str | None = None, lang: str | None = None) -> Term:
    """A literal term with RDF 1.1 defaults (simple literal = xsd:string, tags lower-cased)."""
    if lang:
        return ("l", lex, RDF_LANGSTRING, lang.lower())
    return ("l", lex, datatype or XSD_STRING, None)


def from_ox(term) -> Term:
    """Tuple term from a pyoxigraph term."""
    if isinstance(term, ox.NamedNode):
        return ("u", term.value)
    if isinstance(term, ox.BlankNode):
        return ("b", term.value)
    if isinstance(term, ox.Literal):
        return literal(term.value, term.datatype.value, term.language)
    raise TypeError(f"unsupported term {term!r}")


# --------------------------------------------------------------------------- parsers


def parse_srx(data: bytes) -> Result:
    root = ET.fromstring(data)
    boolean = root.find(f"{SRX}boolean")
    if boolean is not None:
        return Result("boolean", boolean=boolean.text.strip() == "true")
    variables = tuple(v.get("name") for v in root.iter(f"{SRX}variable"))
    rows: list[Row] = []
    for res in root.iter(f"{SRX}result"):
        values: dict[str, Term] = {}
        for b in res.findall(f"{SRX}binding"):
            (node,) = list(b)
            tag = node.tag.replace(SRX, "")
            text = node.text or ""
            if tag == "uri":
                values[b.get("name")] = ("u", text)
            elif tag == "bnode":
                values[b.get("name")] = ("b", text)
            elif tag == "literal":
                lang = node.get("{http://www.w3.org/XML/1998/namespace}lang")
                values[b.get("name")] = literal(text, node.get("datatype"), lang)
            else:
                raise ValueError(f"unknown SPARQL XML term element <{tag}>")
        rows.append(tuple(values.get(v) for v in variables))
    return Result("bindings", variables, rows)


def parse_srj(data: bytes) -> Result:
    doc = json.loads(data)
    if "boolean" in doc:
        return Result("boolean", boolean=bool(doc["boolean"]))
    variables = tuple(doc["head"].get("vars", []))
    rows: list[Row] = []
    for b in doc["results"]["bindings"]:
        values: dict[str, Term] = {}
        for name, t in b.items():
            kind = t["type"]
            if kind == "uri":
                values[name] = ("u", t["value"])
            elif kind == "bnode":
                values[name] = ("b", t["value"])
            elif kind in ("literal", "typed-literal"):
                values[name] = literal(t["value"], t.get("datatype"), t.get("xml:lang"))
            else:
                raise ValueError(f"unknown SPARQL JSON term type {kind!r}")
        rows.append(tuple(values.get(v) for v in variables))
    return Result("bindings", variables, rows)


def parse_csv(data: bytes) -> Result:
    """CSV keeps no types: every value is its text, blank nodes are `_:label`."""
    reader = csv.reader(io.StringIO(data.decode("utf-8"), newline=""))
    lines = list(reader)
    variables = tuple(lines[0]) if lines else ()
    rows = []
    for line in lines[1:]:
        row = []
        for cell in line:
            if cell == "":
                row.append(None)
            elif cell.startswith("_:"):
                row.append(("b", cell[2:]))
            else:
                row.append(("s", cell))
        rows.append(tuple(row))
    return Result("bindings", variables, rows)


_TSV_TERM = re.compile(r"<([^>]*)>|_:(\S+)")


def _tsv_term(cell: str) -> Term | None:
    if cell == "":
        return None
    m = _TSV_TERM.fullmatch(cell)
    if m:
        return ("u", m.group(1)) if m.group(1) is not None else ("b", m.group(2))
    # literals (quoted, typed, language-tagged or bare numbers/booleans) are Turtle terms:
    # let the Turtle parser read one as the object of a dummy triple.
    doc = f"<urn:s> <urn:p> {cell} ."
    (quad,) = list(ox.parse(doc.encode("utf-8"), format=ox.RdfFormat.TURTLE))
    return from_ox(quad.object)


def parse_tsv(data: bytes) -> Result:
    lines = data.decode("utf-8").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    variables = tuple(v.strip().lstrip("?$") for v in lines[0].split("\t")) if lines else ()
    rows = [tuple(_tsv_term(c) for c in line.split("\t")) for line in lines[1:]]
    return Result("bindings", variables, rows)


def parse_graph(data: bytes, media_type: str, base_iri: str | None = None) -> Result:
    fmt = ox.RdfFormat.from_media_type(media_type)
    if fmt is None:
        raise ValueError(f"not an RDF media type: {media_type!r}")
    triples = {
        (from_ox(q.subject), from_ox(q.predicate), from_ox(q.object))
        for q in ox.parse(data, format=fmt, base_iri=base_iri)
    }
    return Result("graph", ("s", "p", "o"), sorted(triples, key=repr))


def graph_to_result_set(graph: Result) -> Result | None:
    """Read the DAWG result-set vocabulary (rs:ResultSet); None when the graph has none."""
    by_subject: dict[Term, list[tuple[Term, Term]]] = {}
    for s, p, o in graph.rows:
        by_subject.setdefault(s, []).append((p, o))
    sets = [s for s, po in by_subject.items() if (("u", RDF_NS + "type"), ("u", RS + "ResultSet")) in po]
    if not sets:
        return None
    (rs,) = sets

    def values(s: Term, p: str) -> list[Term]:
        return [o for pp, o in by_subject.get(s, []) if pp == ("u", RS + p)]

    boolean = values(rs, "boolean")
    if boolean:
        return Result("boolean", boolean=boolean[0][1] == "true")
    variables = tuple(v[1] for v in values(rs, "resultVariable"))
    solutions = []
    for sol in values(rs, "solution"):
        binding = {}
        for b in values(sol, "binding"):
            binding[values(b, "variable")[0][1]] = values(b, "value")[0]
        index = values(sol, "index")
        solutions.append((int(index[0][1]) if index else 0, tuple(binding.get(v) for v in variables)))
    solutions.sort(key=lambda x: x[0])
    return Result("bindings", variables, [row for _, row in solutions])


def parse_response(data: bytes, content_type: str, base_iri: str | None = None) -> Result:
    """Parse an HTTP response body by its media type."""
    media = content_type.split(";")[0].strip().lower()
    if media in ("application/sparql-results+xml", "application/xml"):
        return parse_srx(data)
    if media in ("application/sparql-results+json", "application/json"):
        return parse_srj(data)
    if media == "text/csv":
        return parse_csv(data)
    if media == "text/tab-separated-values":
        return parse_tsv(data)
    return parse_graph(data, media, base_iri)


def parse_expected(path) -> Result:
    """An expected-result file of the W3C suite, by extension."""
    ext = path.suffix.lstrip(".")
    data = path.read_bytes()
    if ext == "srx":
        return parse_srx(data)
    if ext == "srj":
        return parse_srj(data)
    if ext == "csv":
        return parse_csv(data)
    if ext == "tsv":
        return parse_tsv(data)
    media = {"ttl": "text/turtle", "rdf": "application/rdf+xml", "nt": "application/n-triples"}[ext]
    graph = parse_graph(data, media, path.resolve().as_uri())
    return graph_to_result_set(graph) or graph


# --------------------------------------------------------------------------- comparison


def _by_value(t: Term) -> Term:
    """Lenient form of a term: numeric literals become their number, whatever the numeric datatype
    (so "2.0"^^xsd:decimal == "2"^^xsd:decimal, "-3"^^xsd:negativeInteger == "-3"^^xsd:integer),
    booleans their truth value ("0" == "false"), numbers in CSV cells their number
    ("1.0E6" == "1000000"). The engine stores typed literals in a canonical binary form, so
    the data it echoes back is written canonically: that is what this forgives."""
    if t is None:
        return t
    if t[0] == "l" and t[2] == XSD + "boolean" and t[1].strip() in ("0", "1", "true", "false"):
        return ("v", t[2], t[1].strip() in ("1", "true"))
    if (t[0] == "l" and t[2] in NUMERIC) or t[0] == "s":
        try:
            value = Decimal(t[1].strip())
        except InvalidOperation:
            return t
        if value.is_finite():
            return ("v", "number", value.normalize())
    return t


def _align(r: Result, variables: tuple[str, ...]) -> list[Row]:
    idx = {v: i for i, v in enumerate(r.variables)}
    return [tuple(row[idx[v]] if v in idx and idx[v] < len(row) else None for v in variables)
            for row in r.rows]


def _extend(mapping: dict, used: set, a: Row, b: Row) -> dict | None:
    """Extend the blank-node bijection so that row a equals row b, or None."""
    new = dict(mapping)
    new_used = set(used)
    for x, y in zip(a, b):
        if x is None or y is None:
            if x is not y:
                return None
            continue
        if x[0] == "b" or y[0] == "b":
            if x[0] != y[0]:
                return None
            if x in new:
                if new[x] != y:
                    return None
            elif y in new_used:
                return None
            else:
                new[x] = y
                new_used.add(y)
        elif x != y:
            return None
    return new


def _shape(row: Row) -> Row:
    return tuple(("b",) if t is not None and t[0] == "b" else t for t in row)


def rows_match(expected: list[Row], actual: list[Row], ordered: bool) -> bool:
    """Multiset (or sequence) equality of rows up to a bijection of blank nodes."""
    if len(expected) != len(actual):
        return False
    if ordered:
        mapping: dict | None = {}
        used: set = set()
        for a, b in zip(expected, actual):
            mapping = _extend(mapping, used, a, b)
            if mapping is None:
                return False
            used = set(mapping.values())
        return True
    if Counter(map(_shape, expected)) != Counter(map(_shape, actual)):
        return False
    # rows without blank nodes are equal by the Counter check; match the rest by backtracking
    exp = [r for r in expected if r != _shape(r)]
    act = [r for r in actual if r != _shape(r)]
    exp.sort(key=lambda r: -sum(t is not None and t[0] == "b" for t in r))
    taken = [False] * len(act)

    def search(i: int, mapping: dict) -> bool:
        if i == len(exp):
            return True
        for j, cand in enumerate(act):
            if taken[j] or _shape(cand) != _shape(exp[i]):
                continue
            m = _extend(mapping, set(mapping.values()), exp[i], cand)
            if m is not None:
                taken[j] = True
                if search(i + 1, m):
                    return True
                taken[j] = False
        return False

    return search(0, {})


def _to_csv(t: Term | None) -> Term | None:
    """What a term looks like once written as CSV (for comparing against a .csv file)."""
    if t is None or t[0] in ("b", "s"):
        return t
    return ("s", t[1])


def same(expected: Result, actual: Result, *, ordered: bool = False, lenient: bool = False) -> bool:
    """Whether actual is the result the test expects."""
    if expected.kind != actual.kind:
        return False
    if expected.kind == "boolean":
        return expected.boolean == actual.boolean
    variables = expected.variables
    if expected.kind == "bindings" and set(variables) != set(actual.variables):
        return False
    exp, act = _align(expected, variables), _align(actual, variables)
    if any(t is not None and t[0] == "s" for r in exp for t in r):  # a CSV expectation
        act = [tuple(map(_to_csv, r)) for r in act]
    if lenient:
        exp = [tuple(map(_by_value, r)) for r in exp]
        act = [tuple(map(_by_value, r)) for r in act]
    if expected.kind == "graph":
        exp, act = sorted(set(exp), key=repr), sorted(set(act), key=repr)
        ordered = False
    return rows_match(exp, act, ordered)


_STRIP = re.compile(r'#[^\n]*|"""(?:.|\n)*?"""|\'\'\'(?:.|\n)*?\'\'\'|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'|<[^<>"{}|^`\\\s]*>')


def is_ordered(query: str) -> bool:
    """True when the outermost query has ORDER BY (so the order of solutions is significant)."""
    text = _STRIP.sub(" ", query)
    depth, last_close = 0, -1
    for i, ch in enumerate(text):
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                last_close = i
    return re.search(r"\bORDER\s+BY\b", text[last_close + 1:], re.I) is not None
