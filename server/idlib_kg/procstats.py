"""Memory and disk figures of a process tree, read from /proc (Linux): what the benchmarks, the
soak and the tests report about a running server (its workers included)."""

from __future__ import annotations

import os
from pathlib import Path


def _status_kb(pid: int, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _pss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def process_tree(pid: int) -> list[int]:
    """`pid` and all its descendants (from /proc/*/stat)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def memory_of(pid: int) -> dict[str, float]:
    """MB: main process peak (VmHWM) and current RSS, and the whole tree's PSS (shared pages
    counted once) and summed peak."""
    tree = process_tree(pid)
    return {"main_hwm_mb": _status_kb(pid, "VmHWM") / 1024,
            "main_rss_mb": _status_kb(pid, "VmRSS") / 1024,
            "tree_pss_mb": sum(_pss_kb(p) for p in tree) / 1024,
            "tree_hwm_sum_mb": sum(_status_kb(p, "VmHWM") for p in tree) / 1024,
            "processes": len(tree)}


def du_mb(path: Path) -> float:
    total = 0
    for root, _, files in os.walk(path):
        for f in files:
            try:
                total += os.stat(os.path.join(root, f)).st_blocks * 512
            except OSError:
                pass
    return total / 1e6
