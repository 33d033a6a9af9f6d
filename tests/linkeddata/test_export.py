"""`idlib-kg export`: every format re-parses (rdflib and pyoxigraph) to the source dataset,
byte-identical output across runs, N-Triples/N-Quads pass `rapper -c`, QuickStatements."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

import pytest
import pyoxigraph as ox
from prerequisites import require
from rdflib import XSD, Dataset as RDataset, Graph, Literal, URIRef
from rdflib.compare import isomorphic

from idlib_kg.dataset import project_files
from idlib_kg.export import (EVENT_CLASSES, QUAD_FORMATS, RDF_FORMATS, _qs_number, canonical_quads,
                             faithful_dataset, union_triples)

from .conftest import REPO

NIF_BEGIN = URIRef("http://persistence.uni-leipzig.org/nlp2rdf/ontologies/nif-core#beginIndex")

RDFLIB = {"turtle": "turtle", "ntriples": "nt", "rdfxml": "xml", "nquads": "nquads", "trig": "trig",
          "jsonld": "json-ld"}
OX = {"turtle": ox.RdfFormat.TURTLE, "ntriples": ox.RdfFormat.N_TRIPLES, "rdfxml": ox.RdfFormat.RDF_XML,
      "nquads": ox.RdfFormat.N_QUADS, "trig": ox.RdfFormat.TRIG, "jsonld": ox.RdfFormat.JSON_LD}


def export(fmt: str, out, *load) -> bytes:
    """`idlib-kg export --format fmt -o out`, with each of `load` as a --load file."""
    extra = [arg for path in load for arg in ("--load", str(path))]
    r = subprocess.run([sys.executable, "-m", "idlib_kg", "export", "--format", fmt, *extra, "-o", str(out)],
                       capture_output=True, text=True, cwd=REPO, timeout=300)
    assert r.returncode == 0, r.stderr
    return out.read_bytes()


@pytest.fixture(scope="module")
def source():
    return canonical_quads(faithful_dataset())


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    d = tmp_path_factory.mktemp("export")
    return {fmt: (d / f"x.{fmt}", export(fmt, d / f"x.{fmt}")) for fmt in RDF_FORMATS}


def _rdflib_graphs(quads) -> dict[str, Graph]:
    out: dict[str, Graph] = {}
    nq = ox.serialize(quads, format=ox.RdfFormat.N_QUADS).decode()
    ds = RDataset()
    ds.parse(data=nq, format="nquads")
    for g in ds.graphs():
        if len(g):
            out[str(g.identifier)] = g
    return out


def test_export_keeps_every_literal_as_the_source_files_write_it(exported):
    """Checked with rdflib, file by file: a Store would have turned NIF's
    xsd:nonNegativeInteger offsets and OWL's cardinalities into xsd:integer, and
    xsd:dateTimeStamp into xsd:dateTime (oxigraph#526)."""
    ds = RDataset()
    ds.parse(data=exported["nquads"][1], format="nquads")
    expected: dict[str, Graph] = {}
    for f in project_files():  # the ontology graph holds two files
        expected.setdefault(f.graph, Graph()).parse(f.path, format="turtle")
    assert set(expected) == {str(g.identifier) for g in ds.graphs() if len(g)}
    for name, graph in expected.items():
        assert isomorphic(ds.graph(URIRef(name)), graph), name
    objects = [o for _, _, o, _ in ds.quads((None, None, None, None))]
    assert {o.datatype for _, _, o, _ in ds.quads((None, NIF_BEGIN, None, None))} == {XSD.nonNegativeInteger}
    assert XSD.dateTimeStamp in {o.datatype for o in objects if isinstance(o, Literal)}


@pytest.mark.parametrize("fmt", list(RDF_FORMATS))
def test_export_is_deterministic(fmt, exported, tmp_path):
    assert export(fmt, tmp_path / "again") == exported[fmt][1]


@pytest.mark.parametrize("fmt", list(RDF_FORMATS))
def test_export_reparses_isomorphic_with_rdflib(fmt, exported, source):
    path, data = exported[fmt]
    if fmt in QUAD_FORMATS:
        ds = RDataset()
        ds.parse(data=data, format=RDFLIB[fmt])
        got = {str(g.identifier): g for g in ds.graphs() if len(g)}
        want = _rdflib_graphs(source)
        assert set(got) == set(want)
        for name in want:
            assert isomorphic(got[name], want[name]), name
    else:
        got = Graph().parse(data=data, format=RDFLIB[fmt])
        want = Graph().parse(data=ox.serialize(union_triples(source), format=ox.RdfFormat.N_TRIPLES),
                             format="nt")
        assert len(got) == len(want) and isomorphic(got, want)


@pytest.mark.parametrize("fmt", list(RDF_FORMATS))
def test_export_reparses_identically_with_pyoxigraph(fmt, exported, source):
    path, data = exported[fmt]
    parsed = ox.Dataset()
    for q in ox.parse(data, format=OX[fmt]):
        parsed.add(q if isinstance(q, ox.Quad) else ox.Quad(q.subject, q.predicate, q.object))
    parsed.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    if fmt in QUAD_FORMATS:
        want = {str(q) for q in source}
    else:
        want = {str(ox.Quad(t.subject, t.predicate, t.object)) for t in union_triples(source)}
        # the union was canonicalized as one graph: compare after canonicalizing it the same way
        d = ox.Dataset()
        for t in union_triples(source):
            d.add(ox.Quad(t.subject, t.predicate, t.object))
        d.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
        want = {str(q) for q in d}
    assert {str(q) for q in parsed} == want


@pytest.mark.parametrize("fmt,syntax", [("ntriples", "ntriples"), ("nquads", "nquads")])
def test_rapper_accepts(fmt, syntax, exported):
    rapper = shutil.which("rapper")
    require(rapper is not None, "rapper is missing (apt-get install raptor2-utils)")
    r = subprocess.run([rapper, "-i", syntax, "-c", str(exported[fmt][0])], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]


def test_named_graphs_kept_in_quad_formats(exported):
    nq = exported["nquads"][1].decode()
    for g in ("ontology", "article", "links"):
        assert f"<https://w3id.org/idlib-kg/graph/{g}> .\n" in nq


def _block(text: str, resource: str) -> str:
    """The lines under the comment that names `resource`, to the next empty line."""
    return text.split(f"# <https://w3id.org/idlib-kg/id/{resource}>")[1].split("\n\n")[0].split("\n", 1)[1]


def _check_statement(ln: str, verified: set[str]) -> None:
    cells = ln.split("\t")
    assert cells[0] == "LAST" or re.fullmatch(r"Q\d+", cells[0]), ln
    if cells[1] == "Len":
        return
    # every statement has the article as its reference
    assert "S1476\ten:\"Russia denies involvement in airstrikes on Turkish troops in Idlib\"" in ln
    assert "S577\t+2020-02-28T00:00:00Z/11" in ln
    value = cells[2]
    if re.fullmatch(r"Q\d+", value):
        assert value in (set(EVENT_CLASSES.values()) if cells[1] == "P31" else verified), ln


def test_quickstatements_propose_unreconciled_events_only_as_comments(tmp_path):
    text = export("quickstatements", tmp_path / "x.qs.tsv").decode("utf-8")
    # nothing runs unseen: an event nobody has looked up on Wikidata yet may already be there
    assert [ln for ln in text.splitlines() if ln and not ln.startswith("#")] == []
    verified = set(re.findall(r"wd:(Q\d+)", (REPO / "triples" / "wikidata-links.ttl").read_text()))
    proposed = [ln[2:] for ln in text.splitlines() if ln.startswith("#\t")]
    flagged = {str(s) for s in Graph().parse(REPO / "triples" / "wikidata-links.ttl").subjects(
        URIRef("https://w3id.org/idlib-kg/ontology#awaitingReconciliation"), Literal(True))}
    events = {e for e in flagged if f"# <{e}>" in text}
    assert {"https://w3id.org/idlib-kg/id/" + n for n in ("attack-2020-02-27", "sochi-agreement")} <= events
    assert proposed.count("CREATE") == len(events)  # one proposal per flagged event, nothing else
    for ln in proposed:
        if ln != "CREATE":
            _check_statement(ln, verified)
    attack = _block(text, "attack-2020-02-27")
    assert "\tP1120\t33\t" in attack and "\tP585\t+2020-02-27T00:00:00Z/11\t" in attack
    assert "\tP8031\t" not in attack  # attribution only as reported
    assert "denies that Russian planes did it" in attack
    assert re.search(r"# P8031 omitted: .* only in a claim of Daily Sabah .*contested", attack)
    for agreement in ("sochi-agreement", "idlib-ceasefire"):
        block = _block(text, agreement)
        assert "\tP1891\t" not in block and "\tP31\t" not in block, block  # not signed; no treaty
    assert "# party: Russia (Q159); not P1891" in _block(text, "sochi-agreement")
    skipped = text.split("# Not exported")[1]
    for grouping in ("attacks-on-idlib", "attacks-condemned-by-stoltenberg", "security-meeting-2020-02-27"):
        assert f"<https://w3id.org/idlib-kg/id/{grouping}>" in skipped
    assert "awaits reconciliation" in text  # unverified entities are comments, not invented ids


def test_quickstatements_send_a_linked_events_statements_to_its_item_once_each(tmp_path):
    linked = tmp_path / "linked.ttl"  # a test link, not a claim about Wikidata
    linked.write_text("<https://w3id.org/idlib-kg/id/security-meeting-2020-02-27> "
                      "<http://www.w3.org/2002/07/owl#sameAs> <http://www.wikidata.org/entity/Q99999991> .\n")
    text = export("quickstatements", tmp_path / "x.qs.tsv", linked).decode("utf-8")
    meeting = _block(text, "security-meeting-2020-02-27")
    lines = [ln for ln in meeting.splitlines() if not ln.startswith("#")]
    assert lines and all(ln.startswith("Q99999991\t") for ln in lines), meeting
    assert any(ln.startswith("Q99999991\tP585\t+2020-02-27T00:00:00Z/11\t") for ln in lines)
    assert len(lines) == len(set(lines))  # ikg:organizer is a sub-property of sem:hasActor: one P710 each


def test_quickstatements_quantities_are_plain_decimals():
    assert _qs_number(1_000_000.0) == "1000000" and _qs_number(2.5) == "2.5" and _qs_number(33) == "33"


def test_quickstatements_run_nothing_for_an_event_both_linked_and_awaiting(tmp_path):
    linked = tmp_path / "linked.ttl"  # a test link, not a claim about Wikidata
    linked.write_text("<https://w3id.org/idlib-kg/id/attack-2020-02-27> "
                      "<http://www.w3.org/2002/07/owl#sameAs> <http://www.wikidata.org/entity/Q99999992> .\n")
    text = export("quickstatements", tmp_path / "x.qs.tsv", linked).decode("utf-8")
    attack = _block(text, "attack-2020-02-27")
    assert "still flagged awaiting reconciliation" in attack
    assert all(ln.startswith("#") for ln in attack.splitlines()), attack
    assert "#\tQ99999992\tP1120\t33\t" in attack  # addressed to the item, once confirmed


HOSTILE_QS = r'''
@prefix ikg: <https://w3id.org/idlib-kg/ontology#> .
@prefix ikr: <https://w3id.org/idlib-kg/id/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix sem: <http://semanticweb.cs.vu.nl/2009/11/sem/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
ikr:qs-grouping a ikg:Airstrike ; rdfs:label "grouping\nQ42\tLen\t\"INJECTED-1\""@en .
ikr:qs-awaiting a ikg:Airstrike ; rdfs:label "awaiting\r\nQ43\tLen\t\"INJECTED-2\"\u2028Q44\tLen\t\"INJECTED-3\""@en ;
    ikg:awaitingReconciliation true ; sem:hasActor ikr:qs-actor , [ rdfs:label "blank\nQ45\tLen\t\"INJECTED-4\"" ] ;
    ikg:numberKilled ikr:qs-count .
ikr:qs-count ikg:lowerBound "NaN"^^xsd:double ; ikg:upperBound "3"^^xsd:integer .
ikr:qs-actor rdfs:label "actor\nQ46\tLen\t\"INJECTED-5\""@en .
ikr:qs-fake a ikg:Airstrike ; rdfs:label "fake link" ; owl:sameAs <http://www.wikidata.org/entity/Qfoo/bar> .
'''


def test_quickstatements_never_turn_a_label_into_a_line_of_their_own(tmp_path):
    hostile = tmp_path / "hostile.ttl"
    hostile.write_text(HOSTILE_QS, encoding="utf-8")
    text = export("quickstatements", tmp_path / "x.qs.tsv", hostile).decode("utf-8")
    lines = text.split("\n")
    assert [ln for ln in lines if ln and not ln.startswith("#")] == []  # nothing runs: nothing verified
    assert all("INJECTED" not in ln or ln.startswith("#") for ln in lines)
    assert not any(c in text for c in "\r\u2028\u0085")
    for n in (1, 2, 3, 5):
        assert f"INJECTED-{n}" in text  # kept, inside comments (a blank node's label is not shown)
    assert "# P1120: bounds 'NaN' and '3' are not finite numbers" in text
    assert "fake link" in text.split("# Not exported")[1]  # wd:Qfoo/bar is no Q-id: not linked
