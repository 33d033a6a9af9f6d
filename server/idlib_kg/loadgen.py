"""Measuring one benchmark cell: a query sent at a concurrency until a duration or a request
budget ends, by wrk (a C load generator: run_wrk_cell), by threads of this process (run_cell
with HttpClient), or straight into an in-process store (StoreClient, the floor).

Used by `idlib-kg bench` (bench.py), which decides what to measure and reports it.
"""

from __future__ import annotations

import http.client
import itertools
import json
import math
import os
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable
from urllib.parse import urlencode, urlsplit


@dataclass
class Cell:
    """One measurement: a system, a query, a concurrency."""
    system: str
    query: str
    concurrency: int
    latencies: list[float] = field(default_factory=list)   # seconds, successful requests
    failures: int = 0
    first_error: str = ""
    elapsed: float = 0.0
    skipped: str = ""
    #: from wrk, which keeps a histogram rather than every latency: ok count, p50 and p99 (s)
    summary: dict | None = None

    @property
    def ok(self) -> int:
        return self.summary["ok"] if self.summary else len(self.latencies)

    def percentile(self, p: float) -> float | None:
        if self.summary:
            return self.summary.get(f"p{p:g}")
        if not self.latencies:
            return None
        xs = sorted(self.latencies)
        return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]

    @property
    def throughput(self) -> float | None:
        return self.ok / self.elapsed if self.elapsed > 0 and self.ok else None

    def as_dict(self) -> dict:
        return {"system": self.system, "query": self.query, "concurrency": self.concurrency,
                "ok": self.ok, "failures": self.failures, "first_error": self.first_error,
                "p50_ms": in_ms(self.percentile(50)), "p99_ms": in_ms(self.percentile(99)),
                "throughput": self.throughput, "elapsed_s": self.elapsed, "skipped": self.skipped}


def in_ms(x: float | None) -> float | None:
    """Seconds as milliseconds; None stays None (a cell without answers)."""
    return None if x is None else x * 1e3


class Client:
    """Sends one query and returns (ok, body or error). One per thread (a kept-alive connection)."""

    def __call__(self, query: str) -> tuple[bool, bytes | str]:
        raise NotImplementedError

    def close(self) -> None:
        pass


class HttpClient(Client):
    def __init__(self, url: str, timeout: float):
        parts = urlsplit(url)
        self.host, self.port, self.path = parts.hostname, parts.port, parts.path
        self.timeout = timeout
        self.conn: http.client.HTTPConnection | None = None

    def __call__(self, query: str) -> tuple[bool, bytes | str]:
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            self.conn.request("POST", self.path, urlencode({"query": query}), {
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/sparql-results+json"})
            r = self.conn.getresponse()
            body = r.read()
            if r.will_close:
                self.close()
        except (OSError, http.client.HTTPException) as e:
            self.close()
            return False, f"{type(e).__name__}: {e}"
        if r.status != 200:
            return False, f"HTTP {r.status}: {body[:200].decode('utf-8', 'replace')}"
        return True, body

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


class StoreClient(Client):
    """The floor: pyoxigraph in this process, JSON serialization included, no protocol."""

    def __init__(self, store):
        self.store = store

    def __call__(self, query: str) -> tuple[bool, bytes | str]:
        from pyoxigraph import QueryResultsFormat
        try:
            results = self.store.query(query, use_default_graph_as_union=True)
            return True, results.serialize(format=QueryResultsFormat.JSON)
        except (SyntaxError, OSError, ValueError, RuntimeError) as e:
            return False, f"{type(e).__name__}: {e}"


def varied(query: str, n: int) -> str:
    """`query` made semantically distinct with the same rows: no result cache can answer it, and
    every system still returns the same rows (bench.py's module docstring says why not a comment)."""
    return f"{query}\nVALUES ?bench_n {{ {n} }}"


def commented(query: str, n: int) -> str:
    """`query` with a distinct comment: for Virtuoso, which refuses a trailing VALUES clause
    (SQ200) and has no result cache to defeat."""
    return f"#bench {n}\n{query}"


def run_cell(cell: Cell, make_client: Callable[[], Client], query: str, duration: float,
             max_requests: int, unique: bool, vary: Callable[[str, int], str] | None = None) -> Cell:
    """Run `query` from cell.concurrency threads until `duration` or `max_requests`."""
    counter = itertools.count()
    lock = threading.Lock()
    deadline = time.monotonic() + duration
    ends: list[float] = []

    def worker() -> None:
        client = make_client()
        lat: list[float] = []
        fails, first = 0, ""
        try:
            while time.monotonic() < deadline:
                n = next(counter)
                if n >= max_requests:
                    break
                text = (vary or varied)(query, n) if unique else query
                t0 = time.perf_counter()
                ok, out = client(text)
                dt = time.perf_counter() - t0
                if ok:
                    lat.append(dt)
                else:
                    fails += 1
                    first = first or str(out)
        finally:
            client.close()
            with lock:
                cell.latencies.extend(lat)
                cell.failures += fails
                cell.first_error = cell.first_error or first
                ends.append(time.monotonic())

    started = time.monotonic()
    threads = [threading.Thread(target=worker, daemon=True) for _ in range(cell.concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    cell.elapsed = max(ends) - started if ends else 0.0
    return cell


#: wrk's script: POST each query as a form, made distinct per request as varied() / commented()
#: make it (or the same text every time). A thread stops after IDLIB_BENCH_BUDGET requests and
#: notes when (wrk itself always waits out -d, so its duration would understate the rate);
#: done() prints the summary as one JSON line after a marker.
WRK_SCRIPT = r"""
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } idlib_timespec;
int clock_gettime(int clock, idlib_timespec *ts);
]]
local ts = ffi.new("idlib_timespec")
local function now_us()
  ffi.C.clock_gettime(1, ts)  -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) * 1000000 + tonumber(ts.tv_nsec) / 1000
end

local file = assert(io.open(os.getenv("IDLIB_BENCH_QUERY"), "rb"))
local query = file:read("*a")
file:close()
local vary = os.getenv("IDLIB_BENCH_VARY")
local budget = tonumber(os.getenv("IDLIB_BENCH_BUDGET"))
local headers = {["Content-Type"] = "application/x-www-form-urlencoded",
                 ["Accept"] = "application/sparql-results+json"}
local function form(text)
  return "query=" .. (text:gsub("[^%w%-_%.~]", function(c) return string.format("%%%02X", c:byte()) end))
end
local fixed = form(query)
local threads = {}
sent, started, stopped_after = 0, nil, nil

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function request()
  if started == nil then started = now_us() end
  sent = sent + 1
  if sent > budget and stopped_after == nil then
    stopped_after = now_us() - started
    wrk.thread:stop()
  end
  local n = string.format("%d", id * 1000000000 + sent)
  local body = fixed
  if vary == "values" then body = form(query .. "\nVALUES ?bench_n { " .. n .. " }")
  elseif vary == "comment" then body = form("#bench " .. n .. "\n" .. query) end
  return wrk.format("POST", nil, headers, body)
end

function done(summary, latency, requests)
  local e = summary.errors
  local duration = summary.duration
  for _, thread in ipairs(threads) do
    local stopped = thread:get("stopped_after")
    if stopped == nil then stopped = summary.duration end
    if stopped < duration then duration = stopped end
  end
  io.write(string.format(
    "\nIDLIB-BENCH {\"requests\": %d, \"duration_us\": %d, \"p50_us\": %d, \"p99_us\": %d, " ..
    "\"status\": %d, \"connect\": %d, \"read\": %d, \"write\": %d, \"timeout\": %d}\n",
    summary.requests, duration, latency:percentile(50), latency:percentile(99),
    e.status, e.connect, e.read, e.write, e.timeout))
end
"""


def run_wrk_cell(cell: Cell, url: str, query: str, duration: float, max_requests: int, vary: str,
                 timeout: float, workdir: Path) -> Cell:
    """Measure with wrk (Debian's wrk): a C load generator that costs the machine far less than
    the Python client, so on a 2-CPU machine the servers get nearly all of it. One wrk thread
    holding cell.concurrency keep-alive connections; wrk counts whole seconds, so a cell runs
    at least one second. vary: values (varied), comment (commented) or none (the same text)."""
    script, text = workdir / "bench.lua", workdir / "query.rq"
    script.write_text(WRK_SCRIPT, encoding="utf-8")
    text.write_text(query, encoding="utf-8")
    seconds = max(1, math.ceil(duration))
    env = {**os.environ, "IDLIB_BENCH_QUERY": str(text), "IDLIB_BENCH_VARY": vary,
           "IDLIB_BENCH_BUDGET": str(max_requests)}
    r = subprocess.run(["wrk", "-t", "1", "-c", str(cell.concurrency), "-d", f"{seconds}s",
                        "--timeout", f"{max(1, round(timeout))}s", "-s", str(script), url],
                       capture_output=True, text=True, env=env, timeout=seconds + timeout + 60)
    line = next((ln for ln in r.stdout.splitlines() if ln.startswith("IDLIB-BENCH ")), None)
    if r.returncode != 0 or line is None:
        cell.failures = 1
        cell.first_error = f"wrk exited {r.returncode}: {(r.stderr or r.stdout)[-300:]}"
        return cell
    out = json.loads(line.split(" ", 1)[1])
    errors = {k: out[k] for k in ("status", "connect", "read", "write", "timeout") if out[k]}
    cell.failures = sum(errors.values())
    if errors:
        cell.first_error = "wrk: " + ", ".join(f"{n} {k} errors" if k != "status" else f"{n} non-2xx answers"
                                               for k, n in errors.items())
    ok = max(0, out["requests"] - out["status"])
    cell.summary = {"ok": ok, "p50": out["p50_us"] / 1e6 if ok else None,
                    "p99": out["p99_us"] / 1e6 if ok else None}
    cell.elapsed = out["duration_us"] / 1e6
    return cell


def count_rows(body: bytes) -> int | str:
    try:
        doc = json.loads(body)
    except ValueError:
        return "?"
    if "boolean" in doc:
        return f"ask={doc['boolean']}"
    return len(doc.get("results", {}).get("bindings", []))
