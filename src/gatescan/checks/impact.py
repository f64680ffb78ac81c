"""Which impact class each product has (issue 13, item 5); the severity policy itself is the
catalogue's (gatescan/catalog.py). Unknown products count as `data`.
"""

from __future__ import annotations

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


def of(product: str, fingerprint_impact: str | None = None) -> str | None:
    return fingerprint_impact or PRODUCT_IMPACT.get(product)
