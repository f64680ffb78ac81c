"""Scope: what the user typed -> a lazy, policy-checked stream of (address, port) pairs.
Every decision about whether an address may be scanned is made in this folder (docs/architecture.md, Safety)."""

from .plan import ScanPlan, Shard, build_plan
from .policy import ResolveError, ScopeError, system_resolver
from .ports import format_ports, parse_ports
from .targets import DEFAULT_PORTS, DEFAULT_TARGETS, TARGET_PORTS

__all__ = [
    "DEFAULT_PORTS", "DEFAULT_TARGETS", "TARGET_PORTS", "ResolveError", "ScanPlan", "ScopeError", "Shard", "build_plan",
    "format_ports", "parse_ports", "system_resolver",
]
