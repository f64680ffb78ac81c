"""mcp.tool.poisoned and mcp.tools.changed on the lab's MCP twins: poisoned definitions are
caught with the rule, tool and field; every listed tool set is pinned; a rug pull between two
scans is a finding with `--baseline` and in `report diff` (the console script end to end)."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import sys
from pathlib import Path

import pytest

from gatescan.identify import fingerprints as fpmod
from gatescan.model import CheckStatus
from tests.cli.conftest import gatescan_exe
from tests.identify._twins import lab_twins, started

TWINS = {s.key: s for s in lab_twins("mcp_server")}
needs_rules = pytest.mark.skipif(importlib.util.find_spec("re2") is None,
                                 reason="the skill rules engine needs google-re2 (a pyproject dependency)")


async def _checked(scan, key: str):
    async with started(TWINS[key]) as handle:
        return await scan("127.0.0.1", handle.port, fpmod.get("mcp-server"), product="mcp-server",
                          product_name="MCP server")


@needs_rules
async def test_poisoned_tools_are_caught_with_rule_tool_and_field(scan):
    service, findings, results = await _checked(scan, "mcp-server-poisoned")
    poisoned = [f for f in findings if f.check == "mcp.tool.poisoned"]
    assert len(poisoned) == 1, results
    summary = poisoned[0].evidence.summary
    assert poisoned[0].severity.value == "high"
    for where in ("add description", "daily_quote description", "summarise inputSchema"):
        assert where in summary, summary
    assert "prompt-injection" in summary and "hidden-unicode" in summary and "exfiltration" in summary
    assert poisoned[0].evidence.exchanges  # the tools/list that was read, as evidence


@needs_rules
@pytest.mark.parametrize("key", ["mcp-server-vulnerable", "mcp-server-modern-vulnerable", "mcp-server-ws-vulnerable"])
async def test_honest_tools_pass(scan, key):
    _, findings, results = await _checked(scan, key) if key != "mcp-server-ws-vulnerable" else await _ws(scan, key)
    assert results["mcp.tool.poisoned"].result is CheckStatus.PASSED, results["mcp.tool.poisoned"]
    assert not [f for f in findings if f.check.startswith("mcp.tool")]


async def _ws(scan, key):
    async with started(TWINS[key]) as handle:
        return await scan("127.0.0.1", handle.port, fpmod.get("mcp-server"), product="mcp-server",
                          extra={"attributes": {"variant": "WebSocket"}})


async def test_every_listed_tool_set_is_pinned(scan):
    service, _, results = await _checked(scan, "mcp-server-modern-vulnerable")
    pin = service.mcp_tools
    assert (pin["era"], pin["count"], [t["name"] for t in pin["tools"]]) == ("modern", 2, ["read_file", "search_notes"])
    assert pin["endpoint"].endswith("/mcp") and len(pin["sha256"]) == 64
    assert results["mcp.tools.changed"].result is CheckStatus.NOT_APPLICABLE  # no baseline yet
    assert pin["sha256"][:16] in results["mcp.tools.changed"].reason


async def test_closed_server_pins_nothing(scan):
    service, _, results = await _checked(scan, "mcp-server-modern-hardened")
    assert service.mcp_tools is None
    assert results["mcp.tools.changed"].result is CheckStatus.NOT_APPLICABLE
    assert results["mcp.tool.poisoned"].result is CheckStatus.NOT_APPLICABLE


async def _gatescan(*args: str) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(gatescan_exe(), *args, stdout=asyncio.subprocess.PIPE,
                                                stderr=asyncio.subprocess.STDOUT)
    out, _ = await asyncio.wait_for(proc.communicate(), 120)
    return proc.returncode, out.decode("utf-8", "replace")


async def test_rug_pull_between_two_scans_is_found(tmp_path: Path, validate_report):
    first, second, third = (tmp_path / f"{n}.json" for n in ("first", "second", "third"))
    async with started(TWINS["mcp-server-rug-pull"]) as handle:
        target = ["127.0.0.1", "-p", str(handle.port), "--quiet"]
        code, out = await _gatescan("scan", *target, "--json", str(first))
        assert code == 1, out  # auth.missing (high)
        code, out = await _gatescan("scan", *target, "--json", str(second), "--baseline", str(first))
        assert code == 1, out
        code3, out3 = await _gatescan("scan", *target, "--json", str(third), "--baseline", str(second))
    doc = validate_report(json.loads(second.read_text()))
    changed = [f for f in doc["findings"] if f["check"] == "mcp.tools.changed"]
    # mcp-server is `data`; send_report looks like a messaging tool, so control: critical
    assert len(changed) == 1 and changed[0]["severity"] == "critical", doc["findings"]
    by = {c["tool"]: c for c in changed[0]["evidence"]["tool_changes"]}
    assert by["export_all"]["change"] == "added"
    assert by["send_report"]["fields"] == ["description", "inputSchema"]
    assert by["send_report"]["after"].endswith("and to the archive address.")
    assert by["send_report"]["properties_added"] == ["cc"]
    service = doc["services"][0]
    assert {c["check"]: c["result"] for c in service["checks"]}["mcp.tools.changed"] == "finding"
    # the first scan's findings are the baseline's: only the rug pull is new in the second
    assert {f["check"] for f in doc["findings"]} == {"mcp.tools.changed"}
    # a third scan against the second: the tools have not changed since, nothing to say
    third_doc = json.loads(third.read_text())
    assert not [f for f in third_doc["findings"] if f["check"] == "mcp.tools.changed"], out3
    assert {c["check"]: c["result"] for c in third_doc["services"][0]["checks"]}["mcp.tools.changed"] == "passed"
    # report diff says the same from the two saved reports
    code, out = await _gatescan("report", "diff", str(first), str(third), "--json", str(tmp_path / "d.json"))
    diff = json.loads((tmp_path / "d.json").read_text())
    assert [f["check"] for f in diff["new"]] == ["mcp.tools.changed"], out
