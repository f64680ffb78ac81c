"""Parsers of outside input never raise anything but ScopeError, whatever they are given; a
refusal names the token it refuses, and an exclude always wins over every way of naming a target."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from gatescan.scope import ScopeError, Shard, build_plan, parse_ports

from .conftest import NAMES, StubResolver

FUZZ = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

# Text biased towards the characters targets and port lists are made of.
_alphabet = st.sampled_from(list("0123456789abcdefABCDEF.:/-,@% #\n\t[]{}x_") + ["nmap:", "masscan:", "::ffff:"])
target_text = st.one_of(st.text(), st.lists(_alphabet, max_size=40).map("".join))


@FUZZ
@given(st.one_of(st.text(), st.lists(st.sampled_from(list("0123456789-, agents")), max_size=30).map("".join)))
@example("65535-1")
@example("\x00")
def test_parse_ports_only_raises_scope_error(spec):
    try:
        ports = parse_ports(spec, {"agents": (80, 443)})
    except ScopeError:
        return
    assert ports == tuple(sorted(set(ports))) and all(1 <= p <= 65535 for p in ports)


@FUZZ
@given(st.text())
@example("1/999999999")
def test_shard_parse_only_raises_scope_error(text):
    try:
        shard = Shard.parse(text)
    except ScopeError:
        return
    assert 1 <= shard.index <= shard.count


def _names(token: str, message: str) -> bool:
    """Whether a refusal names what it refuses: the token as shown (quoted, long ones cut), or
    for a file token the file's name."""
    text = token.strip()
    named = [text]
    for prefix in ("@", "nmap:", "masscan:"):
        if text.startswith(prefix) and text[len(prefix):]:
            named.append(text[len(prefix):])
    shown = [repr(t if len(t) <= 80 else t[:77] + "...") for t in named]
    return any(t in message for t in named + shown)


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a fuzzed "@name" can only find files made here
    return tmp_path


@FUZZ
@given(target_text, st.booleans())
@example("@\x00", False)
@example("nmap:\x00", False)
@example("@.", False)
@example("fd00::1-ffff", False)
@example("::ffff:0.0.0.0/0", True)
@example("::/0", False)
@example("%-", False)  # once refused as "bad target '%'": a range's half, not the token
def test_targets_only_raise_scope_error(in_tmp, token, allow_public):
    try:
        plan = build_plan([token], [80], allow_public=allow_public, resolver=StubResolver())
    except ScopeError as exc:
        assert _names(token, str(exc)), (token, str(exc))
        return
    for host, port in plan.iter_pairs(Shard(1, max(1, plan.total // 50 + 1))):
        assert port == 80 and host


@FUZZ
@given(target_text)
@example("@\x00")
def test_excludes_only_raise_scope_error(in_tmp, token):
    try:
        plan = build_plan(["10.0.0.0/30"], [80], excludes=[token], resolver=StubResolver())
    except ScopeError as exc:
        assert _names(token, str(exc)), (token, str(exc))
        return
    assert plan.excluded == [token]


# Targets and excludes drawn from one small space (10.0.0.0/27, fd00::/123, their IPv4-mapped
# forms, resolver names, imported pairs), so that they overlap often.
_v4_any = st.one_of(
    st.builds(lambda a: f"10.0.0.{a}", st.integers(0, 31)),
    st.builds(lambda a, n: f"10.0.0.{a}-{min(31, a + n)}", st.integers(0, 31), st.integers(0, 6)),
    st.builds(lambda a, p: f"10.0.0.{a}/{p}", st.integers(0, 31), st.integers(27, 32)),
    st.builds(lambda a: f"::ffff:10.0.0.{a}", st.integers(0, 31)),
    st.builds(lambda a, p: f"::ffff:10.0.0.{a}/{p}", st.integers(0, 31), st.integers(123, 128)),
    st.builds(lambda a, n: f"fd00::{a:x}-{min(31, a + n):x}", st.integers(0, 31), st.integers(0, 4)),
    st.builds(lambda a, p: f"fd00::{a:x}/{p}", st.integers(0, 31), st.integers(123, 128)),
    st.sampled_from(["gw.lan", "multi.lan", "mapped.lan"]),
)


def _members(token: str) -> set:
    """The addresses `token` names, worked out with ipaddress (mapped IPv6 read as its IPv4)."""
    if token in NAMES:
        found = {ipaddress.ip_address(a) for a in NAMES[token]}
    elif "/" in token:
        found = set(ipaddress.ip_network(token, strict=False))
    elif "-" in token:
        left, right = token.split("-")
        start = ipaddress.ip_address(left)
        last = ipaddress.ip_address(right if ":" in left else left.rsplit(".", 1)[0] + "." + right) if ":" not in left else ipaddress.ip_address(left.rsplit(":", 1)[0] + ":" + right)
        found = {ipaddress.ip_address(int(start) + i) if start.version == 4 else ipaddress.IPv6Address(int(start) + i)
                 for i in range(int(last) - int(start) + 1)}
    else:
        found = {ipaddress.ip_address(token)}
    return {getattr(a, "ipv4_mapped", None) or a for a in found}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(_v4_any, min_size=1, max_size=4), st.lists(_v4_any, min_size=1, max_size=3),
       st.lists(st.tuples(st.integers(0, 31), st.integers(1, 3)), max_size=4))
def test_an_exclude_always_wins(in_tmp, targets, excludes, imported):
    tokens = list(targets)
    if imported:
        lines = [f'{{"ip": "10.0.0.{a}", "ports": [{{"port": {p}, "proto": "tcp"}}]}},' for a, p in imported]
        (in_tmp / "imp.json").write_text("[\n" + "\n".join(lines) + "\n]\n")
        tokens.append(f"masscan:{in_tmp / 'imp.json'}")
    banned = set().union(*(_members(t) for t in excludes))
    wanted = set().union(*(_members(t) for t in targets)) | {ipaddress.ip_address(f"10.0.0.{a}") for a, _ in imported}
    plan = build_plan(tokens, [80, 443], excludes=excludes, resolver=StubResolver())
    scanned = {ipaddress.ip_address(host) for host, _port in plan.iter_pairs()}
    scanned = {getattr(a, "ipv4_mapped", None) or a for a in scanned}
    assert not scanned & banned, sorted(map(str, scanned & banned))
    assert scanned == wanted - banned  # and nothing else is dropped


_xmlish = st.lists(st.sampled_from([
    "<nmaprun>", "</nmaprun>", "<host>", "</host>", "<status state='up'/>", "<status state='down'/>",
    "<address addr='10.0.0.1' addrtype='ipv4'/>", "<address addr='x' addrtype='ipv6'/>",
    "<address addr='8.8.8.8' addrtype='ipv4'/>", "<ports>", "</ports>",
    "<port protocol='tcp' portid='80'>", "<port protocol='tcp' portid='-1'>", "</port>",
    "<state state='open'/>", "<!DOCTYPE nmaprun>", "<?xml version='1.0'?>", "\n", "&amp;", "&foo;", "]]>",
]), max_size=25).map("".join)
_jsonish = st.lists(st.sampled_from([
    "[", "]", "{", "}", ",", '"ip":', '"10.0.0.1"', '"fd00::1"', '"ports":', '"port":', "80", "0",
    "-1", "1e3", "true", "null", '"proto":', '"tcp"', '"status":', '"open"', "\n", " ", '"\\u0000"',
]), max_size=40).map("".join)


@FUZZ
@given(st.one_of(st.binary(max_size=300), _xmlish.map(str.encode), _jsonish.map(str.encode)),
       st.sampled_from(["@", "nmap:", "masscan:"]))
def test_files_only_raise_scope_error(in_tmp, content, prefix):
    f = in_tmp / "input"
    f.write_bytes(content)
    try:
        build_plan([f"{prefix}{f}"], [80], resolver=StubResolver())
        build_plan(["10.0.0.1"], [80], exclude_files=[f], resolver=StubResolver())
    except ScopeError as exc:
        assert str(f) in str(exc)
