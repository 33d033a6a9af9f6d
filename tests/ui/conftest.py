"""Fixtures for the query page: our server (with and without the YASGUI bundle) and Chromium."""

from __future__ import annotations

from pathlib import Path

import pytest

from stores.services import REPO_ROOT, EndpointServer, require
from ui.browser import Browser, find_chromium

FIXTURE = Path(__file__).resolve().parent / "data" / "ui-fixture.ttl"
OUTPUT = REPO_ROOT / "tests" / "output"


@pytest.fixture(scope="session")
def output_dir() -> Path:
    """Screenshots land here (gitignored) for a person to look at."""
    OUTPUT.mkdir(parents=True, exist_ok=True)
    return OUTPUT


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> EndpointServer:
    """`python -m idlib_kg serve` with the project's data plus the UI fixture."""
    with EndpointServer(tmp_path_factory.mktemp("ui-server"),
                        ["--load", str(FIXTURE), "--workers", "1"]) as ep:
        yield ep


@pytest.fixture(scope="module")
def bare_server(tmp_path_factory) -> EndpointServer:
    """The same server as if `npm ci` had never run: `/` must fall back to the plain form."""
    missing = tmp_path_factory.mktemp("no-yasgui") / "absent"
    with EndpointServer(tmp_path_factory.mktemp("ui-bare-server"),
                        ["--load", str(FIXTURE), "--workers", "1"],
                        env={"IDLIB_KG_YASGUI_DIR": str(missing)}) as ep:
        yield ep


@pytest.fixture
def browser() -> Browser:
    require(find_chromium() is not None, "chromium is not installed (apt-get install chromium)")
    with Browser() as b:
        yield b
