"""Reading W3C test manifests (mf:/qt:/ht: vocabularies) into plain dataclasses.

The manifests are parsed with rdflib against their real file location, so every relative
IRI in them (query, data and result files, graph names) becomes a ``file://`` IRI that points
at the file on disk; the same base is used when the data and result files are parsed, so
graph names in expected results line up with the graph names we load.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlparse

from rdflib import Graph, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS

MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
QT = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-query#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
DAWGT = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-dawg#")
HT = Namespace("http://www.w3.org/2011/http#")
CNT = Namespace("http://www.w3.org/2011/content#")
HTS = Namespace("http://www.w3.org/2011/http-statusCodes#")

REPO_ROOT = Path(__file__).resolve().parents[2]
SUITE_ENV = "IDLIB_KG_W3C_TESTS"
"""Environment variable that may point at another copy of the suites."""

EVAL_FOLDERS = (
    "aggregates", "bind", "bindings", "cast", "construct", "csv-tsv-res", "exists",
    "functions", "grouping", "json-res", "negation", "project-expression", "property-path",
    "subquery",
)


def suite_dir() -> Path:
    """Where the W3C suites are expected: ``../shared/w3c-rdf-tests`` from the repo root."""
    override = os.environ.get(SUITE_ENV)
    if override:
        return Path(override)
    return REPO_ROOT.parent / "shared" / "w3c-rdf-tests"


def suite_missing_reason() -> str | None:
    """None when the suites are there, else a sentence saying what is missing and why it matters."""
    root = suite_dir()
    probe = root / "sparql11" / "protocol" / "manifest.ttl"
    if probe.is_file():
        return None
    return (
        f"W3C test suites not found at {root} (looked for {probe}); the conformance tests "
        f"need a copy of w3c/rdf-tests (sparql11/) at ../shared/w3c-rdf-tests next to the "
        f"repository, or its location in {SUITE_ENV}"
    )


def path_of(iri: str) -> Path:
    """The local file a ``file://`` IRI names."""
    return Path(unquote(urlparse(iri).path))


def _load(manifest: Path) -> Graph:
    g = Graph()
    g.parse(manifest, format="turtle", publicID=manifest.resolve().as_uri())
    return g


def _entries(g: Graph) -> list[URIRef]:
    """Test IRIs in the order of the manifest's mf:entries list."""
    out: list[URIRef] = []
    for _, lst in g.subject_objects(MF.entries):
        out.extend(Collection(g, lst))
    return out


# --------------------------------------------------------------------------- evaluation


@dataclass(frozen=True)
class EvalTest:
    iri: str
    folder: str
    name: str
    query: str  # file IRI of the .rq
    data: tuple[str, ...]  # file IRIs loaded into the default graph
    graph_data: tuple[str, ...]  # file IRIs, each loaded as the named graph of that IRI
    result: str  # file IRI of the expected result
    approved: bool

    @property
    def id(self) -> str:
        return f"{self.folder}/{self.iri.rsplit('#', 1)[-1]}"

    @property
    def query_text(self) -> str:
        return path_of(self.query).read_text(encoding="utf-8")


def eval_tests(root: Path | None = None) -> list[EvalTest]:
    """All evaluation entries (mf:QueryEvaluationTest, mf:CSVResultFormatTest) of the query
    folders, in manifest order."""
    root = root or suite_dir()
    tests: list[EvalTest] = []
    for folder in EVAL_FOLDERS:
        g = _load(root / "sparql11" / folder / "manifest.ttl")
        for t in _entries(g):
            if not {MF.QueryEvaluationTest, MF.CSVResultFormatTest} & set(g.objects(t, RDF.type)):
                continue
            action = g.value(t, MF.action)
            tests.append(
                EvalTest(
                    iri=str(t),
                    folder=folder,
                    name=str(g.value(t, MF.name)),
                    query=str(g.value(action, QT.query)),
                    data=tuple(sorted(str(d) for d in g.objects(action, QT.data))),
                    graph_data=tuple(sorted(str(d) for d in g.objects(action, QT.graphData))),
                    result=str(g.value(t, MF.result)),
                    approved=(t, DAWGT.approval, DAWGT.Approved) in g,
                )
            )
    return tests


# --------------------------------------------------------------------------- protocol


@dataclass(frozen=True)
class HttpRequest:
    method: str
    path_and_query: str  # ht:absolutePath, starting with /sparql/
    headers: tuple[tuple[str, str], ...]
    body: str | None
    body_encoding: str
    expected_status: tuple[int, ...]  # status classes, e.g. (2, 3) for 2xx or 3xx
    expected_format: str | None  # "boolean", "tabular", "RDF" or None
    expected_boolean: bool | None

    @property
    def content_type(self) -> str | None:
        for name, value in self.headers:
            if name.lower() == "content-type":
                return value
        return None


@dataclass(frozen=True)
class ProtocolTest:
    iri: str
    name: str
    requests: tuple[HttpRequest, ...]
    graph_data: tuple[tuple[str, str], ...] = field(default=())  # (file IRI, graph name)

    @property
    def id(self) -> str:
        return self.iri.rsplit("#", 1)[-1]

    @property
    def is_update(self) -> bool:
        """Update tests: the id says so (`update_*`, `bad_update_*`, `bad_multiple_updates`)."""
        return "update" in self.id


def _status_class(node: URIRef) -> int:
    # hts:StatusCode2xx -> 2
    return int(str(node).rsplit("StatusCode", 1)[1][0])


def protocol_tests(root: Path | None = None) -> list[ProtocolTest]:
    """The ht:Request sequences of sparql11/protocol/manifest.ttl, manifest order."""
    root = root or suite_dir()
    g = _load(root / "sparql11" / "protocol" / "manifest.ttl")
    out: list[ProtocolTest] = []
    for t in _entries(g):
        reqs: list[HttpRequest] = []
        for conn in g.objects(t, MF.action):
            for lst in g.objects(conn, HT.requests):
                for r in Collection(g, lst):
                    headers: list[tuple[str, str]] = []
                    for hl in g.objects(r, HT.headers):
                        for h in Collection(g, hl):
                            headers.append(
                                (str(g.value(h, HT.fieldName)), str(g.value(h, HT.fieldValue)))
                            )
                    body_node = g.value(r, HT.body)
                    resp = g.value(r, HT.resp)
                    boolean = g.value(resp, MF.expectedBoolean)
                    fmt = g.value(resp, MF.expectedFormat)
                    reqs.append(
                        HttpRequest(
                            method=str(g.value(r, HT.methodName)),
                            path_and_query=str(g.value(r, HT.absolutePath)),
                            headers=tuple(headers),
                            body=None if body_node is None else str(g.value(body_node, CNT.chars)),
                            body_encoding="UTF-8"
                            if body_node is None
                            else str(g.value(body_node, CNT.characterEncoding) or "UTF-8"),
                            expected_status=tuple(
                                sorted(_status_class(s) for s in g.objects(resp, MF.expectedStatus))
                            ),
                            expected_format=None if fmt is None else str(fmt),
                            expected_boolean=None if boolean is None else bool(boolean.toPython()),
                        )
                    )
        graph_data = tuple(
            sorted(
                (str(g.value(gd, UT.graph)), str(g.value(gd, RDFS.label)))
                for gd in g.objects(t, UT.graphData)
            )
        )
        out.append(
            ProtocolTest(iri=str(t), name=str(g.value(t, MF.name)), requests=tuple(reqs),
                         graph_data=graph_data)
        )
    return out
