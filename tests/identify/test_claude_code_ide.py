"""Claude Code IDE WebSocket: the vulnerable twin (tools answered) and the hardened one (refused)."""

from __future__ import annotations

import pytest

from tests.identify._twins import identify_twin, lab_twins, started
from tests.netns import requires_netns

TWINS = lab_twins("claude_ide")


@pytest.mark.parametrize("svc", TWINS, ids=lambda s: s.key)
async def test_twin_is_named_with_its_version(svc):
    service = await identify_twin(svc)
    assert (service.product, service.version) == ("claude-code-ide", svc.identified_version)


@requires_netns
@pytest.mark.parametrize("svc", TWINS, ids=lambda s: s.key)
async def test_twin_on_its_default_port(svc):
    service = await identify_twin(svc, "127.0.10.16", svc.port)
    assert (service.product, service.version) == ("claude-code-ide", svc.identified_version)


# The refusals and the tool set, as claudecode.nvim's handshake.lua / PROTOCOL.md state them.

from tests.identify._real import UPGRADE, exchange  # noqa: E402


async def test_hardened_twin_refuses_like_claudecode_nvim():
    async with started(next(s for s in TWINS if s.twin == "hardened")) as handle:
        plain = await exchange("127.0.0.1", handle.port, "GET", "/", {})
        upgrade = await exchange("127.0.0.1", handle.port, "GET", "/", {**UPGRADE, "Origin": "http://scanner.invalid"})
    assert plain[0] == upgrade[0] == 400
    assert plain[1]["content-type"].startswith("text/plain") and plain[1]["connection"] == "close"


async def test_vulnerable_twin_serves_the_ide_tools_to_any_origin():
    import json

    from websockets.asyncio.client import connect

    async with started(next(s for s in TWINS if s.twin == "vulnerable")) as handle:
        async with connect(f"ws://127.0.0.1:{handle.port}/", origin="http://scanner.invalid") as ws:
            await ws.send(json.dumps({"jsonrpc": "2.0", "id": 7, "method": "tools/list", "params": {}}))
            reply = json.loads(await ws.recv())
    names = {t["name"] for t in reply["result"]["tools"]}
    assert {"openFile", "openDiff", "getDiagnostics", "executeCode", "close_tab"} <= names
