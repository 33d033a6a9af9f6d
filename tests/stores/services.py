"""The service helpers live in the package (idlib_kg.services, also used by `idlib-kg bench`);
this module re-exports them for the tests and adds what only tests need (REPO_ROOT, require)."""

from __future__ import annotations

import os
from pathlib import Path

from idlib_kg.services import (LOCALHOST, SELECT_JSON, VIRTUOSO_INI, EndpointServer,  # noqa: F401
                               OxigraphServer, RdflibEndpointServer, Service, ServiceError,
                               VirtuosoServer, free_port, wait_until, which)

REPO_ROOT = Path(__file__).resolve().parents[2]


def require(available: bool, reason: str) -> None:
    """Skip a test whose tool is missing, but fail under CI=true, where tests/run.sh installs it."""
    import pytest

    if not available:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason} (CI=true: tests/run.sh should have installed it)")
        pytest.skip(reason)
