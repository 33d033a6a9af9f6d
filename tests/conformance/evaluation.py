"""Running one W3C query-evaluation test against a backend: the live server over HTTP (what the
tests check) or pyoxigraph in process (the engine's own figure, to tell server bugs from engine
limitations).

Dataset: the test's default-graph data goes into a dedicated named graph (DEFAULT_HOLDER) and
each qt:graphData file into the named graph of its own file IRI; the query then names them with
the protocol's default-graph-uri / named-graph-uri. Queries with their own FROM / FROM NAMED get
no protocol dataset (the protocol dataset would override theirs). Every query is sent with
``BASE <query file IRI>`` in front, so relative IRIs mean what they mean in the suite.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pyoxigraph as ox
import requests

from .manifest import EvalTest, path_of
from .results import MEDIA, Result, is_ordered, parse_expected, parse_response, same

DEFAULT_HOLDER = "urn:x-idlib-kg-test:default-graph"
_FROM = re.compile(r"\bFROM\b", re.I)


@dataclass
class Outcome:
    strict: bool
    lenient: bool
    detail: str = ""


def expected_result(test: EvalTest) -> Result:
    return parse_expected(path_of(test.result))


def accept_for(test: EvalTest, expected: Result) -> str:
    """The Accept header that asks for the format the expected file is written in."""
    ext = test.result.rsplit(".", 1)[-1]
    if ext in MEDIA:
        return MEDIA[ext]
    if expected.kind == "graph":
        return "application/n-triples"
    return MEDIA["srx"]  # a result set written in the RDF result-set vocabulary


def data_quads(test: EvalTest) -> list[ox.Quad]:
    """The test's data as quads, default-graph data in DEFAULT_HOLDER; blank nodes of each file
    kept apart (the same file loaded twice gives two sets of blank nodes)."""
    quads: list[ox.Quad] = []
    loads = [(d, DEFAULT_HOLDER) for d in test.data] + [(g, g) for g in test.graph_data]
    for n, (file_iri, graph) in enumerate(loads):
        path = path_of(file_iri)
        fmt = ox.RdfFormat.from_extension(path.suffix.lstrip("."))
        relabel: dict[str, ox.BlankNode] = {}

        def fresh(t):
            if isinstance(t, ox.BlankNode):
                return relabel.setdefault(t.value, ox.BlankNode(f"f{n}x{t.value}"))
            return t

        for q in ox.parse(path=str(path), format=fmt, base_iri=file_iri):
            quads.append(ox.Quad(fresh(q.subject), q.predicate, fresh(q.object), ox.NamedNode(graph)))
    return quads


def uses_own_dataset(query: str) -> bool:
    return _FROM.search(query) is not None


def full_query(test: EvalTest) -> str:
    return f"BASE <{test.query}>\n{test.query_text}"


def check(test: EvalTest, content_type: str, body: bytes) -> Outcome:
    expected = expected_result(test)
    try:
        actual = parse_response(body, content_type, test.query)
    except Exception as e:  # noqa: BLE001 - a result we cannot read is a failure, say why
        return Outcome(False, False, f"unreadable {content_type} response: {e}\n{body[:500]!r}")
    ordered = is_ordered(test.query_text)
    strict = same(expected, actual, ordered=ordered)
    lenient = strict or same(expected, actual, ordered=ordered, lenient=True)
    detail = "" if strict else (
        f"expected ({'ordered' if ordered else 'unordered'}):\n{expected.describe()}\n"
        f"got ({content_type}):\n{actual.describe()}"
    )
    return Outcome(strict, lenient, detail)


# --------------------------------------------------------------------------- backends


class InProcess:
    """pyoxigraph called directly: the engine's own score, for comparison."""

    def run(self, test: EvalTest) -> Outcome:
        store = ox.Store()
        store.extend(data_quads(test))
        query = full_query(test)
        kwargs = {}
        if not uses_own_dataset(query):
            kwargs = dict(default_graph=[ox.NamedNode(DEFAULT_HOLDER)],
                          named_graphs=[ox.NamedNode(g) for g in test.graph_data])
        expected = expected_result(test)
        media = accept_for(test, expected)
        try:
            res = store.query(query, **kwargs)
        except Exception as e:  # noqa: BLE001
            return Outcome(False, False, f"engine error: {e}")
        if isinstance(res, ox.QueryTriples):
            body = ox.serialize(list(res), format=ox.RdfFormat.N_TRIPLES)
            media = "application/n-triples"
        else:
            fmt = ox.QueryResultsFormat.from_media_type(media)
            body = res.serialize(format=fmt)
        return check(test, media, body)


class OverHttp:
    """The live server: data through /update (Bearer token), query through /sparql."""

    def __init__(self, session: requests.Session, base_url: str, token: str):
        self.session = session
        self.base_url = base_url.rstrip("/")
        self.token = token

    def update(self, text: str) -> None:
        r = self.session.post(
            f"{self.base_url}/update",
            data=text.encode("utf-8"),
            headers={"Content-Type": "application/sparql-update; charset=utf-8",
                     "Authorization": f"Bearer {self.token}"},
            timeout=60,
        )
        if r.status_code // 100 != 2:
            raise AssertionError(
                f"POST /update failed: {r.status_code} {r.headers.get('Content-Type')}\n"
                f"{r.text[:1000]}\nrequest began: {text[:300]}"
            )

    def load(self, test: EvalTest) -> None:
        by_graph: dict[str, list[str]] = {}
        for q in data_quads(test):
            by_graph.setdefault(q.graph_name.value, []).append(
                f"{q.subject} {q.predicate} {q.object} ."
            )
        self.update("DROP ALL")
        if by_graph:
            blocks = "\n".join(
                f"GRAPH <{g}> {{\n" + "\n".join(lines) + "\n}" for g, lines in by_graph.items()
            )
            self.update(f"INSERT DATA {{\n{blocks}\n}}")

    def run(self, test: EvalTest) -> Outcome:
        self.load(test)
        query = full_query(test)
        expected = expected_result(test)
        form: list[tuple[str, str]] = [("query", query)]
        if not uses_own_dataset(query):
            form.append(("default-graph-uri", DEFAULT_HOLDER))
            form += [("named-graph-uri", g) for g in test.graph_data]
        r = self.session.post(
            f"{self.base_url}/sparql", data=form,
            headers={"Accept": accept_for(test, expected)}, timeout=60,
        )
        if r.status_code != 200:
            return Outcome(False, False, f"HTTP {r.status_code} {r.headers.get('Content-Type')}: "
                                         f"{r.text[:1000]}")
        return check(test, r.headers.get("Content-Type", ""), r.content)


# --------------------------------------------------------------------------- bookkeeping


@dataclass
class Record:
    folder: str
    server: Outcome
    engine: Outcome


RECORDS: dict[str, Record] = {}
"""Outcome of every evaluation test run in this session, by test id (for the summary)."""


def summary_table() -> str:
    """Pass counts per folder, server vs pyoxigraph in process; '' when nothing ran."""
    if not RECORDS:
        return ""
    folders: dict[str, list[int]] = {}
    for rec in RECORDS.values():
        c = folders.setdefault(rec.folder, [0, 0, 0, 0, 0])
        c[0] += 1
        c[1] += rec.server.strict
        c[2] += rec.server.lenient
        c[3] += rec.engine.strict
        c[4] += rec.engine.lenient
    head = f"{'folder':<20}{'tests':>6}{'strict':>8}{'lenient':>9}   {'in-process strict/lenient':>26}"
    lines = [head, "-" * len(head)]
    total = [0] * 5
    for folder, c in folders.items():
        total = [a + b for a, b in zip(total, c)]
        lines.append(f"{folder:<20}{c[0]:>6}{c[1]:>8}{c[2]:>9}   {c[3]:>18}/{c[4]:<7}")
    lines.append("-" * len(head))
    lines.append(f"{'total':<20}{total[0]:>6}{total[1]:>8}{total[2]:>9}   {total[3]:>18}/{total[4]:<7}")
    worse = sorted(k for k, r in RECORDS.items() if r.engine.lenient and not r.server.lenient)
    if worse:
        lines.append("server fails where the engine passes in process (server bugs): " + ", ".join(worse))
    return "\n".join(lines)
