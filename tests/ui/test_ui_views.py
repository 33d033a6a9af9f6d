"""The query page's views without a browser: examples, escaping, the bundle switch."""

from __future__ import annotations

import pytest
from flask import Flask

from idlib_kg import linkeddata, ui
from idlib_kg.config import Settings

NASTY = '# Question: does </script><script>alert("x")</script> stay text?\nASK { ?s ?p ?o }\n'


@pytest.fixture
def examples_dir(tmp_path, monkeypatch):
    (tmp_path / "b-second.rq").write_text("SELECT * WHERE { ?s ?p ?o } LIMIT 1\n", encoding="utf-8")
    (tmp_path / "a-nasty.rq").write_text(NASTY, encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not a query", encoding="utf-8")
    monkeypatch.setattr(ui.resources, "queries_dir", lambda: tmp_path)
    return tmp_path


@pytest.fixture
def client():
    app = Flask(__name__)
    app.config["IDLIB_KG_SETTINGS"] = Settings()
    app.register_blueprint(ui.bp)
    app.register_blueprint(linkeddata.bp)  # the pages link to the site's pages (never called here)
    return app.test_client()


def test_examples_are_the_rq_files_sorted(examples_dir):
    examples = ui.example_queries()
    assert [e.name for e in examples] == ["a-nasty", "b-second"]
    assert examples[0].text == NASTY
    assert examples[0].question.startswith("does </script>")


def test_no_queries_folder_means_no_examples(tmp_path):
    assert ui.example_queries(tmp_path / "absent") == []


@pytest.mark.parametrize("path", ["/", "/form"])
def test_query_text_cannot_break_out_of_the_page(client, examples_dir, path):
    html = client.get(path).get_data(as_text=True)
    assert "<script>alert" not in html
    assert "a-nasty" in html


def test_without_bundle_index_is_the_form(client, examples_dir, monkeypatch, tmp_path):
    monkeypatch.setenv(ui.YASGUI_ENV, str(tmp_path / "absent"))
    html = client.get("/").get_data(as_text=True)
    assert 'id="query-form"' in html and "yasgui.min.js" not in html
    assert client.get("/ui/static/yasgui/yasgui.min.js").status_code == 404


def test_form_example_choice_works_without_js(client, examples_dir):
    html = client.get("/form?example=b-second").get_data(as_text=True)
    assert '<option value="b-second" title="" selected>' in html
    assert "LIMIT 1\n</textarea>" in html


def test_endpoint_is_own_sparql_or_configured_backend(client):
    assert 'action="http://localhost/sparql"' in client.get("/form").get_data(as_text=True)
    client.application.config["IDLIB_KG_SETTINGS"] = Settings(ui_endpoint="http://127.0.0.1:8890/sparql")
    assert 'action="http://127.0.0.1:8890/sparql"' in client.get("/form").get_data(as_text=True)


def test_form_offers_every_endpoint_format():
    from idlib_kg.negotiation import ALL_FORMATS

    assert [key for key, _, _ in ui.form_formats()] == list(ALL_FORMATS)
