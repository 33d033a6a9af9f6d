"""Query inspection before anything reaches the store: query form, update detection, SERVICE.

A small SPARQL lexer (comments, short and long strings, IRIs, prefixed names, variables) is
enough to find keywords reliably: `SERVICE` inside a string, comment, IRI or prefixed name is
not a keyword. Rules:
- `SERVICE <iri>` / `SERVICE prefix:name` is refused unless the IRI is allowed (exact entry of
  the allow-list, or "*" = any http(s) endpoint that does not resolve to a loopback, private,
  link-local or otherwise non-public address). `SERVICE ?var` is always refused.
- An update (INSERT, DELETE, LOAD, CLEAR, DROP, CREATE, ADD, MOVE, COPY, WITH) is recognised
  so /sparql can say "send updates to /update" instead of a parser error.
- `LOAD <iri>` in /update follows the same decision with its own allow-list.
FROM / FROM NAMED need no rule: pyoxigraph treats them as names of store graphs and never
dereferences them (tests/server/test_safety.py checks that no connection is made).
The check is syntactic; DNS answers can change between check and use, which is why the
default allow-list is empty and "*" is opt-in.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from bisect import bisect_right
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator
from urllib.parse import urljoin, urlsplit

from idlib_kg.cache import memoize_small
from idlib_kg.vocab import NAMESPACES

QUERY_FORMS = ("SELECT", "CONSTRUCT", "DESCRIBE", "ASK")
UPDATE_KEYWORDS = ("INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH")

_TOKEN = re.compile(r"""
(?:\s+|\#[^\n\r]*)*+          # whitespace and comments before the token: not a token
(?:
  (?P<lstring>'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\")
| (?P<unterminated_long>'''(?:[^'\\]|\\.|'(?!''))*|\"\"\"(?:[^"\\]|\\.|"(?!""))*)
| (?P<string>'(?:[^'\\\n\r]|\\.)*'|"(?:[^"\\\n\r]|\\.)*")
| (?P<unterminated>'(?:[^'\\\n\r]|\\.)*|"(?:[^"\\\n\r]|\\.)*)
| (?P<iri><(?:[^<>"{}|^`\\\x00-\x20]|\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8})*>)
| (?P<var>[?$][A-Za-z0-9_\u00B7\u00C0-\uFFFF]+)
| (?P<pname>(?:[A-Za-z\u00C0-\uFFFF][\w.\-\u00B7\u00C0-\uFFFF]*)?:    # PN_PREFIX? ':' PN_LOCAL?, where
     (?:(?:[\w\-.:%\u00B7\u00C0-\uFFFF]|\\[_~.\-!$&'()*+,;=/?\#@%])*  # PN_LOCAL_ESC (\# \' ...) is part
        (?:[\w\-:%\u00B7\u00C0-\uFFFF]|\\[_~.\-!$&'()*+,;=/?\#@%]))?)  # of the name, never a comment or string
| (?P<run>[A-Za-z\u00C0-\uFFFF][\w.\-\u00B7\u00C0-\uFFFF]*)
| (?P<bnode>_:[\w.\-]+)
| (?P<word>[A-Za-z_][A-Za-z0-9_]*)
| (?P<other>.)
| (?P<end>\Z)
)
""", re.VERBOSE | re.DOTALL)


class UnsafeQuery(Exception):
    """The request uses something this server does not allow (400)."""


class Token:
    """One token: its kind (a group name of _TOKEN), its text and its offset in the query."""

    __slots__ = ("kind", "text", "start")

    def __init__(self, kind: str, text: str, start: int = -1):
        self.kind, self.text, self.start = kind, text, start

    def __eq__(self, other: object) -> bool:  # the offset is where, not what
        return isinstance(other, Token) and (self.kind, self.text) == (other.kind, other.text)

    def __repr__(self) -> str:
        return f"Token({self.kind!r}, {self.text!r}, {self.start})"


@dataclass
class Inspection:
    form: str | None = None                    # SELECT / CONSTRUCT / DESCRIBE / ASK
    is_update: bool = False
    update_keyword: str | None = None
    services: list[str] = field(default_factory=list)      # resolved SERVICE IRIs
    service_variables: list[str] = field(default_factory=list)
    loads: list[str] = field(default_factory=list)         # LOAD IRIs (updates)
    has_dataset_clause: bool = False           # FROM / FROM NAMED / USING present
    unterminated: bool = False                 # a string literal is never closed (refused)
    normalized: str = ""                       # the text with comments and whitespace runs as one space
    hidden_outbound: str | None = None         # why a SERVICE or LOAD may hide from this reading (refused)
    prologue_only: bool = True                 # nothing but PREFIX and BASE (an update with no operation)


# Inside a run of name characters that is not a prefixed name (no colon follows), the words
# and single characters _TOKEN would find one position at a time. Taking the run whole and
# splitting it here keeps the tokens the same and the lexer linear: trying `pname` again at
# every position of a long run (a.a.a.a..., ééé...) took quadratic time in the HTTP thread.
_WORD_PATTERN = r"[A-Za-z_][A-Za-z0-9_]*"  # the `word` group of _TOKEN
_WORD = re.compile(_WORD_PATTERN)
_RUN_PART = re.compile(rf"(?P<ws>\s+)|(?P<word>{_WORD_PATTERN})|(?P<other>.)", re.DOTALL)


_UCHAR = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")


def _unescape_iri(body: str) -> str:
    """Decode \\uXXXX / \\UXXXXXXXX in an IRI as the query engine does (it follows them)."""
    def char(m: re.Match) -> str:
        code = int(m.group(1) or m.group(2), 16)
        return chr(code) if code <= 0x10FFFF else m.group()
    return _UCHAR.sub(char, body)


def tokenize(text: str) -> list[Token]:
    """Tokens of `text` (whitespace and comments dropped), in time linear in its length.

    A string literal that is not closed becomes one `unterminated` token running to where the
    literal's scan stopped (end of line, or end of text for a long literal), so no opening
    quote is scanned twice; inspect() reports it and the endpoint refuses such a request.
    """
    return list(iter_tokens(text))


def iter_tokens(text: str, pos: int = 0) -> Iterator[Token]:
    """The tokens of tokenize(), lexed from offset `pos` on, one at a time (offsets in `text`).
    The lexer needs no context: from the same offset, the same tokens follow."""
    for m in _TOKEN.finditer(text, pos):
        kind = m.lastgroup
        if kind == "end":
            return
        start = m.start(kind)
        token = m.group(kind)
        if kind == "run":
            if _WORD.fullmatch(token):  # the usual run: one keyword
                yield Token("word", token, start)
            else:
                for part in _RUN_PART.finditer(token):
                    if part.lastgroup != "ws":
                        yield Token(part.lastgroup, part.group(), start + part.start())
            continue
        if kind == "unterminated_long":
            kind = "unterminated"
        yield Token(kind, token, start)


def undeclared_prefixes(text: str, before: int | None = None) -> list[str]:
    """Prefixes of the prefixed names in `text` that no PREFIX before them declares, in the
    order of first use (`ikg` for `?s ikg:target ?o` with no `PREFIX ikg:`), among the names
    that start before offset `before` if given. For a message, so left out: names that cannot be
    a prefix (`ex.`: a prefix never ends with a dot) and what follows a lone `<` (`http:` in a
    broken IRI)."""
    toks = tokenize(text)
    declared: set[str] = set()
    missing: dict[str, None] = {}  # ordered, and linear in the number of names
    for i, t in enumerate(toks):
        if t.kind != "pname":
            continue
        if before is not None and t.start >= before:
            break
        prefix = t.text.partition(":")[0]
        previous = toks[i - 1] if i > 0 else None
        if previous is not None and previous.kind == "word" and previous.text.upper() == "PREFIX":
            declared.add(prefix)
        elif previous is not None and previous.text == "<":
            continue
        elif prefix not in declared and not prefix.endswith("."):
            missing.setdefault(prefix)
    return list(missing)


class Names:
    """The IRIs of a query as the engine reads them: the PREFIX and BASE declarations seen so
    far applied, escapes undone. A name whose prefix is not declared stays as written, and its
    prefix goes to `undeclared`."""

    def __init__(self, base: str = "") -> None:
        self.base = base
        self.prefixes: dict[str, str] = {}
        self.undeclared: list[str] = []

    def resolve(self, tok: Token) -> str | None:
        if tok.kind == "iri":
            body = _unescape_iri(tok.text[1:-1])
            return _join(self.base, body) if self.base else body
        if tok.kind == "pname":
            pfx, _, local = tok.text.partition(":")
            if pfx in self.prefixes:
                return self.prefixes[pfx] + local.replace("\\", "")
            self.undeclared.append(pfx)
            return tok.text
        return None

    def declare(self, toks: list[Token], i: int) -> int:
        """At a PREFIX or BASE declaration starting at toks[i]: apply it and return how many
        tokens it takes; otherwise 0."""
        word = toks[i].text.upper() if toks[i].kind == "word" else None
        if word == "PREFIX" and i + 2 < len(toks) and toks[i + 1].kind == "pname" and toks[i + 2].kind == "iri":
            self.prefixes[toks[i + 1].text[:-1]] = self.resolve(toks[i + 2]) or ""
            return 3
        if word == "BASE" and i + 1 < len(toks) and toks[i + 1].kind == "iri":
            self.base = self.resolve(toks[i + 1]) or self.base
            return 2
        return 0


def expanded_iris(toks: list[Token], names: Names | None = None) -> Iterator[str]:
    """Every IRI of a query's tokens as the engine reads them (`names`, a new Names if not
    given), declared ones included: each IRI written in full, each prefixed name, and each
    PREFIX namespace and BASE."""
    names = names if names is not None else Names()
    i = 0
    while i < len(toks):
        taken = names.declare(toks, i)
        if taken:
            yield names.base if taken == 2 else names.prefixes[toks[i + 1].text[:-1]]
            i += taken
            continue
        if toks[i].kind in ("iri", "pname"):
            yield names.resolve(toks[i]) or toks[i].text
        i += 1


_ERROR_AT = re.compile(r"error at (\d+:\d+)")


def _offset(text: str, line_column: str) -> int:
    """The character offset in `text` of the engine's 1-based "line:column"."""
    line, column = (int(n) for n in line_column.split(":"))
    lines = text.split("\n")
    return sum(len(l) + 1 for l in lines[:line - 1]) + column - 1


#: prefixes an error message names at most (a query of thousands of them gets a short answer)
MAX_NAMED_PREFIXES = 10


def explain_syntax_error(text: str, message: str) -> str:
    """The engine's syntax error, made readable where it is not.

    An undeclared prefix is the commonest slip, and the engine names it badly or not at all
    ("expected one of Prefix not found" and a dozen lines of character classes, or just
    "expected OPTIONAL" where a short name stops the parse earlier): this names the prefixes and
    the PREFIX lines to add (the namespace, for a prefix this project uses)."""
    where = _ERROR_AT.search(message)
    # where the engine stopped for another reason, only the names before that point can be why
    missing = undeclared_prefixes(text, None if "Prefix not found" in message or not where
                                  else _offset(text, where.group(1)) + 1)
    if not missing:
        return message
    shown = missing[:MAX_NAMED_PREFIXES]
    more = f" and {len(missing) - len(shown):,} more" if len(missing) > len(shown) else ""
    lines = [f"PREFIX {p}: <{NAMESPACES[p]}>" if p in NAMESPACES else f"PREFIX {p}: <namespace IRI>"
             for p in shown]
    names = ", ".join(f"{p}:" for p in shown) + more
    engine = "" if "Prefix not found" in message else f" (the parser stopped with: {message})"
    return (f"error at {where.group(1) if where else 'unknown position'}: the prefix {names} "
            f"{'is' if len(missing) == 1 else 'are'} not declared; add at the top: "
            + "; ".join(lines) + engine)


#: texts up to this length are memoized by inspect() (repeated queries skip the lexer)
MEMO_MAX_CHARS = 16_384


def inspect(text: str, base: str = "") -> Inspection:
    """Find the query form, update keywords, SERVICE and LOAD targets.

    `base` is the base IRI the engine resolves relative IRIs against (a BASE in the text wins).
    The result is shared by callers that inspect the same text (memoized): do not modify it.
    """
    return _inspect(text, base)


def normalized_text(toks: list[Token]) -> str:
    """The tokens with one space wherever the text had whitespace or comments between them.

    Comments and whitespace runs are interchangeable in SPARQL, and strings and IRIs (where
    whitespace matters) are single tokens, so texts with the same normalized form are the
    same query: the result cache and ETags use it. Adjacency is kept (`1.5` is not `1 . 5`).
    """
    parts: list[str] = []
    end = None
    for t in toks:
        if end is not None and t.start != end:
            parts.append(" ")
        parts.append(t.text)
        end = t.start + len(t.text)
    return "".join(parts)


# A token spans a line break only inside a long string, or (never valid SPARQL, but lexed as
# a string) a backslash before the break. Without either, every line is lexed on its own.
_SPANS_LINES = re.compile(r"'''|\"\"\"|\\[\n\r]")
#: lines up to this length are memoized by _tokens_and_normalized, at most LINE_MEMO_ENTRIES
#: of them: at worst (one token per character) about 17 MB per HTTP process
LINE_MEMO_MAX_CHARS = 200
LINE_MEMO_ENTRIES = 1024


@memoize_small(LINE_MEMO_MAX_CHARS, LINE_MEMO_ENTRIES)
def _line(line: str) -> tuple[tuple[Token, ...], str]:
    toks = tokenize(line)
    return tuple(toks), normalized_text(toks)


def _tokens_and_normalized(text: str) -> tuple[list[Token], str]:
    """tokenize(text) and normalized_text() of it, from memoized lines where that is exact.

    Queries sent to an endpoint differ from each other in a line or two (a value, a LIMIT);
    the PREFIX block and most patterns repeat. Tokens on different lines are never adjacent,
    so the normalized text is the lines' normalized texts joined by one space. The tokens'
    offsets are then relative to their line: inspect() does not use them.
    """
    if _SPANS_LINES.search(text):
        toks = tokenize(text)
        return toks, normalized_text(toks)
    tokens: list[Token] = []
    parts: list[str] = []
    for line in text.split("\n"):
        toks, norm = _line(line)
        if toks:
            tokens.extend(toks)
            parts.append(norm)
    return tokens, " ".join(parts)


@memoize_small(512, 1024)  # a PREFIX block repeats in every query
def _join(base: str, body: str) -> str:
    try:
        return urljoin(base, body)
    except ValueError:  # a base such as <http://[::1/> does not parse: keep as written
        return body


@memoize_small(MEMO_MAX_CHARS, 1024)
def _inspect(text: str, base: str) -> Inspection:
    toks, normalized = _tokens_and_normalized(text)
    result = Inspection()
    names = Names(base)
    resolve = names.resolve

    depth = 0  # braces: keywords at depth 0 decide the operation kind
    i = 0
    while i < len(toks):
        t = toks[i]
        word = t.text.upper() if t.kind == "word" else None
        if word in ("PREFIX", "BASE") and (taken := names.declare(toks, i)):
            i += taken
            continue
        result.prologue_only = False
        if t.kind == "unterminated":
            result.unterminated = True
        if t.text == "{":
            depth += 1
        elif t.text == "}":
            depth = max(0, depth - 1)
        elif word in QUERY_FORMS and result.form is None and not result.is_update and depth == 0:
            result.form = word
        elif word in UPDATE_KEYWORDS and depth == 0 and result.form is None:
            result.is_update = True
            result.update_keyword = result.update_keyword or word
            if word == "LOAD":
                j = i + 1
                if j < len(toks) and toks[j].text.upper() == "SILENT":
                    j += 1
                if j < len(toks):
                    # Anything but an IRI we understand is kept as written: never allowed.
                    result.loads.append(resolve(toks[j]) or toks[j].text)
        elif word in ("FROM", "USING"):
            result.has_dataset_clause = True
        elif word == "SERVICE":
            j = i + 1
            if j < len(toks) and toks[j].text.upper() == "SILENT":
                j += 1
            if j < len(toks):
                if toks[j].kind == "var":
                    result.service_variables.append(toks[j].text)
                else:
                    # Anything but an IRI we understand is kept as written: never allowed.
                    result.services.append(resolve(toks[j]) or toks[j].text)
        i += 1
    result.normalized = normalized
    if _OUTBOUND.search(text):  # only texts that spell one of them can hide one
        result.hidden_outbound = hidden_outbound(text)
    return result


_OUTBOUND = re.compile(r"service|load", re.IGNORECASE)
_OUTBOUND_KEYWORDS = ("SERVICE", "LOAD")
_LINE_END = re.compile(r"[\r\n]")


def hidden_outbound(text: str) -> str | None:
    """Why the engine may read a SERVICE or a LOAD in `text` that these tokens do not show, or
    None. The engine matches keywords without a word boundary (`SERVICE:x`, `trueSERVICE<x>`,
    `LOADSILENT<x>` are calls to it), and reads `<` as less-than where an IRI cannot stand
    (`FILTER(1<'>') SERVICE ... #'`), which this lexer, knowing no grammar, takes for an IRI.

    So a name that holds one of the keywords without being it is refused. And where an IRI
    before the last SERVICE or LOAD spelled would lex otherwise with its `<` as less-than, that
    other reading is lexed too, until it meets a token the first reading has (the lexer needs
    no context, so from there on both are the same); it must show no keyword the first does
    not. A quote in the IRI starts a string in the other reading: it is read from the IRI's
    `<`. A `#` starts a comment: it is read from the end of that line. Bounded by a budget of
    characters lexed again."""
    last = max(m.start() for m in _OUTBOUND.finditer(text))
    starts: set[int] = set()
    todo: list[tuple[int, int]] = []  # other readings: (where lexing starts, where comparing does)
    line_ends: list[int] | None = None

    def other_reading(t: Token) -> None:
        """Plan the other reading of `t`, an IRI before the last keyword spelled, if it has one."""
        nonlocal line_ends
        if t.kind != "iri" or t.start >= last:
            return
        if "'" in t.text or '"' in t.text:
            todo.append((t.start + 1, t.start + len(t.text)))
        elif "#" in t.text:
            if line_ends is None:
                line_ends = [m.start() for m in _LINE_END.finditer(text)]
            k = bisect_right(line_ends, t.start + t.text.index("#"))
            if k < len(line_ends):  # else the comment runs to the end: it hides, never shows
                todo.append((line_ends[k], line_ends[k]))

    for t in tokenize(text):
        starts.add(t.start)
        reason = _glued(text, t)
        if reason:
            return reason
        other_reading(t)
    budget = 4 * len(text) + 65_536
    done: set[int] = set()
    while todo:
        start, compare_from = todo.pop()
        if start in done:
            continue
        done.add(start)
        for t in iter_tokens(text, start):
            budget -= t.start + len(t.text) - start
            start = t.start + len(t.text)
            if budget < 0:
                break
            if t.start < compare_from:  # inside the IRI this reading splits: pieces of an IRI
                continue
            if t.start in starts:  # the readings meet: the same tokens from here on
                break
            if t.kind == "word" and t.text.upper() in _OUTBOUND_KEYWORDS and _calls_out(text, t):
                return (f"{t.text} at offset {t.start} is hidden from this server's reading of the "
                        "query by a '<' the engine may read as less-than; write comparisons as "
                        "'a < b', with spaces")
            reason = _glued(text, t, strict=False)
            if reason:
                return reason
            other_reading(t)
        else:  # lexed to the end (a trailing comment is skipped whole: count it)
            budget -= len(text) - start
        if budget < 0:
            return ("the query is too intricate to check for a hidden SERVICE or LOAD (many IRIs "
                    "holding quotes or '#'); use prefixed names for them")
    return None


#: the engine's local name (spargebra's PN_LOCAL, narrower than SPARQL's): no `.` or `-` first,
#: and one run of dots at most, so `ex:a.b.SERVICE` is `ex:a.b` `.` `SERVICE` to it
_ENGINE_LOCAL = re.compile(r"""
    (?:[\w:\u00C0-\uFFFF]|%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?\#@%])
    (?:[\w\-:\u00B7\u00C0-\uFFFF]|%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?\#@%])*
    (?:\.+(?:[\w\-:\u00B7\u00C0-\uFFFF]|%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?\#@%])+)?""", re.VERBOSE)
#: in another reading (the lexer's strings read as code), only what the engine would take for
#: the keyword counts: the keyword first, after a value at most (`trueSERVICE`, `1e1SERVICE`)
_ENGINE_KEYWORD = re.compile(r"(?:true|false|[eE][+-]?[0-9]+)?(?:service|load)", re.IGNORECASE)


def _glued(text: str, t: Token, strict: bool = True) -> str | None:
    """A name the engine reads as SERVICE or LOAD, or cuts before one, though this lexer read
    no keyword. `strict` (the first reading): any word or prefix holding either word, which
    no valid query has. Otherwise (strings read as code) only what the engine could run: the
    keyword first, after a value at most (`trueSERVICE`), then an endpoint."""
    if t.kind == "word" and t.text.upper() not in _OUTBOUND_KEYWORDS:
        if strict:
            found = bool(_OUTBOUND.search(t.text))
        else:
            m = _ENGINE_KEYWORD.match(t.text)
            rest = t.text[m.end():].upper() if m else None
            found = rest == "SILENT" or (rest == "" and _calls_out(text, t))
    elif t.kind == "pname":
        prefix, _, local = t.text.partition(":")
        engine = _ENGINE_LOCAL.match(local)
        cut = local[engine.end() if engine else 0:]  # what the engine reads after the name
        found = bool((_OUTBOUND.search(prefix) if strict else _ENGINE_KEYWORD.match(prefix))
                     or _OUTBOUND.search(cut))
    else:
        return None
    if found:
        return (f"'{t.text[:40]}' holds SERVICE or LOAD where the engine reads the keyword; write "
                "the keyword apart (or rename the prefix or name)")
    return None


def _calls_out(text: str, t: Token) -> bool:
    """Whether the engine could run the SERVICE or LOAD keyword `t`: an endpoint (an IRI, a
    prefixed name or a variable) follows it, after SILENT at most."""
    after = iter_tokens(text, t.start + len(t.text))
    target = next(after, None)
    if target is not None and target.kind == "word" and target.text.upper() == "SILENT":
        target = next(after, None)
    return target is not None and target.kind in ("iri", "pname", "var")


Resolver = Callable[[str], Iterable[str]]


def _resolve_host(host: str) -> list[str]:
    return sorted({info[4][0] for info in socket.getaddrinfo(host, None)})


def is_public_address(addr: str) -> bool:
    ip = ipaddress.ip_address(addr.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not (ip.is_loopback or ip.is_private or ip.is_link_local
                                 or ip.is_multicast or ip.is_reserved or ip.is_unspecified)


def target_allowed(iri: str, allow_list: Iterable[str], resolver: Resolver = _resolve_host) -> tuple[bool, str]:
    """Decide whether the server may send a request to `iri`. Returns (allowed, reason).

    An IRI listed exactly is allowed (that is how an operator allows a local endpoint).
    With "*" in the list, other http(s) IRIs are allowed only when every address the host
    resolves to is public (not loopback, private, link-local, multicast, reserved).
    """
    allow = list(allow_list)
    if iri in allow:
        return True, "listed"
    if "*" not in allow:
        return False, "not in the allow-list"
    try:
        parts = urlsplit(iri)
        hostname = parts.hostname
    except ValueError as e:
        return False, f"the IRI does not parse ({e})"
    if parts.scheme not in ("http", "https") or not hostname:
        return False, "only http(s) IRIs with a host name can be allowed by '*'"
    try:
        addresses = list(resolver(parts.hostname))
    except (OSError, UnicodeError) as e:
        return False, f"host {parts.hostname} does not resolve ({e})"
    if not addresses:
        return False, f"host {parts.hostname} does not resolve"
    for addr in addresses:
        try:
            public = is_public_address(addr)
        except ValueError:
            return False, f"host {parts.hostname} resolves to an unusable address {addr}"
        if not public:
            return False, f"host {parts.hostname} resolves to a non-public address {addr}"
    return True, "public address"


def check_services(found: Inspection, allow_list: Iterable[str], resolver: Resolver = _resolve_host) -> None:
    """Raise UnsafeQuery for a SERVICE the configuration does not allow (or one that may be
    hidden from the lexer, whatever the configuration: Inspection.hidden_outbound)."""
    if found.hidden_outbound:
        raise UnsafeQuery(found.hidden_outbound)
    allow = list(allow_list)
    if found.service_variables:
        raise UnsafeQuery(f"SERVICE {found.service_variables[0]} (a variable endpoint) is never allowed on "
                          "this server; name the endpoint IRI instead")
    for iri in found.services:
        ok, reason = target_allowed(iri, allow, resolver)
        if not ok:
            raise UnsafeQuery(f"SERVICE <{iri}> is not allowed ({reason}). Federated queries are off by "
                              f"default; the operator can allow this endpoint with "
                              f"`idlib-kg serve --allow-service {iri}` (or `idlib-kg query "
                              f"--allow-service {iri}`)")


def check_loads(found: Inspection, allow_list: Iterable[str], resolver: Resolver = _resolve_host) -> None:
    for iri in found.loads:
        ok, reason = target_allowed(iri, allow_list, resolver)
        if not ok:
            raise UnsafeQuery(f"LOAD <{iri}> is not allowed ({reason}); the operator can allow it with "
                              f"`idlib-kg serve --allow-load {iri}`")


class UpdateDatasetConflict(Exception):
    """using-graph-uri / using-named-graph-uri cannot be applied to this update (400)."""


def add_using(update: str, default_graphs: Iterable[str], named_graphs: Iterable[str]) -> str:
    """Apply the protocol's using-graph-uri / using-named-graph-uri to an update, as text.

    pyoxigraph's Store.update() takes no dataset, so the parameters become `USING <g>` /
    `USING NAMED <g>` clauses before the WHERE of every DELETE/INSERT operation (the protocol
    gives them exactly USING's meaning). The shortcut `DELETE WHERE { P }` has no place for
    USING and becomes the equivalent `DELETE { P } USING ... WHERE { P }`. An update with a
    USING, USING NAMED or WITH clause of its own cannot take the parameters (SPARQL 1.1
    Protocol 2.2.3): UpdateDatasetConflict. Operations without a WHERE are left as they are.
    """
    default_graphs, named_graphs = list(default_graphs), list(named_graphs)
    for iri in (*default_graphs, *named_graphs):
        if not iri or any(c in iri for c in '<>"{}|^`\\') or any(ord(c) <= 0x20 for c in iri):
            raise UpdateDatasetConflict(f"{iri!r} is not an IRI usable as a using-graph-uri / "
                                        "using-named-graph-uri value")
    clause = " ".join([f"USING <{g}>" for g in default_graphs] +
                      [f"USING NAMED <{g}>" for g in named_graphs])
    toks = tokenize(update)
    depth = 0
    edits: list[tuple[int, int, str]] = []  # (start, end, replacement), in text order
    for i, t in enumerate(toks):
        if t.text == "{":
            depth += 1
        elif t.text == "}":
            depth = max(0, depth - 1)
        elif depth == 0 and t.kind == "word" and t.text.upper() in ("USING", "WITH"):
            raise UpdateDatasetConflict(
                f"the update has a {t.text.upper()} clause of its own and the request gives "
                "using-graph-uri / using-named-graph-uri; the protocol allows only one of them: "
                "drop the parameters or the clause")
        elif depth == 0 and t.kind == "word" and t.text.upper() == "WHERE":
            prev = toks[i - 1] if i else None
            if prev is not None and prev.kind == "word" and prev.text.upper() == "DELETE":
                # DELETE WHERE { P }  ->  DELETE { P } USING ... WHERE { P }
                end = _matching_brace(toks, i + 1)
                if end is None:
                    continue  # not valid SPARQL: the engine reports the syntax error
                pattern = update[toks[i + 1].start:toks[end].start + 1]
                edits.append((t.start, toks[end].start + 1, f"{pattern} {clause} WHERE {pattern}"))
            else:
                edits.append((t.start, t.start, clause + " "))
    for start, end, replacement in reversed(edits):
        update = update[:start] + replacement + update[end:]
    return update


def _matching_brace(toks: list[Token], i: int) -> int | None:
    """Index of the `}` closing the `{` at toks[i], or None."""
    if i >= len(toks) or toks[i].text != "{":
        return None
    depth = 0
    for j in range(i, len(toks)):
        if toks[j].text == "{":
            depth += 1
        elif toks[j].text == "}":
            depth -= 1
            if depth == 0:
                return j
    return None
