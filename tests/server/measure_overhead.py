"""Measure what the worker pool adds to a trivial query (not a test: run it by hand).

    python tests/server/measure_overhead.py [N]

Prints the median time of `ASK {}` run in-process and through the Executor, and the difference.
"""

import statistics
import sys
import time

from idlib_kg.executor import Executor, QueryJob, run_query
from idlib_kg.store import open_store


def main(n: int = 2000) -> None:
    opened = open_store(None)
    job = QueryJob("SELECT ?x WHERE { BIND(1 AS ?x) }")
    direct = []
    for _ in range(n):
        t = time.perf_counter()
        run_query(opened.store, job)
        direct.append(time.perf_counter() - t)
    with Executor(opened, workers=2, timeout=30) as ex:
        pooled = []
        for _ in range(n):
            t = time.perf_counter()
            ex.run(job)
            pooled.append(time.perf_counter() - t)
    d, p = statistics.median(direct) * 1e3, statistics.median(pooled) * 1e3
    print(f"in-process median {d:.3f} ms, through the worker pool {p:.3f} ms, overhead {p - d:.3f} ms")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)
