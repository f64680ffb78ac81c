"""n8n: both twins are named with the version n8n 2.x ships base64-encoded in its editor page;
an instance whose owner setup is still open is told apart and reported with that proof; the
instance-level MCP server is n8n's embedded surface, checked as MCP."""

from __future__ import annotations

import pytest

from gatescan.checks import run_checks
from gatescan.identify.engine import identify
from gatescan.identify.fingerprints import Extractor, get
from gatescan.identify.matcher import extract
from gatescan.model import Endpoint
from gatescan.net.client import Client
from tests.identify._twins import identify_twin, lab_twins, started
from tests.netns import requires_netns

TWINS = lab_twins("n8n")
BY_TWIN = {s.twin: s for s in TWINS}


@pytest.mark.parametrize("svc", TWINS, ids=lambda s: s.key)
async def test_twin_is_named_with_its_version(svc):
    service = await identify_twin(svc)
    assert (service.product, service.version) == ("n8n", svc.identified_version)


@requires_netns
@pytest.mark.parametrize("svc", TWINS, ids=lambda s: s.key)
async def test_twin_on_its_default_port(svc):
    service = await identify_twin(svc, "127.0.17.5", svc.port)
    assert (service.product, service.version) == ("n8n", svc.identified_version)


async def _scan(svc):
    async with started(svc) as handle, Client() as client:
        service = await identify(Endpoint("127.0.0.1", handle.port), client)
        findings = await run_checks(service, get("n8n"), client)
    return service, findings


async def test_open_owner_setup_is_a_finding_with_evidence():
    service, findings = await _scan(BY_TWIN["vulnerable"])
    assert service.extra["attributes"]["variant"] == "owner setup open"
    [auth] = [f for f in findings if f.check == "auth.missing"]
    assert not auth.extra and "showSetupOnFirstLoad is true" in auth.evidence.summary
    assert '"showSetupOnFirstLoad":true' in auth.evidence.exchanges[0].response["body"].replace(" ", "")
    assert auth.severity.value == "critical"


async def test_instance_mcp_server_is_n8ns_surface():
    for svc in TWINS:
        service, findings = await _scan(svc)
        assert service.product == "n8n"
        assert [s["path"] for s in service.extra["attributes"]["embedded"]] == ["/mcp-server/http"]
        mcp = {c.check: c for c in service.checks if c.extra}
        assert mcp["auth.missing"].result.value == "passed" and 'realm="n8n MCP Server"' in mcp["auth.missing"].reason
    assert findings == []  # the hardened twin, last


def _ex(**kw):
    return Extractor(probe="root", **kw)


class _Body:
    def __init__(self, text):
        self.text = text


@pytest.mark.parametrize("body,want", [
    ('<meta name="n8n:config:sentry" content="eyJkc24iOiIiLCJyZWxlYXNlIjoibjhuQDIuOC40In0=">', "2.8.4"),
    ('<meta name="n8n:config:sentry" content="eyJkc24iOiIifQ==">', None),  # no release in it
    ('<meta name="n8n:config:sentry" content="!!!notbase64">', None),
])
def test_base64_decoding_extractor(body, want):
    ex = _ex(regex=r'n8n:config:sentry" content="([^"]+)"', decode="base64",
             decoded_regex=r'"release"\s*:\s*"n8n@([^"]+)"')
    assert extract(ex, _Body(body)) == want
