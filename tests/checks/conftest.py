"""Fixtures for the checks tests: the real OpenClaw gateway (tests/openclaw_real.py), a
per-test CheckContext with short timeouts, and a helper that runs checks on one endpoint."""

from __future__ import annotations

import pytest

from gatescan.checks import CheckContext, run_checks
from gatescan.model import Report, Service
from tests.openclaw_real import (  # noqa: F401  (fixtures)
    real_openclaw_factory, real_openclaw_none, real_openclaw_password, real_openclaw_token,
)


@pytest.fixture
def ctx() -> CheckContext:
    return CheckContext(connect_timeout=2.0, read_timeout=2.0, service_deadline=20.0)


@pytest.fixture
def scan(ctx, validate_report):
    """`await scan(host, port, fingerprint, product=...)` -> (service, findings, results by id),
    after validating the report they make against the schema."""

    async def _scan(host: str, port: int, fingerprint, product: str = "openclaw-gateway", **service_kw):
        service = Service(host=host, port=port, product=product, **service_kw)
        findings = await run_checks(service, fingerprint, ctx)
        report = Report(services=[service], findings=findings)
        report.finish()
        validate_report(report.to_dict())
        return service, findings, {c.check: c for c in service.checks}

    return _scan
