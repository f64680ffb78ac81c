"""A sort key that orders strings like JavaScript's `String.prototype.localeCompare`.

ClawHub's fingerprint sorts file paths with `localeCompare` (ICU root collation), not by
code points; without the same order every installed skill would look modified.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from pathlib import Path

# Printable ASCII in ICU root order, one group per primary weight; case only differs at the
# tertiary level (lowercase first). Read from Node 20 (ICU 78): sorting chr(1)..chr(127) with
# localeCompare and grouping with Intl.Collator({sensitivity: "base"}).
_ASCII_GROUPS = (
    ["\t", "\n", "\x0b", "\x0c", "\r", " ", "_", "-", ",", ";", ":", "!", "?", ".", "'", '"',
     "(", ")", "[", "]", "{", "}", "@", "*", "/", "\\", "&", "#", "%", "`", "^", "+", "<",
     "=", ">", "|", "~", "$"]
    + [str(d) for d in range(10)]
    + [chr(c) for c in range(ord("a"), ord("z") + 1)]
)
# Primary weights: whitespace, then punctuation and symbols in ICU's order (the table, read
# from Node by tests/skills/gen_collation_table.mjs), then digits, Latin letters, and letters of
# other scripts (Greek, Cyrillic, ..., Han: roughly code point order, as in ICU).
_TABLE = Path(__file__).with_name("collation_table.txt")
_SYMBOL_RANK: dict[str, int] = {}
_MARK_RANK: dict[str, int] = {}
for _line in _TABLE.read_text(encoding="ascii").splitlines():
    _kind, _, _codes = _line.partition(" ")
    if _kind == "P":
        _rank = 16 + len(set(_SYMBOL_RANK.values()))
        _SYMBOL_RANK.update((chr(int(h, 16)), _rank) for h in _codes.split())
    elif _kind == "M":
        _rank = 1 + len(set(_MARK_RANK.values()))
        _MARK_RANK.update((chr(int(h, 16)), _rank) for h in _codes.split())
_PUNCT = {ch: i + 1 for i, ch in enumerate("\t\n\x0b\x0c\r ")}
_PUNCT.update((ch, r) for ch, r in _SYMBOL_RANK.items() if ch.isascii())
_SYMBOL_FALLBACK = 0x10000
_DIGIT_BASE = 0x120000
_LATIN_BASE = 0x130000
_OTHER_BASE = 0x200000

_ASCII_PRIMARY: dict[str, int] = dict(_PUNCT)
for _d in range(10):
    _ASCII_PRIMARY[str(_d)] = _DIGIT_BASE + _d * 16
for _i in range(26):
    _ASCII_PRIMARY[chr(97 + _i)] = _ASCII_PRIMARY[chr(65 + _i)] = _LATIN_BASE + _i * 16

# Latin letters without a canonical decomposition that ICU files under a base letter with a
# secondary difference (checked with Node: đ ð ~ d, ħ ~ h, ł ~ l, ø ~ o), or expands
# (ß ~ ss, æ ~ ae, œ ~ oe, ĳ ~ ij).
_SECONDARY_OF = {"đ": "d", "ð": "d", "ħ": "h", "ł": "l", "ø": "o", "ŧ": "t"}
_EXPANSIONS = {"ß": "ss", "æ": "ae", "œ": "oe", "ĳ": "ij"}
# Letters ICU gives a primary of their own right after a Latin letter (ı after i, ŋ after n,
# þ after z, ...): (letter it follows, position).
_AFTER_LETTER = {"ı": ("i", 1), "ŋ": ("n", 1), "ĸ": ("q", 1), "þ": ("z", 2), "ʒ": ("z", 1),
                 "ǝ": ("e", 1), "ə": ("e", 2), "ɛ": ("e", 3), "ƒ": ("f", 1)}

_COMMON = 0


def _elements(ch: str) -> list[tuple[int, int, int]]:
    """(primary, secondary, tertiary) collation elements for one code point; [] if ignorable."""
    p = _ASCII_PRIMARY.get(ch)
    if p is not None:
        return [(p, _COMMON, 1 if "A" <= ch <= "Z" else 0)]
    code = ord(ch)
    if code < 0x80:
        return []  # the other C0 controls and DEL are ignorable
    lower = ch.lower() if len(ch.lower()) == 1 else ch
    tert = 1 if lower != ch else 0
    if lower in _SECONDARY_OF:
        # DUCET: base letter, then a secondary-only "stroke" element
        return [(_ASCII_PRIMARY[_SECONDARY_OF[lower]], _COMMON, tert), (0, 0x6000 + ord(lower), 0)]
    if lower in _EXPANSIONS:
        # like DUCET's æ: [a][secondary-only 0x110][e], tertiary "compat" on each part
        first, *rest = [e for c in _EXPANSIONS[lower] for e in _elements(c)]
        parts = [first, (0, 0x7000, 0), *rest]
        return [(p, s, t + tert + 2) for p, s, t in parts]
    if lower in _AFTER_LETTER:
        base, pos = _AFTER_LETTER[lower]
        return [(_ASCII_PRIMARY[base] + pos, _COMMON, tert)]
    cat = unicodedata.category(ch)
    if ch in _SYMBOL_RANK:
        return [(_SYMBOL_RANK[ch], _COMMON, 0)]
    if cat in ("Mn", "Me", "Mc"):
        return [(0, _MARK_RANK.get(ch, 0x1000 + code), 0)]  # accents: secondary weight only
    if cat in ("Cc", "Cf", "Cs", "Co", "Cn"):
        return []
    digit = unicodedata.digit(ch, None)
    if digit is not None:
        return [(_DIGIT_BASE + digit * 16, _COMMON, 0)]  # every script's digits tie in ICU
    if cat.startswith("L"):
        return [(_OTHER_BASE + ord(lower), _COMMON, tert)]
    return [(_SYMBOL_FALLBACK + code, _COMMON, 0)]  # symbols the table does not list


@lru_cache(maxsize=65536)
def _char_key(ch: str) -> tuple[tuple[int, int, int], ...]:
    decomposed = unicodedata.normalize("NFKD", ch)
    out: list[tuple[int, int, int]] = []
    compat = decomposed != unicodedata.normalize("NFD", ch)
    for c in decomposed:
        for p, s, t in _elements(c):
            out.append((p, s, t + (4 if compat else 0)))
    return tuple(out)


def locale_compare_key(text: str) -> tuple:
    """Key for `sorted()` giving the order of `a.localeCompare(b)` (ICU root, tertiary strength).

    Exact for ASCII (what real skill paths contain); for other scripts it follows ICU's broad
    rules (accents are secondary, case tertiary, compatibility forms tertiary, other scripts
    after Latin) and is checked against Node on the sample names in tests/skills/.
    """
    if text.isascii():
        prim = tuple(_ASCII_PRIMARY[c] for c in text if c in _ASCII_PRIMARY)
        tert = tuple(1 if "A" <= c <= "Z" else 0 for c in text if c in _ASCII_PRIMARY)
        return (prim, (_COMMON,) * len(prim), tert)
    prim_l: list[int] = []
    sec_l: list[int] = []
    tert_l: list[int] = []
    for ch in text:
        for p, s, t in _char_key(ch):
            if p:
                prim_l.append(p)
            sec_l.append(s)
            tert_l.append(t)
    return (tuple(prim_l), tuple(sec_l), tuple(tert_l))
