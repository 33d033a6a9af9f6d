"""Where ontology/, triples/ and queries/ live: the checkout (editable install) or the wheel.

The wheel carries them under idlib_kg/_data (pyproject force-include), so an installed copy
serves the same data as a checkout.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
_CHECKOUT = PACKAGE_DIR.parent.parent  # server/idlib_kg -> repo root
_DATA = PACKAGE_DIR / "_data"


def _root() -> Path:
    if (_CHECKOUT / "pyproject.toml").is_file() and (_CHECKOUT / "server" / "idlib_kg").is_dir():
        return _CHECKOUT
    return _DATA


def data_root() -> Path:
    """The directory holding ontology/, triples/ and queries/."""
    return _root()


def ontology_dir() -> Path:
    return _root() / "ontology"


def triples_dir() -> Path:
    return _root() / "triples"


def queries_dir() -> Path:
    return _root() / "queries"
