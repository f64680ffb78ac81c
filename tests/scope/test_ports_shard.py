"""Port specs and shard specs, table-driven."""

from __future__ import annotations

import pytest

from gatescan.scope.ports import named_port_sets
from gatescan.scope import ScopeError, Shard, format_ports, parse_ports

NAMED = {"agents": (18789, 11434, 8080), "web": (80, 443)}

PORTS = [
    ("22", (22,)),
    ("22,80", (22, 80)),
    (" 80 , 22 ", (22, 80)),
    ("80-83", (80, 81, 82, 83)),
    ("80 - 81", (80, 81)),
    ("1", (1,)),
    ("65535", (65535,)),
    ("90,80-82,81", (80, 81, 82, 90)),
    ("agents", (8080, 11434, 18789)),
    ("AGENTS,web,22", (22, 80, 443, 8080, 11434, 18789)),
    ("65534-65535", (65534, 65535)),
]


@pytest.mark.parametrize("spec,expected", PORTS)
def test_port_specs(spec, expected):
    assert parse_ports(spec, NAMED) == expected


def test_full_range():
    assert parse_ports("1-65535", {}) == tuple(range(1, 65536))


BAD_PORTS = [
    ("0", "0"),
    ("65536", "65536"),
    ("22,,80", "22,,80"),
    ("22,", "22,"),
    ("", ""),
    ("   ", ""),
    ("90-80", "90-80"),
    ("http", "http"),
    ("22;80", "22;80"),
    ("-5", "-5"),
    ("5-", "5-"),
    ("1-2-3", "1-2-3"),
    ("٣", "٣"),  # a non-ASCII digit is not a port
    ("123456", "123456"),
]


@pytest.mark.parametrize("spec,named_token", BAD_PORTS)
def test_bad_ports_are_named(spec, named_token):
    with pytest.raises(ScopeError) as err:
        parse_ports(spec, NAMED)
    assert repr(named_token) in str(err.value) or named_token == ""
    if spec == "http":
        assert "agents" in str(err.value)  # the message lists the names it knows


def test_the_real_agents_set_parses():
    ports = parse_ports("agents", named_port_sets())
    assert ports and all(1 <= p <= 65535 for p in ports)


def test_format_ports_round_trips():
    for spec, ports in PORTS:
        assert parse_ports(format_ports(ports), {}) == ports
    assert format_ports([80, 22, 81, 82, 443]) == "22,80-82,443"
    assert format_ports([]) == ""


@pytest.mark.parametrize("text,expected", [("1/1", (1, 1)), ("2/4", (2, 4)), (" 3 / 7 ", (3, 7)),
                                           ("10/10", (10, 10))])
def test_shard_parse(text, expected):
    shard = Shard.parse(text)
    assert (shard.index, shard.count) == expected
    assert str(shard) == f"{expected[0]}/{expected[1]}"


@pytest.mark.parametrize("text", ["0/4", "5/4", "1/0", "2", "a/b", "1/2/3", "-1/2", "", "1 /", "²/4"])
def test_bad_shards_are_named(text):
    with pytest.raises(ScopeError) as err:
        Shard.parse(text)
    assert repr(text) in str(err.value)


def test_shard_constructor_checks():
    with pytest.raises(ScopeError):
        Shard(0, 3)
    with pytest.raises(ScopeError):
        Shard(True, 3)
