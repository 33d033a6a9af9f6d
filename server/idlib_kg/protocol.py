"""The SPARQL 1.1 Protocol: /sparql (queries) and /update (off unless a token is configured).

Queries are answered by QueryEndpoint, a WSGI layer that create_app() puts below Flask (see
its docstring for why); the blueprint serves /sparql's Service Description and CORS preflight,
and /update.

/sparql accepts GET ?query=, POST application/x-www-form-urlencoded and POST
application/sparql-query, with default-graph-uri / named-graph-uri (with neither, and no FROM in
the query, the default graph is the union of the named graphs). Errors are text/plain with a
message for people: 400 malformed query (the parser's message) or bad parameters, 405 wrong
method, 406 no acceptable format, 413 body over the limit, 415 wrong POST content type, 503
time limit exceeded or all workers busy, 502 the store behind the endpoint (`serve --backend`)
failed or is unreachable. An update sent to /sparql is a 400 and never reaches
the store. GET without a query returns the Service Description. Request bodies are UTF-8: a
Content-Type declaring another charset (e.g. charset=UTF-16) is a 415.

/update takes using-graph-uri / using-named-graph-uri by rewriting them into USING / USING
NAMED clauses (safety.add_using; 400 when the update has USING or WITH of its own) and answers
204 with no Content-Type.

Response headers on results: ETag (data version + query with comments and whitespace runs
normalized away + format + dataset; also the result cache's key), Cache-Control
no-cache (revalidate with If-None-Match -> 304), X-Idlib-Rows (rows or triples returned),
X-Idlib-Truncated (true when the result was cut at X-Idlib-Row-Limit rows; never silent).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl

from flask import Blueprint, Response, current_app, request
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import (BadGateway, BadRequest, Forbidden, HTTPException,
                                 NotAcceptable as HTTPNotAcceptable, ServiceUnavailable,
                                 Unauthorized, UnsupportedMediaType)
from werkzeug.http import HTTP_STATUS_CODES
from werkzeug.wrappers import Request
from werkzeug.wsgi import get_input_stream

from idlib_kg import description
from idlib_kg.cache import CACHEABLE
from idlib_kg.errors import Answer, error_answer, unexpected_answer
from idlib_kg.executor import QueryError, QueryJob, QuerySyntaxError
from idlib_kg.negotiation import BadFormat, NotAcceptable, choose_from_header, from_request
from idlib_kg.safety import (UnsafeQuery, UpdateDatasetConflict, add_using, check_loads,
                             check_services, inspect)

if TYPE_CHECKING:
    from idlib_kg.app import Runtime

log = logging.getLogger(__name__)

bp = Blueprint("sparql", __name__)

FORM = "application/x-www-form-urlencoded"
SPARQL_QUERY = "application/sparql-query"
SPARQL_UPDATE = "application/sparql-update"
UPDATE_HINT = ("send updates to /update (POST, application/sparql-update or form parameter "
               "`update`), which is off unless the server runs with --update-token")

# Refused before parsing so the SERVICE check never depends on where a quote ends (safety.py).
UNTERMINATED = "the query is not valid SPARQL: a string literal is opened but never closed"


@dataclass
class ProtocolRequest:
    query: str
    default_graphs: tuple[str, ...] | None
    named_graphs: tuple[str, ...] | None
    format: str | None


def _runtime():
    return current_app.extensions["idlib_kg"]


def _single(params: MultiDict, name: str) -> str | None:
    values = params.getlist(name)
    if len(values) > 1:
        raise BadRequest(f"the `{name}` parameter was given {len(values)} times; give it once")
    return values[0] if values else None


def parse_query_request(req: Request, max_body: int) -> ProtocolRequest | None:
    """The query and dataset of a /sparql request, or None when there is no query (GET).
    Reads the body (at most max_body bytes, else 413) of a POST; raises HTTPException for
    what the protocol does not allow."""
    args = query_string(req.environ)
    if req.method != "POST":
        params = args
        query = _single(params, "query")
    else:
        mimetype = req.mimetype
        if mimetype in (FORM, SPARQL_QUERY):
            _require_utf8(req.mimetype_params)
        if mimetype == FORM:
            body = get_input_stream(req.environ, max_content_length=max_body).read()
            params = MultiDict(form_pairs(body, "the form body") + list(args.items(multi=True)))
            query = _single(params, "query")
            if query is None and "update" not in params:
                raise BadRequest("the form has no `query` parameter")
        elif mimetype == SPARQL_QUERY:
            params = args
            if "query" in params:
                raise BadRequest("a query was sent both as the request body and as a `query` parameter")
            query = utf8(get_input_stream(req.environ, max_content_length=max_body).read(), "the request body")
        elif mimetype == SPARQL_UPDATE:
            raise BadRequest("this is a SPARQL Update and /sparql answers queries only; " + UPDATE_HINT)
        else:
            raise UnsupportedMediaType(
                f"POST to /sparql with Content-Type {mimetype or '(none)'} is not understood; use "
                f"{FORM} (query=...) or {SPARQL_QUERY} (the query as the body)")
    if "update" in params:
        raise BadRequest("an `update` parameter was sent to /sparql, which answers queries only; "
                         + UPDATE_HINT)
    if query is None:
        return None
    if not query.strip():
        raise BadRequest("the query is empty")
    dg = params.getlist("default-graph-uri")
    ng = params.getlist("named-graph-uri")
    given = bool(dg or ng)
    return ProtocolRequest(query, tuple(dg) if given else None, tuple(ng) if given else None,
                           _single(params, "format"))


UTF8_CHARSETS = ("utf-8", "utf8", "us-ascii", "ascii")


def utf8(data: bytes, what: str) -> str:
    """Bytes of a request as UTF-8, or 400: replacing what does not decode would run (or
    write) something else than the client sent."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise BadRequest(f"{what} is not UTF-8 (byte 0x{data[e.start]:02X} at offset {e.start}); "
                         "SPARQL requests are UTF-8: re-encode it") from None


def form_pairs(raw: bytes, what: str) -> list[tuple[str, str]]:
    """URL-encoded name=value pairs, percent-decoded as strict UTF-8.

    werkzeug keeps a sequence that is not UTF-8 as the literal text ("%E9" from a Latin-1
    client), so the query run would silently differ from the one sent. The standard
    library's parser with errors="strict" says so instead.
    """
    try:
        return parse_qsl(utf8(raw, what), keep_blank_values=True, errors="strict")
    except UnicodeDecodeError:
        raise BadRequest(f"{what} has percent-encoded bytes that are not UTF-8 (a Latin-1 %E9 for "
                         "é?); percent-encode the UTF-8 bytes of the text (é is %C3%A9)") from None


def query_string(environ: dict) -> MultiDict:
    """The URL's parameters (WSGI gives the raw bytes as a Latin-1 string)."""
    return MultiDict(form_pairs(environ.get("QUERY_STRING", "").encode("latin-1"), "the query string"))


def _require_utf8(options: dict[str, str]) -> None:
    """415 for a body declared in another charset (the protocol's bodies are UTF-8).

    Refused rather than decoded: a UTF-16 query decoded as UTF-8 would be garbage or, worse,
    a different query. US-ASCII is a subset of UTF-8 (and what a percent-encoded form is).
    """
    charset = options.get("charset")
    if charset is not None and charset.strip().strip('"').lower() not in UTF8_CHARSETS:
        raise UnsupportedMediaType(
            f"the request body is declared as charset={charset}; this endpoint reads SPARQL "
            "request bodies as UTF-8 only: re-encode the body as UTF-8 and send charset=utf-8 "
            "(or no charset)")


def _no_content() -> Response:
    """204 with no Content-Type (Flask would label the empty body text/html)."""
    resp = Response(status=204)
    del resp.headers["Content-Type"]
    return resp


def http_error(e: QueryError) -> HTTPException:
    """The HTTP error for a failed query: 400 for the query's fault, 502/503 for the store's."""
    if isinstance(e, QuerySyntaxError):
        return BadRequest(f"the query is not valid SPARQL: {e}")
    if e.status == 503:
        return ServiceUnavailable(str(e))
    if e.status == 502:
        return BadGateway(str(e))
    return BadRequest(str(e))


def _etag(*parts: object) -> str:
    h = hashlib.sha256("\x1f".join(map(str, parts)).encode())
    return h.hexdigest()[:32]


@bp.route("/sparql", methods=["GET", "POST", "OPTIONS"])
def sparql():
    """What QueryEndpoint hands on: the preflight, and GET without a query (the Service
    Description). Every request with a query is answered there, below Flask."""
    if request.method == "OPTIONS":
        return _preflight()
    return service_description()


class QueryEndpoint:
    """WSGI middleware that answers /sparql's queries before Flask sees them.

    A query's answer depends on nothing Flask adds (no session, no routing beyond the path,
    no templates), and Flask's request context, form stream and response object cost about
    200 µs a request: as much as the trivial query itself. So queries are parsed with
    werkzeug's functions on the environ and answered with a plain header list; everything
    else (the description, the preflight, other paths and methods) goes on to the app.
    Errors are rendered by errors.py, as the app's own error handlers render them.
    """

    def __init__(self, app: Callable, runtime: Runtime) -> None:
        self.app = app
        self.runtime = runtime

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        method = environ["REQUEST_METHOD"]
        if environ.get("PATH_INFO") != "/sparql" or method not in ("GET", "HEAD", "POST"):
            return self.app(environ, start_response)
        req = Request(environ)
        try:
            parsed = parse_query_request(req, self.runtime.settings.max_body_bytes)
            if parsed is None:
                return self.app(environ, start_response)
            status, headers, body = self.answer(req, parsed)
        except HTTPException as e:
            status, headers, body = error_answer(e, method, "/sparql", req.accept_mimetypes)
        except Exception:  # noqa: BLE001 - a bug answers 500, logged; the server goes on
            status, headers, body = unexpected_answer(method, "/sparql", req.accept_mimetypes)
        headers.append(("Content-Length", str(len(body))))
        headers.extend(CORS_HEADERS)
        start_response(f"{status} {HTTP_STATUS_CODES[status]}", headers)
        return [] if method == "HEAD" else [body]

    def answer(self, req: Request, parsed: ProtocolRequest) -> Answer:
        rt = self.runtime
        found = inspect(parsed.query, base=rt.settings.base_iri)
        if found.unterminated:
            raise BadRequest(UNTERMINATED)
        if found.is_update:
            raise BadRequest(f"this is a SPARQL Update ({found.update_keyword}) and /sparql answers "
                             f"queries only; " + UPDATE_HINT)
        try:
            check_services(found, rt.settings.allow_service)
            choice = choose_from_header(found.form or "SELECT", req.environ.get("HTTP_ACCEPT"),
                                        parsed.format)
        except (UnsafeQuery, BadFormat) as e:
            raise BadRequest(str(e)) from None
        except NotAcceptable as e:
            raise HTTPNotAcceptable(str(e)) from None

        graph_form = found.form in ("CONSTRUCT", "DESCRIBE")
        job = QueryJob(parsed.query,
                       result_format="json" if graph_form else choice.key,
                       graph_format=choice.key if graph_form else "turtle",
                       default_graphs=parsed.default_graphs, named_graphs=parsed.named_graphs,
                       union_default_graph=not found.has_dataset_clause, max_rows=rt.settings.max_rows,
                       base_iri=rt.settings.base_iri)
        version = rt.data_version  # None in backend mode: the store changes without telling us
        # keyed by the normalized text: a comment or different spacing is the same query
        tag = _etag(version, found.normalized, job.result_format, job.graph_format, job.default_graphs,
                    job.named_graphs, job.union_default_graph, job.max_rows,
                    job.base_iri) if version is not None else None
        if tag is not None and req.if_none_match.contains_weak(tag):
            return 304, [("ETag", f'"{tag}"'), *RESULT_HEADERS], b""
        result = rt.cache.get(tag) if tag is not None else None
        if result is None:
            try:
                result = rt.executor.run(job)
            except QueryError as e:
                raise http_error(e) from None
            if tag is not None and rt.data_version == version:
                rt.cache.put(tag, result, len(result.body))
        headers = [("Content-Type", choice.content_type),
                   ("X-Idlib-Rows", str(result.rows)),
                   ("X-Idlib-Truncated", "true" if result.truncated else "false"),
                   ("X-Idlib-Row-Limit", str(rt.settings.max_rows)), *RESULT_HEADERS]
        if tag is not None:
            headers.append(("ETag", f'"{tag}"'))  # hex digits: nothing to escape
            req.environ[CACHEABLE] = True
        return 200, headers, result.body


#: on every answer to a query: revalidate before reuse (If-None-Match -> 304); varies by Accept
RESULT_HEADERS = (("Cache-Control", "no-cache"), ("Vary", "Accept"))


def _result_headers(resp: Response) -> Response:
    resp.headers.extend(RESULT_HEADERS)  # a new response: nothing else set these
    return resp


def service_description() -> Response:
    rt = _runtime()
    choice = from_request(description.DESCRIPTION_FORMATS)
    endpoint = request.base_url
    update_endpoint = request.url_root + "update" if rt.settings.update_enabled else None
    graphs = rt.graph_counts()
    if choice.key == "html":
        from idlib_kg.linkeddata import local_href  # linkeddata imports this module
        html = description.render_html(endpoint, graphs, request.url_root, update_endpoint,
                                       graph_href=local_href)
        return _result_headers(Response(html, content_type="text/html; charset=utf-8"))
    triples = description.describe(endpoint, graphs, update_endpoint=update_endpoint,
                                   federated=bool(rt.settings.allow_service))
    body = description.serialize_description(triples, choice.format)
    return _result_headers(Response(body, content_type=choice.content_type))


def _preflight() -> Response:
    resp = _no_content()
    resp.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
    resp.headers["Access-Control-Allow-Headers"] = "Accept, Content-Type, Authorization, If-None-Match"
    resp.headers["Access-Control-Max-Age"] = "86400"
    return resp


#: on every answer. Error messages echo the query text: nosniff keeps a browser from reading a
#: text/plain answer as HTML.
CORS_HEADERS = (
    ("Access-Control-Allow-Origin", "*"),
    ("Access-Control-Expose-Headers", "ETag, X-Idlib-Rows, X-Idlib-Truncated, X-Idlib-Row-Limit, X-Idlib-Cache"),
    ("X-Content-Type-Options", "nosniff"),
)


@bp.after_app_request
def cors(resp: Response) -> Response:
    for name, value in CORS_HEADERS:
        resp.headers[name] = value
    return resp


# --------------------------------------------------------------------------- /update

class InvalidToken(Unauthorized):
    """A bearer token that is not the server's: 401 with error="invalid_token" (RFC 6750 3.1)."""

    bearer_error = "invalid_token"


@bp.route("/update", methods=["POST", "OPTIONS"])
def update():
    if request.method == "OPTIONS":
        return _preflight()
    rt = _runtime()
    if rt.backend_mode:
        raise Forbidden("this server answers from another store (backend mode) and takes no "
                        "updates: send them to that store's own update endpoint")
    if not rt.settings.update_enabled:
        raise Forbidden("updates are disabled on this server; the operator can enable /update with "
                        "`idlib-kg serve --update-token TOKEN` (or IDLIB_KG_UPDATE_TOKEN)")
    auth = request.headers.get("Authorization", "")
    scheme, _, token = auth.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("updates need `Authorization: Bearer TOKEN`")
    # WSGI hands header bytes over decoded as Latin-1: back to the bytes sent, then compared
    # with the token as UTF-8 (what clients send for a token beyond ASCII)
    sent = token.strip().encode("latin-1", "replace")
    if not hmac.compare_digest(sent, rt.settings.update_token.encode()):
        raise InvalidToken("the update token is wrong: send the token the server was started with")
    if request.mimetype in (SPARQL_UPDATE, FORM):
        _require_utf8(request.mimetype_params)
    params = query_string(request.environ)
    if request.mimetype == SPARQL_UPDATE:
        text = utf8(request.get_data(), "the update body")
    elif request.mimetype == FORM:
        form = MultiDict(form_pairs(request.get_data(), "the form body"))
        params = MultiDict(list(form.items(multi=True)) + list(params.items(multi=True)))
        text = _single(form, "update")
        if _single(form, "query") is not None:
            raise BadRequest("a `query` parameter was sent to /update; send queries to /sparql")
        if text is None:
            raise BadRequest("the form has no `update` parameter")
    else:
        raise UnsupportedMediaType(f"POST to /update needs {SPARQL_UPDATE} or {FORM} (update=...)")
    found = inspect(text, base=rt.settings.base_iri)
    if found.unterminated:
        raise BadRequest(UNTERMINATED.replace("query", "update"))
    if not found.is_update:
        if found.prologue_only:  # the grammar allows no operation: nothing to do, nothing changes
            return _no_content()
        raise BadRequest("this is not a SPARQL Update; send queries to /sparql")
    try:
        check_services(found, rt.settings.allow_service)
        check_loads(found, rt.settings.allow_load)
    except UnsafeQuery as e:
        raise BadRequest(str(e)) from None
    using, using_named = params.getlist("using-graph-uri"), params.getlist("using-named-graph-uri")
    if using or using_named:
        try:
            text = add_using(text, using, using_named)
        except UpdateDatasetConflict as e:
            raise BadRequest(str(e)) from None
    try:
        rt.apply_update(text)
    except QuerySyntaxError as e:
        raise BadRequest(f"the update is not valid SPARQL: {e}") from None
    except QueryError as e:
        raise http_error(e) from None
    return _no_content()
