"""`idlib-kg load`: push the dataset into any SPARQL 1.1 triple store over HTTP.

Order of attempts (--protocol auto):
1. Graph Store Protocol (GSP): per named graph, the first chunk is PUT (replacing the graph, so
   loading twice gives the same store) and the rest POSTed. The GSP URL is --gsp-endpoint, or
   guessed from the store: Virtuoso (recognised by its Server header) uses
   /sparql-graph-crud-auth?graph-uri=G with credentials (/sparql-graph-crud without), Oxigraph
   and others /store?graph=G, then the endpoint itself with ?graph=G (SPARQL 1.1 GSP).
2. SPARQL Update as the fallback (a GSP URL answering 404/405/501): DROP SILENT GRAPH, then
   INSERT DATA in batches (--batch, default 500 triples: Virtuoso fails above ~1,100 per request).
   The update URL is --update-endpoint, or /update next to a /query endpoint (Oxigraph),
   /sparql-auth for Virtuoso with credentials, else the endpoint itself.

Store habits handled here:
- Chunks: GSP bodies are N-Triples (sent as text/turtle, which every store reads) cut at line
  boundaries into pieces of at most --chunk-mb (default 5 MB): Virtuoso hangs on uploads over
  about 10 MB.
- Blank nodes (the ontology's OWL restrictions and lists) stay blank nodes where one request
  carries all of them: Graph Store uploads of one chunk a graph, no blank node shared by two
  graphs. Otherwise (--skolemize auto, the default) they are skolemized to
  https://w3id.org/idlib-kg/.well-known/genid/<label> (RDF 1.1 Concepts 3.5), with labels from
  RDFC-1.0 canonicalization: a blank node split over two requests would become two nodes, and
  Virtuoso rejects blank nodes in INSERT DATA. Loading twice gives the same IRIs. --skolemize
  always does it for every load (stable IRIs for the store's blank nodes); never refuses a load
  that would split one.
- Auth: --auth digest (default; Virtuoso's GSP endpoint wants HTTP Digest) or basic.
- The union default graph: nothing is copied into the store's default graph. Virtuoso's default
  graph (no FROM) is already the union of all graphs; with Oxigraph ask /query with
  `union-default-graph` (or start it with --union-default-graph), so queries written for the
  embedded store answer the same. Use --graph IRI to put everything into one graph instead.

A refusal (HTTP 4xx/5xx) stops the load with the status, an excerpt of the store's answer and
what to do; exit code 1. Exit 2 for bad options or unreadable data. Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator
from urllib.parse import urlsplit, urlunsplit

import requests
from pyoxigraph import BlankNode, NamedNode, Quad, Triple

from idlib_kg.config import positive_float, positive_int

SKOLEM_BASE = "https://w3id.org/idlib-kg/.well-known/genid/"
DEFAULT_CHUNK_BYTES = 5_000_000
DEFAULT_BATCH = 500
UNSUPPORTED = (404, 405, 501)
SKOLEMIZE = ("auto", "always", "never")


class LoadError(Exception):
    """The store refused or could not be reached; the message says what to do."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


@dataclass
class Target:
    endpoint: str
    graph: str | None = None
    user: str | None = None
    password: str | None = None
    auth: str = "digest"
    protocol: str = "auto"
    gsp_endpoint: str | None = None
    update_endpoint: str | None = None
    chunk_bytes: int = DEFAULT_CHUNK_BYTES
    batch: int = DEFAULT_BATCH
    timeout: float = 600.0
    token: str | None = None             # Authorization: Bearer (an idlib-kg /update, for one)
    skolemize: str = "auto"              # auto, always or never (module docstring)

    def __post_init__(self) -> None:
        if self.skolemize not in SKOLEMIZE:
            raise ValueError(f"skolemize={self.skolemize!r}: use one of {', '.join(SKOLEMIZE)}")
    progress: Callable[[str], None] = field(default=lambda msg: print(msg, file=sys.stderr, flush=True))


def skolemize(term):
    if isinstance(term, BlankNode):
        return NamedNode(SKOLEM_BASE + term.value)
    return term


def graphs_to_load(quads: list[Quad], single_graph: str | None, skolem: bool = True) -> dict[str, list[str]]:
    """graph IRI -> sorted N-Triples lines (blank nodes skolemized when `skolem`). With
    single_graph, the union goes there."""
    out: dict[str, set[str]] = {}
    for q in quads:
        t = Triple(skolemize(q.subject), q.predicate, skolemize(q.object)) if skolem else q.triple
        g = single_graph or (q.graph_name.value if isinstance(q.graph_name, NamedNode) else None)
        if g is None:
            raise LoadError("the dataset has default-graph triples; give --graph IRI to say where they go")
        out.setdefault(g, set()).add(f"{t.subject} {t.predicate} {t.object} .\n")
    return {g: sorted(lines) for g, lines in sorted(out.items())}


def blank_nodes_split(quads: list[Quad], graphs: dict[str, list[str]], single_graph: str | None,
                      max_bytes: int) -> str | None:
    """Why uploading `graphs` (the unskolemized lines of `quads`) would split a blank node, or
    None if it would not: a graph with blank nodes cut into several chunks, or a blank node in
    two graphs."""
    owner: dict[str, str] = {}
    with_blanks: set[str] = set()
    for q in quads:
        g = single_graph or q.graph_name.value
        for term in (q.subject, q.object):
            if isinstance(term, BlankNode):
                with_blanks.add(g)
                if owner.setdefault(term.value, g) != g:
                    return f"blank node _:{term.value} is in graphs <{owner[term.value]}> and <{g}>"
    for g in sorted(with_blanks):
        if sum(1 for _ in chunks(graphs[g], max_bytes)) > 1:
            return f"graph <{g}> has blank nodes and goes in several chunks"
    return None


def chunks(lines: list[str], max_bytes: int) -> Iterator[list[str]]:
    """Cut at line boundaries into pieces of at most max_bytes (a single longer line goes alone)."""
    piece: list[str] = []
    size = 0
    for line in lines:
        n = len(line.encode("utf-8"))
        if piece and size + n > max_bytes:
            yield piece
            piece, size = [], 0
        piece.append(line)
        size += n
    if piece:
        yield piece


def _excerpt(text: str, limit: int = 400) -> str:
    text = " ".join(text.split())
    return text[:limit] + ("..." if len(text) > limit else "")


def _hint(status: int, protocol: str, token: bool = False) -> str:
    if status == 401 and token:  # idlib-kg answers a wrong token 401 (RFC 6750); 403 is "no updates here"
        return ("the bearer token was not accepted: check --token (or IDLIB_KG_STORE_TOKEN) "
                "against the token the store was started with")
    if status == 401:
        return ("the store wants credentials: give --user and --password, and check --auth "
                "(Virtuoso's /sparql-graph-crud-auth wants digest), or --token for a bearer "
                "token (an idlib-kg /update)")
    if status == 403:
        return ("the store refused the write: use an account with write rights (Virtuoso: dba, "
                "or GRANT SPARQL_UPDATE TO \"SPARQL\" for anonymous updates); an idlib-kg server "
                "on its own store takes updates only when started with --update-token T, given "
                "here as --token T (one in backend mode takes none: load the store behind it)")
    if status == 413:
        return "the request was too large: lower --chunk-mb (GSP) or --batch (update)"
    if status in UNSUPPORTED and protocol == "update":
        return "this URL does not take SPARQL updates: give the store's update URL with --update-endpoint"
    if status in UNSUPPORTED:
        return ("this URL does not take that request: give --gsp-endpoint or --update-endpoint, "
                "or --protocol update")
    if status >= 500:
        return ("the store failed while loading: read its log; for Virtuoso lower --batch (INSERT "
                "DATA fails above ~1,100 triples) or --chunk-mb")
    return f"the store rejected the {protocol} request; read its answer above"


def _is_ask_answer(r: requests.Response) -> bool:
    try:
        return isinstance(r.json().get("boolean"), bool)
    except (ValueError, AttributeError):  # not JSON, or JSON that is not an object
        return False


class Loader:
    def __init__(self, target: Target, session: requests.Session | None = None):
        self.t = target
        self.session = session or requests.Session()
        # Credentials go out as UTF-8 bytes: requests would encode text as Latin-1, and fail on
        # a token or password with, say, a Turkish letter (RFC 7617 names UTF-8 for Basic).
        if target.user is not None:
            if target.auth == "digest":
                self.session.auth = requests.auth.HTTPDigestAuth(target.user, target.password or "")
            else:
                self.session.auth = requests.auth.HTTPBasicAuth(target.user.encode(),
                                                                (target.password or "").encode())
        if target.token is not None:
            self.session.headers["Authorization"] = b"Bearer " + target.token.encode()
        self.server_header = ""

    # -- discovery
    def probe(self) -> None:
        try:
            r = self.session.get(self.t.endpoint, params={"query": "ASK {}"},
                                 headers={"Accept": "application/sparql-results+json"},
                                 timeout=self.t.timeout)
        except requests.RequestException as e:
            raise LoadError(f"cannot reach {self.t.endpoint}: {e}; is the store running, and is "
                            "--endpoint its SPARQL query URL?") from None
        self.server_header = r.headers.get("Server", "")
        # Whatever answers 200 to a GET would otherwise take the uploads too ("done" into a
        # plain web server), and a 5xx is no store ready to load; a store that wants
        # credentials for queries (401, 403) is left to say so later.
        if r.status_code not in (200, 401, 403) or (r.status_code == 200 and not _is_ask_answer(r)):
            raise LoadError(f"{self.t.endpoint} did not answer a SPARQL ASK (HTTP {r.status_code}, "
                            f"{r.headers.get('Content-Type', 'no content type')}): is --endpoint the "
                            "store's SPARQL query URL?")

    @property
    def is_virtuoso(self) -> bool:
        return "virtuoso" in self.server_header.lower()

    def _sibling(self, path: str) -> str:
        u = urlsplit(self.t.endpoint)
        parent = u.path.rsplit("/", 1)[0]
        return urlunsplit((u.scheme, u.netloc, parent + path, "", ""))

    def gsp_candidates(self) -> list[tuple[str, str]]:
        """(URL, name of the graph parameter) to try, best guess first."""
        if self.t.gsp_endpoint:
            param = "graph-uri" if "graph-crud" in self.t.gsp_endpoint else "graph"
            return [(self.t.gsp_endpoint, param)]
        if self.is_virtuoso:
            path = "/sparql-graph-crud-auth" if self.t.user else "/sparql-graph-crud"
            return [(self._sibling(path), "graph-uri")]
        u = urlsplit(self.t.endpoint)
        found = [(self._sibling("/store"), "graph"), (self._sibling("/data"), "graph"),
                 (urlunsplit((u.scheme, u.netloc, u.path, "", "")), "graph")]
        return list(dict.fromkeys(found))

    def update_url(self) -> str:
        if self.t.update_endpoint:
            return self.t.update_endpoint
        path = urlsplit(self.t.endpoint).path
        if path.endswith("/query"):
            return self._sibling("/update")
        if self.is_virtuoso and self.t.user and path.endswith("/sparql"):
            return self._sibling("/sparql-auth")
        if self.server_header.lower().startswith("idlib-kg") and path.endswith("/sparql"):
            return self._sibling("/update")  # our own server takes updates beside its queries
        return self.t.endpoint

    # -- requests
    def _send(self, method: str, url: str, protocol: str, **kw) -> requests.Response:
        try:
            return self.session.request(method, url, timeout=self.t.timeout, **kw)
        except requests.Timeout:
            raise LoadError(f"{protocol} {method} {url}: no answer in {self.t.timeout:g} s; the store may "
                            "hang on large uploads: lower --chunk-mb") from None
        except requests.RequestException as e:
            raise LoadError(f"{protocol} {method} {url}: {e}") from None

    def _refused(self, r: requests.Response, protocol: str, what: str) -> LoadError:
        return LoadError(f"the store refused {what}: HTTP {r.status_code} {r.reason} from "
                         f"{r.request.method} {r.url}\n  answer: {_excerpt(r.text)}\n  what to do: "
                         f"{_hint(r.status_code, protocol, self.t.token is not None)}", r.status_code)

    # -- Graph Store Protocol
    def load_gsp(self, graphs: dict[str, list[str]], url: str, param: str) -> None:
        total = sum(len(v) for v in graphs.values())
        done = 0
        for g, lines in graphs.items():
            pieces = list(chunks(lines, self.t.chunk_bytes))
            for i, piece in enumerate(pieces):
                method = "PUT" if i == 0 else "POST"
                r = self._send(method, url, "GSP", params={param: g}, data="".join(piece).encode("utf-8"),
                               headers={"Content-Type": "text/turtle; charset=utf-8"})
                if r.status_code not in (200, 201, 204):
                    raise self._refused(r, "GSP", f"graph <{g}> (chunk {i + 1}/{len(pieces)})")
                done += len(piece)
                self.t.progress(f"idlib-kg load: <{g}> chunk {i + 1}/{len(pieces)} "
                                f"({done:,}/{total:,} triples, GSP {method})")

    # -- SPARQL Update
    def load_update(self, graphs: dict[str, list[str]], url: str) -> None:
        total = sum(len(v) for v in graphs.values())
        done = 0
        for g, lines in graphs.items():
            self._update(url, f"DROP SILENT GRAPH <{g}>", f"dropping <{g}>")
            batches = [lines[i:i + self.t.batch] for i in range(0, len(lines), self.t.batch)]
            for i, batch in enumerate(batches):
                body = f"INSERT DATA {{ GRAPH <{g}> {{\n{''.join(batch)}}} }}"
                self._update(url, body, f"INSERT DATA batch {i + 1}/{len(batches)} into <{g}>")
                done += len(batch)
                self.t.progress(f"idlib-kg load: <{g}> batch {i + 1}/{len(batches)} "
                                f"({done:,}/{total:,} triples, INSERT DATA)")

    def _update(self, url: str, text: str, what: str) -> None:
        r = self._send("POST", url, "update", data=text.encode("utf-8"),
                       headers={"Content-Type": "application/sparql-update; charset=utf-8"})
        if r.status_code not in (200, 201, 204):
            raise self._refused(r, "update", what)

    # -- both
    def load(self, quads: list[Quad]) -> str:
        """Load; returns the protocol used ("gsp" or "update")."""
        self.probe()
        started = time.monotonic()
        skolemized = graphs_to_load(quads, self.t.graph)
        total = sum(len(v) for v in skolemized.values())
        self.t.progress(f"idlib-kg load: {total:,} triples in {len(skolemized)} graph(s) -> {self.t.endpoint}"
                        + (f" ({self.server_header})" if self.server_header else ""))
        used = None
        if self.t.protocol in ("auto", "gsp"):
            graphs = self._gsp_graphs(quads, skolemized)
            for url, param in self.gsp_candidates():
                try:
                    self.load_gsp(graphs, url, param)
                    used = "gsp"
                    break
                except LoadError as e:
                    if e.status not in UNSUPPORTED:
                        raise
                    self.t.progress(f"idlib-kg load: {url} answered HTTP {e.status}: no Graph Store "
                                    "there; trying the next way")
        if used is None:
            if self.t.protocol == "gsp":
                raise LoadError("no Graph Store endpoint found; give --gsp-endpoint or --protocol update")
            if any(isinstance(t, BlankNode) for q in quads for t in (q.subject, q.object)):
                if self.t.skolemize == "never":
                    raise LoadError("SPARQL Update cannot carry blank nodes across INSERT DATA batches "
                                    "(each batch would make new ones): load with --skolemize auto")
                self.t.progress("idlib-kg load: blank nodes skolemized: SPARQL Update's INSERT DATA "
                                "batches cannot share them")
            self.load_update(skolemized, self.update_url())
            used = "update"
        self.t.progress(f"idlib-kg load: done, {total:,} triples via {used} in {time.monotonic() - started:.1f} s")
        return used

    def _gsp_graphs(self, quads: list[Quad], skolemized: dict[str, list[str]]) -> dict[str, list[str]]:
        """The lines to upload with the Graph Store Protocol: blank nodes kept unless that
        would split one (module docstring)."""
        if self.t.skolemize == "always":
            return skolemized
        plain = graphs_to_load(quads, self.t.graph, skolem=False)
        why = blank_nodes_split(quads, plain, self.t.graph, self.t.chunk_bytes)
        if why is None:
            return plain
        if self.t.skolemize == "never":
            fix = "load with --graph IRI (one graph)" if "in graphs" in why else "raise --chunk-mb"
            raise LoadError(f"the upload would split blank nodes ({why}): {fix}, or load with --skolemize auto")
        self.t.progress(f"idlib-kg load: blank nodes skolemized: {why}")
        return skolemized


def load_into(target: Target, extra_files: list[Path] | tuple[Path, ...] = ()) -> str:
    from idlib_kg.export import canonical_quads, faithful_dataset
    return Loader(target).load(canonical_quads(faithful_dataset(extra_files)))


# --------------------------------------------------------------------------- `idlib-kg load`

def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "load", help="push the dataset into a SPARQL 1.1 store (Graph Store Protocol or Update)",
        description=__doc__.split("\n\n")[0] + " Graph Store Protocol first, SPARQL Update "
                    "INSERT DATA as the fallback. Exit codes: 0 loaded, 1 the store refused or "
                    "could not be reached, 2 bad options or data.")
    p.add_argument("--endpoint", required=True, metavar="URL",
                   help="the store's SPARQL query URL (Virtuoso http://host:8890/sparql, "
                        "Oxigraph http://host:7878/query)")
    p.add_argument("--graph", metavar="IRI", help="load everything into this one graph "
                   "(default: each named graph under its own name)")
    p.add_argument("--user", metavar="U")
    p.add_argument("--password", metavar="P", help="(or set IDLIB_KG_STORE_PASSWORD)")
    p.add_argument("--auth", choices=("digest", "basic"), default="digest", help="HTTP auth scheme (default digest)")
    p.add_argument("--token", metavar="T", help="send Authorization: Bearer T (an idlib-kg /update "
                                                "takes its --update-token so; or set IDLIB_KG_STORE_TOKEN)")
    p.add_argument("--protocol", choices=("auto", "gsp", "update"), default="auto")
    p.add_argument("--gsp-endpoint", metavar="URL", help="Graph Store Protocol URL (default: guessed)")
    p.add_argument("--update-endpoint", metavar="URL", help="SPARQL Update URL (default: guessed)")
    p.add_argument("--chunk-mb", type=positive_float, default=DEFAULT_CHUNK_BYTES / 1e6, metavar="MB",
                   help="largest Graph Store upload (default 5)")
    p.add_argument("--batch", type=positive_int, default=DEFAULT_BATCH, metavar="N",
                   help="triples per INSERT DATA (default 500)")
    p.add_argument("--timeout", type=positive_float, default=600.0, metavar="S", help="per request (default 600)")
    p.add_argument("--skolemize", choices=SKOLEMIZE, default="auto",
                   help="blank nodes to IRIs: auto (default) where one request cannot carry them "
                        "all (SPARQL Update, a graph in several chunks), always, or never")
    p.add_argument("--load", type=Path, action="append", default=[], metavar="FILE",
                   help="extra RDF file to include (as the server's --load)")
    p.set_defaults(func=load_command)


def load_command(args: argparse.Namespace) -> int:
    import os
    from idlib_kg.dataset import DatasetError
    from idlib_kg.store import StoreError
    password = args.password or os.environ.get("IDLIB_KG_STORE_PASSWORD")
    if args.user is not None and args.auth == "digest":
        try:
            args.user.encode("latin-1")
        except UnicodeEncodeError:
            print(f"idlib-kg load: HTTP Digest sends the user name as Latin-1, which cannot hold "
                  f"{args.user!r}; use --auth basic (sent as UTF-8) or another account", file=sys.stderr)
            return 2
    target = Target(args.endpoint, args.graph, args.user, password, args.auth, args.protocol,
                    args.gsp_endpoint, args.update_endpoint, int(args.chunk_mb * 1e6), args.batch, args.timeout,
                    token=args.token or os.environ.get("IDLIB_KG_STORE_TOKEN"), skolemize=args.skolemize)
    try:
        load_into(target, args.load)
    except (DatasetError, StoreError) as e:
        print(f"idlib-kg load: {e}", file=sys.stderr)
        return 2
    except LoadError as e:
        print(f"idlib-kg load: {e}", file=sys.stderr)
        return 1
    return 0
