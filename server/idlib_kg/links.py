"""`idlib-kg links check|suggest`: our Wikidata links, checked against Wikidata (or a stand-in).

check: every link to a Wikidata entity (owl:sameAs, and the SKOS mappings exactMatch,
closeMatch, broadMatch, narrowMatch, relatedMatch), from the data's resources and from the
ontology's classes, properties and concepts, is looked up at the SPARQL endpoint (default
https://query.wikidata.org/sparql; tests use a local Oxigraph server loaded with
tests/data/wikidata-standin.ttl):
  - the entity exists (an entity with no label, no P31 and no triple at all does not),
  - its English label or an English alias matches the resource's rdfs:label, skos:prefLabel or
    skos:altLabel after normalisation (Unicode NFKC, case, dashes and quotes, spacing). For the
    identity links (owl:sameAs, skos:exactMatch) a different label is wrong, and a near miss
    (accents dropped, very similar spelling) is reported but accepted; one name inside the other
    ("Turkey" in "Grand National Assembly of Turkey") passes only when the class check below
    confirms it. For the other mappings (not identity) a different label is only a note,
  - an ontology class links to an item (Q), a property to a property (P),
  - a resource's instance-of (P31, through subclass-of P279* where the endpoint has it) fits
    its class, by CLASS_TABLE; a class not in the table, or an item with no P31 at the
    endpoint, is "not checked" (the table holds only verified Wikidata classes).
A table goes to stdout. Exit 0 when no link is wrong, 1 when one is (missing item, label
mismatch on owl:sameAs, class mismatch), 2 for bad usage or an unreachable endpoint.

suggest: resources marked ikg:awaitingReconciliation true get candidate items whose English
label or alias equals one of the resource's labels (and, with --search-api, the Wikidata
search API's hits), for a person to review. It never writes a link.
"""

from __future__ import annotations

import argparse
import difflib
import logging
import re
import sys
import unicodedata
from dataclasses import dataclass, field

import requests

from idlib_kg import __version__
from idlib_kg.config import positive_float, positive_int
from idlib_kg.vocab import WIKIDATA_LINKS

log = logging.getLogger(__name__)

WIKIDATA_SPARQL = "https://query.wikidata.org/sparql"
WD = "http://www.wikidata.org/entity/"
WDT = "http://www.wikidata.org/prop/direct/"
IKG = "https://w3id.org/idlib-kg/ontology#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
OWL = "http://www.w3.org/2002/07/owl#"
SCHEMA = "http://schema.org/"
USER_AGENT = f"idlib-kg/{__version__} (links check; https://w3id.org/idlib-kg/)"
#: each Wikidata link property -> how the table writes it
LINK_PREDICATES = {iri: ("owl:" if name == "sameAs" else "skos:") + name for name, iri in WIKIDATA_LINKS.items()}
#: links that say the two are the same: their labels must agree
IDENTITY = frozenset({OWL + "sameAs", SKOS + "exactMatch"})
#: what a term of the ontology or its schemes may link to, by its rdf:type: a class to an item
#: (Q), a property to a property (P), a concept (a role, an event type) to either
TERM_KINDS = {OWL + "Class": "Q", OWL + "ObjectProperty": "P", OWL + "DatatypeProperty": "P",
              OWL + "AnnotationProperty": "P", SKOS + "Concept": "QP"}

# Our class -> Wikidata classes an item linked to it may be an instance of (Q-ids verified in the
# project's reconciliation table). One table, used by `links check` only.
CLASS_TABLE: dict[str, tuple[str, ...]] = {
    IKG + "State": ("Q3624078", "Q6256"),                  # sovereign state, country
    "http://www.w3.org/ns/prov#Person": ("Q5",),           # human
    IKG + "Person": ("Q5",),
    IKG + "MilitaryAlliance": ("Q1127126", "Q245065", "Q484652"),  # military alliance, IGO, int. org.
    IKG + "Conflict": ("Q198", "Q180684"),                 # war, military conflict
    IKG + "Offensive": ("Q831663", "Q645883", "Q178561", "Q180684"),  # campaign, operation, battle, conflict
    IKG + "Airstrike": ("Q2380335", "Q678146"),            # airstrike, bombardment
    IKG + "AerialBombardment": ("Q678146", "Q2380335"),
    # no ikg:Agreement entry: an agreement need not be a treaty (Q131569), the only verified class
    IKG + "City": ("Q515", "Q1549591", "Q16127605"),       # city, big city, populated place in Syria
}

OK, NEAR, NOTE, WRONG = "ok", "near-miss", "note", "WRONG"


class EndpointError(Exception):
    """The Wikidata endpoint could not be asked."""


# --------------------------------------------------------------------------- labels

_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2212"), "-")
_QUOTES = dict.fromkeys(map(ord, "\u2018\u2019\u201b\u2032`"), "'") | dict.fromkeys(map(ord, "\u201c\u201d"), '"')


def normalise(label: str) -> str:
    text = unicodedata.normalize("NFKC", label).translate(_DASHES).translate(_QUOTES)
    return " ".join(text.casefold().split())


def strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)) \
        .replace("ı", "i")


#: the detail compare_labels gives a near miss where one name lies inside the other
CONTAINED = "(one name contains the other)"


def compare_labels(ours: list[str], theirs: list[str]) -> tuple[str, str]:
    """(OK|NEAR|WRONG, detail). Near misses are tried strongest first over every pair of names
    (accents, then spelling, then one name inside the other), in sorted order, so the verdict
    never depends on the order of the labels."""
    a = sorted({normalise(x) for x in ours if x})
    b = sorted({normalise(x) for x in theirs if x})
    if not b:
        return WRONG, "no English label at the endpoint"
    same = sorted(set(a) & set(b))
    if same:
        return OK, f"label {same[0]!r}"
    pairs = [(x, y) for x in a for y in b]
    for x, y in pairs:
        if strip_accents(x) == strip_accents(y):
            return NEAR, f"{x!r} ~ {y!r} (accents)"
    ratio, x, y = max(((difflib.SequenceMatcher(None, strip_accents(x), strip_accents(y)).ratio(), x, y)
                       for x, y in pairs), key=lambda r: r[0], default=(0.0, "", ""))
    if ratio >= 0.8:
        return NEAR, f"{x!r} ~ {y!r} (similarity {ratio:.2f})"
    for x, y in pairs:
        if re.search(rf"\b{re.escape(x)}\b", y) or re.search(rf"\b{re.escape(y)}\b", x):
            return NEAR, f"{x!r} ~ {y!r} {CONTAINED}"
    return WRONG, f"ours {a} vs Wikidata {b}"


# --------------------------------------------------------------------------- the endpoint

class Wikidata:
    def __init__(self, endpoint: str = WIKIDATA_SPARQL, timeout: float = 60.0):
        self.endpoint = endpoint
        self.timeout = timeout
        self.session = requests.Session()
        self.session.headers["User-Agent"] = USER_AGENT

    def _post(self, query: str) -> dict:
        try:
            r = self.session.post(self.endpoint, data={"query": query}, timeout=self.timeout,
                                  headers={"Accept": "application/sparql-results+json"})
        except requests.RequestException as e:
            raise EndpointError(f"cannot reach {self.endpoint}: {e}") from None
        if r.status_code != 200:
            raise EndpointError(f"{self.endpoint} answered HTTP {r.status_code}: {' '.join(r.text.split())[:300]}")
        try:
            body = r.json()
            if not isinstance(body, dict) or not ("results" in body or "boolean" in body):
                raise ValueError("no results or boolean")
            return body
        except ValueError:  # requests' JSONDecodeError is a ValueError
            kind = r.headers.get("Content-Type", "no content type")
            raise EndpointError(f"{self.endpoint} did not answer with SPARQL JSON results ({kind}): "
                                "is it a SPARQL endpoint?") from None

    def select(self, query: str) -> list[dict[str, str]]:
        body = self._post(query)
        try:
            return [{k: v["value"] for k, v in b.items()} for b in body["results"]["bindings"]]
        except (KeyError, TypeError, AttributeError):
            raise EndpointError(f"{self.endpoint} answered JSON that is not SPARQL results") from None

    def ask(self, query: str) -> bool:
        return bool(self._post(query).get("boolean"))


@dataclass
class Item:
    qid: str
    labels: list[str] = field(default_factory=list)
    aliases: list[str] = field(default_factory=list)
    types: set[str] = field(default_factory=set)
    redirect: str | None = None

    @property
    def found(self) -> bool:
        return bool(self.labels or self.aliases or self.types or self.redirect)


def fetch_items(wd: Wikidata, qids: list[str]) -> dict[str, Item]:
    items = {q: Item(q) for q in qids}
    if not qids:
        return items
    values = " ".join(f"<{WD}{q}>" for q in sorted(set(qids)))
    rows = wd.select(f"""SELECT ?item ?label ?alt ?type ?redirect WHERE {{
        VALUES ?item {{ {values} }}
        {{ ?item <{RDFS}label> ?label FILTER(LANGMATCHES(LANG(?label), "en")) }}
        UNION {{ ?item <{SKOS}altLabel> ?alt FILTER(LANGMATCHES(LANG(?alt), "en")) }}
        UNION {{ ?item <{WDT}P31> ?type }}
        UNION {{ ?item <{OWL}sameAs> ?redirect }} }}""")
    for r in rows:
        it = items[r["item"][len(WD):]]
        if "label" in r:
            it.labels.append(r["label"])
        if "alt" in r:
            it.aliases.append(r["alt"])
        if "type" in r:
            it.types.add(r["type"].rsplit("/", 1)[-1])
        if "redirect" in r:
            it.redirect = r["redirect"].rsplit("/", 1)[-1]
    for it in items.values():
        if not it.found and wd.ask(f"ASK {{ <{WD}{it.qid}> ?p ?o }}"):
            it.labels = []  # exists, but without an English label: compare_labels says so
            it.redirect = None
            it.types.add("?")
    return items


def class_fits(wd: Wikidata, item: Item, expected: tuple[str, ...]) -> bool:
    if item.types & set(expected):
        return True
    values = " ".join(f"<{WD}{q}>" for q in expected)
    try:
        return wd.ask(f"ASK {{ VALUES ?c {{ {values} }} <{WD}{item.qid}> <{WDT}P31>/<{WDT}P279>* ?c }}")
    except EndpointError:
        return False


# --------------------------------------------------------------------------- our side

def _local_rows(store, query: str) -> list[dict[str, str]]:
    res = store.query(query, use_default_graph_as_union=True)
    names = [v.value for v in res.variables]
    return [{n: row[n].value for n in names if row[n] is not None} for row in res]


@dataclass
class Link:
    resource: str
    predicate: str
    qid: str
    labels: list[str]
    classes: list[str]


def our_links(store) -> list[Link]:
    rows = _local_rows(store, f"""SELECT DISTINCT ?s ?p ?o WHERE {{
        VALUES ?p {{ {' '.join(f'<{p}>' for p in LINK_PREDICATES)} }}
        ?s ?p ?o FILTER(isIRI(?s) && (STRSTARTS(STR(?o), "{WD}Q") || STRSTARTS(STR(?o), "{WD}P"))) }}
        ORDER BY ?s ?o ?p""")
    links = []
    for r in rows:
        links.append(Link(r["s"], r["p"], r["o"][len(WD):], labels_of(store, r["s"]), classes_of(store, r["s"])))
    return links


def labels_of(store, iri: str) -> list[str]:
    rows = _local_rows(store, f"""SELECT DISTINCT ?l WHERE {{ <{iri}> <{RDFS}label>|<{SKOS}altLabel>|<{SKOS}prefLabel> ?l
        FILTER(LANG(?l) = "" || LANGMATCHES(LANG(?l), "en")) }} ORDER BY ?l""")
    return [r["l"] for r in rows]


def classes_of(store, iri: str) -> list[str]:
    return [r["c"] for r in _local_rows(store, f"SELECT DISTINCT ?c WHERE {{ <{iri}> a ?c }} ORDER BY ?c")]


@dataclass
class Finding:
    link: Link
    status: str
    detail: str


def check(store, wd: Wikidata) -> list[Finding]:
    links = our_links(store)
    items = fetch_items(wd, [l.qid for l in links])
    findings = []
    for link in links:
        item = items[link.qid]
        same = link.predicate in IDENTITY
        kinds = "".join(TERM_KINDS[c] for c in link.classes if c in TERM_KINDS)
        if kinds and link.qid[0] not in kinds:
            what, want = ("class", "an item (Q)") if "Q" in kinds else ("property", "a property (P)")
            findings.append(Finding(link, WRONG, f"an ontology {what} should link to {want}, not {link.qid}"))
            continue
        if not kinds and link.qid[0] != "Q":
            findings.append(Finding(link, WRONG, f"a resource of the data links to an item (Q), not to "
                                                 f"the property {link.qid}"))
            continue
        if not item.found:
            findings.append(Finding(link, WRONG, f"{link.qid} not found at the endpoint"))
            continue
        notes = []
        status = OK
        if item.redirect:
            notes.append(f"redirects to {item.redirect}")
            status = NEAR
        lstatus, ldetail = compare_labels(link.labels, item.labels + item.aliases)
        if lstatus != OK and not same:  # a wider, narrower or close match: other names are expected
            notes.append(f"{LINK_PREDICATES[link.predicate]} (not identity), labels differ: {ldetail}")
            status = NOTE if status == OK else status
        elif lstatus == WRONG:
            status = WRONG
            notes.append("label mismatch: " + ldetail)
        elif lstatus == NEAR:
            notes.append("near miss: " + ldetail)
            status = NEAR if status == OK else status
        contained = same and lstatus == NEAR and ldetail.endswith(CONTAINED)
        # a term of the ontology is a class or property in Wikidata too: no instance-of to check
        expected = [] if kinds else sorted({q for c in link.classes for q in CLASS_TABLE.get(c, ())})
        if kinds:
            notes.append("a term of the ontology or its schemes: links to "
                         + ("an item" if link.qid[0] == "Q" else "a property"))
        elif not expected:
            notes.append("class not checked (no table entry for " +
                         (", ".join(_short(c) for c in link.classes) or "untyped") + ")")
        elif not item.types - {"?"}:
            notes.append("class not checked (no P31 at the endpoint)")
        elif class_fits(wd, item, tuple(expected)):
            notes.append("class fits (P31 " + ", ".join(sorted(item.types)) + ")")
        else:
            status = WRONG
            notes.append(f"class mismatch: P31 {sorted(item.types)}, expected one of {expected} "
                         f"for {', '.join(_short(c) for c in link.classes)}")
            contained = False  # already wrong
        if contained and not any(n.startswith("class fits") for n in notes):
            # "Turkey" lies inside "Grand National Assembly of Turkey": a name alone does not make
            # the same thing. Give the resource the item's name as skos:altLabel where it is one.
            status = WRONG
            notes.append("one name inside the other is no identity" + (
                ": give the term the item's name as skos:altLabel if it is one" if kinds
                else " unless the class fits (or give the resource the item's name as skos:altLabel)"))
        findings.append(Finding(link, status, "; ".join(notes)))
    return findings


def _short(iri: str) -> str:
    for ns, p in ((IKG, "ikg:"), ("https://w3id.org/idlib-kg/id/", "ikr:"), ("http://www.w3.org/ns/prov#", "prov:"),
                  ("https://w3id.org/idlib-kg/scheme/", "scheme:")):
        if iri.startswith(ns):
            return p + iri[len(ns):]
    return iri


def print_table(rows: list[list[str]], header: list[str], out=sys.stdout) -> None:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(header)]
    widths[-1] = 0
    line = lambda cells: "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()  # noqa: E731
    print(line(header), file=out)
    print(line(["-" * max(w, len(h)) for w, h in zip(widths, header)]), file=out)
    for r in rows:
        print(line(r), file=out)


# --------------------------------------------------------------------------- suggest

@dataclass
class Candidate:
    resource: str
    searched: str
    qid: str
    label: str
    description: str
    source: str


def awaiting(store) -> list[str]:
    rows = _local_rows(store, f"""SELECT DISTINCT ?s WHERE {{ ?s <{IKG}awaitingReconciliation> ?v
        FILTER(?v = true) }} ORDER BY ?s""")
    return [r["s"] for r in rows]


def suggest(store, wd: Wikidata, search_api: str | None = None, limit: int = 5) -> tuple[list[str], list[Candidate]]:
    entities = awaiting(store)
    found: list[Candidate] = []
    for iri in entities:
        labels = labels_of(store, iri)
        if not labels:
            continue
        variants = sorted({v for l in labels for v in (l, l[:1].upper() + l[1:], l.lower(), l.title())})
        values = " ".join('"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"@en' for v in variants)
        rows = wd.select(f"""SELECT ?item ?matched (SAMPLE(?l) AS ?label) (SAMPLE(?d) AS ?desc) WHERE {{
            VALUES ?matched {{ {values} }}
            ?item <{RDFS}label>|<{SKOS}altLabel> ?matched .
            FILTER(STRSTARTS(STR(?item), "{WD}Q"))
            OPTIONAL {{ ?item <{RDFS}label> ?l FILTER(LANGMATCHES(LANG(?l), "en")) }}
            OPTIONAL {{ ?item <{SCHEMA}description> ?d FILTER(LANGMATCHES(LANG(?d), "en")) }}
        }} GROUP BY ?item ?matched ORDER BY ?item LIMIT {limit * 4}""")
        seen = set()
        for r in rows:
            qid = r["item"][len(WD):]
            if qid in seen:
                continue
            seen.add(qid)
            found.append(Candidate(iri, r["matched"], qid, r.get("label", ""), r.get("desc", ""), "label"))
        if search_api:
            for label in labels[:3]:
                for hit in search_entities(wd.session, search_api, label, limit):
                    if hit["id"] not in seen:
                        seen.add(hit["id"])
                        found.append(Candidate(iri, label, hit["id"], hit.get("label", ""),
                                               hit.get("description", ""), "search"))
    return entities, found


def search_entities(session: requests.Session, api: str, text: str, limit: int) -> list[dict]:
    """The MediaWiki wbsearchentities API (https://www.wikidata.org/w/api.php)."""
    try:
        r = session.get(api, params={"action": "wbsearchentities", "search": text, "language": "en",
                                     "type": "item", "limit": limit, "format": "json"}, timeout=30)
        r.raise_for_status()
        body = r.json()
        hits = body.get("search", []) if isinstance(body, dict) else None
        if not isinstance(hits, list) or not all(isinstance(h, dict) for h in hits):
            raise ValueError("the answer is not a wbsearchentities result (no list of hits under \"search\")")
        return hits
    except (requests.RequestException, ValueError) as e:
        log.warning("search API %s failed for %r: %s", api, text, e)
        return []


# --------------------------------------------------------------------------- commands

def register(subparsers: argparse._SubParsersAction) -> None:
    from idlib_kg.config import add_data_options
    p = subparsers.add_parser("links", help="check our Wikidata links, or suggest candidates",
                              description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="links_command", metavar="ACTION", required=True)
    c = sub.add_parser("check", help="check every owl:sameAs and SKOS mapping link to Wikidata",
                       description="Exit 0 all links good, 1 a link is wrong, 2 bad usage or "
                                   "the endpoint cannot be asked.")
    s = sub.add_parser("suggest", help="candidates for resources awaiting reconciliation (writes nothing)")
    for q in (c, s):
        q.add_argument("--wikidata-endpoint", default=WIKIDATA_SPARQL, metavar="URL",
                       help=f"SPARQL endpoint with Wikidata's data (default {WIKIDATA_SPARQL})")
        q.add_argument("--timeout", type=positive_float, default=60.0, metavar="S")
        add_data_options(q, base_iri_help=None, answers=False)
    s.add_argument("--search-api", metavar="URL",
                   help="also ask a MediaWiki search API (e.g. https://www.wikidata.org/w/api.php)")
    s.add_argument("--limit", type=positive_int, default=5, metavar="N", help="candidates per label (default 5)")
    c.set_defaults(func=check_command)
    s.set_defaults(func=suggest_command)


def _open(args):
    from idlib_kg.config import settings_from_args
    from idlib_kg.store import open_store
    settings = settings_from_args(args)
    return open_store(settings.store_path, settings.load_files, optimize=settings.optimize).store


def check_command(args: argparse.Namespace) -> int:
    from idlib_kg.dataset import DatasetError
    from idlib_kg.store import StoreError
    try:
        store = _open(args)
        findings = check(store, Wikidata(args.wikidata_endpoint, args.timeout))
    except (DatasetError, StoreError, EndpointError) as e:
        print(f"idlib-kg links check: {e}", file=sys.stderr)
        return 2
    rows = [[_short(f.link.resource), LINK_PREDICATES[f.link.predicate], "wd:" + f.link.qid, f.status, f.detail]
            for f in findings]
    print_table(rows, ["resource", "link", "item", "status", "detail"])
    wrong = [f for f in findings if f.status == WRONG]
    print(f"\n{len(findings)} link(s) checked against {args.wikidata_endpoint}: {len(wrong)} wrong, "
          f"{sum(f.status == NEAR for f in findings)} near misses")
    for f in wrong:
        print(f"WRONG: {_short(f.link.resource)} {LINK_PREDICATES[f.link.predicate]} wd:{f.link.qid}: {f.detail}",
              file=sys.stderr)
    return 1 if wrong else 0


def suggest_command(args: argparse.Namespace) -> int:
    from idlib_kg.dataset import DatasetError
    from idlib_kg.store import StoreError
    try:
        store = _open(args)
        entities, found = suggest(store, Wikidata(args.wikidata_endpoint, args.timeout),
                                  args.search_api, args.limit)
    except (DatasetError, StoreError, EndpointError) as e:
        print(f"idlib-kg links suggest: {e}", file=sys.stderr)
        return 2
    rows = [[_short(c.resource), c.searched, "wd:" + c.qid, c.label, c.source, c.description] for c in found]
    print_table(rows, ["resource", "searched", "candidate", "label", "found by", "description"])
    without = sorted({_short(e) for e in entities} - {_short(c.resource) for c in found})
    print(f"\n{len(entities)} resource(s) await reconciliation; {len(found)} candidate(s) for "
          f"{len(entities) - len(without)} of them. Nothing was written: review each candidate, then "
          "add `ikr:x owl:sameAs wd:Q...` to triples/wikidata-links.ttl by hand with its evidence.")
    if without:
        print("no candidate: " + ", ".join(without))
    return 0
