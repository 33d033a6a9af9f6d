"""Killable workers: time limit -> 503 while other queries still answer; row limit signalled."""

from __future__ import annotations

import json
import os
import threading
import time

import pytest
import requests
from pyoxigraph import Literal, NamedNode, Quad, Store

from idlib_kg.executor import (Executor, QueryError, QueryJob, QuerySyntaxError, QueryTimeout,
                               isolate_from_network, run_query)
from idlib_kg.store import OpenedStore

from .conftest import MAX_ROWS, SLOW_QUERY, TIMEOUT


def test_slow_query_gets_503_while_a_simple_query_answers(endpoint):
    outcome = {}

    def slow():
        started = time.monotonic()
        outcome["response"] = requests.get(endpoint.endpoint, params={"query": SLOW_QUERY}, timeout=TIMEOUT * 10)
        outcome["elapsed"] = time.monotonic() - started

    t = threading.Thread(target=slow)
    t.start()
    time.sleep(0.5)  # let the slow query reach a worker
    r = requests.get(endpoint.endpoint, params={"query": 'SELECT ?n WHERE { BIND("quick" AS ?n) }'})
    answered_while_slow_ran = t.is_alive()
    t.join()
    assert r.status_code == 200
    assert r.json()["results"]["bindings"][0]["n"]["value"] == "quick"
    assert answered_while_slow_ran, "the simple query was not answered before the slow one hit its limit"
    slow_response = outcome["response"]
    assert slow_response.status_code == 503
    assert f"query exceeded the {TIMEOUT} s time limit" in slow_response.text
    assert outcome["elapsed"] >= TIMEOUT


def test_workers_are_replaced_after_a_timeout(endpoint):
    r = requests.get(endpoint.endpoint, params={"query": SLOW_QUERY})
    assert r.status_code == 503
    # Both workers must still be there: two concurrent queries both succeed.
    results = []
    threads = [threading.Thread(target=lambda: results.append(
        requests.get(endpoint.endpoint, params={"query": "ASK { ?s ?p ?o }"}).json()["boolean"])) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [True] * 4


def test_row_limit_truncates_and_says_so(endpoint):
    q = "SELECT ?v WHERE { ?s <http://example.org/value> ?v }"
    r = requests.get(endpoint.endpoint, params={"query": q})
    assert r.status_code == 200
    assert len(r.json()["results"]["bindings"]) == MAX_ROWS
    assert r.headers["X-Idlib-Truncated"] == "true"
    assert r.headers["X-Idlib-Row-Limit"] == str(MAX_ROWS)
    assert r.headers["X-Idlib-Rows"] == str(MAX_ROWS)
    assert "X-Idlib-Truncated" in r.headers["Access-Control-Expose-Headers"]


def test_small_results_are_not_marked_truncated(endpoint):
    q = "SELECT ?v WHERE { ?s <http://example.org/value> ?v } LIMIT 7"
    r = requests.get(endpoint.endpoint, params={"query": q})
    assert r.headers["X-Idlib-Truncated"] == "false"
    assert r.headers["X-Idlib-Rows"] == "7"


def test_construct_is_limited_in_triples(endpoint):
    q = "CONSTRUCT { ?s <http://example.org/v> ?v } WHERE { ?s <http://example.org/value> ?v }"
    r = requests.get(endpoint.endpoint, params={"query": q}, headers={"Accept": "application/n-triples"})
    assert r.headers["X-Idlib-Truncated"] == "true"
    assert len(r.text.strip().splitlines()) == MAX_ROWS


# ---- in-process

@pytest.fixture
def small_store():
    s = Store()
    g = NamedNode("http://example.org/g")
    for i in range(5):
        s.add(Quad(NamedNode(f"http://example.org/s{i}"), NamedNode("http://example.org/p"),
                   Literal(f"line one\nline\t\"two\" {i}", language="en"), g))
    return s


def test_run_query_round_trips_terms_exactly(small_store):
    out = run_query(small_store, QueryJob("SELECT ?s ?o ?unbound WHERE { ?s ?p ?o } ORDER BY ?s", max_rows=3))
    data = json.loads(out.body)
    assert data["head"]["vars"] == ["s", "o", "unbound"]
    first = data["results"]["bindings"][0]
    assert first["o"] == {"type": "literal", "value": 'line one\nline\t"two" 0', "xml:lang": "en"}
    assert "unbound" not in first
    assert out.truncated and out.rows == 3


def test_run_query_without_truncation(small_store):
    out = run_query(small_store, QueryJob("SELECT ?s WHERE { ?s ?p ?o }", result_format="csv", max_rows=5))
    assert not out.truncated and out.rows == 5
    assert out.body.decode().splitlines()[0] == "s"


def test_run_query_syntax_error(small_store):
    with pytest.raises(QuerySyntaxError):
        run_query(small_store, QueryJob("SELECT WHERE"))


#: never finishes on small_store
RUNAWAY = SLOW_QUERY.replace("?g ?s ?h", "?g ?s ?h . ?i ?j ?k . ?l ?m ?n . ?x ?y ?z"
                                         " . ?x1 ?y1 ?z1 . ?x2 ?y2 ?z2 . ?x3 ?y3 ?z3")


def test_executor_times_out_and_recovers(small_store):
    with Executor(OpenedStore(small_store, None, "v1", []), workers=1, timeout=1) as ex:
        with pytest.raises(QueryTimeout, match="exceeded the 1 s time limit"):
            ex.run(QueryJob(RUNAWAY))
        assert json.loads(ex.run(QueryJob("ASK { ?s ?p ?o }")).body)["boolean"] is True


def test_executor_update_is_seen_by_every_worker(small_store):
    with Executor(OpenedStore(small_store, None, "v1", []), workers=3, timeout=10) as ex:
        ex.update('INSERT DATA { GRAPH <http://example.org/g> { <http://example.org/new> <http://example.org/p> "x" } }')
        for _ in range(6):
            out = ex.run(QueryJob("ASK { <http://example.org/new> ?p ?o }"))
            assert json.loads(out.body)["boolean"] is True


def test_a_slow_query_gives_its_running_slot_to_the_next(small_store):
    # one running slot, two workers: the quick query still runs while the slow one holds a worker
    with Executor(OpenedStore(small_store, None, "v1", []), workers=2, timeout=3, running=1) as ex:
        assert ex.running == 1
        outcome = {}
        slow = threading.Thread(target=lambda: outcome.setdefault("slow", _raises(ex, RUNAWAY)))
        slow.start()
        time.sleep(0.5)
        assert json.loads(ex.run(QueryJob("ASK { ?s ?p ?o }")).body)["boolean"] is True
        answered_while_slow_ran = slow.is_alive()
        slow.join()
        assert answered_while_slow_ran
        assert isinstance(outcome["slow"], QueryTimeout)


def test_queries_beyond_the_running_slots_wait_their_turn_and_all_answer(small_store):
    with Executor(OpenedStore(small_store, None, "v1", []), workers=3, timeout=10, running=1) as ex:
        results: list[bytes] = []
        threads = [threading.Thread(target=lambda: results.append(ex.run(QueryJob("ASK { ?s ?p ?o }")).body))
                   for _ in range(12)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert [json.loads(body)["boolean"] for body in results] == [True] * 12
        assert ex._slots.acquire(blocking=False)  # every slot was given back
        ex._slots.release()


def test_running_slots_default_to_the_cpus_shared_among_http_processes(monkeypatch):
    from idlib_kg import executor
    monkeypatch.setattr(executor.os, "cpu_count", lambda: 4)
    assert executor.default_running(1) == 4 and executor.default_running(2) == 2
    assert executor.default_running(8) == 1  # never none


def _raises(ex: Executor, query: str) -> Exception | None:
    try:
        ex.run(QueryJob(query))
    except Exception as e:  # noqa: BLE001 - the test looks at which
        return e
    return None


class _RecordingSocket:
    """A socket end that hands out `data` and records how many bytes each recv() asked for."""

    def __init__(self, data: bytes):
        self.data, self.asked = data, []

    def recv(self, n: int) -> bytes:
        self.asked.append(n)
        out, self.data = self.data[:n], self.data[n:]
        return out


def _frames(*objs: object) -> bytes:
    import pickle
    from idlib_kg.executor import _Channel
    out = b""
    for obj in objs:
        payload = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
        out += _Channel.HEADER.pack(len(payload)) + payload
    return out


def test_channel_reads_small_frames_without_asking_for_a_megabyte():
    # recv(n) allocates n bytes first: asking for 1 MB per small frame cost more than the frame's trip
    from idlib_kg.executor import _Channel
    sock = _RecordingSocket(_frames(("ok", "a"), ("ok", "b")))
    chan = _Channel(sock)
    assert chan.recv() == ("ok", "a") and chan.recv() == ("ok", "b")
    assert sock.asked and max(sock.asked) == _Channel.READ_MIN


def test_channel_reads_a_large_frame_whole_in_few_reads():
    from idlib_kg.executor import _Channel
    big = ("ok", b"x" * 3_000_000)
    sock = _RecordingSocket(_frames(big, ("ok", "after")))
    chan = _Channel(sock)
    assert chan.recv() == big
    assert chan.recv() == ("ok", "after")
    assert len(sock.asked) <= 3, sock.asked  # the header read, then what the frame still misses
    assert max(sock.asked) <= _Channel.READ_MAX


def test_workers_that_allow_no_target_reach_no_network_whatever_the_query_says(small_store, recorder):
    """The backstop behind the SERVICE and LOAD checks: with nothing allow-listed, `serve` runs
    its query workers in a network namespace of their own (root or CAP_SYS_ADMIN). A SERVICE
    handed straight to them, past every check, reaches nothing; the same query from workers
    with network does reach the recorder, so the test can see a connection."""
    if not isolate_from_network_possible():
        pytest.skip("no network namespace without root or CAP_SYS_ADMIN: the checks are the only guard")
    service = f"SELECT * WHERE {{ SERVICE <{recorder.url}sparql> {{ ?s ?p ?o }} }}"
    with Executor(OpenedStore(small_store, None, "v1", []), workers=1, timeout=20, isolate=True) as ex:
        with pytest.raises(QueryError):
            ex.run(QueryJob(service))
        assert json.loads(ex.run(QueryJob("ASK { ?s ?p ?o }")).body)["boolean"] is True
    assert recorder.requests == []
    with Executor(OpenedStore(small_store, None, "v1", []), workers=1, timeout=20) as ex:
        try:
            ex.run(QueryJob(service))
        except QueryError:
            pass  # the recorder's answer is no SPARQL result; what counts is that it was asked
    assert len(recorder.requests) == 1


def isolate_from_network_possible() -> bool:
    """Whether this machine lets a process take a network namespace (tried in a child)."""
    pid = os.fork()
    if pid == 0:
        os._exit(0 if isolate_from_network() else 1)
    return os.waitpid(pid, 0)[1] == 0
