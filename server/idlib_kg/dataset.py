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
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from pyoxigraph import NamedNode, RdfFormat, Store

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
    return project_files() + [extra_file(p) for p in extra]


def load_file(store: Store, df: DataFile) -> None:
    """Load one file; a parse error becomes a DatasetError naming the file."""
    size = df.path.stat().st_size
    started = time.monotonic()
    if size >= BIG_FILE_BYTES:
        log.warning("loading %s (%.0f MB) into <%s>...", df.path, size / 1e6, df.graph)
    try:
        store.bulk_load(path=str(df.path), format=df.format, base_iri=PARSE_BASE_IRI,
                        to_graph=NamedNode(df.graph))
    except (SyntaxError, ValueError) as e:
        raise DatasetError(f"{df.path}: not valid {df.format.name}: {e}") from e
    except OSError as e:
        raise DatasetError(f"{df.path}: could not be read: {e}") from e
    log.info("loaded %s into <%s> in %.2f s", df.path.name, df.graph, time.monotonic() - started)


def load_all(store: Store, files: list[DataFile]) -> None:
    for i, df in enumerate(files, 1):
        log.debug("file %d/%d: %s", i, len(files), df.path)
        load_file(store, df)
