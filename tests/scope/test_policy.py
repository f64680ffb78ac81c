"""The scope policy: private by default, public only one by one with --allow-public,
excludes always win, and a refusal names the address."""

from __future__ import annotations

import pytest

from gatescan.scope import ScopeError, build_plan

ALLOWED = [
    "127.0.0.1", "127.255.255.254", "10.0.0.0/8", "172.16.0.1", "172.31.255.255",
    "192.168.0.0/16", "100.64.0.1", "100.127.255.255", "169.254.1.1", "::1", "fe80::1",
    "febf::ffff", "fc00::1", "fd12:3456::/64",
]


@pytest.mark.parametrize("token", ALLOWED)
def test_private_ranges_are_allowed(token, resolver):
    assert build_plan([token], [80], resolver=resolver).total > 0


REFUSED = [
    # (token, the address the message must name)
    ("8.8.8.8", "8.8.8.8"),
    ("172.32.0.1", "172.32.0.1"),
    ("172.15.255.255", "172.15.255.255"),
    ("100.128.0.0", "100.128.0.0"),
    ("192.169.0.1", "192.169.0.1"),
    ("10.0.0.0/7", "11.0.0.0"),  # partly private: the first public address is named
    ("192.168.255.250-192.169.0.3", "192.169.0.0"),
    ("2001:db8::1", "2001:db8::1"),
    ("fec0::1", "fec0::1"),
    ("::ffff:8.8.4.4", "8.8.4.4"),
    ("public.example", "93.184.216.34"),
    ("mixed.example", "8.8.8.8"),
]


@pytest.mark.parametrize("token,address", REFUSED)
def test_public_addresses_are_refused_by_default(token, address, resolver):
    with pytest.raises(ScopeError) as err:
        build_plan(["10.0.0.1", token], [80], resolver=resolver)
    assert address in str(err.value)
    assert "not a private address" in str(err.value)


@pytest.mark.parametrize("token", ["8.8.8.8", "2001:db8::1", "8.8.8.8/32", "8.8.8.8-8.8.8.8",
                                   "public.example", "mixed.example"])
def test_allow_public_admits_single_addresses(token, resolver):
    plan = build_plan([token], [443], allow_public=True, resolver=resolver)
    assert plan.total >= 1


@pytest.mark.parametrize("token,address", [("8.8.8.0/24", "8.8.8.0"), ("8.8.8.8-9", "8.8.8.8"),
                                           ("10.0.0.0/7", "11.0.0.0"), ("2001:db8::/127", "2001:db8::")])
def test_allow_public_refuses_public_ranges(token, address, resolver):
    with pytest.raises(ScopeError) as err:
        build_plan([token], [80], allow_public=True, resolver=resolver)
    assert address in str(err.value) and "inside a range" in str(err.value)


@pytest.mark.parametrize("token", ["224.0.0.1", "255.255.255.255", "0.0.0.0", "::", "ff02::1"])
def test_never_scannable_even_with_allow_public(token, resolver):
    with pytest.raises(ScopeError, match="not a unicast host address"):
        build_plan([token], [80], allow_public=True, resolver=resolver)


def test_public_in_a_target_file_is_refused_with_file_and_line(tmp_path, resolver):
    f = tmp_path / "t.txt"
    f.write_text("10.0.0.1\n1.1.1.1\n")
    with pytest.raises(ScopeError, match=rf"{f}:2.*1\.1\.1\.1"):
        build_plan([f"@{f}"], [80], resolver=resolver)
    # one per line is "listed on its own"
    assert build_plan([f"@{f}"], [80], allow_public=True, resolver=resolver).total == 2


def test_refusal_happens_before_anything_else_is_returned(resolver):
    # The whole plan is refused: the CLI gets no pairs at all, so nothing is sent.
    with pytest.raises(ScopeError):
        build_plan(["10.0.0.0/24", "8.8.8.8", "gw.lan"], [80], resolver=resolver)


# --- excludes -------------------------------------------------------------------------------


def test_excludes_win(tmp_path, resolver):
    ex = tmp_path / "ex.txt"
    ex.write_text("# never these\n10.0.0.4/30\ngw.lan\n")
    plan = build_plan(["10.0.0.0/28", "gw.lan", "fd00::1-4"], [80, 443],
                      excludes=["10.0.0.1", "10.0.0.10-12", "fd00::2"], exclude_files=[ex],
                      resolver=resolver)
    got = sorted({h for h, _ in plan.iter_pairs()})
    want = sorted({f"10.0.0.{i}" for i in (0, 2, 3, 8, 9, 13, 14, 15)} | {"fd00::1", "fd00::3", "fd00::4"})
    assert got == want
    assert plan.total == 2 * len(want)


def test_excluding_the_public_part_makes_a_range_acceptable(resolver):
    plan = build_plan(["10.0.0.0/7"], [80], excludes=["11.0.0.0/8"], resolver=resolver)
    assert plan.total == 2**24
    plan = build_plan(["8.8.8.8", "10.0.0.1"], [80], excludes=["8.8.0.0/16"], resolver=resolver)
    assert list(plan.iter_pairs()) == [("10.0.0.1", 80)]


def test_mapped_excludes_cover_ipv4(resolver):
    plan = build_plan(["10.0.0.0/30"], [80], excludes=["::ffff:10.0.0.0/127"], resolver=resolver)
    assert [h for h, _ in plan.iter_pairs()] == ["10.0.0.2", "10.0.0.3"]


def test_unresolvable_exclude_stops_the_scan(resolver):
    with pytest.raises(ScopeError, match="nosuch.lan"):
        build_plan(["10.0.0.1"], [80], excludes=["nosuch.lan"], resolver=resolver)


@pytest.mark.parametrize("token", ["@ex.txt", "nmap:x.xml", "10.0.0.999"])
def test_bad_excludes_are_named(token, resolver):
    with pytest.raises(ScopeError) as err:
        build_plan(["10.0.0.1"], [80], excludes=[token], resolver=resolver)
    assert token in str(err.value)


def test_bad_exclude_file_line(tmp_path, resolver):
    ex = tmp_path / "ex.txt"
    ex.write_text("10.0.0.1\n10.0.0.1/99\n")
    with pytest.raises(ScopeError, match=rf"{ex}:2"):
        build_plan(["10.0.0.1"], [80], exclude_files=[ex], resolver=resolver)
    with pytest.raises(ScopeError, match="missing.txt"):
        build_plan(["10.0.0.1"], [80], exclude_files=[tmp_path / "missing.txt"], resolver=resolver)


def test_scope_never_touches_the_network(monkeypatch, tmp_path):
    """Building and iterating plans (refused or not) opens no socket and, for literals,
    looks up no name: the default resolver is only reached by names."""
    import socket

    def forbidden(*_a, **_k):
        raise AssertionError("scope touched the network")

    monkeypatch.setattr(socket, "socket", forbidden)
    monkeypatch.setattr(socket, "create_connection", forbidden)
    monkeypatch.setattr(socket, "getaddrinfo", forbidden)
    with pytest.raises(ScopeError, match="8.8.8.8"):
        build_plan(["10.0.0.0/24", "8.8.8.8"], [80])
    f = tmp_path / "t.txt"
    f.write_text("10.0.0.1\nfd00::1\n")
    plan = build_plan(["127.0.0.1", "::1", f"@{f}", "192.168.0.0/30"], [22, 80],
                      excludes=["192.168.0.1"])
    assert len(list(plan.iter_pairs())) == plan.total == 14


@pytest.mark.parametrize("token", ["224.0.0.1", "255.255.255.255", "0.0.0.0", "::", "ff02::1", "0.0.0.0/8"])
def test_never_scannable_is_refused_without_suggesting_allow_public(token, resolver):
    """`scan 0.0.0.0` must not suggest --allow-public: that would be refused too (these rows were
    in REFUSED, whose message is "not a private address ... pass --allow-public")."""
    with pytest.raises(ScopeError) as err:
        build_plan(["10.0.0.1", token], [80], resolver=resolver)
    assert token.split("/")[0] in str(err.value)
    assert "not a unicast host address" in str(err.value) and "--allow-public" not in str(err.value)
