"""Running queries where they can be killed: forked worker processes with a time limit.

pyoxigraph cannot cancel a running query, so each query runs in a worker process that is
SIGKILLed when it exceeds its time limit, and replaced.

How the processes fit together:
- The main process opens (loads) the store, then forks a *zygote* before any thread exists.
  The zygote is single-threaded and forks the workers, so every worker is forked from a clean
  one-threaded process (forking the multi-threaded HTTP server would be unsafe), and shares
  the in-memory store copy-on-write. On-disk stores are opened by each worker with
  Store.read_only(path) and the main process closes its read-write handle before forking.
- Each worker talks to the main process over its own socket (handed over by the zygote with
  SCM_RIGHTS), in length-prefixed frames (_Channel): a request is a QueryJob's fields as a
  pickled tuple, the reply the serialized result (bytes produced in the worker by pyoxigraph's
  serializers) with a row count. One write and, usually, one read each way: on a cheap query
  this channel is most of what the pool costs (multiprocessing's Connection took two reads and
  pickled dataclasses, about 60 us more a query here).
- Running slots: at most `running` queries of one HTTP process run at once (default: the
  CPUs shared among the HTTP processes), and the idle pool is a stack, so the most recently
  used worker takes the next query. More workers running than there are CPUs only take turns
  and evict each other's caches: measured here with wrk at c=8, two workers per CPU served
  medium queries 12-20% slower than one. A query still running after SLOT_RELEASE_AFTER gives
  its slot up, so the spare workers are there for everything else while slow queries run
  (tests/hostile/test_runaway.py).
- Updates (only if /update is enabled) are applied while no query runs (all workers checked
  out and stopped): in the zygote for an in-memory store, in the main process for an on-disk
  one (RocksDB's background threads do not survive fork). Then every worker is replaced so
  all of them see the new data.

Row limit: results are truncated at max_rows rows (triples for CONSTRUCT/DESCRIBE) and the
truncation is reported (QueryResult.truncated -> `X-Idlib-Truncated: true` on HTTP, a warning
on stderr for the CLI). Never silent.
"""

from __future__ import annotations

import argparse
import io
import itertools
import logging
import os
import pickle
import queue
import select
import signal
import socket
import struct
import sys
import threading
import time
from dataclasses import dataclass, fields
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Protocol

from pyoxigraph import (NamedNode, QueryBoolean, QueryResultsFormat, QuerySolutions,
                        QueryTriples, Store, parse_query_results)

from idlib_kg.negotiation import GRAPH_FORMATS, RESULT_FORMATS
from idlib_kg.safety import explain_syntax_error
from idlib_kg.serialization import UnwritableAnswer, check_xml_chars, serialize_graph
from idlib_kg.store import OpenedStore
from idlib_kg.vocab import prefixes

log = logging.getLogger(__name__)

PREFIXES = prefixes("ikg", "ikr", "rdf", "rdfs", "owl", "xsd", "skos", "dcterms", "prov", "sd", "void", "wd")


# --------------------------------------------------------------------------- running one query

@dataclass(frozen=True)
class QueryJob:
    query: str
    result_format: str = "json"          # key in RESULT_FORMATS, used for SELECT/ASK
    graph_format: str = "turtle"         # key in GRAPH_FORMATS, used for CONSTRUCT/DESCRIBE
    default_graphs: tuple[str, ...] | None = None   # protocol default-graph-uri
    named_graphs: tuple[str, ...] | None = None     # protocol named-graph-uri
    union_default_graph: bool = True     # default graph = union of named graphs (no FROM given)
    max_rows: int = 10_000
    base_iri: str | None = None          # relative IRIs in the query resolve against it


@dataclass
class QueryResult:
    body: bytes
    kind: str            # "bindings", "boolean" or "graph"
    format_key: str
    rows: int
    truncated: bool


class QueryError(Exception):
    """The query could not run; `status` is the HTTP status it maps to."""

    status = 500


class QuerySyntaxError(QueryError):
    status = 400


class QueryTimeout(QueryError):
    status = 503


class ServerBusy(QueryError):
    status = 503


class BackendUnavailable(QueryError):
    """The remote store (--backend) cannot be reached or failed: 502 Bad Gateway."""

    status = 502


def _dataset_kwargs(job: QueryJob) -> dict:
    if job.default_graphs is None and job.named_graphs is None:
        return {"use_default_graph_as_union": job.union_default_graph}
    # SPARQL Protocol: with either parameter given, the dataset is exactly what they name.
    return {"default_graph": [NamedNode(g) for g in job.default_graphs or ()],
            "named_graphs": [NamedNode(g) for g in job.named_graphs or ()]}


class _RowLimitReached(Exception):
    """Raised from _TsvSink.write to stop pyoxigraph's serializer (and the query) early."""


class _TsvSink(io.RawIOBase):
    """Collects pyoxigraph's TSV output and stops it after `lines` lines (header + rows).

    TSV escapes newlines inside terms, so one line is one row: counting b"\n" in the chunks
    pyoxigraph writes counts rows without touching a term in Python.
    """

    def __init__(self, lines: int):
        self.limit = lines
        self.lines = 0
        self.chunks: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, chunk) -> int:
        data = bytes(chunk)
        self.chunks.append(data)
        self.lines += data.count(b"\n")
        if self.lines > self.limit:
            raise _RowLimitReached
        return len(data)

    def value(self) -> tuple[bytes, int, bool]:
        """(TSV cut to the limit, rows kept, truncated?)."""
        data = b"".join(self.chunks)
        truncated = self.lines > self.limit
        if truncated:
            end = -1
            for _ in range(self.limit):
                end = data.index(b"\n", end + 1)
            data = data[:end + 1]
        rows = max(0, data.count(b"\n") - 1)
        return data, rows, truncated


def _solutions_to(results: QuerySolutions, max_rows: int, fmt: QueryResultsFormat) -> tuple[bytes, int, bool]:
    # pyoxigraph writes TSV (Rust); the sink stops it one row past max_rows. The kept rows are
    # parsed back and serialized in the wanted format, all in Rust: no Python code per term,
    # and the output is pyoxigraph's (TSV uses N-Triples term syntax, so the round trip is lossless).
    sink = _TsvSink(max_rows + 1)
    try:
        results.serialize(sink, QueryResultsFormat.TSV)
    except _RowLimitReached:
        pass
    tsv, rows, truncated = sink.value()
    if fmt == QueryResultsFormat.TSV:
        return tsv, rows, truncated
    reparsed = parse_query_results(tsv, QueryResultsFormat.TSV)
    body = reparsed.serialize(format=fmt)
    if fmt == QueryResultsFormat.XML:
        check_xml_chars(body, "SPARQL XML results", "JSON, CSV or TSV")
    return body, rows, truncated


def run_query(store: Store, job: QueryJob) -> QueryResult:
    """Run one query on `store` and serialize the result. Used by workers and `idlib-kg query`."""
    try:
        results = store.query(job.query, base_iri=job.base_iri, **_dataset_kwargs(job))
    except SyntaxError as e:
        raise QuerySyntaxError(explain_syntax_error(job.query, str(e))) from None
    except (OSError, ValueError, RuntimeError) as e:
        raise QueryError(f"the query failed: {e}") from None
    return serialize_results(results, job)


def serialize_results(results: QueryBoolean | QuerySolutions | QueryTriples, job: QueryJob) -> QueryResult:
    """Serialize pyoxigraph results in the job's format, cut at job.max_rows (reported).

    Shared by the workers and by the remote backend (backend.py), which parses the store's
    answer into the same pyoxigraph objects: one serializer, one truncation rule.
    """
    try:
        if isinstance(results, QueryBoolean):
            fmt = RESULT_FORMATS[job.result_format]
            return QueryResult(results.serialize(format=fmt.oxigraph), "boolean", fmt.key, 1, False)
        if isinstance(results, QuerySolutions):
            fmt = RESULT_FORMATS[job.result_format]
            body, n, truncated = _solutions_to(results, job.max_rows, fmt.oxigraph)
            return QueryResult(body, "bindings", fmt.key, n, truncated)
        if isinstance(results, QueryTriples) or hasattr(results, "__iter__"):  # triples
            fmt = GRAPH_FORMATS[job.graph_format]
            triples = list(itertools.islice(results, job.max_rows + 1))
            truncated = len(triples) > job.max_rows
            del triples[job.max_rows:]
            body = serialize_graph(triples, fmt.oxigraph, PREFIXES)
            return QueryResult(body, "graph", fmt.key, len(triples), truncated)
    except UnwritableAnswer as e:  # the format's limit, not the query's fault
        raise QueryError(str(e)) from None
    except (OSError, ValueError, RuntimeError) as e:  # evaluation errors surface while iterating
        raise QueryError(f"the query failed: {e}") from None
    raise QueryError(f"unexpected result type {type(results).__name__}")  # pragma: no cover


def run_update(store: Store, update: str, base_iri: str | None = None) -> None:
    try:
        store.update(update, base_iri=base_iri)
    except SyntaxError as e:
        raise QuerySyntaxError(explain_syntax_error(update, str(e))) from None
    except (OSError, ValueError, RuntimeError) as e:
        raise QueryError(f"the update failed: {e}") from None


# --------------------------------------------------------------------------- processes

def _child_setup(parent: int) -> None:
    for sig in (signal.SIGCHLD, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C goes to the main process; we exit on EOF
    die_with_parent(parent)


def die_with_parent(parent: int) -> None:
    """Be SIGKILLed when the parent dies (Linux prctl PR_SET_PDEATHSIG).

    A worker busy in a query only notices EOF on its socket when the query ends, which for a
    runaway is never: after `kill -9` of the server it would keep a CPU busy. Elsewhere this is
    a no-op and workers exit on EOF as before.
    """
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(signal.SIGKILL), 0, 0, 0)  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(0)


def isolate_from_network() -> bool:
    """Move this process, and the processes it forks, into a network namespace of its own with
    no interface up (Linux unshare CLONE_NEWNET; needs root or CAP_SYS_ADMIN). Whatever query
    text then gets past the SERVICE and LOAD checks, the engine can reach nothing. Returns
    whether it worked; elsewhere the checks are the only guard."""
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.unshare(0x40000000) == 0  # CLONE_NEWNET
    except (OSError, AttributeError):
        return False


class _Channel:
    """Length-prefixed pickled frames over a stream socket: the query worker's wire."""

    HEADER = struct.Struct("!Q")
    READ_MIN, READ_MAX = 1 << 16, 1 << 24

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self._buf = bytearray()

    def fileno(self) -> int:
        return self.sock.fileno()

    def send(self, obj: object) -> None:
        payload = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
        self.sock.sendall(self.HEADER.pack(len(payload)) + payload)

    def recv(self) -> object:
        buf = self._buf
        while len(buf) < 8:
            self._fill(8 - len(buf))
        (size,) = self.HEADER.unpack_from(buf)
        while len(buf) < 8 + size:
            self._fill(8 + size - len(buf))
        obj = pickle.loads(memoryview(buf)[8:8 + size])
        del buf[:8 + size]
        return obj

    def _fill(self, missing: int) -> None:
        # recv(n) allocates n bytes before it reads: a fixed 1 MB cost about 15 us a call here,
        # more than the rest of a small frame's trip. Ask for what is missing, at least 64 KB.
        data = self.sock.recv(min(max(missing, self.READ_MIN), self.READ_MAX))
        if not data:
            raise EOFError("the other end closed the channel")
        self._buf += data

    def close(self) -> None:
        self.sock.close()


def _field_values(value: QueryJob | QueryResult) -> tuple:
    """A job's or result's fields as a plain tuple, in declaration order (cls(*tuple) rebuilds
    it): cheaper to pickle than the dataclass, and no field list to keep in step by hand."""
    return tuple(getattr(value, f.name) for f in fields(value))


def _worker_loop(chan: _Channel, store: Store | None, path: Path | None) -> None:
    if store is None:
        store = Store.read_only(str(path))
    while True:
        try:
            job = QueryJob(*chan.recv())
        except (EOFError, OSError):
            return
        try:
            reply = ("ok", *_field_values(run_query(store, job)))
        except QueryError as e:
            reply = (type(e).__name__, str(e))
        except Exception as e:  # noqa: BLE001 - a worker must answer, not die silently
            reply = ("QueryError", f"{type(e).__name__}: {e}")
        chan.send(reply)


def _zygote_loop(ctl: Connection, fdsock: socket.socket, opened_store: Store | None, path: Path | None) -> None:
    """Fork workers on request; apply updates. Single-threaded by construction."""
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # workers are reaped automatically
    store = opened_store
    while True:
        try:
            msg = ctl.recv()
        except (EOFError, OSError):
            return
        if msg[0] == "spawn":
            parent_end, child_end = socket.socketpair()
            zygote = os.getpid()
            pid = os.fork()
            if pid == 0:  # worker
                try:
                    _child_setup(zygote)
                    ctl.close()
                    fdsock.close()
                    parent_end.close()
                    _worker_loop(_Channel(child_end), store, path)
                finally:
                    os._exit(0)
            child_end.close()
            ctl.send(pid)
            socket.send_fds(fdsock, [b"w"], [parent_end.fileno()])
            parent_end.close()
        elif msg[0] == "update":
            try:
                run_update(store, msg[1], msg[2])
                ctl.send(("ok", None))
            except QueryError as e:
                ctl.send((type(e).__name__, str(e)))
        elif msg[0] == "exit":
            return


@dataclass
class _Worker:
    pid: int
    conn: _Channel
    poller: select.poll | None = None

    def __post_init__(self) -> None:
        # one poll object per worker, registered once
        self.poller = select.poll()
        self.poller.register(self.conn.fileno(), select.POLLIN)

    def wait(self, timeout: float) -> bool:
        """True when the reply (or EOF) is ready within `timeout` seconds."""
        return bool(self.poller.poll(max(0, int(timeout * 1000))))

    def kill(self) -> None:
        try:
            os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.conn.close()


_ERRORS = {"QuerySyntaxError": QuerySyntaxError, "QueryError": QueryError, "ServerBusy": ServerBusy}


def _update_on_disk(path: Path, text: str, base_iri: str | None) -> tuple[str, str | None]:
    """Write an on-disk store from the main process, with no worker holding it open.

    Not in the zygote: RocksDB's background threads do not survive fork(), so a store
    opened read-write in a forked child can wait forever for a flush.
    """
    try:
        rw = Store(str(path))
        try:
            run_update(rw, text, base_iri)
            rw.flush()
        finally:
            del rw
        return "ok", None
    except QueryError as e:
        return type(e).__name__, str(e)
    except OSError as e:  # RocksDB's lock: another process has the store open
        return "ServerBusy", (f"the on-disk store could not be opened for writing ({e}); another "
                              "process may hold it. Try again when it has closed the store")


class QueryBackend(Protocol):
    """What the endpoint and the pages run queries on: the worker pool (Executor) over the
    embedded store, or a remote SPARQL store (backend.RemoteBackend). Errors are QueryError
    subclasses whose `status` is the HTTP status to answer with."""

    def run(self, job: QueryJob) -> QueryResult: ...

    def close(self) -> None: ...


#: seconds after which a running query gives up its running slot (module docstring)
SLOT_RELEASE_AFTER = 0.1


def default_running(http_processes: int = 1) -> int:
    """Queries one HTTP process runs at once: its share of the CPUs, at least one."""
    return max(1, (os.cpu_count() or 1) // max(1, http_processes))


class Executor:
    """A pool of killable query workers. Thread-safe: many HTTP threads call run()."""

    def __init__(self, opened: OpenedStore, workers: int = 2, timeout: float = 30.0,
                 running: int | None = None, isolate: bool = False):
        self.opened = opened
        #: run the zygote and workers without network (isolate_from_network): for a server
        #: that allows no SERVICE and no LOAD target
        self.isolate = isolate
        self.size = max(1, workers)
        self.timeout = timeout
        self.running = max(1, min(self.size, running or self.size))
        self._slots = threading.BoundedSemaphore(self.running)
        self._idle: queue.LifoQueue[_Worker] = queue.LifoQueue()
        self._ctl_lock = threading.Lock()
        self._update_lock = threading.Lock()
        self._ctl: Connection | None = None
        self._fdsock: socket.socket | None = None
        self._zygote_pid: int | None = None
        self._closed = False

    # -- lifecycle
    def start(self) -> "Executor":
        """Fork the zygote (call before starting any thread) and the workers."""
        ctl_main, ctl_z = socket.socketpair()
        fd_main, fd_z = socket.socketpair()
        store = self.opened.store if self.opened.in_memory else None
        if not self.opened.in_memory:
            self.opened.store = None  # close the read-write handle: workers open read-only
            import gc
            gc.collect()
        sys.stdout.flush()
        sys.stderr.flush()
        main = os.getpid()
        pid = os.fork()
        if pid == 0:
            try:
                _child_setup(main)
                ctl_main.close()
                fd_main.close()
                if self.isolate and not isolate_from_network():
                    log.info("query workers keep network access (no CLONE_NEWNET here); the "
                             "SERVICE and LOAD checks are the only guard")
                _zygote_loop(Connection(ctl_z.detach()), fd_z, store, self.opened.path)
            finally:
                os._exit(0)
        ctl_z.close()
        fd_z.close()
        self._zygote_pid = pid
        self._ctl = Connection(ctl_main.detach())
        self._fdsock = fd_main
        for _ in range(self.size):
            self._idle.put(self._spawn())
        return self

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        while True:
            try:
                self._idle.get_nowait().kill()
            except queue.Empty:
                break
        if self._ctl is not None:
            try:
                self._ctl.send(("exit",))
            except OSError:
                pass
            self._ctl.close()
        if self._zygote_pid:
            try:
                os.waitpid(self._zygote_pid, 0)
            except ChildProcessError:
                pass

    def __enter__(self) -> "Executor":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()

    def _spawn(self) -> _Worker:
        with self._ctl_lock:
            assert self._ctl is not None and self._fdsock is not None
            self._ctl.send(("spawn",))
            pid = self._ctl.recv()
            _, fds, _, _ = socket.recv_fds(self._fdsock, 16, 1)
        return _Worker(pid, _Channel(socket.socket(fileno=fds[0])))

    def _checkout(self) -> _Worker:
        try:
            return self._idle.get(timeout=self.timeout)
        except queue.Empty:
            raise ServerBusy(f"all {self.size} query workers stayed busy for {self.timeout:g} s; "
                             "try again later") from None

    # -- queries
    def run(self, job: QueryJob) -> QueryResult:
        if self._closed:
            raise QueryError("the query executor is shut down")
        with self._update_lock:  # updates take every worker; queries only wait for the lock briefly
            pass
        deadline = time.monotonic() + self.timeout
        if not self._slots.acquire(timeout=self.timeout):
            raise ServerBusy(f"{self.running} queries kept running for {self.timeout:g} s; try again later")
        slot = True
        try:
            worker = self._checkout()
        except BaseException:
            self._slots.release()
            raise
        try:
            worker.conn.send(_field_values(job))
            ready = worker.wait(min(SLOT_RELEASE_AFTER, self.timeout))
            if not ready:  # a slow one: let the next query run beside it
                self._slots.release()
                slot = False
                ready = worker.wait(deadline - time.monotonic())
            if not ready:
                log.warning("query exceeded %g s; killing worker %d", self.timeout, worker.pid)
                worker.kill()
                worker = self._spawn()
                raise QueryTimeout(f"query exceeded the {self.timeout:g} s time limit")
            status, *payload = worker.conn.recv()
        except (EOFError, OSError, pickle.PickleError) as e:
            log.error("query worker %d died: %s", worker.pid, e)
            worker.kill()
            worker = self._spawn()
            raise QueryError("the query worker died while running the query (out of memory, or "
                             "nested too deeply for the parser?); try a smaller or flatter query") from None
        finally:
            if slot:
                self._slots.release()
            self._idle.put(worker)
        if status == "ok":
            return QueryResult(*payload)
        raise _ERRORS.get(status, QueryError)(payload[0])

    # -- updates
    def update(self, text: str, base_iri: str | None = None) -> None:
        """Apply an update where workers will see it, then replace every worker."""
        with self._update_lock:
            taken = [self._checkout_for_update() for _ in range(self.size)]
            for w in taken:  # no reader may hold the store while it is written
                w.kill()
            try:
                if self.opened.in_memory:
                    with self._ctl_lock:
                        assert self._ctl is not None
                        self._ctl.send(("update", text, base_iri))
                        status, payload = self._ctl.recv()
                else:
                    status, payload = _update_on_disk(self.opened.path, text, base_iri)
            finally:
                for _ in taken:
                    self._idle.put(self._spawn())
            if status != "ok":
                raise _ERRORS.get(status, QueryError)(payload)

    def _checkout_for_update(self) -> _Worker:
        # Running queries finish or hit their time limit, so this wait is bounded.
        return self._idle.get(timeout=self.timeout + 10)


# --------------------------------------------------------------------------- `idlib-kg query`

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def register(subparsers: argparse._SubParsersAction) -> None:
    from idlib_kg.config import add_data_options
    p = subparsers.add_parser(
        "query", help="run a SPARQL query on the store and print the results",
        description="Run a query in-process on the same data the server serves. Exit codes: "
                    "0 success, 1 the query failed while running, 2 bad usage, syntax error "
                    "or unreadable data file. Truncation at --max-rows is reported on stderr. "
                    "Put the query before --load, which takes every argument after it as a file.")
    p.add_argument("query", metavar="QUERY_OR_FILE", help="a query, a file holding one, or - for stdin")
    p.add_argument("--format", choices=[*RESULT_FORMATS, *GRAPH_FORMATS],
                   help="output format (default json for SELECT/ASK, turtle for CONSTRUCT/DESCRIBE)")
    p.add_argument("--allow-service", action="append", metavar="URL",
                   help="allow SERVICE to this endpoint IRI, as `serve` does (repeatable; '*' = any "
                        "public endpoint; default: none)")
    add_data_options(p, base_iri_help="base IRI that relative IRIs in the query resolve against")
    p.set_defaults(func=query_command)


def _query_text(arg: str) -> str | None:
    """The query: the text itself, a UTF-8 file, or stdin ("-"); None after saying what is wrong."""
    try:
        if arg == "-":
            return sys.stdin.buffer.read().decode("utf-8")
        if len(arg) < 4096 and "{" not in arg:
            path = Path(arg)
            if path.is_file():
                return path.read_bytes().decode("utf-8")
            # no query is one word without braces, or ends like a query file's name
            if not any(c.isspace() for c in arg) or path.suffix.lower() in (".rq", ".sparql", ".txt"):
                print(f"idlib-kg query: no such file: {arg} (give the query text, a file, or - "
                      "for stdin)", file=sys.stderr)
                return None
    except UnicodeDecodeError as e:
        print(f"idlib-kg query: {'stdin' if arg == '-' else arg} is not UTF-8 (byte {e.start}); "
              "SPARQL is read as UTF-8: re-encode it", file=sys.stderr)
        return None
    except OSError as e:
        print(f"idlib-kg query: cannot read {arg}: {e.strerror}", file=sys.stderr)
        return None
    return arg


def query_command(args: argparse.Namespace) -> int:
    from idlib_kg.config import settings_from_args
    from idlib_kg.dataset import DatasetError
    from idlib_kg.safety import UnsafeQuery, check_services, inspect
    from idlib_kg.store import StoreError, open_store

    settings = settings_from_args(args)
    text = _query_text(args.query)
    if text is None:
        return EXIT_USAGE
    found = inspect(text, base=settings.base_iri)
    if found.is_update:
        print(f"idlib-kg query: this is a SPARQL Update ({found.update_keyword}); "
              "`idlib-kg query` only runs queries", file=sys.stderr)
        return EXIT_USAGE
    try:  # the same allow-list as the server: the CLI sends nothing the operator did not allow
        check_services(found, settings.allow_service)
    except UnsafeQuery as e:
        print(f"idlib-kg query: {e}", file=sys.stderr)
        return EXIT_USAGE
    form = found.form or "SELECT"
    job_format = args.format
    if job_format and ((form in ("CONSTRUCT", "DESCRIBE")) != (job_format in GRAPH_FORMATS)):
        fits = ", ".join(GRAPH_FORMATS if form in ("CONSTRUCT", "DESCRIBE") else RESULT_FORMATS)
        print(f"idlib-kg query: --format {job_format} does not fit a {form} query; use one of: {fits}",
              file=sys.stderr)
        return EXIT_USAGE
    try:
        opened = open_store(settings.store_path, settings.load_files, optimize=settings.optimize)
    except (DatasetError, StoreError) as e:
        print(f"idlib-kg query: {e}", file=sys.stderr)
        return EXIT_USAGE
    job = QueryJob(text,
                   result_format=job_format if job_format in RESULT_FORMATS else "json",
                   graph_format=job_format if job_format in GRAPH_FORMATS else "turtle",
                   union_default_graph=not found.has_dataset_clause, max_rows=settings.max_rows,
                   base_iri=settings.base_iri)
    try:
        assert opened.store is not None
        result = run_query(opened.store, job)
    except QuerySyntaxError as e:
        print(f"idlib-kg query: syntax error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except QueryError as e:
        print(f"idlib-kg query: {e}", file=sys.stderr)
        return EXIT_FAILED
    sys.stdout.buffer.write(result.body)
    if result.body and not result.body.endswith(b"\n"):
        sys.stdout.buffer.write(b"\n")
    sys.stdout.flush()
    if result.truncated:
        print(f"idlib-kg query: output truncated to {settings.max_rows} rows (--max-rows)", file=sys.stderr)
    return EXIT_OK
