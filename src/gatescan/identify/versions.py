"""Product versions and version ranges, compared per the product's own scheme (the advisories check).

A fingerprint names its `version_scheme`; a version or range that parses as nothing that scheme
knows is refused (VersionError), never guessed at. Schemes:

- `calver`: OpenClaw's `YYYY.M.D`, beta builds `YYYY.M.D-beta.N` (before the release), correction
  releases `YYYY.M.D-N` (after it): tags `vYYYY.M.D`, `vYYYY.M.D-<patch>`, `vYYYY.M.D-beta.N`
  (OpenClaw docs/install/development-channels.md). Extended-stable builds keep their line's month
  and count the day past 31 (`2026.6.33` is the 2026.6 line's maintenance build, published after
  2026.7.1): they compare inside their line, so an advisory fixed on both lines lists one range
  per line.
- `semver`: semver 2.0.0 (1 to 4 numeric parts, a leading `v`); pre-release identifiers compare
  as the spec says (numeric < alphanumeric, ASCII), build metadata is ignored.
- `pep440`: Python package versions (`1.3.0`, `2.18.0rc1`, `1.0.dev3`, `1.2.post1`, `1.2-1`).

A range is one or more comparisons (`<`, `<=`, `>`, `>=`, `==`) joined by commas and/or spaces,
all of which must hold: `>=0.1.0,<1.3.0` (advisories), `>=2026.1.5 <2026.1.27` (era bands).
Versions order totally within a scheme; a pre-release sits below its release in every scheme.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterable

SCHEMES = ("calver", "semver", "pep440")
DEFAULT_SCHEME = "pep440"


class VersionError(ValueError):
    """A version or range the scheme does not know; the message says what was expected."""


@dataclass(frozen=True, order=False)
class Version:
    text: str  # as written
    scheme: str
    key: tuple  # what orders it (within its scheme)

    def _other(self, other: Any) -> tuple:
        if not isinstance(other, Version) or other.scheme != self.scheme:
            return NotImplemented  # type: ignore[return-value]
        return other.key

    def __lt__(self, other: "Version") -> bool:
        o = self._other(other)
        return NotImplemented if o is NotImplemented else self.key < o

    def __le__(self, other: "Version") -> bool:
        o = self._other(other)
        return NotImplemented if o is NotImplemented else self.key <= o

    def __gt__(self, other: "Version") -> bool:
        o = self._other(other)
        return NotImplemented if o is NotImplemented else self.key > o

    def __ge__(self, other: "Version") -> bool:
        o = self._other(other)
        return NotImplemented if o is NotImplemented else self.key >= o

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Version) and other.scheme == self.scheme and other.key == self.key

    def __hash__(self) -> int:
        return hash((self.scheme, self.key))

    def __str__(self) -> str:
        return self.text


def _release(parts: str) -> tuple[int, ...]:
    """Numeric release parts without trailing zeros: 1.0 == 1.0.0."""
    nums = [int(p) for p in parts.split(".")]
    while len(nums) > 1 and nums[-1] == 0:
        nums.pop()
    return tuple(nums)


_CALVER = re.compile(r"v?(\d{4})\.(\d{1,2})\.(\d{1,2})(?:-(alpha|beta|rc)\.?(\d+))?(?:-(\d+))?")
_CALVER_PHASE = {"alpha": 0, "beta": 1, "rc": 2}

_SEMVER = re.compile(r"v?(\d+(?:\.\d+){0,3})(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?")

_PEP440 = re.compile(
    r"v?(\d+(?:\.\d+)*)"
    r"(?:[-_.]?(a|alpha|b|beta|c|rc|pre|preview)[-_.]?(\d*))?"
    r"(?:-(\d+)|[-_.]?(post|rev|r)[-_.]?(\d*))?"
    r"(?:[-_.]?(dev)[-_.]?(\d*))?"
    r"(?:\+[a-z0-9]+(?:[-_.][a-z0-9]+)*)?", re.I)
_PEP440_PHASE = {"a": 0, "alpha": 0, "b": 1, "beta": 1, "c": 2, "rc": 2, "pre": 2, "preview": 2}

_EXPECTED = {
    "calver": "YYYY.M.D, YYYY.M.D-beta.N or YYYY.M.D-N",
    "semver": "MAJOR.MINOR.PATCH[-pre-release][+build]",
    "pep440": "a PEP 440 version such as 1.2.3, 1.2.3rc1, 1.2.3.post1 or 1.2.3.dev4",
}


def parse(text: str, scheme: str = DEFAULT_SCHEME) -> Version:
    """`text` as a version of `scheme`; VersionError when it is none."""
    if scheme not in SCHEMES:
        raise VersionError(f"unknown version scheme {scheme!r} (known: {', '.join(SCHEMES)})")
    if not isinstance(text, str) or not text.strip() or len(text) > 64:
        raise VersionError(f"{str(text)[:40]!r} is not a version")
    value = text.strip()
    key = _key(value, scheme)
    if key is None:
        raise VersionError(f"{value[:40]!r} parses as no {scheme} version (expected {_EXPECTED[scheme]})")
    return Version(value, scheme, key)


def _key(value: str, scheme: str) -> tuple | None:
    if scheme == "calver":
        m = _CALVER.fullmatch(value)
        if not m:
            return None
        year, month, day, phase, n, correction = m.groups()
        if not 1 <= int(month) <= 12:  # day 0 is allowed: `>=2026.7.0` starts the 2026.7 line
            return None
        pre = (0, _CALVER_PHASE[phase], int(n)) if phase else (1,)
        return ((int(year), int(month), int(day)), pre, int(correction or 0))
    if scheme == "semver":
        m = _SEMVER.fullmatch(value)
        if not m:
            return None
        release, pre = m.group(1), m.group(2)
        if pre is None:
            return (_release(release), (1,))
        ids = []
        for ident in pre.split("."):
            if ident.isdigit():
                if len(ident) > 1 and ident.startswith("0"):
                    return None  # semver: numeric identifiers have no leading zeros
                ids.append((0, int(ident), ""))
            else:
                ids.append((1, 0, ident))
        return (_release(release), (0, tuple(ids)))
    m = _PEP440.fullmatch(value)
    if not m:
        return None
    release, phase, pre_n, post_dash, post_word, post_n, dev, dev_n = m.groups()
    post = int(post_dash) if post_dash is not None else (int(post_n or 0) if post_word else None)
    if phase:
        pre_key: tuple = (1, _PEP440_PHASE[phase.lower()], int(pre_n or 0))
    elif post is None and dev:
        pre_key = (0,)  # 1.0.dev1 < 1.0a1
    else:
        pre_key = (2,)
    post_key = -1 if post is None else post
    dev_key: tuple = (0, int(dev_n or 0)) if dev else (1,)
    return (_release(release), pre_key, post_key, dev_key)


# ---------------------------------------------------------------- ranges

_OPS = ("<=", ">=", "==", "<", ">")
_TERM = re.compile(r"\s*(<=|>=|==|<|>)\s*([^\s,<>=]+)\s*")


@dataclass(frozen=True)
class Range:
    """One interval: every comparison must hold. `low`/`high` are (version, inclusive) or None
    (unbounded)."""

    text: str
    low: tuple[Version, bool] | None
    high: tuple[Version, bool] | None

    def __contains__(self, v: Version) -> bool:
        if self.low is not None:
            lv, inc = self.low
            if v < lv or (v == lv and not inc):
                return False
        if self.high is not None:
            hv, inc = self.high
            if v > hv or (v == hv and not inc):
                return False
        return True

    def within(self, other: "Range") -> bool:
        """Every version of self is in other."""
        return _tighter(self.low, other.low, lower=True) and _tighter(self.high, other.high, lower=False)

    def overlaps(self, other: "Range") -> bool:
        """Some version could be in both (bounds compared; discrete gaps are not assumed)."""
        return _below(self.low, other.high) and _below(other.low, self.high)

    def __str__(self) -> str:
        return self.text


def _tighter(a: tuple[Version, bool] | None, b: tuple[Version, bool] | None, *, lower: bool) -> bool:
    """Bound a is at least as tight as bound b: both lower bounds (`lower`) or both upper ones."""
    if b is None:
        return True
    if a is None:
        return False
    (av, ai), (bv, bi) = a, b
    return (av > bv if lower else av < bv) or (av == bv and (bi or not ai))


def _below(low: tuple[Version, bool] | None, high: tuple[Version, bool] | None) -> bool:
    """A lower bound that leaves room under an upper bound."""
    if low is None or high is None:
        return True
    (lv, li), (hv, hi) = low, high
    return lv < hv or (lv == hv and li and hi)


def parse_range(text: str, scheme: str = DEFAULT_SCHEME) -> Range:
    """`>=0.1.0,<1.3.0` or `>=2026.1.5 <2026.1.27` as a Range; VersionError naming the bad part."""
    if not isinstance(text, str) or not text.strip():
        raise VersionError("an empty range (expected comparisons such as '>=1.0.0,<1.2.0')")
    low: tuple[Version, bool] | None = None
    high: tuple[Version, bool] | None = None
    rest = text.strip()
    for chunk in re.split(r"\s*,\s*|\s+(?=[<>=])", rest):
        if not chunk:
            raise VersionError(f"{text!r}: an empty comparison (a stray comma)")
        m = _TERM.fullmatch(chunk)
        if not m:
            raise VersionError(f"{text!r}: {chunk!r} is not a comparison (expected one of "
                               f"{', '.join(_OPS)} and a version)")
        op, raw = m.groups()
        try:
            v = parse(raw, scheme)
        except VersionError as exc:
            raise VersionError(f"{text!r}: {exc}") from None
        if op in (">", ">=", "=="):
            cand = (v, op != ">")
            if low is None or _tighter(cand, low, lower=True):
                low = cand
        if op in ("<", "<=", "=="):
            cand = (v, op != "<")
            if high is None or _tighter(cand, high, lower=False):
                high = cand
    r = Range(text.strip(), low, high)
    if not _below(low, high):
        raise VersionError(f"{text!r} is empty: no version satisfies it")
    return r


def any_contains(ranges: Iterable[Range], v: Version) -> Range | None:
    """The first range holding v, or None."""
    return next((r for r in ranges if v in r), None)


__all__ = ["SCHEMES", "DEFAULT_SCHEME", "VersionError", "Version", "Range", "parse", "parse_range",
           "any_contains"]
