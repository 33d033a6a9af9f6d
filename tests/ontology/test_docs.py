"""The HTML documentation (ontology/doc/index.html, `idlib-kg docs`): every term's fragment lands
on its element, the page is deterministic, up to date, and escapes what it shows."""

from __future__ import annotations

import subprocess
import sys
from html.parser import HTMLParser

import pytest
from rdflib import OWL, RDF

from idlib_kg import docs

from .conftest import EVENT_TYPES, IKG, ONTOLOGY, REPO_ROOT

DOC = REPO_ROOT / "ontology" / "doc" / "index.html"


class IdCollector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids: list[str] = []
        self.hrefs: list[str] = []
        self.scripts = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.append(a["id"])
        if "href" in a:
            self.hrefs.append(a["href"])
        if tag == "script":
            self.scripts += 1


@pytest.fixture(scope="module")
def page() -> str:
    return docs.render([ONTOLOGY, EVENT_TYPES])


@pytest.fixture(scope="module")
def parsed(page) -> IdCollector:
    p = IdCollector()
    p.feed(page)
    return p


def test_every_term_fragment_is_an_element_id(ontology, parsed):
    ids = set(parsed.ids)
    terms = {s for kind in (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty,
                            OWL.NamedIndividual) for s in ontology.subjects(RDF.type, kind)
             if str(s).startswith(str(IKG))}
    missing = sorted(t.fragment for t in terms if t.fragment not in ids)
    assert not missing, f"terms without an element id in the page: {missing}"
    assert "Claim" in ids and "claimant" in ids and "Position" in ids and "positionHeld" in ids


def test_element_ids_are_unique(parsed):
    seen, dupes = set(), set()
    for i in parsed.ids:
        (dupes if i in seen else seen).add(i)
    assert not dupes


def test_internal_links_all_resolve(parsed):
    ids = set(parsed.ids)
    broken = sorted({h for h in parsed.hrefs if h.startswith("#") and h[1:] not in ids})
    assert not broken


def test_concept_schemes_are_documented_with_their_notations(page, parsed):
    assert "scheme-cameo-016" in parsed.ids
    assert "scheme-acled-air-drone-strike" in parsed.ids
    assert "<code>016</code>" in page
    assert 'href="#scheme-cameo-016"' in page  # ikg:Denial links to its CAMEO code


def test_rendering_is_deterministic(page):
    assert page == docs.render([ONTOLOGY, EVENT_TYPES])


def test_the_committed_page_is_up_to_date():
    proc = subprocess.run([sys.executable, "-m", "idlib_kg", "docs", "--check"], cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr


def test_idlib_kg_has_a_docs_command():
    from idlib_kg import cli

    args = cli.build_parser().parse_args(["docs", "--check"])
    assert args.func is docs.docs_command


def test_text_from_the_ontology_is_escaped(tmp_path):
    evil = tmp_path / "evil.ttl"
    evil.write_text("""
@prefix ikg: <https://w3id.org/idlib-kg/ontology#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
<https://w3id.org/idlib-kg/ontology> a owl:Ontology ; rdfs:comment "<b>bold</b> & co" .
ikg:Evil a owl:Class ; rdfs:label "<script>alert(1)</script>"@en ;
    skos:definition "\\"quoted\\" <img src=x onerror=alert(2)>"@en ;
    rdfs:subClassOf [ a owl:Restriction ; owl:onProperty ikg:p ; owl:hasValue "<i>x</i>" ] .
ikg:p a owl:DatatypeProperty ; rdfs:label "p"@en .
""", encoding="utf-8")
    html = docs.render([evil])
    assert "<script>" not in html and "<img" not in html and "<b>bold" not in html and "<i>x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(2)&gt;" in html
    assert "&amp; co" in html
    p = IdCollector()
    p.feed(html)
    assert p.scripts == 0 and "Evil" in p.ids


def test_docs_to_a_directory_is_exit_2_with_a_message(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "idlib_kg", "docs", "--output", str(tmp_path)], cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "cannot write" in proc.stderr and "Traceback" not in proc.stderr
