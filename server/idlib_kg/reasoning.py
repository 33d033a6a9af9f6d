"""HermiT reasoning over the ontology and the article: consistency, and triples/inferred.ttl.

The SPARQL store does no reasoning, so the useful entailments are computed once, here, and
committed as triples/inferred.ttl (served in the graph .../graph/inferred). Run `idlib-kg reason`
after changing ontology/idlib-kg.ttl, ontology/event-types.ttl or triples/article.ttl;
`idlib-kg reason --check` tells CI whether the committed file is still what the reasoner says.

What is written (only triples not already asserted in the input):
- rdf:type: every named class HermiT proves for a resource of the data (IRIs under
  https://w3id.org/idlib-kg/id/), the most specific ones and all their named superclasses, so
  that `?x a sem:Event` finds every event without a reasoner at query time;
- object property values between named individuals: property chains (ikg:backs), super-
  properties (sem:hasActor from ikg:perpetrator/target/speaker, prov:wasAttributedTo from
  ikg:claimant, ikg:stance), inverses (prov:generated, ikg:givesSupport, org:holds...),
  symmetric and transitive closures. gaf:denotes (the inverse of gaf:denotedBy, one triple per
  mention) is left out: it doubles the provenance triples and a query can follow gaf:denotedBy
  backwards.

owlready2 reads no Turtle, so the graphs are merged with rdflib and handed over as N-Triples.
HermiT knows only the OWL 2 datatype map: xsd:gYearMonth, xsd:gYear and geo:wktLiteral are
declared to owlready2 and HermiT is told to ignore them (no axiom of the ontology restricts them,
so nothing is lost).
"""

from __future__ import annotations

import argparse
import logging
import re
import shutil
import sys
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Iterable

import rdflib
from rdflib import OWL, RDF, RDFS, BNode, Graph, URIRef
from rdflib.collection import Collection
from rdflib.namespace import Namespace

from idlib_kg import resources
from idlib_kg.vocab import prefixes

log = logging.getLogger(__name__)

DATA_BASE = "https://w3id.org/idlib-kg/id/"
ONTOLOGY_FILES = ("idlib-kg.ttl", "event-types.ttl")
DATA_FILES = ("article.ttl",)
INFERRED_FILE = "inferred.ttl"

IKG = Namespace("https://w3id.org/idlib-kg/ontology#")
GAF = Namespace("http://groundedannotationframework.org/gaf#")
SEM = Namespace("http://semanticweb.cs.vu.nl/2009/11/sem/")
PROV = Namespace("http://www.w3.org/ns/prov#")

#: Inferred object properties not written (see the module docstring).
SKIPPED_PROPERTIES = frozenset({GAF.denotes, OWL.sameAs, OWL.differentFrom})

#: Prefixes of triples/inferred.ttl, in this order (stable output).
PREFIXES = tuple(prefixes("ikr", "ikg", "owl", "rdf", "rdfs", "sem", "prov", "time", "geo", "nif", "gaf",
                          "org", "schema", "skos").items())

HEADER = """\
# GENERATED FILE: do not edit by hand.
# Written by `idlib-kg reason` from ontology/idlib-kg.ttl, ontology/event-types.ttl and
# triples/article.ttl: what the HermiT reasoner entails about the article's resources and is
# not asserted there (rdf:type with all named superclasses; object property values from
# property chains, super-properties, inverses, symmetry and transitivity; not gaf:denotes).
# Rebuild with `idlib-kg reason`; `idlib-kg reason --check` fails when this file is stale.

"""

# The OWL 2 datatype map lacks these; owlready2 needs them declared to load such literals.
_EXTRA_DATATYPES = (
    "http://www.w3.org/2001/XMLSchema#gYearMonth",
    "http://www.w3.org/2001/XMLSchema#gYear",
    "http://www.opengis.net/ont/geosparql#wktLiteral",
)


class ReasoningError(Exception):
    """The reasoner could not run (no Java, HermiT crashed, input missing)."""


class InconsistentError(ReasoningError):
    """The ontology and data are inconsistent, or some named class is unsatisfiable."""

    def __init__(self, message: str, unsatisfiable: list[str] | None = None,
                 likely_causes: list[str] | None = None):
        super().__init__(message)
        self.unsatisfiable = unsatisfiable or []
        self.likely_causes = likely_causes or []


# --------------------------------------------------------------------------- inputs

def default_ontology_files() -> list[Path]:
    return [resources.ontology_dir() / name for name in ONTOLOGY_FILES]


def default_data_files() -> list[Path]:
    """article.ttl when it exists (the ontology alone is reasoned over before it does)."""
    return [p for p in (resources.triples_dir() / name for name in DATA_FILES) if p.is_file()]


def default_output() -> Path:
    return resources.triples_dir() / INFERRED_FILE


def load_graph(paths: Iterable[Path | str]) -> Graph:
    g = Graph()
    for path in paths:
        path = Path(path)
        if not path.is_file():
            raise ReasoningError(f"{path} does not exist; reasoning needs the ontology and data files")
        g.parse(path, format="turtle")
    return g


def data_individuals(data: Graph) -> set[URIRef]:
    """The data's named resources: IRIs under the data base that occur in it."""
    found: set[URIRef] = set()
    for s, _, o in data:
        for term in (s, o):
            if isinstance(term, URIRef) and str(term).startswith(DATA_BASE):
                found.add(term)
    return found


def merge_candidates(ontology: Graph, data: Graph) -> set[URIRef]:
    """The data's resources that OWL would merge rather than find in conflict: the values of
    object properties that are functional or held to at most some number of values."""
    bounded = set(ontology.subjects(RDF.type, OWL.FunctionalProperty))
    for restriction in ontology.subjects(RDF.type, OWL.Restriction):
        if any((restriction, limit, None) in ontology
               for limit in (OWL.cardinality, OWL.maxCardinality, OWL.qualifiedCardinality,
                             OWL.maxQualifiedCardinality)):
            bounded.update(ontology.objects(restriction, OWL.onProperty))
    return {o for p in bounded for o in data.objects(None, p)
            if isinstance(o, URIRef) and str(o).startswith(DATA_BASE)}


# --------------------------------------------------------------------------- HermiT

def _declare_datatypes() -> None:
    import owlready2

    for iri in _EXTRA_DATATYPES:
        name = iri.rsplit("#", 1)[1]
        datatype = type(name, (str,), {"__module__": __name__})
        if iri not in owlready2.base._universal_iri_2_abbrev or \
                owlready2.base._universal_iri_2_abbrev[iri] not in owlready2.base._universal_abbrev_2_datatype_parser:
            owlready2.declare_datatype(datatype, iri, lambda s, _d=datatype: _d(s), str)


def _require_java() -> str:
    import owlready2

    java = shutil.which(owlready2.JAVA_EXE) or shutil.which("java")
    if not java:
        raise ReasoningError("Java is not installed or not on PATH: HermiT (the OWL reasoner) runs on "
                             "Java. Install a JRE (Debian: `apt-get install default-jre-headless`, "
                             "Java 11 or newer) and run again.")
    owlready2.JAVA_EXE = java
    return java


class Reasoned:
    """One HermiT run over ontology + data: inferred types and object property values."""

    def __init__(self, asserted: Graph, individuals: set[URIRef], types: dict[URIRef, set[URIRef]],
                 relations: set[tuple[URIRef, URIRef, URIRef]], unsatisfiable: list[str]):
        self.asserted = asserted
        self.individuals = individuals
        self.types = types              # individual -> all named classes (asserted and inferred)
        self.relations = relations      # (s, p, o) inferred object property values, all of them
        self.unsatisfiable = unsatisfiable


def run_hermit(ontology: Graph, data: Graph) -> Reasoned:
    """Run HermiT (via owlready2) on ontology + data; raise InconsistentError naming what clashes."""
    import owlready2
    from owlready2 import OwlReadyInconsistentOntologyError, OwlReadyJavaError, ThingClass

    _require_java()
    _declare_datatypes()
    merged = Graph()
    for t in ontology:
        merged.add(t)
    for t in data:
        merged.add(t)
    individuals = data_individuals(data)
    reasoner_input = Graph()
    for t in merged:
        reasoner_input.add(t)
    # owlready2 loads a resource as an individual only when typed owl:NamedIndividual.
    for ind in individuals:
        reasoner_input.add((ind, RDF.type, OWL.NamedIndividual))
    # The data mints one IRI per thing, so two values of a functional property (or a second
    # tenure holder) are a clash for HermiT to report, not two names to merge quietly (OWL assumes
    # no unique names). Said only of the values such a property has: over every resource the
    # reasoner took 20 times longer at 1,700 and ran out of memory at 3,500.
    candidates = merge_candidates(ontology, data)
    if len(candidates) > 1:
        members = BNode()
        Collection(reasoner_input, members, sorted(candidates))
        different = BNode()
        reasoner_input.add((different, RDF.type, OWL.AllDifferent))
        reasoner_input.add((different, OWL.distinctMembers, members))

    with tempfile.TemporaryDirectory(prefix="idlib-kg-reason-") as tmp:
        path = Path(tmp) / "input.nt"
        reasoner_input.serialize(path, format="nt", encoding="utf-8")
        world = owlready2.World()
        try:
            world.get_ontology(path.as_uri()).load()
            inferred = world.get_ontology("urn:x-idlib-kg:inferred#")
            with inferred:
                owlready2.sync_reasoner_hermit(world, infer_property_values=True, debug=0,
                                               ignore_unsupported_datatypes=True)
        except OwlReadyInconsistentOntologyError:
            causes = explain_inconsistency(merged)
            detail = "".join(f"\n  - {c}" for c in causes) or \
                "\n  (no simple cause found: look for an individual in two disjoint classes, two " \
                "values of a functional property, or a value outside a oneOf enumeration)"
            raise InconsistentError(
                "the ontology and data are inconsistent (HermiT found no model). Likely causes:" + detail,
                likely_causes=causes) from None
        except OwlReadyJavaError as e:
            raise ReasoningError(f"HermiT failed: {e}") from None

        unsatisfiable = sorted(c.iri for c in world.inconsistent_classes() if hasattr(c, "iri"))
        types: dict[URIRef, set[URIRef]] = {}
        for ind in individuals:
            entity = world[str(ind)]
            if entity is None:
                types[ind] = set()
                continue
            classes = {URIRef(c.iri) for c in entity.INDIRECT_is_a
                       if isinstance(c, ThingClass) and c is not owlready2.Thing}
            types[ind] = classes
        relations: set[tuple[URIRef, URIRef, URIRef]] = set()
        for s, p, o in inferred.get_triples():
            if p == owlready2.rdf_type:
                continue
            s_iri, p_iri, o_iri = (world._unabbreviate(x) if isinstance(x, int) and x > 0 else None
                                   for x in (s, p, o))
            if s_iri and p_iri and o_iri:
                relations.add((URIRef(s_iri), URIRef(p_iri), URIRef(o_iri)))
        world.close()
    relations = close_object_properties(merged, relations)
    return Reasoned(merged, individuals, types, relations, unsatisfiable)


def close_object_properties(g: Graph, seed: Iterable[tuple[URIRef, URIRef, URIRef]] = ()) \
        -> set[tuple[URIRef, URIRef, URIRef]]:
    """All object property values entailed by the property axioms (OWL 2 RL rules prp-spo1,
    prp-spo2, prp-inv, prp-eqp, prp-symp, prp-trp), from the asserted ones and HermiT's.

    HermiT's command line lists property instances only for the asserted property, not for its
    super-properties or inverses, so these sound rules complete what it gives.
    """
    obj_props = set(g.subjects(RDF.type, OWL.ObjectProperty))
    supers: dict[URIRef, set[URIRef]] = defaultdict(set)
    for a, b in g.subject_objects(RDFS.subPropertyOf):
        if isinstance(a, URIRef) and isinstance(b, URIRef):
            supers[a].add(b)
    for a, b in g.subject_objects(OWL.equivalentProperty):
        if isinstance(a, URIRef) and isinstance(b, URIRef):
            supers[a].add(b)
            supers[b].add(a)
    inverses: dict[URIRef, set[URIRef]] = defaultdict(set)
    for a, b in g.subject_objects(OWL.inverseOf):
        if isinstance(a, URIRef) and isinstance(b, URIRef):
            inverses[a].add(b)
            inverses[b].add(a)
    symmetric = set(g.subjects(RDF.type, OWL.SymmetricProperty))
    transitive = set(g.subjects(RDF.type, OWL.TransitiveProperty))
    chains: list[tuple[URIRef, list[URIRef]]] = []
    for p, head in g.subject_objects(OWL.propertyChainAxiom):
        chains.append((p, list(rdflib.collection.Collection(g, head))))

    facts: set[tuple[URIRef, URIRef, URIRef]] = {
        (s, p, o) for s, p, o in g
        if p in obj_props and isinstance(s, URIRef) and isinstance(o, URIRef)}
    facts.update(seed)
    changed = True
    while changed:
        by_pred: dict[URIRef, set[tuple[URIRef, URIRef]]] = defaultdict(set)
        for s, p, o in facts:
            by_pred[p].add((s, o))
        new: set[tuple[URIRef, URIRef, URIRef]] = set()
        for p, pairs in by_pred.items():
            for s, o in pairs:
                new.update((s, q, o) for q in supers.get(p, ()))
                new.update((o, q, s) for q in inverses.get(p, ()))
                if p in symmetric:
                    new.add((o, p, s))
            if p in transitive:
                starts: dict[URIRef, set[URIRef]] = defaultdict(set)
                for s, o in pairs:
                    starts[s].add(o)
                for s, o in pairs:
                    new.update((s, p, o2) for o2 in starts.get(o, ()))
        for p, steps in chains:
            frontier = {(s, s) for s in {s for s, _ in by_pred.get(steps[0], ())}}
            for step in steps:
                step_pairs: dict[URIRef, set[URIRef]] = defaultdict(set)
                for s, o in by_pred.get(step, ()):
                    step_pairs[s].add(o)
                frontier = {(start, o) for start, mid in frontier for o in step_pairs.get(mid, ())}
            new.update((s, p, o) for s, o in frontier)
        new -= facts
        changed = bool(new)
        facts |= new
    return facts


def explain_inconsistency(g: Graph) -> list[str]:
    """Cheap diagnosis for people: disjoint classes shared and functional properties with two
    values, using asserted types plus subclass/domain/range closure (not a full explanation)."""
    types: dict[URIRef, set[URIRef]] = defaultdict(set)
    for s, o in g.subject_objects(RDF.type):
        if isinstance(s, URIRef) and isinstance(o, URIRef):
            types[s].add(o)
    for p, c in g.subject_objects(RDFS.domain):
        for s in g.subjects(p, None):
            if isinstance(s, URIRef) and isinstance(c, URIRef):
                types[s].add(c)
    for p, c in g.subject_objects(RDFS.range):
        for o in g.objects(None, p):
            if isinstance(o, URIRef) and isinstance(c, URIRef):
                types[o].add(c)
    supers: dict[URIRef, set[URIRef]] = defaultdict(set)
    for a, b in g.subject_objects(RDFS.subClassOf):
        if isinstance(b, URIRef):
            supers[a].add(b)

    def closure(cs: set[URIRef]) -> set[URIRef]:
        seen, todo = set(), list(cs)
        while todo:
            c = todo.pop()
            if c not in seen:
                seen.add(c)
                todo.extend(supers.get(c, ()))
        return seen

    disjoint = {(a, b) for a, b in g.subject_objects(OWL.disjointWith)
                if isinstance(a, URIRef) and isinstance(b, URIRef)}
    causes = []
    for ind in sorted(types):
        all_types = closure(types[ind])
        for a, b in sorted(disjoint):
            if a in all_types and b in all_types:
                causes.append(f"<{ind}> is both <{a}> and <{b}>, which are disjoint")
    for p in sorted(g.subjects(RDF.type, OWL.FunctionalProperty)):
        for s in sorted(set(g.subjects(p, None))):
            values = sorted(set(g.objects(s, p)))
            if len(values) > 1:
                causes.append(f"<{s}> has {len(values)} values of the functional property <{p}>: "
                              + ", ".join(v.n3() for v in values))
    return causes


# --------------------------------------------------------------------------- public API

def compute_inferences(ontology_files: Iterable[Path | str] | None = None,
                       data_files: Iterable[Path | str] | None = None,
                       reasoned: Reasoned | None = None) -> Graph:
    """The entailed triples about the data's resources that the input does not assert."""
    if reasoned is None:
        reasoned = check_consistency(ontology_files, data_files)
    else:
        _refuse_unsatisfiable(reasoned)
    asserted = reasoned.asserted
    out = Graph()
    for ind in sorted(reasoned.individuals):
        for cls in sorted(reasoned.types.get(ind, ())):
            if cls in (OWL.Thing, OWL.NamedIndividual):
                continue
            if (ind, RDF.type, cls) not in asserted:
                out.add((ind, RDF.type, cls))
    for s, p, o in sorted(reasoned.relations):
        if p in SKIPPED_PROPERTIES or p in (RDF.type,):
            continue
        if s not in reasoned.individuals:
            continue
        if (s, p, o) not in asserted:
            out.add((s, p, o))
    for prefix, ns in PREFIXES:
        out.bind(prefix, ns, override=True, replace=True)
    return out


def check_consistency(ontology_files: Iterable[Path | str] | None = None,
                      data_files: Iterable[Path | str] | None = None) -> Reasoned:
    """Run HermiT; raise InconsistentError if inconsistent or a named class is unsatisfiable."""
    ontology = load_graph(default_ontology_files() if ontology_files is None else ontology_files)
    data = load_graph(default_data_files() if data_files is None else data_files)
    reasoned = run_hermit(ontology, data)
    _refuse_unsatisfiable(reasoned)
    return reasoned


def _refuse_unsatisfiable(reasoned: Reasoned) -> None:
    if reasoned.unsatisfiable:
        raise InconsistentError("unsatisfiable classes (no individual can belong to them): "
                                + ", ".join(reasoned.unsatisfiable), unsatisfiable=reasoned.unsatisfiable)


def serialize_inferred(graph: Graph) -> str:
    """Deterministic Turtle: fixed header and prefixes, subjects/predicates/objects sorted."""
    nm = rdflib.namespace.NamespaceManager(Graph(), bind_namespaces="none")
    for prefix, ns in PREFIXES:
        nm.bind(prefix, ns, override=True, replace=True)

    def term(t) -> str:
        if isinstance(t, URIRef):
            if t == RDF.type:
                return "a"
            text = t.n3(nm)
            # n3() falls back to <...>; prefixed names must be valid Turtle local names.
            return text
        if isinstance(t, BNode):
            raise ValueError("inferred triples never contain blank nodes")
        return t.n3(nm)

    lines = [HEADER]
    for prefix, ns in PREFIXES:
        lines.append(f"@prefix {prefix}: <{ns}> .\n")
    by_subject: dict[URIRef, dict[URIRef, list]] = defaultdict(lambda: defaultdict(list))
    for s, p, o in graph:
        by_subject[s][p].append(o)
    for s in sorted(by_subject, key=_natural_key):
        lines.append("\n")
        preds = sorted(by_subject[s], key=lambda p: (p != RDF.type, str(p)))
        parts = []
        for p in preds:
            objs = ", ".join(term(o) for o in sorted(by_subject[s][p], key=lambda x: (type(x).__name__, str(x))))
            parts.append(f"{term(p)} {objs}")
        lines.append(f"{term(s)}\n    " + " ;\n    ".join(parts) + " .\n")
    return "".join(lines)


def _natural_key(term) -> list:
    """Sort IRIs with numbers in numeric order (#char=84,346 before #char=348,492)."""
    return [(0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", str(term))]


def write_inferred(path: Path | str | None = None, ontology_files=None, data_files=None,
                   graph: Graph | None = None) -> Graph:
    """Compute the inferences (unless given) and write them to `path` (default triples/inferred.ttl)."""
    path = Path(path) if path is not None else default_output()
    if graph is None:
        graph = compute_inferences(ontology_files, data_files)
    path.write_text(serialize_inferred(graph), encoding="utf-8")
    log.info("wrote %d inferred triples to %s", len(graph), path)
    return graph


def is_up_to_date(path: Path | str | None = None, graph: Graph | None = None) -> bool:
    """Whether the file at `path` is exactly what `idlib-kg reason` would write now."""
    path = Path(path) if path is not None else default_output()
    if graph is None:
        graph = compute_inferences()
    return path.is_file() and path.read_bytes() == serialize_inferred(graph).encode("utf-8")


# --------------------------------------------------------------------------- `idlib-kg reason`

def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "reason", help="run HermiT: check consistency and write triples/inferred.ttl",
        description="Run the HermiT OWL reasoner over ontology/idlib-kg.ttl, ontology/event-types.ttl "
                    "and triples/article.ttl, and write what it entails to triples/inferred.ttl. "
                    "Exit codes: 0 done (or up to date), 1 --check found the file out of date, "
                    "2 inconsistent ontology/data, 3 the reasoner could not run (e.g. no Java).")
    p.add_argument("--check", action="store_true",
                   help="write nothing; exit 1 if triples/inferred.ttl differs from what the reasoner says")
    p.add_argument("--output", type=Path, metavar="FILE", help="where to write (default triples/inferred.ttl)")
    p.set_defaults(func=reason_command)


def reason_command(args: argparse.Namespace) -> int:
    output = args.output or default_output()
    try:
        graph = compute_inferences()
    except InconsistentError as e:
        print(f"idlib-kg reason: {e}", file=sys.stderr)
        return 2
    except ReasoningError as e:
        print(f"idlib-kg reason: {e}", file=sys.stderr)
        return 3
    if args.check:
        if not is_up_to_date(output, graph):
            state = "is out of date" if output.is_file() else "is missing"
            print(f"idlib-kg reason: {output} {state}; run `idlib-kg reason` and commit it", file=sys.stderr)
            return 1
        print(f"idlib-kg reason: consistent; {output} is up to date ({len(graph)} triples)")
        return 0
    try:
        Path(output).parent.mkdir(parents=True, exist_ok=True)
        write_inferred(output, graph=graph)
    except OSError as e:
        print(f"idlib-kg reason: cannot write {output}: {e.strerror or e}", file=sys.stderr)
        return 2
    print(f"idlib-kg reason: consistent; wrote {len(graph)} inferred triples to {output}")
    return 0

