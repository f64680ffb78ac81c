"""Suite-wide fixtures. Area fixtures live in tests/<area>/conftest.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.netns import in_private_netns

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def report_schema() -> dict:
    path = REPO / "src" / "gatescan" / "schemas" / "report-v1.schema.json"
    return json.loads(path.read_text())


@pytest.fixture
def validate_report(report_schema):
    """Validate a report document (dict) against the published JSON Schema."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(report_schema)

    def _validate(doc: dict) -> dict:
        errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
        assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:10])
        return doc

    return _validate


def pytest_report_header(config):
    return f"private network namespace: {'yes' if in_private_netns() else 'NO (netns tests skip)'}"
