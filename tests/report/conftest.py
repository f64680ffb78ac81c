"""Fixtures for the report tests: the synthetic full report and its saved copy."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.report.synth import full_report

DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture
def report():
    return full_report()


@pytest.fixture
def saved_report(tmp_path, report):
    from gatescan.report import write_report

    path = tmp_path / "report.json"
    write_report(report, "json", str(path))
    return path
