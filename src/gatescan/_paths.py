"""Where the shipped data lives: inside the wheel, or at the top of a checkout.

fingerprints/, rules/ and lab/ sit at the top level of the repository (docs/architecture.md, Layout);
the wheel force-includes them as gatescan/<name>. Everything that reads them asks here.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

_PACKAGE_DIR = Path(__file__).resolve().parent
_CHECKOUT_DIR = _PACKAGE_DIR.parent.parent


def data_dir(name: str) -> Path:
    """The directory `name` (fingerprints, rules, lab) for this install."""
    inside = _PACKAGE_DIR / name
    if inside.is_dir():
        return inside
    outside = _CHECKOUT_DIR / name
    if outside.is_dir():
        return outside
    raise FileNotFoundError(f"gatescan data directory {name!r} not found (looked in {inside} and {outside})")


def import_lab() -> ModuleType:
    """Import the lab as `gatescan.lab`, from the wheel or from the checkout's top-level lab/."""
    if "gatescan.lab" in sys.modules:
        return sys.modules["gatescan.lab"]
    lab_dir = data_dir("lab")
    spec = importlib.util.spec_from_file_location(
        "gatescan.lab", lab_dir / "__init__.py", submodule_search_locations=[str(lab_dir)]
    )
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load the lab from {lab_dir}")
    module = importlib.util.module_from_spec(spec)
    sys.modules["gatescan.lab"] = module
    spec.loader.exec_module(module)
    return module
