"""create_app(settings): the Flask application, and the `serve` command that runs it.

Production command (HTTP on a thread per connection, httpfront.py; queries run in forked
worker pools):

    idlib-kg serve --host 0.0.0.0 --port 8000 --http-processes 2 --workers 2 --timeout 30

`--http-server waitress` serves the same app with waitress instead (slower on small queries:
its I/O and task threads hand every request over; README, Benchmarks).

One Python process serving HTTP is bound by its GIL (~1,000-1,500 small requests/s), so
--http-processes N forks N HTTP front processes after the store is loaded: they share the
listening socket and the in-memory store (copy-on-write; an on-disk store is opened read-only
by each process's workers), and each has its own --workers query workers and result cache.
/update (--update-token) needs a single process: an update applied by one front would not
reach the others, so that combination is refused. The parent only supervises: it restarts a
front that dies, and stops them all on SIGTERM/Ctrl-C. Every process dies with its parent
(PR_SET_PDEATHSIG), so `kill -9` of the parent leaves nothing running.

Put a reverse proxy (TLS) in front. Waitress accepts request lines of many KB (long GET
queries); bodies are limited to Settings.max_body_bytes (1 MB).

Backend mode, on top of a store of your own (the same endpoint, pages and query page; updates
stay off; see backend.py):

    idlib-kg load --endpoint http://db:8890/sparql --user dba --password ...
    idlib-kg serve --backend http://db:8890/sparql --timeout 30
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import threading
import time

from flask import Flask, Response, request
from werkzeug.exceptions import BadRequest, HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from idlib_kg.backend import is_store_system_graph
from idlib_kg.config import (Settings, add_data_options, default_workers, non_negative_float, non_negative_int,
                             port_number, positive_float, settings_from_args)
from idlib_kg.dataset import (QUAD_FORMATS, DataFile, DatasetError, all_files, normalized_literal_map,
                              read_dataset)
from idlib_kg.description import GraphInfo
from idlib_kg.errors import Answer, error_answer, unexpected_answer
from idlib_kg.executor import Executor, QueryBackend, QueryError, QueryJob, default_running
from idlib_kg.cache import BoundedCache
from idlib_kg.protocol import http_error as query_http_error
from idlib_kg.serialization import UnwritableAnswer
from idlib_kg.store import OpenedStore, StoreError, open_store, record_update, version_of

log = logging.getLogger(__name__)

#: modules whose `bp` blueprint is registered when they exist (dereferenceable IRIs, VoID)
OPTIONAL_BLUEPRINTS = ("idlib_kg.linkeddata",)

GRAPH_COUNTS_QUERY = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
#: backend mode: how long the store's graph counts are reused (the store may change any time)
BACKEND_COUNTS_TTL = 300.0
BACKEND_COUNTS_RETRY = 10.0
#: graph documents are written from their source files up to this size (Runtime.graph_sources)
SOURCE_DOCUMENT_MAX_BYTES = 20_000_000
#: the HTTP front keeps answers up to this size; larger ones cost their transfer more than the
#: app's work, and the result cache still spares them the query
RESPONSE_CACHE_MAX_BODY = 256_000


class Runtime:
    """What the blueprints share: settings, the store (embedded, or none in backend mode),
    the query backend (worker pool or remote store), the result cache."""

    def __init__(self, settings: Settings, opened: OpenedStore | None, executor: QueryBackend):
        self.settings = settings
        self.opened = opened
        self.executor = executor
        self.cache: BoundedCache = BoundedCache(settings.cache_entries, settings.cache_bytes)
        #: whole answers kept by the HTTP front (httpfront.py) for repeated identical requests
        self.responses: BoundedCache = BoundedCache(settings.cache_entries, settings.cache_bytes,
                                                    max_body=RESPONSE_CACHE_MAX_BODY)
        self._counts: tuple[object, list[GraphInfo]] | None = None
        self._counts_at = 0.0
        #: backend mode: why the store could not be counted last time (None once it answers)
        self.counts_error: QueryError | None = None
        self._pristine_cache: tuple[object, list[DataFile] | None] | None = None  # _pristine()
        self._written: tuple[object, dict] | None = None  # written_literals(), per pristine key
        self._lock = threading.Lock()

    @classmethod
    def start(cls, settings: Settings) -> "Runtime":
        """Load the store and fork the worker pool (call before any thread starts), or in
        backend mode connect to the remote store."""
        if settings.backend:
            from idlib_kg.backend import RemoteBackend
            remote = RemoteBackend(settings.backend, timeout=settings.timeout, concurrency=settings.workers,
                                   user=settings.backend_user, password=settings.backend_password,
                                   auth=settings.backend_auth,
                                   union_default_graph=settings.backend_union_default_graph)
            return cls(settings, None, remote)
        opened = open_store(settings.store_path, settings.load_files, optimize=settings.optimize)
        return cls.with_workers(settings, opened)

    @classmethod
    def with_workers(cls, settings: Settings, opened: OpenedStore) -> "Runtime":
        """Over a store already open: fork its worker pool (before any thread starts)."""
        return cls(settings, opened, Executor(opened, workers=settings.workers, timeout=settings.timeout,
                                              running=default_running(settings.http_processes),
                                              isolate=not (settings.allow_service or settings.allow_load)
                                              ).start())

    @property
    def backend_mode(self) -> bool:
        """Whether queries go to another store (`serve --backend`): no embedded store here."""
        return self.opened is None

    @property
    def data_version(self) -> str | None:
        """The embedded store's data version (ETags, cache); None in backend mode."""
        return self.opened.version if self.opened is not None else None

    def graph_counts(self) -> list[GraphInfo]:
        """Triples per named graph. Backend mode: cached for a while; when the store cannot
        answer, the last counts (or none) so descriptions still render."""
        version = self.data_version
        now = time.monotonic()
        if self._counts and (self._counts[0] == version if version is not None
                             else now - self._counts_at < BACKEND_COUNTS_TTL):
            return self._counts[1]
        try:
            result = self.executor.run(QueryJob(GRAPH_COUNTS_QUERY, max_rows=1_000_000))
        except QueryError as e:
            if version is not None:
                raise
            log.warning("counting the graphs of the store failed: %s", e)
            self.counts_error = e
            stale = self._counts[1] if self._counts else []
            self._counts = ("stale", stale)
            self._counts_at = now - BACKEND_COUNTS_TTL + BACKEND_COUNTS_RETRY
            return stale
        rows = json.loads(result.body)["results"]["bindings"]
        counts = [GraphInfo(r["g"]["value"], int(r["n"]["value"])) for r in rows if r["g"]["type"] == "uri"
                  and not (self.backend_mode and is_store_system_graph(r["g"]["value"]))]
        self.counts_error = None
        self._counts = (version, counts)
        self._counts_at = now
        return counts

    def _pristine(self) -> tuple[object, list[DataFile] | None]:
        """(key, files): all source files while the store holds exactly what they say (no update
        since, none changed on disk) and they are small enough to read in the HTTP process, else
        None. The key changes with the data version and the files' sizes and times, and the
        files are hashed again only then: this runs on every graph and resource document."""
        if self.opened is None or self.opened.version != version_of(self.opened.files):
            return None, None
        try:
            files = all_files(self.settings.load_files)
            stats = tuple((s.st_size, s.st_mtime_ns) for s in (f.path.stat() for f in files))
        except (DatasetError, OSError):  # a file moved or went away since: the store answers
            return None, None
        key = (self.opened.version, stats)
        if self._pristine_cache is None or self._pristine_cache[0] != key:
            loaded = {(d["graph"], d["name"]): d["sha256"] for d in self.opened.files}
            small = sum(size for size, _ in stats) <= SOURCE_DOCUMENT_MAX_BYTES
            same = small and all(loaded.get((f.graph, f.path.name)) == f.sha256() for f in files)
            self._pristine_cache = (key, files if same else None)
        return self._pristine_cache

    def written_literals(self) -> dict[tuple, object]:
        """(subject, predicate, literal as the store answers it) -> the literal as the source
        files write it, for the literals the store normalizes (`"348"^^xsd:integer` ->
        `"348"^^xsd:nonNegativeInteger`); empty when the sources are not pristine (_pristine).
        Built once per pristine state."""
        key, files = self._pristine()
        if self._written is None or self._written[0] != key:
            self._written = (key, normalized_literal_map(read_dataset(files)) if files else {})
        return self._written[1]

    def graph_sources(self, graph: str) -> list[DataFile]:
        """The files `graph` was loaded from, while the sources are pristine (_pristine);
        otherwise none. The graph documents are written from them: the store hands literals back
        normalized (dataset.read_dataset). Not when a quad file (N-Quads, TriG, JSON-LD) was
        loaded: it may add to any graph, so no graph is known to be just its files."""
        _, files = self._pristine()
        if files is None or any(f.format in QUAD_FORMATS for f in files):
            return []
        return [f for f in files if f.graph == graph]

    def apply_update(self, text: str) -> None:
        if self.opened is None or not isinstance(self.executor, Executor):
            raise QueryError("updates are never forwarded to the store in backend mode")
        with self._lock:
            self.executor.update(text, base_iri=self.settings.base_iri)
            record_update(self.opened, text)
            self.cache.clear()
            self.responses.clear()

    def close(self) -> None:
        self.executor.close()


def create_app(settings: Settings, runtime: Runtime | None = None) -> Flask:
    """The WSGI app. Without a runtime, loads the store and starts the workers itself."""
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.config["MAX_FORM_MEMORY_SIZE"] = settings.max_body_bytes
    app.config["IDLIB_KG_SETTINGS"] = settings
    app.extensions["idlib_kg"] = runtime or Runtime.start(settings)

    from idlib_kg import linkeddata, protocol, ui
    app.register_blueprint(protocol.bp)
    app.register_blueprint(ui.bp)
    app.register_blueprint(linkeddata.bp)  # /id /doc /scheme /ontology /graph /void

    @app.errorhandler(HTTPException)
    def http_error(e: HTTPException) -> Response:
        return _response(error_answer(e, request.method, request.path, request.accept_mimetypes))

    @app.errorhandler(QueryError)
    def query_failed(e: QueryError) -> Response:
        # a page (linkeddata, VoID) whose query failed: 400/502/503 as /sparql would answer
        return http_error(query_http_error(e))

    @app.errorhandler(UnwritableAnswer)
    def unwritable(e: UnwritableAnswer) -> Response:
        # a document the asked format cannot carry (U+0000 in RDF/XML): 400 naming the formats
        # that can, as /sparql answers the same data
        return http_error(BadRequest(str(e)))

    @app.errorhandler(Exception)
    def unexpected(e: Exception) -> Response:
        return _response(unexpected_answer(request.method, request.path, request.accept_mimetypes))

    # /sparql's queries are answered below Flask (protocol.QueryEndpoint); the rest goes on
    app.wsgi_app = protocol.QueryEndpoint(app.wsgi_app, app.extensions["idlib_kg"])
    if settings.trusted_proxies:
        # behind a TLS proxy, the URLs the pages, the Service Description and VoID give are the
        # proxy's (https, its host); only that many proxies' headers are believed, as werkzeug says
        n = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_port=n, x_prefix=n)
    return app


def _response(answer: Answer) -> Response:
    status, headers, body = answer
    return Response(body, status=status, headers=headers)


# --------------------------------------------------------------------------- `idlib-kg serve`

def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "serve", help="serve the SPARQL endpoint and the query page",
        description="Serve /sparql (SPARQL 1.1 Protocol), /update (only with --update-token) and / "
                    "(query page). Exit codes: 0 stopped, 2 bad options or data.")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=port_number, default=8000, help="port (default 8000)")
    p.add_argument("--workers", type=int, default=default_workers(), metavar="N",
                   help=f"query worker processes per HTTP process (default: CPU count, at least 2; "
                        f"here {default_workers()})")
    p.add_argument("--http-server", choices=("threads", "waitress"), default="threads",
                   help="threads (default): each connection's thread reads, runs and answers its "
                        "requests; waitress: the waitress WSGI server")
    p.add_argument("--connections", type=int, default=100, metavar="N",
                   help="open connections per HTTP process (default 100); more wait to be accepted")
    p.add_argument("--threads", type=non_negative_int, metavar="N",
                   help="--http-server waitress: task threads per HTTP process (default max(8, 2 x workers))")
    p.add_argument("--http-processes", type=int, default=1, metavar="N",
                   help="HTTP front processes sharing the socket and the loaded store, each with its own "
                        "--workers query workers and result cache (default 1). More than one lifts the "
                        "one-process (GIL) ceiling on small queries; not with --update-token")
    p.add_argument("--cache-mb", type=non_negative_float, metavar="MB",
                   help="per HTTP process, the result cache and the HTTP front's response cache each hold "
                        "at most this many MB (default 64; 0 = both off) and 256 entries")
    p.add_argument("--timeout", type=positive_float, default=30.0, metavar="S",
                   help="query time limit in seconds (default 30)")
    p.add_argument("--allow-service", action="append", metavar="URL",
                   help="allow SERVICE to this endpoint IRI (repeatable; '*' = any public endpoint)")
    p.add_argument("--allow-load", action="append", metavar="URL",
                   help="allow LOAD of this IRI in /update (repeatable)")
    p.add_argument("--update-token", metavar="TOKEN",
                   help="enable /update for clients sending `Authorization: Bearer TOKEN` "
                        "(or set IDLIB_KG_UPDATE_TOKEN)")
    p.add_argument("--trusted-proxies", type=non_negative_int, metavar="N",
                   help="behind N reverse proxies (a TLS proxy: 1), take the scheme, host, port, "
                        "prefix and client address from their X-Forwarded-* headers (werkzeug "
                        "ProxyFix); default 0: a server clients reach directly believes none")
    p.add_argument("--ui-endpoint", metavar="URL",
                   help="SPARQL endpoint the query page sends queries to (default: this server's /sparql)")
    b = p.add_argument_group(
        "backend mode", "serve the endpoint, pages and query page on top of an existing SPARQL 1.1 "
        "store (load it first with `idlib-kg load`); see idlib_kg/backend.py")
    b.add_argument("--backend", metavar="URL",
                   help="the store's SPARQL query URL (Virtuoso http://host:8890/sparql, Oxigraph "
                        "http://host:7878/query); queries go there instead of the embedded store")
    b.add_argument("--backend-user", metavar="U", help="user for the store")
    b.add_argument("--backend-password", metavar="P",
                   help="password for the store (or set IDLIB_KG_BACKEND_PASSWORD)")
    b.add_argument("--backend-auth", choices=("digest", "basic"), default="digest",
                   help="HTTP auth scheme for the store (default digest)")
    b.add_argument("--backend-union-default-graph", choices=("auto", "param", "none"), default="auto",
                   help="make the default graph the union of the named graphs, as embedded: auto "
                        "(Oxigraph's union-default-graph parameter when the store is Oxigraph; "
                        "Virtuoso's default graph already is the union), param (always send it), "
                        "none (the store's own default graph)")
    add_data_options(p)
    p.set_defaults(func=serve_command)


def serve_command(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    if settings.workers < 1 or settings.http_processes < 1 or settings.http_connections < 1:
        print("idlib-kg serve: --workers, --http-processes and --connections must be at least 1",
              file=sys.stderr)
        return 2
    if settings.http_processes > 1 and settings.update_enabled:
        print("idlib-kg serve: --update-token cannot be used with --http-processes above 1: each HTTP "
              "process has its own query workers and cache, and an update applied through one would "
              "not reach the others. Serve updates with --http-processes 1", file=sys.stderr)
        return 2
    if settings.backend:
        problem = _backend_option_problem(settings)
        if problem:
            print(f"idlib-kg serve: {problem}", file=sys.stderr)
            return 2
    if settings.http_processes > 1:
        return _serve_processes(settings)
    try:
        runtime = Runtime.start(settings)
    except (DatasetError, StoreError) as e:
        print(f"idlib-kg serve: {e}", file=sys.stderr)
        return 2
    if settings.backend:
        _probe_backend(runtime)
    try:
        server = _create_server(settings, runtime)
        _announce(settings, runtime, server.effective_port)
        server.run()
    except KeyboardInterrupt:
        pass
    except OSError as e:
        print(f"idlib-kg serve: cannot listen on {settings.host}:{settings.port}: {e}", file=sys.stderr)
        return 2
    finally:
        runtime.close()
    return 0


#: allocations between two young-generation collections while serving (CPython's default: 700)
GC_YOUNG_THRESHOLD = 20_000


def settle_gc(collect: bool = True) -> None:
    """Before serving: freeze what start-up built and collect the young generation less often.

    Reference counting frees nearly everything a request allocates, yet at CPython's default
    threshold the cycle collector still ran many times a second under load (2-3% of an HTTP
    process's CPU in perf), and its older generations hold the app's start-up objects. Frozen,
    those are never walked again. Measured here with wrk on the trivial query at c=8: about 3%
    less CPU a request. A forked HTTP process passes collect=False: its parent collected and
    froze before the fork (as the gc docs advise), and a collection in the child would write
    to every inherited object and copy its page; freezing moves whole lists, not objects.
    """
    import gc
    if collect:
        gc.collect()
    gc.freeze()
    gc.set_threshold(GC_YOUNG_THRESHOLD, *gc.get_threshold()[1:])


def _create_server(settings: Settings, runtime: Runtime, sock=None):
    """The HTTP server for the app (httpfront.HTTPFront, or waitress); on `sock` (a listening
    socket shared by several HTTP processes) or bound to settings.host:port. SIGTERM (docker
    stop, systemd) then stops as cleanly as Ctrl-C: workers are shut down. SIGINT stops it too
    when it was started ignored (`idlib-kg serve &` in a script), as --http-processes does."""
    import signal

    app = create_app(settings, runtime)
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    signal.signal(signal.SIGINT, signal.default_int_handler)
    settle_gc(collect=sock is None)  # a shared socket: a forked HTTP process (settle_gc)
    if settings.http_server == "waitress":
        import waitress
        where = {"sockets": [sock]} if sock is not None else {"host": settings.host, "port": settings.port}
        return waitress.create_server(
            app, threads=settings.threads(), connection_limit=settings.http_connections,
            max_request_body_size=settings.max_body_bytes, max_request_header_size=1_000_000,
            ident="idlib-kg", clear_untrusted_proxy_headers=True, **where)
    from idlib_kg.httpfront import HTTPFront
    from idlib_kg.protocol import CORS_HEADERS
    return HTTPFront(app, sock if sock is not None else _listen(settings),
                     max_connections=settings.http_connections, max_body=settings.max_body_bytes,
                     multiprocess=settings.http_processes > 1, refusal_headers=CORS_HEADERS,
                     response_cache=runtime.responses if runtime.data_version is not None else None)


def _announce(settings: Settings, runtime: Runtime | None, port: int, opened: OpenedStore | None = None) -> None:
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    url = f"http://{host}:{port}/"
    opened = opened or (runtime.opened if runtime is not None else None)
    procs = (f"{settings.http_processes} HTTP processes x {settings.workers} query workers"
             if settings.http_processes > 1 else f"{settings.workers} query workers")
    if opened is not None:
        running = min(default_running(settings.http_processes), settings.workers)
        procs += f", at most {running} running at once per HTTP process"
        print(f"idlib-kg: serving {len(opened.files)} data file(s), data version "
              f"{opened.version}, {procs}", file=sys.stderr)
    elif runtime is not None:
        print(f"idlib-kg: backend mode, queries go to {runtime.executor.name} "
              f"({settings.workers} at a time)", file=sys.stderr)
    else:
        print(f"idlib-kg: backend mode, queries go to {settings.backend} ({procs})", file=sys.stderr)
    print(f"idlib-kg: ready, open {url} (SPARQL endpoint {url}sparql)", flush=True)


def _listen(settings: Settings):
    """The listening socket the HTTP processes share (bound before they are forked)."""
    import socket
    family, kind, proto, _, addr = socket.getaddrinfo(
        settings.host, settings.port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(addr)
        sock.listen(1024)
    except OSError:
        sock.close()
        raise
    sock.setblocking(False)
    return sock


#: a front that dies sooner than this after starting is restarted only after a pause
FRONT_RESTART_PAUSE = 1.0


def _serve_processes(settings: Settings) -> int:
    """--http-processes N: load the store once, bind, fork N HTTP fronts, supervise them.

    The parent stays single-threaded (it only forks and waits), so every front is forked
    from a one-threaded process, as the executor's zygote is.
    """
    import gc
    import os
    import signal

    from idlib_kg import linkeddata, protocol, ui  # noqa: F401 - imported once, shared by the fronts
    from idlib_kg.executor import die_with_parent

    opened = None
    if not settings.backend:
        try:
            opened = open_store(settings.store_path, settings.load_files, optimize=settings.optimize)
        except (DatasetError, StoreError) as e:
            print(f"idlib-kg serve: {e}", file=sys.stderr)
            return 2
        if not opened.in_memory:
            opened.store = None  # RocksDB does not survive fork: the workers open it read-only
            gc.collect()
    try:
        sock = _listen(settings)
    except (OSError, IndexError) as e:
        print(f"idlib-kg serve: cannot listen on {settings.host}:{settings.port}: {e}", file=sys.stderr)
        return 2
    parent = os.getpid()

    def front() -> int:
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid:
            return pid
        code = 0
        try:
            for sig in (signal.SIGCHLD, signal.SIGHUP):
                signal.signal(sig, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.default_int_handler)
            signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
            die_with_parent(parent)
            if opened is None:
                runtime = Runtime.start(settings)
            else:
                runtime = Runtime.with_workers(settings, opened)
            try:
                _create_server(settings, runtime, sock).run()
            except KeyboardInterrupt:
                pass
            finally:
                runtime.close()
        except KeyboardInterrupt:
            pass
        except BaseException:  # noqa: BLE001 - a front reports and exits; the parent restarts it
            log.exception("HTTP process %d failed", os.getpid())
            code = 1
        finally:
            os._exit(code)

    stopping = False

    def stop(*_):
        nonlocal stopping
        stopping = True
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    fronts: dict[int, float] = {}
    settle_gc()  # before the forks: the fronts share these pages and never collect them
    try:
        for _ in range(settings.http_processes):
            fronts[front()] = time.monotonic()
        _announce(settings, None, sock.getsockname()[1], opened)
        while True:
            pid, status = os.wait()
            started = fronts.pop(pid, None)
            if started is None:
                continue
            log.warning("HTTP process %d exited (status %d); starting another", pid, status)
            if time.monotonic() - started < FRONT_RESTART_PAUSE:
                time.sleep(FRONT_RESTART_PAUSE)
            fronts[front()] = time.monotonic()
    except KeyboardInterrupt:
        stopping = True
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        for pid in fronts:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + 10
        for pid in list(fronts):
            while time.monotonic() < deadline:
                done, _ = os.waitpid(pid, os.WNOHANG)
                if done:
                    break
                time.sleep(0.05)
            else:
                try:
                    os.kill(pid, signal.SIGKILL)
                    os.waitpid(pid, 0)
                except (ProcessLookupError, ChildProcessError):
                    pass
        sock.close()
    return 0


def _backend_option_problem(settings: Settings) -> str | None:
    from urllib.parse import urlsplit
    if urlsplit(settings.backend).scheme not in ("http", "https"):
        return f"--backend {settings.backend}: give the store's http(s) SPARQL query URL"
    if settings.update_enabled:
        return ("--update-token cannot be used with --backend: updates are never forwarded to the "
                "store; write to it directly or with `idlib-kg load`")
    if settings.store_path or settings.load_files or settings.optimize:
        return ("--store, --load and --optimize do not apply with --backend: the data lives in the store; "
                "load it there with `idlib-kg load --endpoint URL`")
    return None


def _probe_backend(runtime: Runtime) -> None:
    """Say at start-up whether the store answers; serve anyway (it may come up later)."""
    try:
        server = runtime.executor.probe()
        print(f"idlib-kg: the store at {runtime.executor.name} answers"
              + (f" ({server})" if server else ""), file=sys.stderr)
    except QueryError as e:
        print(f"idlib-kg: warning: {e}", file=sys.stderr)
