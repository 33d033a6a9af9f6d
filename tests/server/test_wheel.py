"""A built wheel carries ontology/, triples/ and queries/, so an installed copy serves what a
checkout serves."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                           "-q", "-w", str(out), str(REPO)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    (path,) = out.glob("idlib_kg-*.whl")
    return path


def test_the_wheel_carries_the_data_and_the_queries(wheel: Path):
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in ("idlib_kg/_data/ontology/idlib-kg.ttl", "idlib_kg/_data/ontology/shapes.ttl",
                     "idlib_kg/_data/triples/article.ttl", "idlib_kg/_data/triples/article.txt",
                     "idlib_kg/_data/triples/inferred.ttl", "idlib_kg/_data/queries/01-turkish-soldiers-killed.rq",
                     "idlib_kg/templates/resource.html"):
        assert required in names, f"{required} is missing from {wheel.name}"


def _count(pythonpath: Path | None) -> str:
    env = dict(os.environ)
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    done = subprocess.run([sys.executable, "-m", "idlib_kg", "query", COUNT, "--format", "csv"],
                          capture_output=True, text=True, timeout=300, env=env,
                          cwd=pythonpath or REPO)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_an_installed_copy_serves_the_same_data_as_the_checkout(wheel: Path, tmp_path: Path):
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    probe = subprocess.run([sys.executable, "-c", "import idlib_kg.resources as r; print(r.data_root())"],
                           capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(site)},
                           cwd=site, timeout=60)
    assert probe.stdout.strip() == str(site / "idlib_kg" / "_data")
    assert _count(site) == _count(None)
