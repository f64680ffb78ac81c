"""Severity follows what a product can do when a page or a neighbour drives it (issue 13, item 5).

This is the one table (docs/checks.md shows it, a test keeps the two in sync); a product's
class decides every network finding's severity. Unknown products count as `data`.
"""

from __future__ import annotations

import re
from typing import Any

from ..model import Severity

# class -> (severity, what driving it means)
CLASSES: dict[str, tuple[Severity, str]] = {
    "control": (Severity.CRITICAL, "runs commands, reads/writes files, drives a browser or sends messages"),
    "data": (Severity.HIGH, "reads or changes the user's data, flows or agents, without a shell of its own"),
    "inference": (Severity.MEDIUM, "model inference only (free compute, model listing)"),
}

PRODUCT_IMPACT: dict[str, str] = {
    "openclaw-gateway": "control",  # shell (exec, terminal.open), files, browser, messages
    "openclaw-browser-control": "control",
    "openclaw-extension-relay": "control",
    "chrome-devtools": "control",  # JavaScript in every page, cookies
    "jupyter-server": "control",  # kernels and terminals
    "claude-code-ide": "control",  # files, diffs, code execution in notebooks
    "mcp-inspector": "control",  # /stdio spawns a command
    "ray-dashboard": "control",  # job submission is a shell
    "langflow": "control", "flowise": "control", "n8n": "control", "openhands": "control",
    "comfyui": "control",  # custom nodes run code
    "open-webui": "data", "anythingllm": "data", "dify": "data", "letta": "data",
    "a2a-agent": "data", "gradio": "data",
    "mcp-server": "data",  # raised to control when its tools look like shell/file/browser ones
    "ollama": "inference", "lm-studio": "inference", "llama-cpp-server": "inference",
    "vllm": "inference", "localai": "inference", "litellm-proxy": "inference",
    "text-generation-webui": "inference",
}

# MCP tool names that mean the server can act on the machine (products.md §1.5, mcp-enum).
RISKY_TOOL = re.compile(r"exec|shell|command|run|terminal|bash|eval|python|file|write|delete|"
                        r"browser|navigate|click|fetch|http|sql|query|send|email|message", re.I)

# Checks whose impact needs a credential the page does not have when auth is enforced:
# one step lower then (the page must still guess or steal it).
AUTH_DEPENDENT = {"ws.origin.unchecked", "http.cors.permissive"}


def impact_class(product: str, fingerprint_impact: str | None = None, tools: list[str] | None = None) -> str:
    cls = fingerprint_impact if fingerprint_impact in CLASSES else PRODUCT_IMPACT.get(product, "data")
    if cls == "data" and tools and any(RISKY_TOOL.search(t) for t in tools):
        cls = "control"
    return cls


def severity(check_id: str, product: str, *, fingerprint_impact: str | None = None,
             tools: list[str] | None = None, auth_enforced: bool = False) -> Severity:
    sev = CLASSES[impact_class(product, fingerprint_impact, tools)][0]
    if auth_enforced and check_id in AUTH_DEPENDENT:
        sev = list(Severity)[max(sev.rank - 1, 0)]
    return sev


def table() -> list[dict[str, Any]]:
    """Rows for docs/checks.md: class, severity, meaning, products."""
    rows = []
    for cls, (sev, meaning) in CLASSES.items():
        products = sorted(p for p, c in PRODUCT_IMPACT.items() if c == cls)
        rows.append({"class": cls, "severity": sev.value, "meaning": meaning, "products": products})
    return rows
