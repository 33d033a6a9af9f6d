"""`idlib-kg export`: the whole dataset in one file, byte-for-byte reproducible.

What is written: every named graph the server serves (ontology, article, links, inferred, and
--load extras), read from the files as they are written (dataset.read_dataset: the store would
hand back `xsd:nonNegativeInteger` offsets as `xsd:integer`). Quad formats (N-Quads, TriG,
JSON-LD) keep the named graphs; triple formats (Turtle, N-Triples, RDF/XML) get their union,
each triple once.

Deterministic output (same data -> same bytes):
1. the quads are copied into a pyoxigraph Dataset and canonicalized with RDFC-1.0 (the W3C RDF
   Dataset Canonicalization algorithm), so blank nodes get canonical labels (_:c14n0, ...) that
   depend only on the data, not on parse order;
2. the quads are sorted by (graph, subject, predicate, object) in N-Triples term syntax;
3. pyoxigraph's serializers write them in that order with a fixed prefix table.

`--format quickstatements` writes the article's events as Wikidata QuickStatements (V1) for an
editor to review; see quickstatements().
"""

from __future__ import annotations

import argparse
import logging
import math
import re
import sys
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from pyoxigraph import (BlankNode, CanonicalizationAlgorithm, Dataset, DefaultGraph, Literal,
                        NamedNode, Quad, RdfFormat, Store, Triple, serialize)

from idlib_kg.serialization import serialize_graph
from idlib_kg.vocab import NAMESPACES, prefixes

log = logging.getLogger(__name__)

# The data's prefixes: the query prefixes but sd: (the data has no service description), then
# the reused vocabularies and the concept schemes.
PREFIXES = prefixes("ikg", "ikr", "rdf", "rdfs", "owl", "xsd", "skos", "dcterms", "prov", "void", "wd",
                    "sem", "time", "geo", "nif", "gaf", "schema", "oa", "org", "vann",
                    "cameo", "acled", "role", "act")

QUAD_FORMATS = {"nquads": RdfFormat.N_QUADS, "trig": RdfFormat.TRIG, "jsonld": RdfFormat.JSON_LD}
TRIPLE_FORMATS = {"turtle": RdfFormat.TURTLE, "ntriples": RdfFormat.N_TRIPLES, "rdfxml": RdfFormat.RDF_XML}
RDF_FORMATS = {**TRIPLE_FORMATS, **QUAD_FORMATS}
FORMATS = (*RDF_FORMATS, "quickstatements")
EXTENSIONS = {"turtle": ".ttl", "ntriples": ".nt", "rdfxml": ".rdf", "nquads": ".nq", "trig": ".trig",
              "jsonld": ".jsonld", "quickstatements": ".qs.tsv"}


def _key(term) -> str:
    return "" if isinstance(term, DefaultGraph) else str(term)


def canonical_quads(data: Dataset) -> list[Quad]:
    """All quads of `data`, blank nodes relabelled by RDFC-1.0, sorted."""
    ds = Dataset(data)
    ds.canonicalize(CanonicalizationAlgorithm.RDFC_1_0)
    return sorted(ds, key=lambda q: (_key(q.graph_name), str(q.subject), str(q.predicate), str(q.object)))


def union_triples(quads: list[Quad]) -> list[Triple]:
    seen: dict[tuple[str, str, str], Triple] = {}
    for q in quads:
        seen.setdefault((str(q.subject), str(q.predicate), str(q.object)), q.triple)
    return [seen[k] for k in sorted(seen)]


def faithful_dataset(extra_files: list[Path] | tuple[Path, ...] = ()) -> Dataset:
    """What the server serves (project files + extras), every literal as the files write it."""
    from idlib_kg.dataset import all_files, read_dataset
    return read_dataset(all_files(extra_files))


def load_dataset(extra_files: list[Path] | tuple[Path, ...] = ()) -> Store:
    """An in-memory store with exactly what the server would serve (project files + extras),
    for SPARQL over it (its literals normalized: faithful_dataset for the written form)."""
    from idlib_kg.store import open_store
    opened = open_store(None, list(extra_files))
    assert opened.store is not None
    return opened.store


def serialize_dataset(data: Dataset, fmt: str) -> bytes:
    """The dataset in one of RDF_FORMATS, deterministic."""
    quads = canonical_quads(data)
    if fmt in QUAD_FORMATS:
        return serialize(quads, format=QUAD_FORMATS[fmt], prefixes=PREFIXES if fmt == "trig" else None)
    if fmt == "ntriples":
        return serialize(union_triples(quads), format=RdfFormat.N_TRIPLES)
    return serialize_graph(union_triples(quads), TRIPLE_FORMATS[fmt], PREFIXES)


# --------------------------------------------------------------------------- QuickStatements

WD = "http://www.wikidata.org/entity/"
IKG, SEM, SCHEMA = (NAMESPACES[p] for p in ("ikg", "sem", "schema"))
ARTICLE = "https://w3id.org/idlib-kg/id/article"

# Our event classes -> verified Wikidata classes (rows marked verified in the reconciliation
# table) that every instance of ours is an instance of: the Wikidata class is the same or wider
# (the ontology's skos:exactMatch / broadMatch). A class without one gets a comment instead of an
# invented Q-id: an agreement or a cease-fire is no treaty (Q131569, the ontology's narrowMatch).
EVENT_CLASSES = {
    IKG + "Airstrike": "Q2380335",          # airstrike
    IKG + "AerialBombardment": "Q678146",   # bombardment
    IKG + "Offensive": "Q831663",           # military campaign
}
EXPORTED_EVENT_CLASSES = (IKG + "Attack", IKG + "Agreement", IKG + "Meeting")
OWL_SAMEAS = "http://www.w3.org/2002/07/owl#sameAs"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"

QS_EVENTS = f"""
PREFIX ikg: <{IKG}>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
SELECT DISTINCT ?e ?label WHERE {{
  VALUES ?top {{ {' '.join(f'<{c}>' for c in EXPORTED_EVENT_CLASSES)} }}
  ?e rdf:type ?c . ?c rdfs:subClassOf* ?top .
  FILTER(STRSTARTS(STR(?e), "https://w3id.org/idlib-kg/id/"))
  OPTIONAL {{ ?e rdfs:label ?label FILTER(LANGMATCHES(LANG(?label), "en")) }}
}} ORDER BY ?e
"""


@dataclass
class _Facts:
    store: Store

    def rows(self, query: str) -> list[dict]:
        res = self.store.query(query, use_default_graph_as_union=True)
        names = [v.value for v in res.variables]
        return [{n: row[n] for n in names if row[n] is not None} for row in res]

    def values(self, s, p: str) -> list:
        """The objects of `s` (an IRI, or a term: a blank node or literal has none we can ask for) by `p`."""
        if isinstance(s, (BlankNode, Literal)):
            return []
        iri = s.value if isinstance(s, NamedNode) else s
        return [r["o"] for r in self.rows(f"SELECT ?o WHERE {{ <{iri}> <{p}> ?o }} ORDER BY ?o")]

    def first(self, s, p: str):
        v = self.values(s, p)
        return v[0] if v else None

    def qid(self, iri) -> str | None:
        """A verified Q-id: owl:sameAs wd:Q... (closeMatch is not identity, so not used); an
        IRI under wd: that is no item identifier (wd:Qfoo/bar) is none."""
        for o in self.values(iri, OWL_SAMEAS):
            if isinstance(o, NamedNode) and o.value.startswith(WD) and _QID.fullmatch(o.value[len(WD):]):
                return o.value[len(WD):]
        return None

    def awaiting(self, iri: str) -> bool:
        """Flagged ikg:awaitingReconciliation true: nobody has looked for its item yet."""
        return any(v.value == "true" for v in self.values(iri, IKG + "awaitingReconciliation"))

    def contested(self, claim: str) -> bool:
        """The data sets another claim against this one (ikg:inTensionWith, either way)."""
        return bool(self.store.query(f"ASK {{ {{ <{claim}> <{IKG}inTensionWith> ?x }} UNION "
                                     f"{{ ?x <{IKG}inTensionWith> <{claim}> }} }}",
                                     use_default_graph_as_union=True))

    def label(self, term) -> str:
        """An IRI's (or NamedNode's) rdfs:label, else its last segment; a literal's value; a blank node as such."""
        if isinstance(term, Literal):
            return term.value
        if isinstance(term, BlankNode):
            return "(a blank node)"
        lab = self.first(term, "http://www.w3.org/2000/01/rdf-schema#label")
        return lab.value if lab is not None else str(getattr(term, "value", term)).rsplit("/", 1)[-1]


#: an item identifier: Q and digits
_QID = re.compile(r"Q[1-9][0-9]*")


def _one_line(text: str, keep_tabs: bool = False) -> str:
    """`text` with every line break and control character as a space (tabs kept for the
    columns of a statement line when keep_tabs): a label holding "\nQ42\tLen..." must never
    become a line of its own, which QuickStatements would run."""
    return "".join(" " if (unicodedata.category(c) in ("Cc", "Zl", "Zp") and not (keep_tabs and c == "\t"))
                   else c for c in text)


def _qs_string(text: str, lang: str | None = "en") -> str:
    text = _one_line(text.replace('"', "'"))
    return f'{lang}:"{text}"' if lang else f'"{text}"'


def _qs_time(value: str, precision: int) -> str:
    """QuickStatements time: +YYYY-MM-DDT00:00:00Z/precision (11 day, 10 month, 9 year)."""
    date = value[:10] if precision >= 11 else value[:7] + "-00"
    return f"+{date}T00:00:00Z/{precision}"


def _qs_number(x: float) -> str:
    """A quantity as QuickStatements reads it: plain decimal digits, never 1e+06."""
    return str(int(x)) if x == int(x) else f"{x:.1f}"


def _event_date(f: _Facts, event: str) -> str | None:
    """The event's date (QuickStatements time), from its time expression, at the precision known."""
    times = f.values(event, SEM + "hasTime") + f.values(event, IKG + "agreedOn")
    for t in times:
        d = f.first(t, IKG + "calendarDate")
        if d is not None:
            return _qs_time(d.value, 11)
        ym = f.first(t, IKG + "calendarMonth")
        if ym is not None:
            return _qs_time(ym.value, 10)
        b = f.first(t, SEM + "hasEarliestBeginTimeStamp")
        e = f.first(t, SEM + "hasLatestBeginTimeStamp") or f.first(t, SEM + "hasLatestEndTimeStamp")
        if b is not None and e is not None and b.value[:10] == e.value[:10]:
            return _qs_time(b.value, 11)
    return None


def quickstatements(store: Store) -> str:
    """The article's events as QuickStatements V1 (tab-separated), for an editor to review.

    Which events, and how:
    - linked to an item (owl:sameAs wd:Q...): statements for that item, ready to run;
    - awaiting reconciliation (ikg:awaitingReconciliation): a CREATE block written as comments
      ("#\t" before each line), since no one has yet looked for the item: creating it unseen
      would make a duplicate. The editor searches Wikidata first, then links it (and exports
      again) or uncomments the block;
    - neither: a grouping the article makes (its attacks on Idlib early in 2020, the attacks
      Stoltenberg condemns), which Wikidata would hold as no item: named in one comment line.
    Statements: English label, P31 (only verified classes that every instance fits), P585 point
    in time, P276 location (the linked place, or the linked place its area lies within), P1120
    number of deaths (exact, or value~tolerance when both bounds are known), P8031 perpetrator
    only where the data states it plainly (not through a claim), P710 participants. An
    agreement's parties are a comment: P1891 (signatory) would say they signed, and the article
    says they agreed. Every statement carries the article as its reference: S1476 title and S577
    publication date (no URL is known offline; S123 publisher only with a verified Q-id). Values
    use only verified Q-ids; anything awaiting reconciliation is a comment.
    """
    f = _Facts(store)
    title = f.first(ARTICLE, SCHEMA + "headline") or f.first(ARTICLE, "http://www.w3.org/2000/01/rdf-schema#label")
    published = f.first(ARTICLE, SCHEMA + "datePublished")
    publisher = f.first(ARTICLE, SCHEMA + "publisher")
    ref = []
    if title is not None:
        ref += ["S1476", _qs_string(title.value, title.language or "en")]
    if published is not None:
        ref += ["S577", _qs_time(published.value, 11)]
    notes = []
    if publisher is not None:
        pq = f.qid(publisher.value)
        if pq:
            ref += ["S123", pq]
        else:
            notes.append(f"# publisher {f.label(publisher.value)} <{publisher.value}> awaits reconciliation: "
                         "S123 omitted")
    out = ["# idlib-kg: events of the Daily Sabah article of 28 February 2020, QuickStatements V1.",
           "# FOR REVIEW by a Wikidata editor before running. Only verified Q-ids are used; entities",
           "# awaiting reconciliation are comments. Reference on every statement: the article",
           "# (S1476 title, S577 publication date; its URL is not known offline).",
           "# Events awaiting reconciliation come as commented-out CREATE blocks: search Wikidata",
           "# first; if the item exists, link it (owl:sameAs in triples/wikidata-links.ttl) and export",
           "# again, which sends the statements to it; if none exists and the event is notable,",
           "# remove the leading \"#\\t\" of the block's lines.", *notes]
    SAMEAS_AWAITING = "awaits reconciliation (no verified Q-id)"
    groupings: list[str] = []

    def stmt(prop: str, value: str, *qualifiers: str) -> str:
        return "\t".join(["LAST", prop, value, *qualifiers, *ref])

    for row in f.rows(QS_EVENTS):
        e = row["e"].value
        label = row["label"].value if "label" in row else f.label(e)
        existing, awaiting = f.qid(e), f.awaiting(e)
        if not existing and not awaiting:
            groupings.append(f"#   <{e}> {label}")
            continue
        out += ["", f"# <{e}> {label}"]
        lines: list[str] = []
        if existing and awaiting:
            out.append(f"# linked to {existing} but still flagged awaiting reconciliation: confirm the "
                       "link, drop the flag and export again; until then nothing here runs")
        elif existing:
            out.append(f"# already on Wikidata as {existing}: statements go to that item")
        else:
            out.append("# awaits reconciliation: search Wikidata before creating (see the header)")
            lines += ["CREATE", f"LAST\tLen\t{_qs_string(label, None)}"]
        types = [t.value for t in f.values(e, RDF_TYPE)]
        classes = sorted({EVENT_CLASSES[t] for t in types if t in EVENT_CLASSES})
        for q in classes:
            lines.append(stmt("P31", q))
        if not classes:
            lines.append(f"# P31: no verified Wikidata class for {', '.join(t.rsplit('#', 1)[-1] for t in types)}")
        date = _event_date(f, e)
        if date:
            lines.append(stmt("P585", date))
        for place in f.values(e, SEM + "hasPlace"):
            q = f.qid(place)
            within = f.values(place, "http://www.opengis.net/ont/geosparql#sfWithin")
            if q:
                lines.append(stmt("P276", q))
            elif within and f.qid(within[0]):
                lines.append(f"# P276: {f.label(place)} {SAMEAS_AWAITING}; its enclosing place instead")
                lines.append(stmt("P276", f.qid(within[0])))
            else:
                lines.append(f"# P276: {f.label(place)} {place} {SAMEAS_AWAITING}")
        for count in f.values(e, IKG + "numberKilled"):
            stated = f.first(count, IKG + "statedFigure")
            lo, hi = f.first(count, IKG + "lowerBound"), f.first(count, IKG + "upperBound")
            if lo is not None and hi is not None and not all(math.isfinite(_number(b.value)) for b in (lo, hi)):
                lines.append(f"# P1120: bounds {lo.value!r} and {hi.value!r} are not finite numbers")
            elif lo is not None and hi is not None:
                lo_v, hi_v = int(float(lo.value)), int(float(hi.value))
                if lo_v == hi_v:
                    lines.append(stmt("P1120", str(lo_v)))
                else:
                    mid, tol = (lo_v + hi_v) / 2, (hi_v - lo_v) / 2
                    lines.append(stmt("P1120", f"{_qs_number(mid)}~{_qs_number(tol)}"))
            elif lo is not None:
                lines.append(f"# P1120: the article says {stated.value if stated else '?'!r} "
                             f"(at least {lo.value}); QuickStatements cannot state a lower bound "
                             "alone: add by hand with a lower bound")
        perps = f.values(e, IKG + "perpetrator")
        for p in perps:
            q = f.qid(p)
            lines.append(stmt("P8031", q) if q else f"# P8031: {f.label(p)} {p} {SAMEAS_AWAITING}")
        if not perps:
            claimed = f.rows(f"""SELECT DISTINCT ?agent ?claim ?claimant ?polarity WHERE {{
                ?role <{IKG}roleInEvent> <{e}> ; <{IKG}roleAgent> ?agent ; <{SEM}roleType> ?rt .
                FILTER(STRENDS(STR(?rt), "/perpetrator"))
                OPTIONAL {{ ?claim <{IKG}claimedRole> ?role ; <{IKG}claimant> ?claimant .
                           OPTIONAL {{ ?claim <{IKG}polarity> ?polarity }} }} }} ORDER BY ?agent ?claim""")
            for r in claimed:
                agent = f.label(r["agent"])
                if "claim" not in r:  # a role no claim carries: still not a plain statement
                    lines.append(f"# P8031 omitted: {agent} is named as perpetrator only through a role, "
                                 "not stated plainly (ikg:perpetrator)")
                    continue
                claim, claimant = r["claim"].value, f.label(r["claimant"])
                if "polarity" in r and r["polarity"].value == IKG + "Negative":
                    lines.append(f"# P8031 omitted: {claimant} denies that {agent} did it (<{claim}>)")
                else:
                    how = "contested in the data" if f.contested(claim) else "not stated by anyone else"
                    lines.append(f"# P8031 omitted: {agent} is named as perpetrator only in a claim of "
                                 f"{claimant} (<{claim}>, {how})")
        for party in f.values(e, IKG + "party"):
            q = f.qid(party)
            lines.append(f"# party: {f.label(party)} ({q or SAMEAS_AWAITING}); not P1891 (signatory): "
                         "the article says the parties agreed, not that they signed")
        participants = dict.fromkeys(v for prop in (IKG + "organizer", SEM + "hasActor")
                                     for v in f.values(e, prop))  # organizer is a sub-property of hasActor
        for who in participants:
            q = f.qid(who)
            lines.append(stmt("P710", q) if q else f"# P710: {f.label(who)} {SAMEAS_AWAITING}")
        if existing:
            lines = [ln.replace("LAST\t", existing + "\t", 1) for ln in lines]
        if awaiting:  # a proposal: nothing runs until an editor uncomments it
            lines = [ln if ln.startswith("#") else "#\t" + ln for ln in lines]
        out += lines
    if groupings:
        out += ["", "# Not exported (not flagged for reconciliation): groupings of attacks the article makes,",
                "# and events Wikidata would hold no item for:",
                *groupings]
    # every entry is one line, whatever the data's labels hold (tabs stay: they are the columns
    # of statements, commented-out ones included; in a value _qs_string has already removed them)
    return "\n".join(_one_line(line, keep_tabs=True) for line in out) + "\n"


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return math.nan


# --------------------------------------------------------------------------- `idlib-kg export`

def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "export", help="write the whole dataset to one file (deterministic)",
        description="Write the dataset: quad formats keep the named graphs, triple formats get "
                    "their union. Same data -> same bytes (RDFC-1.0 blank nodes, sorted). "
                    "quickstatements: the article's events for Wikidata, for review. "
                    "Exit codes: 0 written, 2 bad options or unreadable data.")
    p.add_argument("--format", "-f", choices=FORMATS, default="nquads", help="output format (default nquads)")
    p.add_argument("-o", "--output", type=Path, metavar="FILE", help="output file (default stdout)")
    p.add_argument("--load", type=Path, action="append", default=[], metavar="FILE",
                   help="extra RDF file to include (as the server's --load)")
    p.set_defaults(func=export_command)


def export_command(args: argparse.Namespace) -> int:
    from idlib_kg.dataset import DatasetError
    from idlib_kg.store import StoreError
    if args.output is not None and (not args.output.name or args.output.is_dir()):
        given = str(args.output) or "''"
        print(f"idlib-kg export: -o {given} is a directory, not a file; give a file name "
              f"such as idlib-kg{EXTENSIONS[args.format]}", file=sys.stderr)
        return 2
    try:
        source = load_dataset(args.load) if args.format == "quickstatements" else faithful_dataset(args.load)
    except (DatasetError, StoreError) as e:
        print(f"idlib-kg export: {e}", file=sys.stderr)
        return 2
    if args.format == "quickstatements":
        data = quickstatements(source).encode("utf-8")
    else:
        try:
            data = serialize_dataset(source, args.format)
        except ValueError as e:  # a graph the format cannot hold (RDF/XML and some predicates)
            print(f"idlib-kg export: {e}", file=sys.stderr)
            return 2
    if args.output:
        tmp = args.output.with_name(args.output.name + ".tmp")
        try:
            tmp.write_bytes(data)
            tmp.replace(args.output)
        except OSError as e:
            tmp.unlink(missing_ok=True)
            # the reason without the temporary file's name, which the user never gave
            print(f"idlib-kg export: cannot write {args.output}: {e.strerror or e}", file=sys.stderr)
            return 2
        print(f"idlib-kg export: wrote {len(data):,} bytes of {args.format} to {args.output}", file=sys.stderr)
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    return 0
