"""`idlib-kg corpus`: valid against the SHACL shapes, deterministic, streamed, about the size asked."""

from __future__ import annotations

import hashlib
import io
import subprocess
import sys
from pathlib import Path

import pytest
import rdflib

from idlib_kg.corpus import CORPUS_GRAPH, generate, write_corpus

REPO_ROOT = Path(__file__).resolve().parents[2]


def corpus_text(triples: int, seed: int, graph: str | None = None) -> str:
    out = io.StringIO()
    write_corpus(out, triples, seed, graph, progress=False)
    return out.getvalue()


@pytest.fixture(scope="module")
def small() -> str:
    return corpus_text(2000, seed=7)


def test_small_corpus_conforms_to_the_shapes(small):
    from idlib_kg.validate import validate

    report = validate(rdflib.Graph().parse(data=small, format="nt"))
    assert report.conforms, report.text[:3000]


def test_spans_match_the_text_they_point_into(small):
    g = rdflib.Graph().parse(data=small, format="nt")
    nif = rdflib.Namespace("http://persistence.uni-leipzig.org/nlp2rdf/ontologies/nif-core#")
    texts = {ctx: str(t) for ctx, t in g.subject_objects(nif.isString)}
    checked = 0
    for span, ctx in g.subject_objects(nif.referenceContext):
        b, e = int(g.value(span, nif.beginIndex)), int(g.value(span, nif.endIndex))
        assert str(g.value(span, nif.anchorOf)) == texts[ctx][b:e]
        assert str(span).endswith(f"#char={b},{e}")
        checked += 1
    assert checked > 50


def test_same_seed_same_bytes_other_seed_other_bytes():
    a, b, c = corpus_text(5000, 1), corpus_text(5000, 1), corpus_text(5000, 2)
    assert hashlib.sha256(a.encode()).digest() == hashlib.sha256(b.encode()).digest()
    assert a != c


@pytest.mark.parametrize("n", [1000, 2000, 10_000, 50_000])
def test_requested_size_is_reached_within_half_a_report(n):
    lines = corpus_text(n, 3).count("\n")
    assert abs(lines - n) <= max(150, n // 100)


def test_output_is_streamed_one_report_at_a_time():
    sizes = [len(chunk) for chunk in generate(30_000, 1)]
    assert len(sizes) > 100
    assert max(sizes[1:]) < 400      # one report per chunk; nothing accumulates


def test_quads_go_to_the_corpus_graph_and_parse(tmp_path):
    text = corpus_text(1500, 1, CORPUS_GRAPH)
    ds = rdflib.Dataset().parse(data=text, format="nquads")
    assert len(ds.graph(rdflib.URIRef(CORPUS_GRAPH))) == text.count("\n")


def test_the_command_writes_a_file_and_refuses_other_extensions(tmp_path):
    out = tmp_path / "c.nt"
    r = subprocess.run([sys.executable, "-m", "idlib_kg", "corpus", "--triples", "3000", "--seed", "5",
                        "-o", str(out)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert out.read_text() == corpus_text(3000, 5)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.nt"]  # the temporary file is gone
    r = subprocess.run([sys.executable, "-m", "idlib_kg", "corpus", "-o", str(tmp_path / "c.ttl")],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and ".nt or .nq" in r.stderr


def test_a_failed_write_leaves_no_partial_corpus(tmp_path, monkeypatch, capsys):
    """As a full disk would: the write fails after part of the corpus is out."""
    import argparse

    from idlib_kg import corpus

    def fails_halfway(out, *args, **kwargs):
        out.write("<https://example.org/s> <https://example.org/p> \"partial\" .\n")
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(corpus, "write_corpus", fails_halfway)
    args = argparse.Namespace(triples=3000, seed=1, output=tmp_path / "c.nt")
    assert corpus.corpus_command(args) == 2
    assert "No space left on device" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
