"""Per-product security checks with stable ids (DESIGN.md, Check ids).

`run_checks(service, fingerprint, client)` is the pipeline's entry point; importing this package
registers every check module (auth, origin, rebinding, cors; advisories and exposure later).
"""

from . import auth, cors, origin, rebinding  # noqa: F401  (registration side effects)
from .registry import REGISTRY, Outcome, register
from .runner import run_checks

__all__ = ["run_checks", "REGISTRY", "Outcome", "register"]
