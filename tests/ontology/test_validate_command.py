"""`idlib-kg validate`: the shapes as a command, with exit codes that mean things."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "idlib_kg", "validate", *args],
                          capture_output=True, text=True, timeout=300)


def test_the_article_and_its_links_conform_with_exit_0():
    done = run()
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Conforms: True" in done.stdout


def test_a_claim_without_claimant_exits_1_naming_what_to_add(tmp_path: Path):
    bad = tmp_path / "bad.ttl"
    bad.write_text("@prefix ikg: <https://w3id.org/idlib-kg/ontology#> .\n"
                   "<https://w3id.org/idlib-kg/id/x> a ikg:Claim .\n", encoding="utf-8")
    done = run(str(bad))
    assert done.returncode == 1
    assert "Conforms: False" in done.stdout
    assert "ikg:claimant" in done.stdout
    assert "https://w3id.org/idlib-kg/id/x" in done.stdout


def test_an_unreadable_file_exits_2_with_its_name(tmp_path: Path):
    broken = tmp_path / "broken.ttl"
    broken.write_text("<a> <b> .\n", encoding="utf-8")
    done = run(str(broken))
    assert done.returncode == 2
    assert "broken.ttl" in done.stderr
