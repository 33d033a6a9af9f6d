"""The HTTP front: HTTP/1.1 with keep-alive, one thread per connection, requests parsed by
httptools (llhttp, the parser of Node.js and uvicorn), each handed to the WSGI app.

Why not waitress (still available: `serve --http-server waitress`): waitress reads a request on
its I/O thread, runs the app on a task thread and hands the answer back to the I/O thread to
write, so every request wakes threads several times. Here the thread that reads a request runs
the app and writes the answer, in one send. On this project's 2-CPU machine that took a cheap
query from 0.95 to about 0.6 ms and let one HTTP process answer more small requests a second
(figures: README, Benchmarks).

Limits, each answered with a message and the connection closed:
- at most `max_connections` open connections per process (more wait in the kernel's accept
  queue, as with waitress's connection limit);
- request line and headers together at most `max_head` bytes, so GET queries of many KB
  pass (414 when the target alone fills that, 431 otherwise); the body at most `max_body` bytes (413, sent before the body is read);
- a request must arrive whole within `request_timeout` seconds of its first byte (408), and an
  idle kept-alive connection is closed after `idle_timeout` seconds;
- malformed HTTP is a 400 (a method llhttp does not know, such as `get`, is a 405), and so is
  what RFC 9112 frames but this server does not serve: an HTTP/1.1 request without exactly one
  Host, a version other than 1.0 and 1.1, a transfer coding other than chunked, a target that is
  no URL (CONNECT, never proxied, is a 405), an absolute-form target that is not http(s) or
  carries userinfo (RFC 9110 4.2.4), the target `*` with any method but OPTIONS. Requests that
  came whole before a malformed one are answered first. `OPTIONS *` (the server as a whole) is
  answered by the front: 204 with Allow. A request that asks to upgrade (h2c) is answered over HTTP/1.1 and closed.

Repeated requests: a view that marks its answer cacheable (cache.CACHEABLE in the environ: the
/sparql results of the embedded store) has the whole answer kept in `response_cache`, keyed
by method, target, Content-Type, Accept and body; the same request is then answered from it
without entering the app, marked `X-Idlib-Cache: hit` (requests with If-None-Match,
Authorization, Cookie or Range always go to the app). The cache is emptied when the data
changes (Runtime.apply_update).

Request bodies may be sent with Content-Length or chunked; `Expect: 100-continue` is answered.
Responses with a known length are sent with Content-Length, others chunked (HTTP/1.1) or
ended by closing the connection (HTTP/1.0).
"""

from __future__ import annotations

import errno
import io
import logging
import re
import socket
import sys
import threading
import time
from collections import deque
from email.utils import formatdate
from typing import Callable, Iterable
from urllib.parse import unquote_to_bytes

import httptools

from idlib_kg.cache import CACHEABLE, BoundedCache

log = logging.getLogger(__name__)

WSGIApp = Callable[[dict, Callable], Iterable[bytes]]

#: connection-level response headers the server decides itself (PEP 3333: not the app's)
_HOP_BY_HOP = frozenset({"connection", "keep-alive", "transfer-encoding", "upgrade",
                         "proxy-connection", "te", "trailer"})
_NO_BODY_STATUS = ("1", "204", "304")
#: marks an answer given from the response cache (as X-Cache: HIT does behind Varnish)
CACHE_HIT_HEADER = "X-Idlib-Cache: hit\r\n"
#: a request with one of these is answered by the app, never from the response cache: the
#: answer may depend on them (304 on If-None-Match) or belong to one client only
_UNCACHED_IF = frozenset({b"if-none-match", b"if-modified-since", b"authorization", b"cookie", b"range"})
_SEND_CHUNK = 256 * 1024
_ALLOW = "GET, HEAD, POST, OPTIONS"
_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
#: a Host value: uri-host [ ":" port ] of RFC 3986 (an IP literal, or a reg-name or IPv4 address)
_HOST = re.compile(rb"(?:\[[0-9A-Fa-f:.]+(?:%25[\w.~-]+)?\]|[\w.~!$&'()*+,;=%-]*)(?::[0-9]*)?")
#: bytes of a request line besides its target ("OPTIONS " and " HTTP/1.1" and CRLF, rounded up)
_REQUEST_LINE_SLACK = 64
_LINGER_SECONDS = 2.0
_LINGER_BYTES = 4_000_000


class _Refusal(Exception):
    """A request refused before the app sees it: status line and a message for people."""

    def __init__(self, status: str, message: str, headers: tuple[tuple[str, str], ...] = ()):
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers


class _Message:
    """One request as the parser delivers it (httptools calls the on_* methods)."""

    __slots__ = ("url", "headers", "chunks", "body", "body_size", "keep_alive", "method", "version",
                 "too_large", "expect_continue", "content_length", "head_too_large", "hosts", "codings",
                 "trailers_too_large")

    def __init__(self) -> None:
        self.url = b""
        self.headers: list[tuple[bytes, bytes]] = []
        self.chunks: list[bytes] = []  # the body as it arrives
        self.body = b""                # ... joined once the message is complete
        self.body_size = 0
        self.keep_alive = True
        self.method = b""
        self.version = "1.1"
        self.too_large = False
        self.expect_continue = False
        self.content_length: int | None = None
        self.head_too_large = False
        self.hosts: list[bytes] = []       # Host header values
        self.codings: list[bytes] = []     # Transfer-Encoding, in order
        self.trailers_too_large = False


class _Parse:
    """The httptools callbacks for one connection: collects complete requests in `done`."""

    def __init__(self, max_body: int, max_head: int) -> None:
        self.max_body = max_body
        self.max_head = max_head
        self.parser = httptools.HttpRequestParser(self)
        self.current: _Message | None = None
        self.in_head = False
        self.head_bytes = 0
        self.trailer_bytes = 0
        self.wire_bytes = 0
        self.done: deque[_Message] = deque()
        self.headers_ready: _Message | None = None  # a message whose head is complete, body pending

    def on_message_begin(self) -> None:
        self.current = _Message()
        self.in_head = True
        self.trailer_bytes = 0
        self.wire_bytes = 0

    def on_url(self, url: bytes) -> None:
        assert self.current is not None
        self.current.url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        assert self.current is not None
        if self.in_head:
            self.current.headers.append((name, value))
            return
        # a trailer of a chunked body: never a request header for the app, but counted
        self.trailer_bytes += len(name) + len(value)
        if self.trailer_bytes > self.max_head:
            self.current.head_too_large = self.current.trailers_too_large = True

    def on_headers_complete(self) -> None:
        m = self.current
        assert m is not None
        self.in_head = False
        self.head_bytes = 0
        m.method = self.parser.get_method()
        m.version = self.parser.get_http_version()  # before the headers: Expect depends on it
        # the head's size as sent, less optional whitespace: "METHOD url HTTP/1.1", "name:value",
        # each ended by CRLF, then an empty line (_serve counts the bytes of unfinished heads only)
        size = len(m.method) + len(m.url) + 14
        for name, value in m.headers:
            size += len(name) + len(value) + 3
            lname = name.lower()
            if lname == b"content-length":
                try:
                    m.content_length = int(value)
                except ValueError:
                    pass  # llhttp has already refused it
            elif lname == b"expect" and value.strip().lower() == b"100-continue":
                m.expect_continue = m.version == "1.1"  # never a 1xx to an HTTP/1.0 client
            elif lname == b"host":
                m.hosts.append(value.strip())
            elif lname == b"transfer-encoding":
                m.codings += [c.strip().lower() for c in value.split(b",") if c.strip()]
        if size > self.max_head:
            m.head_too_large = True
        if m.content_length is not None and m.content_length > self.max_body:
            m.too_large = True
        self.headers_ready = m

    def on_body(self, body: bytes) -> None:
        m = self.current
        assert m is not None
        m.body_size += len(body)
        if m.body_size > self.max_body:
            m.too_large = True
            m.chunks.clear()
        elif not m.too_large:
            m.chunks.append(body)

    def on_message_complete(self) -> None:
        m = self.current
        assert m is not None
        # RFC 9112 6.1: an HTTP/1.0 message with Transfer-Encoding has faulty framing: close after it
        m.keep_alive = self.parser.should_keep_alive() and not (m.version == "1.0" and m.codings)
        m.body = b"".join(m.chunks)
        m.chunks = []
        self.done.append(m)
        self.current = None
        self.headers_ready = None


#: accept() errors that belong to one connection, not the socket: a client that reset before it
#: was accepted (ECONNABORTED), or a network error Linux passes on from the new socket (accept(2))
ACCEPT_LOST = frozenset((errno.ECONNABORTED, errno.EPROTO, errno.ENETDOWN, errno.ENOPROTOOPT,
                         errno.EHOSTDOWN, errno.ENONET, errno.EHOSTUNREACH, errno.EOPNOTSUPP,
                         errno.ENETUNREACH))
#: accept() errors of a process short of descriptors or memory: back off, then try again
ACCEPT_SHORT = frozenset((errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM))


class HTTPFront:
    """Serves `app` on the listening socket `sock` until interrupted (KeyboardInterrupt).

    Several processes may serve the same listening socket (`serve --http-processes N`).
    """

    def __init__(self, app: WSGIApp, sock: socket.socket, *, max_connections: int = 100,
                 max_head: int = 1_000_000, max_body: int = 1_000_000, idle_timeout: float = 60.0,
                 request_timeout: float = 30.0, server_name: str = "idlib-kg", multiprocess: bool = False,
                 response_cache: BoundedCache | None = None,
                 refusal_headers: Iterable[tuple[str, str]] = ()):
        self.app = app
        #: added to the answers the front gives itself (the app's own headers, such as CORS, so
        #: a browser can read why a request was refused)
        self.refusal_headers = "".join(f"{k}: {v}\r\n" for k, v in refusal_headers)
        self.responses = response_cache
        self.sock = sock
        self.sock.settimeout(None)  # accept() blocks; the socket may be shared by several processes
        self.max_head = max_head
        self.max_body = max_body
        self.idle_timeout = idle_timeout
        self.request_timeout = request_timeout
        self.server_name = server_name
        self._slots = threading.BoundedSemaphore(max_connections)
        host, port = sock.getsockname()[:2]
        self.effective_port: int = port
        self._base_environ = {
            "SERVER_NAME": host, "SERVER_PORT": str(port), "SCRIPT_NAME": "",
            "SERVER_SOFTWARE": server_name, "wsgi.version": (1, 0), "wsgi.url_scheme": "http",
            "wsgi.errors": sys.stderr, "wsgi.multithread": True, "wsgi.multiprocess": multiprocess,
            "wsgi.run_once": False, "wsgi.input_terminated": True,
        }
        self._date = (0, "")

    # -- accepting
    def run(self) -> None:
        """Accept connections until KeyboardInterrupt (SIGTERM is turned into one by `serve`)."""
        while True:
            self._slots.acquire()
            try:
                conn, addr = self.sock.accept()
            except OSError as e:
                self._slots.release()
                if e.errno in ACCEPT_LOST:  # that client's problem: take the next one
                    continue
                if e.errno in ACCEPT_SHORT:
                    log.warning("cannot accept a connection (%s); retrying in 0.1 s", e)
                    time.sleep(0.1)
                    continue
                raise
            except BaseException:
                self._slots.release()
                raise
            threading.Thread(target=self._connection, args=(conn, addr), daemon=True,
                             name=f"http-{addr[1] if len(addr) > 1 else ''}").start()

    def close(self) -> None:
        self.sock.close()

    # -- one connection
    def _connection(self, conn: socket.socket, addr) -> None:
        try:
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._serve(conn, addr)
        except (OSError, ValueError):
            pass  # the client went away (reset, timeout) or the socket closed under us
        except Exception:  # noqa: BLE001 - one broken connection must not end the server
            log.exception("HTTP connection from %s failed", addr)
        finally:
            try:
                conn.close()
            finally:
                self._slots.release()

    def _serve(self, conn: socket.socket, addr) -> None:
        parse = _Parse(self.max_body, self.max_head)
        started = 0.0  # when the first byte of the request being received came
        while True:
            if parse.current is None:  # between requests
                conn.settimeout(self.idle_timeout)
            else:
                left = self.request_timeout - (time.monotonic() - started)
                if left <= 0:
                    self._refuse(conn, self._timed_out())
                    return
                conn.settimeout(left)
            try:
                data = conn.recv(65536)
            except socket.timeout:
                if parse.current is None:
                    return  # idle keep-alive connection: close quietly
                self._refuse(conn, self._timed_out())
                return
            if not data:
                return
            if parse.current is None:
                started = time.monotonic()
            upgrade = False
            after = b""  # bytes past the head of a request that asks to upgrade: its body
            broken: _Refusal | None = None  # answered after the complete requests before it
            try:
                parse.parser.feed_data(data)
            except httptools.HttpParserUpgrade as e:
                upgrade = True  # not supported: answer what was asked over HTTP/1.1, then close
                after = data[e.args[0]:] if e.args else b""
            except httptools.HttpParserInvalidMethodError:
                broken = _Refusal(
                    "405 Method Not Allowed",
                    "this server does not know that HTTP method (methods are case-sensitive); "
                    "use GET, POST, HEAD or OPTIONS", (("Allow", _ALLOW),))
            except httptools.HttpParserError as e:
                broken = _Refusal("400 Bad Request", f"malformed HTTP request: {e}")
            if broken is None and parse.in_head:
                parse.head_bytes += len(data)
                if parse.head_bytes > self.max_head:
                    self._refuse(conn, self._head_too_large(parse.current))
                    return
            elif broken is None and parse.current is not None:
                # body, chunk framing and trailers on the wire: bounded even while a trailer
                # is still arriving (llhttp holds a header value until it ends)
                parse.wire_bytes += len(data)
                if parse.wire_bytes > self.max_head + 2 * self.max_body:
                    self._refuse(conn, _Refusal(
                        "413 Request Entity Too Large",
                        f"the request's body, chunk framing and trailers are over "
                        f"{self.max_head + 2 * self.max_body:,} bytes: send a shorter query"))
                    return
            answered = False
            while parse.done:
                message = parse.done.popleft()
                refusal = self._over_limits(message)
                if refusal is None and upgrade and not parse.done:  # the request asking to upgrade
                    refusal = self._read_upgrade_body(conn, message, after,
                                                      time.monotonic() if answered else started)
                if refusal is not None:
                    self._refuse(conn, refusal)
                    return
                if not self._respond(conn, addr, message) or (upgrade and not parse.done):
                    self._close_gently(conn)  # the client may have sent more: a staged close
                    return
                answered = True
            if broken is not None:
                self._refuse(conn, broken)
                return
            if upgrade:
                return
            if answered and parse.current is not None:
                started = time.monotonic()  # the next request's clock runs from when it is read
            pending = parse.headers_ready  # after the complete requests before it are answered
            if pending is not None:
                refusal = self._over_limits(pending)
                if refusal is not None:
                    self._refuse(conn, refusal)
                    return
                if pending.expect_continue:
                    pending.expect_continue = False
                    conn.sendall(_CONTINUE)

    def _over_limits(self, m: _Message) -> _Refusal | None:
        """Why `m` is refused before the app sees it (RFC 9112 framing and this server's limits)."""
        if m.head_too_large:
            return self._head_too_large(m)
        if m.too_large:
            return self._too_large(m)
        # 400 where RFC 9110/9112 suggest 505 and 501: the endpoint answers 5xx only when it fails
        # (the query time limit), never to a client's request it cannot take
        if m.version not in ("1.0", "1.1"):
            return _Refusal("400 Bad Request",
                            f"this server speaks HTTP/1.1 (and 1.0), not HTTP/{m.version}")
        if len(m.hosts) > 1 or (not m.hosts and m.version == "1.1"):
            return _Refusal("400 Bad Request", "a request needs exactly one Host header (HTTP/1.1 "
                                               f"always; this one has {len(m.hosts)})")
        if m.hosts and not _HOST.fullmatch(m.hosts[0]):
            return _Refusal("400 Bad Request", "the Host header is no host[:port] (RFC 9112 3.2)")
        if any(c != b"chunked" for c in m.codings):
            return _Refusal("400 Bad Request",
                            "this server decodes no transfer coding but chunked; send the body as is")
        if m.method == b"CONNECT":
            return _Refusal("405 Method Not Allowed", "this server is no proxy: CONNECT is not served",
                            (("Allow", _ALLOW),))
        target = m.url
        if target == b"*":
            if m.method != b"OPTIONS":
                return _Refusal("400 Bad Request", "the target * is for OPTIONS only (RFC 9112 3.2.4): "
                                                   "send a path such as /sparql?query=...")
        elif target[:1] != b"/":
            try:
                url = httptools.parse_url(target)
            except httptools.HttpParserInvalidURLError:
                return _Refusal("400 Bad Request", "the request target is not a URL: send a path such "
                                                   "as /sparql?query=...")
            authority = re.split(rb"[/?#]", target.partition(b"://")[2], maxsplit=1)[0]
            if (url.schema or b"").lower() not in (b"http", b"https") or b"@" in authority:
                return _Refusal("400 Bad Request", "an absolute request target must be an http(s) URL "
                                                   "without user information: send a path such as "
                                                   "/sparql?query=...")
            if not _HOST.fullmatch(authority):  # what replaces Host must be what Host may be
                return _Refusal("400 Bad Request", "the request target's authority is no host[:port] "
                                                   "(RFC 9112 3.2)")
        return None

    def _read_upgrade_body(self, conn: socket.socket, m: _Message, after: bytes,
                           started: float) -> _Refusal | None:
        """Read the body of a request that asks to upgrade (curl --http2 on http:// does): llhttp
        ends such a request at its head, and this server never upgrades, so it answers over
        HTTP/1.1 (RFC 9110 7.8: ignoring Upgrade is allowed) and closes the connection after."""
        m.keep_alive = False
        if m.codings:
            return _Refusal("400 Bad Request", "a request that asks to upgrade the protocol must give "
                                               "its body's length (Content-Length), not chunks")
        need = m.content_length or 0
        body = bytearray(after[:need])
        if len(body) < need and m.expect_continue:
            conn.sendall(_CONTINUE)
        while len(body) < need:
            left = self.request_timeout - (time.monotonic() - started)
            if left <= 0:
                return self._timed_out()
            conn.settimeout(left)
            try:
                data = conn.recv(65536)
            except socket.timeout:
                return self._timed_out()
            if not data:
                raise ConnectionResetError("the client closed the connection before the body arrived")
            body += data[:need - len(body)]
        m.body = bytes(body)
        return None

    def _timed_out(self) -> _Refusal:
        return _Refusal("408 Request Timeout",
                        f"the request did not arrive whole within {self.request_timeout:g} s")

    def _head_too_large(self, m: _Message | None) -> _Refusal:
        advice = "send a long query as a POST body (application/sparql-query) instead of in the URL"
        # the target alone fills the limit (less the request line's few other bytes): RFC 9110's
        # 414; a head still arriving may not have ended its target yet, and that is the target too
        longest = max(self.max_head - _REQUEST_LINE_SLACK, self.max_head // 2)
        if m is not None and not m.trailers_too_large and len(m.url) > longest:
            return _Refusal("414 URI Too Long", f"the request target is over {longest:,} bytes; {advice}")
        return _Refusal("431 Request Header Fields Too Large",
                        f"the request line and headers are over {self.max_head:,} bytes; {advice}")

    def _too_large(self, m: _Message) -> _Refusal:
        size = f"{m.content_length:,} bytes" if m.content_length is not None else "larger"
        return _Refusal("413 Request Entity Too Large",
                        f"the request body is {size}; this server accepts at most {self.max_body:,} "
                        "bytes: send a shorter query")

    # -- answering
    def _environ(self, m: _Message, addr) -> dict:
        env = dict(self._base_environ)
        target = m.url
        authority = None
        if target[:1] != b"/" and target != b"*":  # absolute form: http://host/path?query
            url = httptools.parse_url(target)
            path, query = url.path or b"/", url.query or b""
            if url.host:
                host = url.host.decode("latin-1")
                authority = (f"[{host}]" if ":" in host else host) + (f":{url.port}" if url.port else "")
        else:
            path, _, query = target.partition(b"?")
        raw = target.decode("latin-1")
        env.update({
            "REQUEST_METHOD": m.method.decode("ascii"),
            "PATH_INFO": unquote_to_bytes(path).decode("latin-1"),
            "QUERY_STRING": query.decode("latin-1"),
            "RAW_URI": raw, "REQUEST_URI": raw,
            "SERVER_PROTOCOL": f"HTTP/{m.version}",
            "REMOTE_ADDR": addr[0] if addr else "", "REMOTE_PORT": str(addr[1]) if addr else "",
        })
        for name, value in m.headers:
            if b"_" in name:  # X_Forwarded_For would pose as X-Forwarded-For (as waitress drops it)
                continue
            key = name.decode("latin-1").upper().replace("-", "_")
            if key in ("CONTENT_LENGTH", "TRANSFER_ENCODING"):
                continue
            if key != "CONTENT_TYPE":
                key = "HTTP_" + key
            text = value.decode("latin-1")
            env[key] = env[key] + "," + text if key in env else text
        if authority is not None:  # RFC 9112 3.2.2: the target's authority replaces Host
            env["HTTP_HOST"] = authority
        env["CONTENT_LENGTH"] = str(len(m.body))
        env["wsgi.input"] = io.BytesIO(m.body)
        return env

    def _http_date(self) -> str:
        now = int(time.time())
        if self._date[0] != now:
            self._date = (now, formatdate(now, usegmt=True))
        return self._date[1]

    def _cache_key(self, m: _Message) -> tuple | None:
        """The response cache's key for `m`: what a cacheable answer may depend on (the views
        that mark answers cacheable depend on nothing else; the data is in the generation)."""
        if self.responses is None or m.method not in (b"GET", b"POST"):
            return None
        ctype = accept = b""
        for name, value in m.headers:
            lname = name.lower()
            if lname == b"accept":
                accept = accept + b"," + value if accept else value
            elif lname == b"content-type":  # joined as the app sees them
                ctype = ctype + b"," + value if ctype else value
            elif lname in _UNCACHED_IF:
                return None
        return (m.method, m.url, ctype, accept, m.body)

    def _head(self, status: str, header_text: str, keep: bool, version: str) -> bytes:
        connection = "Connection: close\r\n" if not keep else \
            "Connection: keep-alive\r\n" if version == "1.0" else ""
        return (f"HTTP/1.1 {status}\r\nServer: {self.server_name}\r\nDate: {self._http_date()}\r\n"
                f"{header_text}{connection}\r\n").encode("latin-1")

    def _respond(self, conn: socket.socket, addr, m: _Message) -> bool:
        """Answer one request (from the response cache, or by running the app) and send the
        answer. True to keep the connection."""
        if m.url == b"*":  # OPTIONS * (_over_limits refuses other methods): the server, not a resource
            conn.sendall(self._head("204 No Content", f"Allow: {_ALLOW}\r\n{self.refusal_headers}",
                                    m.keep_alive, m.version))
            return m.keep_alive
        key = self._cache_key(m)
        if key is not None:
            hit = self.responses.get(key)
            if hit is not None:
                status, header_text, payload = hit
                conn.sendall(self._head(status, header_text + CACHE_HIT_HEADER, m.keep_alive, m.version)
                             + payload)
                return m.keep_alive
            generation = self.responses.generation
        env = self._environ(m, addr)
        state: dict = {}
        sent = False

        def start_response(status: str, headers: list[tuple[str, str]], exc_info=None):
            if exc_info:
                try:
                    if sent:
                        raise exc_info[1].with_traceback(exc_info[2])
                finally:
                    exc_info = None
            elif "status" in state:
                raise AssertionError("start_response was called twice")
            state["status"], state["headers"] = status, headers
            return write

        body: list[bytes] = []

        def write(data: bytes) -> None:  # the legacy WSGI write(); Flask never uses it
            body.append(data)

        result = self.app(env, start_response)
        try:
            if isinstance(result, (list, tuple)):
                body.extend(result)
                complete = True
            else:
                complete = False
                iterator = iter(result)
            no_body = state["status"].startswith(_NO_BODY_STATUS)
            head_only = m.method == b"HEAD" or no_body
            keep = m.keep_alive
            length = None
            headers = []
            for name, value in state["headers"]:
                lname = name.lower()
                if lname in _HOP_BY_HOP:
                    continue
                if lname == "content-length":
                    if no_body:  # RFC 9110 8.6: none on 1xx and 204; on 304 only the 200's
                        continue
                    length = value
                headers.append(f"{name}: {value}\r\n")
            if not complete and not head_only:
                # gather a short body (the usual case) to send with the head in one write, and
                # to know its length when the app did not say
                for chunk in iterator:
                    body.append(chunk)
                    if sum(map(len, body)) > _SEND_CHUNK:
                        break
                else:
                    complete = True
            chunked = False
            if length is None and not head_only:
                if complete:
                    headers.append(f"Content-Length: {sum(map(len, body))}\r\n")
                elif m.version == "1.1":
                    headers.append("Transfer-Encoding: chunked\r\n")
                    chunked = True
                else:
                    keep = False
            header_text = "".join(headers)
            head = self._head(state["status"], header_text, keep, m.version)
            sent = True
            if head_only:
                conn.sendall(head)
                return keep
            if complete:
                payload = b"".join(body)
                if key is not None and env.get(CACHEABLE) and state["status"].startswith("200"):
                    # kept before sending: the client's next request may come at once
                    self.responses.put(key, (state["status"], header_text, payload),
                                       len(payload) + len(header_text), generation)
                conn.sendall(head + payload)
                return keep
            self._stream(conn, head, body, iterator, chunked)
            return keep
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()

    @staticmethod
    def _stream(conn: socket.socket, head: bytes, first: list[bytes], rest, chunked: bool) -> None:
        def frame(data: bytes) -> bytes:
            return b"%x\r\n%s\r\n" % (len(data), data) if chunked else data

        conn.sendall(head + (frame(b"".join(first)) if first else b""))
        for chunk in rest:
            if chunk:
                conn.sendall(frame(chunk))
        if chunked:
            conn.sendall(b"0\r\n\r\n")

    def _refuse(self, conn: socket.socket, refusal: _Refusal) -> None:
        """Answer before (or instead of) the app, close, and let the client read the answer.

        The connection is then closed gently (_close_gently).
        """
        log.info("refused a request: %s (%s)", refusal.status, refusal.message)
        text = (refusal.message.rstrip() + "\n").encode("utf-8")
        extra = "".join(f"{k}: {v}\r\n" for k, v in refusal.headers)
        head = (f"HTTP/1.1 {refusal.status}\r\nServer: {self.server_name}\r\nDate: {self._http_date()}\r\n"
                f"Content-Type: text/plain; charset=utf-8\r\nContent-Length: {len(text)}\r\n"
                f"{self.refusal_headers}{extra}Connection: close\r\n\r\n").encode("latin-1")
        try:
            conn.sendall(head + text)
        except OSError:
            return
        self._close_gently(conn)

    @staticmethod
    def _close_gently(conn: socket.socket) -> None:
        """Half-close, then read and drop what the client still sends for a moment (bounded in
        time and bytes): closing with unread data would reset the connection and could destroy
        the answer before the client reads it (RFC 9112 9.6, a staged close)."""
        try:
            conn.shutdown(socket.SHUT_WR)
            deadline = time.monotonic() + _LINGER_SECONDS
            drained = 0
            while drained < _LINGER_BYTES:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                conn.settimeout(left)
                data = conn.recv(65536)
                if not data:
                    break
                drained += len(data)
        except OSError:
            pass
