"""Tests of the HTTP front (idlib_kg.httpfront): framing, limits, refusals, keep-alive.

Each test starts an HTTPFront on a fresh 127.0.0.1 socket (port 0) with a small WSGI app of
its own and talks to it in raw bytes, so every byte the server sends can be checked. Every
socket has a timeout and every read loop is bounded.
"""

from __future__ import annotations

import errno
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime

import pytest

from idlib_kg import httpfront
from idlib_kg.cache import CACHEABLE, BoundedCache
from idlib_kg.httpfront import HTTPFront

# idle_timeout is long so that a connection seen closed was closed on purpose, not for idling
LIMITS = dict(max_head=4096, max_body=1000, idle_timeout=10.0, request_timeout=1.0)
SERVER_NAME = "front-under-test"
CLIENT_TIMEOUT = 5.0
MAX_READS = 10_000  # bound on recv calls for one response


# -- the server side -----------------------------------------------------------------------


def echo_app(environ, start_response):
    """Answers with a JSON account of what it was given."""
    body = environ["wsgi.input"].read()
    seen = {
        "method": environ["REQUEST_METHOD"],
        "path": environ["PATH_INFO"],
        "query": environ["QUERY_STRING"],
        "raw_uri": environ["RAW_URI"],
        "protocol": environ["SERVER_PROTOCOL"],
        "content_length": environ.get("CONTENT_LENGTH"),
        "body": body.decode("latin-1"),
        "headers": {k: v for k, v in environ.items() if k.startswith("HTTP_")},
    }
    out = json.dumps(seen).encode()
    start_response("200 OK", [("Content-Type", "application/json"),
                              ("Content-Length", str(len(out)))])
    return [out]


def slow_echo_app(seconds: float, path: str | None = None):
    """echo_app, answering `path` (every path when None) only after `seconds`."""
    def app(environ, start_response):
        if path is None or environ["PATH_INFO"] == path:
            time.sleep(seconds)
        return echo_app(environ, start_response)
    return app


@dataclass
class Running:
    front: HTTPFront
    sock: socket.socket
    thread: threading.Thread
    calls: list = field(default_factory=list)

    @property
    def port(self) -> int:
        return self.sock.getsockname()[1]

    def connect(self) -> socket.socket:
        return socket.create_connection(("127.0.0.1", self.port), timeout=CLIENT_TIMEOUT)


@pytest.fixture
def serve():
    """serve(app=echo_app, **limits) starts a front in a daemon thread; stopped at teardown."""
    started: list[Running] = []

    def start(app=echo_app, **limits) -> Running:
        calls: list = []

        def counted(environ, start_response):
            calls.append(environ["PATH_INFO"])
            return app(environ, start_response)

        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        front = HTTPFront(counted, sock, server_name=SERVER_NAME, **{**LIMITS, **limits})

        def run() -> None:
            try:
                front.run()
            except OSError:
                pass  # the listening socket was shut down at teardown

        thread = threading.Thread(target=run, daemon=True, name="httpfront-test-accept")
        thread.start()
        running = Running(front, sock, thread, calls)
        started.append(running)
        return running

    yield start
    for running in started:
        try:
            running.sock.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept() on Linux
        except OSError:
            pass
        running.front.close()
        running.thread.join(timeout=2)


@pytest.fixture
def server(serve) -> Running:
    return serve()


@pytest.fixture
def conn(server):
    c = server.connect()
    yield c
    c.close()


# -- the client side -----------------------------------------------------------------------


@dataclass
class Response:
    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: bytes
    framing: str  # "length", "chunked", "close" or "none"

    def header(self, name: str) -> str | None:
        values = [v for k, v in self.headers if k.lower() == name.lower()]
        assert len(values) <= 1, f"{name} sent {len(values)} times"
        return values[0] if values else None

    def json(self) -> dict:
        return json.loads(self.body)


class Reader:
    """Reads HTTP/1.1 responses from a socket, keeping what arrives after one for the next."""

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.buf = b""
        self.reads = 0

    def _fill(self) -> None:
        self.reads += 1
        assert self.reads < MAX_READS, "too many reads"
        data = self.sock.recv(65536)
        if not data:
            raise EOFError("the server closed the connection")
        self.buf += data

    def until(self, sep: bytes) -> bytes:
        while sep not in self.buf:
            self._fill()
        out, _, self.buf = self.buf.partition(sep)
        return out

    def exactly(self, n: int) -> bytes:
        while len(self.buf) < n:
            self._fill()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def to_eof(self) -> bytes:
        while True:
            try:
                self._fill()
            except EOFError:
                out, self.buf = self.buf, b""
                return out

    def closed(self, wait: float = 3.0) -> bool:
        """True if the server closes the connection within `wait` seconds (well under the
        idle timeout) with nothing more sent; False if it stays open that long."""
        if self.buf:
            return False
        self.sock.settimeout(wait)
        try:
            return self.sock.recv(1) == b""
        except socket.timeout:
            return False
        except ConnectionResetError:
            return True
        finally:
            self.sock.settimeout(CLIENT_TIMEOUT)

    def head(self) -> tuple[int, str, list[tuple[str, str]]]:
        lines = self.until(b"\r\n\r\n").decode("latin-1").split("\r\n")
        version, status, reason = lines[0].split(" ", 2)
        assert version == "HTTP/1.1"
        headers = []
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            assert sep and name == name.strip(), f"bad header line {line!r}"
            headers.append((name, value.strip()))
        return int(status), reason, headers

    def response(self, head_only: bool = False) -> Response:
        status, reason, headers = self.head()
        r = Response(status, reason, headers, b"", "none")
        if head_only or status in (204, 304) or status < 200:
            return r
        if r.header("Transfer-Encoding") is not None:
            assert r.header("Transfer-Encoding") == "chunked"
            assert r.header("Content-Length") is None
            r.body, r.framing = self.dechunk(), "chunked"
        elif r.header("Content-Length") is not None:
            r.body, r.framing = self.exactly(int(r.header("Content-Length"))), "length"
        else:
            r.body, r.framing = self.to_eof(), "close"
        return r

    def dechunk(self) -> bytes:
        parts = []
        for _ in range(MAX_READS):
            size_line = self.until(b"\r\n")
            size = int(size_line.split(b";")[0], 16)
            if size == 0:
                assert self.until(b"\r\n") == b"", "no trailers expected"
                return b"".join(parts)
            parts.append(self.exactly(size))
            assert self.exactly(2) == b"\r\n", "chunk not ended by CRLF"
        raise AssertionError("too many chunks")


def get(path: str, *extra: str, method: str = "GET", version: str = "1.1",
        body: bytes = b"") -> bytes:
    lines = [f"{method} {path} HTTP/{version}", "Host: 127.0.0.1", *extra]
    if body:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def exchange(server: Running, request: bytes, *,
             closed_within: float = 0.0) -> tuple[Response, bool]:
    """One request on a new connection: the response and whether the server then closed the
    connection within `closed_within` seconds (always False when 0)."""
    with server.connect() as c:
        c.sendall(request)
        reader = Reader(c)
        response = reader.response()
        return response, closed_within > 0 and reader.closed(closed_within)


# -- keep-alive and pipelining -------------------------------------------------------------


def test_keep_alive_connection_answers_three_requests_each_in_turn(server, conn):
    reader = Reader(conn)
    conn.sendall(get("/first?a=1"))
    one = reader.response()
    conn.sendall(get("/second", "Content-Type: text/plain", method="POST", body=b"hello body"))
    two = reader.response()
    conn.sendall(get("/third?b=2&c=3", method="DELETE"))
    three = reader.response()

    assert [r.status for r in (one, two, three)] == [200, 200, 200]
    assert [r.header("Connection") for r in (one, two, three)] == [None, None, None]
    seen = [r.json() for r in (one, two, three)]
    assert [(s["method"], s["path"], s["query"], s["body"]) for s in seen] == [
        ("GET", "/first", "a=1", ""),
        ("POST", "/second", "", "hello body"),
        ("DELETE", "/third", "b=2&c=3", ""),
    ]
    assert seen[1]["content_length"] == "10"
    assert server.calls == ["/first", "/second", "/third"]


def test_pipelined_requests_sent_at_once_are_answered_in_order(server, conn):
    conn.sendall(get("/one?n=1") + get("/two", method="POST", body=b"2nd"))
    reader = Reader(conn)
    first, second = reader.response(), reader.response()
    one, two = first.json(), second.json()
    assert (one["method"], one["path"], one["query"], one["body"]) == ("GET", "/one", "n=1", "")
    assert (two["method"], two["path"], two["query"], two["body"]) == ("POST", "/two", "", "2nd")
    conn.sendall(get("/three"))
    assert reader.response().json()["path"] == "/three"


def test_pipelined_request_before_an_expect_continue_one_still_gets_100_continue(server, conn):
    # the second request's head arrives with the first request; its body waits for 100 Continue
    conn.sendall(get("/a") + get("/b", "Expect: 100-continue", "Content-Length: 4", method="PUT"))
    reader = Reader(conn)
    assert reader.response().json()["path"] == "/a"
    status, reason, _ = reader.head()
    assert (status, reason) == (100, "Continue")
    conn.sendall(b"data")
    assert reader.response().json()["body"] == "data"


# -- the request target ------------------------------------------------------------------


def test_percent_encoded_path_is_decoded_as_latin1_and_query_is_kept_raw(server):
    target = "/caf%C3%A9/a%20b%2Fc?q=a%20b%26c&x=%C3%A9+y"
    response, _ = exchange(server, get(target))
    seen = response.json()
    assert seen["path"] == "/caf\u00c3\u00a9/a b/c"  # UTF-8 bytes of "é" as latin-1 (PEP 3333)
    assert seen["path"].encode("latin-1").decode("utf-8") == "/café/a b/c"
    assert seen["query"] == "q=a%20b%26c&x=%C3%A9+y"
    assert seen["raw_uri"] == target


def test_absolute_form_target_gives_path_and_query(server):
    response, _ = exchange(server, get("http://127.0.0.1/x%41?y=1"))
    seen = response.json()
    assert (seen["path"], seen["query"]) == ("/xA", "y=1")
    assert seen["raw_uri"] == "http://127.0.0.1/x%41?y=1"


# -- request bodies ----------------------------------------------------------------------


def test_chunked_request_body_reaches_the_app_whole_with_its_length(server, conn):
    conn.sendall(b"POST /up HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                 b"5\r\nhello\r\n")
    time.sleep(0.05)  # the rest in a second packet
    conn.sendall(b"1;ext=1\r\n \r\nb\r\nwide world!\r\n0\r\n\r\n")
    seen = Reader(conn).response().json()
    assert seen["body"] == "hello wide world!"
    assert seen["content_length"] == "17"
    assert "HTTP_TRANSFER_ENCODING" not in seen["headers"]


def test_expect_100_continue_gets_100_before_the_body_then_the_answer(server, conn):
    conn.sendall(get("/q", "Expect: 100-continue", "Content-Length: 7", method="POST"))
    reader = Reader(conn)
    assert reader.until(b"\r\n\r\n") == b"HTTP/1.1 100 Continue"
    assert server.calls == []  # the app waits for the body
    conn.sendall(b"payload")
    response = reader.response()
    assert response.status == 200
    assert response.json()["body"] == "payload"


def test_body_of_exactly_max_body_bytes_is_accepted(server):
    request = get("/b", method="POST", body=b"x" * 1000)
    response, closed = exchange(server, request, closed_within=0.3)
    assert response.status == 200
    assert len(response.json()["body"]) == 1000
    assert not closed


def test_content_length_over_max_body_gets_413_without_calling_the_app(server, conn):
    conn.sendall(get("/big", "Content-Length: 5000", method="POST"))  # head only: 413 comes first
    reader = Reader(conn)
    response = reader.response()
    assert response.status == 413
    assert response.header("Content-Type") == "text/plain; charset=utf-8"
    assert response.header("Connection") == "close"
    assert "5,000 bytes" in response.body.decode() and "1,000" in response.body.decode()
    assert reader.closed()
    assert server.calls == []


def test_content_length_one_over_max_body_with_expect_gets_413_instead_of_100(server, conn):
    conn.sendall(get("/big", "Expect: 100-continue", "Content-Length: 1001", method="POST"))
    reader = Reader(conn)
    response = reader.response()
    assert response.status == 413
    assert reader.closed()
    assert server.calls == []


def test_chunked_body_over_max_body_gets_413_without_calling_the_app(server, conn):
    chunk = b"%x\r\n%s\r\n" % (600, b"y" * 600)
    conn.sendall(b"POST /c HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                 + chunk + chunk + b"0\r\n\r\n")
    reader = Reader(conn)
    response = reader.response()
    assert response.status == 413
    assert response.header("Connection") == "close"
    assert reader.closed()
    assert server.calls == []


# -- the head ------------------------------------------------------------------------------


def test_head_just_under_max_head_is_accepted(server):
    request = get("/h", "X-Pad: ")
    request = get("/h", "X-Pad: " + "p" * (4096 - len(request)))
    assert len(request) == 4096
    response, _ = exchange(server, request)
    assert response.status == 200
    assert len(response.json()["headers"]["HTTP_X_PAD"]) > 4000


def test_head_over_max_head_sent_at_once_gets_431(server):
    request = get("/h", "X-Pad: " + "p" * 5000)
    response, closed = exchange(server, request, closed_within=3.0)
    assert response.status == 431
    assert "4,096 bytes" in response.body.decode()
    assert response.header("Connection") == "close"
    assert closed
    assert server.calls == []


@pytest.mark.parametrize("whole", [True, False], ids=["sent-at-once", "still-arriving"])
def test_a_target_over_max_head_gets_414_not_431(server, conn, whole):
    line = b"GET /sparql?query=" + b"q" * 5000
    if whole:
        conn.sendall(line + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    else:
        for i in range(0, len(line), 1000):  # the target never ends
            time.sleep(0.02)
            try:
                conn.sendall(line[i:i + 1000])
            except OSError:
                break
    response = Reader(conn).response()
    assert response.status == 414
    assert "request target is over" in response.body.decode() and "POST" in response.body.decode()
    assert server.calls == []


def test_head_over_max_head_still_arriving_gets_431(server, conn):
    conn.sendall(b"GET /h HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: ")
    for _ in range(5):  # 5,000 bytes of one header, never finished
        time.sleep(0.02)
        try:
            conn.sendall(b"p" * 1000)
        except OSError:
            break  # the server may have answered and closed already
    reader = Reader(conn)
    assert reader.response().status == 431
    assert server.calls == []


def test_chunked_trailers_over_max_head_get_431(server, conn):
    conn.sendall(b"POST /t HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                 b"1\r\na\r\n0\r\nX-Trailer: " + b"t" * 20_000 + b"\r\n\r\n")
    assert Reader(conn).response().status == 431
    assert server.calls == []


def test_trailer_still_arriving_past_the_wire_limit_gets_413(server, conn):
    conn.sendall(b"POST /t HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                 b"1\r\na\r\n0\r\nX-Trailer: ")
    limit = LIMITS["max_head"] + 2 * LIMITS["max_body"]
    for _ in range(limit // 500 + 2):  # never ends the trailer
        try:
            conn.sendall(b"t" * 500)
            time.sleep(0.002)
        except OSError:
            break  # answered and closed already
    assert Reader(conn).response().status == 413
    assert server.calls == []


def test_trailers_of_a_chunked_body_are_not_request_headers(server):
    request = (b"POST /t HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n"
               b"3\r\nabc\r\n0\r\nX-Late: yes\r\n\r\n")
    response, _ = exchange(server, request)
    seen = response.json()
    assert seen["body"] == "abc"
    assert "HTTP_X_LATE" not in seen["headers"]


# -- malformed requests --------------------------------------------------------------------


@pytest.mark.parametrize("request_bytes", [
    b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nNoColonHere\r\n\r\n",
    b"GET / HTTX/1.1\r\nHost: 127.0.0.1\r\n\r\n",
    b"GET noslash HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
], ids=["header-without-colon", "bad-version", "bad-target", "two-content-lengths"])
def test_malformed_request_gets_400_and_close(server, request_bytes):
    response, closed = exchange(server, request_bytes, closed_within=3.0)
    assert response.status == 400
    assert response.body.startswith(b"malformed HTTP request")
    assert response.header("Content-Type") == "text/plain; charset=utf-8"
    assert closed
    assert server.calls == []


@pytest.mark.parametrize("request_bytes", [
    b"get / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
    b"GARBAGE\r\n\r\n",  # llhttp reads GARBAGE as an unknown method, so this is a 405 too
], ids=["lowercase-get", "garbage"])
def test_unknown_method_gets_405_with_allow(server, request_bytes):
    response, closed = exchange(server, request_bytes, closed_within=3.0)
    assert response.status == 405
    assert response.header("Allow") == "GET, HEAD, POST, OPTIONS"
    assert closed
    assert server.calls == []


# -- timeouts ------------------------------------------------------------------------------


def test_request_not_finished_within_request_timeout_gets_408(server, conn):
    begun = time.monotonic()
    conn.sendall(b"GET /slow HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # the empty line never comes
    reader = Reader(conn)
    response = reader.response()
    waited = time.monotonic() - begun
    assert response.status == 408
    assert "within 1 s" in response.body.decode()
    assert waited >= 0.8  # not before the limit; the client's own timeout (5 s) catches "never"
    assert reader.closed()
    assert server.calls == []


def test_idle_keep_alive_connection_is_closed_after_idle_timeout(serve):
    conn = serve(idle_timeout=1.0).connect()
    conn.sendall(get("/once"))
    reader = Reader(conn)
    assert reader.response().status == 200
    answered = time.monotonic()
    assert conn.recv(1) == b""  # blocks until the server closes (client timeout 5 s)
    waited = time.monotonic() - answered
    assert waited >= 0.8  # not before the limit; "never" ends in the client's timeout


# -- connection persistence ----------------------------------------------------------------


def test_http10_without_keep_alive_is_closed_after_the_answer(server):
    response, closed = exchange(server, get("/old", version="1.0"), closed_within=3.0)
    assert response.status == 200
    assert response.json()["protocol"] == "HTTP/1.0"
    assert response.header("Connection") == "close"
    assert closed


def test_http10_with_keep_alive_stays_open(server, conn):
    reader = Reader(conn)
    conn.sendall(get("/a", "Connection: keep-alive", version="1.0"))
    first = reader.response()
    assert first.header("Connection") == "keep-alive"
    conn.sendall(get("/b", "Connection: keep-alive", version="1.0"))
    assert reader.response().json()["path"] == "/b"


def test_http11_connection_close_is_closed_after_the_answer(server):
    response, closed = exchange(server, get("/bye", "Connection: close"), closed_within=3.0)
    assert response.status == 200
    assert response.json()["path"] == "/bye"
    assert response.header("Connection") == "close"
    assert closed


# -- response framing ----------------------------------------------------------------------


def test_head_request_gets_headers_with_content_length_but_no_body(server, conn):
    conn.sendall(get("/thing", method="HEAD") + get("/next"))
    reader = Reader(conn)
    head = reader.response(head_only=True)
    assert head.status == 200
    assert int(head.header("Content-Length")) > 50  # what the app declared for its JSON
    # no body bytes: the next thing on the wire is the second answer's status line
    assert reader.buf.startswith(b"HTTP/1.1 200 OK\r\n") or reader.buf == b""
    assert reader.response().json()["path"] == "/next"


def big_chunks():
    return [bytes([65 + i]) * 100_000 + b"|%d|" % i for i in range(4)]  # 400 KB > _SEND_CHUNK


def streaming_app(environ, start_response):
    start_response("200 OK", [("Content-Type", "application/octet-stream")])
    if environ["PATH_INFO"] == "/small":
        return (part for part in [b"ab", b"", b"cd"])
    return (part for part in big_chunks())


def test_long_generator_without_length_is_sent_chunked_over_http11(serve):
    assert sum(map(len, big_chunks())) > httpfront._SEND_CHUNK
    server = serve(streaming_app)
    with server.connect() as c:
        c.sendall(get("/big"))
        reader = Reader(c)
        response = reader.response()
        assert response.framing == "chunked"
        assert response.header("Content-Length") is None
        assert response.body == b"".join(big_chunks())
        c.sendall(get("/small"))  # the connection is still usable after the last chunk
        assert reader.response().body == b"abcd"


def test_short_generator_without_length_gets_content_length(serve):
    server = serve(streaming_app)
    response, closed = exchange(server, get("/small"), closed_within=0.3)
    assert response.framing == "length"
    assert response.header("Content-Length") == "4"
    assert response.header("Transfer-Encoding") is None
    assert response.body == b"abcd"
    assert not closed


def test_long_generator_over_http10_is_ended_by_closing(serve):
    server = serve(streaming_app)
    request = get("/big", "Connection: keep-alive", version="1.0")
    response, closed = exchange(server, request, closed_within=3.0)
    assert response.framing == "close"
    assert response.header("Connection") == "close"
    assert response.body == b"".join(big_chunks())


def test_app_hop_by_hop_headers_are_dropped(serve):
    def app(environ, start_response):
        start_response("200 OK", [("Content-Length", "2"), ("Connection", "close"),
                                  ("Transfer-Encoding", "chunked"), ("X-Kept", "yes")])
        return [b"ok"]

    server = serve(app)
    response, closed = exchange(server, get("/"), closed_within=0.3)
    assert response.header("Connection") is None
    assert response.header("Transfer-Encoding") is None
    assert response.header("X-Kept") == "yes"
    assert response.body == b"ok"
    assert not closed


# -- request headers -----------------------------------------------------------------------


def test_header_name_with_underscore_never_reaches_the_app(server):
    request = get("/h", "X_Forwarded_For: 6.6.6.6", "X-Forwarded-For: 10.0.0.1")
    response, _ = exchange(server, request)
    headers = response.json()["headers"]
    assert headers["HTTP_X_FORWARDED_FOR"] == "10.0.0.1"
    assert all("6.6.6.6" not in v for v in headers.values())


def test_repeated_header_values_are_joined_with_a_comma(server):
    response, _ = exchange(server, get("/h", "X-Tag: one", "Accept: text/csv", "x-tag: two"))
    headers = response.json()["headers"]
    assert headers["HTTP_X_TAG"] == "one,two"
    assert headers["HTTP_ACCEPT"] == "text/csv"


# -- failures and common headers -----------------------------------------------------------


def test_app_that_raises_closes_the_connection_and_the_server_keeps_serving(serve, caplog):
    def app(environ, start_response):
        if environ["PATH_INFO"] == "/boom":
            raise RuntimeError("the app broke")
        return echo_app(environ, start_response)

    server = serve(app)
    with server.connect() as c:
        c.sendall(get("/boom"))
        assert Reader(c).to_eof() == b""  # no answer, then closed
    assert any("the app broke" in str(r.exc_info[1]) for r in caplog.records if r.exc_info)
    response, _ = exchange(server, get("/after"))
    assert response.json()["path"] == "/after"
    assert server.calls == ["/boom", "/after"]


def test_answers_and_refusals_carry_date_and_server_headers(server):
    answered, _ = exchange(server, get("/d"))
    refused, _ = exchange(server, get("/d", "Content-Length: 99999", method="POST"))
    assert refused.status == 413
    for response in (answered, refused):
        assert response.header("Server") == SERVER_NAME
        date = parsedate_to_datetime(response.header("Date"))
        assert response.header("Date").endswith(" GMT")
        assert abs(date.timestamp() - time.time()) < 60


# -- the response cache --------------------------------------------------------------------


def cacheable_app(environ, start_response):
    """Marks its answer cacheable when the path says so; the answer counts the app's calls."""
    cacheable_app.n += 1
    if environ["PATH_INFO"] == "/cacheable":
        environ[CACHEABLE] = True
    body = f'{{"n": {cacheable_app.n}, "accept": "{environ.get("HTTP_ACCEPT", "")}"}}'.encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


@pytest.fixture
def cached_front(serve) -> tuple[Running, BoundedCache]:
    cacheable_app.n = 0
    cache: BoundedCache = BoundedCache(entries=8, max_bytes=100_000)
    return serve(cacheable_app, response_cache=cache), cache


def test_a_repeated_cacheable_request_is_answered_from_the_cache(cached_front):
    server, cache = cached_front
    first, _ = exchange(server, get("/cacheable?q=1", "Accept: application/json"))
    again, _ = exchange(server, get("/cacheable?q=1", "Accept: application/json"))
    assert server.calls == ["/cacheable"]
    assert again.body == first.body and again.json()["n"] == 1
    assert first.header("X-Idlib-Cache") is None and again.header("X-Idlib-Cache") == "hit"
    assert again.header("Content-Length") == str(len(first.body))
    assert again.header("Date") and again.header("Server") == SERVER_NAME
    assert len(cache) == 1


def test_the_cache_keys_on_target_accept_and_body_and_skips_revalidation(cached_front):
    server, _ = cached_front
    exchange(server, get("/cacheable?q=1", "Accept: application/json"))
    other_accept, _ = exchange(server, get("/cacheable?q=1", "Accept: text/csv"))
    other_target, _ = exchange(server, get("/cacheable?q=2", "Accept: application/json"))
    post_a, _ = exchange(server, get("/cacheable", method="POST", body=b"query=a"))
    post_b, _ = exchange(server, get("/cacheable", method="POST", body=b"query=b"))
    revalidate, _ = exchange(server, get("/cacheable?q=1", "Accept: application/json",
                                         'If-None-Match: "x"'))
    assert [r.json()["n"] for r in (other_accept, other_target, post_a, post_b, revalidate)] == [2, 3, 4, 5, 6]
    assert other_accept.json()["accept"] == "text/csv"
    repeat_b, _ = exchange(server, get("/cacheable", method="POST", body=b"query=b"))
    assert repeat_b.json()["n"] == 5 and repeat_b.header("X-Idlib-Cache") == "hit"


def test_answers_not_marked_cacheable_are_never_kept(cached_front):
    server, cache = cached_front
    for _ in range(3):
        exchange(server, get("/plain"))
    assert server.calls == ["/plain"] * 3 and len(cache) == 0


def test_clearing_the_cache_sends_the_next_request_to_the_app(cached_front):
    server, cache = cached_front
    exchange(server, get("/cacheable"))
    cache.clear()  # what Runtime.apply_update does when the data changes
    after, _ = exchange(server, get("/cacheable"))
    assert after.json()["n"] == 2 and after.header("X-Idlib-Cache") is None


# -- RFC 9110/9112 corners (found by a bug hunt against the running server) ------------------


def test_a_request_that_asks_to_upgrade_is_answered_over_http11_with_its_body(server):
    # curl --http2 on an http:// URL: llhttp ends such a request at its head; the body is read anyway
    body = b"query=ASK+%7B%7D"
    request = get("/sparql", "Connection: Upgrade, HTTP2-Settings", "Upgrade: h2c",
                  "HTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA", method="POST", body=body)
    for split in (len(request), len(request) - len(body)):  # body with the head, or after it
        with server.connect() as c:
            c.sendall(request[:split])
            time.sleep(0.05)
            c.sendall(request[split:])
            reader = Reader(c)
            response = reader.response()
            assert response.status == 200 and response.json()["body"] == body.decode()
            assert response.header("Connection") == "close" and reader.closed()


def test_pipelined_requests_before_a_malformed_one_are_answered_first(server):
    response_bytes = get("/one") + get("/two") + b"BLAH\r\n\r\n"
    with server.connect() as c:
        c.sendall(response_bytes)
        reader = Reader(c)
        paths = [reader.response().json()["path"] for _ in range(2)]
        assert paths == ["/one", "/two"]
        assert reader.response().status == 405


def test_the_next_pipelined_request_is_not_timed_out_for_the_time_the_previous_one_took(serve):
    server = serve(slow_echo_app(1.5, "/slow"))  # longer than the front's request_timeout (1 s)
    with server.connect() as c:
        c.sendall(get("/slow") + get("/next")[:20])  # the next request's start, with the first
        reader = Reader(c)
        assert reader.response().json()["path"] == "/slow"
        c.sendall(get("/next")[20:])
        assert reader.response().json()["path"] == "/next"


@pytest.mark.parametrize("request_bytes, status", [
    (b"CONNECT 127.0.0.1:80 HTTP/1.1\r\nHost: 127.0.0.1:80\r\n\r\n", 405),
    (b"GET http://[x/sparql HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
    (b"GET / HTTP/2.0\r\nHost: 127.0.0.1\r\n\r\n", 400),  # 505 and 501 in RFC 9110: no 5xx
    (b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n1\r\na\r\n0\r\n\r\n", 400),
    (b"GET http://user:pw@127.0.0.1/x HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 400),
    (b"GET ftp://127.0.0.1/x HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 400),
    (b"GET * HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 400),
    (b"GET http://@127.0.0.1/x HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 400),
    (b"GET http://[fe80::1%eth0]/x HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 400),
], ids=["connect", "target-no-url", "no-host", "two-hosts", "http2-line", "gzip-coding", "userinfo",
        "not-http", "asterisk-get", "empty-userinfo", "zone-id-unencoded"])
def test_requests_the_server_cannot_serve_get_an_answer_and_close(server, request_bytes, status, caplog):
    response, closed = exchange(server, request_bytes, closed_within=3.0)
    assert response.status == status and response.body.strip()
    assert closed and server.calls == []
    assert not [r for r in caplog.records if r.levelname == "ERROR"]


def test_an_http10_request_without_host_is_served(server):
    response, _ = exchange(server, b"GET /old HTTP/1.0\r\n\r\n")
    assert response.status == 200 and response.json()["path"] == "/old"


def test_an_absolute_form_target_names_the_host(server):
    response, _ = exchange(server, b"GET http://good.example:9/x HTTP/1.1\r\nHost: evil.example\r\n\r\n")
    assert response.json()["headers"]["HTTP_HOST"] == "good.example:9"


def test_http10_clients_get_no_100_continue(server, conn):
    conn.sendall(b"POST /p HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n")
    conn.settimeout(0.5)
    with pytest.raises(socket.timeout):
        conn.recv(100)  # no interim answer: an HTTP/1.0 client would take it for the answer
    conn.settimeout(CLIENT_TIMEOUT)
    conn.sendall(b"data")
    response = Reader(conn).response()
    assert response.status == 200 and response.json()["body"] == "data"


def test_304_and_204_answers_carry_no_content_length(serve):
    def app(environ, start_response):
        status = "304 Not Modified" if environ["PATH_INFO"] == "/same" else "204 No Content"
        start_response(status, [("ETag", '"e"'), ("Content-Length", "0")])
        return [b""]

    server = serve(app)
    for path in ("/same", "/none"):
        response, _ = exchange(server, get(path))
        assert response.status in (304, 204) and response.header("Content-Length") is None
        assert response.header("ETag") == '"e"'


def test_the_cache_keys_on_every_content_type_header_as_the_app_sees_them(cached_front):
    server, _ = cached_front
    once, _ = exchange(server, get("/cacheable", "Content-Type: application/sparql-query", method="POST", body=b"q"))
    twice, _ = exchange(server, get("/cacheable", "Content-Type: text/plain", "Content-Type: application/sparql-query",
                                    method="POST", body=b"q"))
    assert once.json()["n"] == 1 and twice.json()["n"] == 2 and twice.header("X-Idlib-Cache") is None


UPGRADE = ("Connection: Upgrade, HTTP2-Settings", "Upgrade: h2c", "HTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA")


def test_an_upgrade_request_that_expects_100_continue_gets_it(server, conn):
    conn.sendall(get("/up", *UPGRADE, "Expect: 100-continue", "Content-Length: 5", method="POST"))
    reader = Reader(conn)
    status, reason, _ = reader.head()
    assert (status, reason) == (100, "Continue")
    conn.sendall(b"hello")
    assert reader.response().json()["body"] == "hello"


def test_a_pipelined_upgrade_request_is_not_timed_out_for_the_time_the_previous_one_took(serve):
    server = serve(slow_echo_app(1.5, "/slow"))  # longer than the front's request_timeout (1 s)
    with server.connect() as c:
        upgrade = get("/up", *UPGRADE, method="POST", body=b"hello")
        c.sendall(get("/slow") + upgrade[:-3])
        reader = Reader(c)
        assert reader.response().json()["path"] == "/slow"
        c.sendall(upgrade[-3:])
        assert reader.response().json()["body"] == "hello"


def test_an_http10_request_with_transfer_encoding_is_answered_then_the_connection_closed(server):
    request = b"POST /a HTTP/1.0\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
    response, closed = exchange(server, request + get("/second", version="1.0"), closed_within=3.0)
    assert response.json()["body"] == "hello" and response.header("Connection") == "close"
    assert closed and server.calls == ["/a"]  # RFC 9112 6.1: the framing is faulty, nothing after it is read


@pytest.mark.parametrize("host", ["a b/c@d", "x/y", "h:port"])
def test_a_host_header_that_is_no_host_name_gets_400(server, host):
    response, _ = exchange(server, f"GET /a HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
    assert response.status == 400 and b"Host" in response.body and server.calls == []


@pytest.mark.parametrize("host", ["example.org", "127.0.0.1:8000", "[::1]:80", "", "xn--bcher-kva.example"])
def test_host_names_and_addresses_are_accepted(server, host):
    response, _ = exchange(server, f"GET /a HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
    assert response.status == 200


def test_a_connection_the_server_closes_after_an_answer_is_closed_without_a_reset(serve):
    server = serve(slow_echo_app(0.3))
    with server.connect() as c:
        c.sendall(get("/up", *UPGRADE))
        time.sleep(0.1)
        c.sendall(get("/next"))  # pipelined by a client that may: the server closes after /up
        reader = Reader(c)
        response = reader.response()
        assert response.json()["path"] == "/up" and response.header("Connection") == "close"
        assert reader.to_eof() == b""  # a reset would raise ConnectionResetError here
    assert server.calls == ["/up"]


def test_options_asterisk_is_answered_by_the_front_with_allow_and_keeps_the_connection(server, conn):
    conn.sendall(b"OPTIONS * HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" + get("/after"))
    reader = Reader(conn)
    response = reader.response()
    assert response.status == 204 and response.body == b""
    assert set(response.header("Allow").split(", ")) == {"GET", "HEAD", "POST", "OPTIONS"}
    assert response.header("Content-Length") is None
    assert reader.response().json()["path"] == "/after"  # kept alive, next request answered
    assert server.calls == ["/after"]  # OPTIONS * never reached the app


def test_a_small_head_limit_still_tells_a_long_target_from_long_headers(serve):
    small = serve(max_head=50)
    response, _ = exchange(small, get("/x", "X-Pad: " + "p" * 100), closed_within=3.0)
    assert response.status == 431  # the headers, not the 2-byte target
    response, _ = exchange(small, get("/" + "q" * 60), closed_within=3.0)
    assert response.status == 414 and "over 25 bytes" in response.body.decode()


def test_long_trailers_behind_a_long_target_get_431(serve):
    front = serve(max_head=200)  # a 150-byte target fits the head but is over the 414 threshold (136)
    conn = front.connect()
    conn.sendall(b"POST /" + b"q" * 150 + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                 + b"1\r\na\r\n0\r\nX-Trailer: " + b"t" * 300 + b"\r\n\r\n")
    assert Reader(conn).response().status == 431
    conn.close()


def test_a_client_lost_before_accept_does_not_stop_the_front():
    """accept() fails for one client that reset before it was accepted (ECONNABORTED; Linux also
    passes on network errors of the new socket): the front takes the next connection rather
    than stop serving with an OSError."""
    class Listening:  # the listening socket's side of it, scripted
        calls = 0

        def settimeout(self, timeout):
            pass

        def getsockname(self):
            return ("127.0.0.1", 1)

        def accept(self):
            self.calls += 1
            if self.calls == 1:
                raise ConnectionAbortedError(errno.ECONNABORTED, "Software caused connection abort")
            if self.calls == 2:
                raise OSError(errno.EPROTO, "Protocol error")
            raise KeyboardInterrupt  # how `serve` stops the front

    listening = Listening()
    with pytest.raises(KeyboardInterrupt):
        HTTPFront(lambda environ, start_response: [], listening, server_name=SERVER_NAME).run()
    assert listening.calls == 3
