"""Server-side request forgery and local file reads: nothing leaves the server unless listed.

Two kinds of canary, both on this machine only:
- a plain socket server on 127.0.0.1 that counts every accepted connection (it needs no HTTP
  to notice a request: the TCP accept is the evidence), and
- a FIFO named in file: IRIs. Opening a FIFO for reading blocks until a writer appears, and
  while a reader is waiting, a non-blocking open for writing succeeds (ENXIO otherwise). A
  watcher thread tries that open every few milliseconds, so any attempt by the server or its
  workers to open the file is seen, however briefly it would have read it (unlike atime,
  which noatime/relatime mounts do not update reliably).
Whether other addresses (private, link-local, public, IPv6, odd encodings) are refused is
checked on safety.target_allowed itself, never by sending anything.
"""

from __future__ import annotations

import errno
import json
import os
import socket
import threading
import time
from pathlib import Path

import pytest
import requests
from hypothesis import HealthCheck, given, settings, strategies as st

from idlib_kg.safety import UnsafeQuery, _resolve_host, check_loads, check_services, inspect, target_allowed
from .conftest import SENT

TOKEN = "hostile-update-token"
EMPTY_RESULTS = json.dumps({"head": {"vars": ["x"]}, "results": {"bindings": [
    {"x": {"type": "literal", "value": "from the counter"}}]}}).encode()


class ConnectionCounter:
    """Counts TCP connections accepted on 127.0.0.1; answers each with one SPARQL JSON result."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.accepts = 0
        self.request_lines: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (socket.timeout, OSError):
                continue
            self.accepts += 1
            with conn:
                conn.settimeout(2)
                try:
                    head = b""
                    while b"\r\n\r\n" not in head and len(head) < 65536:
                        chunk = conn.recv(4096)
                        if not chunk:
                            break
                        head += chunk
                    self.request_lines.append(head.split(b"\r\n", 1)[0].decode("latin-1"))
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/sparql-results+json\r\n"
                                 b"Connection: close\r\nContent-Length: " + str(len(EMPTY_RESULTS)).encode()
                                 + b"\r\n\r\n" + EMPTY_RESULTS)
                except OSError:
                    pass

    def url(self, path: str = "sparql") -> str:
        return f"http://127.0.0.1:{self.port}/{path}"

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.sock.close()


class FifoCanary:
    """A FIFO whose every opening for reading is recorded (see the module docstring)."""

    def __init__(self, directory: Path):
        self.path = directory / "canary.ttl"
        os.mkfifo(self.path)
        self.opened = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _try_once(self) -> None:
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_NONBLOCK)
        except OSError as e:
            if e.errno != errno.ENXIO:  # ENXIO: nobody has it open for reading
                raise
            return
        self.opened += 1
        os.close(fd)  # the reader sees end of file
        time.sleep(0.05)

    def _watch(self) -> None:
        while not self._stop.is_set():
            self._try_once()
            time.sleep(0.003)

    @property
    def iri(self) -> str:
        return self.path.as_uri()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self._try_once()  # release any reader still blocked in open()


@pytest.fixture(scope="module")
def counter():
    c = ConnectionCounter()
    yield c
    c.close()


@pytest.fixture(scope="module")
def fifo(tmp_path_factory):
    f = FifoCanary(tmp_path_factory.mktemp("fifo"))
    yield f
    f.close()


@pytest.fixture(scope="module")
def locked_server(server_launcher, tmp_path_factory, counter):
    """/update on (token), no SERVICE and no LOAD allowed."""
    s = server_launcher(["--update-token", TOKEN, "--workers", "2", "--timeout", "10"],
                        tmp_path_factory.mktemp("ssrf-locked"))
    yield s
    s.stop()


@pytest.fixture(scope="module")
def allowing_server(server_launcher, tmp_path_factory, counter):
    """Exactly one SERVICE endpoint allowed: the counter's /sparql."""
    s = server_launcher(["--workers", "2", "--timeout", "10", "--allow-service", counter.url("sparql")],
                        tmp_path_factory.mktemp("ssrf-allowing"))
    yield s
    s.stop()


def ask(server, query: str, test: str, **params) -> requests.Response:
    SENT.add(test)
    return requests.get(server.endpoint, params={"query": query, **params},
                        headers={"Accept": "application/sparql-results+json, application/n-triples;q=0.9"},
                        timeout=60)


def update(server, text: str, test: str) -> requests.Response:
    SENT.add(test)
    return requests.post(server.url + "update", data=text.encode(), timeout=60,
                         headers={"Content-Type": "application/sparql-update",
                                  "Authorization": f"Bearer {TOKEN}"})


def settle(counter: ConnectionCounter, fifo: FifoCanary | None = None) -> None:
    time.sleep(0.3)  # a connection or open that was about to happen has happened


def service_queries(port: int, fifo_iri: str) -> list[str]:
    u = f"http://127.0.0.1:{port}"
    return [
        f"SELECT * WHERE {{ SERVICE <{u}/sparql> {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ SERVICE SILENT <{u}/sparql> {{ ?s ?p ?o }} }}",
        f"select * where {{ service silent <{u}/x> {{ }} }}",
        f"PREFIX e: <{u}/> SELECT * {{ SERVICE e:sparql {{ }} }}",
        f"BASE <{u}/> SELECT * {{ SERVICE <sparql> {{ }} }}",
        f"SELECT * {{ SERVICE <http://127.0.0.1:{port}/\\u0073parql> {{ }} }}",  # escapes in the IRI
        f"PREFIX e: <http://127.0.0.1:{port}/\\u0073> SELECT * {{ SERVICE e:parql {{ }} }}",
        f"SELECT * {{ SERVICE\t#c\n<{u}/sparql>{{}} }}",
        f"SELECT * {{ ?s ?p true.SERVICE SILENT <{u}/sparql> {{ }} }}",
        f"SELECT * {{ ?a ?b ?c FILTER(?a<?b)SERVICE SILENT <{u}/sparql> {{ }} }}",
        f"SELECT * {{ OPTIONAL {{ SERVICE SILENT <{u}/sparql> {{ }} }} }}",
        f"SELECT * {{ {{ SELECT * {{ SERVICE SILENT <{u}/sparql> {{ }} }} }} }}",
        f"ASK {{ FILTER EXISTS {{ SERVICE SILENT <{u}/sparql> {{ }} }} }}",
        f"SELECT * {{ VALUES ?e {{ <{u}/sparql> }} SERVICE ?e {{ }} }}",
        f"SELECT * {{ SERVICE <http://localhost:{port}/sparql> {{ }} }}",
        f"SELECT * {{ SERVICE <http://2130706433:{port}/sparql> {{ }} }}",
        f"SELECT * {{ SERVICE <http://[::ffff:127.0.0.1]:{port}/sparql> {{ }} }}",
        f"SELECT * {{ SERVICE <http://x@127.0.0.1:{port}/sparql> {{ }} }}",
        f"SELECT * {{ SERVICE <{fifo_iri}> {{ }} }}",
        f"BASE <http://[::1/> SELECT * {{ SERVICE <{u}/sparql> {{ }} }}",  # a base that does not parse
        "BASE <http://[::1/> SELECT * { SERVICE <sparql> { } }",
        # escapes a local name may hold (PN_LOCAL_ESC): `\#` is no comment, `\'` no string
        f"PREFIX ex: <http://e/> SELECT * {{ VALUES ?s {{ ex:a\\# }} SERVICE <{u}/sparql> {{ }} }}",
        f"PREFIX ex: <http://e/> SELECT * {{ VALUES ?s {{ ex:a\\'b }} SERVICE <{u}/sparql> {{ }} }} # '",
        f'PREFIX ex: <http://e/> SELECT * {{ VALUES ?s {{ "x"^^ex:a\\" }} SERVICE <{u}/sparql> {{ }} }} # "',
        # the engine matches keywords with no word boundary: each of these is a SERVICE to it
        f"PREFIX : <{u}/> SELECT * {{ SERVICE:sparql {{ }} }}",
        f"PREFIX e: <{u}/> SELECT * {{ SERVICEe:sparql {{ }} }}",
        f"SELECT * {{ SERVICESILENT<{u}/sparql>{{ }} }}",
        f"SELECT * {{ ?s ?p trueSERVICE<{u}/sparql>{{ }} }}",
        f"SELECT * {{ ?s ?p 1e1SERVICE<{u}/sparql>{{ }} }}",
        # the engine ends a local name earlier than SPARQL does (no `.` or `-` first, one run of
        # dots): ex:a.b.SERVICE is ex:a.b . SERVICE to it
        f"PREFIX ex: <http://e/> SELECT * {{ ?s ?p ex:.SERVICE <{u}/sparql> {{ }} }}",
        f"PREFIX : <http://e/> SELECT * {{ ?s ?p :.SERVICE<{u}/sparql>{{ }} }}",
        f"PREFIX ex: <http://e/> SELECT * {{ ?s ex:-1.SERVICE <{u}/sparql> {{ }} }}",
        f"PREFIX ex: <http://e/> SELECT * {{ ?s ?p ex:a.b.SERVICE SILENT <{u}/sparql> {{ }} }}",
        # '<' the engine reads as less-than and the lexer as an IRI holding a quote or '#'
        f"SELECT * {{ FILTER(1<'>') SERVICE <{u}/sparql> {{ }} }} #'",
        f"SELECT * {{ FILTER(?a<='>') SERVICE <{u}/sparql> {{ }} }} #'",
        f"SELECT * {{ FILTER(?a<'''>''') SERVICE <{u}/sparql> {{ }} }} #'''",
        f"SELECT * {{ ?a ?b ?c FILTER(?a<?b)#>'''\nSERVICE <{u}/sparql> {{ }} #'''\n}}",
        f"SELECT * {{ BIND(<<(?s?p'>')>> AS ?t) SERVICE <{u}/sparql> {{ }} }} #'",
    ]


def dataset_queries(port: int, fifo_iri: str) -> list[tuple[str, dict]]:
    u = f"http://127.0.0.1:{port}"
    return [
        (f"SELECT * FROM <{u}/x> WHERE {{ ?s ?p ?o }}", {}),
        (f"SELECT * FROM NAMED <{u}/x> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}", {}),
        (f"SELECT * WHERE {{ GRAPH <{u}/x> {{ ?s ?p ?o }} }}", {}),
        (f"SELECT * FROM <{fifo_iri}> WHERE {{ ?s ?p ?o }}", {}),
        (f"SELECT * FROM NAMED <{fifo_iri}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}", {}),
        (f"SELECT * WHERE {{ GRAPH <{fifo_iri}> {{ ?s ?p ?o }} }}", {}),
        ("SELECT * FROM <file:///etc/passwd> WHERE { ?s ?p ?o }", {}),
        (f"CONSTRUCT {{ ?s ?p ?o }} FROM <{u}/c> WHERE {{ ?s ?p ?o }}", {}),
        (f"DESCRIBE <{u}/d>", {}),
        ("SELECT * WHERE { ?s ?p ?o } LIMIT 1", {"default-graph-uri": f"{u}/dg"}),
        ("SELECT * WHERE { ?s ?p ?o } LIMIT 1", {"default-graph-uri": fifo_iri}),
        ("SELECT * WHERE { GRAPH ?g { ?s ?p ?o } } LIMIT 1", {"named-graph-uri": f"{u}/ng"}),
        ("SELECT * WHERE { GRAPH ?g { ?s ?p ?o } } LIMIT 1", {"named-graph-uri": fifo_iri}),
    ]


def update_texts(port: int, fifo_iri: str) -> list[str]:
    u = f"http://127.0.0.1:{port}"
    return [
        f"LOAD <{u}/x>",
        f"LOAD SILENT <{u}/x> INTO GRAPH <http://example.org/g>",
        f"load <{fifo_iri}>",
        f"LOAD SILENT <{fifo_iri}>",
        "LOAD <file:///etc/passwd>",
        "LOAD <file:///etc/\\u0070asswd>",
        f"BASE <{u}/> LOAD <x>",
        f"PREFIX e: <{u}/> LOAD e:x",
        f"CLEAR SILENT GRAPH <http://example.org/none> ; LOAD <{u}/x>",
        f"INSERT DATA {{ <http://e/a> <http://e/b> <http://e/c> }} ; LOAD <{fifo_iri}>",
        f"INSERT {{ ?s ?p ?o }} WHERE {{ SERVICE <{u}/sparql> {{ ?s ?p ?o }} }}",
        f"DELETE {{ ?s ?p ?o }} USING <{u}/u> WHERE {{ ?s ?p ?o }}",
        f"WITH <{fifo_iri}> DELETE {{ ?s ?p ?o }} WHERE {{ ?s ?p ?o }}",
        f"INSERT {{ GRAPH <http://e/g> {{ ?s ?p ?o }} }} USING NAMED <{fifo_iri}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
        f"PREFIX ex: <http://e/> INSERT DATA {{ ex:a ex:b ex:c\\# }} ; LOAD <{u}/x>",
        f"PREFIX ex: <http://e/> INSERT DATA {{ ex:a ex:b ex:c\\' }} ; LOAD <{u}/x> # '",
        # keywords glued to their neighbours, and '<' as less-than (see service_queries)
        f"PREFIX : <{u}/> INSERT DATA{{}};LOAD:x",
        f"INSERT DATA{{}};LOADSILENT<{u}/x>",
        f"PREFIX e: <{u}/> CLEAR SILENT GRAPH <http://example.org/none>;LOADe:x",
        f"PREFIX : <{u}/> INSERT{{}}WHERE{{SERVICE:sparql{{}}}}",
        f"LOADSILENT<{u}/x>",
        f"PREFIX : <{u}/> LOADSILENT:x",
        f"PREFIX : <{u}/> LOAD:x",
        f"INSERT{{}}WHERE{{FILTER(1<'>')}};LOAD <{u}/x> #'",
        f"INSERT{{}}WHERE{{FILTER(1<'>') SERVICE <{u}/sparql>{{}}}} #'",
        f"PREFIX ex: <http://e/> INSERT {{ }} WHERE {{ ?s ?p ex:.SERVICE <{u}/sparql> {{ }} }}",
    ]


def test_service_is_refused_without_any_connection(locked_server, counter, fifo, request):
    before = counter.accepts
    for q in service_queries(counter.port, fifo.iri):
        r = ask(locked_server, q, request.node.name)
        assert r.status_code == 400, (q, r.status_code, r.text[:300])
        assert any(why in r.text for why in ("allowed", "not valid SPARQL", "reads the keyword",
                                             "less-than")), r.text
    settle(counter)
    assert counter.accepts == before, counter.request_lines
    assert fifo.opened == 0


def test_from_graph_and_protocol_datasets_are_never_dereferenced(locked_server, counter, fifo, request):
    before = counter.accepts
    for q, params in dataset_queries(counter.port, fifo.iri):
        r = ask(locked_server, q, request.node.name, **params)
        assert r.status_code in (200, 400), (q, r.status_code, r.text[:300])
        if r.status_code == 200 and "results" in r.text:
            assert "leaked" not in r.text and "root:" not in r.text
    settle(counter)
    assert counter.accepts == before, counter.request_lines
    assert fifo.opened == 0


def test_updates_never_load_from_the_network_or_disk(locked_server, counter, fifo, request):
    before = counter.accepts
    for text in update_texts(counter.port, fifo.iri):
        r = update(locked_server, text, request.node.name)
        assert r.status_code in (204, 400), (text, r.status_code, r.text[:300])
        if "LOAD" in text.upper() or "SERVICE" in text:
            assert r.status_code == 400, (text, r.text)
    settle(counter)
    assert counter.accepts == before, counter.request_lines
    assert fifo.opened == 0
    # and nothing from /etc/passwd got in
    r = ask(locked_server, 'ASK { GRAPH ?g { ?s ?p ?o FILTER(CONTAINS(STR(?o), "root:")) } }', request.node.name)
    assert r.json()["boolean"] is False


ODD_SPACE = st.sampled_from([" ", "\t", "\n", "  ", " #x\n", "\r\n", "\u3000"])
CASE = st.sampled_from([str.upper, str.lower, str.title, lambda s: s[0].lower() + s[1:]])


@settings(max_examples=300, derandomize=True, database=None, deadline=None,
          suppress_health_check=list(HealthCheck))
@given(case=CASE, sp1=ODD_SPACE, sp2=ODD_SPACE, silent=st.booleans(),
       form=st.sampled_from(["iri", "escaped", "prefixed", "base", "host-alias"]),
       wrapper=st.sampled_from(["{ %s }", "{ OPTIONAL { %s } }", "{ { SELECT * { %s } } }",
                                "{ ?s ?p ?o MINUS { %s } }", "{ FILTER NOT EXISTS { %s } }"]))
def test_generated_service_forms_never_connect(locked_server, counter, fifo, request, case, sp1, sp2,
                                               silent, form, wrapper):
    u = f"http://127.0.0.1:{counter.port}"
    head, target = "", f"<{u}/sparql>"
    if form == "escaped":
        target = f"<http://127.0.0.1:{counter.port}/\\u0073parql>"
    elif form == "prefixed":
        head, target = f"PREFIX e: <{u}/> ", "e:sparql"
    elif form == "base":
        head, target = f"BASE <{u}/> ", "<sparql>"
    elif form == "host-alias":
        target = f"<http://0x7f.1:{counter.port}/sparql>"
    kw = case("service") + (sp1 + case("silent") if silent else "")
    q = head + "SELECT *" + sp2 + "WHERE " + wrapper % f"{kw}{sp1}{target}{sp2}{{ }}"
    before = counter.accepts
    r = ask(locked_server, q, request.node.name)
    assert r.status_code == 400, (q, r.status_code, r.text[:300])
    assert counter.accepts == before, (q, counter.request_lines[-3:])


# Pieces of text around a SERVICE: local names with every escape SPARQL allows, strings with
# escaped quotes and long strings, comments. Where the server's lexer and the engine read such
# text differently, a SERVICE the lexer takes for part of a comment or string is run by the
# engine: the canary would count the connection.
_ESCAPES = ["\\_", "\\~", "\\.", "\\-", "\\!", "\\$", "\\&", "\\'", "\\(", "\\)", "\\*", "\\+",
            "\\,", "\\;", "\\=", "\\/", "\\?", "\\#", "\\@", "\\%", "%41", "a", "é", ".", ":", "-", "1"]
LOCAL = st.lists(st.sampled_from(_ESCAPES), min_size=1, max_size=4).map(lambda p: "".join(p).rstrip(".") or "a")
STRING = st.tuples(st.sampled_from(["'", '"', "'''", '"""']),
                   st.lists(st.sampled_from(["a", "#", "'", '"', "\\'", '\\"', "\\\\", "\\n", "}", "<", "SERVICE"]),
                            max_size=5)).map(lambda t: t[0] + "".join(c for c in t[1] if len(t[0]) == 3 or c not in "'\"")
                                             + t[0])
TERM = st.one_of(LOCAL.map("ex:".__add__), STRING, STRING.flatmap(lambda s: LOCAL.map(lambda l: f"{s}^^ex:{l}")))
CLAUSE = st.one_of(TERM.map("VALUES ?v {{ {} }}".format), TERM.map("BIND({} AS ?b)".format),
                   st.text("#'\"\\ab", max_size=4).map(lambda t: "# " + t + "\n"))


@settings(max_examples=250, derandomize=True, database=None, deadline=None,
          suppress_health_check=list(HealthCheck))
@given(before=st.lists(CLAUSE, max_size=3), after=st.lists(CLAUSE, max_size=2), tail=st.sampled_from(["", " # '", ' # "']))
def test_service_after_escapes_strings_and_comments_never_connects(locked_server, counter, request,
                                                                  before, after, tail):
    service = f"SERVICE <http://127.0.0.1:{counter.port}/sparql> {{ ?a ?b ?c }}"
    q = "PREFIX ex: <http://e/> SELECT * { " + " ".join(before + [service] + after) + " }" + tail
    accepts = counter.accepts
    r = ask(locked_server, q, request.node.name)
    assert r.status_code == 400, (q, r.status_code, r.text[:300])
    assert counter.accepts == accepts, (q, counter.request_lines[-3:])


def test_allowed_service_gets_exactly_one_connection_and_others_none(allowing_server, counter, request):
    before = counter.accepts
    r = ask(allowing_server, f"SELECT ?x WHERE {{ SERVICE <{counter.url('sparql')}> {{ ?x ?p ?o }} }}",
            request.node.name)
    assert r.status_code == 200, r.text
    assert [b["x"]["value"] for b in r.json()["results"]["bindings"]] == ["from the counter"]
    settle(counter)
    assert counter.accepts == before + 1
    assert counter.request_lines[-1].split(" ")[1].startswith("/sparql")
    # A different path, an alias of the host, or a variable: refused, no connection.
    for other in (counter.url("other"), f"http://localhost:{counter.port}/sparql",
                  counter.url("sparql") + "/", counter.url("sparql").upper()):
        r = ask(allowing_server, f"SELECT * WHERE {{ SERVICE <{other}> {{ ?x ?p ?o }} }}", request.node.name)
        assert r.status_code == 400, (other, r.text)
    settle(counter)
    assert counter.accepts == before + 1


# --- the allow-list decision itself (no traffic)

def local_only_resolver(host: str) -> list[str]:
    """'localhost' through the real resolver; numeric forms parsed locally; no other lookups."""
    if host == "localhost":
        return _resolve_host(host)
    infos = socket.getaddrinfo(host, None, flags=socket.AI_NUMERICHOST)  # never asks DNS
    return sorted({i[4][0] for i in infos})


REFUSED_WITH_WILDCARD = [
    "http://127.0.0.1/", "http://127.1/", "http://127.0.0.1:8000/sparql", "http://2130706433/",
    "http://0x7f000001/", "http://0x7f.0.0.1/", "http://017700000001/", "http://0/", "http://0.0.0.0/",
    "http://10.0.0.1/", "http://172.16.5.4/", "http://192.168.1.1/", "http://100.64.0.1/",
    "http://169.254.169.254/latest/meta-data/", "http://224.0.0.1/", "http://255.255.255.255/",
    "http://[::1]/", "http://[::]/", "http://[fe80::1]/", "http://[fc00::1]/", "http://[fd12::1]/",
    "http://[::ffff:127.0.0.1]/", "http://[::ffff:10.0.0.1]/", "http://[::ffff:169.254.169.254]/",
    "http://localhost/", "http://localhost:8000/sparql", "http://user:pw@127.0.0.1/",
    "http://public.example@127.0.0.1/", "ftp://8.8.8.8/", "file:///etc/passwd", "gopher://8.8.8.8/",
    "http:///path", "http://[::1/", "//8.8.8.8/x", "8.8.8.8",
]


@pytest.mark.parametrize("iri", REFUSED_WITH_WILDCARD)
def test_wildcard_refuses_non_public_and_odd_targets(iri):
    ok, reason = target_allowed(iri, ["*"], local_only_resolver)
    assert not ok, (iri, reason)


@pytest.mark.parametrize("iri", ["http://8.8.8.8/sparql", "https://1.1.1.1/", "http://[2001:4860:4860::8888]/"])
def test_wildcard_allows_public_addresses_only(iri):
    assert target_allowed(iri, ["*"], local_only_resolver)[0]
    assert not target_allowed(iri, [], local_only_resolver)[0]  # nothing without the wildcard


@pytest.mark.parametrize("iri", REFUSED_WITH_WILDCARD + ["http://8.8.8.8/sparql"])
def test_empty_allow_list_refuses_everything(iri):
    def no_lookup(host: str) -> list[str]:
        raise AssertionError("an empty allow-list must not even resolve names")
    assert not target_allowed(iri, [], no_lookup)[0]


def test_a_listed_loopback_endpoint_is_allowed_exactly():
    listed = "http://127.0.0.1:8890/sparql"
    assert target_allowed(listed, [listed])[0]
    for near in ("http://127.0.0.1:8890/sparql/", "http://127.0.0.1:8890/sparqlx", "http://localhost:8890/sparql",
                 "HTTP://127.0.0.1:8890/sparql", "http://127.0.0.1:8890/sparql#x", "http://127.0.0.1:8891/sparql"):
        assert not target_allowed(near, [listed], local_only_resolver)[0], near


def test_hostname_resolving_to_private_range_is_refused():
    table = {"intranet.example": ["10.1.2.3"], "mixed.example": ["8.8.8.8", "192.168.0.1"],
             "rebind.example": ["::ffff:127.0.0.1"], "empty.example": []}
    for host in table:
        assert not target_allowed(f"http://{host}/sparql", ["*"], lambda h: table[h])[0], host

    def fails(host: str) -> list[str]:
        raise OSError("no such host")
    assert not target_allowed("http://nowhere.example/", ["*"], fails)[0]


def test_escaped_and_unusual_service_targets_are_checked_as_the_engine_reads_them():
    """The engine decodes \\u escapes in IRIs (also in PREFIX and BASE); the check must too,
    and a SERVICE or LOAD followed by anything it cannot read is refused, never skipped."""
    q = "SELECT * { SERVICE <http://127.0.0.1:9/\\u0073parql> { } }"
    assert inspect(q).services == ["http://127.0.0.1:9/sparql"]
    with pytest.raises(UnsafeQuery):
        check_services(inspect(q), [])
    check_services(inspect(q), ["http://127.0.0.1:9/sparql"])  # listed: allowed, same as written plainly
    assert inspect("PREFIX e: <http://127.0.0.1:9/\\u0073> SELECT * { SERVICE e:x { } }").services == \
        ["http://127.0.0.1:9/sx"]
    for odd in ("SELECT * { SERVICE <http://x/\\uZZZZ> { } }", "SELECT * { SERVICE ( <http://x/> ) { } }"):
        with pytest.raises(UnsafeQuery):
            check_services(inspect(odd), ["*"])
    with pytest.raises(UnsafeQuery):
        check_loads(inspect("LOAD <file:///etc/\\u0070asswd>"), [])
    assert inspect("LOAD <file:///etc/\\u0070asswd>").loads == ["file:///etc/passwd"]


def test_the_fifo_canary_notices_any_reader(tmp_path):
    """The canary's own check: a process opening the file for reading is seen (and released)."""
    import subprocess
    canary = FifoCanary(tmp_path)
    try:
        reader = subprocess.run(["cat", str(canary.path)], capture_output=True, timeout=20)
        assert reader.returncode == 0
        with open(canary.path.parent / "probe.py", "w") as f:
            f.write(f"import rdflib\nrdflib.Graph().parse({str(canary.path)!r}, format='nt')\n")
        subprocess.run([__import__("sys").executable, str(canary.path.parent / "probe.py")],
                       capture_output=True, timeout=60)
    finally:
        canary.close()
    assert canary.opened >= 2
