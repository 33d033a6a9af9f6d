"""SHACL validation of instance data against ontology/shapes.ttl, with pyshacl.

The shapes are run the way shapes.ttl is written for: no RDFS inference, but the ontology and its
concept schemes mixed into the data, so sh:targetClass and sh:class follow rdfs:subClassOf without
classes that only the reasoner derives being required. Advanced SHACL (SPARQL targets) is on;
warnings do not break conformance. The mixing is a plain union of the triples, done here:
pyshacl's own (its ont_graph) clones the ontology node by node and took about 60 s of the 70 s
a validation of the article took here, for the same report.

`idlib-kg validate [FILE ...]` checks the article (and any further files, such as a generated
corpus) and prints the report; exit 0 conforms, 1 does not, 2 a file could not be read.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import NamedTuple

from rdflib import Dataset, Graph

from idlib_kg import resources

ONTOLOGY_FILES = ("idlib-kg.ttl", "event-types.ttl")
SHAPES_FILE = "shapes.ttl"
DATA_FILES = ("article.ttl", "wikidata-links.ttl")


class Report(NamedTuple):
    conforms: bool
    results: Graph
    text: str


def ontology_graph() -> Graph:
    g = Graph()
    for name in ONTOLOGY_FILES:
        g.parse(resources.ontology_dir() / name, format="turtle")
    return g


def shapes_graph() -> Graph:
    return Graph().parse(resources.ontology_dir() / SHAPES_FILE, format="turtle")


def validate(data: Graph, shapes: Graph | None = None, ontology: Graph | None = None) -> Report:
    """Validate `data`; the shapes and ontology default to the project's own."""
    import pyshacl  # imported here: it is slow to import and only this command needs it

    # rdflib logs a traceback for every ill-typed literal ("last Thursday"^^xsd:dateTime); the
    # shapes report those to the user in words, so the log noise is muted while they run.
    ontology = ontology if ontology is not None else ontology_graph()
    mixed = Graph()
    for source in (ontology, data):  # the report writes IRIs with the prefixes the files declare
        for prefix, namespace in source.namespaces():
            mixed.bind(prefix, namespace, override=source is data)
    mixed += ontology
    mixed += data
    logging.disable(logging.WARNING)
    try:
        conforms, results, text = pyshacl.validate(
            mixed, shacl_graph=shapes if shapes is not None else shapes_graph(),
            inference="none", advanced=True, allow_warnings=True)
    finally:
        logging.disable(logging.NOTSET)
    return Report(bool(conforms), results, text)


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "validate", help="check data against the SHACL shapes (ontology/shapes.ttl)",
        description="Validate the article's triples, or the RDF files given, against the project's "
                    "SHACL shapes. Exit codes: 0 conforms, 1 does not conform (the report says what "
                    "to fix), 2 a file could not be read.")
    p.add_argument("files", nargs="*", type=Path, metavar="FILE",
                   help="RDF files to validate (default: triples/article.ttl and the Wikidata links)")
    p.set_defaults(func=validate_command)


def validate_command(args: argparse.Namespace) -> int:
    files = args.files or [resources.triples_dir() / name for name in DATA_FILES]
    data = Graph()
    for path in files:
        if not Path(path).is_file():  # rdflib would read a missing name as a URL (the parent's file)
            why = "a directory, not a file" if Path(path).is_dir() else "no such file"
            print(f"idlib-kg validate: {path}: {why}", file=sys.stderr)
            return 2
        try:
            # a Dataset keeps the quads of .nq/.trig/.jsonld named graphs, which a Graph drops
            # without a word (they would "conform" unchecked); the shapes see their union
            quads = Dataset()
            quads.parse(path)
        except Exception as e:  # rdflib raises many types; the user needs the file and the reason
            print(f"idlib-kg validate: {_unreadable(Path(path), e)}", file=sys.stderr)
            return 2
        for s, p, o, _ in quads.quads((None, None, None, None)):
            data.add((s, p, o))
    triples = f"{len(data):,} triple{'' if len(data) == 1 else 's'}"
    sources = f"{len(files)} file{'' if len(files) == 1 else 's'}"
    print(f"idlib-kg validate: checking {triples} from {sources} against the SHACL shapes, with "
          "the ontology mixed in...", file=sys.stderr)
    report = validate(data)
    print(report.text)
    return 0 if report.conforms else 1


def _unreadable(path: Path, error: Exception) -> str:
    """Why `path` cannot be read, as `idlib-kg query --load` says it where pyoxigraph knows the
    format (its parser names the line and column plainly); else rdflib's reason, without the
    Python bytes reprs its message quotes the text in."""
    from idlib_kg.dataset import DatasetError, extra_file, read_dataset
    try:
        source = extra_file(path)
    except DatasetError:  # an extension the server does not load: rdflib guessed a format
        from rdflib.util import guess_format
        guessed = guess_format(str(path))
        if guessed is None:  # rdflib tried Turtle, and its message says only that it failed
            guessed = "turtle"
            try:
                Graph().parse(path, format=guessed)
            except Exception as e:  # noqa: BLE001 - any rdflib error: its words are the reason
                error = e
        return f"cannot read {path} as {guessed}: {_rdflib_reason(error)}"
    try:
        read_dataset([source])
    except DatasetError as e:
        return str(e)
    return (f"cannot read {path}: the server reads it, but rdflib, which the validation runs on, "
            f"does not: {_rdflib_reason(error)}")  # RDF 1.2 syntax, say


def _rdflib_reason(error: Exception) -> str:
    """rdflib's "at line 3 of <>: Bad syntax (...) at ^ in: "b'...'^b'...'"" as its first part."""
    lines = str(error).splitlines()
    if len(lines) >= 2 and lines[1].startswith("Bad syntax"):
        return f"{lines[0]} {lines[1].removesuffix(' at ^ in:')}"
    return " ".join(lines)
