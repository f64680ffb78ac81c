"""Fixtures for the checks tests: the real OpenClaw gateway (tests/openclaw_real.py), a
per-test network client with short timeouts, and a helper that runs checks on one endpoint."""

from __future__ import annotations

import pytest

from gatescan.checks import run_checks
from gatescan.model import Report, Service
from gatescan.net.client import Client
from gatescan.net.limits import Limits
from tests.openclaw_real import (  # noqa: F401  (fixtures)
    real_openclaw_factory, real_openclaw_none, real_openclaw_password, real_openclaw_token,
)


TEST_LIMITS = Limits(connect_timeout=2.0, read_timeout=2.0, service_deadline=20.0)


@pytest.fixture
def limits() -> Limits:
    """The limits `client` is made with; a test overrides this fixture to change them."""
    return TEST_LIMITS


@pytest.fixture
async def client(limits):
    async with Client(limits) as client:
        yield client


@pytest.fixture
def scan(client, validate_report):
    """`await scan(host, port, fingerprint, product=...)` -> (service, findings, results by id),
    after validating the report they make against the schema."""

    async def _scan(host: str, port: int, fingerprint, product: str = "openclaw-gateway", **service_kw):
        service = Service(host=host, port=port, product=product, **service_kw)
        findings = await run_checks(service, fingerprint, client)
        report = Report(services=[service], findings=findings)
        report.finish()
        validate_report(report.to_dict())
        return service, findings, {c.check: c for c in service.checks}

    return _scan
