"""The result comparison the conformance tests rely on (no server, no suite needed): a lenient
or buggy comparison would make the W3C counts meaningless."""

from __future__ import annotations

import json

from .results import XSD, is_ordered, literal, parse_csv, parse_srj, parse_srx, parse_tsv, same

INT = XSD + "integer"


def _srj(vars_, rows) -> bytes:
    return json.dumps({"head": {"vars": vars_}, "results": {"bindings": rows}}).encode()


def test_blank_nodes_match_up_to_renaming_but_not_merging():
    a = parse_srj(_srj(["x", "y"], [{"x": {"type": "bnode", "value": "a"}, "y": {"type": "bnode", "value": "a"}},
                                     {"x": {"type": "bnode", "value": "b"}, "y": {"type": "bnode", "value": "c"}}]))
    renamed = parse_srj(_srj(["x", "y"], [{"x": {"type": "bnode", "value": "q"}, "y": {"type": "bnode", "value": "r"}},
                                           {"x": {"type": "bnode", "value": "z"}, "y": {"type": "bnode", "value": "z"}}]))
    merged = parse_srj(_srj(["x", "y"], [{"x": {"type": "bnode", "value": "a"}, "y": {"type": "bnode", "value": "a"}},
                                          {"x": {"type": "bnode", "value": "a"}, "y": {"type": "bnode", "value": "c"}}]))
    assert same(a, renamed)
    assert not same(a, merged)


def test_multisets_order_and_duplicates():
    one = {"type": "literal", "value": "1", "datatype": INT}
    two = {"type": "literal", "value": "2", "datatype": INT}
    a = parse_srj(_srj(["n"], [{"n": one}, {"n": two}, {"n": two}]))
    b = parse_srj(_srj(["n"], [{"n": two}, {"n": one}, {"n": two}]))
    c = parse_srj(_srj(["n"], [{"n": one}, {"n": one}, {"n": two}]))
    assert same(a, b) and not same(a, b, ordered=True) and not same(a, c)


def test_lenient_accepts_equal_numbers_only_when_asked():
    xml = b"""<sparql xmlns="http://www.w3.org/2005/sparql-results#"><head><variable name="n"/></head>
    <results><result><binding name="n"><literal datatype="%s">%s</literal></binding></result></results></sparql>"""
    a = parse_srx(xml % (XSD.encode() + b"decimal", b"2.0"))
    b = parse_srx(xml % (XSD.encode() + b"decimal", b"2"))
    c = parse_srx(xml % (XSD.encode() + b"decimal", b"3"))
    assert not same(a, b) and same(a, b, lenient=True) and not same(a, c, lenient=True)


def test_tsv_and_csv_terms():
    tsv = parse_tsv(b'?s\t?o\n<http://e/s>\t1.5\n_:b\t"x"@EN\n')
    assert tsv.variables == ("s", "o")
    assert tsv.rows[0] == (("u", "http://e/s"), literal("1.5", XSD + "decimal"))
    assert tsv.rows[1] == (("b", "b"), literal("x", lang="en"))
    csv_ = parse_csv(b"s,o\r\nhttp://e/s,\"a,b\"\r\n_:x,\r\n")
    assert csv_.rows == [(("s", "http://e/s"), ("s", "a,b")), (("b", "x"), None)]


def test_order_by_only_counts_at_the_outer_level():
    assert is_ordered("SELECT * { ?s ?p ?o } ORDER BY ?s")
    assert not is_ordered("SELECT * { { SELECT * { ?s ?p ?o } ORDER BY ?s LIMIT 2 } }")
    assert not is_ordered('SELECT * { ?s ?p "ORDER BY" }  # ORDER BY ?s')
