"""The whole-document JSON output (`--json FILE|-`) and the one loader for saved reports.

Every command that reads a report (render, diff, merge, --baseline) goes through
`load_report`, so a truncated or foreign file fails the same way everywhere.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
import tempfile
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Iterable, Iterator

from ..userio import UserFileError, json_problem, read_user_stream, read_user_text
from ..model import SCHEMA, SCHEMA_VERSION, Report
from ._stream import Stream, iter_json
from .interface import RenderOptions, ReportFormat

# Saved reports above this are refused rather than read into memory whole.
MAX_REPORT_BYTES = 2 * 1024**3
# A real report nests about ten levels; fields a newer version adds get room to spare.
MAX_DEPTH = 100


class ReportLoadError(Exception):
    """A file that is not a readable gatescan report; the CLI maps it to exit 2."""

    def __init__(self, path: str, problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


_LISTS = ("services", "findings", "suppressed", "skills", "errors")


def iter_report_json(report: Report) -> Iterator[str]:
    """The document in pieces: the skeleton indented, one record per line in the big lists."""
    skeleton = dataclasses.replace(report, **{k: [] for k in _LISTS if getattr(report, k) is not None}).to_dict()
    for key in _LISTS:
        if key in skeleton:
            skeleton[key] = Stream(getattr(report, key), lambda record: record.to_dict())
    yield from iter_json(skeleton)
    yield "\n"


def report_to_json(report: Report) -> str:
    return "".join(iter_report_json(report))


class JsonFormat(ReportFormat):
    """`--json`: the `gatescan.report/v1` document, the one every `report` command reads back."""

    def render(self, report: Report, options: RenderOptions) -> Iterator[str]:
        return iter_report_json(report)


def write_text_atomic(dest: str, chunks: str | Iterable[str]) -> None:
    """Write a whole file so a reader never sees half of it (a crash leaves the old file)."""
    chunks = [chunks] if isinstance(chunks, str) else chunks
    path = Path(dest)
    if path.exists() and not path.is_file():  # /dev/stdout, a FIFO: write straight through
        with open(path, "w", encoding="utf-8", errors="backslashreplace") as fh:
            fh.writelines(chunks)
        return
    directory = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        # backslashreplace: a file name that is not UTF-8 (kept as surrogates) becomes a \udcNN
        # escape, so the document stays valid UTF-8 and valid JSON instead of failing to write.
        with os.fdopen(fd, "w", encoding="utf-8", errors="backslashreplace", buffering=1 << 20) as fh:
            fh.writelines(chunks)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def parse_report(text: str, where: str = "<string>") -> Report:
    """Parse a report document; ReportLoadError names `where` and what is wrong."""
    if not text.strip():
        raise ReportLoadError(where, "empty file, not a gatescan report")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        if exc.pos >= len(text.rstrip()):
            raise ReportLoadError(where, f"truncated JSON (ends early at line {exc.lineno}, column {exc.colno})") from None
        raise ReportLoadError(where, f"not JSON: {json_problem(exc)}") from None
    except (ValueError, RecursionError) as exc:  # a 5,000-digit number; arrays nested 100,000 deep
        raise ReportLoadError(where, f"not a usable JSON document: {_short(exc)}") from None
    if not isinstance(data, dict):
        raise ReportLoadError(where, f"not a gatescan report (top level is a JSON {type(data).__name__})")
    if _too_deep(data):  # renderers and the model recurse: refuse what would exhaust the stack
        raise ReportLoadError(where, f"malformed gatescan report: nested deeper than {MAX_DEPTH} levels")
    if data.get("schema") != SCHEMA:
        found = data.get("schema")
        what = f"schema {found!r}" if found is not None else "no 'schema' field"
        raise ReportLoadError(where, f"not a gatescan report ({what}; expected {SCHEMA!r})")
    version = str(data.get("schema_version", ""))
    if version.split(".")[0] != SCHEMA_VERSION.split(".")[0]:
        raise ReportLoadError(where, f"unsupported schema_version {data.get('schema_version')!r} "
                                     f"(this gatescan reads {SCHEMA_VERSION.split('.')[0]}.x)")
    problem = schema_problem(data)
    if problem:
        raise ReportLoadError(where, f"malformed gatescan report: {problem}")
    try:
        return Report.from_dict(data)
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        raise ReportLoadError(where, f"malformed gatescan report: {_short(exc)}") from None


def load_report(path: str) -> Report:
    """Read a saved report ("-" is stdin)."""
    where = "<stdin>" if path == "-" else str(path)
    try:
        if path != "-":
            text = read_user_text(path, MAX_REPORT_BYTES)
        else:
            text = read_user_stream(sys.stdin.buffer, MAX_REPORT_BYTES)
    except UserFileError as exc:
        raise ReportLoadError(where, str(exc)) from None
    return parse_report(text, where)


def schema_problem(doc: object) -> str | None:
    """What makes `doc` fail the published schema (its JSON path first), or None when it passes."""
    import fastjsonschema

    try:
        _schema_validator()(doc)
    except fastjsonschema.JsonSchemaValueException as exc:
        return _short(exc.message.replace("data", "$", 1))
    return None


@lru_cache(maxsize=1)
def _schema_validator():
    """The schema compiled to Python once. fastjsonschema, not jsonschema: a 100,000-finding
    report validates in about 1 s of CPU where jsonschema takes about 30 s. It reads the schema
    as draft-07; the keywords the schema uses mean the same in 2020-12 (a test keeps it so)."""
    import fastjsonschema

    text = resources.files("gatescan").joinpath("schemas/report-v1.schema.json").read_text(encoding="utf-8")
    return fastjsonschema.compile(json.loads(text))


def _too_deep(data: object) -> bool:
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
        for child in children:
            if isinstance(child, (dict, list)):
                if depth >= MAX_DEPTH:
                    return True
                stack.append((child, depth + 1))
    return False


def _short(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    return text if len(text) <= 300 else text[:297] + "..."
