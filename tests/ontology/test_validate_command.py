"""`idlib-kg validate`: the shapes as a command, with exit codes that mean things."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "idlib_kg", "validate", *args],
                          capture_output=True, text=True, timeout=300, cwd=cwd)


def test_the_article_and_its_links_conform_with_exit_0():
    done = run()
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Conforms: True" in done.stdout


def test_a_claim_without_claimant_exits_1_naming_what_to_add(tmp_path: Path):
    bad = tmp_path / "bad.ttl"
    bad.write_text("@prefix ikg: <https://w3id.org/idlib-kg/ontology#> .\n"
                   "<https://w3id.org/idlib-kg/id/x> a ikg:Claim .\n", encoding="utf-8")
    done = run(str(bad))
    assert done.returncode == 1
    assert "Conforms: False" in done.stdout
    assert "ikg:claimant" in done.stdout
    assert "https://w3id.org/idlib-kg/id/x" in done.stdout


def test_an_unreadable_file_exits_2_with_its_name(tmp_path: Path):
    broken = tmp_path / "broken.ttl"
    broken.write_text("<a> <b> .\n", encoding="utf-8")
    done = run(str(broken))
    assert done.returncode == 2
    assert "broken.ttl" in done.stderr
    # the parser's words and position, as `query --load` gives them, not Python bytes reprs
    assert "not valid Turtle" in done.stderr and "line 1" in done.stderr
    assert "b'" not in done.stderr


def test_files_rdflib_cannot_read_are_exit_2_with_a_reason_for_people(tmp_path: Path):
    unknown = tmp_path / "bad.foo"
    unknown.write_text("<a> <b> .\n", encoding="utf-8")
    rdf12 = tmp_path / "rdf12.ttl"  # RDF 1.2 syntax: the server reads it, rdflib does not
    rdf12.write_text('@prefix ex: <http://example.org/> .\nex:s ex:p "x"@en--ltr .\n', encoding="utf-8")
    folder = tmp_path / "folder.ttl"
    folder.mkdir()
    n3 = tmp_path / "broken.n3"  # rdflib reads .n3 as N3, and says so
    n3.write_text("@prefix ex: <http://example.org/> .\nex:a ex:b .\n", encoding="utf-8")
    for path, words in ((unknown, "as turtle"), (n3, "as n3: at line 2"),
                        (rdf12, "the server reads it, but rdflib, which the validation runs on, does not"),
                        (folder, "a directory, not a file")):
        done = run(str(path))
        assert done.returncode == 2 and words in done.stderr, (path, done.stderr)
        assert "b'" not in done.stderr and "BufferedReader" not in done.stderr


def test_a_missing_file_is_exit_2_and_no_other_file_is_read_instead(tmp_path: Path):
    """rdflib resolves a missing name as a URL against the working directory's parent."""
    (tmp_path / "parent-only.ttl").write_text("@prefix ikg: <https://w3id.org/idlib-kg/ontology#> .\n"
                                              "<https://w3id.org/idlib-kg/id/x> a ikg:Claim .\n")
    sub = tmp_path / "sub"
    sub.mkdir()
    done = run("parent-only.ttl", cwd=sub)
    assert done.returncode == 2 and "parent-only.ttl: no such file" in done.stderr
    assert "Conforms" not in done.stdout


@pytest.mark.parametrize("fmt, ext", [("N_QUADS", "nq"), ("TRIG", "trig"), ("JSON_LD", "jsonld")])
def test_quads_in_named_graphs_are_checked_too(tmp_path: Path, fmt: str, ext: str):
    """rdflib's Graph drops the named graphs of a quad file: such a file 'conformed' unread."""
    import pyoxigraph as ox
    claim = ox.Quad(ox.NamedNode("https://w3id.org/idlib-kg/id/x"),
                    ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
                    ox.NamedNode("https://w3id.org/idlib-kg/ontology#Claim"),
                    ox.NamedNode("https://w3id.org/idlib-kg/graph/test"))
    bad = tmp_path / f"bad.{ext}"
    bad.write_bytes(ox.serialize([claim], format=getattr(ox.RdfFormat, fmt)))
    done = run(str(bad))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "ikg:claimant" in done.stdout
