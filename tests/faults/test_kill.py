"""kill -9 of the server while it loads an on-disk store and while it serves.

After a restart on the same --store directory the store must open, answer, and hold either
the whole of each completed load or nothing of an interrupted one (triples are counted
exactly), and the manifest is never a half-written file. Servers are started with the
launcher of tests/conftest.py; the test kills only processes it started, by pid. All traffic
goes to 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

TRIPLES = 300_000          # a load of a few seconds here
COUNT_BIG = ("SELECT (COUNT(*) AS ?n) WHERE { GRAPH <https://w3id.org/idlib-kg/graph/loaded/big.nt> "
             "{ ?s ?p ?o } }")
SLOW = ("SELECT (COUNT(*) AS ?n) WHERE { GRAPH <https://w3id.org/idlib-kg/graph/loaded/big.nt> "
        "{ ?a ?p ?b . ?c ?q ?d } }")
MANIFEST = "idlib-kg-manifest.json"
LOADING_FLAG = "idlib-kg-loading"


@pytest.fixture(scope="module")
def big_nt(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("faults-data") / "big.nt"
    with path.open("w") as f:
        for i in range(TRIPLES):
            f.write(f'<http://example.org/f/s{i}> <http://example.org/f/p{i % 7}> "v{i}" .\n')
    return path


def children(pid: int) -> list[int]:
    """Direct children of pid, from /proc (Linux)."""
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == pid:
            out.append(int(entry))
    return out


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def count(server) -> int:
    r = requests.get(server.endpoint, params={"query": COUNT_BIG}, timeout=120,
                     headers={"Accept": "application/sparql-results+json"})
    assert r.status_code == 200, r.text
    return int(r.json()["results"]["bindings"][0]["n"]["value"])


def check_manifest(store: Path) -> dict | None:
    """The manifest is absent or whole JSON naming the data version; never half-written."""
    path = store / MANIFEST
    if not path.exists():
        return None
    body = json.loads(path.read_text())  # raises on a torn file
    assert body["version"] and body["files"]
    return body


def start_in_background(launcher, options, log_dir) -> tuple[threading.Thread, dict]:
    """Run the shared launcher in a thread (it blocks until ready); the test kills it meanwhile."""
    box: dict = {}

    def run() -> None:
        try:
            box["server"] = launcher(options, log_dir)
        except RuntimeError as e:  # it died before it was ready: what this test does to it
            box["error"] = e

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t, box


def our_server_pid(store: Path, deadline: float) -> int:
    """The pid of the `serve` child of this test process that uses `store`."""
    while time.monotonic() < deadline:
        for pid in children(os.getpid()):
            try:
                cmd = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"serve" in cmd and str(store).encode() in cmd:
                return pid
        time.sleep(0.02)
    raise AssertionError("the server process did not appear")


@pytest.mark.parametrize("kill_after", [0.0, 0.5, 1.5, 3.0])
def test_kill_during_store_load_then_restart_gives_all_or_nothing(server_launcher, tmp_path, big_nt, kill_after):
    store = tmp_path / "store"
    options = ["--store", str(store), "--load", str(big_nt), "--workers", "2"]
    thread, box = start_in_background(server_launcher, options, tmp_path)
    pid = our_server_pid(store, time.monotonic() + 60)
    deadline = time.monotonic() + 60
    while not (store / LOADING_FLAG).exists() and "server" not in box and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(kill_after)
    interrupted = "server" not in box and (store / LOADING_FLAG).exists()
    os.kill(pid, signal.SIGKILL)
    if kill_after == 0.0:  # killed as the load began: the interrupted path is surely exercised
        assert interrupted, "the load had finished before the kill; use a bigger file"
    thread.join(120)
    if "server" in box:
        box["server"].stop()
    # What is on disk now: a finished store (manifest, no flag) or a marked, interrupted one.
    # (A load that ends between the check above and the kill leaves a manifest and no flag.)
    manifest = check_manifest(store)
    assert (store / LOADING_FLAG).exists() or manifest is not None, \
        "neither a finished manifest nor the loading flag"

    restarted = server_launcher(options, tmp_path)
    try:
        assert count(restarted) == TRIPLES  # the whole load, not part of it
        check_manifest(store)
        assert not (store / LOADING_FLAG).exists()
        log = restarted.log()
        if interrupted:
            assert "interrupted while loading" in log or "reloading from scratch" in log, log[-2000:]
    finally:
        restarted.stop()


def test_kill_while_serving_then_restart_reuses_the_store_and_leaves_no_workers(server_launcher, tmp_path, big_nt):
    store = tmp_path / "store"
    options = ["--store", str(store), "--load", str(big_nt), "--workers", "3", "--timeout", "60"]
    s = server_launcher(options, tmp_path)
    assert count(s) == TRIPLES
    version = check_manifest(store)["version"]
    zygotes = children(s.process.pid)
    workers = [w for z in zygotes for w in children(z)]
    assert zygotes and len(workers) == 3, (zygotes, workers)

    # Queries in flight (one of them a runaway holding a worker) when the server is killed.
    def hit(q: str):
        try:
            return requests.get(s.endpoint, params={"query": q}, timeout=30).status_code
        except requests.RequestException as e:
            return type(e).__name__
    with ThreadPoolExecutor(4) as pool:
        futures = [pool.submit(hit, SLOW)] + [pool.submit(hit, COUNT_BIG + f" # {i}") for i in range(6)]
        time.sleep(0.5)
        os.kill(s.process.pid, signal.SIGKILL)
        s.process.wait(30)
        [f.result() for f in futures]

    # The zygote and the workers must go too, even the one inside the runaway query.
    deadline = time.monotonic() + 15
    leftovers = [p for p in zygotes + workers if alive(p)]
    while leftovers and time.monotonic() < deadline:
        time.sleep(0.1)
        leftovers = [p for p in leftovers if alive(p)]
    for p in leftovers:  # ours (descendants of the server this test started): clean up, by pid
        try:
            os.kill(p, signal.SIGKILL)
        except ProcessLookupError:
            pass
    assert not leftovers, f"processes of the killed server still running: {leftovers}"

    assert check_manifest(store)["version"] == version
    restarted = server_launcher(options, tmp_path)
    try:
        assert "loading" not in restarted.log(), "the restarted server loaded the data again"
        assert count(restarted) == TRIPLES
    finally:
        restarted.stop()
