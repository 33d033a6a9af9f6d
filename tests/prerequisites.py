"""Prerequisites a test may find missing: a Debian tool, Java, YASGUI, the W3C suites.

On a developer's machine a missing one skips the test with the reason (and how to get it);
under CI=true, where tests/run.sh installs everything, it fails the test instead, so nothing
CI is meant to check can quietly go unchecked.
"""

from __future__ import annotations

import os

import pytest

IN_CI = os.environ.get("CI", "").lower() == "true"


def skip_or_fail(reason: str) -> None:
    """Skip with `reason`; under CI=true fail with it."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: tests/run.sh provides it, so it must be there)", pytrace=False)
    pytest.skip(reason)


def require(available: bool, reason: str) -> None:
    """skip_or_fail(reason) unless `available`."""
    if not available:
        skip_or_fail(reason)
