"""`idlib-kg query` and `idlib-kg serve` from the command line: output and exit codes."""

from __future__ import annotations

import subprocess
import sys

import pytest

from .conftest import DATA

NAMES = "SELECT ?name WHERE { ?p <http://xmlns.com/foaf/0.1/name> ?name } ORDER BY ?name"


def idlib_kg(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "idlib_kg", *map(str, args)], capture_output=True,
                          text=True, input=stdin, timeout=120)


def test_query_prints_csv_and_exits_0():
    out = idlib_kg("query", NAMES, "--format", "csv", "--load", DATA / "people.nt")
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["name", "Alice", "Bob"]


def test_query_from_a_file_and_from_stdin(tmp_path):
    f = tmp_path / "names.rq"
    f.write_text(NAMES)
    out = idlib_kg("query", f, "--format", "tsv", "--load", DATA / "people.nt")
    assert out.stdout.splitlines() == ["?name", '"Alice"', '"Bob"@en']
    out = idlib_kg("query", "-", "--format", "csv", "--load", DATA / "people.nt", stdin=NAMES)
    assert out.stdout.splitlines() == ["name", "Alice", "Bob"]


def test_query_construct_defaults_to_turtle():
    q = "CONSTRUCT { ?p <http://example.org/called> ?n } WHERE { ?p <http://xmlns.com/foaf/0.1/name> ?n }"
    out = idlib_kg("query", q, "--format", "ntriples", "--load", DATA / "people.nt")
    assert '<http://example.org/alice> <http://example.org/called> "Alice" .' in out.stdout.splitlines()
    out = idlib_kg("query", q, "--load", DATA / "people.nt")
    assert out.returncode == 0
    assert "@prefix" in out.stdout and '"Alice"' in out.stdout


def test_query_syntax_error_exits_2_with_message():
    out = idlib_kg("query", "SELECT ?x WHERE { ?x ?y }")
    assert out.returncode == 2
    assert "syntax error" in out.stderr
    assert out.stdout == ""


def test_query_refuses_updates():
    out = idlib_kg("query", "CLEAR ALL")
    assert out.returncode == 2
    assert "SPARQL Update" in out.stderr


def test_query_wrong_format_for_the_form_exits_2():
    out = idlib_kg("query", NAMES, "--format", "turtle")
    assert out.returncode == 2
    assert "does not fit a SELECT query; use one of: json, xml, csv, tsv" in out.stderr


def test_export_to_a_missing_directory_names_the_file_asked_for_not_a_temporary_one(tmp_path):
    target = tmp_path / "no-such-dir" / "x.nq"
    out = idlib_kg("export", "-o", target)
    assert out.returncode == 2
    assert f"cannot write {target}: No such file or directory" in out.stderr
    assert ".tmp" not in out.stderr


def test_query_reports_truncation_on_stderr():
    out = idlib_kg("query", NAMES, "--format", "csv", "--max-rows", "1", "--load", DATA / "people.nt")
    assert out.returncode == 0
    assert out.stdout.splitlines() == ["name", "Alice"]
    assert "truncated to 1 rows" in out.stderr


def test_bad_data_file_exits_2_naming_the_file_and_the_problem():
    for cmd in (["query", "ASK {}"], ["serve", "--port", "1"]):
        out = idlib_kg(*cmd, "--load", DATA / "broken.ttl")
        assert out.returncode == 2, out.stderr
        assert "broken.ttl" in out.stderr
        assert "line 2" in out.stderr  # the parser's complaint


def test_unknown_extension_exits_2(tmp_path):
    f = tmp_path / "data.csv"
    f.write_text("a,b\n")
    out = idlib_kg("query", "ASK {}", "--load", f)
    assert out.returncode == 2
    assert "unknown RDF file extension '.csv'" in out.stderr


def test_serve_prints_the_url_once_ready(start_server):
    s = start_server("--workers", "2")
    assert any(f"open http://127.0.0.1:{s.port}/" in line for line in s.stdout_lines)


def test_help_lists_the_subcommands():
    out = idlib_kg("--help")
    assert out.returncode == 0
    assert "serve" in out.stdout and "query" in out.stdout


def test_optimize_without_a_store_exits_2_saying_what_to_give():
    for command in (["query", "ASK {}"], ["serve", "--port", "9"]):
        out = idlib_kg(*command, "--optimize")
        assert out.returncode == 2, (command, out.stderr)
        assert "--optimize compacts an on-disk store: give --store PATH" in out.stderr


def test_each_command_offers_only_the_data_options_it_uses():
    links = idlib_kg("links", "check", "--help").stdout
    assert "--store" in links and "--load" in links
    for unused in ("--max-rows", "--optimize", "--base-iri"):  # links answers no query, serves no IRI
        assert unused not in links, unused
    query = idlib_kg("query", "--help").stdout
    assert "relative IRIs in the query resolve against" in " ".join(query.split())
    assert "Put the query before --load" in " ".join(query.split())
    serve = idlib_kg("serve", "--help").stdout
    assert "persistent base IRI served by this server" in " ".join(serve.split())


def test_serve_refuses_zero_connections_and_an_unknown_http_server():
    out = idlib_kg("serve", "--connections", "0", "--port", "9")
    assert out.returncode == 2
    assert "--connections" in out.stderr and "at least 1" in out.stderr
    out = idlib_kg("serve", "--http-server", "gunicorn", "--port", "9")
    assert out.returncode == 2
    assert "invalid choice: 'gunicorn'" in out.stderr and "waitress" in out.stderr


def test_serve_on_waitress_answers_queries_without_the_response_cache(start_server):
    import requests
    s = start_server("--workers", "2", "--http-server", "waitress", "--load", DATA / "people.nt")
    answers = [requests.get(s.endpoint, params={"query": NAMES}, headers={"Accept": "text/csv"})
               for _ in range(2)]
    assert [a.status_code for a in answers] == [200, 200]
    assert answers[0].text.split("\r\n")[:3] == ["name", "Alice", "Bob"]
    assert answers[1].text == answers[0].text
    assert answers[1].headers["Server"].startswith("idlib-kg")  # waitress's ident
    assert all("X-Idlib-Cache" not in a.headers for a in answers)  # that cache is the front's
    bad = requests.get(s.endpoint, params={"query": "SELECT ?x WHERE {"})
    assert bad.status_code == 400 and "not valid SPARQL" in bad.text


def test_query_file_that_is_not_utf8_is_a_usage_error(tmp_path):
    f = tmp_path / "latin1.rq"
    f.write_bytes('SELECT ("\xe9" AS ?x) WHERE {}'.encode("latin-1"))
    out = idlib_kg("query", f)
    assert out.returncode == 2 and "is not UTF-8" in out.stderr and "Traceback" not in out.stderr


def test_query_file_that_does_not_exist_says_so(tmp_path):
    out = idlib_kg("query", tmp_path / "missing.rq")
    assert out.returncode == 2 and "no such file" in out.stderr


def test_max_rows_below_one_is_a_usage_error():
    out = idlib_kg("query", NAMES, "--max-rows", "-1", "--load", DATA / "people.nt")
    assert out.returncode == 2 and "--max-rows" in out.stderr and out.stdout == ""


def test_query_refuses_service_unless_allowed_and_connects_nowhere():
    """The CLI applies the server's allow-list (empty by default): nothing is sent."""
    import socket
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        listener.settimeout(0.5)
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/sparql"
        out = idlib_kg("query", f"SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}")
        assert out.returncode == 2 and "is not allowed" in out.stderr and "--allow-service" in out.stderr
        try:
            listener.accept()
            connected = True
        except socket.timeout:
            connected = False
        assert not connected


def _serve_exit(*options: str) -> subprocess.CompletedProcess:
    return idlib_kg("serve", "--host", "127.0.0.1", *options)


def test_serve_refuses_a_port_out_of_range_instead_of_wrapping_around():
    out = _serve_exit("--port", "99999")
    assert out.returncode == 2 and "not a port number" in out.stderr


def test_serve_refuses_a_time_limit_that_is_not_above_zero():
    out = _serve_exit("--timeout", "-1")
    assert out.returncode == 2 and "--timeout" in out.stderr


def test_serve_with_a_file_as_the_store_says_so(tmp_path):
    f = tmp_path / "not-a-directory"
    f.write_text("x")
    out = _serve_exit("--store", f, "--port", "0")
    assert out.returncode == 2 and "is a file" in out.stderr and "Traceback" not in out.stderr


def test_a_reader_that_goes_away_ends_the_command_quietly():
    """`idlib-kg export | head`: no BrokenPipeError traceback; the exit status of a program
    stopped by SIGPIPE (141)."""
    proc = subprocess.Popen([sys.executable, "-m", "idlib_kg", "export", "--format", "ntriples"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()  # nobody reads
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 141 and b"Traceback" not in err


def test_two_load_files_with_one_name_are_refused_not_merged_into_one_graph(tmp_path):
    """Each --load file is its own named graph, named after the file: two files called x.nt
    would silently share one."""
    for d, v in (("a", "1"), ("b", "2")):
        (tmp_path / d).mkdir()
        (tmp_path / d / "x.nt").write_text(f'<http://example.org/s> <http://example.org/p> "{v}" .\n')
    out = idlib_kg("query", "ASK {}", "--load", tmp_path / "a" / "x.nt", "--load", tmp_path / "b" / "x.nt")
    assert out.returncode == 2 and "would both be the graph" in out.stderr


@pytest.mark.parametrize("convert, text, message", [
    ("positive_int", "2.5", "'2.5' is not a whole number"),
    ("positive_int", "0", "0 is less than 1"),
    ("positive_float", "nan", "nan is not a number above 0"),
    ("positive_float", "ten", "'ten' is not a number"),
    ("port_number", "-1", "-1 is not a port number (0-65535)"),
    ("port_number", "80a", "'80a' is not a port number"),
])
def test_option_values_are_refused_with_what_was_given_and_why(convert, text, message):
    import argparse

    from idlib_kg import config
    with pytest.raises(argparse.ArgumentTypeError) as refused:
        getattr(config, convert)(text)
    assert str(refused.value) == message


def test_option_values_in_range_are_converted():
    from idlib_kg import config
    assert config.positive_int("3") == 3 and config.port_number("0") == 0
    assert config.positive_float("0.5") == 0.5 and config.port_number("65535") == 65535


def test_load_takes_several_files_after_one_flag_or_one_flag_per_file(tmp_path):
    a, b = tmp_path / "a.nt", tmp_path / "b.ttl"
    a.write_text('<http://example.org/a> <http://example.org/p> "1" .\n')
    b.write_text('<http://example.org/b> <http://example.org/p> "2" .\n')
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s <http://example.org/p> ?o }"
    for options in (["--load", a, b], ["--load", a, "--load", b]):
        out = idlib_kg("query", count, "--format", "csv", *options)
        assert out.returncode == 0, out.stderr
        assert out.stdout.split() == ["n", "2"]
    # the query must come first then: after --load it would be read as one more file
    out = idlib_kg("query", "--load", a, count)
    assert out.returncode == 2 and "QUERY_OR_FILE" in out.stderr


@pytest.mark.parametrize("args, says", [
    (["serve", "--cache-mb", "nan"], "--cache-mb"),
    (["serve", "--cache-mb", "inf"], "--cache-mb"),
    (["serve", "--http-server", "waitress", "--threads", "-1"], "--threads"),
    (["links", "suggest", "--limit", "-1"], "--limit"),
    (["export", "-o", "/"], "is a directory"),
    (["export", "-o", "."], "is a directory"),
])
def test_bad_option_values_are_usage_errors_without_a_traceback(args, says):
    out = idlib_kg(*args)
    assert out.returncode == 2 and says in out.stderr and "Traceback" not in out.stderr


@pytest.mark.parametrize("command, name", [("docs", "doc.html"), ("reason", "inferred.ttl")])
def test_check_against_a_file_that_is_not_utf8_says_out_of_date(tmp_path, command, name):
    f = tmp_path / name
    f.write_bytes(b"\xe9\xe9 not UTF-8")
    out = idlib_kg(command, "--check", "--output", f)
    assert out.returncode == 1 and "out of date" in out.stderr and "Traceback" not in out.stderr


def test_a_missing_query_file_with_a_space_in_its_name_is_no_such_file(tmp_path):
    out = idlib_kg("query", str(tmp_path / "türkçe sorgu.rq"))
    assert out.returncode == 2 and "no such file" in out.stderr and "syntax" not in out.stderr
