"""The plan: the scan's (host, port) pairs as integer intervals, iterated lazily, split into
shards; `build_plan` parses (targets.py) and polices (policy.py) what the user typed into one.

Order and sharding: the plan's pairs are numbered k = 0, 1, ...: first the host x port product
(IPv4 hosts ascending, then IPv6, each host's ports ascending), then the imported explicit
pairs not already in the product, sorted. Pair k belongs to shard i/n iff k mod n == i - 1.
A plan's own `part` split numbers the plan's pairs again from 0 and applies the same rule.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence

from .policy import Resolver, ScopeError, _IntervalSet, _collapse, _fmt, check_policy, system_resolver
from .ports import format_ports
from .targets import _Builder, _ip, _show
from ..model import ErrorRecord, Scope


@dataclass(frozen=True)
class Shard:
    """Shard `index` of `count` (1-based), written "i/n"; see the module docstring."""

    index: int
    count: int

    def __post_init__(self) -> None:
        for value in (self.index, self.count):
            if isinstance(value, bool) or not isinstance(value, int):
                raise ScopeError(f"bad shard {self.index!r}/{self.count!r}: expected integers")
        if not 1 <= self.index <= self.count:
            raise ScopeError(f"bad shard {self}: expected i/n with 1 <= i <= n")

    @classmethod
    def parse(cls, text: str) -> "Shard":
        if not isinstance(text, str):
            raise ScopeError(f"bad shard {_show(text)}: expected i/n, e.g. 2/4")
        m = re.fullmatch(r"\s*([0-9]{1,9})\s*/\s*([0-9]{1,9})\s*", text)
        if not m:
            raise ScopeError(f"bad shard {_show(text)}: expected i/n, e.g. 2/4")
        index, count = int(m[1]), int(m[2])
        if not 1 <= index <= count:
            raise ScopeError(f"bad shard {_show(text)}: expected i/n with 1 <= i <= n")
        return cls(index, count)

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def build_plan(
    targets: Sequence[str],
    ports: Sequence[int],
    *,
    excludes: Sequence[str] = (),
    exclude_files: Sequence[str | Path] = (),
    allow_public: bool = False,
    resolver: Resolver = system_resolver,
    shard: Shard | None = None,
    port_spec: str | None = None,
) -> "ScanPlan":
    """Parse, resolve, exclude and police `targets`; ScopeError on anything refused.

    `ports` is what `parse_ports` returned; `port_spec` (the text the user typed) is only
    for `describe()`, which otherwise shows the ports compactly. No targets: an empty plan
    (the CLI substitutes DEFAULT_TARGETS).
    """
    if isinstance(targets, str) or isinstance(excludes, str) or isinstance(exclude_files, (str, Path)):
        raise TypeError("targets, excludes and exclude_files are sequences of strings")
    port_tuple = tuple(sorted(set(ports)))
    for port in port_tuple:
        if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
            raise ScopeError(f"bad port {port!r}: ports are 1-65535")
    if shard is not None and not isinstance(shard, Shard):
        raise TypeError("shard must be a Shard")
    builder = _Builder(resolver, allow_public)
    builder.add_excludes(excludes, exclude_files)
    for token in targets:
        builder.add_target(token)
    hosts = _collapse(builder.hosts)
    host_set = _IntervalSet(hosts)
    port_set = set(port_tuple)
    explicit = sorted(
        (v, a, p) for v, a, p in builder.pairs if not (p in port_set and host_set.contains(v, a))
    )
    excluded = [str(t) for t in excludes] + [f"@{f}" for f in exclude_files]
    return ScanPlan(
        intervals=tuple(hosts),
        ports=port_tuple,
        pairs=tuple(explicit),
        shard=shard,
        errors=builder.errors,
        targets=[str(t) for t in targets],
        port_spec=port_spec if port_spec is not None else format_ports(port_tuple),
        excluded=excluded,
        exclude_set=builder.excludes,
    )


class ScanPlan:
    """The (host, port) pairs of a scan, as integer intervals: memory grows with the number
    of ranges (and imported explicit pairs), never with the number of addresses. Picklable,
    so sweep worker processes receive it whole and each iterates its own `part`."""

    def __init__(
        self,
        *,
        intervals: tuple[tuple[int, int, int], ...],
        ports: tuple[int, ...],
        pairs: tuple[tuple[int, int, int], ...] = (),
        shard: Shard | None = None,
        errors: list[ErrorRecord] | None = None,
        targets: Sequence[str] = (),
        port_spec: str = "",
        excluded: Sequence[str] = (),
        exclude_set: _IntervalSet | None = None,
    ) -> None:
        self.intervals = intervals  # (version, first, last), collapsed and sorted
        self.ports = ports
        self.pairs = pairs  # (version, address, port) outside the product
        self.shard = shard
        self.errors = list(errors or [])
        self.targets = list(targets)
        self.port_spec = port_spec
        self.excluded = list(excluded)
        self.exclude_set = exclude_set or _IntervalSet(())
        cum = [0]
        for _v, a, b in intervals:
            cum.append(cum[-1] + b - a + 1)
        self._cum = tuple(cum)
        self.host_count = cum[-1]
        self.total = self.count()

    def __repr__(self) -> str:
        return (f"ScanPlan(hosts={self.host_count}, ports={len(self.ports)}, "
                f"explicit={len(self.pairs)}, shard={self.shard}, total={self.total})")

    @property
    def _size(self) -> int:
        return self.host_count * len(self.ports) + len(self.pairs)

    def _select(self, part: Shard | None) -> tuple[int, int]:
        offset, stride = (self.shard.index - 1, self.shard.count) if self.shard else (0, 1)
        if part is not None:
            if not isinstance(part, Shard):
                raise TypeError("part must be a Shard")
            offset, stride = offset + stride * (part.index - 1), stride * part.count
        return offset, stride

    def count(self, part: Shard | None = None) -> int:
        """Pairs in this plan (or in `part` of it), by arithmetic."""
        offset, stride = self._select(part)
        size = self._size
        return 0 if offset >= size else (size - 1 - offset) // stride + 1

    def iter_pairs(self, part: Shard | None = None) -> Iterator[tuple[str, int]]:
        """The pairs, lazily, in plan order; parts of a plan are disjoint and cover it."""
        offset, stride = self._select(part)
        return self._generate(offset, stride)

    def _generate(self, offset: int, stride: int) -> Iterator[tuple[str, int]]:
        ports = self.ports
        n_ports = len(ports)
        product = self.host_count * n_ports
        if product and stride == 1:
            for v, a, b in self.intervals:
                for value in range(a, b + 1):
                    host = _fmt(v, value)
                    for port in ports:
                        yield host, port
        elif product and stride <= n_ports:
            # Every host has pairs: walk hosts, take its port indexes congruent to offset.
            index = 0
            for v, a, b in self.intervals:
                for value in range(a, b + 1):
                    host = _fmt(v, value)
                    for i in range((offset - index * n_ports) % stride, n_ports, stride):
                        yield host, ports[i]
                    index += 1
        elif product:
            # Fewer than one pair per host: jump from pair to pair, interval cursor forward.
            cum, intervals, cursor = self._cum, self.intervals, 0
            for k in range(offset, product, stride):
                index, i = divmod(k, n_ports)
                while cum[cursor + 1] <= index:
                    cursor += 1
                v, a, _b = intervals[cursor]
                yield _fmt(v, a + index - cum[cursor]), ports[i]
        pairs = self.pairs
        for j in range((offset - product) % stride, len(pairs), stride):
            v, a, port = pairs[j]
            yield _fmt(v, a), port

    def with_advertised(self, items: Sequence[tuple[str, int, str]]) -> tuple["ScanPlan", list[ErrorRecord | None]]:
        """This plan plus the (address, port) pairs something advertised (mDNS), each labelled
        for its error, through the excludes and the policy: a refused or excluded one is an
        ErrorRecord (in the new plan's errors), never a pair. Returns the plan and, per item, its
        refusal or None. No public address is admitted (nobody listed it on its own)."""
        host_set, port_set = _IntervalSet(self.intervals), set(self.ports)
        pairs, verdicts = set(self.pairs), []
        for address, port, label in items:
            try:
                addr = _ip(address) if isinstance(address, str) else None
                if addr is None or isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
                    raise ScopeError(f"refused {_show(address)} port {_show(port)}: not an address and port")
                version, value = addr
                if self.exclude_set.contains(version, value):
                    raise ScopeError(f"refused {_fmt(version, value)}: excluded")
                check_policy(version, value, value, label=label, single=True, allow_public=False)
            except ScopeError as exc:
                verdicts.append(ErrorRecord(where=label, message=f"{exc}; not probed"))
                continue
            verdicts.append(None)
            if not (port in port_set and host_set.contains(version, value)):
                pairs.add((version, value, port))
        plan = ScanPlan(intervals=self.intervals, ports=self.ports, pairs=tuple(sorted(pairs)), shard=self.shard,
                        errors=self.errors + [v for v in verdicts if v], targets=self.targets,
                        port_spec=self.port_spec, excluded=self.excluded, exclude_set=self.exclude_set)
        return plan, verdicts

    def empty_reason(self) -> str | None:
        """Why this plan holds no pair at all (its shards' too), or None: the scan API's
        "nothing was scanned". A shard that draws no pair of a non-empty plan is not empty."""
        if self._size:
            return None
        if self.errors:
            return "no target could be resolved" + (" or the excludes remove the rest" if self.excluded else "")
        if self.excluded:
            return "the excludes remove every target"
        return "the targets name no address"

    def describe(self) -> Scope:
        return Scope(
            targets=list(self.targets),
            ports=self.port_spec,
            excluded=list(self.excluded),
            shard=str(self.shard) if self.shard else None,
        )
