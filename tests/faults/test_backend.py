"""Backend mode: the endpoint in front of another store (Oxigraph server) that goes away.

Expected behaviour once `idlib-kg serve --backend URL` exists: while the backend is down the
endpoint answers 502/503 with a clear message within the request timeout (never hangs), and
answers normally again as soon as the backend is back.
"""

from __future__ import annotations

import pytest
import requests

from idlib_kg.app import register  # noqa: F401  (the serve command's options live here)


def backend_mode_exists() -> bool:
    import argparse
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    serve = parser._subparsers._group_actions[0].choices["serve"]
    return any("--backend" == opt for a in serve._actions for opt in a.option_strings)


@pytest.mark.skipif(not backend_mode_exists(), reason="backend mode not implemented")
def test_backend_going_away_gives_502_or_503_and_recovers(start_server, tmp_path):
    from stores.services import OxigraphServer, free_port

    port = free_port()
    ox = OxigraphServer(tmp_path / "ox", port=port) if "port" in OxigraphServer.__init__.__code__.co_varnames \
        else OxigraphServer(tmp_path / "ox")
    with ox:
        ox.put_graph("http://example.org/g", "<http://e/a> <http://e/b> <http://e/c> .")
        ep = start_server("--backend", ox.sparql_url)
        ask = {"query": "ASK { GRAPH ?g { <http://e/a> ?p ?o } }"}
        assert requests.get(ep.endpoint, params=ask, timeout=30).json()["boolean"] is True
        ox.stop()
        r = requests.get(ep.endpoint, params=ask, timeout=60)
        assert r.status_code in (502, 503) and r.text.strip()
        ox.start()
        ox.put_graph("http://example.org/g", "<http://e/a> <http://e/b> <http://e/c> .")
        assert requests.get(ep.endpoint, params=ask, timeout=30).json()["boolean"] is True
