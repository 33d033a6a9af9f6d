"""A synthetic corpus in the idlib-kg vocabulary, for benchmarks: `idlib-kg corpus`.

The article has a few thousand triples; load and query figures need more. The corpus is made of
synthetic news reports shaped like the article's data (triples/article.ttl): each report has a
text (nif:Context with nif:isString), its sentences and the spans facts point to (RFC 5147
#char=b,e IRIs with nif offsets that match the text), one violent event of several ikg classes
(sem:hasTime -> ikg:TimeExpression with SEM bounds and the words used, sem:hasPlace, a target
unit with ikg:forcesOf, a plain perpetrator or none, an ikg:QualifiedCount of the dead), speech
acts (statements, condemnations, calls, warnings) that generate ikg:Claims with claimant,
polarity, certainty, claimed roles and prov:wasGeneratedBy, people with tenures, and support
relations. A small "world" (states, their governments, forces, capital areas, news outlets)
comes first; later reports refer back to earlier places and campaigns by number only.

Properties the tests rely on:
- deterministic: the same --seed and --triples give the same bytes;
- streaming: nothing is kept per report once written, so memory stays flat at any size;
- size: output stops at the report boundary nearest to --triples (within half a report,
  i.e. about 100 triples; the world alone is about 760);
- it conforms to ontology/shapes.ttl (with the ontology and its schemes as the ontology graph).
Output is N-Triples, or N-Quads in graph CORPUS_GRAPH when the file name ends in .nq.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import random
import sys
import time
from pathlib import Path
from typing import IO, Iterator

log = logging.getLogger(__name__)

IKG = "https://w3id.org/idlib-kg/ontology#"
IKR = "https://w3id.org/idlib-kg/id/corpus/"
CORPUS_GRAPH = "https://w3id.org/idlib-kg/graph/corpus"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
XSD = "http://www.w3.org/2001/XMLSchema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
SEM = "http://semanticweb.cs.vu.nl/2009/11/sem/"
PROV = "http://www.w3.org/ns/prov#"
GEO = "http://www.opengis.net/ont/geosparql#"
NIF = "http://persistence.uni-leipzig.org/nlp2rdf/ontologies/nif-core#"
GAF = "http://groundedannotationframework.org/gaf#"
ORG = "http://www.w3.org/ns/org#"
SCHEMA = "https://schema.org/"
CAMEO = "https://w3id.org/idlib-kg/scheme/cameo/"
ACLED = "https://w3id.org/idlib-kg/scheme/acled/"
ROLE = "https://w3id.org/idlib-kg/scheme/role/"

STATE_NAMES = ["Aldoria", "Borvania", "Calvera", "Dastrel", "Elmoria", "Fandor", "Galvost",
               "Hestria", "Ilvenia", "Jorvik", "Kastelia", "Lumeria", "Mordavia", "Norvale",
               "Ostrava", "Pellucia", "Quorin", "Rastovia", "Sylvara", "Tervania", "Ulmeria",
               "Valdoria", "Westmark", "Zandria"]
OUTLETS = ["The Daily Courier", "Evening Herald", "Frontier News", "Coastal Times",
           "Capital Gazette", "Morning Ledger"]
FIRST = ["Alen", "Borin", "Cara", "Dario", "Elsa", "Feliks", "Greta", "Hugo", "Ines", "Jonas",
         "Kira", "Lev", "Mira", "Nils", "Olga", "Pavel", "Rosa", "Sven", "Tara", "Viktor"]
LAST = ["Aster", "Brand", "Castel", "Dorn", "Esk", "Falk", "Grove", "Holm", "Ivar", "Jarl",
        "Kern", "Lind", "Marr", "Nord", "Orlov", "Penn", "Quist", "Rask", "Stern", "Voss"]
POSTS = ["President", "Foreign Minister", "Defence Minister", "Chief of Staff", "Spokesperson"]
# (event classes, CAMEO code, ACLED type or None, verb phrase)
EVENT_KINDS = [
    (("AerialBombardment", "Airstrike"), "195", "air-drone-strike", "bombed from the air"),
    (("Airstrike",), "195", "air-drone-strike", "struck by aircraft"),
    (("Attack",), "190", None, "attacked"),
    (("Offensive",), "190", "battles", "assaulted in an offensive"),
]
# (speech act class, CAMEO code, verb)
ACTS = [("Statement", "010", "stated"), ("Statement", "016", "denied"),
        ("Condemnation", "111", "condemned"), ("Call", "0256", "called for"),
        ("Warning", "138", "warned")]
QUALIFIERS = ["Exactly", "MoreThan", "Nearly", "Vague"]
TZ = "+03:00"
EPOCH = dt.date(2012, 1, 1)


def _esc(s: str) -> str:
    return (s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r"))


def iri(x: str) -> str:
    return f"<{x}>"


def lit(s: str) -> str:
    return f'"{_esc(s)}"'


def en(s: str) -> str:
    return f'"{_esc(s)}"@en'


def typed(v: object, datatype: str) -> str:
    return f'"{v}"^^<{XSD}{datatype}>'


def integer(n: int) -> str:
    return typed(n, "integer")


class Text:
    """A report's text being written, with the code point offsets of what is added."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.length = 0
        self.sentences: list[tuple[int, int]] = []
        self._sentence_start = 0

    def add(self, words: str) -> tuple[int, int]:
        begin = self.length
        self.parts.append(words)
        self.length += len(words)
        return begin, self.length

    def end_sentence(self) -> int:
        self.add(".")
        self.sentences.append((self._sentence_start, self.length))
        self.add(" ")
        self._sentence_start = self.length
        return len(self.sentences) - 1

    def string(self) -> str:
        return "".join(self.parts).rstrip(" ")


class Writer:
    """Triples into a buffer, counted; the caller flushes them one report at a time."""

    def __init__(self, graph: str | None):
        self.suffix = f" <{graph}> .\n" if graph else " .\n"
        self.lines: list[str] = []

    def t(self, s: str, p: str, o: str) -> None:
        self.lines.append(f"<{s}> <{p}> {o}{self.suffix}")

    def take(self) -> list[str]:
        lines, self.lines = self.lines, []
        return lines


def _state(i: int) -> str:
    return f"{IKR}state/{i}"


def _world(w: Writer) -> None:
    """States with a government, armed forces and a capital area; news outlets."""
    for i, name in enumerate(STATE_NAMES):
        s = _state(i)
        w.t(s, RDF_TYPE, iri(IKG + "State"))
        w.t(s, RDFS + "label", en(name))
        w.t(s, SKOS + "altLabel", en(f"Republic of {name}"))
        gov = f"{s}/government"
        w.t(gov, RDF_TYPE, iri(IKG + "Government"))
        w.t(gov, RDFS + "label", en(f"Government of {name}"))
        w.t(gov, IKG + "governmentOf", iri(s))
        forces = f"{s}/forces"
        w.t(forces, RDF_TYPE, iri(IKG + "ArmedForces"))
        w.t(forces, RDFS + "label", en(f"Armed forces of {name}"))
        w.t(forces, IKG + "forcesOf", iri(s))
        w.t(forces, ORG + "subOrganizationOf", iri(gov))
        ministry = f"{s}/defence-ministry"
        w.t(ministry, RDF_TYPE, iri(IKG + "Ministry"))
        w.t(ministry, RDFS + "label", en(f"Ministry of Defence of {name}"))
        w.t(ministry, ORG + "subOrganizationOf", iri(s))
        area = f"{s}/capital-area"
        w.t(area, RDF_TYPE, iri(IKG + "AdministrativeArea"))
        w.t(area, RDFS + "label", en(f"Capital area of {name}"))
        w.t(area, GEO + "sfWithin", iri(s))
        for k, post in enumerate(POSTS):
            pos = f"{s}/position/{k}"
            w.t(pos, RDF_TYPE, iri(IKG + "Position"))
            w.t(pos, RDFS + "label", en(f"{post} of {name}"))
            w.t(pos, ORG + "postIn", iri(s))
    for i, name in enumerate(OUTLETS):
        o = f"{IKR}outlet/{i}"
        w.t(o, RDF_TYPE, iri(IKG + "NewsOrganization"))
        w.t(o, RDFS + "label", en(name))


class _Report:
    """Writes one synthetic report: its text is built while its facts are written."""

    def __init__(self, w: Writer, rng: random.Random, d: int):
        self.w, self.rng, self.d = w, rng, d
        self.base = f"{IKR}report/{d}"
        self.text_iri = f"{self.base}/text"
        self.text = Text()
        self.spans: list[tuple[int, int, int]] = []   # (begin, end, sentence index)

    def span(self, begin_end: tuple[int, int], subject: str | None = None) -> str:
        """Record a span of the current sentence; link `subject` to it with gaf:denotedBy."""
        b, e = begin_end
        self.spans.append((b, e, len(self.text.sentences)))
        span_iri = f"{self.text_iri}#char={b},{e}"
        if subject:
            self.w.t(subject, GAF + "denotedBy", iri(span_iri))
        return span_iri

    def time_expression(self, name: str, day: dt.date, phrase: str, nights: int = 0) -> str:
        w = self.w
        t = f"{self.base}/{name}"
        w.t(t, RDF_TYPE, iri(IKG + "TimeExpression"))
        w.t(t, RDFS + "label", en(f"{phrase} ({day.isoformat()})"))
        w.t(t, IKG + "timePhrase", lit(phrase))
        w.t(t, IKG + "calendarDate", typed(day.isoformat(), "date"))
        w.t(t, SEM + "hasEarliestBeginTimeStamp", typed(f"{day.isoformat()}T00:00:00{TZ}", "dateTime"))
        end = day + dt.timedelta(days=nights)
        w.t(t, SEM + "hasLatestEndTimeStamp", typed(f"{end.isoformat()}T23:59:59{TZ}", "dateTime"))
        return t

    def write(self) -> None:
        w, rng, d, txt = self.w, self.rng, self.d, self.text
        n_states = len(STATE_NAMES)
        a, b = rng.sample(range(n_states), 2)          # attacker side, attacked side
        backer = rng.randrange(n_states)
        outlet = f"{IKR}outlet/{rng.randrange(len(OUTLETS))}"
        published = EPOCH + dt.timedelta(days=d // 3 + rng.randrange(3))
        day = published - dt.timedelta(days=1 + rng.randrange(3))
        classes, cameo, acled, verb = rng.choice(EVENT_KINDS)

        # the report itself
        report = f"{self.base}/report"
        w.t(report, RDF_TYPE, iri(IKG + "NewsReport"))
        w.t(report, RDFS + "label", en(f"Report {d} of {OUTLETS[int(outlet.rsplit('/', 1)[1])]}"))
        w.t(report, IKG + "speaker", iri(outlet))
        pub_time = self.time_expression("time-published", published, "today")
        w.t(report, SEM + "hasTime", iri(pub_time))

        # sentence 1: the event
        place = f"{self.base}/place"
        unit = f"{self.base}/unit"
        event = f"{self.base}/event"
        group = f"{self.base}/killed"
        count = f"{self.base}/count-killed"
        state_b = STATE_NAMES[b]
        self.span(txt.add(f"{state_b} troops"), unit)
        txt.add(" near ")
        district = f"District {d}"
        self.span(txt.add(district), place)
        txt.add(" were ")
        self.span(txt.add(verb), event)
        txt.add(" on ")
        day_phrase = day.strftime("%A")
        time_span = txt.add(day_phrase)
        event_time = self.time_expression("time-event", day, day_phrase, nights=1)
        self.span(time_span, event_time)
        txt.add(", and ")
        q = rng.choice(QUALIFIERS)
        killed = rng.randrange(1, 400)
        figure = {"Exactly": str(killed), "MoreThan": f"more than {killed}",
                  "Nearly": f"nearly {killed}", "Vague": "dozens"}[q]
        figure_span = txt.add(f"{figure} soldiers")
        self.span(figure_span, count)
        self.span(figure_span, group)
        txt.add(" were killed")
        txt.end_sentence()

        w.t(place, RDF_TYPE, iri(IKG + "Region"))
        w.t(place, RDFS + "label", en(district))
        within = f"{_state(b)}/capital-area" if d < 10 or rng.random() < 0.5 else \
            f"{IKR}report/{rng.randrange(d)}/place"
        w.t(place, GEO + "sfWithin", iri(within))
        w.t(unit, RDF_TYPE, iri(IKG + "MilitaryUnit"))
        w.t(unit, RDFS + "label", en(f"{state_b} unit in {district}"))
        w.t(unit, IKG + "forcesOf", iri(_state(b)))
        w.t(unit, ORG + "subOrganizationOf", iri(f"{_state(b)}/forces"))
        for c in classes:
            w.t(event, RDF_TYPE, iri(IKG + c))
        w.t(event, RDFS + "label", en(f"{' and '.join(classes)} on {state_b} troops near {district}, {day.isoformat()}"))
        w.t(event, SEM + "eventType", iri(CAMEO + cameo))
        if acled:
            w.t(event, SEM + "eventType", iri(ACLED + acled))
        w.t(event, IKG + "target", iri(unit))
        w.t(event, IKG + "affectedGroup", iri(group))
        w.t(event, IKG + "numberKilled", iri(count))
        w.t(event, SEM + "hasPlace", iri(place))
        w.t(event, SEM + "hasTime", iri(event_time))
        plain_perpetrator = rng.random() < 0.4
        if plain_perpetrator:
            w.t(event, IKG + "perpetrator", iri(f"{_state(a)}/forces"))
        campaign = f"{IKR}campaign/{d // 20}"
        if d % 20 == 0:
            w.t(campaign, RDF_TYPE, iri(IKG + "Attack"))
            w.t(campaign, RDFS + "label", en(f"Campaign {d // 20}"))
            w.t(campaign, SEM + "eventType", iri(CAMEO + "190"))
            w.t(campaign, SEM + "hasTime", iri(event_time))
            w.t(campaign, GAF + "denotedBy", iri(f"{self.text_iri}#char={time_span[0]},{time_span[1]}"))
        w.t(campaign, SEM + "hasSubEvent", iri(event))
        w.t(group, RDF_TYPE, iri(IKG + "PopulationGroup"))
        w.t(group, RDFS + "label", en(f"{state_b} soldiers killed near {district}"))
        w.t(count, RDF_TYPE, iri(IKG + "QualifiedCount"))
        w.t(count, RDFS + "label", en(f"{figure} {state_b} soldiers killed"))
        w.t(count, IKG + "statedFigure", lit(figure))
        w.t(count, IKG + "hasQualifier", iri(IKG + q))
        w.t(count, IKG + "countedGroup", iri(group))
        if q == "Exactly":
            for p in ("statedValue", "lowerBound", "upperBound"):
                w.t(count, IKG + p, integer(killed))
        elif q == "MoreThan":
            w.t(count, IKG + "statedValue", integer(killed))
            w.t(count, IKG + "lowerBound", integer(killed + 1))
        elif q == "Nearly":
            w.t(count, IKG + "statedValue", integer(killed))
            w.t(count, IKG + "upperBound", integer(killed))
        else:
            w.t(count, IKG + "lowerBound", integer(24))
            w.t(count, IKG + "upperBound", integer(99))

        # speech acts and their claims, one sentence each
        previous_claim = None
        for k in range(1 + rng.randrange(3)):
            kind, act_cameo, act_verb = rng.choice(ACTS)
            speaker_state = rng.choice((a, b, backer))
            speaker = rng.choice((f"{_state(speaker_state)}/government",
                                  f"{_state(speaker_state)}/defence-ministry", _state(speaker_state)))
            act = f"{self.base}/act/{k}"
            claim = f"{self.base}/claim/{k}"
            negative = act_cameo == "016"
            accused = a if not negative else speaker_state
            speaker_name = STATE_NAMES[speaker_state]
            s_span = txt.add(speaker_name)
            txt.add(" ")
            act_span = txt.add(act_verb)
            txt.add(" that ")
            content = (f"{STATE_NAMES[accused]} forces did not attack {state_b} troops" if negative
                       else f"{STATE_NAMES[accused]} forces attacked {state_b} troops near {district}")
            content_span = txt.add(content)
            txt.end_sentence()
            self.spans.append((*s_span, len(txt.sentences) - 1))
            w.t(act, RDF_TYPE, iri(IKG + kind))
            w.t(act, RDFS + "label", en(f"{speaker_name} {act_verb} (report {d}, act {k})"))
            w.t(act, IKG + "speaker", iri(speaker))
            w.t(act, SEM + "hasTime", iri(pub_time))
            w.t(act, SEM + "eventType", iri(CAMEO + act_cameo))
            w.t(act, PROV + "generated", iri(claim))
            if kind == "Condemnation":
                w.t(act, IKG + "condemns", iri(event))
            w.t(act, GAF + "denotedBy", iri(f"{self.text_iri}#char={s_span[0]},{act_span[1]}"))
            self.spans.append((s_span[0], act_span[1], len(txt.sentences) - 1))
            w.t(claim, RDF_TYPE, iri(IKG + "Claim"))
            w.t(claim, RDFS + "label", en(f"{speaker_name}: {content}"))
            w.t(claim, IKG + "content", lit(content))
            w.t(claim, IKG + "claimant", iri(speaker))
            w.t(claim, PROV + "wasGeneratedBy", iri(act))
            w.t(claim, IKG + "polarity", iri(IKG + ("Negative" if negative else "Positive")))
            w.t(claim, IKG + "certainty", iri(IKG + rng.choice(("Certain", "Probable", "Possible"))))
            if rng.random() < 0.7:
                w.t(claim, IKG + "sentiment", iri(IKG + rng.choice(("Favourable", "Unfavourable"))))
            w.t(claim, SCHEMA + "about", iri(event))
            self.spans.append((*content_span, len(txt.sentences) - 1))
            w.t(claim, GAF + "denotedBy", iri(f"{self.text_iri}#char={content_span[0]},{content_span[1]}"))
            if not plain_perpetrator or accused != a:
                role = f"{self.base}/role/{k}"
                w.t(claim, IKG + "claimedRole", iri(role))
                w.t(role, RDF_TYPE, iri(IKG + "ClaimedRole"))
                w.t(role, RDFS + "label", en(f"{STATE_NAMES[accused]} forces as perpetrator (claim {k} of report {d})"))
                w.t(role, IKG + "roleInEvent", iri(event))
                w.t(role, IKG + "roleAgent", iri(f"{_state(accused)}/forces"))
                w.t(role, SEM + "roleType", iri(ROLE + "perpetrator"))
                w.t(role, GAF + "denotedBy", iri(f"{self.text_iri}#char={content_span[0]},{content_span[1]}"))
            if previous_claim and rng.random() < 0.5:
                w.t(claim, IKG + "inTensionWith", iri(previous_claim))
            previous_claim = claim

        # a person in office, sometimes
        if rng.random() < 0.3:
            person = f"{self.base}/person"
            post = rng.randrange(len(POSTS))
            name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
            state_p = rng.choice((a, b))
            txt.add(f"{POSTS[post]} ")
            p_span = txt.add(name)
            txt.add(" was in office")
            txt.end_sentence()
            w.t(person, RDF_TYPE, iri(PROV + "Person"))
            w.t(person, RDFS + "label", en(name))
            self.spans.append((*p_span, len(txt.sentences) - 1))
            w.t(person, GAF + "denotedBy", iri(f"{self.text_iri}#char={p_span[0]},{p_span[1]}"))
            tenure = f"{self.base}/tenure"
            w.t(tenure, RDF_TYPE, iri(IKG + "Tenure"))
            w.t(tenure, RDFS + "label", en(f"{name} as {POSTS[post]} of {STATE_NAMES[state_p]}"))
            w.t(tenure, IKG + "holder", iri(person))
            w.t(tenure, IKG + "positionHeld", iri(f"{_state(state_p)}/position/{post}"))
            w.t(tenure, SEM + "hasTime", iri(pub_time))

        # a support relation, sometimes
        if rng.random() < 0.3 and backer != a:
            support = f"{self.base}/support"
            txt.add(STATE_NAMES[backer])
            txt.add(" backs ")
            s_span = txt.add(f"the forces of {STATE_NAMES[a]}")
            txt.end_sentence()
            w.t(support, RDF_TYPE, iri(IKG + "Support"))
            w.t(support, RDFS + "label", en(f"{STATE_NAMES[backer]} backs the forces of {STATE_NAMES[a]}"))
            w.t(support, IKG + "supporter", iri(_state(backer)))
            w.t(support, IKG + "supported", iri(f"{_state(a)}/forces"))
            w.t(support, IKG + "meansOfSupport", iri(event))
            w.t(support, SEM + "hasTime", iri(event_time))
            self.spans.append((*s_span, len(txt.sentences) - 1))
            w.t(support, GAF + "denotedBy", iri(f"{self.text_iri}#char={s_span[0]},{s_span[1]}"))

        self._write_text()

    def _write_text(self) -> None:
        w, txt = self.w, self.text
        full = txt.string()
        ctx = f"{self.text_iri}#char=0,{len(full)}"
        w.t(ctx, RDF_TYPE, iri(NIF + "Context"))
        w.t(ctx, RDFS + "label", en(f"Text of report {self.d}"))
        w.t(ctx, NIF + "beginIndex", typed(0, "nonNegativeInteger"))
        w.t(ctx, NIF + "endIndex", typed(len(full), "nonNegativeInteger"))
        w.t(ctx, NIF + "isString", lit(full))
        sentence_iris = []
        for i, (b, e) in enumerate(txt.sentences):
            s = f"{self.text_iri}#char={b},{e}"
            sentence_iris.append(s)
            w.t(s, RDF_TYPE, iri(NIF + "Sentence"))
            w.t(s, RDFS + "label", en(f"Sentence {i} of report {self.d}"))
            self._offsets(s, b, e, full, ctx)
        seen = set(txt.sentences)
        for b, e, si in self.spans:
            if (b, e) in seen:
                continue
            seen.add((b, e))
            s = f"{self.text_iri}#char={b},{e}"
            w.t(s, RDF_TYPE, iri(NIF + "String"))
            self._offsets(s, b, e, full, ctx)
            w.t(s, NIF + "sentence", iri(sentence_iris[si]))

    def _offsets(self, s: str, b: int, e: int, full: str, ctx: str) -> None:
        w = self.w
        w.t(s, NIF + "beginIndex", typed(b, "nonNegativeInteger"))
        w.t(s, NIF + "endIndex", typed(e, "nonNegativeInteger"))
        w.t(s, NIF + "anchorOf", lit(full[b:e]))
        w.t(s, NIF + "referenceContext", iri(ctx))


def generate(triples: int, seed: int, graph: str | None = None) -> Iterator[list[str]]:
    """Lines of the corpus (N-Triples, or N-Quads in `graph`), one chunk per report.

    Stops at the report boundary nearest to `triples`.
    """
    rng = random.Random(seed)
    w = Writer(graph)
    _world(w)
    world = w.take()
    count = len(world)
    yield world
    d = 0
    while count < triples:
        _Report(w, rng, d).write()
        lines = w.take()
        if count + len(lines) > triples and triples - count < len(lines) / 2:
            break
        count += len(lines)
        d += 1
        yield lines


def write_corpus(out: IO[str], triples: int, seed: int, graph: str | None = None,
                 progress: bool = True) -> int:
    """Write the corpus to `out`; returns the number of triples (or quads) written."""
    written = 0
    step = max(100_000, triples // 20)
    next_report = step
    started = time.monotonic()
    for chunk in generate(triples, seed, graph):
        out.writelines(chunk)
        written += len(chunk)
        if progress and written >= next_report:
            rate = written / max(time.monotonic() - started, 1e-9)
            print(f"corpus: {written:,}/{triples:,} triples ({rate:,.0f}/s)", file=sys.stderr, flush=True)
            next_report += step
    return written


def ensure_corpus(path: Path, triples: int, seed: int) -> Path:
    """Write the corpus to `path` unless a file made with the same size and seed is there.

    The size and seed are recorded in a sidecar PATH.meta so reuse never serves a stale file.
    """
    path = Path(path)
    meta = path.with_name(path.name + ".meta")
    wanted = f"triples={triples} seed={seed} format=1\n"
    if path.is_file() and meta.is_file() and meta.read_text() == wanted:
        log.info("reusing corpus %s", path)
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    graph = CORPUS_GRAPH if path.suffix == ".nq" else None
    with tmp.open("w", encoding="utf-8", newline="\n", buffering=1 << 20) as f:
        n = write_corpus(f, triples, seed, graph)
    tmp.replace(path)
    meta.write_text(wanted)
    print(f"corpus: wrote {n:,} triples to {path}", file=sys.stderr)
    return path


# --------------------------------------------------------------------------- `idlib-kg corpus`

def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "corpus", help="write a synthetic corpus in the idlib-kg vocabulary (for benchmarks)",
        description="Write synthetic conflict-event reports shaped like the article's data, "
                    "deterministic from --seed, streamed (flat memory at any size). Exit codes: "
                    "0 written, 2 bad options or unwritable output.")
    p.add_argument("--triples", type=int, default=100_000, metavar="N",
                   help="about how many triples (default 100000; stops at the nearest report)")
    p.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    p.add_argument("-o", "--output", type=Path, metavar="FILE",
                   help="output file, .nt or .nq (default: N-Triples on stdout)")
    p.set_defaults(func=corpus_command)


def corpus_command(args: argparse.Namespace) -> int:
    if args.triples < 1:
        print("idlib-kg corpus: --triples must be at least 1", file=sys.stderr)
        return 2
    if args.output is None:
        write_corpus(sys.stdout, args.triples, args.seed)
        sys.stdout.flush()
        return 0
    if args.output.suffix not in (".nt", ".nq"):
        print(f"idlib-kg corpus: {args.output}: the output must end in .nt or .nq", file=sys.stderr)
        return 2
    graph = CORPUS_GRAPH if args.output.suffix == ".nq" else None
    tmp = args.output.with_name(args.output.name + ".tmp")  # no half-written corpus left behind
    try:
        with tmp.open("w", encoding="utf-8", newline="\n", buffering=1 << 20) as f:
            n = write_corpus(f, args.triples, args.seed, graph)
        tmp.replace(args.output)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        print(f"idlib-kg corpus: cannot write {args.output}: {e}", file=sys.stderr)
        return 2
    print(f"idlib-kg corpus: wrote {n:,} {'quads' if graph else 'triples'} to {args.output}", file=sys.stderr)
    return 0
