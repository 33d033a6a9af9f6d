"""The service helpers live in the package (idlib_kg.services, also used by `idlib-kg bench`);
this module re-exports them for the tests and adds what only tests need (REPO_ROOT, require,
and a loopback server that records what it is sent)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from idlib_kg.services import (LOCALHOST, SELECT_JSON, VIRTUOSO_INI, EndpointServer,  # noqa: F401
                               OxigraphServer, RdflibEndpointServer, Service, ServiceError,
                               VirtuosoServer, free_port, wait_until, which)

from prerequisites import require  # noqa: F401  (re-exported: tests import it from here)

REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Recorder:
    """A loopback HTTP server that records every request it receives."""

    server: ThreadingHTTPServer
    requests: list[dict] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/"


def start_recorder(reply: bytes, content_type: str, status: int = 200) -> Recorder:
    """Start a Recorder that answers every GET, POST and PUT with `status` and `reply`; the
    caller stops it with recorder.server.shutdown()."""
    recorder: Recorder

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            recorder.requests.append({"method": self.command, "path": self.path,
                                      "headers": dict(self.headers), "body": body})
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        do_GET = do_POST = do_PUT = _answer

        def log_message(self, *args) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    recorder = Recorder(httpd)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return recorder
