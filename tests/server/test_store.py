"""Which files go where, --load formats, and the on-disk store: reuse, interrupted loads."""

from __future__ import annotations

import json
import shutil

import pytest
import requests

from idlib_kg import dataset
from idlib_kg.dataset import DatasetError, extra_file, project_files
from idlib_kg.store import LOADING_FLAG, MANIFEST, StoreError, open_store

from .conftest import DATA

LOADED = "https://w3id.org/idlib-kg/graph/loaded/"


def graphs_of(opened) -> dict[str, int]:
    rows = opened.store.query("SELECT ?g (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
    return {r["g"].value: int(r["n"].value) for r in rows}


def test_project_files_never_include_shapes():
    files = project_files()
    assert all(f.path.name != "shapes.ttl" for f in files)
    assert all(f.graph.startswith("https://w3id.org/idlib-kg/graph/") for f in files)
    for f in files:
        if f.path.parent.name == "ontology":
            assert f.graph == dataset.ONTOLOGY_GRAPH


def test_extra_files_graph_names():
    assert extra_file(DATA / "people.nt").graph == LOADED + "people.nt"
    with pytest.raises(DatasetError, match="no such file"):
        extra_file(DATA / "missing.nt")


def test_load_keeps_quad_graph_names_and_names_triple_graphs_after_the_file():
    opened = open_store(None, [DATA / "people.nt", DATA / "events.nq", DATA / "places.trig"], include_project=False)
    g = graphs_of(opened)
    assert g[LOADED + "people.nt"] == 3
    assert g["http://example.org/graph/events"] == 3
    assert g["http://example.org/graph/places"] == 2
    assert g[LOADED + "places.trig"] == 1  # the TriG file's default-graph triple
    assert LOADED + "events.nq" not in g
    assert not any(name.startswith("file:") for name in g)
    default = list(opened.store.query("SELECT * { ?s ?p ?o }"))  # store default graph stays empty
    assert default == []


def test_bad_file_error_names_file_and_problem():
    with pytest.raises(DatasetError) as e:
        open_store(None, [DATA / "broken.ttl"], include_project=False)
    assert "broken.ttl" in str(e.value) and "line 2" in str(e.value)


def test_data_version_depends_on_content(tmp_path):
    f = tmp_path / "x.nt"
    f.write_text('<http://e/a> <http://e/b> "1" .\n')
    v1 = open_store(None, [f], include_project=False).version
    assert open_store(None, [f], include_project=False).version == v1
    f.write_text('<http://e/a> <http://e/b> "2" .\n')
    assert open_store(None, [f], include_project=False).version != v1


def test_on_disk_store_is_reused_and_interrupted_loads_are_redone(tmp_path, caplog):
    path = tmp_path / "store"
    src = tmp_path / "people.nt"
    shutil.copy(DATA / "people.nt", src)
    first = open_store(path, [src], include_project=False)
    assert graphs_of(first)[LOADED + "people.nt"] == 3
    manifest = json.loads((path / MANIFEST).read_text())
    assert manifest["version"] == first.version
    assert [f["name"] for f in manifest["files"]] == ["people.nt"]
    assert not (path / LOADING_FLAG).exists()
    del first

    caplog.set_level("INFO")
    second = open_store(path, [src], include_project=False)
    assert "reusing store" in caplog.text
    assert graphs_of(second)[LOADED + "people.nt"] == 3
    del second

    # A load that was interrupted leaves the flag behind: the store is rebuilt, not served.
    (path / LOADING_FLAG).write_text("interrupted")
    caplog.clear()
    third = open_store(path, [src], include_project=False)
    assert "reloading from scratch" in caplog.text
    assert graphs_of(third)[LOADED + "people.nt"] == 3
    del third

    # Changed content: reloaded, and the old triples are gone.
    src.write_text('<http://example.org/carol> <http://xmlns.com/foaf/0.1/name> "Carol" .\n')
    fourth = open_store(path, [src], include_project=False)
    assert graphs_of(fourth)[LOADED + "people.nt"] == 1


def test_optimize_compacts_once_and_keeps_the_data(tmp_path, caplog):
    path = tmp_path / "store"
    src = tmp_path / "people.nt"
    shutil.copy(DATA / "people.nt", src)
    plain = open_store(path, [src], include_project=False)
    assert "optimized" not in json.loads((path / MANIFEST).read_text())
    version = plain.version
    del plain

    caplog.set_level("WARNING")
    compacted = open_store(path, [src], include_project=False, optimize=True)
    assert "compacted" in caplog.text
    assert graphs_of(compacted)[LOADED + "people.nt"] == 3
    manifest = json.loads((path / MANIFEST).read_text())
    assert manifest["optimized"] is True and manifest["version"] == version == compacted.version
    del compacted

    caplog.clear()
    again = open_store(path, [src], include_project=False, optimize=True)
    assert "compacting" not in caplog.text  # remembered: not compacted twice
    assert graphs_of(again)[LOADED + "people.nt"] == 3


def test_store_refuses_a_directory_that_is_not_a_store(tmp_path):
    d = tmp_path / "important"
    d.mkdir()
    (d / "thesis.txt").write_text("do not delete")
    with pytest.raises(StoreError, match="not an idlib-kg store"):
        open_store(d, [], include_project=False)
    assert (d / "thesis.txt").exists()


def test_server_store_persists_across_restart(start_server, tmp_path):
    path = tmp_path / "srvstore"
    src = tmp_path / "people.nt"
    shutil.copy(DATA / "people.nt", src)
    q = {"query": "SELECT (COUNT(*) AS ?n) { ?s <http://xmlns.com/foaf/0.1/name> ?o }"}
    s1 = start_server("--store", path, "--load", src)
    n1 = requests.get(s1.endpoint, params=q).json()["results"]["bindings"][0]["n"]["value"]
    etag1 = requests.get(s1.endpoint, params=q).headers["ETag"]
    assert s1.stop() == 0
    assert (path / MANIFEST).exists()
    s2 = start_server("--store", path, "--load", src, "--workers", "2")
    r = requests.get(s2.endpoint, params=q)
    assert r.json()["results"]["bindings"][0]["n"]["value"] == n1 == "2"
    assert r.headers["ETag"] == etag1  # same data version after a restart


def test_a_store_changed_by_update_is_never_reloaded_from_other_files(tmp_path):
    from idlib_kg.executor import run_update
    from idlib_kg.store import record_update
    path = tmp_path / "store"
    src, other = tmp_path / "people.nt", tmp_path / "other.nt"
    shutil.copy(DATA / "people.nt", src)
    other.write_text('<http://example.org/o> <http://example.org/p> "o" .\n')
    opened = open_store(path, [src], include_project=False, optimize=True)
    run_update(opened.store, 'INSERT DATA { GRAPH <http://example.org/g> { <http://example.org/n> <http://example.org/p> "kept" } }')
    changed = record_update(opened, "insert")
    assert json.loads((path / MANIFEST).read_text())["optimized"] is True  # still known as compacted
    del opened
    with pytest.raises(StoreError, match="holds changes made through /update") as refused:
        open_store(path, [src, other], include_project=False)
    assert "people.nt" in str(refused.value) and "delete the directory" in str(refused.value)
    again = open_store(path, [src], include_project=False)  # the same files: reused, change kept
    assert again.version == changed
    assert graphs_of(again)["http://example.org/g"] == 1
