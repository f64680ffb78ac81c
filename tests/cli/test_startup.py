"""`gatescan --version` and the help pages start fast: they import none of the engine or its
heavy dependencies (with the Jupyter stack installed, `import jsonschema` alone costs 0.8 s)."""

from __future__ import annotations

import os
import re

import pytest

from tests.cli.conftest import run_gatescan

HEAVY_LIBRARIES = {"jsonschema", "aiohttp", "websockets", "yaml", "pydantic", "pydantic_core"}
# Typer (0.29) builds a pydantic TypeAdapter for each parameter of the command it runs, so a
# command's own --help loads pydantic whatever gatescan does; --version and --help must not.
TYPER_PER_COMMAND = {"pydantic", "pydantic_core"}
LIGHT_GATESCAN = {"gatescan", "gatescan.cli"}  # every other gatescan module is imported by the command that needs it


def imported_modules(*args: str) -> set[str]:
    """Every module the console script imported for `gatescan ARGS`, from `-X importtime`."""
    out = run_gatescan(*args, env={**os.environ, "PYTHONPROFILEIMPORTTIME": "1"}, timeout=60)
    assert out.returncode == 0, out.stderr[-2000:]
    modules = {m[1] for m in re.finditer(r"^import time:\s+\d+ \|\s+\d+ \|\s*(\S+)\s*$", out.stderr, re.M)}
    assert "gatescan.cli" in modules, out.stderr[-2000:]  # the profile was read
    return modules


@pytest.mark.parametrize("args", [("--version",), ("--help",), ("scan", "--help"), ("skills", "--help")],
                         ids=" ".join)
def test_version_and_help_import_none_of_the_engine(args):
    modules = imported_modules(*args)
    heavy_libraries = HEAVY_LIBRARIES - (TYPER_PER_COMMAND if len(args) > 1 else set())
    heavy = sorted(m for m in modules if m.split(".")[0] in heavy_libraries
                   or (m.startswith("gatescan.") and m not in LIGHT_GATESCAN))
    assert heavy == []
