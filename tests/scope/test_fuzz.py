"""Parsers of outside input never raise anything but ScopeError, whatever they are given."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from gatescan.scope import ScopeError, Shard, build_plan, parse_ports

from .conftest import StubResolver

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
def test_targets_only_raise_scope_error(in_tmp, token, allow_public):
    try:
        plan = build_plan([token], [80], allow_public=allow_public, resolver=StubResolver())
    except ScopeError:
        return
    for host, port in plan.iter_pairs(Shard(1, max(1, plan.total // 50 + 1))):
        assert port == 80 and host


@FUZZ
@given(target_text)
@example("@\x00")
def test_excludes_only_raise_scope_error(in_tmp, token):
    try:
        build_plan(["10.0.0.0/30"], [80], excludes=[token], resolver=StubResolver())
    except ScopeError:
        pass


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
