"""Scope: what the user typed -> a lazy, policy-checked stream of (address, port) pairs.
Every decision about whether an address may be scanned is made in this folder (DESIGN.md, Safety)."""

from .targets import (
    DEFAULT_TARGETS,
    ResolveError,
    ScanPlan,
    ScopeError,
    Shard,
    build_plan,
    format_ports,
    parse_ports,
    system_resolver,
)

__all__ = [
    "DEFAULT_TARGETS", "ResolveError", "ScanPlan", "ScopeError", "Shard", "build_plan",
    "format_ports", "parse_ports", "system_resolver",
]
