"""`idlib-kg bench`: it runs, stops by itself, loads the same data everywhere and writes its
report. Behaviour only: no assertion depends on how fast anything is."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from pyoxigraph import Store

from idlib_kg import bench
from idlib_kg.bench import QUERIES, goals
from idlib_kg.loadgen import Cell, HttpClient, StoreClient, commented, count_rows, run_cell, run_wrk_cell, varied
from idlib_kg.procstats import memory_of
from stores.services import require, which


def idlib_kg(*args, timeout=600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "idlib_kg", *map(str, args)], capture_output=True,
                          text=True, timeout=timeout)


@pytest.fixture(scope="module")
def corpus_store(tmp_path_factory):
    from idlib_kg.corpus import ensure_corpus
    from idlib_kg.dataset import load_all
    path = ensure_corpus(tmp_path_factory.mktemp("corpus") / "c.nt", 3000, 1)
    store = Store()
    load_all(store, bench.data_files(path))
    return store


def test_every_bench_query_runs_on_the_corpus(corpus_store):
    client = StoreClient(corpus_store)
    for q in QUERIES:
        ok, body = client(q.text)
        assert ok, (q.name, body)
        assert isinstance(count_rows(body), int)


def test_a_cell_stops_at_its_request_budget(corpus_store):
    cell = run_cell(Cell("pyoxigraph", "trivial", 3), lambda: StoreClient(corpus_store),
                    QUERIES[0].text, duration=60, max_requests=25, unique=True)
    assert cell.ok + cell.failures == 25
    assert cell.failures == 0 and cell.percentile(50) is not None and cell.throughput


def test_a_cell_stops_at_its_duration(corpus_store):
    cell = run_cell(Cell("pyoxigraph", "trivial", 2), lambda: StoreClient(corpus_store),
                    QUERIES[0].text, duration=0.2, max_requests=10**9, unique=False)
    assert cell.ok > 0 and cell.elapsed < 30


def test_failures_are_counted_with_the_first_error(corpus_store):
    cell = run_cell(Cell("pyoxigraph", "broken", 1), lambda: StoreClient(corpus_store),
                    "SELECT WHERE {", duration=5, max_requests=3, unique=False)
    assert cell.ok == 0 and cell.failures == 3 and "SyntaxError" in cell.first_error


def require_wrk() -> None:
    require(which("wrk") is not None, "wrk is not installed (apt-get install wrk)")


@pytest.fixture
def wrk_endpoint(server):
    require_wrk()
    return server.endpoint


def test_wrk_cell_counts_answers_up_to_its_budget(wrk_endpoint, tmp_path):
    cell = run_wrk_cell(Cell("idlib-kg", "trivial", 2), wrk_endpoint, QUERIES[0].text, duration=30,
                        max_requests=40, vary="values", timeout=30, workdir=tmp_path)
    assert cell.failures == 0, cell.first_error
    assert 0 < cell.ok <= 40
    # the budget ended the cell, not wrk's 30 s: the rate is over the time the requests took
    assert cell.elapsed < 30 and cell.throughput and cell.throughput > cell.ok / 30
    assert 0 < cell.percentile(50) <= cell.percentile(99)


def test_wrk_cell_counts_error_answers_as_failures(wrk_endpoint, tmp_path):
    cell = run_wrk_cell(Cell("idlib-kg", "broken", 1), wrk_endpoint, "SELECT WHERE {", duration=1,
                        max_requests=10, vary="none", timeout=30, workdir=tmp_path)
    assert cell.ok == 0 and cell.failures > 0 and "non-2xx" in cell.first_error
    assert cell.throughput is None and cell.percentile(50) is None


class QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        pass  # wrk closes its connections at the end of a cell, maybe mid-answer


@pytest.fixture
def recording_endpoint():
    """Start loopback HTTP/1.1 servers that answer 200 after `delay` seconds (one at a time if
    `serial`) and keep each request's form query: start(delay, serial) -> (url, queries seen)."""
    from urllib.parse import parse_qs
    servers = []

    def start(delay: float = 0.0, serial: bool = False) -> tuple[str, list[str]]:
        seen: list[str] = []
        one_at_a_time = threading.Lock() if serial else contextlib.nullcontext()

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                seen.append(parse_qs(body.decode())["query"][0])
                with one_at_a_time:
                    time.sleep(delay)
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):
                pass

        httpd = QuietServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        servers.append(httpd)
        return f"http://127.0.0.1:{httpd.server_address[1]}/sparql", seen

    yield start
    for httpd in servers:
        httpd.shutdown()
        httpd.server_close()


@pytest.mark.parametrize("vary", ["values", "comment", "none"])
def test_wrk_sends_the_query_made_distinct_as_asked(recording_endpoint, tmp_path, vary):
    require_wrk()
    url, seen = recording_endpoint()
    query = 'SELECT * WHERE { ?s ?p "a b&c=d%" } LIMIT 1'
    cell = run_wrk_cell(Cell("recorder", "q", 2), url, query, duration=1, max_requests=20, vary=vary,
                        timeout=30, workdir=tmp_path)
    assert cell.failures == 0 and 0 < cell.ok <= 20 and seen
    if vary == "none":
        assert set(seen) == {query}
    else:
        assert len(set(seen)) == len(seen)  # every request a different text
        for text in seen:
            n = text.split("{ ")[-1].rstrip(" }") if vary == "values" else text.split("\n")[0][len("#bench "):]
            assert n.isdigit()
            assert text == (varied(query, int(n)) if vary == "values" else commented(query, int(n)))


def test_goals_compare_idlib_kg_with_its_peers():
    def cell(system, query, c, tput, p50):
        return {"system": system, "query": query, "concurrency": c, "throughput": tput, "p50_ms": p50}
    results = {"concurrency": [1, 8], "cells": [
        cell("idlib-kg", "trivial", 1, 1000, 1.0), cell("oxigraph", "trivial", 1, 3000, 0.3),
        cell("pyoxigraph", "trivial", 1, 20000, 0.05), cell("idlib-kg", "claims-per-claimant", 8, 500, 5),
        cell("rdflib-endpoint", "claims-per-claimant", 8, 5, 500), cell("pyoxigraph", "claims-per-claimant", 2, 550, 3),
        cell("idlib-kg-cached", "trivial", 1, 2000, 0.4), cell("idlib-kg-cached", "claims-per-claimant", 8, 400, 2),
        cell("oxigraph", "claims-per-claimant", 8, 450, 20),
        # trivial at c=8 is far below the floor: shown, but the 80% goal is on the medium queries
        cell("idlib-kg", "trivial", 8, 2000, 4.0), cell("pyoxigraph", "trivial", 2, 20000, 0.1),
        # 20x at c=1: shown, but the 50x goal is set at c=8 (100x here)
        cell("idlib-kg", "claims-per-claimant", 1, 200, 5), cell("rdflib-endpoint", "claims-per-claimant", 1, 10, 100)]}
    verdicts = {g: v for g, _, v in goals(results)}
    figures = {g: f for g, f, _ in goals(results)}
    assert verdicts["medium queries at c=8: idlib-kg >= 50x rdflib-endpoint throughput"] == "met"
    assert figures["medium queries at c=8: idlib-kg >= 50x rdflib-endpoint throughput"].startswith(
        "at c=8: 100.0x (idlib-kg/rdflib-endpoint: min 20.00x")
    results["cells"][4]["throughput"] = 20  # rdflib-endpoint at c=8: now only 25x
    assert {g: v for g, _, v in goals(results)}["medium queries at c=8: idlib-kg >= 50x rdflib-endpoint throughput"] \
        == "MISSED"
    results["cells"][4]["throughput"] = 5
    assert verdicts["trivial query: within 2x of the Oxigraph server"] == "MISSED"
    assert verdicts["trivial query repeated (response cache): within 2x of the Oxigraph server"] == "met"
    assert verdicts["medium queries repeated (response cache): idlib-kg-cached >= 1x oxigraph"] == "MISSED"
    assert verdicts["medium queries at c=8: >= 80% of raw pyoxigraph's two-thread rate"] == "met"
    assert figures["medium queries at c=8: >= 80% of raw pyoxigraph's two-thread rate"] == \
        "claims-per-claimant 91% (others: trivial 10%)"
    results["cells"] = [c for c in results["cells"] if c["query"] != "trivial"]
    assert {g: f for g, f, _ in goals(results)}["medium queries at c=8: >= 80% of raw pyoxigraph's two-thread rate"] \
        == "claims-per-claimant 91%"
    assert verdicts["trivial query at c=1: <= 0.7 ms added over in-process pyoxigraph"] == "MISSED"


def test_memory_of_this_process():
    m = memory_of(os.getpid())
    assert m["main_hwm_mb"] > 0 and m["tree_pss_mb"] > 0 and m["processes"] >= 1


def test_compare_writes_markdown_and_json(tmp_path):
    out = tmp_path / "r.md"
    r = idlib_kg("bench", "--triples", "3000", "--duration", "0.2", "--requests", "20",
                 "--concurrency", "1,2", "--systems", "idlib-kg,idlib-kg-cached,pyoxigraph",
                 "--queries", "trivial,claims-per-claimant", "--workers", "2",
                 "--workdir", tmp_path / "work", "--output", out, "--repeat", "2")
    assert r.returncode == 0, r.stderr[-3000:]
    text = out.read_text()
    assert "| system | query | c |" in text and "## Goals" in text
    assert "median of 2 runs" in text
    res = json.loads((tmp_path / "r.md.json").read_text())
    systems = {c["system"] for c in res["cells"]}
    assert systems == {"idlib-kg", "idlib-kg-cached", "pyoxigraph"}
    assert all(len(c["runs"]) == 2 for c in res["cells"])  # one figure per run, merged by median
    assert all(c["ok"] + c["failures"] <= 2 * 20 for c in res["cells"])
    assert all(c["failures"] == 0 for c in res["cells"]), [c["first_error"] for c in res["cells"]]
    # the same data everywhere: every system returns the same number of rows
    assert res["rows"], "no row counts were recorded"
    for per_system in res["rows"].values():
        assert len(set(per_system.values())) == 1, per_system


def test_soak_reports_failures_and_memory(tmp_path):
    out = tmp_path / "soak.md"
    r = idlib_kg("bench", "soak", "--triples", "3000", "--minutes", "0.05", "--concurrency", "4",
                 "--workers", "2", "--workdir", tmp_path / "work", "--output", out)
    assert r.returncode == 0, r.stderr[-3000:]
    res = json.loads((tmp_path / "soak.md.json").read_text())
    assert res["statuses"].get("ok", 0) > 0 and res["samples"]
    assert "tree PSS MB" in out.read_text()


def test_bad_options_exit_2(tmp_path):
    r = idlib_kg("bench", "--systems", "idlib-kg,nonesuch", "--workdir", tmp_path)
    assert r.returncode == 2 and "nonesuch" in r.stderr
    r = idlib_kg("bench", "--concurrency", "0", "--workdir", tmp_path)
    assert r.returncode == 2
    r = idlib_kg("bench", "--repeat", "0", "--workdir", tmp_path)
    assert r.returncode == 2 and "--repeat must be positive" in r.stderr
    r = idlib_kg("bench", "--client", "curl", "--workdir", tmp_path)
    assert r.returncode == 2 and "invalid choice: 'curl'" in r.stderr


def test_client_wrk_without_wrk_exits_2(tmp_path):
    env = {**os.environ, "PATH": str(tmp_path)}  # no wrk on this PATH
    r = subprocess.run([sys.executable, "-m", "idlib_kg", "bench", "--client", "wrk", "--workdir", tmp_path],
                       capture_output=True, text=True, timeout=120, env=env)
    assert r.returncode == 2 and "apt-get install wrk" in r.stderr


@pytest.mark.parametrize("client", ["wrk", "python"])
def test_a_system_slower_than_a_quarter_of_a_cell_is_skipped_at_higher_concurrency(
        tmp_path, recording_endpoint, client):
    """As rdflib-endpoint on q09: measured at c=1, reported as skipped above it."""
    if client == "wrk":
        require_wrk()
    url, _ = recording_endpoint(delay=0.6)
    target = bench.Target("slow", lambda: HttpClient(url, 30), None, url=url)
    args = argparse.Namespace(concurrency=[1, 8], duration=1.0, requests=100, client=client, workdir=tmp_path)
    results = {"rows": {}, "cells": []}
    bench._measure(target, [QUERIES[0]], args, results)
    c1, c8 = results["cells"]
    assert c1["concurrency"] == 1 and not c1["skipped"] and c1["failures"] == 0
    assert c8["concurrency"] == 8 and c8["skipped"].startswith("p50 0.")


def test_cells_last_two_rounds_and_a_system_too_slow_for_that_is_skipped(tmp_path, recording_endpoint):
    """A server answering one request at a time in 0.1 s: c=4 gets a longer cell, c=32 (two
    rounds about 6 s, over 4 x the 1 s cell) is skipped."""
    require_wrk()
    url, _ = recording_endpoint(delay=0.1, serial=True)
    target = bench.Target("serial", lambda: HttpClient(url, 30), None, url=url)
    args = argparse.Namespace(concurrency=[1, 4, 32], duration=1.0, requests=1000, client="wrk",
                              workdir=tmp_path)
    results = {"rows": {}, "cells": []}
    bench._measure(target, [QUERIES[0]], args, results)
    c1, c4, c32 = results["cells"]
    assert not c1["skipped"] and c1["ok"] > 0 and c1["failures"] == 0
    assert not c4["skipped"] and c4["ok"] > 0 and c4["failures"] == 0
    assert c32["skipped"].startswith("two rounds of 32 take about")
