"""What ships (the package and its schemas, fingerprints, rules, lab, docs, README, the build and
test scripts) cites only what ships or what is public:
no pointer to the project's internal documents, no command that does not exist."""

from __future__ import annotations

import re
from pathlib import Path

import typer

from gatescan.cli import app

REPO = Path(__file__).resolve().parents[1]
SHIPPED = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md")), *sorted((REPO / "fingerprints").iterdir()),
           *sorted((REPO / "rules").rglob("*")), *sorted((REPO / "lab").iterdir()),
           *sorted((REPO / "src" / "gatescan").rglob("*.py")), *sorted((REPO / "src" / "gatescan").rglob("*.json")),
           REPO / "pyproject.toml", *sorted((REPO / "scripts").iterdir())]
UNSHIPPED = re.compile(r"\.\./shared|shared/reference|DESIGN\.md|STYLE\.md|products\.md|openclaw-gateway\.md|§")
# `gatescan WORD [WORD]` in a code span, or at the start of a line in a fenced code block
SPAN = re.compile(r"`(?:\$ )?gatescan ([a-z][a-z-]*)(?: ([a-z][a-z-]*))?")
FENCED = re.compile(r"^```[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)
LINE = re.compile(r"^(?:\$ )?gatescan ([a-z][a-z-]*)(?: ([a-z][a-z-]*))?", re.MULTILINE)


def _texts():
    for path in SHIPPED:
        if path.is_file() and path.suffix in (".md", ".yaml", ".yml", ".py", ".txt", ".json", ".toml", ""):
            yield path, path.read_text(encoding="utf-8")


def test_shipped_files_point_to_no_internal_document():
    bad = [(str(p.relative_to(REPO)), n, line.strip()) for p, text in _texts()
           for n, line in enumerate(text.splitlines(), 1) if UNSHIPPED.search(line)]
    assert not bad, bad


def test_shipped_files_name_only_commands_that_exist():
    root = typer.main.get_command(app)
    missing = []
    for path, text in _texts():
        blocks = [b.group(1) for b in FENCED.finditer(text)] if path.suffix == ".md" else []
        for m in [*SPAN.finditer(text), *(m for b in blocks for m in LINE.finditer(b))]:
            first, second = m.group(1), m.group(2)
            cmd = root.commands.get(first)
            if cmd is None:
                missing.append((str(path.relative_to(REPO)), m.group(0)))
            elif hasattr(cmd, "commands") and second and second not in cmd.commands:
                missing.append((str(path.relative_to(REPO)), m.group(0)))
    assert not missing, missing
