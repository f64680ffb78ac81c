"""The plan: sharding covers the space exactly once, counts are exact, a /8 costs nothing,
and a plan survives pickling (sweep workers receive it that way)."""

from __future__ import annotations

import itertools
import pickle
import tracemalloc

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gatescan.scope import ScanPlan, Shard, build_plan

from .conftest import StubResolver

# Small random plans: a few IPv4/IPv6 pieces (overlapping on purpose), a few ports, some
# excludes, sometimes imported explicit pairs.
_v4 = st.builds(lambda a, n: f"10.0.0.{a}-{min(255, a + n)}", st.integers(0, 40), st.integers(0, 6))
_cidr = st.builds(lambda a, p: f"10.0.0.{a}/{p}", st.integers(0, 40), st.integers(28, 32))
_v6 = st.builds(lambda a, n: f"fd00::{a:x}-{a + n:x}", st.integers(0, 30), st.integers(0, 4))
_name = st.sampled_from(["gw.lan", "multi.lan", "nosuch.lan"])
targets_st = st.lists(st.one_of(_v4, _cidr, _v6, _name), min_size=0, max_size=4)
ports_st = st.lists(st.integers(1, 65535), min_size=0, max_size=5)
excl_st = st.lists(st.builds(lambda a: f"10.0.0.{a}", st.integers(0, 50)), max_size=3)
explicit_st = st.lists(st.tuples(st.integers(0, 50), st.integers(1, 100)), max_size=6)


def _plan(tmp_path, targets, ports, excludes, explicit, shard=None):
    tokens = list(targets)
    if explicit:
        lines = [f'{{"ip": "10.0.0.{a}", "ports": [{{"port": {p}, "proto": "tcp"}}]}},' for a, p in explicit]
        f = tmp_path / "imp.json"
        f.write_text("[\n" + "\n".join(lines) + "\n]\n")
        tokens.append(f"masscan:{f}")
    return build_plan(tokens, ports, excludes=excludes, resolver=StubResolver(), shard=shard)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(targets_st, ports_st, excl_st, explicit_st, st.integers(1, 7))
def test_shards_are_disjoint_and_cover_exactly_once(tmp_path, targets, ports, excludes, explicit, n):
    plan = _plan(tmp_path, targets, ports, excludes, explicit)
    whole = list(plan.iter_pairs())
    assert len(whole) == len(set(whole)) == plan.total == plan.count()
    parts = [list(plan.iter_pairs(Shard(i, n))) for i in range(1, n + 1)]
    for i, part in enumerate(parts, 1):
        assert plan.count(Shard(i, n)) == len(part)
    merged = list(itertools.chain.from_iterable(parts))
    assert sorted(merged) == sorted(whole)  # disjoint, and the union is everything once
    # pair k belongs to shard (k mod n) + 1
    for i, part in enumerate(parts, 1):
        assert part == whole[i - 1::n]
    # a sharded plan (--shard) equals that shard, and its own parts split it again
    for i in range(1, n + 1):
        sharded = _plan(tmp_path, targets, ports, excludes, explicit, shard=Shard(i, n))
        mine = list(sharded.iter_pairs())
        assert mine == parts[i - 1] and sharded.total == len(mine)
        for m in (1, 2, 3):
            sub = [list(sharded.iter_pairs(Shard(j, m))) for j in range(1, m + 1)]
            assert sorted(itertools.chain.from_iterable(sub)) == sorted(mine)
            assert [sharded.count(Shard(j, m)) for j in range(1, m + 1)] == [len(s) for s in sub]
            assert sub[0] == mine[0::m]


def test_every_host_has_all_ports_in_plan_order():
    plan = build_plan(["10.0.0.1-2", "::1"], [443, 22], resolver=StubResolver())
    assert list(plan.iter_pairs()) == [
        ("10.0.0.1", 22), ("10.0.0.1", 443), ("10.0.0.2", 22), ("10.0.0.2", 443),
        ("::1", 22), ("::1", 443),
    ]


def test_a_slash_8_by_1000_ports_allocates_nothing_per_address():
    tracemalloc.start()
    try:
        plan = build_plan(["10.0.0.0/8"], range(1, 1001), resolver=StubResolver())
        it = plan.iter_pairs(Shard(3, 4))
        first = list(itertools.islice(it, 2000))
        tail = list(itertools.islice(plan.iter_pairs(Shard(4, 4)), 5))
        _size, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert plan.total == 2**24 * 1000
    assert plan.count(Shard(3, 4)) == 2**24 * 1000 // 4
    assert first[0] == ("10.0.0.0", 3) and first[1] == ("10.0.0.0", 7)
    assert first[250] == ("10.0.0.1", 3)
    assert tail[0] == ("10.0.0.0", 4)
    # the ports tuple, 2000 tiny tuples and the interpreter's noise; a materialised /8 is GBs
    assert peak < 1_000_000, peak


def test_jumping_many_hosts_per_pair_stays_lazy():
    plan = build_plan(["10.0.0.0/8", "172.16.0.0/12"], [80], resolver=StubResolver())
    part = Shard(2, 1000)
    got = list(itertools.islice(plan.iter_pairs(part), 3))
    assert got == [("10.0.0.1", 80), ("10.0.3.233", 80), ("10.0.7.209", 80)]
    assert plan.count(part) == (2**24 + 2**20 - 1 - 1) // 1000 + 1


def test_pickle_round_trip(tmp_path):
    f = tmp_path / "imp.json"
    f.write_text('[{"ip": "10.9.9.9", "ports": [{"port": 7, "proto": "tcp"}]}]')
    plan = build_plan(["10.0.0.0/29", "fd00::1-3", "nosuch.lan", f"masscan:{f}"], [22, 80],
                      excludes=["10.0.0.2"], resolver=StubResolver(), shard=Shard(2, 3))
    copy = pickle.loads(pickle.dumps(plan))
    assert isinstance(copy, ScanPlan)
    assert list(copy.iter_pairs()) == list(plan.iter_pairs())
    assert list(copy.iter_pairs(Shard(1, 2))) == list(plan.iter_pairs(Shard(1, 2)))
    assert copy.total == plan.total and copy.errors == plan.errors
    assert copy.describe() == plan.describe()
    assert plan.describe().shard == "2/3"
    assert len(pickle.dumps(build_plan(["10.0.0.0/8"], range(1, 1001)))) < 20_000
