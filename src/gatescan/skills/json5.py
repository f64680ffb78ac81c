"""A small, bounded JSON5 reader for the `metadata` strings skills embed in their frontmatter.

OpenClaw re-parses `metadata` with JSON5 (comments, trailing commas, single quotes, bare
keys); this reads the same inputs without a dependency and without unbounded recursion.

Why not PyPI `json5` (0.17.3, tried 2026-12-01) inside size, depth and digit bounds: its
recursive-descent parser spends sixteen to twenty-two Python frames per nesting level, so `{a:` nested
44 deep (arrays: 60) already raises RecursionError under the default limit, below this
reader's MAX_DEPTH of 64 and lower still when called deep in an audit; bounding that from
outside needs a pre-scan that knows strings and comments, a second tokenizer, which is this
module again. And it is slow where a hostile skill makes it so: an array of 120,000 numbers,
within MAX_CHARS, takes 10.7 s there and 0.35 s here (a 250,000-character string: 1.4 s vs
0.03 s), per manifest. Its other gaps could be wrapped (5,000 decimal digits escape as a bare
ValueError; a 0x number of 200,000 digits comes back as an 800,000-bit int, which this reader
refuses and the manifest's bit-length walk would catch).
"""

from __future__ import annotations

import math
import re

MAX_DEPTH = 64
MAX_CHARS = 256 * 1024
MAX_INT_BITS = 14_000  # ~4,200 decimal digits: str() of anything longer raises (int_max_str_digits)


class JSON5Error(ValueError):
    def __init__(self, message: str, pos: int, text: str):
        line = text.count("\n", 0, pos) + 1
        super().__init__(f"{message} (line {line})")
        self.line = line


_NUMBER = re.compile(
    r"[+-]?(?:0[xX][0-9a-fA-F]+|Infinity|NaN|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)"
)
_IDENT = re.compile(r"[A-Za-z_$\u00c0-\uffff][\w$\u00c0-\uffff]*")
_ESCAPES = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "0": "\0"}


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.pos = 0

    def fail(self, message: str):
        raise JSON5Error(message, self.pos, self.text)

    def skip(self) -> None:
        text = self.text
        while self.pos < len(text):
            c = text[self.pos]
            if c in " \t\r\n\v\f\u00a0\ufeff\u2028\u2029":
                self.pos += 1
            elif text.startswith("//", self.pos):
                end = text.find("\n", self.pos)
                self.pos = len(text) if end == -1 else end + 1
            elif text.startswith("/*", self.pos):
                end = text.find("*/", self.pos + 2)
                if end == -1:
                    self.fail("unterminated comment")
                self.pos = end + 2
            else:
                break

    def value(self, depth: int):
        if depth > MAX_DEPTH:
            self.fail(f"nested deeper than {MAX_DEPTH}")
        self.skip()
        if self.pos >= len(self.text):
            self.fail("unexpected end of input")
        c = self.text[self.pos]
        if c == "{":
            return self.obj(depth)
        if c == "[":
            return self.arr(depth)
        if c in "\"'":
            return self.string()
        for word, val in (("true", True), ("false", False), ("null", None)):
            if self.text.startswith(word, self.pos):
                self.pos += len(word)
                return val
        m = _NUMBER.match(self.text, self.pos)
        if m:
            try:
                number = _number(m.group())
            except ValueError:  # more digits than int() converts (sys.get_int_max_str_digits)
                self.fail("number too long")
            self.pos = m.end()
            return number
        self.fail(f"unexpected character {c!r}")

    def string(self) -> str:
        quote = self.text[self.pos]
        self.pos += 1
        out = []
        text = self.text
        while True:
            if self.pos >= len(text):
                self.fail("unterminated string")
            c = text[self.pos]
            if c == quote:
                self.pos += 1
                return "".join(out)
            if c == "\\":
                self.pos += 1
                if self.pos >= len(text):
                    self.fail("unterminated string")
                e = text[self.pos]
                if e in _ESCAPES:
                    out.append(_ESCAPES[e])
                elif e in "xu":
                    width = 2 if e == "x" else 4
                    digits = text[self.pos + 1 : self.pos + 1 + width]
                    if len(digits) != width or not all(c in "0123456789abcdefABCDEF" for c in digits):
                        self.fail(f"bad \\{e} escape")
                    out.append(chr(int(digits, 16)))
                    self.pos += width
                elif e == "\r":
                    if text.startswith("\n", self.pos + 1):
                        self.pos += 1
                elif e in "\n\u2028\u2029":
                    pass  # line continuation
                else:
                    out.append(e)
                self.pos += 1
                continue
            if c == "\n":
                self.fail("newline in string")
            out.append(c)
            self.pos += 1

    def key(self) -> str:
        self.skip()
        if self.pos < len(self.text) and self.text[self.pos] in "\"'":
            return self.string()
        m = _IDENT.match(self.text, self.pos)
        if not m:
            self.fail("expected a key")
        self.pos = m.end()
        return m.group()

    def obj(self, depth: int) -> dict:
        self.pos += 1
        out: dict = {}
        while True:
            self.skip()
            if self.text.startswith("}", self.pos):
                self.pos += 1
                return out
            k = self.key()
            self.skip()
            if not self.text.startswith(":", self.pos):
                self.fail("expected ':'")
            self.pos += 1
            out[k] = self.value(depth + 1)
            self.skip()
            if self.text.startswith(",", self.pos):
                self.pos += 1
            elif not self.text.startswith("}", self.pos):
                self.fail("expected ',' or '}'")

    def arr(self, depth: int) -> list:
        self.pos += 1
        out: list = []
        while True:
            self.skip()
            if self.text.startswith("]", self.pos):
                self.pos += 1
                return out
            out.append(self.value(depth + 1))
            self.skip()
            if self.text.startswith(",", self.pos):
                self.pos += 1
            elif not self.text.startswith("]", self.pos):
                self.fail("expected ',' or ']'")


def _number(tok: str):
    sign = -1 if tok.startswith("-") else 1
    body = tok.lstrip("+-")
    if body == "Infinity":
        return sign * math.inf
    if body == "NaN":
        return math.nan
    if body[:2] in ("0x", "0X"):
        value = int(body, 16)
        if value.bit_length() > MAX_INT_BITS:  # parses, but could never be printed or compared as text
            raise ValueError("hex number too long")
        return sign * value
    if re.fullmatch(r"\d+", body):
        return sign * int(body)
    return sign * float(body)


def loads(text: str):
    """Parse JSON5 text; raises JSON5Error (with .line) on anything it cannot read."""
    if len(text) > MAX_CHARS:
        raise JSON5Error(f"longer than {MAX_CHARS} characters", 0, "")
    p = _Parser(text)
    val = p.value(0)
    p.skip()
    if p.pos != len(text):
        p.fail("trailing characters")
    return val
