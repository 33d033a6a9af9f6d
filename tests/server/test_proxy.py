"""Behind a reverse proxy (`serve --trusted-proxies N`): the URLs the server gives are the proxy's.

A TLS proxy talks plain HTTP to the server and says what the client used in X-Forwarded-*
headers. With --trusted-proxies 1 the Service Description, VoID and the query page name the
https URL the client can reach; without it (the default) those headers are never believed,
since any client could send them to a server it reaches directly.
"""

from __future__ import annotations

import argparse
import re

import pytest

from idlib_kg.app import Runtime, create_app, register
from idlib_kg.config import Settings, settings_from_args

FORWARDED = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "kg.example", "X-Forwarded-For": "203.0.113.7"}


@pytest.fixture(scope="module")
def runtime():
    rt = Runtime.start(Settings(workers=1))
    yield rt
    rt.close()


def client(runtime, proxies: int):
    return create_app(Settings(workers=1, trusted_proxies=proxies), runtime).test_client()


@pytest.mark.parametrize("path, accept", [("/sparql", "text/turtle"), ("/void", "text/turtle"), ("/", "text/html")])
def test_behind_a_trusted_proxy_the_pages_name_the_proxys_https_urls(runtime, path, accept):
    body = client(runtime, 1).get(path, headers={"Accept": accept, **FORWARDED}).get_data(as_text=True)
    assert "https://kg.example/sparql" in body
    assert "http://localhost/sparql" not in body


@pytest.mark.parametrize("path, accept", [("/sparql", "text/turtle"), ("/void", "text/turtle")])
def test_without_trusted_proxies_forwarded_headers_are_ignored(runtime, path, accept):
    body = client(runtime, 0).get(path, headers={"Accept": accept, **FORWARDED}).get_data(as_text=True)
    assert "http://localhost/sparql" in body and "kg.example" not in body


def test_the_option_reaches_the_settings():
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="command"))
    assert settings_from_args(parser.parse_args(["serve", "--trusted-proxies", "1"])).trusted_proxies == 1
    assert settings_from_args(parser.parse_args(["serve"])).trusted_proxies == 0
    with pytest.raises(SystemExit):
        parser.parse_args(["serve", "--trusted-proxies", "-1"])


@pytest.mark.parametrize("path", ["/doc/turkey.html", "/void", "/graph/links", "/id/no-such-thing", "/sparql", "/",
                                  "/form"])
def test_behind_a_proxy_prefix_every_local_link_keeps_the_prefix(runtime, path):
    body = client(runtime, 1).get(path, headers={"Accept": "text/html", "X-Forwarded-Prefix": "/kg",
                                                 **FORWARDED}).get_data(as_text=True)
    local = re.findall(r'href="(/[^"]*)"', body)
    assert local, body[:500]
    assert [h for h in local if not h.startswith("/kg/")] == []


@pytest.mark.parametrize("path", ["/", "/form", "/sparql", "/void", "/doc/turkey.html", "/id/article/text"])
def test_every_page_for_people_links_the_sites_pages_alike(runtime, path):
    body = client(runtime, 1).get(path, headers={"Accept": "text/html", "X-Forwarded-Prefix": "/kg",
                                                 **FORWARDED}).get_data(as_text=True)
    links = {text: href for href, text in re.findall(r'<a href="([^"]*)">([^<]*)</a>', body)}
    assert (links.get("Ontology"), links.get("Dataset (VoID)"), links.get("Article text")) == (
        "/kg/ontology", "/kg/void", "/kg/id/article/text"), body[:800]
