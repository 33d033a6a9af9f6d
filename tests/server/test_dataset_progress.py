"""Loading a big file shows its progress on stderr, and loads exactly what a plain load does."""

from __future__ import annotations

import logging
from pathlib import Path

import pyoxigraph
import pytest

from idlib_kg import dataset


@pytest.fixture
def ntriples(tmp_path: Path) -> Path:
    path = tmp_path / "big.nt"
    path.write_bytes(b"".join(b'<http://example.org/s%d> <http://example.org/p> "%d" .\n' % (i, i)
                              for i in range(50_000)))
    return path


def test_a_big_file_logs_percentages_while_loading(ntriples, monkeypatch, caplog):
    monkeypatch.setattr(dataset, "BIG_FILE_BYTES", 1)
    monkeypatch.setattr(dataset._ProgressReader.__init__, "__defaults__", (0.0,))  # report every read
    store = pyoxigraph.Store()
    with caplog.at_level(logging.WARNING, logger="idlib_kg.dataset"):
        dataset.load_file(store, dataset.extra_file(ntriples))
    assert len(store) == 50_000
    progress = [r.getMessage() for r in caplog.records if "%" in r.getMessage()]
    assert progress, "no progress was logged"
    assert progress[-1].startswith("loading big.nt: 100%")
    assert any(m.startswith("loaded big.nt") for m in (r.getMessage() for r in caplog.records))


def test_a_big_file_with_a_syntax_error_names_the_file(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(dataset, "BIG_FILE_BYTES", 1)
    bad = tmp_path / "bad.nt"
    bad.write_text("<http://example.org/s> <http://example.org/p> .\n", encoding="utf-8")
    with pytest.raises(dataset.DatasetError, match="bad.nt: not valid N-Triples"):
        dataset.load_file(pyoxigraph.Store(), dataset.extra_file(bad))


def test_reading_a_big_file_for_a_dump_shows_progress_and_keeps_every_quad(ntriples, monkeypatch, caplog):
    """export and load read the files (dataset.read_dataset), as big as a --load corpus."""
    monkeypatch.setattr(dataset, "BIG_FILE_BYTES", 1)
    monkeypatch.setattr(dataset._ProgressReader.__init__, "__defaults__", (0.0,))
    with caplog.at_level(logging.WARNING, logger="idlib_kg.dataset"):
        ds = dataset.read_dataset([dataset.extra_file(ntriples)])
    assert len(ds) == 50_000
    messages = [r.getMessage() for r in caplog.records]
    assert any(m.startswith("reading ") for m in messages)
    assert [m for m in messages if "%" in m][-1].startswith("loading big.nt: 100%")
