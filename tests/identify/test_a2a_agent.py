"""A2A agents: every card path and era is named `a2a-agent` with the agent's version, and
auth.missing proves (or refutes) missing authentication with a read-only task call the card declares."""

from __future__ import annotations

import pytest

from gatescan.checks import run_checks
from gatescan.identify.fingerprints import get as fingerprint
from gatescan.model import CheckStatus
from gatescan.net.client import Client
from gatescan.protocols import a2a
from tests.identify._twins import identify_twin, lab_twins, started
from tests.netns import requires_netns

TWINS = lab_twins("a2a")
VARIANT = {"a2a-v1-vulnerable": "v1.0", "a2a-v03-vulnerable": "v0.3", "a2a-v02-vulnerable": "v0.2",
           "a2a-hardened": "v1.0"}


@pytest.mark.parametrize("svc", TWINS, ids=lambda s: s.key)
async def test_twin_is_named_with_its_era_and_version(svc):
    service = await identify_twin(svc)
    assert (service.product, service.version) == ("a2a-agent", svc.identified_version)
    assert service.extra["attributes"]["variant"] == VARIANT[svc.key]
    assert service.extra["attributes"]["agent_name"] == "Hello World Agent"


@requires_netns
@pytest.mark.parametrize("svc", TWINS[:1], ids=lambda s: s.key)
async def test_twin_on_its_default_port(svc):
    service = await identify_twin(svc, "127.0.10.11", svc.port)
    assert service.product == "a2a-agent"


def test_card_parsing_reads_both_url_forms():
    modern = a2a.parse_card({"name": "x", "skills": [], "supportedInterfaces": [
        {"url": "http://h:1/rpc", "protocolBinding": "JSONRPC", "protocolVersion": "1.0"}],
        "capabilities": {"extendedAgentCard": True}}, "/.well-known/agent-card.json")
    old = a2a.parse_card({"name": "x", "skills": [], "url": "http://h:1/", "protocolVersion": "0.3.0",
                          "securitySchemes": {"b": {}}}, "/.well-known/agent.json")
    assert modern.modern and modern.extended and modern.interfaces[0].url == "http://h:1/rpc"
    assert not old.modern and old.security and old.interfaces[0].binding == "JSONRPC"
    assert a2a.parse_card({"name": "not a card"}, "/x") is None
    assert a2a.local_path("http://public.example:443/a2a/v1?x=1") == "/a2a/v1?x=1"


@pytest.mark.parametrize("svc", TWINS, ids=lambda s: s.key)
async def test_auth_missing_proves_with_a_read_only_call(svc):
    async with started(svc) as handle, Client() as client:
        base = f"http://127.0.0.1:{handle.port}"
        result = await a2a.check_auth(client, base, task_id="gatescan-probe-000")
    if svc.twin == "hardened":
        assert result.state.name == "CLOSED", result.reason
        assert "401" in result.reason
    else:
        assert result.state.name == "OPEN", result.reason
        sent = " ".join(str(e["request"]) for e in result.exchanges)
        assert "message/send" not in sent and "SendMessage" not in sent
        want = "ListTasks" if svc.key == "a2a-v1-vulnerable" else "tasks/get"
        assert want in result.call


@pytest.mark.parametrize("svc", TWINS, ids=lambda s: s.key)
async def test_checks_report_what_the_twin_expects(svc):
    async with started(svc) as handle, Client() as client:
        from gatescan.identify.engine import identify
        from gatescan.model import Endpoint
        service = await identify(Endpoint("127.0.0.1", handle.port), client)
        findings = await run_checks(service, fingerprint("a2a-agent"), client)
    assert {f.check for f in findings} == set(svc.expected)
    result = next(c for c in service.checks if c.check == "auth.missing")
    assert result.result is (CheckStatus.FINDING if svc.expected else CheckStatus.PASSED), result.reason


# ---- the real a2a-sdk (scripts/install-products: a virtualenv per release under the lab cache)

import os  # noqa: E402
from pathlib import Path  # noqa: E402

from tests.identify._real import free_port, running  # noqa: E402

CACHE = Path(os.environ.get("GATESCAN_LAB_CACHE", Path.home() / ".cache" / "gatescan-lab"))
AGENT = Path(__file__).with_name("a2a_real_agent.py")


@requires_netns  # the SDK may phone home; the namespace has no route out
@pytest.mark.parametrize("version,variant,call", [("0.3.26", "v0.3", "tasks/get"), ("1.3.0", "v1.0", "ListTasks")])
async def test_real_sdk_named_and_open(version, variant, call):
    python = CACHE / f"a2a-sdk-{version}" / "bin" / "python"
    if not python.exists():
        pytest.skip(f"a2a-sdk {version} is not installed under {CACHE} (scripts/install-products installs it)")
    port = free_port()
    async with running([str(python), str(AGENT), str(port)], "127.0.0.1", port), Client() as client:
        from gatescan.identify.engine import identify
        from gatescan.model import Endpoint
        service = await identify(Endpoint("127.0.0.1", port), client)
        findings = await run_checks(service, fingerprint("a2a-agent"), client)
    assert (service.product, service.version) == ("a2a-agent", "1.0.0")
    assert service.extra["attributes"]["variant"] == variant
    assert {f.check for f in findings} == {"auth.missing", "http.host.unchecked"}  # no Host check in the SDK
    assert call in next(c for c in service.checks if c.check == "auth.missing").reason
