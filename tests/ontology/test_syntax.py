"""The Turtle files parse in three independent parsers: rdflib, pyoxigraph (Rust) and rapper (C)."""

from __future__ import annotations

import shutil
import subprocess

import pyoxigraph
import pytest
import rdflib

from .conftest import ARTICLE, EVENT_TYPES, INFERRED, ONTOLOGY, SHAPES, skip_or_fail

# every committed Turtle file of ontology/ and the two built ones of triples/: a missing one
# fails its test (a file not found), never drops out of the list
FILES = [ONTOLOGY, EVENT_TYPES, SHAPES, ARTICLE, INFERRED]


def turtle_files():
    return FILES


@pytest.mark.parametrize("path", turtle_files(), ids=lambda p: p.name)
def test_turtle_parses_in_rdflib(path):
    g = rdflib.Graph().parse(path, format="turtle")
    assert len(g) > 0


@pytest.mark.parametrize("path", turtle_files(), ids=lambda p: p.name)
def test_turtle_parses_in_pyoxigraph(path):
    with path.open("rb") as f:
        triples = list(pyoxigraph.parse(f, format=pyoxigraph.RdfFormat.TURTLE, base_iri=path.as_uri()))
    assert triples


@pytest.mark.parametrize("path", turtle_files(), ids=lambda p: p.name)
def test_turtle_is_valid_for_rapper(path):
    if not shutil.which("rapper"):
        skip_or_fail("rapper (raptor2-utils) is not installed")
    proc = subprocess.run(["rapper", "-i", "turtle", "-c", str(path)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize("path", turtle_files(), ids=lambda p: p.name)
def test_parsers_agree_on_the_triple_count(path):
    g = rdflib.Graph().parse(path, format="turtle")
    with path.open("rb") as f:
        ox = set(pyoxigraph.parse(f, format=pyoxigraph.RdfFormat.TURTLE, base_iri=path.as_uri()))
    assert len(ox) == len(g)
