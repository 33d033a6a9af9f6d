"""Which files go into which named graph, and loading them into a pyoxigraph Store.

Named graphs (design.md):
  graph/ontology  ontology/*.ttl except shapes.ttl (SHACL shapes are never loaded)
  graph/article   triples/article.ttl
  graph/links     triples/wikidata-links.ttl
  graph/inferred  triples/inferred.ttl
Extra files (--load): triple formats go into graph/loaded/<file name>; quad formats keep their
graph names and their default-graph triples go into graph/loaded/<file name>, so the store's
default graph stays empty and "default graph = union of the named graphs" holds.
Graph IRIs never contain file: IRIs or local paths.
"""

from __future__ import annotations

import hashlib
import io
import logging
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator
from urllib.parse import quote

from pyoxigraph import Dataset, DefaultGraph, Literal, NamedNode, Quad, RdfFormat, Store, parse

from idlib_kg import resources

log = logging.getLogger(__name__)

GRAPH_BASE = "https://w3id.org/idlib-kg/graph/"
ONTOLOGY_GRAPH = GRAPH_BASE + "ontology"
ARTICLE_GRAPH = GRAPH_BASE + "article"
LINKS_GRAPH = GRAPH_BASE + "links"
INFERRED_GRAPH = GRAPH_BASE + "inferred"
LOADED_GRAPH_BASE = GRAPH_BASE + "loaded/"
PARSE_BASE_IRI = "https://w3id.org/idlib-kg/"

NOT_LOADED = {"shapes.ttl"}

FORMATS_BY_EXTENSION: dict[str, RdfFormat] = {
    ".ttl": RdfFormat.TURTLE,
    ".nt": RdfFormat.N_TRIPLES,
    ".nq": RdfFormat.N_QUADS,
    ".trig": RdfFormat.TRIG,
    ".jsonld": RdfFormat.JSON_LD,
    ".rdf": RdfFormat.RDF_XML,
    ".owl": RdfFormat.RDF_XML,
    ".xml": RdfFormat.RDF_XML,
}

#: formats that name graphs themselves (their default-graph triples go to graph/loaded/<file>)
QUAD_FORMATS = frozenset({RdfFormat.N_QUADS, RdfFormat.TRIG, RdfFormat.JSON_LD})

BIG_FILE_BYTES = 20_000_000


class DatasetError(Exception):
    """A data file is missing, of an unknown kind, or does not parse."""


@dataclass(frozen=True)
class DataFile:
    path: Path
    graph: str          # the graph triples (or a quad file's default-graph triples) go into
    format: RdfFormat

    def sha256(self) -> str:
        h = hashlib.sha256()
        with self.path.open("rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        return h.hexdigest()


def format_for(path: Path) -> RdfFormat:
    fmt = FORMATS_BY_EXTENSION.get(path.suffix.lower())
    if fmt is None:
        known = " ".join(sorted(FORMATS_BY_EXTENSION))
        raise DatasetError(f"{path}: unknown RDF file extension {path.suffix!r}; use one of {known}")
    return fmt


def loaded_graph_iri(path: Path) -> str:
    return LOADED_GRAPH_BASE + quote(path.name, safe="")


def project_files() -> list[DataFile]:
    """The project's own data files that exist right now (missing ones are skipped)."""
    files: list[DataFile] = []
    onto = resources.ontology_dir()
    if onto.is_dir():
        for p in sorted(onto.glob("*.ttl")):
            if p.name not in NOT_LOADED:
                files.append(DataFile(p, ONTOLOGY_GRAPH, RdfFormat.TURTLE))
    triples = resources.triples_dir()
    for name, graph in (("article.ttl", ARTICLE_GRAPH), ("wikidata-links.ttl", LINKS_GRAPH),
                        ("inferred.ttl", INFERRED_GRAPH)):
        p = triples / name
        if p.is_file():
            files.append(DataFile(p, graph, RdfFormat.TURTLE))
        else:
            log.info("%s not found; graph %s will be empty", p, graph)
    return files


def extra_file(path: Path) -> DataFile:
    path = Path(path)
    if not path.is_file():
        raise DatasetError(f"{path}: no such file (given with --load)")
    return DataFile(path, loaded_graph_iri(path), format_for(path))


def all_files(extra: list[Path] | tuple[Path, ...] = ()) -> list[DataFile]:
    loaded = [extra_file(p) for p in extra]
    by_graph: dict[str, Path] = {}
    for f in loaded:  # each source is its own named graph, named after the file
        other = by_graph.setdefault(f.graph, f.path)
        if other != f.path and other.resolve() != f.path.resolve():
            raise DatasetError(f"{other} and {f.path} would both be the graph {f.graph}: "
                               "give files with different names (copy or rename one)")
    return project_files() + loaded


class _ProgressReader(io.RawIOBase):
    """A file that logs how much of itself has been read: pyoxigraph's bulk loader reports no
    progress of its own, and a 5M-triple file takes a minute. Wrapped in a 1 MB buffer, the
    Python callback runs once a megabyte, which costs the loader nothing measurable."""

    def __init__(self, raw: io.RawIOBase, size: int, name: str, every_s: float = 5.0) -> None:
        self._raw, self._size, self._name, self._every = raw, size, name, every_s
        self._done = 0
        self._started = self._last = time.monotonic()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = self._raw.readinto(buffer) or 0
        self._done += n
        now = time.monotonic()
        if now - self._last >= self._every:
            self._last = now
            log.warning("loading %s: %.0f%% (%.0f of %.0f MB, %.0f s)", self._name,
                        100 * self._done / self._size, self._done / 1e6, self._size / 1e6,
                        now - self._started)
        return n


@contextmanager
def _source(df: DataFile, doing: str) -> Iterator[dict]:
    """The file as keyword arguments for pyoxigraph's parse() and Store.bulk_load(): its path,
    or for a big file a stream that logs its progress on stderr (after a line saying what is
    `doing` with it). A parse error or an unreadable file becomes a DatasetError naming it."""
    try:
        size = df.path.stat().st_size
        if size < BIG_FILE_BYTES:
            yield {"path": str(df.path), "format": df.format, "base_iri": PARSE_BASE_IRI}
            return
        log.warning("%s (%.0f MB)...", doing, size / 1e6)
        with open(df.path, "rb", buffering=0) as raw:
            reader = io.BufferedReader(_ProgressReader(raw, size, df.path.name), buffer_size=1 << 20)
            yield {"input": reader, "format": df.format, "base_iri": PARSE_BASE_IRI}
    except (SyntaxError, ValueError) as e:
        raise DatasetError(f"{df.path}: not valid {df.format.name}: {e}") from e
    except OSError as e:
        raise DatasetError(f"{df.path}: could not be read: {e}") from e


def load_file(store: Store, df: DataFile) -> None:
    """Load one file; a parse error becomes a DatasetError naming the file. Big files show
    their progress on stderr."""
    started = time.monotonic()
    with _source(df, f"loading {df.path} into <{df.graph}>") as source:
        store.bulk_load(**source, to_graph=NamedNode(df.graph))
    level = logging.WARNING if "input" in source else logging.INFO  # a big file: say it is done
    log.log(level, "loaded %s into <%s> in %.2f s", df.path.name, df.graph, time.monotonic() - started)


def read_dataset(files: list[DataFile]) -> Dataset:
    """The files' quads exactly as written, in the graphs load_file puts them in.

    A Store normalizes literals to a canonical form it can encode compactly:
    `"0"^^xsd:nonNegativeInteger` comes back as `"0"^^xsd:integer`, `xsd:dateTimeStamp` as
    `xsd:dateTime`, `"01"` as `"1"` (oxigraph#526; Virtuoso does the same). Queries cannot tell,
    but dumps and loads into other stores should carry the data as the sources have it: NIF's
    offsets are xsd:nonNegativeInteger, OWL's cardinalities must be. So those read the files into
    a pyoxigraph Dataset, which keeps every literal as parsed.
    """
    ds = Dataset()
    for df in files:
        into = NamedNode(df.graph)
        with _source(df, f"reading {df.path}") as source:
            for q in parse(**source):
                if isinstance(q.graph_name, DefaultGraph):
                    q = Quad(q.subject, q.predicate, q.object, into)
                ds.add(q)
    return ds


def normalized_literal_map(source: Dataset) -> dict[tuple, object]:
    """(s, p, normalized literal) -> written literal, for the source's literals that a Store
    answers in another form (read_dataset says why); a key two written forms share is left out
    (no guessing)."""
    literals = list({q.object for q in source if isinstance(q.object, Literal)})
    scratch = Store()  # the store's own normal form, found by asking it
    for i, lit in enumerate(literals):
        scratch.add(Quad(NamedNode(f"urn:idlib-kg:literal:{i}"), NamedNode("urn:idlib-kg:is"), lit))
    normal = {int(q.subject.value.rsplit(":", 1)[1]): q.object for q in scratch}
    changed = {lit: normal[i] for i, lit in enumerate(literals) if normal[i] != lit}
    mapping: dict[tuple, object] = {}
    ambiguous: set[tuple] = set()
    for q in source:
        if q.object in changed:
            key = (q.subject, q.predicate, changed[q.object])
            if mapping.setdefault(key, q.object) != q.object:
                ambiguous.add(key)
    for key in ambiguous:
        del mapping[key]
    return mapping


def load_all(store: Store, files: list[DataFile]) -> None:
    for i, df in enumerate(files, 1):
        log.debug("file %d/%d: %s", i, len(files), df.path)
        load_file(store, df)
