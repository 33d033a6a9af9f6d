"""Fixtures for the ontology tests: parsed graphs, one HermiT run per input, SHACL validation.

HermiT takes seconds, so each reasoner run (ontology alone, ontology + the hand-made graph,
ontology + the article) happens once per session. Tests that need triples/article.ttl skip
while it is absent, and fail instead when CI=true.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import rdflib
from prerequisites import skip_or_fail
from rdflib import Namespace

from idlib_kg import reasoning

REPO_ROOT = Path(__file__).resolve().parents[2]
ONTOLOGY_DIR = REPO_ROOT / "ontology"
TRIPLES_DIR = REPO_ROOT / "triples"
ONTOLOGY = ONTOLOGY_DIR / "idlib-kg.ttl"
EVENT_TYPES = ONTOLOGY_DIR / "event-types.ttl"
SHAPES = ONTOLOGY_DIR / "shapes.ttl"
ARTICLE = TRIPLES_DIR / "article.ttl"
ARTICLE_TEXT = TRIPLES_DIR / "article.txt"
INFERRED = TRIPLES_DIR / "inferred.ttl"
MINI = Path(__file__).resolve().parent / "data" / "mini.ttl"

IKG = Namespace("https://w3id.org/idlib-kg/ontology#")
IKR = Namespace("https://w3id.org/idlib-kg/id/")
MINI_NS = Namespace("https://w3id.org/idlib-kg/id/mini/")
SH = Namespace("http://www.w3.org/ns/shacl#")


def parse(*paths: Path) -> rdflib.Graph:
    g = rdflib.Graph()
    for p in paths:
        g.parse(p, format="turtle")
    return g


@pytest.fixture(scope="session")
def ontology() -> rdflib.Graph:
    """idlib-kg.ttl alone (the OWL ontology)."""
    return parse(ONTOLOGY)


@pytest.fixture(scope="session")
def ontology_and_schemes() -> rdflib.Graph:
    return parse(ONTOLOGY, EVENT_TYPES)


@pytest.fixture(scope="session")
def article() -> rdflib.Graph:
    return parse(ARTICLE)  # committed: a missing file is an error, not a skip


@pytest.fixture(scope="session")
def require_java() -> None:
    if not shutil.which("java"):
        skip_or_fail("Java is not installed: HermiT cannot run")


@pytest.fixture(scope="session")
def reasoned_ontology(require_java, ontology_and_schemes) -> reasoning.Reasoned:
    return reasoning.run_hermit(ontology_and_schemes, rdflib.Graph())


@pytest.fixture(scope="session")
def reasoned_mini(require_java, ontology_and_schemes) -> reasoning.Reasoned:
    return reasoning.run_hermit(ontology_and_schemes, parse(MINI))


@pytest.fixture(scope="session")
def reasoned_article(require_java, article) -> reasoning.Reasoned:
    """Through the public check_consistency(), which raises on inconsistency or unsatisfiability."""
    return reasoning.check_consistency([ONTOLOGY, EVENT_TYPES], [ARTICLE])


@pytest.fixture(scope="session")
def inferred_article(reasoned_article) -> rdflib.Graph:
    return reasoning.compute_inferences(reasoned=reasoned_article)


@pytest.fixture(scope="session")
def shapes() -> rdflib.Graph:
    return parse(SHAPES)


@pytest.fixture(scope="session")
def validate(shapes, ontology_and_schemes):
    """validate(data) -> (conforms, results graph, text), the way shapes.ttl says to run it."""
    from idlib_kg.validate import validate as run_shapes

    def run(data: rdflib.Graph):
        return run_shapes(data, shapes=shapes, ontology=ontology_and_schemes)

    return run


def violations(results: rdflib.Graph, severity=SH.Violation) -> set[tuple[str, str]]:
    """(focus node, message) of every result of the given severity."""
    out = set()
    for r in results.subjects(rdflib.RDF.type, SH.ValidationResult):
        if results.value(r, SH.resultSeverity) == severity:
            out.add((str(results.value(r, SH.focusNode)), str(results.value(r, SH.resultMessage))))
    return out
