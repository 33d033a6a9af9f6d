"""The article's data (triples/) is well-formed, grounded in the text and modelled as designed.

Covers: the Turtle parses in three independent parsers; every sentence yields at least one
resource (the coverage record); every text span's offsets slice triples/article.txt to its
recorded words; every claim and speech act is attributed; the contested attack has no plain
perpetrator; the qualified figures, resolved times and Wikidata links are exactly as reviewed.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections import defaultdict
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

import pyoxigraph
import pytest
from rdflib import OWL, RDF, RDFS, SKOS, Graph, Literal, Namespace, URIRef
from prerequisites import skip_or_fail
from rdflib.namespace import PROV
from verified_wikidata import verified_wikidata_ids

REPO_ROOT = Path(__file__).resolve().parents[2]
TRIPLES = REPO_ROOT / "triples"
ONTOLOGY = REPO_ROOT / "ontology"
ARTICLE_TXT = TRIPLES / "article.txt"
ARTICLE_TTL = TRIPLES / "article.ttl"
LINKS_TTL = TRIPLES / "wikidata-links.ttl"
INFERRED_TTL = TRIPLES / "inferred.ttl"
STANDIN_TTL = REPO_ROOT / "tests" / "data" / "wikidata-standin.ttl"
COVERAGE_QUERY = REPO_ROOT / "queries" / "18-sentence-coverage.rq"

IKG = Namespace("https://w3id.org/idlib-kg/ontology#")
IKR = Namespace("https://w3id.org/idlib-kg/id/")
SEM = Namespace("http://semanticweb.cs.vu.nl/2009/11/sem/")
NIF = Namespace("http://persistence.uni-leipzig.org/nlp2rdf/ontologies/nif-core#")
GAF = Namespace("http://groundedannotationframework.org/gaf#")
TIME = Namespace("http://www.w3.org/2006/time#")
SCHEMA = Namespace("https://schema.org/")
GEO = Namespace("http://www.opengis.net/ont/geosparql#")
ROLE = Namespace("https://w3id.org/idlib-kg/scheme/role/")
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")  # open namespace: rdflib's closed XSD warns under pytest
WD = "http://www.wikidata.org/entity/"
TEXT_BASE = "https://w3id.org/idlib-kg/id/article/text"
CHAR_FRAGMENT = re.compile(r"#char=(\d+),(\d+)$")

# tests/data/verified-wikidata.tsv: each identifier with its label and where it was verified
VERIFIED_WIKIDATA = verified_wikidata_ids()


def turtle_files() -> list[Path]:
    return [ARTICLE_TTL, LINKS_TTL, STANDIN_TTL, INFERRED_TTL]  # all committed: none may go missing


@lru_cache(maxsize=None)
def article() -> Graph:
    """The article's triples alone (what the lead writes), parsed with rdflib."""
    g = Graph()
    g.parse(ARTICLE_TTL, format="turtle")
    return g


@lru_cache(maxsize=None)
def everything() -> Graph:
    """Ontology + article + links (+ inferred when present): for class and property closures."""
    g = Graph()
    for p in sorted(ONTOLOGY.glob("*.ttl")):
        if p.name != "shapes.ttl":
            g.parse(p, format="turtle")
    for p in (ARTICLE_TTL, LINKS_TTL, INFERRED_TTL):
        if p.is_file():
            g.parse(p, format="turtle")
    return g


def text() -> str:
    return ARTICLE_TXT.read_text(encoding="utf-8")


def subclasses(g: Graph, cls: URIRef) -> set[URIRef]:
    return set(g.transitive_subjects(RDFS.subClassOf, cls))


def instances(g: Graph, cls: URIRef) -> set[URIRef]:
    found = set()
    for c in subclasses(g, cls):
        found.update(s for s in g.subjects(RDF.type, c) if isinstance(s, URIRef))
    return found


def subproperties(g: Graph, prop: URIRef) -> set[URIRef]:
    return set(g.transitive_subjects(RDFS.subPropertyOf, prop))


def offsets(g: Graph, span) -> tuple[int, int]:
    return int(g.value(span, NIF.beginIndex)), int(g.value(span, NIF.endIndex))


def sentence_coverage(g: Graph | None = None) -> dict[URIRef, list[URIRef]]:
    """The sentence coverage record: each nif:Sentence -> the resources derived from it.

    A resource is derived from a sentence when one of its gaf:denotedBy spans lies within the
    sentence's offsets (code points of triples/article.txt). Sentences in text order, resources
    sorted; a sentence that yields nothing maps to [].
    """
    g = article() if g is None else g
    sentences = sorted(g.subjects(RDF.type, NIF.Sentence), key=lambda s: offsets(g, s))
    record: dict[URIRef, list[URIRef]] = {s: [] for s in sentences}
    for resource, span in g.subject_objects(GAF.denotedBy):
        if g.value(span, NIF.beginIndex) is None:
            continue
        begin, end = offsets(g, span)
        for s in sentences:
            s_begin, s_end = offsets(g, s)
            if s_begin <= begin and end <= s_end and resource not in record[s]:
                record[s].append(resource)
    return {s: sorted(rs) for s, rs in record.items()}


# --- parsing ---------------------------------------------------------------------------------

@pytest.mark.parametrize("path", turtle_files(), ids=lambda p: p.name)
def test_turtle_parses_in_rdflib(path: Path):
    assert len(Graph().parse(path, format="turtle")) > 0


@pytest.mark.parametrize("path", turtle_files(), ids=lambda p: p.name)
def test_turtle_parses_in_pyoxigraph(path: Path):
    triples = list(pyoxigraph.parse(path=str(path), format=pyoxigraph.RdfFormat.TURTLE))
    assert triples


@pytest.mark.parametrize("path", turtle_files(), ids=lambda p: p.name)
def test_turtle_parses_in_rapper(path: Path):
    rapper = shutil.which("rapper")
    if rapper is None:
        skip_or_fail("rapper (Debian raptor2-utils) is not installed")
    done = subprocess.run([rapper, "-i", "turtle", "-c", str(path)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def test_rdflib_and_pyoxigraph_read_the_same_triples_count():
    rdflib_count = len(article())
    oxigraph_count = len(set(pyoxigraph.parse(path=str(ARTICLE_TTL), format=pyoxigraph.RdfFormat.TURTLE)))
    assert rdflib_count == oxigraph_count


# --- the text and provenance -----------------------------------------------------------------

def context(g: Graph) -> URIRef:
    contexts = list(g.subjects(RDF.type, NIF.Context))
    assert len(contexts) == 1
    return contexts[0]


def test_article_text_is_byte_identical_to_the_context_string():
    g = article()
    is_string = g.value(context(g), NIF.isString)
    assert ARTICLE_TXT.read_bytes() == str(is_string).encode("utf-8")


def test_article_text_starts_with_the_headline():
    headline = str(article().value(IKR.article, SCHEMA.headline))
    assert headline == "Russia denies involvement in airstrikes on Turkish troops in Idlib"
    assert text().startswith(headline + "\n")


def test_context_spans_the_whole_text():
    g = article()
    assert offsets(g, context(g)) == (0, len(text()))
    assert str(g.value(context(g), NIF.isString)) == text()


def test_every_span_slices_the_text_to_its_anchor():
    g, t = article(), text()
    spans = set(g.subjects(NIF.beginIndex, None))
    assert len(spans) > 50
    for span in spans:
        begin, end = offsets(g, span)
        anchor = g.value(span, NIF.anchorOf)
        if anchor is None:
            assert (g.value(span, RDF.type)) == NIF.Context, f"{span} has offsets but no nif:anchorOf"
            continue
        assert 0 <= begin < end <= len(t), span
        assert t[begin:end] == str(anchor), f"{span}: text has {t[begin:end]!r}, anchorOf {str(anchor)!r}"


def test_every_char_fragment_matches_its_offsets():
    g = article()
    iris = {n for triple in g for n in triple if isinstance(n, URIRef) and "#char=" in n}
    assert iris
    for iri in iris:
        m = CHAR_FRAGMENT.search(iri)
        assert m and iri.startswith(TEXT_BASE + "#char="), f"malformed RFC 5147 span IRI {iri}"
        assert g.value(iri, NIF.beginIndex) is not None, f"{iri} is used but has no nif:beginIndex"
        assert offsets(g, iri) == (int(m.group(1)), int(m.group(2))), iri


def test_every_denoted_by_target_is_a_span_with_offsets():
    g = article()
    targets = set(g.objects(None, GAF.denotedBy))
    assert len(targets) >= 19, "fewer mention spans than the article has sentences"
    for span in targets:
        assert g.value(span, NIF.beginIndex) is not None and g.value(span, NIF.endIndex) is not None, span
        assert g.value(span, NIF.anchorOf) is not None, span
        assert (span, NIF.referenceContext, context(g)) in g, span


def test_span_sentence_links_point_to_the_sentence_that_contains_the_span():
    g = article()
    links = list(g.subject_objects(NIF.sentence))
    assert links, "no span says which sentence it is in"
    for span, sentence in links:
        assert (sentence, RDF.type, NIF.Sentence) in g
        (b, e), (sb, se) = offsets(g, span), offsets(g, sentence)
        assert sb <= b and e <= se, f"{span} is not inside its nif:sentence {sentence}"


def test_sentences_tile_the_text_without_overlap():
    g, t = article(), text()
    spans = sorted(offsets(g, s) for s in g.subjects(RDF.type, NIF.Sentence))
    assert spans[0][0] == 0 and spans[-1][1] == len(t)
    for (_, end), (begin, _) in zip(spans, spans[1:]):
        assert end <= begin and t[end:begin].strip() == "", f"text between sentences: {t[end:begin]!r}"


# --- coverage --------------------------------------------------------------------------------

def test_every_sentence_yields_at_least_one_resource():
    record = sentence_coverage()
    assert len(record) == 19
    empty = [str(article().value(s, NIF.anchorOf)) for s, resources in record.items() if not resources]
    assert empty == [], f"sentences that map to no resource: {empty}"


def test_coverage_record_agrees_with_the_coverage_query():
    store = pyoxigraph.Store()
    store.load(path=str(ARTICLE_TTL), format=pyoxigraph.RdfFormat.TURTLE)
    by_query: dict[str, set[str]] = defaultdict(set)
    for row in store.query(COVERAGE_QUERY.read_text(encoding="utf-8")):
        by_query[row["sentence"].value]
        if row["resource"] is not None:
            by_query[row["sentence"].value].add(row["resource"].value)
    by_python = {str(s): {str(r) for r in rs} for s, rs in sentence_coverage().items()}
    assert dict(by_query) == by_python


# --- attribution -----------------------------------------------------------------------------

def test_every_claim_has_claimant_polarity_and_an_attributed_speech_act():
    g = everything()
    claims = instances(g, IKG.Claim)
    assert len(claims) >= 15
    for claim in claims:
        assert g.value(claim, IKG.claimant) is not None, f"{claim}: no claimant"
        assert g.value(claim, IKG.polarity) in (IKG.Positive, IKG.Negative), f"{claim}: no polarity"
        assert g.value(claim, IKG.content) is not None, f"{claim}: no content"
        act = g.value(claim, PROV.wasGeneratedBy)
        assert act is not None, f"{claim}: no generating speech act"
        assert act in instances(g, IKG.SpeechAct), f"{claim}: {act} is not a speech act"
        assert g.value(act, IKG.speaker) is not None, f"{act}: no speaker"
        assert g.value(act, SEM.hasTime) is not None, f"{act}: no time"


def test_every_speech_act_has_speaker_and_time():
    g = everything()
    acts = instances(g, IKG.SpeechAct)
    assert len(acts) >= 10
    for act in acts:
        assert g.value(act, IKG.speaker) is not None, f"{act}: no speaker"
        time_ = g.value(act, SEM.hasTime)
        assert time_ is not None and g.value(time_, IKG.timePhrase) is not None, f"{act}: no time phrase"


def test_publisher_framing_is_a_daily_sabah_claim():
    g = article()
    claim = IKR["claim-daily-sabah-regime-attack"]
    assert g.value(claim, IKG.claimant) == IKR["daily-sabah"]
    assert g.value(claim, IKG.polarity) == IKG.Positive
    assert "Moscow-backed Assad regime" in str(g.value(claim, IKG.content))
    assert g.value(claim, PROV.wasGeneratedBy) == IKR["daily-sabah-report"]
    roles = {(g.value(r, IKG.roleAgent), g.value(r, SEM.roleType), g.value(r, IKG.roleInEvent))
             for r in g.objects(claim, IKG.claimedRole)}
    attack = IKR["attack-2020-02-27"]
    assert roles == {(IKR["syrian-government"], ROLE.perpetrator, attack), (IKR.russia, ROLE.backer, attack)}


def test_contested_attack_has_no_plain_perpetrator_among_the_claimed_sides():
    g = everything()
    attack = IKR["attack-2020-02-27"]
    plain = subproperties(g, SEM.hasActor)
    assert {IKG.perpetrator, IKG.target, SEM.hasActor} <= plain
    for actor in (IKR["syrian-government"], IKR.russia, IKR["russian-planes"]):
        for prop in plain:
            assert (attack, prop, actor) not in g, f"{actor} is a plain {prop} of the attack"
    assert g.value(attack, IKG.perpetrator) is None


def test_who_carried_out_the_attacks_in_the_zone_is_daily_sabahs_claim():
    """S17 names the regime and Russian forces with no source: Daily Sabah's word, as in S02.
    The civilians were killed in the attacks; the article does not say they were the target."""
    g = everything()
    zone = IKR["attacks-in-de-escalation-zone"]
    for prop in subproperties(g, SEM.hasActor):
        assert g.value(zone, prop) is None, f"the zone attacks have a plain {prop}"
    claims = [c for c in g.subjects(SCHEMA.about, zone) if g.value(c, IKG.claimant) == IKR["daily-sabah"]]
    assert len(claims) == 1
    roles = {(g.value(r, IKG.roleAgent), g.value(r, SEM.roleType), g.value(r, IKG.roleInEvent))
             for r in g.objects(claims[0], IKG.claimedRole)}
    assert roles == {(IKR["syrian-government"], ROLE.perpetrator, zone), (IKR["russian-military"], ROLE.perpetrator, zone)}
    assert "more than 1,300" in str(g.value(claims[0], IKG.content))


def test_stoltenbergs_claim_is_not_about_the_27_february_attack():
    """He condemns "attacks ... in Idlib"; the article does not say they include the strike on
    the Turkish troops, so no path of sub-events leads from his claimed roles to it."""
    g = everything()
    claim = IKR["claim-stoltenberg-regime-and-russia-attacks"]
    events = {g.value(r, IKG.roleInEvent) for r in g.objects(claim, IKG.claimedRole)}
    assert events == {IKR["attacks-condemned-by-stoltenberg"]}
    containing = set(g.transitiveClosure(lambda e, _: g.subjects(SEM.hasSubEvent, e), IKR["attack-2020-02-27"]))
    assert not events & (containing | {IKR["attack-2020-02-27"]})
    assert (claim, IKG.inTensionWith, None) not in g and (None, IKG.inTensionWith, claim) not in g


def test_the_order_the_article_gives_is_kept():
    g = article()
    def time_of(event: str) -> URIRef:
        return g.value(IKR[event], SEM.hasTime)
    after = [("statement-russian-defence-ministry", "attack-2020-02-27"),  # "after 33 ... were killed"
             ("statement-kremlin", "statement-russian-defence-ministry"),  # "Later in the day"
             ("phone-call-cavusoglu-stoltenberg", "attack-2020-02-27"),  # "following the attack"
             ("condemnation-stoltenberg", "phone-call-cavusoglu-stoltenberg")]  # "later on Friday"
    for later, earlier in after:
        t1, t2 = time_of(later), time_of(earlier)
        assert t1 is not None and t2 is not None and t1 != t2, (later, earlier)
        assert (t1, TIME.after, t2) in g or (t2, TIME.before, t1) in g, f"{later} is not after {earlier}"
    # "Later in the day" is later than the ministry's statement only: its time is no one else's
    for event in ("statement-russian-defence-ministry", "phone-call-cavusoglu-stoltenberg"):
        assert set(g.subjects(SEM.hasTime, time_of(event))) == {IKR[event]}, event
    # the attacks Stoltenberg condemns go on at his statement: he calls for them to halt
    attacks = time_of("attacks-condemned-by-stoltenberg")
    assert not set(g.objects(attacks, TIME.before)) and g.value(attacks, SEM.hasLatestEndTimeStamp) is None


def test_words_that_are_a_claims_evidence_are_no_plain_supports_evidence():
    """"Moscow-backed" is Daily Sabah's framing (a claimed role): it cannot also be the evidence
    for the plain fact that Russia backs the Syrian government."""
    g = article()
    claimed = {s for r in g.subjects(RDF.type, IKG.ClaimedRole) for s in g.objects(r, GAF.denotedBy)}
    supports = list(g.subjects(RDF.type, IKG.Support))
    assert supports
    for support in supports:
        spans = set(g.objects(support, GAF.denotedBy))
        assert spans and not spans & claimed, f"{support} rests on a claim's words: {spans & claimed}"


def test_denied_roles_are_never_plain_participants():
    g = everything()
    plain = subproperties(g, SEM.hasActor)
    denials = list(g.subjects(IKG.polarity, IKG.Negative))
    assert denials, "the article's denials are missing"
    assert any(g.objects(c, IKG.claimedRole) for c in denials), "no denial names the role it denies"
    for claim in denials:
        for role in g.objects(claim, IKG.claimedRole):
            event, agent = g.value(role, IKG.roleInEvent), g.value(role, IKG.roleAgent)
            for prop in plain:
                assert (event, prop, agent) not in g, f"denied {agent} is a plain {prop} of {event}"


def test_security_sources_claim_the_attendance_and_told_daily_sabah():
    g = article()
    claim = IKR["claim-security-sources-attendance"]
    assert g.value(claim, IKG.claimant) == IKR["security-sources"]
    assert (IKR["security-sources"], RDF.type, IKG.AnonymousSource) in g
    report = g.value(claim, PROV.wasGeneratedBy)
    assert g.value(report, IKG.speaker) == IKR["security-sources"]
    assert g.value(report, IKG.addressee) == IKR["daily-sabah"]
    attendees = {g.value(r, IKG.roleAgent) for r in g.objects(claim, IKG.claimedRole)}
    assert attendees == {IKR["turkish-ministers-and-officials"], IKR["hakan-fidan"]}
    meeting = IKR["security-meeting-2020-02-27"]
    for prop in subproperties(everything(), SEM.hasActor):
        for attendee in attendees:
            assert (meeting, prop, attendee) not in everything(), "attendance is claimed, not plain"


# --- figures ---------------------------------------------------------------------------------

# stated figure -> (qualifier, stated value, lower bound, upper bound); None = absent
FIGURES = {
    "33": (IKG.Exactly, 33, 33, 33),
    "more than 1,300": (IKG.MoreThan, 1300, 1301, None),
    "More than 1 million": (IKG.MoreThan, 1000000, 1000001, None),
    "hundreds of thousands": (IKG.Vague, None, 100000, 999999),
    "nearly six hours": (IKG.Nearly, 6, None, 6),
}


def number(lit: Literal | None):
    return None if lit is None else Decimal(str(lit))


def test_the_five_figures_have_qualifier_and_bounds():
    g = article()
    counts = {str(g.value(c, IKG.statedFigure)): c for c in g.subjects(RDF.type, IKG.QualifiedCount)}
    assert counts.keys() == FIGURES.keys()
    for figure, (qualifier, stated, lower, upper) in FIGURES.items():
        c = counts[figure]
        assert g.value(c, IKG.hasQualifier) == qualifier, figure
        assert number(g.value(c, IKG.statedValue)) == stated, figure
        assert number(g.value(c, IKG.lowerBound)) == lower, figure
        assert number(g.value(c, IKG.upperBound)) == upper, figure


def test_every_figure_is_grounded_in_its_words():
    g, t = article(), text()
    for c in g.subjects(RDF.type, IKG.QualifiedCount):
        figure = str(g.value(c, IKG.statedFigure))
        spans = list(g.objects(c, GAF.denotedBy))
        assert any(t[slice(*offsets(g, s))].startswith(figure) or figure in t[slice(*offsets(g, s))]
                   for s in spans), figure


def test_meeting_duration_is_hours():
    g = article()
    assert g.value(IKR["count-meeting-duration"], IKG.unit) == TIME.unitHour


# --- times -----------------------------------------------------------------------------------

def time_expression(g: Graph, phrase: str) -> URIRef:
    found = list(g.subjects(IKG.timePhrase, Literal(phrase)))
    assert len(found) == 1, f"time phrase {phrase!r}: {found}"
    return found[0]


def stamp(g: Graph, t: URIRef, prop: URIRef) -> str | None:
    v = g.value(t, prop)
    return None if v is None else str(v)


def test_thursday_night_is_27_february_2020():
    g = article()
    t = time_expression(g, "Thursday night")
    assert g.value(t, IKG.calendarDate) == Literal("2020-02-27", datatype=XSD.date)
    assert g.value(IKR["attack-2020-02-27"], SEM.hasTime) == t


def test_meeting_is_late_thursday_and_its_hour_is_what_the_sources_said():
    """S09 dates the meeting in Daily Sabah's own voice ("Late Thursday"); the 9:30 p.m. start
    and "nearly six hours" of S10 are in what security sources told it, so they belong to
    that claim, not to the meeting as plain fact."""
    g = article()
    t = g.value(IKR["security-meeting-2020-02-27"], SEM.hasTime)
    assert list(g.objects(t, IKG.timePhrase)) == [Literal("Late Thursday")]
    assert stamp(g, t, SEM.hasEarliestBeginTimeStamp) == "2020-02-27T00:00:00+03:00"
    assert stamp(g, t, SEM.hasLatestBeginTimeStamp) == "2020-02-27T23:59:59+03:00"
    told = IKR["time-security-meeting"]
    assert told in set(g.objects(IKR["claim-security-sources-attendance"], SCHEMA.about))
    assert not set(g.subjects(SEM.hasTime, told))
    begin = g.value(told, TIME.hasBeginning)
    assert str(g.value(begin, TIME.inXSDDateTimeStamp)) == "2020-02-27T21:30:00+03:00"
    assert stamp(g, told, SEM.hasLatestEndTimeStamp) == "2020-02-28T03:30:00+03:00"
    duration = g.value(told, IKG.statedDuration)
    assert duration == IKR["count-meeting-duration"]
    # "nearly six hours" bounds the length; an OWL-Time duration would state it as exactly six
    assert g.value(duration, IKG.upperBound) == Literal(6)
    assert (duration, RDF.type, TIME.Duration) not in g and g.value(told, TIME.hasDuration) is None


# phrase -> (earliest begin, latest begin, latest end); None = no such bound
TIME_PHRASES = {
    "Later in the day": ("2020-02-27T00:00:00+03:00", None, "2020-02-28T23:59:59+03:00"),
    "Earlier this month": ("2020-02-01T00:00:00+03:00", None, "2020-02-28T00:00:00+03:00"),
    "since the start of the year": ("2020-01-01T00:00:00+03:00", "2020-01-31T23:59:59+03:00", None),
    "In September 2018": ("2018-09-01T00:00:00+03:00", None, "2018-09-30T23:59:59+03:00"),
    "nine-year war": ("2010-08-28T00:00:00+03:00", "2011-08-28T00:00:00+03:00", None),
}


@pytest.mark.parametrize("phrase", TIME_PHRASES)
def test_relative_time_phrase_is_resolved_to_bounds(phrase: str):
    g = article()
    t = time_expression(g, phrase)
    bounds = tuple(stamp(g, t, p) for p in (SEM.hasEarliestBeginTimeStamp, SEM.hasLatestBeginTimeStamp,
                                            SEM.hasLatestEndTimeStamp))
    assert bounds == TIME_PHRASES[phrase]
    for p in (SEM.hasEarliestBeginTimeStamp, SEM.hasLatestBeginTimeStamp, SEM.hasLatestEndTimeStamp):
        v = g.value(t, p)
        assert v is None or v.datatype == XSD.dateTime
    assert phrase_is_grounded(g, t, phrase), f"{phrase!r} is not among the words of its spans"


def phrase_is_grounded(g: Graph, t: URIRef, phrase: str) -> bool:
    """One of the time expression's spans has the phrase's words (or the phrase has the span's)."""
    for span in g.objects(t, GAF.denotedBy):
        words = text()[slice(*offsets(g, span))].lower()
        if phrase.lower() in words or words in phrase.lower():
            return True
    return False


def test_every_time_phrase_is_grounded_in_a_span_of_its_time_expression():
    g = article()
    ungrounded = [(str(t), str(p)) for t, p in g.subject_objects(IKG.timePhrase)
                  if not phrase_is_grounded(g, t, str(p))]
    assert ungrounded == []


def test_every_time_expression_has_a_phrase_and_a_bound():
    g = everything()
    expressions = list(instances(g, IKG.TimeExpression))
    assert expressions, "the article's time expressions are missing"
    for t in expressions:
        assert g.value(t, IKG.timePhrase) is not None, t
        assert any(g.value(t, p) is not None for p in (
            SEM.hasEarliestBeginTimeStamp, SEM.hasLatestBeginTimeStamp, SEM.hasLatestEndTimeStamp)), t


# --- Wikidata --------------------------------------------------------------------------------

def test_wikidata_links_use_verified_identifiers_only():
    g = everything()
    linked = set()
    for prop in (OWL.sameAs, SKOS.exactMatch, SKOS.closeMatch, SKOS.broadMatch, SKOS.narrowMatch, SKOS.relatedMatch):
        for s, o in g.subject_objects(prop):
            if isinstance(o, URIRef) and str(o).startswith(WD) and str(s).startswith(str(IKR)):
                linked.add(str(o)[len(WD):])
    assert linked, "no Wikidata links at all"
    assert linked <= VERIFIED_WIKIDATA, f"unverified identifiers: {sorted(linked - VERIFIED_WIKIDATA)}"


def test_every_named_actor_is_linked_or_awaiting_reconciliation():
    g = everything()
    named = (instances(g, PROV.Organization) | instances(g, PROV.Person) | instances(g, IKG.Position))
    named -= instances(g, IKG.PopulationGroup) | instances(g, IKG.AnonymousSource)
    named = {n for n in named if str(n).startswith(str(IKR))}
    assert {IKR.turkey, IKR.russia, IKR.nato, IKR.erdogan, IKR["hakan-fidan"], IKR["mit-chief"]} <= named
    missing = []
    for n in sorted(named):
        linked = any(str(o).startswith(WD) for p in (OWL.sameAs, SKOS.closeMatch, SKOS.broadMatch) for o in g.objects(n, p))
        awaiting = g.value(n, IKG.awaitingReconciliation) == Literal(True)
        if linked == awaiting:
            missing.append((str(n), "both linked and awaiting" if linked else "neither linked nor awaiting"))
    assert missing == [], f"named actors without a Wikidata link or reconciliation flag: {missing}"


def test_unverifiable_entities_carry_no_guessed_identifier():
    g = everything()
    for name in ("daily-sabah", "cavusoglu", "hakan-fidan", "russian-defence-ministry", "mit",
                 "attack-2020-02-27", "sochi-agreement"):
        assert g.value(IKR[name], OWL.sameAs) is None, name
        assert g.value(IKR[name], IKG.awaitingReconciliation) == Literal(True), name


def test_turkey_condemned_russias_policy_which_is_turkeys_description():
    """S06: "Turkey condemned Russia's policy of seeking to take control over the territory around
    Idlib": the condemnation is of the policy; that Russia pursues it is Turkey's claim."""
    g = everything()
    policy = g.value(IKR["condemnation-turkey-russia"], IKG.condemns)
    assert policy == IKR["russian-policy-around-idlib"] and (policy, RDF.type, PROV.Plan) in g
    assert g.value(policy, PROV.wasAttributedTo) is None
    assert not [o for o in g.objects(policy, None) if o == IKR.russia], "the policy is attributed as plain fact"
    assert (IKR["claim-turkey-russian-policy"], SCHEMA.about, policy) in g


def test_the_offensive_is_fought_over_parts_of_idlib_which_neighbours_aleppo():
    """S11: "to recapture the Aleppo countryside and parts of neighboring Idlib"."""
    g = everything()
    places = set(g.objects(IKR["regime-offensive-2020"], SEM.hasPlace))
    assert places == {IKR["aleppo-countryside"], IKR["parts-of-idlib-fought-over"]}
    assert (IKR["parts-of-idlib-fought-over"], GEO.sfWithin, IKR.idlib) in g
    assert (IKR.idlib, GEO.sfTouches, IKR["aleppo-governorate"]) in g
