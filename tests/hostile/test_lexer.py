"""safety.tokenize: linear time on hostile input, and the same tokens as the original lexer.

The original lexer (frozen below) re-tried the prefixed-name pattern at every position of a
long run of name characters, and re-scanned unterminated strings from every escaped quote:
quadratic time, in the HTTP thread, holding the GIL (1 MB of `a.a.a.` was about an hour of
CPU with the whole server frozen). The new lexer must give exactly the old tokens wherever no
string literal is left open (the SERVICE check depends on them) and flag open literals so the
endpoint refuses them.

The frozen lexer's prefixed names follow the SPARQL grammar's PN_LOCAL_ESC (`ex:a\#`, `ex:a\'`):
the original ended the name before the escape and lexed the rest of the line as a comment or a
string, so a SERVICE there went unseen while the engine ran it. That fix is the one change.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from idlib_kg.safety import _tokens_and_normalized, inspect, normalized_text, tokenize

OLD_TOKEN = re.compile(r"""
  (?P<ws>\s+)
| (?P<comment>\#[^\n\r]*)
| (?P<lstring>'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\")
| (?P<string>'(?:[^'\\\n\r]|\\.)*'|"(?:[^"\\\n\r]|\\.)*")
| (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
| (?P<var>[?$][A-Za-z0-9_\u00B7\u00C0-\uFFFF]+)
| (?P<pname>(?:[A-Za-z\u00C0-\uFFFF][\w.\-\u00B7\u00C0-\uFFFF]*)?:
     (?:(?:[\w\-.:%\u00B7\u00C0-\uFFFF]|\\[_~.\-!$&'()*+,;=/?\#@%])*(?:[\w\-:%\u00B7\u00C0-\uFFFF]|\\[_~.\-!$&'()*+,;=/?\#@%]))?)
| (?P<bnode>_:[\w.\-]+)
| (?P<word>[A-Za-z_][A-Za-z0-9_]*)
| (?P<other>.)
""", re.VERBOSE | re.DOTALL)
REPO = Path(__file__).resolve().parents[2]


def old_tokens(text: str) -> list[tuple[str, str]]:
    return [(m.lastgroup, m.group()) for m in OLD_TOKEN.finditer(text) if m.lastgroup not in ("ws", "comment")]


def new_tokens(text: str) -> list[tuple[str, str]]:
    return [(t.kind, t.text) for t in tokenize(text)]


PIECES = st.sampled_from(list("aZ_9 .-:·é\u3000\u2028\n\r\t'\"\\<>{}()?$#%") +
                         ["SERVICE", "service", "LOAD", "true", "'''", '"""', "ex:", "<http://x/>", "a.b",
                          "SELECT", "INSERT", "{ ?s ?p ?o }", "_:b", "\\'", '\\"', "ab-cd", "\\#", "\\.", "ex:a\\#"])


@settings(max_examples=3000, derandomize=True, database=None, deadline=None,
          suppress_health_check=list(HealthCheck))
@given(st.lists(PIECES, max_size=40).map("".join))
def test_same_tokens_as_the_original_lexer_where_no_literal_is_left_open(text):
    new = new_tokens(text)
    if any(kind == "unterminated" for kind, _ in new):
        assert inspect(text).unterminated
        return
    assert new == old_tokens(text)


def test_project_queries_tokenize_as_before():
    for path in sorted((REPO / "queries").glob("*.rq")):
        text = path.read_text(encoding="utf-8")
        assert not inspect(text).unterminated, path.name
        assert new_tokens(text) == old_tokens(text), path.name


def test_open_literals_are_flagged():
    for q in ('SELECT * { ?s ?p "abc }', "SELECT * { ?s ?p 'abc\n'}", "SELECT * { ?s ?p '''abc }",
              'ASK { FILTER("\\") }'):
        assert inspect(q).unterminated, q
    for q in ('SELECT * { ?s ?p "a\\"b" }', "SELECT * { ?s ?p '''a\nb''' }", "SELECT * { ?s ?p '' }"):
        assert not inspect(q).unterminated, q
    for q in ("PREFIX ex: <http://e/> SELECT * { ?s ?p ex:a\\'b }", "PREFIX ex: <http://e/> ASK { ?s ?p ex:a\\' }"):
        assert not inspect(q).unterminated, q  # an escape in a name opens no string


def test_queries_that_differ_after_an_escaped_hash_are_not_the_same_query():
    # the normalized text keys the result cache and the ETag: `\#` in a name starts no comment
    texts = [f"PREFIX ex: <http://e/>\nSELECT ?x {{ VALUES ?x {{ ex:a\\#{x} }}\n}}" for x in ("b", "c")]
    assert inspect(texts[0]).normalized != inspect(texts[1]).normalized
    assert "ex:a\\#b" in inspect(texts[0]).normalized


@pytest.mark.parametrize("unit", ["a.", "é", "a-", "_.", '\\"', "\\'", "\\'''\n", '"\\\n\\', "<a", "a:.", "?a.",
                                  "a.\u3000", "''''", "\\u0041", "a:\\#", "a:\\.", "a:a\\"])
def test_hostile_text_is_lexed_in_linear_time(unit):
    text = ("SELECT * WHERE { " + unit * 400_000)[:400_000]
    small = text[:8_000]
    t0 = time.process_time()
    inspect(small)
    t_small = time.process_time() - t0
    t0 = time.process_time()
    inspect(text)
    t_big = time.process_time() - t0
    # 50x the input: linear is ~50x the time, quadratic ~2500x. Allow a wide margin for noise.
    assert t_big < max(1.0, t_small) * 400, f"{unit!r}: {t_small:.3f}s for 8 kB, {t_big:.3f}s for 400 kB"


def whole_text(text: str) -> tuple[list[tuple[str, str]], str]:
    toks = tokenize(text)
    return [(t.kind, t.text) for t in toks], normalized_text(toks)


def by_lines(text: str) -> tuple[list[tuple[str, str]], str]:
    toks, normalized = _tokens_and_normalized(text)
    return [(t.kind, t.text) for t in toks], normalized


@settings(max_examples=3000, derandomize=True, database=None, deadline=None,
          suppress_health_check=list(HealthCheck))
@given(st.lists(PIECES, max_size=40).map("".join))
def test_lexing_line_by_line_gives_the_tokens_and_normalized_text_of_the_whole(text):
    assert by_lines(text) == whole_text(text)
    assert by_lines(text) == whole_text(text)  # again, from the line memo


def test_lexing_line_by_line_on_the_project_and_benchmark_queries():
    from idlib_kg.bench import QUERIES
    from idlib_kg.loadgen import varied
    texts = [p.read_text(encoding="utf-8") for p in sorted((REPO / "queries").glob("*.rq"))]
    texts += [varied(q.text, n) for q in QUERIES for n in (1, 2)]
    assert len(texts) > 20
    for text in texts:
        assert by_lines(text) == whole_text(text)
        assert by_lines(text.replace("\n", "\r\n")) == whole_text(text.replace("\n", "\r\n"))


def test_the_line_memo_keeps_only_short_lines_and_a_bounded_number_of_them():
    from idlib_kg import safety
    safety._line.cache_clear()
    long_line = "{" * (safety.LINE_MEMO_MAX_CHARS + 1)  # one token per character
    assert by_lines(f"{long_line}\nSELECT * WHERE {{}}") == whole_text(f"{long_line}\nSELECT * WHERE {{}}")
    assert safety._line.cache_info().currsize == 1  # the short line only
    for i in range(safety.LINE_MEMO_ENTRIES + 50):
        by_lines(f"SELECT ?v{i} WHERE {{}}")
    assert safety._line.cache_info().currsize == safety.LINE_MEMO_ENTRIES
