"""Codex app-server: both twins are named; the version shows only without --ws-auth; the twins
answer the listener's requests as the real 0.171.0 did (lab/codex_app_server.py)."""

from __future__ import annotations

import pytest

from gatescan.checks import run_checks
from gatescan.identify.engine import identify
from gatescan.identify.fingerprints import get as fingerprint
from gatescan.model import CheckStatus, Endpoint
from gatescan.net.client import Client
from tests.identify._real import UPGRADE, exchange
from tests.identify._twins import identify_twin, lab_twins, started

TWINS = lab_twins("codex_app_server")


@pytest.mark.parametrize("svc", TWINS, ids=lambda s: s.key)
async def test_twin_is_named(svc):
    service = await identify_twin(svc)
    assert (service.product, service.version) == ("codex-app-server", svc.identified_version)


CASES = [
    # (path, headers, vulnerable status, hardened status)
    ("/readyz", {}, 200, 200),
    ("/", {}, 400, 400),
    ("/anything", {}, 400, 400),
    ("/", UPGRADE, 101, 401),
    ("/", {**UPGRADE, "Authorization": "Bearer wrong"}, 101, 401),
    ("/", {**UPGRADE, "Origin": "http://127.0.0.1"}, 403, 403),  # any Origin, its own too
]


@pytest.mark.parametrize("path,headers,vulnerable,hardened", CASES)
async def test_twins_answer_as_the_real_listener(path, headers, vulnerable, hardened):
    for svc, want in zip(TWINS, (vulnerable, hardened)):
        async with started(svc) as handle:
            status, got = await exchange("127.0.0.1", handle.port, "GET", path, headers)
        assert status == want, (svc.key, path, headers)
        assert "server" not in got


@pytest.mark.parametrize("svc", TWINS, ids=lambda s: s.key)
async def test_checks(svc):
    async with started(svc) as handle, Client() as client:
        service = await identify(Endpoint("127.0.0.1", handle.port), client)
        findings = await run_checks(service, fingerprint("codex-app-server"), client)
    assert {f.check for f in findings} == set(svc.expected)
    origin = next(c for c in service.checks if c.check == "ws.origin.unchecked")
    assert origin.result is not CheckStatus.FINDING


# ---- the real listener (scripts/install-products: npm @openai/codex 0.171.0, its Linux binary)

import os  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

from tests.identify._real import free_port, running  # noqa: E402
from tests.netns import requires_netns  # noqa: E402

CACHE = Path(os.environ.get("GATESCAN_LAB_CACHE", Path.home() / ".cache" / "gatescan-lab"))
CODEX = CACHE / "codex-0.171.0/node_modules/@openai/codex-linux-x64/vendor/x86_64-unknown-linux-musl/bin/codex"


@requires_netns  # it phones home at start; the namespace has no route out
@pytest.mark.parametrize("auth", [False, True], ids=["no-ws-auth", "capability-token"])
async def test_real_app_server_named_and_checked(auth):
    if not CODEX.exists():
        pytest.skip(f"@openai/codex 0.171.0 is not installed under {CACHE} (scripts/install-products installs it)")
    with tempfile.TemporaryDirectory(prefix="gatescan-codex-") as home:
        port = free_port()
        argv = [str(CODEX), "app-server", "--listen", f"ws://127.0.0.1:{port}"]
        if auth:
            token = Path(home) / "token"
            token.write_text("gatescan-test-capability-token-0123456789")
            token.chmod(0o600)
            argv += ["--ws-auth", "capability-token", "--ws-token-file", str(token)]
        env = dict(os.environ, HOME=home, CODEX_HOME=home)
        async with running(argv, "127.0.0.1", port, env=env), Client() as client:
            service = await identify(Endpoint("127.0.0.1", port), client)
            findings = await run_checks(service, fingerprint("codex-app-server"), client)
            real = [await exchange("127.0.0.1", port, "GET", path, headers) for path, headers, *_ in CASES]
    assert (service.product, service.version) == ("codex-app-server", None if auth else "0.171.0")
    assert {f.check for f in findings} == (set() if auth else {"auth.missing"})
    twin = TWINS[1 if auth else 0]
    async with started(twin) as handle:
        lab = [await exchange("127.0.0.1", handle.port, "GET", path, headers) for path, headers, *_ in CASES]
    assert [status for status, _ in lab] == [status for status, _ in real]
