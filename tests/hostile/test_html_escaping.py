"""Markup planted in data and in requests never comes back as markup.

The planted file (conftest.hostile_turtle, loaded with --load) puts `<script>alert(1)</script>`
and `"><img src=x onerror=alert(1)>` in literals (labels, comments, typed values) and, as far as
IRIs allow, in IRIs (percent-encoded markup, quotes, a javascript: IRI). Query parameters,
paths and the Host header carry the same strings. Every HTML page is parsed with html.parser:
no script element carrying alert(1), no on* handler attributes, no javascript: links, no
img src=x; and the raw planted strings never appear verbatim in any response.
"""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import quote

import pytest
import requests

from .conftest import IMG, SCRIPT, SENT

HTML = {"Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"}


class Audit(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        if tag == "script":
            self._in_script = True
        if tag == "img" and ("src", "x") in attrs:
            self.problems.append(f"<img src=x> from input: {attrs}")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"event handler attribute {name}={value!r} on <{tag}>")
            if name in ("href", "src", "action", "formaction") and value and \
                    value.strip().lower().startswith(("javascript:", "data:text/html")):
                self.problems.append(f"{name}={value!r} on <{tag}>")

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and "alert(1)" in data:
            self.problems.append(f"script content carries input: {data[:120]!r}")


def audit(r: requests.Response, what: str) -> None:
    """HTML responses: no planted string verbatim, no markup from input. Other responses (RDF,
    results, text/plain errors) may carry the text as data; they must just not be HTML."""
    body = r.text
    ctype = r.headers.get("Content-Type", "")
    if "html" in ctype or not ctype:
        for planted in (SCRIPT, IMG, "<img src=x onerror=alert(1)>", "<script>alert"):
            assert planted not in body, f"{what}: {planted!r} comes back verbatim ({r.status_code} {ctype})"
        a = Audit()
        a.feed(body)
        a.close()
        assert not a.problems, f"{what}: {a.problems}"


def fetch(server, path: str, test: str, **kw) -> requests.Response:
    SENT.add(test)
    headers = {**HTML, **kw.pop("headers", {})}
    return requests.get(server.url.rstrip("/") + path, headers=headers, timeout=60, **kw)


DOC_PATHS = [
    "/id/xss-literal", "/doc/xss-literal.html",
    "/id/xss-iri%253Cscript%253E", "/doc/xss-iri%253Cscript%253E.html",
    "/doc/xss-literal.ttl", "/doc/xss-literal.jsonld",
]


@pytest.mark.parametrize("path", DOC_PATHS)
def test_resource_pages_escape_planted_literals_and_iris(hostile_server, request, path):
    r = fetch(hostile_server, path, request.node.name)
    assert r.status_code == 200, (path, r.status_code, r.text[:300])
    if path.endswith(".html") or path.startswith("/id/"):
        assert r.headers["Content-Type"].startswith("text/html")
        # the planted label is on the page, as text
        assert "alert(1)" in r.text
        assert "&lt;script&gt;" in r.text or "&#34;&gt;&lt;img" in r.text or "&lt;img" in r.text
    audit(r, path)


MARKUP_PATHS = [
    "/id/" + quote(SCRIPT, safe=""), "/id/" + quote(IMG, safe=""), "/id/x'onmouseover='alert(1)",
    "/doc/" + quote(SCRIPT, safe="") + ".html", "/doc/" + quote("x'\"><img src=x onerror=alert(1)>") + ".html",
    "/scheme/" + quote(IMG, safe=""), "/graph/" + quote(SCRIPT, safe=""), "/ontology/" + quote(IMG, safe=""),
    "/graph/ontology?format=" + quote(SCRIPT), "/ontology." + quote(SCRIPT, safe=""),
    "/" + quote(SCRIPT, safe=""), "/ui/static/yasgui/" + quote(IMG, safe=""),
]


@pytest.mark.parametrize("path", MARKUP_PATHS)
def test_not_found_and_error_pages_escape_the_path(hostile_server, request, path):
    r = fetch(hostile_server, path, request.node.name)
    assert r.status_code < 500, (path, r.status_code)
    audit(r, path)


def test_service_description_html_escapes_graph_names_and_host(hostile_server, request):
    r = fetch(hostile_server, "/sparql", request.node.name)
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/html")
    assert "hostile.ttl" in r.text
    audit(r, "/sparql (description)")
    # A hostile Host header is reflected in the endpoint IRI the page shows: escaped, or refused.
    for host in ('x"><img src=x onerror=alert(1)>', "x<script>alert(1)</script>"):
        r = fetch(hostile_server, "/sparql", request.node.name, headers={"Host": host})
        assert r.status_code < 500
        audit(r, f"/sparql with Host {host!r}")


@pytest.mark.parametrize("path", ["/", "/?form", "/form"])
def test_query_page_escapes_query_and_example_parameters(hostile_server, request, path):
    sep = "&" if "?" in path else "?"
    for params in ({"query": SCRIPT}, {"query": IMG}, {"example": IMG}, {"query": "</textarea>" + SCRIPT},
                   {"query": "</script>" + SCRIPT, "example": SCRIPT}):
        r = fetch(hostile_server, path + sep + "&".join(f"{k}={quote(v)}" for k, v in params.items()),
                  request.node.name)
        assert r.status_code == 200, (path, params, r.status_code)
        audit(r, f"{path} {params}")
        if path != "/" and "query" in params and params["query"].startswith(("<", '"')):
            assert "&lt;" in r.text or "&#34;" in r.text  # the query is shown, as text
    r = fetch(hostile_server, path, request.node.name, headers={"Host": 'h"><img src=x onerror=alert(1)>'})
    assert r.status_code < 500
    audit(r, f"{path} with a hostile Host")


@pytest.mark.parametrize("query", [SCRIPT, IMG, f"SELECT * WHERE {{ ?s ?p '{SCRIPT}' . {IMG} }}",
                                   f'SELECT * WHERE {{ ?s ?p "{IMG}" }} LIMIT', f"ASK {{ <{SCRIPT}> }}"])
def test_400_with_the_parser_message_is_not_html(hostile_server, request, query):
    for method in ("GET", "POST"):
        SENT.add(request.node.name)
        if method == "GET":
            r = requests.get(hostile_server.endpoint, params={"query": query}, headers=HTML, timeout=60)
        else:
            r = requests.post(hostile_server.endpoint, data=query.encode(), timeout=60,
                              headers={**HTML, "Content-Type": "application/sparql-query"})
        assert r.status_code == 400, (query, r.status_code)
        assert not r.headers["Content-Type"].startswith("text/html"), r.headers["Content-Type"]
        assert r.headers["Content-Type"].startswith(("text/plain", "application/json"))
        audit(r, f"400 for {query!r}")


def test_query_results_in_html_accepting_browsers_are_not_html(hostile_server, request):
    """A browser asking for HTML gets results in a data format, never a page built from literals."""
    q = "SELECT ?l WHERE { <https://w3id.org/idlib-kg/id/xss-literal> ?p ?l }"
    SENT.add(request.node.name)
    r = requests.get(hostile_server.endpoint, params={"query": q}, headers=HTML, timeout=60)
    assert r.status_code in (200, 406)
    assert not r.headers["Content-Type"].startswith("text/html")
