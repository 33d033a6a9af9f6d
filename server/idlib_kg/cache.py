"""A bounded LRU cache, used twice: query results (protocol.py, keyed by the normalized query,
format, dataset and data version) and whole HTTP answers (httpfront.py, keyed by the exact
request), both emptied when the data changes.

The dataset is read-only between loads, so a repeated query is answered from memory: the
field's habit (ETag and 304 for clients that revalidate, a result cache for those that do not).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from functools import lru_cache, wraps
from typing import Callable, Generic, Hashable, TypeVar

V = TypeVar("V")
F = TypeVar("F", bound=Callable)

#: set (to True) in the WSGI environ by a view whose answer depends only on the request's
#: method, target, Content-Type, Accept and body, and on the data: the HTTP front may then
#: keep the answer and give it to the same request again until the data changes
CACHEABLE = "idlib_kg.cacheable"


class BoundedCache(Generic[V]):
    """A thread-safe LRU bounded twice: at most `entries` values and at most `max_bytes` in
    all (least recently used first out); a value over `max_body` bytes is never kept.

    `generation` changes on every clear(): a value computed from data read before a clear
    is stored only if put() is given the generation read before computing it, unchanged.
    """

    def __init__(self, entries: int = 256, max_bytes: int = 64_000_000, max_body: int = 2_000_000):
        self.entries = entries
        self.max_bytes = max_bytes
        self.max_body = min(max_body, max_bytes)
        self.bytes = 0
        self.generation = 0
        self._data: OrderedDict[Hashable, tuple[V, int]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> V | None:
        with self._lock:
            hit = self._data.get(key)
            if hit is None:
                return None
            self._data.move_to_end(key)
            return hit[0]

    def put(self, key: Hashable, value: V, size: int, generation: int | None = None) -> None:
        if self.entries <= 0 or size > self.max_body:
            return
        with self._lock:
            if generation is not None and generation != self.generation:
                return  # the data changed while the value was computed
            old = self._data.pop(key, None)
            if old is not None:
                self.bytes -= old[1]
            self._data[key] = (value, size)
            self.bytes += size
            while len(self._data) > self.entries or self.bytes > self.max_bytes:
                _, (_, evicted) = self._data.popitem(last=False)
                self.bytes -= evicted

    def __len__(self) -> int:
        return len(self._data)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self.bytes = 0
            self.generation += 1


def memoize_small(max_chars: int, entries: int) -> Callable[[F], F]:
    """functools.lru_cache for calls whose text arguments are each at most `max_chars` long
    (None counts as empty). A call with a longer one is computed and not kept, so the memo is
    bounded in characters as well as in entries. The wrapper keeps cache_info / cache_clear."""
    def wrap(fn: F) -> F:
        memo = lru_cache(maxsize=entries)(fn)

        @wraps(fn)
        def call(*args):
            for a in args:  # a loop, not all(...): this runs on every query's every line
                if a is not None and len(a) > max_chars:
                    return fn(*args)
            return memo(*args)

        call.cache_info, call.cache_clear = memo.cache_info, memo.cache_clear
        return call  # type: ignore[return-value]
    return wrap
