"""The lean request path and multi-process serving: normalized cache keys, the result cache's
byte budget, memoized inspection, and `serve --http-processes N`."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from idlib_kg.procstats import process_tree
from idlib_kg.executor import QueryResult
from idlib_kg.cache import BoundedCache, memoize_small
from idlib_kg.safety import inspect

from .conftest import DATA

NAMES = "SELECT ?name WHERE { ?p <http://xmlns.com/foaf/0.1/name> ?name } ORDER BY ?name"


def _result(n: int) -> QueryResult:
    return QueryResult(b"x" * n, "bindings", "json", 1, False)


def test_result_cache_is_bounded_by_bytes_and_entries():
    cache = BoundedCache(entries=10, max_bytes=1000, max_body=600)
    put = lambda key, result: cache.put(key, result, len(result.body))  # noqa: E731
    put("a", _result(400))
    put("b", _result(400))
    assert cache.bytes == 800 and len(cache) == 2
    put("c", _result(400))          # over 1000 bytes: the least recently used goes
    assert cache.get("a") is None and cache.get("b") and cache.get("c")
    assert cache.bytes == 800
    put("big", _result(700))        # over max_body: never kept
    assert cache.get("big") is None and cache.bytes == 800
    put("c", _result(100))          # replacing an entry counts its new size only
    assert cache.bytes == 500
    small = BoundedCache(entries=2, max_bytes=10_000)
    for k in "xyz":
        small.put(k, _result(10), 10)
    assert len(small) == 2 and small.get("x") is None
    small.clear()
    assert small.bytes == 0 and len(small) == 0


def test_cache_drops_a_value_computed_before_a_clear():
    cache = BoundedCache(entries=10, max_bytes=1000)
    before = cache.generation
    cache.clear()                    # the data changed while the value was being computed
    cache.put("stale", _result(10), 10, generation=before)
    assert cache.get("stale") is None
    cache.put("fresh", _result(10), 10, generation=cache.generation)
    assert cache.get("fresh") is not None


def test_memoize_small_keeps_calls_with_short_texts_only_and_a_bounded_number():
    calls = []

    @memoize_small(max_chars=5, entries=3)
    def shout(text, suffix=None):
        calls.append((text, suffix))
        return [text.upper(), suffix]

    assert shout("abc") is shout("abc") and shout("ab", None) is shout("ab", None)  # None: empty
    assert shout("abcdef") == ["ABCDEF", None] and shout("abcdef") is not shout("abcdef")  # too long: not kept
    assert shout("a", "x" * 6) is not shout("a", "x" * 6)  # any argument too long
    assert calls.count(("abc", None)) == 1 and calls.count(("ab", None)) == 1
    assert calls.count(("abcdef", None)) == 3
    for word in ("p", "q", "r", "s"):
        shout(word)
    assert shout.cache_info().currsize == 3 and shout.cache_info().maxsize == 3
    shout.cache_clear()
    assert shout.cache_info().currsize == 0


def test_normalized_text_drops_comments_and_spacing_only():
    a = inspect("SELECT * # a comment\nWHERE {\n  ?s ?p ?o }  LIMIT 1")
    b = inspect("#bench 7\nSELECT *   WHERE { ?s ?p ?o } LIMIT 1")
    assert a.normalized == b.normalized == "SELECT * WHERE { ?s ?p ?o } LIMIT 1"
    # adjacency is kept: these are different queries
    assert inspect("SELECT * { VALUES ?x { 15 } }").normalized != inspect("SELECT * { VALUES ?x { 1 5 } }").normalized
    assert inspect("SELECT * { FILTER(?x = 1.5) }").normalized != inspect("SELECT * { FILTER(?x = 1 . 5) }").normalized
    # whitespace and '#' inside strings and IRIs are part of the query
    assert inspect('SELECT * { ?s ?p "a  #b" }').normalized == 'SELECT * { ?s ?p "a  #b" }'
    assert inspect('SELECT * { ?s ?p "a #b" }').normalized != inspect('SELECT * { ?s ?p "a  #b" }').normalized
    assert inspect("SELECT * { <http://x/#a> ?p ?o }").normalized == "SELECT * { <http://x/#a> ?p ?o }"


def test_inspect_is_memoized_for_repeated_texts():
    q = "SELECT * WHERE { ?s ?p ?o } LIMIT 3"
    assert inspect(q) is inspect(q)
    assert inspect(q, base="http://a/") is not inspect(q, base="http://b/")


def test_same_query_with_other_comments_shares_etag_and_cache(endpoint):
    r1 = requests.post(endpoint.endpoint, data={"query": NAMES})
    r2 = requests.post(endpoint.endpoint, data={"query": "# another client\n" + NAMES.replace(" ", "  ")})
    assert r1.status_code == r2.status_code == 200
    assert r1.headers["ETag"] == r2.headers["ETag"] and r1.content == r2.content
    r3 = requests.post(endpoint.endpoint, data={"query": NAMES + " LIMIT 1"})
    assert r3.headers["ETag"] != r1.headers["ETag"]


def _idlib_kg(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "idlib_kg", *args], capture_output=True, text=True,
                          timeout=120)


def test_http_processes_refuse_an_update_token():
    out = _idlib_kg("serve", "--http-processes", "2", "--update-token", "t", "--port", "9")
    assert out.returncode == 2
    assert "--update-token cannot be used with --http-processes" in out.stderr


def test_http_processes_below_one_exit_2():
    out = _idlib_kg("serve", "--http-processes", "0", "--port", "9")
    assert out.returncode == 2 and "--http-processes" in out.stderr


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs Linux /proc")
def test_http_processes_serve_restart_a_dead_front_and_die_with_the_parent(start_server):
    server = start_server("--load", DATA / "people.nt", "--http-processes", "2", "--workers", "1",
                          "--timeout", "2")
    for _ in range(20):
        r = requests.post(server.endpoint, data={"query": NAMES}, headers={"Accept": "text/csv"})
        assert r.status_code == 200 and r.text.splitlines() == ["name", "Alice", "Bob"]
    fronts = [p for p in process_tree(server.process.pid) if p != server.process.pid
              and int(Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()[1]) == server.process.pid]
    assert len(fronts) == 2
    # the time limit still kills a runaway query in a front's worker
    slow = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n2 ?o }"
    assert requests.post(server.endpoint, data={"query": slow}, timeout=30).status_code == 503
    # a front that dies is replaced
    os.kill(fronts[0], signal.SIGKILL)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        now = [p for p in process_tree(server.process.pid) if p != server.process.pid
               and _alive(p) and int(Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()[1])
               == server.process.pid]
        if len(now) == 2 and fronts[0] not in now:
            break
        time.sleep(0.2)
    else:
        pytest.fail(f"the dead HTTP process was not replaced: {now}")
    for _ in range(10):
        assert requests.post(server.endpoint, data={"query": NAMES}).status_code == 200
    # kill -9 of the parent: every process of the tree goes (PR_SET_PDEATHSIG)
    tree = process_tree(server.process.pid)
    assert len(tree) >= 1 + 2 * 3  # parent, 2 x (front, zygote, worker)
    os.kill(server.process.pid, signal.SIGKILL)
    server.process.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_alive(p) for p in tree):
        time.sleep(0.1)
    assert not [p for p in tree if _alive(p)]


def test_serving_freezes_start_up_objects_and_collects_young_objects_less_often():
    code = ("import gc; from idlib_kg.app import settle_gc, GC_YOUNG_THRESHOLD; before = gc.get_threshold(); "
            "settle_gc(); print(gc.get_freeze_count() > 0, gc.get_threshold()[0] == GC_YOUNG_THRESHOLD > before[0], "
            "gc.get_threshold()[1:] == before[1:])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["True", "True", "True"]


def test_a_forked_front_freezes_without_collecting():
    # a collection after fork writes to every inherited object (and copies its page)
    code = ("import gc; from idlib_kg.app import settle_gc; calls = []; gc.collect(); gc.callbacks.append(lambda *a: calls.append(a)); "
            "settle_gc(collect=False); print(len(calls), gc.get_freeze_count() > 0)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["0", "True"]


def test_serve_started_with_sigint_ignored_still_stops_on_it(start_server):
    """A script's `idlib-kg serve &` starts with SIGINT ignored (shells do that to background
    jobs, and a child inherits it); the server stops on SIGINT all the same."""
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # inherited by the server started now
    try:
        server = start_server("--load", DATA / "people.nt", "--workers", "1")
    finally:
        signal.signal(signal.SIGINT, previous)
    assert server.stop() == 0  # SIGINT; a server that ignored it would be killed (-9) after 20 s
