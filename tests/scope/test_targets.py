"""Every target form, table-driven, through build_plan with a stub resolver."""

from __future__ import annotations

import pytest

from gatescan.scope import ScopeError, Shard, build_plan

from .conftest import StubResolver


def hosts(plan) -> list[str]:
    return [h for h, _p in plan.iter_pairs()]


FORMS = [
    ("10.0.0.5", ["10.0.0.5"]),
    ("  10.0.0.5 ", ["10.0.0.5"]),
    ("127.0.0.1", ["127.0.0.1"]),
    ("::1", ["::1"]),
    ("fd00::5", ["fd00::5"]),
    ("FD00::A", ["fd00::a"]),
    ("fe80::1", ["fe80::1"]),
    ("::ffff:10.0.0.7", ["10.0.0.7"]),  # IPv4-mapped means the IPv4 address it reaches
    ("10.0.0.0/30", ["10.0.0.0", "10.0.0.1", "10.0.0.2", "10.0.0.3"]),
    ("10.0.0.5/30", ["10.0.0.4", "10.0.0.5", "10.0.0.6", "10.0.0.7"]),  # host bits ignored
    ("10.0.0.9/32", ["10.0.0.9"]),
    ("fd00::/126", ["fd00::", "fd00::1", "fd00::2", "fd00::3"]),
    ("::ffff:10.0.0.0/126", ["10.0.0.0", "10.0.0.1", "10.0.0.2", "10.0.0.3"]),
    ("10.0.0.1-3", ["10.0.0.1", "10.0.0.2", "10.0.0.3"]),
    ("10.0.0.7-7", ["10.0.0.7"]),
    ("10.0.0.254-10.0.1.1", ["10.0.0.254", "10.0.0.255", "10.0.1.0", "10.0.1.1"]),
    ("fd00::1-3", ["fd00::1", "fd00::2", "fd00::3"]),
    ("fd00::ff-fd00::101", ["fd00::ff", "fd00::100", "fd00::101"]),
    ("gw.lan", ["10.1.2.3"]),
    ("gw.lan.", []),  # a different name to the stub: unresolvable, an error record
    ("multi.lan", ["10.0.0.9", "fd00::9"]),  # deduplicated, every address kept
    ("mapped.lan", ["10.5.5.5"]),
]


@pytest.mark.parametrize("token,expected", FORMS)
def test_target_forms(token, expected, resolver):
    plan = build_plan([token], [80], resolver=resolver)
    assert hosts(plan) == expected
    assert plan.count() == plan.total == len(expected)


BAD = [
    "10.0.0.300",
    "10.0.0",
    "10.0.0.1-300",
    "127.0.0.300-301",  # a malformed range, not a host name: never sent to the resolver
    "10.0.0.256-10.0.1.1",
    "fd00::zz-ff",
    "10.0.0.5-1",
    "10.0.0.1-fd00::1",
    "10.0.0.1-",
    "10.0.0.0/33",
    "fd00::/129",
    "10.0.0.0/x",
    "fe80::1%eth0",
    "fe80::1%eth0/64",
    "fd00::1-12345",
    "-",
    "a..b",
    "bad_host!",
    "-leading.dash",
    "10.0.0.1,10.0.0.2",
    "x" * 300,
    "",
    "@",
    "nmap:",
]


@pytest.mark.parametrize("token", BAD)
def test_bad_tokens_are_named(token, resolver):
    with pytest.raises(ScopeError) as err:
        build_plan([token], [80], resolver=resolver)
    shown = token.strip()[:20]
    assert shown in str(err.value) or token == "" or token in ("@", "nmap:")
    assert resolver.calls == []  # a malformed token is never looked up


def test_overlapping_targets_collapse(resolver):
    plan = build_plan(
        ["10.0.0.0/29", "10.0.0.4-10", "10.0.0.3", "gw.lan", "10.1.2.3", "::ffff:10.0.0.1"],
        [22, 80],
        resolver=resolver,
    )
    pairs = list(plan.iter_pairs())
    assert len(pairs) == len(set(pairs)) == plan.total
    assert hosts(plan)[::2] == [f"10.0.0.{i}" for i in range(11)] + ["10.1.2.3"]


def test_names_resolve_once(resolver):
    build_plan(["gw.lan", "gw.lan", "10.0.0.1"], [1], excludes=["gw.lan"], resolver=resolver)
    assert resolver.calls == ["gw.lan"]


def test_unresolvable_name_is_an_error_record_and_the_scan_goes_on(resolver):
    plan = build_plan(["nosuch.lan", "10.0.0.1", "empty.lan", "junk.lan"], [80], resolver=resolver)
    assert list(plan.iter_pairs()) == [("10.0.0.1", 80)]
    where = [e.where for e in plan.errors]
    assert where == ["target nosuch.lan", "target empty.lan", "target junk.lan"]
    assert "nosuch.lan" in plan.errors[0].message
    assert "no addresses" in plan.errors[1].message
    assert "not-an-address" in plan.errors[2].message


def test_target_file(tmp_path, resolver):
    f = tmp_path / "targets.txt"
    f.write_text("\ufeff# lab hosts\n10.0.0.1\n\n10.0.0.2-3  # two more\ngw.lan nosuch.lan\n")
    plan = build_plan([f"@{f}"], [80], resolver=resolver)
    assert hosts(plan) == ["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.1.2.3"]
    assert [e.where for e in plan.errors] == [f"{f}:5"]


@pytest.mark.parametrize(
    "content,line,token",
    [
        ("10.0.0.1\n10.0.0.999\n", 2, "10.0.0.999"),
        ("10.0.0.1\n\n# c\n8.8.8.8\n", 4, "8.8.8.8"),
        ("@other\n", 1, "@other"),
        ("nmap:x.xml\n", 1, "nmap:x.xml"),
    ],
)
def test_target_file_errors_name_file_and_line(tmp_path, resolver, content, line, token):
    f = tmp_path / "t.txt"
    f.write_text(content)
    with pytest.raises(ScopeError) as err:
        build_plan([f"@{f}"], [80], resolver=resolver)
    assert f"{f}:{line}" in str(err.value)
    assert token in str(err.value)


def test_missing_and_binary_files(tmp_path, resolver):
    with pytest.raises(ScopeError, match="nope.txt"):
        build_plan([f"@{tmp_path}/nope.txt"], [80], resolver=resolver)
    f = tmp_path / "bin.txt"
    f.write_bytes(b"10.0.0.1\n\xff\xfe\n")
    with pytest.raises(ScopeError, match=r"bin.txt:2: not UTF-8"):
        build_plan([f"@{f}"], [80], resolver=resolver)


def test_describe(tmp_path, resolver):
    ex = tmp_path / "ex.txt"
    ex.write_text("10.0.0.3\n")
    plan = build_plan(["10.0.0.0/30", "gw.lan"], [22, 80, 81, 82], excludes=["10.0.0.2"],
                      exclude_files=[ex], resolver=resolver)
    scope = plan.describe()
    assert scope.targets == ["10.0.0.0/30", "gw.lan"]
    assert scope.ports == "22,80-82"
    assert scope.excluded == ["10.0.0.2", f"@{ex}"]
    assert scope.shard is None
    assert hosts(plan)[::4] == ["10.0.0.0", "10.0.0.1", "10.1.2.3"]
    plan = build_plan(["10.0.0.1"], [22], port_spec="ssh-ish", resolver=StubResolver())
    assert plan.describe().ports == "ssh-ish"


def test_no_targets_is_an_empty_plan():
    plan = build_plan([], [80])
    assert plan.total == 0 and list(plan.iter_pairs()) == []


def test_an_empty_plan_says_why_nothing_would_be_scanned(resolver):
    """The scan API turns this into "nothing was scanned" (exit 3); a shard is judged by its plan."""
    assert "resolved" in build_plan(["nosuch.lan"], [80], resolver=resolver).empty_reason()
    assert "excludes" in build_plan(["10.0.0.0/30"], [80], excludes=["10.0.0.0/29"],
                                    resolver=resolver).empty_reason()
    assert build_plan(["10.0.0.1"], [80], resolver=resolver).empty_reason() is None
    lone = build_plan(["10.0.0.1"], [80], shard=Shard(2, 2), resolver=resolver)
    assert lone.total == 0 and lone.empty_reason() is None  # the other shard scans the pair


def test_a_hyphenated_name_is_still_a_name():
    resolver = StubResolver({"my-gw.lan": ["10.0.0.2"], "gw-2": ["10.0.0.3"]})
    plan = build_plan(["my-gw.lan", "gw-2"], [80], resolver=resolver)
    assert hosts(plan) == ["10.0.0.2", "10.0.0.3"] and resolver.calls == ["my-gw.lan", "gw-2"]
