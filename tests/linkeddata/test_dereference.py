"""Dereferencing: 303 for things, 200 + Content-Location for documents, HTML that escapes."""

from __future__ import annotations

import re

import pytest
from rdflib import XSD, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.compare import isomorphic
from rdflib.namespace import OWL, RDF, RDFS

from idlib_kg.export import load_dataset

from .conftest import REPO

BASE = "https://w3id.org/idlib-kg/"
IKR = Namespace(BASE + "id/")
VOID = Namespace("http://rdfs.org/ns/void#")
RDF_TYPES = {"text/turtle": "turtle", "application/n-triples": "nt", "application/rdf+xml": "xml",
             "application/ld+json": "json-ld"}


def minted_iris() -> set[str]:
    store = load_dataset()
    rows = store.query(f"""SELECT DISTINCT ?x WHERE {{ {{ ?x ?p ?o }} UNION {{ ?s ?p ?x }}
        FILTER(isIRI(?x) && STRSTARTS(STR(?x), "{BASE}")) }}""", use_default_graph_as_union=True)
    return {r["x"].value for r in rows}


def test_thing_gets_303_to_a_document_by_accept(client):
    r = client.get("/id/turkey", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert r.status_code == 303 and r.headers["Location"].endswith("/doc/turkey.html")
    assert "Accept" in r.headers["Vary"]
    for media, ext in (("text/turtle", "ttl"), ("application/n-triples", "nt"),
                       ("application/rdf+xml", "rdf"), ("application/ld+json", "jsonld")):
        r = client.get("/id/turkey", headers={"Accept": media})
        assert r.status_code == 303 and r.headers["Location"].endswith(f"/doc/turkey.{ext}"), media


def test_plain_json_gets_json_ld_as_linked_data_clients_mean_it(client):
    r = client.get("/id/turkey", headers={"Accept": "application/json"})
    assert r.status_code == 303 and r.headers["Location"].endswith("/doc/turkey.jsonld")
    r = client.get("/id/turkey", headers={"Accept": "application/json"}, follow_redirects=True)
    assert r.status_code == 200
    g = Graph().parse(data=r.data, format="json-ld")
    assert (IKR.turkey, RDFS.label, Literal("Turkey", lang="en")) in g
    void = client.get("/void", headers={"Accept": "application/json"})
    assert void.status_code == 200 and Graph().parse(data=void.data, format="json-ld")


@pytest.mark.parametrize("media", list(RDF_TYPES))
def test_documents_parse_and_describe_the_thing(client, media):
    r = client.get("/id/turkey", headers={"Accept": media}, follow_redirects=True)
    assert r.status_code == 200 and r.headers["Content-Type"].startswith(media)
    g = Graph().parse(data=r.data, format=RDF_TYPES[media])
    assert (IKR.turkey, RDFS.label, Literal("Turkey", lang="en")) in g
    assert (IKR.turkey, OWL.sameAs, URIRef("http://www.wikidata.org/entity/Q43")) in g
    assert any(g.triples((None, None, IKR.turkey)))  # inbound links too


def test_every_minted_iri_resolves(client):
    missing = []
    minted = sorted(minted_iris())
    assert len(minted) > 100, "the ontology and the article mint far more IRIs than that"
    for iri in minted:
        path = "/" + iri[len(BASE):].split("#", 1)[0]
        if path.startswith("/.well-known/genid"):
            continue
        r = client.get(path, headers={"Accept": "text/turtle"})
        if r.status_code not in (200, 303):
            missing.append((iri, r.status_code))
    assert not missing


def test_unknown_resource_is_404(client):
    r = client.get("/id/no-such-thing", headers={"Accept": "text/html"})
    assert r.status_code == 404 and b"Not found" in r.data
    assert client.get("/id/no-such-thing", headers={"Accept": "text/turtle"}).status_code == 404
    assert client.get("/doc/no-such-thing.ttl").status_code == 404
    assert client.get("/doc/turkey.exe").status_code == 404


def test_html_page_shows_label_types_values_sentence_and_wikidata(client):
    html = client.get("/doc/attack-2020-02-27.html").get_data(as_text=True)
    assert "<h1>Aerial bombardment of Turkish troops in Idlib, 27 February 2020</h1>" in html
    assert 'href="/ontology#Airstrike"' in html                    # type, linked locally
    assert 'href="/id/turkish-troops"' in html                     # a property value
    assert "Linked from" in html and 'href="/id/claim-daily-sabah-regime-attack"' in html
    # the sentence it comes from, with the exact words marked
    assert "were killed in <mark>a brutal attack</mark> by the Moscow-backed" in html
    assert "33 Turkish soldiers were killed" in html
    turkey = client.get("/doc/turkey.html").get_data(as_text=True)
    assert 'href="http://www.wikidata.org/entity/Q43"' in turkey and 'id="wikidata"' in turkey
    wider = client.get("/doc/regime-offensive-2020.html").get_data(as_text=True)  # a broadMatch
    assert 'href="http://www.wikidata.org/entity/Q79629688"' in wider and 'id="wikidata"' in wider


def test_html_escapes_planted_literals_and_iris(client):
    html = client.get("/doc/planted.html").get_data(as_text=True)
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#39;label&#39;)&lt;/script&gt;" in html
    assert 'onmouseover="alert' not in html
    assert 'href="javascript:' not in html and "javascript:alert(1)" in html  # shown, not linked
    assert 'href="https://example.org/x?a=1&amp;b=2"' in html
    # the planted resource is also listed as linking to Turkey, escaped there too
    turkey = client.get("/doc/turkey.html").get_data(as_text=True)
    assert "<script>alert" not in turkey


def test_ontology_html_and_rdf(client):
    r = client.get("/ontology", headers={"Accept": "text/html"})
    assert r.status_code == 200 and r.headers["Content-Location"].endswith("/ontology.html")
    assert 'id="Claim"' in r.get_data(as_text=True)  # https://w3id.org/idlib-kg/ontology#Claim lands here
    for media, fmt in (("text/turtle", "turtle"), ("application/rdf+xml", "xml")):
        r = client.get("/ontology", headers={"Accept": media})
        assert r.status_code == 200 and r.headers["Content-Type"].startswith(media)
        assert "Accept" in r.headers["Vary"] and r.headers["Content-Location"]
        g = Graph().parse(data=r.data, format=fmt)
        assert (URIRef(BASE + "ontology"), RDF.type, OWL.Ontology) in g


def test_ontology_term_list_when_docs_are_missing(client, monkeypatch, tmp_path):
    from idlib_kg import resources
    monkeypatch.setattr(resources, "ontology_dir", lambda: tmp_path)
    (tmp_path / "idlib-kg.ttl").write_bytes((REPO / "ontology" / "idlib-kg.ttl").read_bytes())
    html = client.get("/ontology", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert '<tr id="Claim">' in html


def test_article_text_iri_serves_the_text(client):
    r = client.get("/id/article/text", headers={"Accept": "text/plain"})
    assert r.status_code == 200
    assert r.get_data(as_text=True) == (REPO / "triples" / "article.txt").read_text(encoding="utf-8")
    html = client.get("/id/article/text", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert 'id="char=84,346"' in html and 'id="char=243,274"' in html
    g = Graph().parse(data=client.get("/id/article/text", headers={"Accept": "text/turtle"}).data, format="turtle")
    assert len(g) > 100


def test_concepts_and_graphs(client):
    r = client.get("/scheme/cameo/016", headers={"Accept": "text/turtle"})
    assert r.status_code == 303 and r.headers["Location"].endswith("/doc/scheme/cameo/016.ttl")
    g = Graph().parse(data=client.get(r.headers["Location"]).data, format="turtle")
    assert len(g) > 3
    r = client.get("/graph/links", headers={"Accept": "text/turtle"})
    assert r.status_code == 200 and r.headers["Content-Location"].endswith("format=ttl")
    links = Graph().parse(data=r.data, format="turtle")
    assert len(links) == len(Graph().parse(REPO / "triples" / "wikidata-links.ttl"))
    assert client.get("/graph/nope").status_code == 404


@pytest.mark.parametrize("path", ["/.well-known/void", "/void"])
def test_void_description(client, path):
    r = client.get(path, headers={"Accept": "text/turtle"})
    assert r.status_code == 200
    g = Graph().parse(data=r.data, format="turtle")
    ds = URIRef(BASE + "void#idlib-kg")
    assert (ds, RDF.type, VOID.Dataset) in g
    assert (ds, URIRef("http://purl.org/dc/terms/license"), URIRef("https://creativecommons.org/licenses/by/4.0/")) in g
    assert g.value(ds, VOID.sparqlEndpoint) is not None
    assert (ds, VOID.vocabulary, URIRef("http://semanticweb.cs.vu.nl/2009/11/sem/")) in g
    assert (ds, VOID.exampleResource, IKR["attack-2020-02-27"]) in g
    article = URIRef(BASE + "graph/article")
    assert (ds, VOID.subset, article) in g
    expected = len(list(load_dataset().query(f"SELECT * WHERE {{ GRAPH <{article}> {{ ?s ?p ?o }} }}")))
    assert g.value(article, VOID.triples).toPython() == expected
    linkset = URIRef(BASE + "void#wikidata-sameAs")
    assert (linkset, RDF.type, VOID.Linkset) in g and (linkset, VOID.linkPredicate, OWL.sameAs) in g
    same_as = len(list(Graph().parse(REPO / "triples" / "wikidata-links.ttl").triples((None, OWL.sameAs, None))))
    assert g.value(linkset, VOID.triples).toPython() == same_as
    assert (linkset, VOID.target, URIRef(BASE + "void#wikidata")) in g
    html = client.get(path, headers={"Accept": "text/html"}).get_data(as_text=True)
    assert "graph/article" in html


# -- IRIs a --load file mints with percent-encodings, paths that are no IRI, VoID details

ODD = """\
@prefix ikr: <https://w3id.org/idlib-kg/id/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
<https://w3id.org/idlib-kg/id/a%20b> rdfs:label "a b" ; rdfs:seeAlso <https://w3id.org/idlib-kg/id/x%C4%9F> .
<https://w3id.org/idlib-kg/id/x%C4%9F> rdfs:label "x with g-breve, percent-encoded" .
<urn:s> <urn:p> "a predicate and a class with neither / nor #" ; a <urn:example:C> .
<https://w3id.org/idlib-kg/id/scheme/cameo/195> rdfs:label "a thing whose path reads like a concept's" .
"""
ELSEWHERE = ("<https://w3id.org/idlib-kg/id/s> <https://example.org/p> \"o\" <https://w3id.org/idlib-kg/extra/g> .\n"
             "<https://w3id.org/idlib-kg/id/s> <https://example.org/p> \"in the default graph\" .\n")


@pytest.fixture(scope="module")
def odd_client(tmp_path_factory):
    from idlib_kg.app import Runtime, create_app
    from idlib_kg.config import Settings
    d = tmp_path_factory.mktemp("odd")
    (d / "türkçe veri.ttl").write_text(ODD, encoding="utf-8")
    (d / "elsewhere.nq").write_text(ELSEWHERE, encoding="utf-8")
    settings = Settings(workers=1, load_files=[d / "türkçe veri.ttl", d / "elsewhere.nq"])
    runtime = Runtime.start(settings)
    yield create_app(settings, runtime).test_client()
    runtime.close()


@pytest.mark.parametrize("path, iri", [("/id/a%20b", "id/a%20b"), ("/id/x%C4%9F", "id/x%C4%9F")])
def test_a_percent_encoded_iri_dereferences(odd_client, path, iri):
    r = odd_client.get(path, headers={"Accept": "text/turtle"})
    assert r.status_code == 303, r.get_data(as_text=True)
    doc = odd_client.get(r.headers["Location"])
    assert doc.status_code == 200
    g = Graph().parse(data=doc.data, format="turtle")
    assert (URIRef(BASE + iri), RDFS.label, None) in g
    page = odd_client.get(r.headers["Location"].replace(".ttl", ".html")).get_data(as_text=True)
    assert "<h1" in page


def test_an_id_iri_whose_path_reads_like_a_concepts_has_its_own_document(odd_client):
    # BASE/id/scheme/cameo/195 (planted) and the concept BASE/scheme/cameo/195 both exist
    thing = odd_client.get("/id/scheme/cameo/195", headers={"Accept": "text/turtle"})
    assert thing.status_code == 303
    assert thing.headers["Location"].endswith("/doc/id/scheme/cameo/195.ttl")
    mine = Graph().parse(data=odd_client.get(thing.headers["Location"]).data, format="turtle")
    assert mine.value(URIRef(BASE + "id/scheme/cameo/195"), RDFS.label) is not None
    assert (URIRef(BASE + "scheme/cameo/195"), None, None) not in mine
    concept = odd_client.get("/scheme/cameo/195", headers={"Accept": "text/turtle"})
    assert concept.headers["Location"].endswith("/doc/scheme/cameo/195.ttl")
    theirs = Graph().parse(data=odd_client.get(concept.headers["Location"]).data, format="turtle")
    assert (URIRef(BASE + "scheme/cameo/195"), None, None) in theirs
    assert (URIRef(BASE + "id/scheme/cameo/195"), None, None) not in theirs


def test_a_document_has_one_url_only(client):
    assert client.get("/doc/turkey.ttl").status_code == 200
    assert client.get("/doc/id/turkey.ttl").status_code == 404


def test_the_graph_of_a_file_with_spaces_and_turkish_letters_is_served_where_void_says(odd_client):
    g = Graph().parse(data=odd_client.get("/void", headers={"Accept": "text/turtle"}).data, format="turtle")
    graph = URIRef(BASE + "graph/loaded/t%C3%BCrk%C3%A7e%20veri.ttl")
    dump = g.value(graph, VOID.dataDump)
    assert dump is not None
    r = odd_client.get(str(dump).replace("http://localhost", ""))
    assert r.status_code == 200
    assert len(Graph().parse(data=r.data, format="nt")) == 6
    # a graph the data names outside graph/ is described, but has no dump link that would 404
    elsewhere = URIRef(BASE + "extra/g")
    assert g.value(elsewhere, VOID.triples).toPython() == 1 and g.value(elsewhere, VOID.dataDump) is None
    # URNs as vocabularies: the namespace cut at ":", and one that is no IRI left out
    assert (URIRef(BASE + "void#idlib-kg"), VOID.vocabulary, URIRef("urn:example:")) in g
    # a quad file's own graph holds only its default-graph triples, in the dump as in VoID
    own = URIRef(BASE + "graph/loaded/elsewhere.nq")
    dumped = Graph().parse(data=odd_client.get("/graph/loaded/elsewhere.nq?format=nt").data, format="nt")
    assert len(dumped) == g.value(own, VOID.triples).toPython() == 1


@pytest.mark.parametrize("path", ["/id/%01", "/id/x%25y", "/id/x%7Fy", "/doc/%01.ttl", "/scheme/%01",
                                  "/graph/%01", "/doc/x%25y.html"])
def test_a_path_that_is_no_iri_is_404_not_a_query_error(odd_client, path):
    r = odd_client.get(path, headers={"Accept": "text/html"})
    assert r.status_code == 404
    assert r.headers["Content-Type"].startswith("text/html") and "Accept" in r.headers["Vary"]


def test_void_lists_every_kind_of_wikidata_link_and_answers_html_as_text_html(client):
    g = Graph().parse(data=client.get("/void", headers={"Accept": "text/turtle"}).data, format="turtle")
    links = Graph()
    for path in ("triples/wikidata-links.ttl", "ontology/idlib-kg.ttl", "ontology/event-types.ttl"):
        links.parse(REPO / path)
    for kind in ("exactMatch", "closeMatch", "broadMatch", "narrowMatch"):
        pairs = {(s, o) for s, o in links.subject_objects(URIRef("http://www.w3.org/2004/02/skos/core#" + kind))
                 if str(o).startswith("http://www.wikidata.org/entity/")}
        assert pairs, kind
        linkset = URIRef(BASE + "void#wikidata-" + kind)
        assert g.value(linkset, VOID.triples) is not None, f"no {kind} linkset"
        assert g.value(linkset, VOID.triples).toPython() == len(pairs), kind
    r = client.get("/void", headers={"Accept": "application/xhtml+xml"})
    assert r.headers["Content-Type"].startswith("text/html")


def test_the_article_text_page_anchors_the_whole_text_span(client):
    html = client.get("/id/article/text", headers={"Accept": "text/html"}).get_data(as_text=True)
    length = len((REPO / "triples" / "article.txt").read_text(encoding="utf-8"))
    assert f'id="char=0,{length}"' in html


def test_graph_documents_keep_every_literal_as_the_files_write_it(client):
    """The store would answer NIF's offsets and OWL's cardinalities as xsd:integer."""
    nif_begin = URIRef("http://persistence.uni-leipzig.org/nlp2rdf/ontologies/nif-core#beginIndex")
    article = Graph().parse(data=client.get("/graph/article?format=nt").data, format="nt")
    assert isomorphic(article, Graph().parse(REPO / "triples" / "article.ttl"))
    assert {o.datatype for o in article.objects(None, nif_begin)} == {XSD.nonNegativeInteger}
    ontology = Graph().parse(data=client.get("/graph/ontology?format=ttl").data, format="turtle")
    files = Graph().parse(REPO / "ontology" / "idlib-kg.ttl").parse(REPO / "ontology" / "event-types.ttl")
    assert isomorphic(ontology, files)
    assert {o.datatype for o in ontology.objects(None, OWL.cardinality)} == {XSD.nonNegativeInteger}


def test_a_big_graph_document_comes_from_the_store_within_its_limits(app, monkeypatch):
    import idlib_kg.app as app_module
    runtime = app.extensions["idlib_kg"]
    article = BASE + "graph/article"
    assert runtime.graph_sources(article)
    monkeypatch.setattr(app_module, "SOURCE_DOCUMENT_MAX_BYTES", 1000)  # article.ttl is bigger
    monkeypatch.setattr(runtime, "_pristine_cache", None)  # decided again under the new limit
    monkeypatch.setattr(runtime, "_written", None)
    assert runtime.graph_sources(article) == []
    r = app.test_client().get("/graph/article?format=nt")
    g = Graph().parse(data=r.data, format="nt")
    assert len(g) == len(Graph().parse(REPO / "triples" / "article.ttl"))  # the same triples, from the store
    assert "X-Idlib-Truncated" not in r.headers
    import idlib_kg.linkeddata as ld
    monkeypatch.setattr(ld, "MAX_ROWS", 100)  # a graph over the row limit says it was cut
    r = app.test_client().get("/graph/article?format=nt")
    assert r.headers["X-Idlib-Truncated"] == "true" and r.headers["X-Idlib-Row-Limit"] == "100"
    assert len(Graph().parse(data=r.data, format="nt")) == 100


@pytest.fixture(scope="module")
def elsewhere_client():
    from idlib_kg.app import Runtime, create_app
    from idlib_kg.config import Settings
    settings = Settings(workers=1, base_iri="http://example.org/kg/")
    runtime = Runtime.start(settings)
    yield create_app(settings, runtime).test_client()
    runtime.close()


@pytest.mark.parametrize("accept", ["text/turtle", "application/ld+json", "text/html", "text/plain"])
def test_the_article_text_under_another_base_iri_is_404_in_every_format(elsewhere_client, accept):
    r = elsewhere_client.get("/id/article/text", headers={"Accept": accept})
    assert r.status_code == 404


def test_documents_show_literals_as_the_files_write_them_not_as_the_store_normalized_them(client):
    nif_begin = URIRef("http://persistence.uni-leipzig.org/nlp2rdf/ontologies/nif-core#beginIndex")
    text = Graph().parse(data=client.get("/id/article/text", headers={"Accept": "application/n-triples"}).data,
                         format="nt")
    assert len(list(text.objects(None, nif_begin))) > 100
    assert {o.datatype for o in text.objects(None, nif_begin)} == {XSD.nonNegativeInteger}
    r = client.get("/id/instant-meeting-begin", headers={"Accept": "text/turtle"})
    doc = Graph().parse(data=client.get(r.headers["Location"]).data, format="turtle")
    stamp = doc.value(IKR["instant-meeting-begin"], URIRef("http://www.w3.org/2006/time#inXSDDateTimeStamp"))
    assert stamp == Literal("2020-02-27T21:30:00+03:00", datatype=XSD.dateTimeStamp)
    assert stamp.datatype == XSD.dateTimeStamp


def test_after_an_update_documents_show_what_the_store_holds(planted_file):
    """The written forms only stand in while the store holds exactly the files."""
    from idlib_kg.app import Runtime
    from idlib_kg.config import Settings
    runtime = Runtime.start(Settings(workers=1, load_files=[planted_file]))
    try:
        assert runtime.written_literals()  # pristine: the normalized literals are known
        runtime.apply_update('INSERT DATA { GRAPH <http://example.org/g> { <http://example.org/s> <http://example.org/p> 1 } }')
        assert runtime.written_literals() == {}
        assert runtime.graph_sources(BASE + "graph/article") == []
    finally:
        runtime.close()


def test_a_source_file_changed_on_disk_stops_the_written_forms(planted_file, tmp_path):
    """The files are hashed again only when their size or time changes, and then they are."""
    import shutil

    from idlib_kg.app import Runtime
    from idlib_kg.config import Settings
    copy = tmp_path / "planted.ttl"
    shutil.copy(planted_file, copy)
    runtime = Runtime.start(Settings(workers=1, load_files=[copy]))
    try:
        loaded = BASE + "graph/loaded/planted.ttl"
        assert runtime.graph_sources(loaded) and runtime.written_literals()
        copy.write_text(copy.read_text() + "<https://example.org/new> <https://example.org/p> 1 .\n")
        assert runtime.graph_sources(loaded) == [] and runtime.written_literals() == {}
    finally:
        runtime.close()


def test_a_document_follows_blank_nodes_however_deep_and_lists_to_their_end(client):
    body = client.get("/doc/nested.nt").get_data()
    lines = [ln for ln in body.decode().splitlines() if ln.strip()]
    assert len(lines) == len(set(lines)), "a triple written twice"
    g = Graph().parse(data=body, format="nt")
    nested = URIRef(BASE + "id/nested")
    head = g.value(nested, URIRef("https://example.org/members"))
    members = list(Collection(g, head))
    assert members == [URIRef(BASE + "id/" + n) for n in ("turkey", "russia", "syria")]
    holds = g.value(nested, URIRef("https://example.org/holds"))
    inner = g.value(holds, URIRef("https://example.org/inner"))
    assert g.value(inner, URIRef("https://example.org/deepest")) == Literal("deep")


@pytest.mark.parametrize("path, wanted, media", [
    ("/graph/links", "text/turtle", "text/turtle"),
    ("/graph/links", "n-triples", "application/n-triples"),
    ("/graph/links", "json", "application/ld+json"),
    ("/ontology", "nt", "application/n-triples"),
    ("/void", "nt", "application/n-triples"),
    ("/void", "rdf", "application/rdf+xml"),
    ("/sparql", "ttl", "text/turtle"),  # the service description
])
def test_every_document_takes_the_same_format_values(client, path, wanted, media):
    r = client.get(path, query_string={"format": wanted}, headers={"Accept": "text/html"})
    assert r.status_code == 200 and r.headers["Content-Type"].split(";")[0] == media, (r.status_code, r.headers)
    assert len(Graph().parse(data=r.data, format={"text/turtle": "turtle", "application/n-triples": "nt",
                                                  "application/ld+json": "json-ld",
                                                  "application/rdf+xml": "xml"}[media])) > 0


def test_a_thing_redirects_to_the_document_in_the_format_asked(client):
    r = client.get("/id/turkey", query_string={"format": "nt"}, headers={"Accept": "text/html"})
    assert r.status_code == 303 and r.headers["Location"].endswith("/doc/turkey.nt")


@pytest.mark.parametrize("path", ["/graph/links", "/ontology", "/void", "/id/turkey"])
def test_a_format_no_document_comes_in_is_400_naming_the_formats(client, path):
    r = client.get(path, query_string={"format": "png"})
    assert r.status_code == 400 and "turtle" in r.get_data(as_text=True)


def test_a_tangle_of_blank_nodes_costs_rows_by_its_size_not_by_its_paths(client):
    # self-loops and a cycle: one row per path would be 3**16 rows and a cut document
    r = client.get("/doc/tangled.nt")
    assert r.status_code == 200 and "X-Idlib-Truncated" not in r.headers
    g = Graph().parse(data=r.data, format="nt")
    head = g.value(URIRef(BASE + "id/tangled"), URIRef("https://example.org/items"))
    assert [str(m) for m in Collection(g, head)] == [f"m{i}" for i in range(1, 16)]
    assert Literal("end") in set(g.objects())
    assert len([t for t in g if t[0] != URIRef(BASE + "id/tangled")]) == 6 + 2 * 15  # the tangle, the list


@pytest.mark.parametrize("path", ["/doc/unwritable.rdf", "/graph/loaded/planted.ttl?format=rdf"])
def test_rdf_xml_that_cannot_carry_a_literal_is_400_naming_formats_that_can(client, path):
    r = client.get(path)
    assert r.status_code == 400, r.status_code
    assert "U+0001" in r.get_data(as_text=True) and "Turtle" in r.get_data(as_text=True)
    assert client.get("/doc/unwritable.ttl").status_code == 200  # the same data in Turtle


def test_resource_pages_show_literals_as_written_tagged_languages_and_numbers_in_order(client):
    instant = client.get("/doc/instant-meeting-begin.html").get_data(as_text=True)
    assert "dateTimeStamp" in instant and "xsd:dateTime<" not in instant  # as the file writes it
    mit = client.get("/doc/mit.html").get_data(as_text=True)
    assert '<span lang="tr">MİT</span>' in mit  # a Turkish name is marked Turkish for readers and tools
    turkey = client.get("/doc/turkey.html").get_data(as_text=True)
    spans = [int(m) for m in re.findall(r"#char=(\d+),", turkey.split('id="properties"')[1])]
    assert spans and spans == sorted(spans)
    assert "<p>Types: " in turkey or "<p>Type: " in turkey


def test_an_inferred_inbound_link_says_so(client):
    opposition = client.get("/doc/syrian-opposition.html").get_data(as_text=True)
    inbound = opposition.split('id="inbound"')[1]
    backs = inbound.split('href="/id/turkey"')[1].split("</li>")[0]
    assert '<span class="graph" title="named graph">inferred</span>' in backs


def test_a_title_is_a_label_where_there_is_no_label(client):
    concept = client.get("/doc/scheme/role/participant.html").get_data(as_text=True)
    assert ">idlib-kg ontology<" in concept or "idlib-kg ontology</a>" in concept


def test_the_void_page_links_graphs_dumps_and_labelled_examples(client):
    html = client.get("/void", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert 'href="/graph/article"' in html and 'href="/graph/article?format=nt"' in html
    assert '<a href="/id/turkey">Turkey</a>' in html
    assert " 1 links" not in html


def test_many_inbound_links_on_one_property_never_hide_the_others(client):
    from idlib_kg.linkeddata import INBOUND_LIMIT
    html = client.get("/doc/russia.html").get_data(as_text=True)
    inbound = html.split('id="inbound"')[1]
    assert f"and {60 - INBOUND_LIMIT:,} more" in inbound  # the 60 mentions, cut and counted
    assert 'href="/id/kremlin"' in inbound or 'href="/id/russian-defence-ministry"' in inbound  # the data's own


def test_the_article_text_page_names_what_each_sentence_and_span_denotes_by_its_label(client):
    html = client.get("/id/article/text", headers={"Accept": "text/html"}).get_data(as_text=True)
    # a resource denoted by a whole sentence (the Kremlin's statement) is listed under it
    assert 'href="/id/statement-kremlin"' in html
    assert 'href="/id/article"' in html  # the whole text denotes the article
    assert '>Turkish troops in Idlib</a>' in html  # labels, not slugs


@pytest.mark.parametrize("path", ["/sparql", "/form", "/"])
def test_the_query_pages_and_the_service_description_lead_to_the_rest_of_the_site(client, path):
    html = client.get(path, headers={"Accept": "text/html"}).get_data(as_text=True)
    for href in ('href="/ontology"', 'href="/void"', 'href="/id/article/text"'):
        assert href in html, (path, href)
    if path == "/sparql":
        assert 'href="/graph/article"' in html and 'name="viewport"' in html


def test_a_list_longer_than_the_documents_depth_is_cut_and_says_so(client):
    from idlib_kg.linkeddata import BLANK_DEPTH
    r = client.get("/doc/long-list.nt")
    assert r.status_code == 200 and r.headers.get("X-Idlib-Truncated") == "true"
    firsts = [ln for ln in r.get_data(as_text=True).splitlines() if "rdf-syntax-ns#first" in ln]
    assert len(firsts) == BLANK_DEPTH
    assert "beyond-depth" not in r.get_data(as_text=True)
    assert "X-Idlib-Truncated" not in client.get("/doc/tangled.nt").headers  # a cycle is whole
