"""The Wikidata identifiers the project may use (tests/data/verified-wikidata.tsv), shared by the
tests of the ontology and of the data so the two cannot hold different lists."""

from __future__ import annotations

from pathlib import Path

TABLE = Path(__file__).resolve().parent / "data" / "verified-wikidata.tsv"


def verified_wikidata_ids() -> frozenset[str]:
    rows = [line.split("\t", 1) for line in TABLE.read_text(encoding="utf-8").splitlines()
            if line and not line.startswith("#")]
    assert all(len(r) == 2 and r[0][0] in "PQ" and r[0][1:].isdigit() and r[1] for r in rows), TABLE
    return frozenset(r[0] for r in rows)
