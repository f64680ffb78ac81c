"""Version schemes and ranges (identify/versions.py): table-driven orderings per scheme, bad input
refused, and properties over generated versions (hypothesis)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gatescan.identify.versions import VersionError, parse, parse_range

# each row: a scheme and versions in strictly ascending order
ORDERED = [
    ("calver", ["2025.12.20", "2026.1.5", "2026.1.24", "2026.1.24-3", "2026.1.27-beta.1", "2026.1.29",
                "2026.2.21", "2026.2.21-2", "2026.2.22", "2026.2.23-alpha.1", "2026.2.23-beta.1",
                "2026.2.23-beta.2", "2026.2.23-rc.1", "2026.2.23", "2026.2.23-1",
                # extended-stable: the 2026.6 line's maintenance build sorts inside its line
                "2026.6.5", "2026.6.11", "2026.6.33", "2026.7.1", "2026.7.1-2", "2026.7.2-beta.5", "2026.9.6"]),
    ("semver", ["0.2.116", "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2",
                "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.0.23", "1.0.24", "1.2.0", "1.10.0", "v2.0.0"]),
    ("pep440", ["0.9", "1.0.dev1", "1.0a1", "1.0a2", "1.0b1", "1.0rc1", "1.0", "1.0.post1", "1.0.1",
                "1.15.4", "2.7.2", "2.17.0", "2.18.0rc1", "2.18.0", "2.18.0.post1", "2.21.1"]),
]


@pytest.mark.parametrize("scheme, versions", ORDERED, ids=[s for s, _ in ORDERED])
def test_versions_sort_as_their_scheme_says(scheme, versions):
    parsed = [parse(v, scheme) for v in versions]
    for a, b in zip(parsed, parsed[1:]):
        assert a < b and b > a and a != b, (str(a), str(b))
    assert sorted(reversed(parsed)) == parsed


@pytest.mark.parametrize("scheme, a, b", [
    ("semver", "1.0", "1.0.0"), ("semver", "v1.2.3", "1.2.3"), ("semver", "1.2.3+build.5", "1.2.3"),
    ("pep440", "1.0", "1.0.0"), ("pep440", "1.0-1", "1.0.post1"), ("pep440", "1.0RC1", "1.0rc1"),
    ("calver", "v2026.2.25", "2026.2.25"), ("calver", "2026.02.05", "2026.2.5"),
])
def test_equal_spellings(scheme, a, b):
    assert parse(a, scheme) == parse(b, scheme)
    assert hash(parse(a, scheme)) == hash(parse(b, scheme))


@pytest.mark.parametrize("scheme, text", [
    ("calver", "abc"), ("calver", "2026.13.1"), ("calver", "2026.1"), ("calver", "1.2.3"),
    ("calver", "2026.1.24-gamma.1"), ("semver", "1..2"), ("semver", "1.0.0-01"), ("semver", "latest"),
    ("semver", "1.0.0-"), ("pep440", "1.0.0-beta.alpha"), ("pep440", "one"), ("calver", ""), ("semver", "x" * 80),
])
def test_a_version_of_no_known_shape_is_refused(scheme, text):
    with pytest.raises(VersionError) as info:
        parse(text, scheme)
    assert "version" in str(info.value)


def test_unknown_scheme_is_refused():
    with pytest.raises(VersionError, match="unknown version scheme"):
        parse("1.0.0", "romver")


@pytest.mark.parametrize("scheme, rng, inside, outside", [
    ("semver", ">=0.2.116,<1.0.24", ["0.2.116", "1.0.0", "1.0.23", "1.0.24-rc.1"], ["0.2.115", "1.0.24", "2.0.0"]),
    ("semver", "<0.14.1", ["0.14.0", "0.1.0", "0.14.1-beta"], ["0.14.1", "1.0.1"]),
    ("semver", "<=0.12.3", ["0.12.3", "0.1.28"], ["0.12.4", "0.12.4-rc1"]),
    ("calver", ">=2026.1.5 <2026.1.27", ["2026.1.5", "2026.1.24-3", "2026.1.27-beta.1"], ["2026.1.4", "2026.1.27"]),
    ("calver", "<2026.2.22", ["2026.2.21-2", "2026.2.22-beta.1"], ["2026.2.22", "2026.6.33"]),
    ("calver", "==2026.2.24", ["2026.2.24"], ["2026.2.24-1", "2026.2.25"]),
    ("calver", ">2026.6.5, <=2026.6.33", ["2026.6.11", "2026.6.33"], ["2026.6.5", "2026.7.1"]),
    ("calver", ">=2026.7.0,<2026.7.1", ["2026.7.1-beta.2"], ["2026.6.33", "2026.7.1"]),  # a line's start
    ("pep440", ">=1.2.0,<1.9.0", ["1.2.0", "1.8.9.post1"], ["1.2.0rc1", "1.9.0"]),
])
def test_ranges_hold_what_they_say(scheme, rng, inside, outside):
    r = parse_range(rng, scheme)
    for v in inside:
        assert parse(v, scheme) in r, (rng, v)
    for v in outside:
        assert parse(v, scheme) not in r, (rng, v)


@pytest.mark.parametrize("text, reason", [
    ("", "an empty range"),
    ("1.0.0", "is not a comparison"),
    (">=1.0.0,,<2.0.0", "stray comma"),
    (">=2.0.0,<1.0.0", "is empty"),
    ("<1.0.0 >1.0.0", "is empty"),
    ("~>1.0", "is not a comparison"),
    (">=1.0.0,<two", "parses as no semver version"),
])
def test_a_bad_range_is_refused_saying_why(text, reason):
    with pytest.raises(VersionError) as info:
        parse_range(text, "semver")
    assert reason in str(info.value)


@pytest.mark.parametrize("band, affected, inside, overlaps", [
    (">=2026.1.5 <2026.1.27", "<2026.1.29", True, True),  # Clawdbot's band, CVE-2026-25253
    (">=2026.1.27-beta.1 <2026.1.29", "<2026.1.29", True, True),  # Moltbot's band
    (">=2026.1.5 <2026.1.27", "<2026.1.20", False, True),  # straddles the fix
    ("<2026.1.5", ">=2026.1.5,<2026.2.1", False, False),  # touches, does not overlap
    ("<=2026.1.5", ">=2026.1.5,<2026.2.1", False, True),  # shares one version
    (">=2026.5.1", "<2026.3.12", False, False),
])
def test_bands_against_affected_ranges(band, affected, inside, overlaps):
    b, a = parse_range(band, "calver"), parse_range(affected, "calver")
    assert b.within(a) is inside
    assert b.overlaps(a) is overlaps and a.overlaps(b) is overlaps


# ---------------------------------------------------------------- properties

calver = st.builds(
    lambda y, m, d, pre, corr: f"{y}.{m}.{d}" + (f"-{pre[0]}.{pre[1]}" if pre else "") + (f"-{corr}" if corr else ""),
    st.integers(2025, 2027), st.integers(1, 12), st.integers(1, 40),
    st.none() | st.tuples(st.sampled_from(["alpha", "beta", "rc"]), st.integers(1, 9)), st.integers(0, 4))
semver = st.builds(
    lambda a, b, c, pre: f"{a}.{b}.{c}" + (f"-{pre}" if pre else ""),
    st.integers(0, 20), st.integers(0, 40), st.integers(0, 200),
    st.none() | st.sampled_from(["alpha", "alpha.1", "beta", "beta.2", "rc.1", "0", "7"]))
pep440 = st.builds(
    lambda a, b, pre, post, dev: f"{a}.{b}" + pre + post + dev,
    st.integers(0, 5), st.integers(0, 30), st.sampled_from(["", "a1", "b2", "rc1"]),
    st.sampled_from(["", ".post1", ".post2"]), st.sampled_from(["", ".dev1"]))
SCHEMES = st.one_of(st.tuples(st.just("calver"), calver), st.tuples(st.just("semver"), semver),
                    st.tuples(st.just("pep440"), pep440))


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_order_is_total_and_ranges_agree_with_it(data):
    scheme, a = data.draw(SCHEMES)
    strategy = {"calver": calver, "semver": semver, "pep440": pep440}[scheme]
    b, c = data.draw(strategy), data.draw(strategy)
    va, vb, vc = (parse(x, scheme) for x in (a, b, c))
    assert sum((va < vb, va == vb, va > vb)) == 1  # trichotomy
    if va <= vb and vb <= vc:
        assert va <= vc  # transitivity
    assert parse(str(va), scheme) == va  # the text reads back as itself
    lo, hi = sorted([va, vb])
    r = parse_range(f">={lo},<={hi}", scheme)
    assert (vc in r) == (lo <= vc <= hi)
    assert (vc in parse_range(f"<{lo}", scheme)) == (vc < lo)
    assert (vc in parse_range(f"=={lo}", scheme)) == (vc == lo)


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_within_and_overlaps_agree_with_membership(data):
    """A band within a range holds only versions of that range; ranges that share a version overlap."""
    versions = sorted({parse(v, "calver") for v in data.draw(st.lists(calver, min_size=4, max_size=4))})
    if len(versions) < 4:
        return
    a, b, c, d = versions
    band, rng = parse_range(f">={a},<{c}", "calver"), parse_range(f">={b},<{d}", "calver")
    probe = parse(data.draw(calver), "calver")
    if band.within(rng) and probe in band:
        assert probe in rng
    if probe in band and probe in rng:
        assert band.overlaps(rng)
    assert not parse_range(f"<{a}", "calver").overlaps(parse_range(f">={a}", "calver"))


@given(st.text(max_size=30))
def test_any_text_either_parses_or_is_refused(text):
    for scheme in ("calver", "semver", "pep440"):
        try:
            parse(text, scheme)
        except VersionError:
            pass
        try:
            parse_range(text, scheme)
        except VersionError:
            pass
