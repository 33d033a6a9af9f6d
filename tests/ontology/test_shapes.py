"""SHACL shapes (ontology/shapes.ttl): good data conforms, each kind of mistake is reported with a
message for people on the right node; text spans match article.txt."""

from __future__ import annotations

import pytest
import rdflib
from rdflib import RDF, Literal, URIRef
from rdflib.namespace import Namespace

from .conftest import MINI, SH, parse, violations

NIF = Namespace("http://persistence.uni-leipzig.org/nlp2rdf/ontologies/nif-core#")
B = "https://w3id.org/idlib-kg/id/broken/"

BROKEN = """
@prefix ikg:  <https://w3id.org/idlib-kg/ontology#> .
@prefix ikr:  <https://w3id.org/idlib-kg/id/broken/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd:  <http://www.w3.org/2001/XMLSchema#> .
@prefix sem:  <http://semanticweb.cs.vu.nl/2009/11/sem/> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix nif:  <http://persistence.uni-leipzig.org/nlp2rdf/ontologies/nif-core#> .
@prefix gaf:  <http://groundedannotationframework.org/gaf#> .
@prefix role: <https://w3id.org/idlib-kg/scheme/role/> .

<https://w3id.org/idlib-kg/id/broken/text#char=0,5> nif:beginIndex "0"^^xsd:nonNegativeInteger ;
    nif:endIndex "5"^^xsd:nonNegativeInteger ; nif:anchorOf "Words" .

ikr:unlabelled a ikg:State .
ikr:twice a ikg:State ; rdfs:label "Twice"@en , "Zweimal"@de .
ikr:numbered a ikg:State ; rdfs:label 42 .
ikr:land-a a ikg:State ; rdfs:label "Land A"@en .
ikr:army-a a ikg:ArmedForces ; rdfs:label "Army A"@en ; ikg:forcesOf ikr:land-a .
ikr:unit-a a ikg:MilitaryUnit ; rdfs:label "Unit A"@en ; ikg:forcesOf ikr:land-a .

ikr:count-without-value a ikg:QualifiedCount ; rdfs:label "hundreds"@en ;
    ikg:statedFigure "hundreds" ; ikg:hasQualifier ikg:Vague .
ikr:count-bounds-swapped a ikg:QualifiedCount ; rdfs:label "between"@en ;
    ikg:statedFigure "between 10 and 5" ; ikg:hasQualifier ikg:Exactly ; ikg:lowerBound 10 ; ikg:upperBound 5 .
ikr:count-text-value a ikg:QualifiedCount ; rdfs:label "1,300"@en ;
    ikg:statedFigure "1,300" ; ikg:hasQualifier ikg:Exactly ; ikg:statedValue "1,300" .

ikr:act a ikg:Statement ; rdfs:label "a statement"@en ; ikg:speaker ikr:land-a ; sem:hasTime ikr:time-ok .
ikr:silent-act a ikg:Statement ; rdfs:label "a statement without speaker or time"@en .
ikr:claim-without-claimant a ikg:Claim ; rdfs:label "claim"@en ; ikg:polarity ikg:Negative ;
    prov:wasGeneratedBy ikr:act ; gaf:denotedBy <https://w3id.org/idlib-kg/id/broken/text#char=0,5> .
ikr:claim-bare a ikg:Claim ; rdfs:label "bare claim"@en ; ikg:claimant ikr:land-a ; ikg:polarity ikg:Certain .

ikr:time-ok a ikg:TimeExpression ; rdfs:label "Thursday"@en ; ikg:timePhrase "Thursday" ;
    sem:hasEarliestBeginTimeStamp "2020-02-27T00:00:00+03:00"^^xsd:dateTime .
ikr:time-not-a-date a ikg:TimeExpression ; rdfs:label "last Thursday"@en ; ikg:timePhrase "last Thursday" ;
    sem:hasEarliestBeginTimeStamp "last Thursday"^^xsd:dateTime .
ikr:time-plain-string a ikg:TimeExpression ; rdfs:label "Friday"@en ; ikg:timePhrase "Friday" ;
    sem:hasLatestEndTimeStamp "2020-02-28" .
ikr:time-unresolved a ikg:TimeExpression ; rdfs:label "some day"@en ; ikg:timePhrase "some day" .
ikr:time-no-phrase a ikg:TimeExpression ; rdfs:label "no phrase"@en ; ikg:calendarDate "2020-02-28"^^xsd:date .

ikr:role-bare a ikg:ClaimedRole ; rdfs:label "role"@en ; ikg:roleAgent ikr:land-a , ikr:army-a .
ikr:tenure-bare a ikg:Tenure ; rdfs:label "tenure"@en .
ikr:deal a ikg:Agreement ; rdfs:label "deal"@en ; ikg:party ikr:land-a .
ikr:friendly-fire a ikg:Attack ; rdfs:label "friendly fire"@en ; ikg:perpetrator ikr:army-a ; ikg:target ikr:unit-a .

ikr:claim-wrong-dimensions a ikg:Claim ; rdfs:label "stance values mixed up"@en ; ikg:claimant ikr:land-a ;
    ikg:polarity ikg:Positive ; ikg:certainty ikg:Favourable ; ikg:sentiment ikg:Negative ;
    prov:wasGeneratedBy ikr:act ; gaf:denotedBy <https://w3id.org/idlib-kg/id/broken/text#char=0,5> .
ikr:claim-not-the-speaker a ikg:Claim ; rdfs:label "said by land A, claimed by army A"@en ; ikg:claimant ikr:army-a ;
    ikg:polarity ikg:Positive ; prov:wasGeneratedBy ikr:act ; gaf:denotedBy <https://w3id.org/idlib-kg/id/broken/text#char=0,5> .
ikr:strike-b a ikg:Attack ; rdfs:label "strike B"@en ; sem:hasTime ikr:time-ok ; ikg:perpetrator ikr:army-a ;
    sem:eventType <https://w3id.org/idlib-kg/scheme/cameo/195> .
ikr:claim-denied-yet-plain a ikg:Claim ; rdfs:label "army A did not strike"@en ; ikg:claimant ikr:land-a ;
    ikg:polarity ikg:Negative ; prov:wasGeneratedBy ikr:act ; ikg:claimedRole ikr:role-denied ;
    gaf:denotedBy <https://w3id.org/idlib-kg/id/broken/text#char=0,5> .
ikr:role-denied a ikg:ClaimedRole ; rdfs:label "army A as perpetrator of strike B"@en ; ikg:roleAgent ikr:army-a ;
    ikg:roleInEvent ikr:strike-b ; sem:roleType role:perpetrator .
ikr:role-typed-as-event a ikg:ClaimedRole ; rdfs:label "a role typed with a CAMEO code"@en ; ikg:roleAgent ikr:land-a ;
    ikg:roleInEvent ikr:strike-b ; sem:roleType <https://w3id.org/idlib-kg/scheme/cameo/195> .
ikr:strike-odd-type a ikg:Attack ; rdfs:label "strike with a made-up code"@en ; sem:hasTime ikr:time-ok ;
    sem:eventType <https://w3id.org/idlib-kg/scheme/cameo/999> .
ikr:count-exact-off a ikg:QualifiedCount ; rdfs:label "33, said to be 50"@en ; ikg:statedFigure "33" ;
    ikg:hasQualifier ikg:Exactly ; ikg:statedValue 50 ; ikg:lowerBound 33 ; ikg:upperBound 33 .
ikr:count-more-than-low a ikg:QualifiedCount ; rdfs:label "more than 1,300"@en ; ikg:statedFigure "more than 1,300" ;
    ikg:hasQualifier ikg:MoreThan ; ikg:statedValue 1300 ; ikg:lowerBound 1000 .
ikr:spokesperson a <http://www.w3.org/ns/prov#Person> ; rdfs:label "a spokesperson of land A"@en ;
    prov:actedOnBehalfOf ikr:land-a .
ikr:act-by-spokesperson a ikg:Statement ; rdfs:label "the spokesperson's statement"@en ;
    ikg:speaker ikr:spokesperson ; sem:hasTime ikr:time-ok .
ikr:claim-by-the-spokespersons-state a ikg:Claim ; rdfs:label "land A, through its spokesperson"@en ;
    ikg:claimant ikr:land-a ; ikg:polarity ikg:Positive ; prov:wasGeneratedBy ikr:act-by-spokesperson ;
    gaf:denotedBy <https://w3id.org/idlib-kg/id/broken/text#char=0,5> .
ikr:call a ikg:PhoneCall ; rdfs:label "a call between land A and army A"@en ; ikg:speaker ikr:land-a ;
    ikg:addressee ikr:army-a ; sem:hasTime ikr:time-ok .
ikr:claim-by-the-other-party a ikg:Claim ; rdfs:label "army A, on the call"@en ; ikg:claimant ikr:army-a ;
    ikg:polarity ikg:Positive ; prov:wasGeneratedBy ikr:call ; gaf:denotedBy <https://w3id.org/idlib-kg/id/broken/text#char=0,5> .
ikr:strike-c a ikg:Attack ; rdfs:label "strike C on unit A"@en ; sem:hasTime ikr:time-ok ; ikg:target ikr:unit-a .
ikr:claim-denies-another-role a ikg:Claim ; rdfs:label "unit A did not strike"@en ; ikg:claimant ikr:land-a ;
    ikg:polarity ikg:Negative ; prov:wasGeneratedBy ikr:act ; ikg:claimedRole ikr:role-denied-perpetrator ;
    gaf:denotedBy <https://w3id.org/idlib-kg/id/broken/text#char=0,5> .
ikr:role-denied-perpetrator a ikg:ClaimedRole ; rdfs:label "unit A as perpetrator of strike C"@en ;
    ikg:roleAgent ikr:unit-a ; ikg:roleInEvent ikr:strike-c ; sem:roleType role:perpetrator .
ikr:time-owl-time-date a ikg:TimeExpression ; rdfs:label "Friday"@en ; ikg:timePhrase "Friday" ;
    <http://www.w3.org/2006/time#inXSDDate> "2020-02-28"^^xsd:date .
ikr:instant-untyped <http://www.w3.org/2006/time#inXSDDateTimeStamp> "2020-02-27T21:30:00+03:00"^^xsd:dateTimeStamp ;
    rdfs:label "an instant not typed as one"@en .
ikr:time-late-begin a ikg:TimeExpression ; rdfs:label "Friday morning"@en ; ikg:timePhrase "Friday morning" ;
    sem:hasLatestBeginTimeStamp "2020-02-28T12:00:00+03:00"^^xsd:dateTime ;
    sem:hasLatestEndTimeStamp "2020-02-28T06:00:00+03:00"^^xsd:dateTime .
ikr:claim-two-sentiments a ikg:Claim ; rdfs:label "for and against"@en ; ikg:claimant ikr:land-a ;
    ikg:polarity ikg:Positive ; ikg:sentiment ikg:Favourable , ikg:Unfavourable ; prov:wasGeneratedBy ikr:act ;
    gaf:denotedBy <https://w3id.org/idlib-kg/id/broken/text#char=0,5> .
ikr:time-no-zone a ikg:TimeExpression ; rdfs:label "Thursday, somewhere"@en ; ikg:timePhrase "Thursday" ;
    sem:hasEarliestBeginTimeStamp "2020-02-27T00:00:00"^^xsd:dateTime .
ikr:land-b a ikg:State ; rdfs:label "Land B"@en .
ikr:government-of-two a ikg:Government ; rdfs:label "one government, two states"@en ;
    ikg:governmentOf ikr:land-a , ikr:land-b .
ikr:news a <https://schema.org/NewsArticle> ; rdfs:label "a report nobody published"@en .
ikr:photo <https://schema.org/creditText> "File photo" ; rdfs:label "a photo credited to a place"@en ;
    prov:wasAttributedTo ikr:time-ok .

<https://w3id.org/idlib-kg/id/broken/text#char=9,3> nif:beginIndex 9 ; nif:endIndex "3"^^xsd:nonNegativeInteger .
<https://w3id.org/idlib-kg/id/broken/text#char=1,4> nif:beginIndex "1"^^xsd:nonNegativeInteger ;
    nif:endIndex "6"^^xsd:nonNegativeInteger ; nif:anchorOf "abc" .
"""

# (focus node, words the message must contain)
EXPECTED = [
    ("unlabelled", "must have exactly one rdfs:label"),
    ("twice", "must have exactly one rdfs:label"),
    ("numbered", "must be a string or a language-tagged string"),
    ("count-without-value", "A qualified count has no value"),
    ("count-bounds-swapped", "ikg:lowerBound is greater than ikg:upperBound"),
    ("count-text-value", "ikg:statedValue must be one number"),
    ("claim-without-claimant", "A claim needs at least one ikg:claimant"),
    ("claim-bare", "must say which speech act put it forward"),
    ("claim-bare", "must point to the text that states it"),
    ("claim-bare", "The polarity of a claim is ikg:Positive or ikg:Negative"),
    ("silent-act", "A speech act needs an ikg:speaker"),
    ("silent-act", "A speech act needs sem:hasTime"),
    ("time-not-a-date", "sem:hasEarliestBeginTimeStamp must be one valid xsd:dateTime"),
    ("time-plain-string", "sem:hasLatestEndTimeStamp must be one valid xsd:dateTime"),
    ("time-unresolved", "A time expression is not resolved"),
    ("time-no-phrase", "A time expression needs ikg:timePhrase"),
    ("role-bare", "exactly one ikg:roleAgent"),
    ("role-bare", "exactly one ikg:roleInEvent"),
    ("role-bare", "exactly one sem:roleType"),
    ("tenure-bare", "exactly one ikg:holder"),
    ("tenure-bare", "exactly one ikg:positionHeld"),
    ("deal", "at least two ikg:party"),
    ("friendly-fire", "An attack needs sem:hasTime"),
    ("friendly-fire", "forces of the same state"),
    ("claim-wrong-dimensions", "at most one ikg:certainty: ikg:Certain, ikg:Probable or ikg:Possible"),
    ("claim-wrong-dimensions", "ikg:sentiment is ikg:Favourable or ikg:Unfavourable"),
    ("claim-not-the-speaker", "is not the speaker of"),
    ("claim-denied-yet-plain", "a denied role is never a plain participant"),
    ("role-typed-as-event", "not an event type"),
    ("strike-odd-type", "is not a concept of the CAMEO or ACLED scheme"),
    ("count-exact-off", "The bounds disagree with the qualifier"),
    ("count-more-than-low", "The bounds disagree with the qualifier"),
    ("time-late-begin", "The latest begin of this time is after its latest end"),
    ("time-owl-time-date", "time:inXSDDate is for a time:Instant"),
    ("instant-untyped", "is a time:Instant (OWL-Time's domain): type it so"),
    ("claim-two-sentiments", "at most one ikg:sentiment"),
    ("time-no-zone", "A SEM timestamp needs a time zone"),
    ("government-of-two", "the government of one state"),
    ("news", "Say whose this is"),
    ("photo", "prov:wasAttributedTo names an agent"),
    ("text#char=9,3", "nif:beginIndex must be smaller than its nif:endIndex"),
    ("text#char=9,3", "exactly one nif:beginIndex, an xsd:nonNegativeInteger"),
    ("text#char=9,3", "A text span needs nif:anchorOf"),
    ("text#char=1,4", "does not match its nif:beginIndex/nif:endIndex (1,6)"),
    ("text#char=1,4", "The span's nif:anchorOf has 3 characters but its offsets cover 5"),
]


@pytest.fixture(scope="module")
def broken_report(validate):
    g = rdflib.Graph().parse(data=BROKEN.replace("@prefix gaf:", "@prefix time: <http://www.w3.org/2006/time#> .\n@prefix gaf:"),
                             format="turtle")
    conforms, results, _ = validate(g)
    return conforms, violations(results)


def test_the_hand_made_graph_conforms(validate):
    conforms, results, text = validate(parse(MINI))
    assert conforms, text
    assert not violations(results, SH.Warning), text


def _summary(found: set[tuple[str, str]]) -> str:
    by_message: dict[str, list[str]] = {}
    for focus, message in sorted(found):
        by_message.setdefault(message, []).append(focus)
    return "\n".join(f"{len(nodes)} x {message}\n    e.g. {', '.join(nodes[:3])}"
                     for message, nodes in sorted(by_message.items()))


@pytest.fixture(scope="module")
def article_report(validate, article):
    return validate(article)


def test_the_article_conforms(article_report):
    conforms, results, _ = article_report
    assert conforms, "the article breaks the shapes:\n" + _summary(violations(results))


def test_the_article_has_no_shape_warnings(article_report):
    _, results, _ = article_report
    assert not violations(results, SH.Warning), _summary(violations(results, SH.Warning))


def test_a_broken_graph_does_not_conform(broken_report):
    conforms, _ = broken_report
    assert conforms is False


@pytest.mark.parametrize("focus,words", EXPECTED, ids=[f"{f}: {w[:40]}" for f, w in EXPECTED])
def test_each_mistake_is_reported_on_its_node_with_a_message_for_people(broken_report, focus, words):
    _, found = broken_report
    messages = [m for f, m in found if f == B + focus]
    assert any(words in m for m in messages), f"no message with {words!r} for ikr:{focus}; got {messages}"


@pytest.mark.parametrize("focus", ["land-a", "army-a", "unit-a", "act", "time-ok", "claim-by-the-spokespersons-state",
                                   "claim-by-the-other-party", "claim-denies-another-role", "strike-c"])
def test_correct_resources_in_the_broken_graph_are_not_reported(broken_report, focus):
    _, found = broken_report
    assert not [m for f, m in found if f == B + focus]


def test_text_spans_need_no_label(broken_report):
    _, found = broken_report
    assert not [m for f, m in found if f == B + "text#char=0,5"]


def test_every_constraint_has_a_message(shapes):
    """Property shapes and SPARQL constraints each carry an English sh:message."""
    nodes = set(shapes.subjects(SH.path, None)) | set(shapes.subjects(RDF.type, SH.SPARQLConstraint))
    nodes |= {s for s in shapes.subjects(SH["or"], None)}
    missing = [str(n) for n in nodes if not any(isinstance(m, Literal) and m.language == "en"
                                                for m in shapes.objects(n, SH.message))]
    # A property shape nested in an sh:or list is a condition, not a constraint of its own.
    in_or = {n for lst in shapes.objects(None, SH["or"]) for n in rdflib.collection.Collection(shapes, lst)}
    missing = [n for n in missing if URIRef(n) not in in_or and rdflib.BNode(n) not in in_or]
    assert not missing, missing
