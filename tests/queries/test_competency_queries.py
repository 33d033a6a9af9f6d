"""The competency questions (queries/*.rq) give exactly the expected answers.

Every query runs in process with pyoxigraph over the project's dataset, loaded the way the
endpoint loads it (one named graph per file, default graph = union of them). Expected answers
are full result sets: sets of rows for unordered queries, lists for ORDER BY queries, a boolean
for ASK. Terms are written as strings: IRIs compacted with the prefixes below, literals as
their lexical form, unbound as None.

The federated query (19) is never sent to the real Wikidata: its SERVICE IRI is rewritten to a
local stand-in (tests/data/wikidata-standin.ttl in the Oxigraph server on 127.0.0.1) and it is
run (a) in process and (b) through our live endpoint, which must refuse it without the
stand-in on its --allow-service list.

A new query in queries/ without an expected answer here fails test_every_query_has_an_answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from pyoxigraph import NamedNode, QueryBoolean, Store

from .conftest import QUERIES, WIKIDATA_SERVICE

PREFIXES = [
    ("https://w3id.org/idlib-kg/id/", "ikr:"),
    ("https://w3id.org/idlib-kg/ontology#", "ikg:"),
    ("http://www.wikidata.org/entity/", "wd:"),
    ("http://semanticweb.cs.vu.nl/2009/11/sem/", "sem:"),
]
FEDERATED = "19-federated-wikidata-facts.rq"


@dataclass(frozen=True)
class Expect:
    variables: tuple[str, ...]
    ordered: bool
    rows: list[tuple[str | None, ...]]


def term(t) -> str | None:
    if t is None:
        return None
    if isinstance(t, NamedNode):
        for namespace, prefix in PREFIXES:
            if t.value.startswith(namespace):
                return prefix + t.value[len(namespace):]
        return t.value
    return t.value


def run(store: Store, text: str):
    """Run a query over the union default graph: a bool for ASK, else (variables, rows)."""
    result = store.query(text, use_default_graph_as_union=True)
    if isinstance(result, QueryBoolean):
        return bool(result)
    variables = tuple(v.value for v in result.variables)
    return variables, [tuple(term(solution[v]) for v in variables) for solution in result]


def check(name: str, answer, expected) -> None:
    if isinstance(expected, bool):
        assert answer is expected, f"{name}: ASK answered {answer}"
        return
    variables, rows = answer
    assert variables == expected.variables, f"{name}: projected variables"
    if expected.ordered:
        assert rows == expected.rows, f"{name}: ordered rows differ"
    else:
        assert len(rows) == len(set(rows)), f"{name}: duplicate rows"
        assert set(rows) == set(expected.rows), (
            f"{name}: missing {set(expected.rows) - set(rows)}; unexpected {set(rows) - set(expected.rows)}")


def query_files() -> list[Path]:
    return sorted(QUERIES.glob("*.rq"))


EXPECTED: dict[str, Expect | bool] = {
    '01-turkish-soldiers-killed.rq': Expect(
        ('attack', 'statedFigure', 'qualifier', 'lowerBound', 'upperBound', 'timePhrase', 'date', 'earliestBegin', 'latestEnd', 'placeLabel', 'withinLabel'),
        ordered=False,
        rows=[
            ('ikr:attack-2020-02-27', '33', 'exactly', '33', '33', 'Thursday night', '2020-02-27', '2020-02-27T00:00:00+03:00', '2020-02-28T06:00:00+03:00', 'Area of Idlib where Turkish units were bombarded', 'Idlib'),
        ],
    ),
    '02-who-denies-what.rq': Expect(
        ('speaker', 'speakerLabel', 'denial', 'claim', 'polarity', 'content', 'roleAgentLabel', 'roleType'),
        ordered=False,
        rows=[
            ('ikr:russian-defence-ministry', 'Ministry of Defence of the Russian Federation', 'ikr:statement-russian-defence-ministry', 'ikr:claim-mod-ceasefire-efforts', 'positive', 'Moscow has done everything to impose a full cease-fire by the Syrian regime since the country learned of Turkish casualties', None, None),
            ('ikr:russian-defence-ministry', 'Ministry of Defence of the Russian Federation', 'ikr:statement-russian-defence-ministry', 'ikr:claim-mod-russian-planes-did-not-strike', 'negative', 'Russian planes did not carry out strikes on the area of Idlib where Turkish units sustained aerial bombardments', 'Russia', 'participant'),
            ('ikr:russian-defence-ministry', 'Ministry of Defence of the Russian Federation', 'ikr:statement-russian-defence-ministry', 'ikr:claim-mod-russian-planes-did-not-strike', 'negative', 'Russian planes did not carry out strikes on the area of Idlib where Turkish units sustained aerial bombardments', 'Russian planes', 'perpetrator'),
            ('ikr:russian-defence-ministry', 'Ministry of Defence of the Russian Federation', 'ikr:statement-russian-defence-ministry', 'ikr:claim-mod-turkey-did-not-inform', 'negative', "Turkey had not informed the Russian military about the presence of Turkish soldiers in the area of Syria's Idlib", None, None),
        ],
    ),
    '03-kremlin-statement.rq': Expect(
        ('statement', 'timePhrase', 'earliestBegin', 'latestEnd', 'claim', 'polarity', 'content'),
        ordered=False,
        rows=[
            ('ikr:statement-kremlin', 'Later in the day', '2020-02-27T00:00:00+03:00', '2020-02-28T23:59:59+03:00', 'ikr:claim-kremlin-safety-efforts', 'positive', 'Russia did everything possible to ensure the safety of Turkish troops at observation posts'),
            ('ikr:statement-kremlin', 'Later in the day', '2020-02-27T00:00:00+03:00', '2020-02-28T23:59:59+03:00', 'ikr:claim-kremlin-troops-outside-posts', 'positive', 'Turkish troops should not be outside their observation posts'),
        ],
    ),
    '04-emergency-meeting.rq': Expect(
        ('meeting', 'organizerLabel', 'office', 'convened', 'begin', 'latestEnd', 'duration', 'qualifier', 'upperBound', 'unit', 'claimantLabel', 'polarity', 'attendeeLabel'),
        ordered=False,
        rows=[
            ('ikr:security-meeting-2020-02-27', 'Recep Tayyip Erdoğan', 'President of Turkey', 'Late Thursday', '2020-02-27T21:30:00+03:00', '2020-02-28T03:30:00+03:00', 'nearly six hours', 'nearly', '6', 'hour', 'Security sources (unnamed, as cited by Daily Sabah)', 'positive', 'All Turkish ministers and senior officials'),
            ('ikr:security-meeting-2020-02-27', 'Recep Tayyip Erdoğan', 'President of Turkey', 'Late Thursday', '2020-02-27T21:30:00+03:00', '2020-02-28T03:30:00+03:00', 'nearly six hours', 'nearly', '6', 'hour', 'Security sources (unnamed, as cited by Daily Sabah)', 'positive', 'Hakan Fidan'),
        ],
    ),
    '05-sochi-agreement.rq': Expect(
        ('agreement', 'agreementLabel', 'partyLabel', 'timePhrase', 'month', 'earliestBegin', 'latestEnd', 'establishesLabel', 'prohibitsLabel'),
        ordered=False,
        rows=[
            ('ikr:sochi-agreement', 'Sochi deal on Idlib (September 2018)', 'Russia', 'In September 2018', '2018-09', '2018-09-01T00:00:00+03:00', '2018-09-30T23:59:59+03:00', 'Idlib de-escalation zone', 'acts of aggression'),
            ('ikr:sochi-agreement', 'Sochi deal on Idlib (September 2018)', 'Turkey', 'In September 2018', '2018-09', '2018-09-01T00:00:00+03:00', '2018-09-30T23:59:59+03:00', 'Idlib de-escalation zone', 'acts of aggression'),
        ],
    ),
    '06-casualty-and-displacement-figures.rq': Expect(
        ('event', 'measure', 'statedFigure', 'qualifier', 'statedValue', 'lowerBound', 'upperBound', 'groupLabel'),
        ordered=False,
        rows=[
            ('ikr:attack-2020-02-27', 'killed', '33', 'exactly', '33', '33', '33', 'Turkish soldiers killed on 27 February 2020'),
            ('ikr:attacks-in-de-escalation-zone', 'killed', 'more than 1,300', 'more than', '1300', '1301', None, 'Civilians killed in the Idlib de-escalation zone since September 2018'),
            ('ikr:displacement-near-border', 'displaced', 'More than 1 million', 'more than', '1000000', '1000001', None, 'Syrians who moved near the Turkish border'),
            ('ikr:displacement-toward-border', 'displaced', 'hundreds of thousands', 'vague', None, '100000', '999999', 'Syrian civilians fleeing toward the border with Turkey'),
        ],
    ),
    '07-counts-above-1000.rq': Expect(
        ('count', 'statedFigure', 'lowerBound', 'groupLabel'),
        ordered=True,
        rows=[
            ('ikr:count-civilians-killed-since-2018', 'more than 1,300', '1301', 'Civilians killed in the Idlib de-escalation zone since September 2018'),
            ('ikr:count-civilians-fleeing', 'hundreds of thousands', '100000', 'Syrian civilians fleeing toward the border with Turkey'),
            ('ikr:count-syrians-moved-near-border', 'More than 1 million', '1000001', 'Syrians who moved near the Turkish border'),
        ],
    ),
    '08-who-backs-whom.rq': Expect(
        ('backer', 'backerLabel', 'backed', 'backedLabel', 'support', 'meansLabel'),
        ordered=False,
        rows=[
            ('ikr:russia', 'Russia', 'ikr:syrian-government', 'Government of Syria', 'ikr:support-russia-regime', None),
            ('ikr:russia', 'Russia', 'ikr:syrian-regime-forces', 'Syrian regime forces', 'ikr:support-russia-regime-offensive', 'Heavy Russian airstrikes backing the regime offensive, 2020'),
            ('ikr:turkey', 'Turkey', 'ikr:syrian-opposition', 'Syrian opposition', 'ikr:support-turkey-opposition', None),
        ],
    ),
    '09-timeline.rq': Expect(
        ('earliestBegin', 'latestBegin', 'latestEnd', 'event', 'eventLabel', 'timePhrase'),
        ordered=True,
        rows=[
            ('2010-08-28T00:00:00+03:00', '2011-08-28T00:00:00+03:00', None, 'ikr:syrian-civil-war', 'Syrian civil war', 'nine-year war'),
            ('2018-09-01T00:00:00+03:00', None, '2018-09-30T23:59:59+03:00', 'ikr:sochi-agreeing', 'Turkey and Russia agree on the Idlib de-escalation zone, September 2018', 'In September 2018'),
            ('2018-09-01T00:00:00+03:00', None, '2020-02-28T23:59:59+03:00', 'ikr:attacks-in-de-escalation-zone', 'Attacks in the Idlib de-escalation zone since September 2018 in which civilians were killed', 'since then'),
            ('2018-09-01T00:00:00+03:00', None, '2020-02-28T23:59:59+03:00', 'ikr:ceasefire-violations', 'Continuing violations of the Idlib cease-fire', 'since then'),
            ('2020-01-01T00:00:00+03:00', '2020-01-31T23:59:59+03:00', None, 'ikr:displacement-toward-border', 'Flight of Syrian civilians toward the Turkish border, 2020', 'since the start of the year'),
            ('2020-01-01T00:00:00+03:00', '2020-01-31T23:59:59+03:00', None, 'ikr:regime-offensive-2020', 'Syrian regime offensive on the Aleppo countryside and Idlib, 2020', 'since the start of the year'),
            ('2020-01-01T00:00:00+03:00', '2020-01-31T23:59:59+03:00', None, 'ikr:russian-airstrikes-2020', 'Heavy Russian airstrikes backing the regime offensive, 2020', 'since the start of the year'),
            ('2020-02-01T00:00:00+03:00', None, '2020-02-28T00:00:00+03:00', 'ikr:condemnation-turkey-russia', "Turkey condemns Russia's policy around Idlib", 'Earlier this month'),
            ('2020-02-27T00:00:00+03:00', '2020-02-27T23:59:59+03:00', None, 'ikr:security-meeting-2020-02-27', 'Emergency national security meeting on tensions in Idlib, 27 February 2020', 'Late Thursday'),
            ('2020-02-27T00:00:00+03:00', None, '2020-02-28T06:00:00+03:00', 'ikr:attack-2020-02-27', 'Aerial bombardment of Turkish troops in Idlib, 27 February 2020', 'Thursday night'),
            ('2020-02-27T00:00:00+03:00', None, '2020-02-28T23:59:59+03:00', 'ikr:phone-call-cavusoglu-stoltenberg', 'Phone call between Mevlüt Çavuşoğlu and Jens Stoltenberg after the attack', 'following the attack'),
            ('2020-02-27T00:00:00+03:00', None, '2020-02-28T23:59:59+03:00', 'ikr:report-security-sources', 'Security sources tell Daily Sabah who attended the meeting', 'told'),
            ('2020-02-27T00:00:00+03:00', None, '2020-02-28T23:59:59+03:00', 'ikr:statement-kremlin', 'Statement of the Kremlin on Turkish troops in Idlib', 'Later in the day'),
            ('2020-02-27T00:00:00+03:00', None, '2020-02-28T23:59:59+03:00', 'ikr:statement-russian-defence-ministry', "Statement of Russia's Defence Ministry on the Idlib strikes", 'after 33 Turkish soldiers were killed'),
            ('2020-02-28T00:00:00+03:00', None, '2020-02-28T23:59:59+03:00', 'ikr:call-stoltenberg-halt', 'Stoltenberg calls for an immediate halt to the attacks', 'later on Friday'),
            ('2020-02-28T00:00:00+03:00', None, '2020-02-28T23:59:59+03:00', 'ikr:condemnation-stoltenberg', 'Stoltenberg condemns attacks by the Syrian regime and Russia in Idlib', 'later on Friday'),
            ('2020-02-28T00:00:00+03:00', None, '2020-02-28T23:59:59+03:00', 'ikr:daily-sabah-report', "Daily Sabah's report of 28 February 2020", 'Friday'),
            (None, '2020-02-28T23:59:59+03:00', None, 'ikr:attacks-condemned-by-stoltenberg', 'Attacks in Idlib that Stoltenberg condemns', 'attacks carried out'),
            (None, '2020-02-28T23:59:59+03:00', None, 'ikr:attacks-on-idlib', 'Attacks on Idlib, early 2020', 'if the attacks do not stop'),
            (None, None, '2020-02-28T23:59:59+03:00', 'ikr:call-turkey-halt', 'Turkey calls for an immediate halt to the attacks on Idlib', 'has called'),
            (None, None, '2020-02-28T23:59:59+03:00', 'ikr:displacement-near-border', 'More than 1 million Syrians moved near the Turkish border', 'have moved'),
            (None, None, '2020-02-28T23:59:59+03:00', 'ikr:intense-attacks', 'Intense attacks that drove Syrians to the Turkish border', 'have moved'),
            (None, None, '2020-02-28T23:59:59+03:00', 'ikr:warning-turkey-intervene', 'Turkey warns it would intervene if the attacks do not stop', 'has called'),
        ],
    ),
    '10-condemnations.rq': Expect(
        ('speakerLabel', 'condemnedLabel', 'timePhrase', 'cameo', 'content'),
        ordered=False,
        rows=[
            ('Jens Stoltenberg', 'Attacks in Idlib that Stoltenberg condemns', 'later on Friday', '111', 'attacks carried out by the Syrian regime and its backer Russia in Idlib'),
            ('Turkey', "Russia's policy around Idlib, as Turkey condemned it", 'Earlier this month', '111', "Russia's policy of seeking to take control over the territory around Idlib, taking little consideration of the lives of local residents"),
            ('Turkey', "Russia's policy around Idlib, as Turkey condemned it", 'Earlier this month', '111', 'Ankara was determined not to roll back on the Sochi deal'),
            ('Turkey', "Russia's policy around Idlib, as Turkey condemned it", 'Earlier this month', '111', 'would take the necessary steps to end the Assad regime’s aggression'),
        ],
    ),
    '11-claims-in-tension.rq': Expect(
        ('claimA', 'claimantA', 'polarityA', 'contentA', 'claimB', 'claimantB', 'polarityB', 'contentB'),
        ordered=False,
        rows=[
            ('ikr:claim-daily-sabah-regime-attack', 'Daily Sabah', 'positive', '33 Turkish soldiers were killed in a brutal attack by the Moscow-backed Assad regime on Thursday night', 'ikr:claim-mod-russian-planes-did-not-strike', 'Ministry of Defence of the Russian Federation', 'negative', 'Russian planes did not carry out strikes on the area of Idlib where Turkish units sustained aerial bombardments'),
        ],
    ),
    '12-positions.rq': Expect(
        ('holderLabel', 'positionLabel', 'inLabel', 'earliestBegin', 'latestEnd'),
        ordered=False,
        rows=[
            ('Hakan Fidan', 'Chief of the National Intelligence Organization', 'National Intelligence Organization', '2020-02-27T00:00:00+03:00', '2020-02-28T23:59:59+03:00'),
            ('Jens Stoltenberg', 'Secretary General of NATO', 'NATO', '2020-02-27T00:00:00+03:00', '2020-02-28T23:59:59+03:00'),
            ('Mevlüt Çavuşoğlu', 'Minister of Foreign Affairs of Turkey', 'Turkey', '2020-02-27T00:00:00+03:00', '2020-02-28T23:59:59+03:00'),
            ('Recep Tayyip Erdoğan', 'President of Turkey', 'Turkey', '2020-02-27T00:00:00+03:00', '2020-02-28T23:59:59+03:00'),
        ],
    ),
    '13-sentence-supporting-33-killed.rq': Expect(
        ('span', 'exact', 'begin', 'end', 'sentence', 'sentenceText', 'sentenceBegin', 'sentenceEnd'),
        ordered=False,
        rows=[
            ('ikr:article/text#char=243,274', '33 Turkish soldiers were killed', '243', '274', 'ikr:article/text#char=84,346', 'Russian planes did not carry out strikes on the area of Idlib where Turkish units sustained aerial bombardments, according to Russia’s Defense Ministry, after 33 Turkish soldiers were killed in a brutal attack by the Moscow-backed Assad regime on Thursday night.', '84', '346'),
        ],
    ),
    '14-wikidata-identifiers.rq': Expect(
        ('resource', 'label', 'link', 'wikidata', 'awaiting'),
        ordered=True,
        rows=[
            ('ikr:attack-2020-02-27', 'Aerial bombardment of Turkish troops in Idlib, 27 February 2020', None, None, 'true'),
            ('ikr:afp', 'Agence France-Presse', 'sameAs', 'wd:Q40464', None),
            ('ikr:aleppo-governorate', 'Aleppo Governorate', 'sameAs', 'wd:Q214064', None),
            ('ikr:idlib-ceasefire', 'Cease-fire in Idlib', None, None, 'true'),
            ('ikr:mit-chief', 'Chief of the National Intelligence Organization', None, None, 'true'),
            ('ikr:daily-sabah', 'Daily Sabah', None, None, 'true'),
            ('ikr:syrian-government', 'Government of Syria', 'sameAs', 'wd:Q113519305', None),
            ('ikr:hakan-fidan', 'Hakan Fidan', None, None, 'true'),
            ('ikr:idlib', 'Idlib', 'sameAs', 'wd:Q233218', None),
            ('ikr:idlib-de-escalation-zone', 'Idlib de-escalation zone', None, None, 'true'),
            ('ikr:stoltenberg', 'Jens Stoltenberg', 'sameAs', 'wd:Q57665', None),
            ('ikr:cavusoglu', 'Mevlüt Çavuşoğlu', None, None, 'true'),
            ('ikr:foreign-minister-of-turkey', 'Minister of Foreign Affairs of Turkey', 'sameAs', 'wd:Q20988486', None),
            ('ikr:russian-defence-ministry', 'Ministry of Defence of the Russian Federation', None, None, 'true'),
            ('ikr:nato', 'NATO', 'sameAs', 'wd:Q7184', None),
            ('ikr:mit', 'National Intelligence Organization', None, None, 'true'),
            ('ikr:president-of-turkey', 'President of Turkey', 'sameAs', 'wd:Q1922067', None),
            ('ikr:kremlin', 'Presidential Administration of Russia', 'sameAs', 'wd:Q2060629', None),
            ('ikr:erdogan', 'Recep Tayyip Erdoğan', 'sameAs', 'wd:Q39259', None),
            ('ikr:russia', 'Russia', 'sameAs', 'wd:Q159', None),
            ('ikr:russian-military', 'Russian armed forces', None, None, 'true'),
            ('ikr:russian-planes', 'Russian planes', None, None, 'true'),
            ('ikr:nato-secretary-general', 'Secretary General of NATO', 'sameAs', 'wd:Q167662', None),
            ('ikr:sochi-agreement', 'Sochi deal on Idlib (September 2018)', None, None, 'true'),
            ('ikr:syria', 'Syria', 'sameAs', 'wd:Q858', None),
            ('ikr:syrian-civil-war', 'Syrian civil war', 'sameAs', 'wd:Q178810', None),
            ('ikr:syrian-opposition', 'Syrian opposition', None, None, 'true'),
            ('ikr:syrian-regime-forces', 'Syrian regime forces', None, None, 'true'),
            ('ikr:regime-offensive-2020', 'Syrian regime offensive on the Aleppo countryside and Idlib, 2020', 'broadMatch', 'wd:Q79629688', None),
            ('ikr:turkey', 'Turkey', 'sameAs', 'wd:Q43', None),
            ('ikr:turkish-troops', 'Turkish troops in Idlib', None, None, 'true'),
        ],
    ),
    '15-attack-attribution-and-denial.rq': Expect(
        ('claimantLabel', 'polarity', 'agentLabel', 'roleType', 'event', 'claim'),
        ordered=False,
        rows=[
            ('Daily Sabah', 'positive', 'Government of Syria', 'perpetrator', 'ikr:attack-2020-02-27', 'ikr:claim-daily-sabah-regime-attack'),
            ('Daily Sabah', 'positive', 'Russia', 'backer', 'ikr:attack-2020-02-27', 'ikr:claim-daily-sabah-regime-attack'),
            ('Ministry of Defence of the Russian Federation', 'negative', 'Russia', 'participant', 'ikr:attack-2020-02-27', 'ikr:claim-mod-russian-planes-did-not-strike'),
            ('Ministry of Defence of the Russian Federation', 'negative', 'Russian planes', 'perpetrator', 'ikr:attack-2020-02-27', 'ikr:claim-mod-russian-planes-did-not-strike'),
        ],
    ),
    '16-plain-participants-of-attack.rq': Expect(
        ('actor', 'actorLabel', 'property', 'denied'),
        ordered=False,
        rows=[
            ('ikr:turkish-troops', 'Turkish troops in Idlib', 'ikg:target', 'false'),
        ],
    ),
    '17-no-denied-role-is-plain.rq': False,
}


# The sentence coverage record (query 18): every sentence of triples/article.txt, by its code
# point offsets, with the resources whose gaf:denotedBy span lies within it (ikr: names).
COVERAGE = {
    (0, 66): [
        'article', 'attack-2020-02-27', 'claim-mod-russian-planes-did-not-strike',
        'daily-sabah-report', 'idlib', 'role-mod-russia-participant', 'russia',
        'statement-russian-defence-ministry', 'turkish-troops',
    ],
    (67, 81): [
        'afp', 'article-photo',
    ],
    (84, 346): [
        'attack-2020-02-27', 'claim-daily-sabah-regime-attack',
        'claim-mod-russian-planes-did-not-strike', 'count-turkish-soldiers-killed', 'idlib',
        'role-ds-regime-perpetrator', 'role-ds-russia-backer',
        'role-mod-russian-planes-perpetrator', 'russia', 'russian-defence-ministry', 'russian-planes',
        'statement-russian-defence-ministry', 'strike-area',
        'syrian-government', 'time-after-attack', 'time-thursday-night', 'turkish-soldiers-killed', 'turkish-troops',
    ],
    (348, 492): [
        'claim-mod-ceasefire-efforts', 'full-ceasefire-by-regime', 'russia',
        'statement-russian-defence-ministry', 'syrian-government', 'turkish-soldiers-killed',
    ],
    (494, 625): [
        'claim-mod-turkey-did-not-inform', 'idlib', 'russian-defence-ministry', 'russian-military',
        'statement-russian-defence-ministry', 'strike-area', 'syria', 'turkey', 'turkish-troops',
    ],
    (627, 825): [
        'claim-kremlin-safety-efforts', 'claim-kremlin-troops-outside-posts', 'kremlin',
        'statement-kremlin', 'time-later-in-the-day', 'turkish-observation-posts', 'turkish-troops',
    ],
    (827, 1142): [
        'claim-turkey-end-aggression', 'claim-turkey-russian-policy',
        'claim-turkey-sochi-commitment', 'condemnation-turkey-russia', 'local-residents', 'russian-policy-around-idlib',
        'sochi-agreement', 'territory-around-idlib', 'time-earlier-this-month', 'turkey',
    ],
    (1144, 1311): [
        'attacks-on-idlib', 'call-turkey-halt', 'claim-turkey-halt-attacks',
        'claim-turkey-would-intervene', 'idlib', 'idlib-ceasefire', 'time-attacks-ongoing',
        'time-before-publication', 'warning-turkey-intervene',
    ],
    (1312, 1421): [
        'attack-2020-02-27', 'claim-daily-sabah-tipping-point', 'turkey',
    ],
    (1423, 1538): [
        'erdogan', 'president-of-turkey', 'security-meeting-2020-02-27', 'tenure-erdogan-president',
        'time-late-thursday', 'time-tenure-observed',
    ],
    (1539, 1777): [
        'claim-security-sources-attendance', 'count-meeting-duration', 'daily-sabah', 'hakan-fidan',
        'instant-meeting-begin', 'mit', 'mit-chief', 'report-security-sources',
        'role-fidan-attendee', 'role-ministers-attendees', 'security-meeting-2020-02-27',
        'security-sources', 'tenure-fidan-mit-chief', 'time-security-meeting', 'time-sources-told',
        'turkish-ministers-and-officials',
    ],
    (1779, 1997): [
        'aleppo-countryside', 'aleppo-governorate', 'idlib', 'idlib-opposition-stronghold', 'parts-of-idlib-fought-over',
        'regime-offensive-2020', 'russian-airstrikes-2020', 'support-russia-regime', 'support-russia-regime-offensive',
        'syria', 'syrian-opposition', 'syrian-regime-forces', 'time-since-start-of-year',
    ],
    (1998, 2157): [
        'claim-daily-sabah-biggest-displacement', 'count-civilians-fleeing',
        'displacement-toward-border', 'regime-offensive-2020', 'syrian-civil-war',
        'syrian-civilians-fleeing', 'time-nine-year-war', 'turkish-border-area',
    ],
    (2159, 2270): [
        'claim-daily-sabah-cooperation-upset', 'russia', 'support-russia-regime',
        'support-turkey-opposition', 'syrian-civil-war', 'turkey',
    ],
    (2272, 2401): [
        'attack-2020-02-27', 'cavusoglu', 'foreign-minister-of-turkey', 'nato',
        'nato-secretary-general', 'phone-call-cavusoglu-stoltenberg', 'stoltenberg',
        'tenure-cavusoglu-foreign-minister', 'tenure-stoltenberg-secretary-general', 'time-following-the-attack',
    ],
    (2402, 2568): [
        'attacks-condemned-by-stoltenberg', 'call-stoltenberg-halt', 'claim-stoltenberg-halt',
        'claim-stoltenberg-regime-and-russia-attacks', 'condemnation-stoltenberg',
        'role-stoltenberg-regime-perpetrator', 'role-stoltenberg-russia-perpetrator', 'stoltenberg',
        'time-attacks-condemned-by-stoltenberg', 'time-later-on-friday', 'time-publication', 'time-tenure-observed',
    ],
    (2570, 2708): [
        'idlib', 'idlib-de-escalation-zone', 'sochi-agreeing', 'sochi-agreement',
        'time-september-2018',
    ],
    (2709, 2880): [
        'attacks-in-de-escalation-zone', 'ceasefire-violations', 'civilians-killed-since-2018',
        'claim-daily-sabah-regime-russia-attacks', 'role-ds-regime-perpetrator-zone', 'role-ds-russian-forces-perpetrator-zone',
        'count-civilians-killed-since-2018', 'idlib-ceasefire', 'idlib-de-escalation-zone',
        'russian-military', 'syrian-government', 'time-since-september-2018',
    ],
    (2882, 2973): [
        'count-syrians-moved-near-border', 'displacement-near-border', 'intense-attacks',
        'syrians-moved-near-border', 'time-have-moved', 'turkish-border-area',
    ],
}


def coverage_rows() -> list[tuple[str | None, ...]]:
    rows = []
    for (begin, end), resources in COVERAGE.items():
        sentence = f"ikr:article/text#char={begin},{end}"
        for r in sorted(f"ikr:{name}" for name in resources) or [None]:
            rows.append((str(begin), str(end), sentence, r))
    return rows


EXPECTED["18-sentence-coverage.rq"] = Expect(
    ("sentenceBegin", "sentenceEnd", "sentence", "resource"), ordered=True, rows=coverage_rows())

# Query 19 against the stand-in: the items our resources link to, with the labels and P31
# values the stand-in holds (verified facts only); no coordinates were verified.
EXPECTED[FEDERATED] = Expect(
    ("resource", "item", "wikidataLabel", "class", "classLabel", "coordinates"),
    ordered=False,
    rows=[
        ("ikr:turkey", "wd:Q43", "Turkey", "wd:Q3624078", "sovereign state", None),
        ("ikr:turkey", "wd:Q43", "Turkey", "wd:Q6256", "country", None),
        ("ikr:turkey", "wd:Q43", "Turkey", "wd:Q1323642", "transcontinental country", None),
        ("ikr:turkey", "wd:Q43", "Turkey", "wd:Q339834", "regional power", None),
        ("ikr:russia", "wd:Q159", "Russia", None, None, None),
        ("ikr:syria", "wd:Q858", "Syria", "wd:Q3624078", "sovereign state", None),
        ("ikr:syria", "wd:Q858", "Syria", "wd:Q6256", "country", None),
        ("ikr:syria", "wd:Q858", "Syria", "wd:Q51576574", "Mediterranean country", None),
        ("ikr:syrian-government", "wd:Q113519305", "Government of Syria", None, None, None),
        ("ikr:kremlin", "wd:Q2060629", "Presidential Administration of Russia", None, None, None),
        ("ikr:nato", "wd:Q7184", "NATO", "wd:Q245065", "intergovernmental organization", None),
        ("ikr:nato", "wd:Q7184", "NATO", "wd:Q484652", "international organization", None),
        ("ikr:nato", "wd:Q7184", "NATO", "wd:Q1127126", "military alliance", None),
        ("ikr:nato", "wd:Q7184", "NATO", "wd:Q100906234", "multinational military coalition", None),
        ("ikr:afp", "wd:Q40464", "Agence France-Presse", None, None, None),
        ("ikr:erdogan", "wd:Q39259", "Recep Tayyip Erdoğan", None, None, None),
        ("ikr:stoltenberg", "wd:Q57665", "Jens Stoltenberg", None, None, None),
        ("ikr:president-of-turkey", "wd:Q1922067", "President of Turkey", None, None, None),
        ("ikr:foreign-minister-of-turkey", "wd:Q20988486", "Minister of Foreign Affairs", None, None, None),
        ("ikr:nato-secretary-general", "wd:Q167662", "Secretary General of NATO", None, None, None),
        ("ikr:idlib", "wd:Q233218", "Idlib Governorate", None, None, None),
        ("ikr:aleppo-governorate", "wd:Q214064", "Aleppo Governorate", None, None, None),
        ("ikr:syrian-civil-war", "wd:Q178810", "Syrian civil war", None, None, None),
        ("ikr:regime-offensive-2020", "wd:Q79629688", "Northwestern Syria offensive (2019–2020)", None, None, None),
    ],
)


# --- the queries themselves -------------------------------------------------------------------

def test_there_are_at_least_15_competency_questions():
    assert len(query_files()) >= 15


def test_every_query_has_an_answer():
    """A query added to queries/ without an expected answer here fails (and vice versa)."""
    names = {p.name for p in query_files()}
    assert names - EXPECTED.keys() == set(), "queries without an expected answer in this test"
    assert EXPECTED.keys() - names == set(), "expected answers for queries that no longer exist"


@pytest.mark.parametrize("path", query_files(), ids=lambda p: p.name)
def test_query_file_is_self_describing(path: Path):
    """Opens with `# Question:`, file name kebab-case and numbered, every prefix declared in the
    file itself (no reliance on an endpoint's built-in prefixes) and none declared in vain."""
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# Question: "), "the first line must be `# Question: ...`"
    assert re.fullmatch(r"\d\d-[a-z0-9]+(-[a-z0-9]+)*\.rq", path.name)
    body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    declared = set(re.findall(r"^\s*PREFIX\s+([A-Za-z][\w-]*)?:", body, flags=re.M | re.I))
    used = set(re.findall(r"(?<![\w\"'#:?$-])([A-Za-z][\w-]*):[A-Za-z_0-9]", _strip_iris_and_strings(body)))
    assert used <= declared, f"prefixes used but not declared in the file: {sorted(used - declared)}"
    assert declared <= used, f"prefixes declared but never used: {sorted(declared - used)}"


def _strip_iris_and_strings(text: str) -> str:
    text = re.sub(r"<[^<>\s]*>", "<>", text)
    return re.sub(r'"(?:[^"\\]|\\.)*"', '""', text)


@pytest.mark.parametrize("name", sorted(set(EXPECTED) - {FEDERATED}))
def test_query_answers_exactly(store: Store, name: str):
    text = (QUERIES / name).read_text(encoding="utf-8")
    check(name, run(store, text), EXPECTED[name])


# --- the federated query ----------------------------------------------------------------------

def federated_text(service_url: str) -> str:
    text = (QUERIES / FEDERATED).read_text(encoding="utf-8")
    assert text.count(f"SERVICE <{WIKIDATA_SERVICE}>") == 1
    return text.replace(f"SERVICE <{WIKIDATA_SERVICE}>", f"SERVICE <{service_url}>")


def test_federated_query_documents_network_and_allow_list():
    text = (QUERIES / FEDERATED).read_text(encoding="utf-8")
    header = "\n".join(line for line in text.splitlines() if line.startswith("#"))
    assert "network" in header
    assert f"--allow-service {WIKIDATA_SERVICE}" in header


def test_federated_values_list_the_linked_wikidata_items(store: Store):
    """The items in VALUES inside SERVICE are exactly our owl:sameAs / closeMatch / broadMatch targets."""
    text = (QUERIES / FEDERATED).read_text(encoding="utf-8")
    values = re.search(r"SERVICE\s*<[^>]+>\s*\{\s*VALUES\s+\?item\s*\{([^}]*)\}", text)
    assert values, "the SERVICE block should open with VALUES ?item { ... }"
    listed = set(values.group(1).split())
    _, rows = run(store, """
        PREFIX owl: <http://www.w3.org/2002/07/owl#> PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
        SELECT DISTINCT ?item WHERE {
          GRAPH <https://w3id.org/idlib-kg/graph/links> { ?r owl:sameAs|skos:closeMatch|skos:broadMatch ?item }
          FILTER (STRSTARTS(STR(?item), "http://www.wikidata.org/entity/"))
        }""")
    assert listed == {r[0] for r in rows}


def test_federated_query_in_process_against_the_standin(store: Store, wikidata_standin):
    check(FEDERATED, run(store, federated_text(wikidata_standin.url)), EXPECTED[FEDERATED])


def _json_rows(payload: dict, variables: tuple[str, ...]):
    def value(binding):
        if binding is None:
            return None
        return term(NamedNode(binding["value"])) if binding["type"] == "uri" else binding["value"]
    return [tuple(value(b.get(v)) for v in variables) for b in payload["results"]["bindings"]]


def test_federated_query_through_the_live_endpoint(server_launcher, tmp_path, wikidata_standin):
    endpoint = server_launcher(["--allow-service", wikidata_standin.url], tmp_path)
    try:
        reply = requests.post(endpoint.endpoint, data={"query": federated_text(wikidata_standin.url)},
                              headers={"Accept": "application/sparql-results+json"}, timeout=120)
        assert reply.status_code == 200, reply.text
        payload = reply.json()
        expected = EXPECTED[FEDERATED]
        assert tuple(payload["head"]["vars"]) == expected.variables
        rows = _json_rows(payload, expected.variables)
        assert sorted(rows, key=repr) == sorted(expected.rows, key=repr)
    finally:
        endpoint.stop()


def test_live_endpoint_refuses_the_federated_query_without_allow_list(server_launcher, tmp_path, wikidata_standin):
    endpoint = server_launcher([], tmp_path)
    try:
        # Only the loopback stand-in: were the refusal broken, the real Wikidata IRI would make
        # the server connect out. Its refusal is checked on the decision itself (tests/server).
        for service in (wikidata_standin.url,):
            reply = requests.post(endpoint.endpoint, data={"query": federated_text(service)},
                                  headers={"Accept": "application/sparql-results+json"}, timeout=60)
            assert 400 <= reply.status_code < 500, (service, reply.status_code, reply.text[:500])
            assert "allow-service" in reply.text
    finally:
        endpoint.stop()


def test_the_queries_readme_asks_each_files_own_question():
    readme = (QUERIES / "README.md").read_text(encoding="utf-8")
    files = sorted(QUERIES.glob("*.rq"))
    assert files
    for rq in files:
        question = rq.read_text(encoding="utf-8").splitlines()[0].removeprefix("# Question: ")
        assert f"| [{rq.name}]({rq.name}) | {question} |" in readme, rq.name
