"""Every format from the same saved report (what `gatescan report render` does), and JSONL
lines reach a reader through a real pipe while the writer is still running."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from gatescan.report import FORMATS, render_report, write_report
from gatescan.report.jsonout import load_report
from tests.report.conftest import DATA

REPO = DATA.parent.parent.parent


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_from_the_saved_report(tmp_path, fmt, validate_report):
    report = load_report(str(DATA / "full-report.json"))
    out = tmp_path / f"out.{fmt}"
    write_report(report, fmt, str(out))
    text = out.read_text(encoding="utf-8")
    assert text == render_report(report, fmt)
    if fmt == "json":
        validate_report(json.loads(text))
        assert load_report(str(out)) == report
    elif fmt == "jsonl":
        assert all(json.loads(line)["type"] for line in text.splitlines())
    elif fmt == "sarif":
        assert json.loads(text)["version"] == "2.1.0"
    elif fmt == "html":
        assert "gatescan report" in text
    else:
        assert "anyone on this network can drive" in text


def test_unknown_format():
    with pytest.raises(ValueError, match="unknown format"):
        render_report(load_report(str(DATA / "full-report.json")), "pdf")


WRITER = """
import sys
from gatescan.report.jsonl import JsonlWriter
from tests.report.synth import full_report
w = JsonlWriter("-")
w.finding(full_report().findings[0])
sys.stdin.readline()          # hold until the reader has seen the first event
w.summary(full_report())
"""


def test_first_event_arrives_before_the_writer_ends():
    proc = subprocess.Popen([sys.executable, "-c", WRITER], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True, cwd=REPO)
    try:
        first = json.loads(proc.stdout.readline())
        assert first["type"] == "finding"
        assert proc.poll() is None  # still running: the line was flushed, not buffered to the end
        proc.stdin.write("go\n")
        proc.stdin.flush()
        assert json.loads(proc.stdout.readline())["type"] == "summary"
    finally:
        proc.stdin.close()
        proc.wait(timeout=30)
