"""Checks: what proves a product can be driven by a hostile page or a neighbour, one stable id each
(docs/architecture.md, Check ids); importing this package registers every check, `run_checks` runs a product's."""

from . import advisories, auth, cors, exposure, mcp_tools, origin, ratelimit, rebinding  # noqa: F401  (registration side effects)
from .registry import REGISTRY, Outcome, register
from .runner import run_checks

__all__ = ["run_checks", "REGISTRY", "Outcome", "register"]
