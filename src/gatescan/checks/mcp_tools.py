"""MCP tool definitions, read from the tools/list auth.missing already made (nothing is sent
again, no tool is called):

- mcp.tool.poisoned: each tool's name, description and input schema matched with the skill
  rules' prompt-injection, exfiltration and hidden-character families (gatescan.skills.rules);
- mcp.tools.changed: the tool set pinned (a hash per tool and for the set, services[].mcp_tools,
  gatescan/toolpins.py); `--baseline` and `report diff` compare it with a baseline report's.
"""

from __future__ import annotations

from typing import Any, Iterator

from .. import toolpins
from ..catalog import ToolPoisonedParams, ToolsChangedParams
from ..net.redact import redact_text
from .registry import Outcome, register

MAX_SCHEMA_TEXT = 64 * 1024  # characters of one schema's strings handed to the rules


def _listed(run) -> tuple[list[dict[str, Any]] | None, Outcome | None]:
    """The tool definitions auth.missing listed, or why there are none to judge."""
    done = run.results.get("auth.missing")
    if done is None:
        return None, Outcome.not_applicable("auth.missing did not run, so no tools/list was read")
    defs = done.data.get("tool_defs")
    if defs is None:
        return None, Outcome.not_applicable("tools/list did not answer without credentials: no tool definitions "
                                            f"to read ({done.reason})")
    return defs, None


def _schema_strings(value: Any, path: str = "") -> Iterator[str]:
    """Every key and string in an input schema, one per line with its place (descriptions,
    enums and defaults are where a poisoned schema speaks to the model)."""
    if isinstance(value, dict):
        for key, item in value.items():
            here = f"{path}.{key}" if path else str(key)
            if isinstance(item, str):
                yield f"{here}: {item}"
            else:
                yield from _schema_strings(item, here)
    elif isinstance(value, list):
        for i, item in enumerate(value[:200]):
            yield from _schema_strings(item, f"{path}[{i}]")
    elif isinstance(value, str):
        yield f"{path}: {value}"


def _texts(tool: dict[str, Any]) -> Iterator[tuple[str, str, str]]:
    """(field, text, source name for the rules) for one tool."""
    yield "name", str(tool.get("name", "")), "mcp-tool-name.txt"
    if isinstance(tool.get("description"), str):
        yield "description", tool["description"], "mcp-tool-description.md"
    if "inputSchema" in tool:
        yield "inputSchema", "\n".join(_schema_strings(tool["inputSchema"]))[:MAX_SCHEMA_TEXT], "mcp-tool-schema.txt"


@register("mcp.tool.poisoned")
async def tool_poisoned(run, params: ToolPoisonedParams) -> Outcome:
    defs, stop = _listed(run)
    if stop is not None:
        return stop
    try:
        from ..skills.rules import load_rules

        rules = load_rules()
    except ImportError as exc:  # the rules engine needs google-re2 (pyproject dependencies)
        return Outcome.inconclusive(f"the skill rules engine is unavailable ({exc})")
    families = frozenset(params.families)
    hits = []
    for tool in defs:
        for where, text, source in _texts(tool):
            for hit in rules.scan_text(text, source=source, kinds=families):
                hits.append((str(tool.get("name"))[:80], where, hit))
    if not hits:
        return Outcome.passed(f"no {', '.join(sorted(families))} rule matched the {len(defs)} tools' names, "
                              "descriptions or input schemas")
    worst = max((h.severity for _, _, h in hits), key=lambda s: s.rank)
    named = sorted({name for name, _, _ in hits})
    lines = [f"{name} {where} line {h.line}: {h.rule_id} ({h.severity.value}): {h.reason}; "
             f"signals {', '.join(h.signals) or '-'}; excerpt {h.excerpt[:160]!r}" for name, where, h in hits[:20]]
    done = run.results["auth.missing"]
    summary = (f"tools/list (read without credentials, no tool called) returned {len(named)} tool(s) whose "
               f"definitions speak to the model: " + " | ".join(lines)
               + ". An agent that loads this server reads these words as instructions.")
    return Outcome.finding(
        f"{len(hits)} rule match(es) in {', '.join(named[:8])}", redact_text(summary), done.exchanges,
        target=done.target, data={"rule_severity": worst, "poisoned_tools": named,
                                  "rules": sorted({h.rule_id for _, _, h in hits})})


@register("mcp.tools.changed")
async def tools_changed(run, params: ToolsChangedParams) -> Outcome:
    """Pins the tool set here; the comparison with a baseline is the report's (toolpins)."""
    defs, stop = _listed(run)
    if stop is not None:
        return stop
    done = run.results["auth.missing"]
    pin = toolpins.pin_tools(defs, endpoint=done.data.get("endpoint") or run.base_url, era=done.data.get("era"),
                             excerpt=redact_text, impact=run.fingerprint_impact)
    run.service.mcp_tools = pin.to_dict()
    return Outcome.not_applicable(f"{len(pin.tools)} tools pinned (set sha256 {pin.sha256[:16]}); no baseline "
                                  "compared yet (--baseline REPORT or gatescan report diff)")

