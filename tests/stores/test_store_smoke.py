"""Each real store starts, takes data through the Graph Store Protocol, and answers SELECTs."""

from __future__ import annotations

import pytest

GRAPH = "https://w3id.org/idlib-kg/graph/smoke-test"
N = 2_000


def sample_turtle(n: int = N) -> str:
    """n triples, one with Turkish letters to check the text comes back exactly."""
    lines = ["@prefix ex: <https://example.org/smoke/> ."]
    lines += [f"ex:s{i} ex:value {i} ." for i in range(n - 1)]
    lines.append('ex:place ex:label "İdlib, Çavuşoğlu, ğ ş"@tr .')
    return "\n".join(lines) + "\n"


COUNT = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{GRAPH}> {{ ?s ?p ?o }} }}"
LABEL = f"SELECT ?l WHERE {{ GRAPH <{GRAPH}> {{ <https://example.org/smoke/place> ?p ?l }} }}"
FILTERED = (f"SELECT ?s WHERE {{ GRAPH <{GRAPH}> {{ ?s <https://example.org/smoke/value> ?v "
            "FILTER(?v >= 10 && ?v < 15) } } ORDER BY ?v")


@pytest.fixture(params=["virtuoso", "oxigraph"])
def store(request):
    return request.getfixturevalue(request.param)


def test_store_loads_and_answers(store):
    store.put_graph(GRAPH, sample_turtle())
    assert store.select(COUNT) == [{"n": str(N)}]
    assert store.select(LABEL) == [{"l": "İdlib, Çavuşoğlu, ğ ş"}]
    assert [r["s"] for r in store.select(FILTERED)] == [
        f"https://example.org/smoke/s{i}" for i in range(10, 15)]


def test_store_returns_more_rows_than_virtuoso_default_cap(store):
    """Debian's stock Virtuoso ini cuts results at 10,000 rows; our ini must not."""
    store.put_graph(GRAPH + "/big", sample_turtle(12_000))
    rows = store.select(f"SELECT ?s WHERE {{ GRAPH <{GRAPH}/big> {{ ?s ?p ?o }} }}")
    assert len(rows) == 12_000


def test_virtuoso_started_and_answers_isql(virtuoso):
    assert virtuoso.startup_seconds is not None  # the fixture waited for it (and logs how long)
    assert "1" in virtuoso.isql("select 1")
