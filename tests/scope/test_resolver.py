"""The real resolver, only inside the private namespace (the machine's resolver is off-loopback)."""

from __future__ import annotations

import pytest

from gatescan.scope import ResolveError, build_plan, system_resolver
from tests.netns import requires_netns


@requires_netns
def test_system_resolver_localhost():
    addrs = system_resolver("localhost")
    assert addrs and set(addrs) <= {"127.0.0.1", "::1"}
    assert len(addrs) == len(set(addrs))
    plan = build_plan(["localhost"], [80])
    assert {h for h, _ in plan.iter_pairs()} == set(addrs) and plan.errors == []


@requires_netns
def test_system_resolver_unknown_name_is_an_error_record():
    with pytest.raises(ResolveError) as err:
        system_resolver("no-such-host.invalid")
    assert "no-such-host.invalid" in str(err.value)
    plan = build_plan(["no-such-host.invalid", "127.0.0.1"], [80])
    assert list(plan.iter_pairs()) == [("127.0.0.1", 80)]
    assert plan.errors[0].where == "target no-such-host.invalid"
