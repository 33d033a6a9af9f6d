"""Session fixtures: real triple stores on 127.0.0.1, started once, stopped at the end."""

from __future__ import annotations

import pytest

from stores.services import OxigraphServer, VirtuosoServer, require, which


@pytest.fixture(scope="session")
def virtuoso(tmp_path_factory) -> VirtuosoServer:
    """OpenLink Virtuoso 7 with a fresh database in a temp dir (tests/run.sh installs it)."""
    require(which("virtuoso-t") is not None and which("isql-vt") is not None,
            "Virtuoso is not installed (apt-get install virtuoso-opensource)")
    with VirtuosoServer(tmp_path_factory.mktemp("virtuoso")) as server:
        yield server


@pytest.fixture(scope="session")
def oxigraph(tmp_path_factory) -> OxigraphServer:
    """The Oxigraph server (binary from the PyPI `oxigraph` package) on an on-disk store."""
    require(which("oxigraph") is not None, "the oxigraph server binary is missing (pip install oxigraph)")
    with OxigraphServer(tmp_path_factory.mktemp("oxigraph")) as server:
        yield server
