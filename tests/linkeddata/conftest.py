"""Fixtures: the Flask app over the project's data plus a planted hostile file, and a local
Wikidata stand-in (Oxigraph server on 127.0.0.1 loaded with tests/data/wikidata-standin.ttl)."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from idlib_kg.app import Runtime, create_app
from idlib_kg.config import Settings
from stores.services import OxigraphServer, require, which

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
STANDIN = REPO / "tests" / "data" / "wikidata-standin.ttl"

PLANTED = """\
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix ikr: <https://w3id.org/idlib-kg/id/> .
ikr:planted rdfs:label "<script>alert('label')</script>"@en ;
    rdfs:comment "a & b < c \\" onmouseover=\\"alert(1)" ;
    rdfs:seeAlso <javascript:alert(1)> , <https://example.org/x?a=1&b=<2>> ;
    <https://example.org/p> ikr:turkey .
ikr:unwritable <http://www.w3.org/2000/01/rdf-schema#comment> "a\u0001b" .
ikr:long-list <https://example.org/items> ( "1" "2" "3" "4" "5" "6" "7" "8" "9" "10" "11" "12" "13" "14" "15" "16" "17" "18" "19" "20" ) .
ikr:tangled <https://example.org/a> _:s ; <https://example.org/items> ( "m1" "m2" "m3" "m4" "m5" "m6" "m7" "m8" "m9" "m10" "m11" "m12" "m13" "m14" "m15" ) .
_:s <https://example.org/x> _:s ; <https://example.org/y> _:s ; <https://example.org/z> _:t .
_:t <https://example.org/x> _:s ; <https://example.org/y> _:t ; <https://example.org/w> "end" .
ikr:nested <https://example.org/members> ( ikr:turkey ikr:russia ikr:syria ) ;
    <https://example.org/holds> [ <https://example.org/inner> [ <https://example.org/deepest> "deep" ] ] .
"""


@pytest.fixture(scope="session")
def planted_file(tmp_path_factory) -> Path:
    p = tmp_path_factory.mktemp("planted") / "planted.ttl"
    # <https://example.org/x?a=1&b=<2>> is not a valid IRI: keep only what parses
    # 60 blank nodes that mention Russia: more inbound links on one property than a page shows
    mentions = "".join(f"_:mention{i} <https://example.org/mentions> ikr:russia .\n" for i in range(60))
    p.write_text(PLANTED.replace(" , <https://example.org/x?a=1&b=<2>>", " , <https://example.org/x?a=1&b=2>")
                 + mentions, encoding="utf-8")
    return p


@pytest.fixture(scope="session")
def app(planted_file):
    settings = Settings(workers=2, load_files=[planted_file])
    runtime = Runtime.start(settings)
    application = create_app(settings, runtime)
    application.config["TESTING"] = True
    yield application
    runtime.close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture(scope="session")
def wikidata_standin(tmp_path_factory) -> OxigraphServer:
    """A local Wikidata-shaped endpoint: the stand-in snapshot in the default graph."""
    require(which("oxigraph") is not None, "the oxigraph server binary is missing (pip install oxigraph)")
    assert STANDIN.is_file(), "tests/data/wikidata-standin.ttl is missing"
    with OxigraphServer(tmp_path_factory.mktemp("wikidata-standin")) as ox:
        r = requests.put(ox.base_url + "/store?default", data=STANDIN.read_bytes(),
                         headers={"Content-Type": "text/turtle"}, timeout=60)
        assert r.status_code in (200, 201, 204), r.text
        yield ox
