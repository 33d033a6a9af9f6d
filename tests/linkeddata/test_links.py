"""`idlib-kg links check|suggest` against a local Wikidata stand-in (never the real service)."""

from __future__ import annotations

import os
import subprocess
import sys

from stores.services import start_recorder

from .conftest import REPO

WRONG_LINK = """\
@prefix owl: <http://www.w3.org/2002/07/owl#> .
<https://w3id.org/idlib-kg/id/erdogan> owl:sameAs <http://www.wikidata.org/entity/Q39723> .
"""
WRONG_CLASS = """\
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
<https://w3id.org/idlib-kg/id/test-person> a prov:Person ; rdfs:label "Turkey"@en ;
    owl:sameAs <http://www.wikidata.org/entity/Q43> .
"""
AWAITING = """\
@prefix ikg: <https://w3id.org/idlib-kg/ontology#> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
<https://w3id.org/idlib-kg/id/test-putin> a prov:Person ; rdfs:label "Vladimir Putin"@en ;
    ikg:awaitingReconciliation true .
<https://w3id.org/idlib-kg/id/test-hatay> rdfs:label "Hatay"@en ; skos:altLabel "hatay province"@en ;
    ikg:awaitingReconciliation true .
"""


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "idlib_kg", "links", *args], capture_output=True,
                          text=True, cwd=REPO, timeout=300)


def test_project_links_all_check_out(wikidata_standin):
    r = run("check", "--wikidata-endpoint", wikidata_standin.sparql_url)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "ikr:turkey" in r.stdout and "class fits" in r.stdout
    rows = {tuple(ln.split()[:3]): ln for ln in r.stdout.splitlines() if ln.startswith(("ikr:", "ikg:", "scheme:"))}
    # the ontology's mappings and the role scheme's are checked too, not only the data's links
    for key in [("ikg:Airstrike", "skos:exactMatch", "wd:Q2380335"), ("ikg:perpetrator", "skos:closeMatch", "wd:P8031"),
                ("scheme:role/participant", "skos:closeMatch", "wd:P710"),
                ("ikr:regime-offensive-2020", "skos:broadMatch", "wd:Q79629688"),
                ("ikr:idlib", "owl:sameAs", "wd:Q233218")]:
        assert key in rows, f"{key} not checked:\n{r.stdout}"
    assert " ok " in rows[("ikr:idlib", "owl:sameAs", "wd:Q233218")]  # its altLabel is the item's name
    assert "links to a property" in rows[("ikg:perpetrator", "skos:closeMatch", "wd:P8031")]
    assert "0 wrong" in r.stdout


def test_a_wrong_link_is_caught(wikidata_standin, tmp_path):
    wrong = tmp_path / "wrong.ttl"
    wrong.write_text(WRONG_LINK)
    r = run("check", "--wikidata-endpoint", wikidata_standin.sparql_url, "--load", str(wrong))
    assert r.returncode == 1, r.stdout + r.stderr
    line = next(ln for ln in r.stdout.splitlines() if "wd:Q39723" in ln)
    assert "ikr:erdogan" in line and "WRONG" in line
    assert "ikr:erdogan owl:sameAs wd:Q39723" in r.stderr
    # the right link for the same resource is still fine
    assert any("wd:Q39259" in ln and "ok" in ln for ln in r.stdout.splitlines())


def test_a_class_mismatch_is_caught(wikidata_standin, tmp_path):
    wrong = tmp_path / "wrong-class.ttl"
    wrong.write_text(WRONG_CLASS)
    r = run("check", "--wikidata-endpoint", wikidata_standin.sparql_url, "--load", str(wrong))
    assert r.returncode == 1
    line = next(ln for ln in r.stdout.splitlines() if "ikr:test-person" in ln)
    assert "class mismatch" in line and "Q5" in line


def test_unreachable_endpoint_is_exit_2():
    from stores.services import free_port
    r = run("check", "--wikidata-endpoint", f"http://127.0.0.1:{free_port()}/query", "--timeout", "5")
    assert r.returncode == 2 and "cannot reach" in r.stderr


def test_suggest_lists_candidates_and_writes_nothing(wikidata_standin, tmp_path):
    extra = tmp_path / "awaiting.ttl"
    extra.write_text(AWAITING)
    links_file = REPO / "triples" / "wikidata-links.ttl"
    before = links_file.read_bytes()
    r = run("suggest", "--wikidata-endpoint", wikidata_standin.sparql_url, "--load", str(extra))
    assert r.returncode == 0, r.stderr
    putin = next(ln for ln in r.stdout.splitlines() if "ikr:test-putin" in ln)
    assert "wd:Q7747" in putin and "Vladimir Putin" in putin
    hatay = next(ln for ln in r.stdout.splitlines() if "ikr:test-hatay" in ln)
    assert "wd:Q83274" in hatay  # found through the alt label, case-insensitively
    assert "ikr:daily-sabah" in r.stdout  # listed among those without a candidate
    assert "Nothing was written" in r.stdout
    assert links_file.read_bytes() == before and extra.read_text() == AWAITING


def test_an_endpoint_that_answers_html_is_exit_2_not_a_traceback():
    """A 200 that is not SPARQL JSON (a web page at the wrong URL) is "cannot be asked"."""
    page = start_recorder(b"<html><body>not a SPARQL endpoint</body></html>", "text/html")
    try:
        r = run("check", "--wikidata-endpoint", page.url + "sparql", "--timeout", "10")
    finally:
        page.server.shutdown()
    assert r.returncode == 2, r.stdout + r.stderr
    assert "did not answer with SPARQL JSON" in r.stderr and "Traceback" not in r.stderr


def test_a_search_api_that_answers_something_else_is_a_warning_not_a_traceback(wikidata_standin, tmp_path):
    extra = tmp_path / "awaiting.ttl"
    extra.write_text(AWAITING)
    api = start_recorder(b"[1, 2]", "application/json")  # JSON, but no wbsearchentities answer
    try:
        r = run("suggest", "--wikidata-endpoint", wikidata_standin.sparql_url, "--load", str(extra),
                "--search-api", api.url + "w/api.php")
    finally:
        api.server.shutdown()
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr and "not a wbsearchentities result" in r.stderr
    assert api.requests  # it was asked
    assert "wd:Q7747" in r.stdout  # the SPARQL candidates are still listed


CONTAINED_ONLY = """\
@prefix owl: <http://www.w3.org/2002/07/owl#> .
<https://w3id.org/idlib-kg/id/turkey> owl:sameAs <http://www.wikidata.org/entity/Q274918> .
<https://w3id.org/idlib-kg/id/syria> owl:sameAs <http://www.wikidata.org/entity/Q131404661> .
"""
WRONG_TERMS = """\
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix ikg: <https://w3id.org/idlib-kg/ontology#> .
ikg:Airstrike skos:exactMatch <http://www.wikidata.org/entity/P31> .
ikg:numberKilled skos:closeMatch <http://www.wikidata.org/entity/Q43> .
ikg:MilitaryAlliance skos:exactMatch <http://www.wikidata.org/entity/Q43> .
<https://w3id.org/idlib-kg/id/turkey> <http://www.w3.org/2002/07/owl#sameAs> <http://www.wikidata.org/entity/P31> .
"""


def test_a_name_inside_the_items_name_is_no_identity(wikidata_standin, tmp_path):
    # "Turkey" lies inside "Grand National Assembly of Turkey", "Syria" inside "Ba'athist Syria"
    extra = tmp_path / "contained.ttl"
    extra.write_text(CONTAINED_ONLY)
    r = run("check", "--wikidata-endpoint", wikidata_standin.sparql_url, "--load", str(extra))
    assert r.returncode == 1, r.stdout + r.stderr
    assert "ikr:turkey owl:sameAs wd:Q274918" in r.stderr and "ikr:syria owl:sameAs wd:Q131404661" in r.stderr
    assert "ikr:turkey owl:sameAs wd:Q43" not in r.stderr  # the right links stay right


def test_ontology_terms_link_to_the_right_kind_of_entity_with_the_same_name(wikidata_standin, tmp_path):
    extra = tmp_path / "wrong-terms.ttl"
    extra.write_text(WRONG_TERMS)
    r = run("check", "--wikidata-endpoint", wikidata_standin.sparql_url, "--load", str(extra))
    assert r.returncode == 1, r.stdout + r.stderr
    wrong = {ln.split(":", 1)[1].strip() for ln in r.stderr.splitlines() if ln.startswith("WRONG:")}
    assert any(w.startswith("ikg:Airstrike skos:exactMatch wd:P31: an ontology class should link to an item")
               for w in wrong), wrong
    assert any(w.startswith("ikg:numberKilled skos:closeMatch wd:Q43: an ontology property should link to a property")
               for w in wrong), wrong
    assert any(w.startswith("ikg:MilitaryAlliance skos:exactMatch wd:Q43: label mismatch") for w in wrong), wrong
    assert any(w.startswith("ikr:turkey owl:sameAs wd:P31: a resource of the data links to an item") for w in wrong), wrong
    assert len(wrong) == 4, wrong


def test_the_label_verdict_does_not_depend_on_the_order_of_the_labels():
    # a spelling or accent match outranks one name inside the other, whatever the set order
    code = ("from idlib_kg.links import compare_labels; "
            "print(compare_labels(['Türkiye', 'Turkey'], ['Turkiye', 'Republic of Turkey'])[1], "
            "compare_labels([], ['Turkey'])[0])")
    outs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env={**os.environ, "PYTHONHASHSEED": str(seed)}).stdout
            for seed in range(6)}
    assert outs == {"'türkiye' ~ 'turkiye' (accents) WRONG\n"}, outs
