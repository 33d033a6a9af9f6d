"""OWL 2 DL sanity and ontology conventions: declarations, annotations, naming, metadata,
alignments to CAMEO, ACLED and Wikidata."""

from __future__ import annotations

import re

import pytest
import rdflib
from rdflib import OWL, RDF, RDFS, SKOS, Literal, URIRef
from rdflib.namespace import DCTERMS, Namespace

XSD = Namespace("http://www.w3.org/2001/XMLSchema#")

from verified_wikidata import verified_wikidata_ids

from .conftest import ARTICLE, IKG, TRIPLES_DIR, parse

ONTOLOGY_IRI = URIRef("https://w3id.org/idlib-kg/ontology")
VANN = Namespace("http://purl.org/vocab/vann/")
CAMEO = Namespace("https://w3id.org/idlib-kg/scheme/cameo/")
ACLED = Namespace("https://w3id.org/idlib-kg/scheme/acled/")
WD = Namespace("http://www.wikidata.org/entity/")

TERM_TYPES = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty, OWL.NamedIndividual)
PROPERTY_TYPES = (OWL.ObjectProperty, OWL.DatatypeProperty)
MAPPINGS = (SKOS.exactMatch, SKOS.closeMatch, SKOS.broadMatch, SKOS.narrowMatch, SKOS.relatedMatch)
LOGICAL = (RDFS.subClassOf, OWL.equivalentClass, OWL.disjointWith, RDFS.domain, RDFS.range,
           RDFS.subPropertyOf, OWL.inverseOf, OWL.propertyChainAxiom, OWL.onProperty,
           OWL.someValuesFrom, OWL.allValuesFrom, OWL.hasValue, OWL.intersectionOf, OWL.unionOf,
           OWL.oneOf, RDF.first, RDF.type, OWL.distinctMembers, OWL.members)

# The OWL 2 datatype map (OWL 2 Structural Specification, section 4), plus rdfs:Literal.
OWL2_DATATYPES = {XSD[n] for n in (
    "decimal integer nonNegativeInteger nonPositiveInteger positiveInteger negativeInteger long int "
    "short byte unsignedLong unsignedInt unsignedShort unsignedByte double float string "
    "normalizedString token language Name NCName NMTOKEN boolean hexBinary base64Binary anyURI "
    "dateTime dateTimeStamp").split()} | {RDFS.Literal, RDF.PlainLiteral, RDF.XMLLiteral, OWL.real,
                                          OWL.rational, RDF.langString}

# tests/data/verified-wikidata.tsv: each identifier with its label and where it was verified
VERIFIED_WIKIDATA = verified_wikidata_ids()


def minted(g: rdflib.Graph) -> list[URIRef]:
    return sorted({s for s in g.subjects() if isinstance(s, URIRef) and str(s).startswith(str(IKG))}, key=str)


def types_of(g, t) -> set:
    return {o for o in g.objects(t, RDF.type) if o in TERM_TYPES}


def test_every_minted_term_is_declared_with_exactly_one_kind(ontology):
    problems = {str(t): sorted(map(str, types_of(ontology, t))) for t in minted(ontology)
                if len(types_of(ontology, t)) != 1}
    assert not problems, f"ikg: terms need exactly one of Class/ObjectProperty/DatatypeProperty/AnnotationProperty/NamedIndividual: {problems}"


def test_every_ikg_iri_used_is_declared(ontology_and_schemes):
    used = {t for triple in ontology_and_schemes for t in triple
            if isinstance(t, URIRef) and str(t).startswith(str(IKG))}
    undeclared = sorted(str(t) for t in used if not types_of(ontology_and_schemes, t))
    assert not undeclared, f"ikg: IRIs used but not declared (typo?): {undeclared}"


@pytest.mark.parametrize("annotation", [RDFS.label, SKOS.definition, RDFS.isDefinedBy], ids=lambda p: p.n3())
def test_every_minted_term_has_label_definition_and_is_defined_by(ontology, annotation):
    missing = [str(t) for t in minted(ontology) if (t, annotation, None) not in ontology]
    assert not missing, f"minted terms without {annotation.n3()}: {missing}"


def test_minted_terms_are_defined_by_the_ontology(ontology):
    wrong = [str(t) for t in minted(ontology) if ontology.value(t, RDFS.isDefinedBy) != ONTOLOGY_IRI]
    assert not wrong


def test_labels_and_definitions_are_english_strings(ontology):
    for t in minted(ontology):
        for p in (RDFS.label, SKOS.definition):
            for value in ontology.objects(t, p):
                assert isinstance(value, Literal) and value.language == "en", f"{t} {p.n3()} {value!r}"


def test_properties_have_domain_and_range_or_say_why_not(ontology):
    problems = []
    for t in minted(ontology):
        if not types_of(ontology, t) & set(PROPERTY_TYPES):
            continue
        comments = " ".join(str(c) for c in ontology.objects(t, RDFS.comment)).lower()
        for axiom, word in ((RDFS.domain, "domain"), (RDFS.range, "range")):
            inherited = any((sup, axiom, None) in ontology for sup in ontology.objects(t, RDFS.subPropertyOf))
            via_inverse = any((inv, RDFS.range if axiom == RDFS.domain else RDFS.domain, None) in ontology
                              for inv in set(ontology.objects(t, OWL.inverseOf)) | set(ontology.subjects(OWL.inverseOf, t)))
            if (t, axiom, None) not in ontology and not inherited and not via_inverse and word not in comments:
                problems.append(f"{t} has no rdfs:{word} and no rdfs:comment saying why")
    assert not problems, "\n".join(problems)


def test_no_minted_class_or_property_is_unconnected(ontology):
    """Each class/property takes part in a logical axiom (its own or another term's) or is used
    by the data (article.ttl, wikidata-links.ttl): nothing is declared and left dangling."""
    data = parse(TRIPLES_DIR / "article.ttl", TRIPLES_DIR / "wikidata-links.ttl")
    used_by_data = set(data.predicates()) | set(data.objects(None, RDF.type))
    unconnected = []
    for t in minted(ontology):
        if not types_of(ontology, t) & {OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty}:
            continue
        own_axiom = any(p in LOGICAL and p != RDF.type for p in ontology.predicates(t, None))
        referenced = any(s != t and p in LOGICAL for s, p in ontology.subject_predicates(t))
        if not (own_axiom or referenced or t in used_by_data):
            unconnected.append(str(t))
    assert not unconnected, f"terms no axiom and no data uses: {unconnected}"


def test_inverse_properties_are_declared_object_properties(ontology):
    pairs = list(ontology.subject_objects(OWL.inverseOf))
    assert pairs, "the ontology declares no inverse properties"
    for a, b in pairs:
        for p in (a, b):
            assert (p, RDF.type, OWL.ObjectProperty) in ontology, f"{p} is in owl:inverseOf but not declared"


def test_every_predicate_used_is_declared(ontology_and_schemes):
    """OWL 2 DL needs every property declared; reused ones are declared, not imported."""
    builtin = {str(RDF), str(RDFS), str(OWL)}
    declared = {s for t in (OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty)
                for s in ontology_and_schemes.subjects(RDF.type, t)}
    undeclared = sorted({str(p) for p in ontology_and_schemes.predicates()
                         if not any(str(p).startswith(ns) for ns in builtin) and p not in declared})
    assert not undeclared, f"properties used without a declaration: {undeclared}"


def test_classes_used_in_axioms_are_declared(ontology_and_schemes):
    g = ontology_and_schemes
    classes = set(g.subjects(RDF.type, OWL.Class)) | {OWL.Thing, OWL.Nothing}
    datatypes = set(g.subjects(RDF.type, RDFS.Datatype)) | OWL2_DATATYPES
    problems = []
    for p in (RDFS.subClassOf, OWL.equivalentClass, OWL.disjointWith, OWL.someValuesFrom, OWL.allValuesFrom):
        for o in g.objects(None, p):
            if isinstance(o, URIRef) and o not in classes and o not in datatypes:
                problems.append(f"{o} ({p.n3()})")
    for prop, c in g.subject_objects(RDFS.range):
        if isinstance(c, URIRef) and c not in classes and c not in datatypes:
            problems.append(f"{c} (range of {prop})")
    for prop, c in g.subject_objects(RDFS.domain):
        if isinstance(c, URIRef) and c not in classes:
            problems.append(f"{c} (domain of {prop})")
    assert not problems, f"undeclared classes or datatypes outside the OWL 2 datatype map: {sorted(set(problems))}"


def test_datatype_properties_have_no_iri_values_and_object_properties_no_literals(ontology_and_schemes):
    g = ontology_and_schemes + parse(ARTICLE)
    obj = set(g.subjects(RDF.type, OWL.ObjectProperty))
    dat = set(g.subjects(RDF.type, OWL.DatatypeProperty))
    bad = [f"{s} {p} {o}" for s, p, o in g
           if (p in obj and isinstance(o, Literal)) or (p in dat and not isinstance(o, Literal))]
    assert not bad, bad[:20]


def test_the_article_uses_only_declared_properties_and_classes(ontology_and_schemes, article):
    g = ontology_and_schemes
    declared_props = {s for t in (OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty)
                      for s in g.subjects(RDF.type, t)}
    declared_classes = set(g.subjects(RDF.type, OWL.Class))
    builtin = (str(RDF), str(RDFS), str(OWL))
    props = sorted({str(p) for p in article.predicates() if p not in declared_props and not str(p).startswith(builtin)})
    classes = sorted({str(c) for c in article.objects(None, RDF.type) if c not in declared_classes and not str(c).startswith(builtin)})
    assert not props, f"the article uses undeclared properties: {props}"
    assert not classes, f"the article uses undeclared classes: {classes}"


NAMING = {
    OWL.Class: re.compile(r"^[A-Z][A-Za-z0-9]*$"),
    OWL.NamedIndividual: re.compile(r"^[A-Z][A-Za-z0-9]*$"),
    OWL.ObjectProperty: re.compile(r"^[a-z][A-Za-z0-9]*$"),
    OWL.DatatypeProperty: re.compile(r"^[a-z][A-Za-z0-9]*$"),
    OWL.AnnotationProperty: re.compile(r"^[a-z][A-Za-z0-9]*$"),
}


def test_classes_are_upper_camel_case_and_properties_lower_camel_case(ontology):
    bad = []
    for t in minted(ontology):
        name = str(t)[len(str(IKG)):]
        for kind in types_of(ontology, t):
            if not NAMING[kind].match(name):
                bad.append(f"{name} ({kind.n3()})")
    assert not bad, bad


@pytest.mark.parametrize("prop", [DCTERMS.title, DCTERMS.description, OWL.versionIRI, OWL.versionInfo,
                                  DCTERMS.license, DCTERMS.created, DCTERMS.modified, DCTERMS.creator,
                                  VANN.preferredNamespacePrefix, VANN.preferredNamespaceUri],
                         ids=lambda p: p.n3())
def test_ontology_metadata_is_present(ontology, prop):
    assert (ONTOLOGY_IRI, RDF.type, OWL.Ontology) in ontology
    assert ontology.value(ONTOLOGY_IRI, prop) is not None, f"the ontology header lacks {prop.n3()}"


def test_vann_metadata_matches_the_namespace(ontology):
    assert str(ontology.value(ONTOLOGY_IRI, VANN.preferredNamespacePrefix)) == "ikg"
    assert str(ontology.value(ONTOLOGY_IRI, VANN.preferredNamespaceUri)) == str(IKG)
    version = str(ontology.value(ONTOLOGY_IRI, OWL.versionInfo))
    assert str(ontology.value(ONTOLOGY_IRI, OWL.versionIRI)).endswith("/" + version)


def test_every_concept_and_scheme_has_one_english_definition(ontology_and_schemes):
    g = ontology_and_schemes
    terms = set(g.subjects(RDF.type, SKOS.Concept)) | set(g.subjects(RDF.type, SKOS.ConceptScheme))
    assert len(terms) > 350  # CAMEO's 316 codes, ACLED's 31 types, the roles, the kinds of act
    problems = {str(t): list(g.objects(t, SKOS.definition)) for t in terms
                if [d.language for d in g.objects(t, SKOS.definition) if isinstance(d, Literal)] != ["en"]}
    assert not problems, f"concepts without exactly one English skos:definition: {sorted(problems)[:10]}"


def test_cameo_notations_are_strings_that_keep_leading_zeros(ontology_and_schemes):
    g = ontology_and_schemes
    concepts = [c for c in g.subjects(SKOS.inScheme, URIRef("https://w3id.org/idlib-kg/scheme/cameo"))]
    assert len(concepts) > 100
    for c in concepts:
        notation = g.value(c, SKOS.notation)
        assert isinstance(notation, Literal), f"{c} has no skos:notation"
        assert notation.datatype in (None, XSD.string), f"{c} notation {notation!r} must be a string"
        assert str(notation) == str(c)[len(str(CAMEO)):], f"{c} notation {notation} differs from its IRI"
    assert str(g.value(CAMEO["016"], SKOS.notation)) == "016"
    assert str(g.value(CAMEO["0256"], SKOS.notation)) == "0256"


EXPECTED_ALIGNMENTS = [
    (IKG.Denial, SKOS.closeMatch, CAMEO["016"]),
    (IKG.CeasefireViolation, SKOS.closeMatch, CAMEO["196"]),
    (IKG.Airstrike, SKOS.closeMatch, CAMEO["195"]),
    (IKG.Airstrike, SKOS.closeMatch, ACLED["air-drone-strike"]),
    (IKG.Airstrike, SKOS.exactMatch, WD.Q2380335),
    (IKG.AttackOnCivilians, SKOS.closeMatch, ACLED["violence-against-civilians"]),
    (IKG.Agreement, SKOS.relatedMatch, ACLED["agreement"]),  # codes the event of agreeing
    (IKG.Ceasefire, SKOS.relatedMatch, CAMEO["0871"]),
    (IKG.SpeechAct, SKOS.narrowMatch, CAMEO["01"]),  # CAMEO 01 is public statements only
    (IKG.ViolentEvent, SKOS.narrowMatch, ACLED["battles"]),
    (IKG.Agreement, SKOS.narrowMatch, WD.Q131569),  # a treaty is one kind of agreement
    (IKG.PhoneCall, SKOS.closeMatch, CAMEO["041"]),
    (IKG.Call, SKOS.closeMatch, CAMEO["0256"]),
    (IKG.Warning, SKOS.closeMatch, CAMEO["138"]),
    (IKG.Condemnation, SKOS.closeMatch, CAMEO["111"]),
    (IKG.MilitaryOperation, SKOS.exactMatch, WD.Q645883),
    (IKG.State, SKOS.closeMatch, WD.Q3624078),
    (IKG.AerialBombardment, SKOS.broadMatch, WD.Q678146),  # bombardment: from guns and ships too
    (IKG.Offensive, SKOS.broadMatch, WD.Q831663),  # military campaign
    (IKG.InternationalOrganization, SKOS.exactMatch, WD.Q245065),  # intergovernmental organization
    (IKG.InternationalOrganization, SKOS.broadMatch, WD.Q484652),
    (IKG.perpetrator, SKOS.closeMatch, WD.P8031),
    (IKG.numberKilled, SKOS.closeMatch, WD.P1120),
    (IKG.party, SKOS.closeMatch, WD.P1891),
    (IKG.hasQualifier, SKOS.closeMatch, WD.P1480),
]


@pytest.mark.parametrize("triple", EXPECTED_ALIGNMENTS, ids=lambda t: f"{t[0].fragment}-{t[2].split('/')[-1]}")
def test_alignment_to_cameo_acled_and_wikidata_is_present(ontology_and_schemes, triple):
    assert triple in ontology_and_schemes


def test_alignments_to_our_schemes_point_to_defined_concepts(ontology_and_schemes):
    g = ontology_and_schemes
    concepts = set(g.subjects(RDF.type, SKOS.Concept))
    dangling = sorted({str(o) for p in MAPPINGS for o in g.objects(None, p)
                       if str(o).startswith("https://w3id.org/idlib-kg/scheme/") and o not in concepts})
    assert not dangling, f"mappings to concepts that event-types.ttl does not define: {dangling}"


def _wikidata_ids(g: rdflib.Graph) -> set[str]:
    ids = set()
    for t in (t for triple in g for t in triple):
        if isinstance(t, URIRef):
            m = re.match(r"^http://www\.wikidata\.org/(?:entity|prop/direct|prop|wiki)/([QP]\d+)$", str(t))
            if m:
                ids.add(m.group(1))
    return ids


def test_ontology_uses_only_verified_wikidata_ids(ontology_and_schemes):
    ids = _wikidata_ids(ontology_and_schemes)
    assert ids, "the ontology should align to Wikidata"
    assert not ids - VERIFIED_WIKIDATA, f"unverified Wikidata ids: {sorted(ids - VERIFIED_WIKIDATA)}"


def test_reused_vocabularies_are_not_imported(ontology):
    assert not list(ontology.objects(ONTOLOGY_IRI, OWL.imports))
