"""The query page in a real browser (headless Chromium): YASGUI, and the plain fallback form."""

from __future__ import annotations

import json
import re
import time

import requests

from idlib_kg.ui import example_queries, yasgui_dir
from stores.services import SELECT_JSON, require

# Labels of the resources in data/ui-fixture.ttl, in the query's ORDER BY order.
KNOWN_QUERY = """PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?label WHERE {
  ?s rdfs:label ?label
  FILTER(STRSTARTS(STR(?s), "urn:idlib-kg:test:ui:"))
} ORDER BY ?label"""
KNOWN_LABELS = ["Idlib", "Mevlüt Çavuşoğlu", "İdlib"]

# An example from queries/ whose answer is known from the article (the lead's data): the page
# must show these cells after a person opens the tab and presses run.
KNOWN_EXAMPLE = "01-turkish-soldiers-killed"
KNOWN_EXAMPLE_CELLS = ["33", "exactly", "Thursday night", "2020-02-27",
                       "Area of Idlib where Turkish units were bombarded"]


def local_only(browser, server) -> list[str]:
    """URLs the page fetched from anywhere but our server (users run offline: must be none)."""
    return [u for u in browser.requested_urls()
            if not u.startswith((server.base_url + "/", "data:", "about:"))]


def oracle(server, query: str) -> tuple[int, int | None]:
    """(HTTP status, rows) when the query is sent to /sparql directly; rows None if not a SELECT."""
    r = requests.post(server.sparql_url, data={"query": query},
                      headers={"Accept": SELECT_JSON + ", */*;q=0.1"}, timeout=60)
    if r.status_code != 200 or "sparql-results+json" not in r.headers.get("Content-Type", ""):
        return r.status_code, None
    body = r.json()
    return 200, None if "boolean" in body else len(body["results"]["bindings"])


def run_in_yasgui(browser) -> str:
    """Press YASGUI's run button; the response summary ("N results in ...") or "error: ..."."""
    browser.evaluate("document.querySelectorAll('.yasr_response_chip').forEach(e => e.textContent = '');"
                     "document.querySelectorAll('.yasr .errorResult').forEach(e => e.remove())")
    browser.click(".tabPanel.active .yasqe_queryButton")
    summary = browser.wait_for(
        "(() => { const c = document.querySelector('.tabPanel.active .yasr_response_chip');"
        " return c && c.textContent.trim(); })()")
    if not summary[0].isdigit():  # "Response in ..." : an error (drawn just after) or a graph
        time.sleep(0.3)
    error = browser.evaluate("(() => { const e = document.querySelector('.tabPanel.active .errorResult');"
                             " return e && e.innerText.trim(); })()")
    return f"error: {error}" if error else summary


def open_tab(browser, index: int, name: str) -> None:
    browser.click(f".tabsList .tab:nth-child({index + 1}) a")
    browser.wait_for(f"idlibYasgui.getTab().name() === {json.dumps(name)}")


def test_yasgui_page_runs_examples_and_a_known_query(server, browser, output_dir):
    require(yasgui_dir() is not None, "YASGUI is not installed: npm ci --prefix server/ui")
    browser.goto(server.url)
    browser.wait_for("!!(window.idlibYasgui && document.querySelector('.yasqe'))")

    # one tab per queries/*.rq file, named after the file
    examples = example_queries()
    assert examples, "queries/ holds no example: the page would have nothing to show"
    tabs = browser.evaluate(
        "[...document.querySelectorAll('.tabsList .tab')].map(t => t.innerText.replace('✖', '').trim())")
    assert tabs == [e.name for e in examples]
    # preset to the server's own endpoint
    assert browser.evaluate("idlibYasgui.getTab().getEndpoint()") == server.sparql_url

    # run each example as a person would (select the tab, press run): the page shows as many
    # rows as /sparql gives, or an error where /sparql refuses (e.g. SERVICE not allowed)
    for i, example in enumerate(examples):
        open_tab(browser, i, example.name)
        assert browser.evaluate("idlibYasgui.getTab().getYasqe().getValue()") == example.text
        summary = run_in_yasgui(browser)
        status, rows = oracle(server, example.text)
        if status != 200:
            assert summary.startswith("error:"), (example.name, status, summary)
        elif rows is not None:
            assert summary.startswith(f"{rows} result"), (example.name, summary)
        else:
            assert not summary.startswith("error:"), (example.name, summary)

    # the example whose answer we know
    names = [e.name for e in examples]
    assert KNOWN_EXAMPLE in names, f"the example {KNOWN_EXAMPLE!r} is gone from queries/"
    open_tab(browser, names.index(KNOWN_EXAMPLE), KNOWN_EXAMPLE)
    assert run_in_yasgui(browser).startswith("1 result")
    table = browser.evaluate("document.querySelector('.tabPanel.active .yasr_results').innerText")
    for cell in KNOWN_EXAMPLE_CELLS:
        assert cell in table, (cell, table)
    browser.screenshot(output_dir / "ui-example.png")
    # the dataset's IRIs in the results link to their pages on this server, not to w3id.org
    hrefs = browser.evaluate("[...document.querySelectorAll('.tabPanel.active .yasr_results a[href]')]"
                             ".map(a => a.href)")
    ours = [h for h in hrefs if "/id/" in h]
    assert ours and all(h.startswith(server.base_url + "/id/") for h in ours), hrefs

    # a query whose answer is known from the fixture, in a new tab
    browser.click(".tabsList .addTab")
    browser.evaluate(f"idlibYasgui.getTab().getYasqe().setValue({json.dumps(KNOWN_QUERY)})")
    summary = run_in_yasgui(browser)
    assert summary.startswith("3 results"), summary
    table = browser.evaluate("document.querySelector('.tabPanel.active .yasr_results').innerText")
    positions = [table.find(label) for label in KNOWN_LABELS]
    assert all(p >= 0 for p in positions) and positions == sorted(positions), table

    browser.screenshot(output_dir / "ui.png")
    assert local_only(browser, server) == []
    # refused examples (checked above) log their HTTP 400; nothing else may go wrong
    assert [e for e in browser.page_errors()
            if not (e.startswith("Failed to load resource") and e.endswith(server.sparql_url))] == []


def test_a_share_link_opens_its_own_query_not_the_first_example(server, browser):
    require(yasgui_dir() is not None, "YASGUI is not installed: npm ci --prefix server/ui")
    from urllib.parse import quote
    query = "SELECT ?shared WHERE { BIND(42 AS ?shared) }"
    browser.goto(server.url + "#query=" + quote(query, safe="") + "&tabTitle=shared-query")
    browser.wait_for("!!(window.idlibYasgui && document.querySelector('.yasqe'))")
    assert browser.evaluate("idlibYasgui.getTab().getYasqe().getValue()") == query
    assert browser.evaluate("idlibYasgui.getTab().name()") == "shared-query"
    assert run_in_yasgui(browser).startswith("1 result")


def test_fallback_form_without_yasgui(bare_server, browser, output_dir):
    page = requests.get(bare_server.url, timeout=10)
    assert page.status_code == 200 and 'id="query-form"' in page.text
    assert "yasgui.min.js" not in page.text
    assert requests.get(bare_server.base_url + "/ui/static/yasgui/yasgui.min.js",
                        timeout=10).status_code == 404

    browser.goto(bare_server.url)
    examples = example_queries()
    options = browser.evaluate(
        "[...document.querySelectorAll('#example option')].map(o => o.value)")
    assert examples and options == [e.name for e in examples]
    # the first example is in the box from the start
    assert browser.evaluate("document.getElementById('query').value") == examples[0].text

    browser.evaluate(f"document.getElementById('query').value = {json.dumps(KNOWN_QUERY)}")
    assert browser.evaluate("document.getElementById('format').value") == "json"
    browser.click("#run")
    status = browser.wait_for("(() => { const s = document.getElementById('status').textContent;"
                              " return /rows?|row|error|HTTP/.test(s) && !/Running/.test(s) && s; })()")
    assert re.match(r"3 rows in [0-9.]+ s", status), status
    cells = browser.evaluate("[...document.querySelectorAll('#results td')].map(c => c.textContent)")
    assert cells == ["Idlib @en", "Mevlüt Çavuşoğlu @tr", "İdlib @tr"]

    browser.screenshot(output_dir / "ui-form.png")
    assert local_only(browser, bare_server) == []
    assert browser.page_errors() == []


def test_form_is_also_served_next_to_yasgui(server):
    r = requests.get(server.base_url + "/form", timeout=10)
    assert r.status_code == 200 and 'id="query-form"' in r.text
    assert f'action="{server.sparql_url}"' in r.text
