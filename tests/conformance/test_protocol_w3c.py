"""W3C SPARQL 1.1 Protocol tests (sparql11/protocol/manifest.ttl) against the live server.

Every HTTP exchange is taken from the manifest as written (method, path with query string,
headers, body and its character encoding); the manifest's `/sparql/` becomes the server's
`/sparql` for queries and `/update` (with the Bearer token) for updates. Checked: the status
class, the Content-Type against the formats the test allows, and the parsed result (the ASK
boolean the test expects, and for the content-type tests what the query must produce).

The dataset tests would pass on a server that ignored default-graph-uri / named-graph-uri
(the default graph is the union of all graphs here), so each gets control requests in
CONTROLS that only come out right when the protocol dataset is really used.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest

from .manifest import HttpRequest, ProtocolTest, protocol_tests, suite_missing_reason
from .results import XSD, literal, parse_response

FORMATS = {
    "boolean": {"application/sparql-results+xml", "application/sparql-results+json"},
    "tabular": {"application/sparql-results+xml", "application/sparql-results+json",
                "text/csv", "text/tab-separated-values"},
    "RDF": {"application/rdf+xml", "text/turtle", "application/n-triples",
            "text/html", "application/xhtml+xml"},  # the last two: RDFa
}

DATA = "http://kasei.us/2009/09/sparql/data/data{}.rdf"


def _ask(query: str, *, default: tuple[int, ...] = (), named: tuple[int, ...] = (),
         expected: bool) -> HttpRequest:
    params = [("default-graph-uri", DATA.format(n)) for n in default]
    params += [("named-graph-uri", DATA.format(n)) for n in named]
    qs = "&".join(f"{k}={quote(v, safe='')}" for k, v in params)
    return HttpRequest(
        method="POST", path_and_query="/sparql/" + (f"?{qs}" if qs else ""),
        headers=(("content-type", "application/sparql-query"),), body=query,
        body_encoding="UTF-8", expected_status=(2,), expected_format="boolean",
        expected_boolean=expected,
    )


_BOTH_DEFAULT = "ASK { <%s> a ?type . <%s> a ?type . }" % (DATA.format(1), DATA.format(2))
_BOTH_NAMED = "ASK { GRAPH ?g1 { <%s> a ?type } GRAPH ?g2 { <%s> a ?type } }" % (
    DATA.format(1), DATA.format(2))

CONTROLS: dict[str, list[HttpRequest]] = {
    # only data1 as the default graph: data2 must not be seen
    "query_dataset_default_graphs_get": [_ask(_BOTH_DEFAULT, default=(1,), expected=False)],
    "query_dataset_default_graphs_post": [
        _ask(_BOTH_DEFAULT, default=(1,), expected=False),
        _ask(_BOTH_DEFAULT, default=(3,), expected=False),
    ],
    # only data1 as a named graph: GRAPH ?g2 { data2 } has nothing to match
    "query_dataset_named_graphs_post": [_ask(_BOTH_NAMED, named=(1,), expected=False)],
    "query_dataset_named_graphs_get": [_ask(_BOTH_NAMED, named=(2,), expected=False)],
    # default graph is data3 only: data1 is in a named graph, not in the default graph
    "query_dataset_full": [
        _ask("ASK { <%s> a ?type }" % DATA.format(1), default=(3,), named=(1, 2), expected=False),
        _ask("ASK { GRAPH ?g { <%s> a ?type } }" % DATA.format(3), default=(3,), named=(1, 2),
             expected=False),
    ],
    # the protocol dataset replaces the query's FROM NAMED: data3 is not a named graph
    "query_multiple_dataset": [
        _ask("ASK FROM NAMED <%s> { GRAPH ?g { <%s> a ?type } }" % (DATA.format(3), DATA.format(3)),
             named=(1, 2), expected=False),
    ],
}


# /update applies using-graph-uri / using-named-graph-uri (rewritten into USING clauses) and
# refuses them next to USING/WITH with 400, so the update dataset tests must pass too.
KNOWN_FAILURES: dict[str, str] = {}
"""Protocol tests the server is known to fail (none now): xfail(strict=True), so a fix shows up
as XPASS and the entry must then be removed."""


def _params(update: bool):
    if suite_missing_reason() is not None:
        return [pytest.param(None, id="w3c-suite-missing")]
    return [
        pytest.param(t, id=t.id, marks=[pytest.mark.xfail(reason=KNOWN_FAILURES[t.id], strict=True)]
                     if t.id in KNOWN_FAILURES else [])
        for t in protocol_tests() if t.is_update == update
    ]


def _is_update_request(req: HttpRequest) -> bool:
    ctype = (req.content_type or "").lower()
    if ctype.startswith("application/sparql-query"):
        return False
    return (ctype.startswith("application/sparql-update") or "update=" in (req.body or "")
            or "update=" in req.path_and_query or "using-" in req.path_and_query
            or ctype == "text/plain")


def send(session, server, req: HttpRequest, *, update: bool = False):
    """Make the manifest's HTTP request against the server."""
    path = req.path_and_query
    assert path.startswith("/sparql/"), path
    target = "/update" if update else "/sparql"
    url = server.url + target + path[len("/sparql/"):]
    headers = {name: value for name, value in req.headers}
    if update and server.token:
        headers["Authorization"] = f"Bearer {server.token}"
    body = None if req.body is None else req.body.encode(req.body_encoding.lower())
    return session.request(req.method, url, data=body, headers=headers, timeout=30,
                           allow_redirects=False)


def check_response(test: ProtocolTest, req: HttpRequest, r, what: str = "") -> None:
    where = f"{test.id}{what}: {req.method} {req.path_and_query}"
    status_class = r.status_code // 100
    assert status_class in req.expected_status, (
        f"{where}: status {r.status_code}, expected {'/'.join(f'{c}xx' for c in req.expected_status)}"
        f"\n{r.headers.get('Content-Type')}\n{r.text[:800]}"
    )
    if req.expected_format is None or status_class != 2:
        return
    media = r.headers.get("Content-Type", "").split(";")[0].strip().lower()
    assert media in FORMATS[req.expected_format], (
        f"{where}: Content-Type {media!r} is not one of {sorted(FORMATS[req.expected_format])}"
    )
    result = parse_response(r.content, media, r.url)
    if req.expected_format == "boolean":
        assert result.kind == "boolean", f"{where}: expected a boolean result, got {result.kind}"
        if req.expected_boolean is not None:
            assert result.boolean is req.expected_boolean, (
                f"{where}: ASK answered {result.boolean}, expected {req.expected_boolean}"
            )
    elif req.expected_format == "tabular":
        assert result.kind == "bindings", f"{where}: expected a result table, got {result.kind}"
    else:
        assert result.kind == "graph", f"{where}: expected an RDF graph, got {result.kind}"
    CONTENT_CHECKS.get(test.id, lambda res, w: None)(result, where)


def _select_one(result, where):
    # SELECT (1 AS ?value) {} -> one solution, ?value = 1 (an xsd:integer unless written as CSV)
    assert result.variables == ("value",), f"{where}: variables {result.variables}"
    assert len(result.rows) == 1, f"{where}: {len(result.rows)} rows, expected 1"
    (value,) = result.rows[0]
    assert value in (literal("1", XSD + "integer"), ("s", "1")), f"{where}: ?value = {value}"


def _construct_one(result, where):
    # CONSTRUCT { <s> <p> 1 } WHERE {} -> exactly that triple, <s> and <p> resolved to IRIs
    assert len(result.rows) == 1, f"{where}: {len(result.rows)} triples, expected 1"
    s, p, o = result.rows[0]
    assert s[0] == "u" and s[1].endswith("s"), f"{where}: subject {s}"
    assert p[0] == "u" and p[1].endswith("p"), f"{where}: predicate {p}"
    assert o == literal("1", XSD + "integer"), f"{where}: object {o}"


def _describe_nothing(result, where):
    # DESCRIBE <http://example.org/> on data that never mentions it: an empty graph
    assert result.rows == [], f"{where}: expected no triples, got {len(result.rows)}"


CONTENT_CHECKS = {
    "query_content_type_select": _select_one,
    "query_content_type_construct": _construct_one,
    "query_content_type_describe": _describe_nothing,
}


@pytest.mark.parametrize("test", _params(update=False))
def test_protocol_query(test, w3c_suite, protocol_server, http):
    for req in test.requests:
        check_response(test, req, send(http, protocol_server, req))
    for n, control in enumerate(CONTROLS.get(test.id, []), 1):
        check_response(test, control, send(http, protocol_server, control), f" (control {n})")


@pytest.mark.parametrize("test", _params(update=True))
def test_protocol_update(test, w3c_suite, update_server, http):
    """Update tests run against /update (token on); they change data, so not on protocol_server."""
    for req in test.requests:
        check_response(test, req, send(http, update_server, req, update=_is_update_request(req)))


def test_protocol_query_count(w3c_suite):
    """The manifest has the 20 query tests (13 to succeed, 7 to fail with 4xx) this file runs."""
    queries = [t for t in protocol_tests() if not t.is_update]
    assert len(queries) == 20
    assert sum(t.requests[0].expected_status == (4,) for t in queries) == 7
