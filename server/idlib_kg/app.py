"""create_app(settings): the Flask application, and the `serve` command that runs it.

Production command (one process; waitress serves HTTP with threads, queries run in the
forked worker pool, so no gunicorn/multi-process front is needed):

    idlib-kg serve --host 0.0.0.0 --port 8000 --store /var/lib/idlib-kg/store --workers 4 --timeout 30

Put a reverse proxy (TLS) in front. Waitress accepts request lines of many KB (long GET
queries); bodies are limited to Settings.max_body_bytes (1 MB).
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import sys
import threading

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException, InternalServerError

from idlib_kg.config import Settings, add_data_options, default_workers, settings_from_args
from idlib_kg.dataset import DatasetError
from idlib_kg.description import GraphInfo
from idlib_kg.executor import Executor, QueryJob
from idlib_kg.protocol import ResultCache
from idlib_kg.store import OpenedStore, StoreError, open_store, record_update

log = logging.getLogger(__name__)

#: modules whose `bp` blueprint is registered when they exist (dereferenceable IRIs, VoID)
OPTIONAL_BLUEPRINTS = ("idlib_kg.linkeddata",)

GRAPH_COUNTS_QUERY = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"


class Runtime:
    """What the blueprints share: settings, the opened store, the executor, the result cache."""

    def __init__(self, settings: Settings, opened: OpenedStore, executor: Executor):
        self.settings = settings
        self.opened = opened
        self.executor = executor
        self.cache = ResultCache(settings.cache_entries)
        self._counts: tuple[str, list[GraphInfo]] | None = None
        self._lock = threading.Lock()

    @classmethod
    def start(cls, settings: Settings) -> "Runtime":
        """Load the store and fork the worker pool (call before any thread starts)."""
        opened = open_store(settings.store_path, settings.load_files)
        executor = Executor(opened, workers=settings.workers, timeout=settings.timeout).start()
        return cls(settings, opened, executor)

    def graph_counts(self) -> list[GraphInfo]:
        version = self.opened.version
        if self._counts and self._counts[0] == version:
            return self._counts[1]
        result = self.executor.run(QueryJob(GRAPH_COUNTS_QUERY, max_rows=1_000_000))
        rows = json.loads(result.body)["results"]["bindings"]
        counts = [GraphInfo(r["g"]["value"], int(r["n"]["value"])) for r in rows if r["g"]["type"] == "uri"]
        self._counts = (version, counts)
        return counts

    def apply_update(self, text: str) -> None:
        with self._lock:
            self.executor.update(text, base_iri=self.settings.base_iri)
            record_update(self.opened, text)
            self.cache.clear()

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
        if e.code and e.code >= 500:
            log.warning("%s %s -> %s: %s", request.method, request.path, e.code, e.description)
        message = e.description or e.name
        if e.code == 405 and e.valid_methods:
            allowed = ", ".join(m for m in e.valid_methods if m not in ("HEAD", "OPTIONS"))
            message = f"{request.method} is not allowed on {request.path}; use {allowed}"
        resp = _error_response(e.code or 500, message)
        if e.code == 401:
            resp.headers["WWW-Authenticate"] = 'Bearer realm="idlib-kg"'
        if e.code == 405 and e.valid_methods:
            resp.headers["Allow"] = ", ".join(e.valid_methods)
        if e.code == 503:
            resp.headers["Retry-After"] = "5"
        return resp

    @app.errorhandler(Exception)
    def unexpected(e: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return _error_response(500, InternalServerError.description)

    return app


def _error_response(status: int, message: str) -> Response:
    """text/plain for people and most clients; JSON when the client prefers application/json."""
    accept = request.accept_mimetypes
    if accept and "application/json" in accept.values() and \
            accept.best_match(["text/plain", "application/json"]) == "application/json":
        body = json.dumps({"status": status, "message": message})
        return Response(body, status=status, content_type="application/json")
    return Response(message.rstrip() + "\n", status=status, content_type="text/plain; charset=utf-8")


# --------------------------------------------------------------------------- `idlib-kg serve`

def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "serve", help="serve the SPARQL endpoint and the query page",
        description="Serve /sparql (SPARQL 1.1 Protocol), /update (only with --update-token) and / "
                    "(query page) with waitress. Exit codes: 0 stopped, 2 bad options or data.")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    p.add_argument("--workers", type=int, default=default_workers(), metavar="N",
                   help=f"query worker processes (default: CPU count, at least 2; here {default_workers()})")
    p.add_argument("--threads", type=int, metavar="N", help="HTTP threads (default max(8, 2 x workers))")
    p.add_argument("--timeout", type=float, default=30.0, metavar="S",
                   help="query time limit in seconds (default 30)")
    p.add_argument("--allow-service", action="append", metavar="URL",
                   help="allow SERVICE to this endpoint IRI (repeatable; '*' = any public endpoint)")
    p.add_argument("--allow-load", action="append", metavar="URL",
                   help="allow LOAD of this IRI in /update (repeatable)")
    p.add_argument("--update-token", metavar="TOKEN",
                   help="enable /update for clients sending `Authorization: Bearer TOKEN` "
                        "(or set IDLIB_KG_UPDATE_TOKEN)")
    p.add_argument("--backend-url", metavar="URL", help="endpoint the query page sends queries to")
    add_data_options(p)
    p.set_defaults(func=serve_command)


def serve_command(args: argparse.Namespace) -> int:
    import signal

    import waitress

    settings = settings_from_args(args)
    if settings.workers < 1:
        print("idlib-kg serve: --workers must be at least 1", file=sys.stderr)
        return 2
    try:
        runtime = Runtime.start(settings)
    except (DatasetError, StoreError) as e:
        print(f"idlib-kg serve: {e}", file=sys.stderr)
        return 2
    try:
        app = create_app(settings, runtime)
        server = waitress.create_server(
            app, host=settings.host, port=settings.port, threads=settings.threads(),
            max_request_body_size=settings.max_body_bytes, max_request_header_size=1_000_000,
            ident="idlib-kg", clear_untrusted_proxy_headers=True)
        # SIGTERM (docker stop, systemd) stops as cleanly as Ctrl-C: workers are shut down.
        signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
        host = f"[{settings.host}]" if ":" in settings.host else settings.host
        url = f"http://{host}:{server.effective_port}/"
        print(f"idlib-kg: serving {len(runtime.opened.files)} data file(s), data version "
              f"{runtime.opened.version}, {settings.workers} query workers", file=sys.stderr)
        print(f"idlib-kg: ready, open {url} (SPARQL endpoint {url}sparql)", flush=True)
        server.run()
    except KeyboardInterrupt:
        pass
    except OSError as e:
        print(f"idlib-kg serve: cannot listen on {settings.host}:{settings.port}: {e}", file=sys.stderr)
        return 2
    finally:
        runtime.close()
    return 0
