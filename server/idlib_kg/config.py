"""Explicit configuration: one Settings value built from the command line (or by tests).

Nothing reads the environment behind the caller's back except two secrets, which may come
from IDLIB_KG_UPDATE_TOKEN and IDLIB_KG_BACKEND_PASSWORD so they do not show up in `ps` output.
"""

from __future__ import annotations

import argparse
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, TypeVar

DEFAULT_BASE_IRI = "https://w3id.org/idlib-kg/"
UPDATE_TOKEN_ENV = "IDLIB_KG_UPDATE_TOKEN"
BACKEND_PASSWORD_ENV = "IDLIB_KG_BACKEND_PASSWORD"


def default_workers() -> int:
    """One query worker per CPU, at least two so one slow query never blocks the rest."""
    return max(2, os.cpu_count() or 2)


@dataclass
class Settings:
    host: str = "127.0.0.1"
    port: int = 8000
    store_path: Path | None = None          # None: in-memory store, loaded at start-up
    optimize: bool = False                  # compact the on-disk store once after loading
    load_files: list[Path] = field(default_factory=list)  # extra files (--load)
    workers: int = field(default_factory=default_workers)  # query worker processes
    http_server: str = "threads"            # threads (httpfront.py) | waitress
    http_threads: int = 0                   # waitress task threads; 0: derived from workers
    http_connections: int = 100             # open connections per HTTP process
    timeout: float = 30.0                   # seconds per query
    max_rows: int = 10_000                  # result rows (or triples) before truncation
    max_body_bytes: int = 1_000_000         # POST bodies
    allow_service: tuple[str, ...] = ()     # SERVICE IRIs allowed; "*" = public endpoints
    allow_load: tuple[str, ...] = ()        # LOAD IRIs allowed in /update
    update_token: str | None = None         # None: /update is off
    base_iri: str = DEFAULT_BASE_IRI
    cache_entries: int = 256                # LRU result cache size (0 disables)
    cache_bytes: int = 64_000_000           # ... and its total size in bytes of result bodies
    http_processes: int = 1                 # HTTP front processes (each with its own workers)
    ui_endpoint: str | None = None          # the query page's endpoint, if not our own /sparql
    trusted_proxies: int = 0                # reverse proxies whose X-Forwarded-* headers count
    backend: str | None = None              # backend mode: queries go to this SPARQL store
    backend_user: str | None = None
    backend_password: str | None = None
    backend_auth: str = "digest"            # digest | basic
    backend_union_default_graph: str = "auto"  # auto | param | none (see backend.py)

    @property
    def update_enabled(self) -> bool:
        return bool(self.update_token)

    def threads(self) -> int:
        return self.http_threads or max(8, 2 * self.workers)


T = TypeVar("T", int, float)


def _converted(text: str, convert: Callable[[str], T], noun: str) -> T:
    """`text` as an int or float for argparse, or its message: what was given and why not."""
    try:
        return convert(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not {noun}") from None


def _whole_number(text: str, least: int) -> int:
    value = _converted(text, int, "a whole number")
    if value < least:
        raise argparse.ArgumentTypeError(f"{value} is less than {least}")
    return value


def _finite_number(text: str, zero_allowed: bool) -> float:
    value = _converted(text, float, "a number")
    if not math.isfinite(value) or value < 0 or (value == 0 and not zero_allowed):
        wanted = "a number of 0 or more" if zero_allowed else "a number above 0"
        raise argparse.ArgumentTypeError(f"{text} is not {wanted}")
    return value


def positive_int(text: str) -> int:
    """argparse type: a whole number of at least 1 (argparse reports anything else, exit 2)."""
    return _whole_number(text, 1)


def non_negative_int(text: str) -> int:
    """argparse type: a whole number, 0 or more (0 often meaning "choose for me")."""
    return _whole_number(text, 0)


def positive_float(text: str) -> float:
    """argparse type: a finite number above 0 (seconds, megabytes)."""
    return _finite_number(text, zero_allowed=False)


def non_negative_float(text: str) -> float:
    """argparse type: a finite number, 0 or more (megabytes, where 0 turns a cache off)."""
    return _finite_number(text, zero_allowed=True)


def absolute_iri(text: str) -> str:
    """argparse type: an absolute IRI (a base IRI every query and page resolves against)."""
    from pyoxigraph import NamedNode
    try:
        NamedNode(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(f"{text!r} is not an absolute IRI ({e})") from None
    return text


def port_number(text: str) -> int:
    """argparse type: a TCP port, 0 (any free port) to 65535. Larger numbers are not refused
    by the socket layer: they wrap around to another port."""
    value = _converted(text, int, "a port number")
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{value} is not a port number (0-65535)")
    return value


#: triples a linked-data document (/doc/, /graph/) carries at most, whatever --max-rows says:
#: a graph dump is whole (the project's largest is a few thousand triples), and past this the
#: document says it was cut
DOCUMENT_MAX_TRIPLES = 1_000_000


def add_data_options(parser: argparse.ArgumentParser, *,
                     base_iri_help: str | None = "persistent base IRI served by this server",
                     answers: bool = True) -> None:
    """Options the commands that open the store share (serve, query, links). `base_iri_help`
    says what --base-iri does for the command (None: the command has no use for it);
    `answers=False` leaves out what only a command that answers queries uses (--max-rows,
    --optimize)."""
    parser.add_argument("--store", type=Path, metavar="PATH",
                        help="on-disk store directory, loaded once and reused (default: in memory)")
    if answers:
        parser.add_argument("--optimize", action="store_true", default=None,
                            help="with --store: compact the store once after loading (about 10 s more "
                                 "at 5M triples; queries up to 3x faster); remembered in the store")
    parser.add_argument("--load", type=Path, nargs="+", action="extend", default=[], metavar="FILE",
                        help="extra RDF files to load (.ttl .nt .nq .trig .jsonld .rdf .owl .xml): "
                             "--load a.ttl b.nq, or --load once per file")
    if base_iri_help:
        parser.add_argument("--base-iri", type=absolute_iri, default=DEFAULT_BASE_IRI, metavar="IRI",
                            help=f"{base_iri_help} (default {DEFAULT_BASE_IRI})")
    if answers:
        parser.add_argument("--max-rows", type=positive_int, default=10_000, metavar="N",
                            help="result rows/triples a query returns before truncation, which is "
                                 f"reported (default 10000; /doc/ and /graph/ documents: "
                                 f"{DOCUMENT_MAX_TRIPLES:,})")


def settings_from_args(args: argparse.Namespace) -> Settings:
    """Build Settings from whatever options the subcommand defined."""
    s = Settings()
    mapping = {
        "host": "host", "port": "port", "store": "store_path", "load": "load_files",
        "workers": "workers", "threads": "http_threads", "http_server": "http_server",
        "connections": "http_connections", "timeout": "timeout",
        "max_rows": "max_rows", "base_iri": "base_iri", "ui_endpoint": "ui_endpoint",
        "backend": "backend", "backend_user": "backend_user", "backend_auth": "backend_auth",
        "backend_union_default_graph": "backend_union_default_graph",
        "http_processes": "http_processes", "optimize": "optimize", "trusted_proxies": "trusted_proxies",
    }
    for arg, attr in mapping.items():
        value = getattr(args, arg, None)
        if value is not None:
            setattr(s, attr, value)
    cache_mb = getattr(args, "cache_mb", None)
    if cache_mb is not None:
        s.cache_bytes = int(cache_mb * 1_000_000)
        if cache_mb <= 0:
            s.cache_entries = 0
    s.allow_service = tuple(getattr(args, "allow_service", None) or ())
    s.allow_load = tuple(getattr(args, "allow_load", None) or ())
    s.update_token = getattr(args, "update_token", None) or os.environ.get(UPDATE_TOKEN_ENV) or None
    if s.backend:
        s.backend_password = (getattr(args, "backend_password", None)
                              or os.environ.get(BACKEND_PASSWORD_ENV) or None)
    if not s.base_iri.endswith(("/", "#")):
        s.base_iri += "/"
    return s
