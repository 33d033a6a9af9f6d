"""Starting and stopping real SPARQL servers: our own endpoint, OpenLink Virtuoso, Oxigraph,
rdflib-endpoint. Used by the tests (tests/stores, tests/ui, ...) and by `idlib-kg bench`.

Every service binds 127.0.0.1 on a free port, keeps its data and log in a directory of its own,
is polled until it answers, and is stopped at the end even when something fails (a context
manager; the process runs in a session of its own so its children end with it):

    with OxigraphServer(workdir) as ox:  ox.put_graph(G, data);  ox.select(Q)
    with VirtuosoServer(workdir) as vt:  vt.put_graph(G, data);  vt.select(Q);  vt.isql("...")
    with EndpointServer(workdir, ["--load", "x.ttl"]) as ep:  ep.url
"""

from __future__ import annotations

import functools
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

import requests
from requests.auth import HTTPDigestAuth

from idlib_kg.executor import die_with_parent

LOCALHOST = "127.0.0.1"
SELECT_JSON = "application/sparql-results+json"


class ServiceError(RuntimeError):
    """A service did not start, or stopped answering; the message quotes the end of its log."""


def free_port() -> int:
    """A TCP port nobody listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((LOCALHOST, 0))
        return s.getsockname()[1]


def which(program: str, *also: Path) -> str | None:
    """`program` on PATH, else next to the running Python (a venv's bin/), else in `also`."""
    found = shutil.which(program) or shutil.which(program, path=str(Path(sys.executable).parent))
    if found:
        return found
    for directory in also:
        if (directory / program).is_file():
            return str(directory / program)
    return None


def wait_until(check: Callable[[], bool], timeout: float, what: str,
               alive: Callable[[], bool] = lambda: True, interval: float = 0.1) -> float:
    """Poll `check` until it is true; returns the seconds waited. Fails early if not `alive`."""
    started = time.monotonic()
    while True:
        try:
            if check():
                return time.monotonic() - started
        except (requests.RequestException, OSError, subprocess.SubprocessError):
            pass
        if not alive():
            raise ServiceError(f"{what}: the process exited while we waited for it")
        if time.monotonic() - started > timeout:
            raise ServiceError(f"{what}: not ready after {timeout:.0f} s")
        time.sleep(interval)


class Service:
    """A server process with a log file; a context manager that always stops it."""

    name = "service"
    start_timeout = 30.0

    def __init__(self, workdir: Path):
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.log_path = self.workdir / f"{self.name}-console.log"
        self.process: subprocess.Popen | None = None
        self.startup_seconds: float | None = None

    # subclasses define these three
    def command(self) -> list[str]:
        raise NotImplementedError

    def ready(self) -> bool:
        raise NotImplementedError

    def prepare(self) -> None:
        """Write configuration files before the process starts."""

    @property
    def base_url(self) -> str:
        return f"http://{LOCALHOST}:{self.port}"

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def start(self) -> "Service":
        self.prepare()
        started = time.monotonic()
        with open(self.log_path, "ab") as log:
            # a process group of its own: stop() can end the server's children too; and killed
            # with us if we are killed (SIGKILL gives no chance to stop() it)
            self.process = subprocess.Popen(self.command(), cwd=self.workdir, stdout=log,
                                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                            start_new_session=True, env=self.environment(),
                                            preexec_fn=functools.partial(die_with_parent, os.getpid()))
        try:
            wait_until(self.ready, self.start_timeout, f"{self.name} on port {self.port}", self.alive)
        except ServiceError as exc:
            self.stop()
            raise ServiceError(f"{exc}\n--- {self.log_path} ---\n{self.log_tail()}") from None
        self.startup_seconds = time.monotonic() - started
        return self

    def environment(self) -> dict[str, str]:
        return dict(os.environ)

    def shutdown(self) -> None:
        """A clean stop before the signal (e.g. a checkpoint); errors are ignored."""

    def stop(self, timeout: float = 15.0) -> None:
        if self.process is None:
            return
        if self.alive():
            try:
                self.shutdown()
            except Exception:  # noqa: BLE001 - the process is ended below in any case
                pass
        for sig in (signal.SIGTERM, signal.SIGKILL):
            if self.process.poll() is not None:
                break
            try:
                os.killpg(self.process.pid, sig)
            except ProcessLookupError:
                break
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                continue
        self.process = None

    def __enter__(self) -> "Service":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # SPARQL Protocol helpers shared by the stores
    sparql_path = "/sparql"

    @property
    def sparql_url(self) -> str:
        return self.base_url + self.sparql_path

    def select(self, query: str, timeout: float = 60.0) -> list[dict[str, str]]:
        """Run a SELECT; rows as {variable: value} (values as plain strings)."""
        r = requests.post(self.sparql_url, data={"query": query},
                          headers={"Accept": SELECT_JSON}, timeout=timeout)
        if r.status_code != 200:
            raise ServiceError(f"{self.name} SELECT failed: HTTP {r.status_code}: {r.text[:500]}")
        if r.headers.get("X-SPARQL-MaxRows"):
            raise ServiceError(f"{self.name} truncated the result at {r.headers['X-SPARQL-MaxRows']} rows")
        body = r.json()
        return [{k: v["value"] for k, v in b.items()} for b in body["results"]["bindings"]]

    def ask(self, query: str = "ASK {}", timeout: float = 5.0) -> bool:
        r = requests.get(self.sparql_url, params={"query": query},
                         headers={"Accept": SELECT_JSON}, timeout=timeout)
        r.raise_for_status()
        return bool(r.json()["boolean"])


class EndpointServer(Service):
    """This project's own server: `python -m idlib_kg serve` with extra arguments."""

    name = "idlib-kg"

    def __init__(self, workdir: Path, args: list[str] | None = None,
                 env: dict[str, str] | None = None):
        super().__init__(workdir)
        self.args = list(args or [])
        self.extra_env = dict(env or {})

    def command(self) -> list[str]:
        return [sys.executable, "-m", "idlib_kg", "serve", "--host", LOCALHOST,
                "--port", str(self.port), *self.args]

    def environment(self) -> dict[str, str]:
        env = dict(os.environ)
        env.setdefault("PYTHONUNBUFFERED", "1")
        env.update(self.extra_env)
        return env

    def ready(self) -> bool:
        return requests.get(self.base_url + "/", timeout=2).status_code == 200 and self.ask()

    @property
    def url(self) -> str:
        return self.base_url + "/"


class OxigraphServer(Service):
    """The Oxigraph server binary from the PyPI `oxigraph` package (in the venv's bin/)."""

    name = "oxigraph"
    sparql_path = "/query"

    def __init__(self, workdir: Path, union_default_graph: bool = False):
        super().__init__(workdir)
        self.union_default_graph = union_default_graph

    @staticmethod
    def binary() -> str:
        found = which("oxigraph")
        if found is None:
            raise ServiceError("the `oxigraph` server binary is missing: pip install oxigraph "
                               "(the test extras include it)")
        return found

    def command(self) -> list[str]:
        union = ["--union-default-graph"] if self.union_default_graph else []
        return [self.binary(), "serve", "--location", str(self.workdir / "data"),
                "--bind", f"{LOCALHOST}:{self.port}", *union]

    def bulk_load(self, path: Path, graph: str, base_iri: str | None = None) -> None:
        """Load a file with `oxigraph load` (offline, before start()): the server's own bulk loader."""
        if self.alive():
            raise ServiceError("oxigraph: bulk_load() must run before start()")
        base = ["--base", base_iri] if base_iri else []
        with open(self.log_path, "ab") as log:
            r = subprocess.run([self.binary(), "load", "--location", str(self.workdir / "data"),
                                "--file", str(path), "--graph", graph, *base],
                               stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        if r.returncode != 0:
            raise ServiceError(f"oxigraph load {path} failed (exit {r.returncode}):\n{self.log_tail()}")

    def optimize(self) -> None:
        """`oxigraph optimize` (offline, after loading): compacts the store, as `idlib-kg serve
        --optimize` does, so on-disk comparisons are like for like."""
        if self.alive():
            raise ServiceError("oxigraph: optimize() must run before start()")
        with open(self.log_path, "ab") as log:
            r = subprocess.run([self.binary(), "optimize", "--location", str(self.workdir / "data")],
                               stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        if r.returncode != 0:
            raise ServiceError(f"oxigraph optimize failed (exit {r.returncode}):\n{self.log_tail()}")

    def ready(self) -> bool:
        return self.ask()

    def put_graph(self, graph: str, data: bytes | str, content_type: str = "text/turtle") -> None:
        """Graph Store Protocol: add `data` to named graph `graph`."""
        body = data.encode("utf-8") if isinstance(data, str) else data
        r = requests.post(self.base_url + "/store", params={"graph": graph}, data=body,
                          headers={"Content-Type": content_type}, timeout=300)
        if r.status_code not in (200, 201, 204):
            raise ServiceError(f"oxigraph store POST failed: HTTP {r.status_code}: {r.text[:500]}")


VIRTUOSO_INI = """\
; written by idlib_kg/services.py for one run
[Database]
DatabaseFile     = {dir}/virtuoso.db
ErrorLogFile     = {dir}/virtuoso.log
LockFile         = {dir}/virtuoso.lck
TransactionFile  = {dir}/virtuoso.trx
xa_persistent_file = {dir}/virtuoso.pxa
ErrorLogLevel    = 7
FileExtend       = 200
MaxCheckpointRemap = 2000
Striping         = 0
TempStorage      = TempDatabase

[TempDatabase]
DatabaseFile     = {dir}/virtuoso-temp.db
TransactionFile  = {dir}/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping         = 0

[Parameters]
ServerPort           = {host}:{isql_port}
LiteMode             = 0
DisableUnixSocket    = 1
DisableTcpSocket     = 0
MaxClientConnections = 10
CheckpointInterval   = 60
O_DIRECT             = 0
CaseMode             = 2
MaxStaticCursorRows  = 5000
CheckpointAuditTrail = 0
AllowOSCalls         = 0
SchedulerInterval    = 10
DirsAllowed          = ., {dir}, {vad_dir}
ThreadCleanupInterval = 0
ThreadThreshold      = 10
ResourcesCleanupInterval = 0
FreeTextBatchSize    = 100000
SingleCPU            = 0
VADInstallDir        = {vad_dir}
PrefixResultNames    = 0
RdfFreeTextRulesSize = 100
IndexTreeMaps        = 64
MaxMemPoolSize       = 200000000
MacSpotlight         = 0
MaxQueryMem          = 1G
NumberOfBuffers      = 10000
MaxDirtyBuffers      = 6000

[HTTPServer]
ServerPort                  = {host}:{http_port}
ServerRoot                  = {dir}
MaxClientConnections        = 10
DavRoot                     = DAV
EnabledDavVSP               = 0
HTTPProxyEnabled            = 0
TempASPXDir                 = 0
DefaultMailServer           = localhost:25
MaxKeepAlives               = 10
KeepAliveTimeout            = 10
MaxCachedProxyConnections   = 10
ProxyConnectionCacheTimeout = 15
HTTPThreadSize              = 280000
HttpPrintWarningsInOutput   = 0
Charset                     = UTF-8
MaintenancePage             = atomic.html
EnabledGzipContentEncoding  = 2

[AutoRepair]
BadParentLinks = 0

[Client]
SQL_PREFETCH_ROWS  = 100
SQL_PREFETCH_BYTES = 16000
SQL_QUERY_TIMEOUT  = 0
SQL_TXN_TIMEOUT    = 0

[VDB]
ArrayOptimization     = 0
NumArrayParameters    = 10
VDBDisconnectTimeout  = 1000
KeepConnectionOnFixedThread = 0

[Replication]
ServerName   = idlib-kg-test
ServerEnable = 1
QueueMax     = 50000

[Striping]
Segment1 = 100M, db-seg1-1.db, db-seg1-2.db

[Zero Config]
ServerName = idlib-kg-test

[SPARQL]
ResultSetMaxRows           = 10000000
MaxQueryCostEstimationTime = 0
MaxQueryExecutionTime      = 600
DefaultQuery               = SELECT (COUNT(*) AS ?n) WHERE {{ ?s ?p ?o }}
DeferInferenceRulesInit    = 0
"""


class VirtuosoServer(Service):
    """OpenLink Virtuoso 7 (Debian's virtuoso-opensource) with an ini of our own.

    A fresh database starts with the dba password `dba`; start() changes it to `password`, so
    the Graph Store endpoint's Digest auth is exercised with a secret of our own.
    """

    name = "virtuoso"
    start_timeout = 90.0
    user = "dba"

    def __init__(self, workdir: Path, password: str = "idlib-kg-test"):
        super().__init__(workdir)
        self.http_port = free_port()
        self.password = password
        self._current_password = "dba"  # what a new database ships with

    @property
    def base_url(self) -> str:
        return f"http://{LOCALHOST}:{self.http_port}"

    @property
    def isql_port(self) -> int:
        return self.port

    def prepare(self) -> None:
        vad_dir = "/usr/share/virtuoso-opensource-7/vad"
        (self.workdir / "virtuoso.ini").write_text(VIRTUOSO_INI.format(
            dir=self.workdir, host=LOCALHOST, isql_port=self.isql_port,
            http_port=self.http_port, vad_dir=vad_dir), encoding="utf-8")

    def command(self) -> list[str]:
        binary = which("virtuoso-t")
        if binary is None:
            raise ServiceError("virtuoso-t is missing: apt-get install virtuoso-opensource "
                               "(tests/run.sh does it)")
        return [binary, "+foreground", "+configfile", str(self.workdir / "virtuoso.ini")]

    def isql(self, *statements: str, password: str | None = None, timeout: float = 300) -> str:
        """Run SQL statements through isql-vt; fails on any `*** Error`."""
        binary = which("isql-vt") or which("isql")
        if binary is None:
            raise ServiceError("isql-vt is missing: apt-get install virtuoso-opensource")
        script = "".join(s.rstrip().rstrip(";") + ";\n" for s in statements)
        r = subprocess.run([binary, f"{LOCALHOST}:{self.isql_port}", self.user,
                            password or self._current_password, "VERBOSE=OFF", "BANNER=OFF",
                            "PROMPT=OFF", "ECHO=OFF", f"EXEC={script}"],
                           capture_output=True, text=True, timeout=timeout,
                           stdin=subprocess.DEVNULL)
        out = r.stdout + r.stderr
        if r.returncode != 0 or "*** Error" in out:
            raise ServiceError(f"isql failed (exit {r.returncode}): {out.strip()[:1000]}")
        return out

    def ready(self) -> bool:
        try:
            self.isql("select 1", timeout=10)
        except ServiceError:
            return False
        return self.ask()

    def start(self) -> "VirtuosoServer":
        super().start()
        # a secret of our own instead of the well-known default
        self.isql(f"set password \"{self._current_password}\" \"{self.password}\"")
        self._current_password = self.password
        return self

    def grant_anonymous_update(self) -> None:
        """Let anonymous SPARQL Update through /sparql (off by default; only for load tests)."""
        self.isql('grant SPARQL_UPDATE to "SPARQL"')

    def shutdown(self) -> None:
        self.isql("checkpoint", "shutdown", timeout=60)
        self.process.wait(timeout=60)

    @property
    def auth(self) -> HTTPDigestAuth:
        return HTTPDigestAuth(self.user, self._current_password)

    def put_graph(self, graph: str, data: bytes | str, content_type: str = "text/turtle") -> None:
        """Graph Store Protocol PUT (replaces graph `graph`), HTTP Digest auth as dba."""
        body = data.encode("utf-8") if isinstance(data, str) else data
        r = requests.put(self.base_url + "/sparql-graph-crud-auth", params={"graph-uri": graph},
                         data=body, headers={"Content-Type": content_type}, auth=self.auth,
                         timeout=600)
        if r.status_code not in (200, 201, 204):
            raise ServiceError(f"virtuoso Graph Store PUT failed: HTTP {r.status_code}: {r.text[:500]}")

    def load_file(self, path: Path, graph: str) -> None:
        """Bulk load one file with the RDF loader (the file must sit under DirsAllowed)."""
        path = Path(path).resolve()
        self.isql(f"ld_dir('{path.parent}', '{path.name}', '{graph}')",
                  "rdf_loader_run()", "checkpoint")


RDFLIB_ENDPOINT_RUNNER = """
import sys, uvicorn
from rdflib import Dataset, URIRef
from rdflib_endpoint import SparqlEndpoint
port, base, *pairs = sys.argv[1:]
ds = Dataset(default_union=True)
for path, graph in zip(pairs[::2], pairs[1::2]):
    ds.graph(URIRef(graph)).parse(path, publicID=base)
print("loaded", len(ds), "quads", flush=True)
uvicorn.run(SparqlEndpoint(graph=ds, path="/sparql"), host="127.0.0.1", port=int(port), log_level="warning")
"""


class RdflibEndpointServer(Service):
    """rdflib-endpoint 0.6 (the Python peer): its SparqlEndpoint app on uvicorn over an rdflib
    Dataset with default_union=True; each file parsed into its own named graph."""

    name = "rdflib-endpoint"
    start_timeout = 600.0   # rdflib parses about 50k triples a second

    def __init__(self, workdir: Path, files: list[tuple[Path, str]], base_iri: str):
        super().__init__(workdir)
        self.files = list(files)
        self.base_iri = base_iri

    def command(self) -> list[str]:
        pairs = [str(x) for path, graph in self.files for x in (path, graph)]
        return [sys.executable, "-c", RDFLIB_ENDPOINT_RUNNER, str(self.port), self.base_iri, *pairs]

    def ready(self) -> bool:
        return self.ask()
