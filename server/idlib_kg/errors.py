"""Error answers for people: the status, a message saying what was wrong and what to do, as
text/plain (JSON when the client prefers application/json).

One renderer for the Flask error handlers (app.py) and for /sparql's query path, which answers
below Flask (protocol.QueryEndpoint): both give the same bytes for the same error.
"""

from __future__ import annotations

import json
import logging

from werkzeug.datastructures import MIMEAccept
from werkzeug.exceptions import HTTPException, InternalServerError

log = logging.getLogger(__name__)

Answer = tuple[int, list[tuple[str, str]], bytes]


def error_answer(e: HTTPException, method: str, path: str, accept: MIMEAccept) -> Answer:
    """(status, headers, body) for an HTTP error raised while answering `method path`."""
    status = e.code or 500
    if status >= 500:
        log.warning("%s %s -> %s: %s", method, path, status, e.description)
    message = e.description or e.name
    headers: list[tuple[str, str]] = []
    valid = sorted(getattr(e, "valid_methods", None) or ())  # a set: sorted, the same every run
    if status == 405 and valid:
        allowed = ", ".join(m for m in valid if m not in ("HEAD", "OPTIONS"))
        message = f"{method} is not allowed on {path}; use {allowed}"
        headers.append(("Allow", ", ".join(valid)))
    if status == 401:  # RFC 6750 3: the scheme, and why a token sent was refused
        error = getattr(e, "bearer_error", None)
        headers.append(("WWW-Authenticate", 'Bearer realm="idlib-kg"' + (f', error="{error}"' if error else "")))
    if status == 503:
        headers.append(("Retry-After", "5"))
    content_type, body = _message_body(status, message, accept)
    # the body's type follows Accept, and a 404 may be cached: say so (RFC 9110 12.5.5)
    return status, [("Content-Type", content_type), ("Vary", "Accept"), *headers], body


def unexpected_answer(method: str, path: str, accept: MIMEAccept) -> Answer:
    """500 for a bug: logged with its traceback (call from an except block), no detail sent."""
    log.exception("unhandled error on %s %s", method, path)
    content_type, body = _message_body(500, InternalServerError.description, accept)
    return 500, [("Content-Type", content_type), ("Vary", "Accept")], body


def _message_body(status: int, message: str, accept: MIMEAccept) -> tuple[str, bytes]:
    if accept and "application/json" in accept.values() and \
            accept.best_match(["text/plain", "application/json"]) == "application/json":
        return "application/json", json.dumps({"status": status, "message": message}).encode()
    return "text/plain; charset=utf-8", (message.rstrip() + "\n").encode("utf-8")
