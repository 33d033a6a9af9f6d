"""Backend mode: the endpoint, pages and UI on top of an existing SPARQL 1.1 store.

`idlib-kg serve --backend URL` serves the same /sparql, dereferenceable pages, VoID, Service
Description and query page, but queries go to the store at URL (Virtuoso, the Oxigraph server,
any SPARQL 1.1 endpoint) instead of the embedded pyoxigraph store: the way to grow beyond one
machine. Load the data there first with `idlib-kg load --endpoint URL`.

Everything in front of the store stays ours and unchanged: protocol parsing, the safety checks
(SERVICE allow-list, updates refused on /sparql, body limit, unterminated strings),
negotiation and the row limit. RemoteBackend only replaces Executor behind the same
QueryBackend interface (run(QueryJob) -> QueryResult), so nothing above it is written twice.

Choices:
- Queries are forwarded as form POSTs (application/x-www-form-urlencoded): every store takes
  them, and Virtuoso 7 never answers an application/sparql-query body.
- Formats: the store is always asked for SPARQL XML results (SELECT/ASK) or N-Triples
  (CONSTRUCT/DESCRIBE); the answer is parsed with pyoxigraph and re-serialized by the same
  code the workers use (executor.serialize_results). No pass-through: every client format
  works whatever the store can write, the output is byte-for-byte the embedded server's style,
  and the row limit is applied (and reported in X-Idlib-Truncated) here. A store-side cut
  (Virtuoso's X-SPARQL-MaxRows) is reported as truncation too.
- Dataset: default-graph-uri / named-graph-uri are passed through. Without them (and without
  FROM in the query) the embedded store's default graph is the union of the named graphs; the
  store is asked for the same (--backend-union-default-graph): `auto` sends Oxigraph's
  `union-default-graph` parameter when the store says it is Oxigraph (Server header) and
  nothing otherwise (Virtuoso's default graph is already the union), `param` always sends it,
  `none` never does.
- Updates are never forwarded: /update stays off in backend mode (`serve` refuses
  --update-token with --backend). Write to the store directly, or with `idlib-kg load`.
- Time limit: the whole answer must arrive within --timeout seconds (connect: at most 3 s),
  else 503. The store is not told to stop (SPARQL has no cancel); configure its own limit
  (Virtuoso MaxQueryExecutionTime, oxigraph serve --timeout-s) to match.
- Unreachable store, 5xx, or an answer we cannot read: 502 naming the store and what to do.
  Nothing is remembered between requests, so the endpoint answers again as soon as the store
  does. The store's 400 (a query it does not accept) is a 400 with its message.
- Virtuoso-only syntax (DEFINE pragmas, the predeclared bif:/sql: prefixes that reach SQL) is
  refused with 400: the embedded endpoint would not parse it either.
- No ETag/304 and no result cache: the store's data can change without us knowing.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from dataclasses import replace
from urllib.parse import urlsplit

import requests
from pyoxigraph import QueryResultsFormat, RdfFormat, parse, parse_query_results

from idlib_kg.executor import (BackendUnavailable, QueryError, QueryJob, QueryResult, QueryTimeout,
                               ServerBusy, serialize_results)
from idlib_kg.safety import Names, expanded_iris, tokenize

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 3.0
MAX_ANSWER_BYTES = 200_000_000
RESULTS_ACCEPT = "application/sparql-results+xml"
GRAPH_ACCEPT = "application/n-triples, text/plain;q=0.9, text/turtle;q=0.8, application/rdf+xml;q=0.7"
RDF_TYPES = {"application/n-triples": RdfFormat.N_TRIPLES, "text/plain": RdfFormat.N_TRIPLES,
             "text/ntriples": RdfFormat.N_TRIPLES, "text/turtle": RdfFormat.TURTLE,
             "application/x-turtle": RdfFormat.TURTLE, "application/rdf+xml": RdfFormat.RDF_XML}
RESULT_TYPES = {"application/sparql-results+xml": QueryResultsFormat.XML,
                "application/xml": QueryResultsFormat.XML,
                "application/sparql-results+json": QueryResultsFormat.JSON,
                "application/json": QueryResultsFormat.JSON}
UNION_MODES = ("auto", "param", "none")
ABSOLUTE_IRI = re.compile(r"<[A-Za-z][A-Za-z0-9+.\-]*:")
#: IRI schemes Virtuoso maps to its SQL built-ins and stored procedures
VIRTUOSO_SQL_SCHEMES = ("bif", "sql")
#: the XPath function namespaces (current and draft), whose functions Virtuoso runs as SQL
XPATH_FUNCTIONS = ("http://www.w3.org/2005/xpath-functions", "http://www.w3.org/2004/07/xpath-functions")
#: a carriage return not followed by a line feed (see check_portable)
LONE_CR = re.compile(r"\r(?!\n)")

#: graphs a store keeps for itself, not data: Virtuoso's schema graph, the OWL and LDP
#: vocabularies it preloads, its activity-streams map, and (by pattern, below) its own
#: service-description and WebDAV graphs, named after its configured host
STORE_SYSTEM_GRAPHS = frozenset({
    "http://www.openlinksw.com/schemas/virtrdf#",
    "http://www.w3.org/2002/07/owl#",
    "http://www.w3.org/ns/ldp#",
    "urn:activitystreams-owl:map",
})
_STORE_SYSTEM_GRAPH = re.compile(r"http://[^/]+/(?:sparql|DAV/)")


def is_store_system_graph(iri: str) -> bool:
    """Is `iri` a graph the store behind --backend keeps for itself? Backend mode leaves these
    out of the Service Description, VoID and /graph/ (queries over Virtuoso's default graph,
    which is every graph, still see them). Never asked of the embedded store: a --load file may
    name any graph."""
    return iri in STORE_SYSTEM_GRAPHS or _STORE_SYSTEM_GRAPH.fullmatch(iri) is not None


def check_portable(query: str) -> None:
    """Refuse what is not SPARQL, as the embedded endpoint would, where the store reads it as
    something else (QueryError -> 400). Virtuoso:
    - reads `DEFINE ...` pragmas before a query (some make it fetch remote documents);
    - calls SQL functions for IRIs in its bif: and sql: schemes (bif:http_get fetches a URL),
      however they are written: `bif:f`, `<bif:f>`, `PREFIX b: <bif:>`;
    - maps XPath functions (fn:doc) to SQL procedures, and predeclares fn:, bif: and some
      forty other prefixes: an undeclared prefix is refused, as SPARQL and the embedded
      endpoint refuse it;
    - ends a `#` comment only at a line feed, where SPARQL also ends it at a carriage return:
      text after a lone CR would be a comment to the store and not to these checks.
    """
    if LONE_CR.search(query):
        raise QueryError("the query has a carriage return without a line feed after it; end lines "
                         "with LF or CRLF (in a string, write \\r)")
    toks = tokenize(query)
    for i, t in enumerate(toks):
        if t.kind == "word" and t.text.upper() == "DEFINE" and (i == 0 or toks[i - 1].kind != "pname"):
            raise QueryError("DEFINE is not SPARQL (a Virtuoso pragma) and is not accepted here; "
                             "remove it")
    names = Names()
    for iri in expanded_iris(toks, names):
        scheme, colon, _ = iri.partition(":")
        if colon and scheme.lower() in VIRTUOSO_SQL_SCHEMES:
            raise QueryError(f"{iri[:80]} names one of the store's SQL functions ({scheme}:), which "
                             "are not SPARQL and not reachable from here; use SPARQL's own functions")
        if iri.startswith(XPATH_FUNCTIONS):
            raise QueryError(f"{iri[:80]} is in the XPath functions' namespace, not SPARQL's (the "
                             "store runs them as SQL procedures); use SPARQL's built-in functions")
    if names.undeclared:
        missing = ", ".join(dict.fromkeys(f"{p}:" for p in names.undeclared))
        raise QueryError(f"the prefix {missing[:200]} is not declared; declare it with PREFIX (the "
                         "store's own predeclared prefixes are not used here, as SPARQL has none)")


def _excerpt(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text[:limit] + ("..." if len(text) > limit else "")


def _redact(url: str) -> str:
    """The URL without user:password (it goes into messages for clients)."""
    u = urlsplit(url)
    if u.username or u.password:
        host = u.hostname or ""
        netloc = f"{host}:{u.port}" if u.port else host
        return u._replace(netloc=netloc).geturl()
    return url


class RemoteBackend:
    """Runs QueryJobs on a SPARQL 1.1 store over HTTP. Thread-safe (one requests.Session)."""

    def __init__(self, url: str, *, timeout: float = 30.0, concurrency: int = 4,
                 user: str | None = None, password: str | None = None, auth: str = "digest",
                 union_default_graph: str = "auto"):
        if union_default_graph not in UNION_MODES:
            raise ValueError(f"union_default_graph must be one of {UNION_MODES}")
        self.url = url
        self.name = _redact(url)
        self.timeout = timeout
        self.union_mode = union_default_graph
        self.session = requests.Session()
        adapter = requests.adapters.HTTPAdapter(pool_connections=1, pool_maxsize=max(4, concurrency))
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        if user is not None:
            cls = requests.auth.HTTPDigestAuth if auth == "digest" else requests.auth.HTTPBasicAuth
            self.session.auth = cls(user, password or "")
        self._slots = threading.BoundedSemaphore(max(1, concurrency))
        self.concurrency = max(1, concurrency)
        self._server: str | None = None  # the store's Server header, once seen

    # -- what the store is
    @property
    def sends_union_param(self) -> bool:
        if self.union_mode == "param":
            return True
        if self.union_mode == "none":
            return False
        return "oxigraph" in (self._server or "").lower()

    def probe(self) -> str:
        """Ask the store `ASK {}` (start-up check); returns its Server header. Raises QueryError."""
        self._request(QueryJob("ASK {}"), union=False)
        return self._server or ""

    # -- QueryBackend
    def run(self, job: QueryJob) -> QueryResult:
        check_portable(job.query)
        if not self._slots.acquire(timeout=self.timeout):
            raise ServerBusy(f"all {self.concurrency} connections to the store stayed busy for "
                             f"{self.timeout:g} s; try again later")
        try:
            if self._server is None:  # learn what the store is before deciding on the union
                try:
                    self.probe()
                except QueryError:
                    pass  # reported by the real request below
            body, ctype, store_cut = self._request(job, union=True)
        finally:
            self._slots.release()
        result = self._reserialize(job, body, ctype)
        if store_cut and not result.truncated:
            result = replace(result, truncated=True)
        return result

    def close(self) -> None:
        self.session.close()

    # -- HTTP
    def _request(self, job: QueryJob, union: bool) -> tuple[bytes, str, bool]:
        params: list[tuple[str, str]] = []
        if job.default_graphs is not None or job.named_graphs is not None:
            params += [("default-graph-uri", g) for g in job.default_graphs or ()]
            params += [("named-graph-uri", g) for g in job.named_graphs or ()]
        elif union and job.union_default_graph and self.sends_union_param:
            params.append(("union-default-graph", ""))
        form = [("query", self._with_base(job)), *params]
        accept = f"{RESULTS_ACCEPT}, {GRAPH_ACCEPT}"
        started = time.monotonic()
        try:
            r = self.session.post(self.url, data=form, headers={"Accept": accept}, stream=True,
                                  timeout=(min(CONNECT_TIMEOUT, self.timeout), self.timeout))
        except requests.ConnectTimeout:
            raise BackendUnavailable(self._down(f"no connection within {CONNECT_TIMEOUT:g} s")) from None
        except requests.ReadTimeout:
            raise self._timeout() from None
        except requests.RequestException as e:
            raise BackendUnavailable(self._down(self._reason(e))) from None
        try:
            self._server = r.headers.get("Server", self._server or "")
            chunks, size = [], 0
            try:
                for chunk in r.iter_content(65536):
                    chunks.append(chunk)
                    size += len(chunk)
                    if size > MAX_ANSWER_BYTES:
                        raise BackendUnavailable(
                            f"the store at {self.name} answered with more than {MAX_ANSWER_BYTES:,} "
                            "bytes; add a LIMIT to the query")
                    if time.monotonic() - started > self.timeout:
                        raise self._timeout()
            except requests.exceptions.ConnectionError as e:
                if "timed out" in str(e).lower():
                    raise self._timeout() from None
                raise BackendUnavailable(self._down(self._reason(e))) from None
            except requests.RequestException as e:
                raise BackendUnavailable(self._down(self._reason(e))) from None
            body = b"".join(chunks)
        finally:
            r.close()
        status = r.status_code
        if status == 200:
            store_cut = bool(r.headers.get("X-SPARQL-MaxRows"))
            return body, r.headers.get("Content-Type", ""), store_cut
        text = _excerpt(body.decode("utf-8", "replace"))
        if status == 400:
            raise QueryError(f"the store refused the query (HTTP 400): {text}")
        if status in (401, 403):
            raise BackendUnavailable(
                f"the store at {self.name} refused our credentials (HTTP {status}); the operator "
                "should check --backend-user, --backend-password and --backend-auth")
        if status >= 500:
            raise BackendUnavailable(
                f"the store at {self.name} failed (HTTP {status}): {text}\nIf this persists, the "
                "operator should read the store's log.")
        raise BackendUnavailable(
            f"the store at {self.name} answered HTTP {status} {r.reason}: {text}\nThe operator should "
            "check that --backend is the store's SPARQL query URL (Virtuoso .../sparql, Oxigraph "
            ".../query).")

    def _with_base(self, job: QueryJob) -> str:
        """Relative IRIs resolve against the base IRI, as in embedded mode: say it as BASE
        (only when the query has a relative IRI, so the store's error positions stay right)."""
        if not job.base_iri or not any(t.kind == "iri" and not ABSOLUTE_IRI.match(t.text)
                                       for t in tokenize(job.query)):
            return job.query
        return f"BASE <{job.base_iri}> {job.query}"

    def _down(self, reason: str) -> str:
        return (f"the SPARQL store behind this endpoint ({self.name}) cannot be reached: {reason}. "
                "Try again shortly; if it persists the operator should start the store or check "
                "`idlib-kg serve --backend URL`. The endpoint recovers by itself when the store is back.")

    def _timeout(self) -> QueryTimeout:
        return QueryTimeout(f"query exceeded the {self.timeout:g} s time limit (the store at "
                            f"{self.name} did not answer in time); simplify the query or add a LIMIT")

    @staticmethod
    def _reason(e: Exception) -> str:
        text = str(e)
        for known in ("Connection refused", "Name or service not known", "Connection reset",
                      "RemoteDisconnected", "Max retries exceeded"):
            if known in text:
                return known.lower() if known != "Max retries exceeded" else "no answer"
        return type(e).__name__

    # -- formats
    def _reserialize(self, job: QueryJob, body: bytes, ctype: str) -> QueryResult:
        media = ctype.split(";")[0].strip().lower()
        try:
            if media in RESULT_TYPES:
                if RESULT_TYPES[media] == QueryResultsFormat.XML:
                    body = XML_BNODE.sub(_bnode_label, body)
                results = parse_query_results(body, RESULT_TYPES[media])
            elif media in RDF_TYPES:
                # QueryTriples cannot be built from Python; serialize_results only iterates it
                results = _Triples(q.triple for q in parse(body, format=RDF_TYPES[media]))
            else:
                raise BackendUnavailable(f"the store at {self.name} answered with Content-Type "
                                         f"{ctype or '(none)'}, which this endpoint cannot read")
            return serialize_results(results, job)
        except (SyntaxError, ValueError) as e:
            raise BackendUnavailable(f"the store at {self.name} sent an answer that does not parse "
                                     f"as {media}: {e}") from None


XML_BNODE = re.compile(rb"<bnode>([^<]*)</bnode>")
BNODE_LABEL = re.compile(rb"[A-Za-z0-9_](?:[A-Za-z0-9_.\-]*[A-Za-z0-9_\-])?")


def _bnode_label(m: re.Match) -> bytes:
    """Virtuoso labels blank nodes `nodeID://b10001`, which is no blank node label: encode
    such labels (one to one) so the answer parses; labels only matter within one answer."""
    label = m.group(1)
    if BNODE_LABEL.fullmatch(label):
        return m.group(0)
    return b"<bnode>x" + label.hex().encode() + b"</bnode>"


class _Triples:
    """Parsed triples standing in for pyoxigraph's QueryTriples (see serialize_results)."""

    def __init__(self, triples):
        self._it = iter(triples)

    def __iter__(self):
        return self._it
