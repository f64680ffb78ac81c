"""Fixtures for the skills audit tests: sample trees on disk, the installed OpenClaw package."""

from __future__ import annotations

import base64
import json
import os
import shutil
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
SAMPLES = HERE / "samples"
DEFAULT_OPENCLAW = Path.home() / ".cache/gatescan-lab/openclaw-2026.9.6"


def write_tree(root: Path, tree: dict) -> Path:
    """Create files from {relpath: str | bytes | {"b64": ...}}."""
    for rel, content in tree.items():
        path = root.joinpath(*rel.split("/"))
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, dict):
            data = base64.b64decode(content["b64"])
        elif isinstance(content, str):
            data = content.encode("utf-8")
        else:
            data = content
        path.write_bytes(data)
    return root


def skill_md(name: str, description: str = "A test skill.", extra: str = "", body: str = "# Skill\n") -> str:
    return f"---\nname: {name}\ndescription: {description}\n{extra}---\n\n{body}"


@pytest.fixture(scope="session")
def sample_trees() -> dict:
    return json.loads((SAMPLES / "trees.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def reference() -> dict:
    return json.loads((SAMPLES / "reference.json").read_text(encoding="utf-8"))


def _openclaw_package() -> Path | None:
    base = Path(os.environ.get("GATESCAN_OPENCLAW_DIR") or DEFAULT_OPENCLAW)
    for cand in (base / "node_modules" / "openclaw", base):
        if (cand / "package.json").is_file() and (cand / "skills").is_dir():
            return cand
    return None


@pytest.fixture(scope="session")
def openclaw_package() -> Path:
    pkg = _openclaw_package()
    if pkg is None:
        pytest.skip(
            "the openclaw npm package is not installed (expected under "
            f"{DEFAULT_OPENCLAW}/node_modules/openclaw or $GATESCAN_OPENCLAW_DIR); "
            "the README's test command installs it"
        )
    return pkg


@pytest.fixture(scope="session")
def node() -> str:
    exe = shutil.which("node")
    if exe is None:
        pytest.skip("node is not on PATH: live comparisons with the tools' own code need it")
    return exe
