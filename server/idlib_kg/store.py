"""Opening the pyoxigraph store (in memory or on disk) and the data version used for ETags.

On disk (--store PATH) the store is loaded once and reused on restart. A manifest
(PATH/idlib-kg-manifest.json: file names, graphs, sha256 of each file, data version) is written
atomically only AFTER the load completed and was flushed; a PATH/idlib-kg-loading flag is
written before loading starts. On start-up a store without a manifest, or whose manifest names
other files or contents, is wiped and loaded from scratch: a half-loaded store is never served.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from pyoxigraph import Store

from idlib_kg.dataset import DataFile, DatasetError, all_files, extra_file, load_all

log = logging.getLogger(__name__)

MANIFEST = "idlib-kg-manifest.json"
LOADING_FLAG = "idlib-kg-loading"
MANIFEST_FORMAT = 1


class StoreError(Exception):
    """The store directory cannot be used (e.g. it is something else's directory)."""


@dataclass
class OpenedStore:
    store: Store | None     # None once handed over to the executor (on-disk stores are reopened)
    path: Path | None       # on-disk location, None for in-memory
    version: str            # changes whenever the content changes
    files: list[dict]

    @property
    def in_memory(self) -> bool:
        return self.path is None


def describe_files(files: list[DataFile]) -> list[dict]:
    return [{"name": f.path.name, "graph": f.graph, "sha256": f.sha256()} for f in files]


def version_of(described: list[dict]) -> str:
    blob = json.dumps(described, sort_keys=True).encode()
    return hashlib.sha256(blob).hexdigest()[:20]


def bump_version(version: str, change: str) -> str:
    """The data version after an update: depends on the old version and the update text."""
    return hashlib.sha256(f"{version}\n{change}".encode()).hexdigest()[:20]


def _write_atomically(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def read_manifest(path: Path) -> dict | None:
    try:
        return json.loads((path / MANIFEST).read_text())
    except (OSError, ValueError):
        return None


def write_manifest(path: Path, files: list[dict], version: str, optimized: bool = False) -> None:
    body = {"format": MANIFEST_FORMAT, "files": files, "version": version}
    if optimized:
        body["optimized"] = True
    _write_atomically(path / MANIFEST, json.dumps(body, indent=1).encode())


def open_store(store_path: Path | None, extra_files: list[Path] | tuple[Path, ...] = (), *,
               include_project: bool = True, optimize: bool = False) -> OpenedStore:
    """Open (loading if needed) the store. Raises DatasetError or StoreError.

    optimize=True compacts an on-disk store once (pyoxigraph's Store.optimize): the bulk loader
    leaves many small files, and read-only queries on the compacted store run up to 3 times
    faster, for about 10 s more at 5M triples. The manifest remembers it was done.

    include_project=False loads only the extra files (tests that must not depend on the
    project's data).
    """
    if optimize and store_path is None:
        raise StoreError("--optimize compacts an on-disk store: give --store PATH with it "
                         "(an in-memory store has nothing to compact)")
    files = all_files(list(extra_files)) if include_project else [extra_file(Path(p)) for p in extra_files]
    described = describe_files(files)
    if store_path is None:
        store = Store()
        load_all(store, files)
        return OpenedStore(store, None, version_of(described), described)
    path = Path(store_path)
    if path.exists() and not path.is_dir():
        raise StoreError(f"--store {path} is a file; give a directory (new or empty, or an "
                         "idlib-kg store)")
    try:
        return _open_on_disk(path, files, described, optimize)
    except OSError as e:  # no permission, read-only file system, a parent that is a file...
        raise StoreError(f"cannot use {path} as the store: {e.strerror or e}") from None


def _compact(store: Store, path: Path) -> None:
    started = time.monotonic()
    log.warning("compacting store %s ...", path)
    store.optimize()
    log.warning("store %s compacted in %.1f s", path, time.monotonic() - started)


def _open_on_disk(path: Path, files: list[DataFile], described: list[dict],
                  optimize: bool = False) -> OpenedStore:
    manifest = read_manifest(path)
    if (manifest and manifest.get("format") == MANIFEST_FORMAT and manifest.get("files") == described
            and not (path / LOADING_FLAG).exists()):
        log.info("reusing store %s (data version %s)", path, manifest["version"])
        store = Store(str(path))
        if optimize and not manifest.get("optimized"):
            _compact(store, path)
            write_manifest(path, described, manifest["version"], optimized=True)
        return OpenedStore(store, path, manifest["version"], described)

    if (manifest and manifest.get("format") == MANIFEST_FORMAT and not (path / LOADING_FLAG).exists()
            and manifest.get("version") != version_of(manifest.get("files") or [])):
        # changed through /update since it was loaded: a reload would silently throw that away
        raise StoreError(
            f"the store {path} holds changes made through /update (data version "
            f"{manifest.get('version')}) and was loaded from other files than these "
            f"({', '.join(d['name'] for d in manifest.get('files') or []) or 'none'}); loading would "
            "discard the changes. Give the same data files (the same --load options), or delete "
            "the directory to start over")
    if path.exists():
        ours = manifest is not None or (path / LOADING_FLAG).exists()
        if not ours and any(path.iterdir()):
            raise StoreError(f"{path} exists, is not empty and is not an idlib-kg store; "
                             "give --store an empty or new directory")
        if ours:
            log.warning("store %s is stale or was interrupted while loading; reloading from scratch",
                        path)
        shutil.rmtree(path)
    path.mkdir(parents=True)
    _write_atomically(path / LOADING_FLAG, b"loading started; an interrupted load is redone\n")
    store = Store(str(path))
    log.warning("loading %d file(s) into %s ...", len(files), path)
    load_all(store, files)
    store.flush()
    if optimize:
        _compact(store, path)
    version = version_of(described)
    write_manifest(path, described, version, optimized=optimize)
    (path / LOADING_FLAG).unlink()
    log.warning("store %s loaded (data version %s)", path, version)
    return OpenedStore(store, path, version, described)


def record_update(opened: OpenedStore, change: str) -> str:
    """Bump the data version after an update; on disk, persist it in the manifest."""
    opened.version = bump_version(opened.version, change)
    if opened.path is not None:  # keep what the manifest knew (a compacted store stays marked so)
        optimized = bool((read_manifest(opened.path) or {}).get("optimized"))
        write_manifest(opened.path, opened.files, opened.version, optimized=optimized)
    return opened.version


__all__ = ["OpenedStore", "StoreError", "DatasetError", "open_store", "record_update", "bump_version"]
