"""Secrets never reach a report: `gatescan scan` of lab twins that leak fake credentials where
the real products leak real ones (the MCP Inspector's /config environment, Jupyter's login
cookie, a browser-control profile URL with ?token=) writes none of them to JSON, JSONL, SARIF or
HTML, while the findings those answers prove are all still there."""

from __future__ import annotations

import asyncio
import html
import importlib
import json
import re

from gatescan._paths import import_lab
from gatescan.labrun import running_lab
from tests.cli.conftest import gatescan_exe
from tests.netns import requires_netns

pytestmark = requires_netns

LEAKY = ["mcp-inspector-vulnerable", "jupyter-vulnerable", "jupyter-hardened", "openclaw-browser-control-open"]
MARK = re.compile(r"<redacted, \d+ chars>")


def planted() -> list[str]:
    import_lab()
    return list(importlib.import_module("gatescan.lab._fake_secrets").PLANTED)


async def _gatescan(*args: str) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(gatescan_exe(), *args, stdout=asyncio.subprocess.PIPE,
                                                stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), 180)
    return proc.returncode, out.decode(), err.decode()


async def test_no_planted_secret_reaches_any_output(tmp_path, validate_report):
    async with running_lab(LEAKY, base="127.0.45.0") as lab:
        by_host = {e["host"]: e["key"] for e in lab.entries}
        ports = ",".join(sorted({str(e["port"]) for e in lab.entries}))
        files = {fmt: tmp_path / f"report.{fmt}" for fmt in ("json", "jsonl", "sarif", "html")}
        rc, out, err = await _gatescan("scan", *sorted(by_host), "-p", ports, "--quiet",
                                       *(a for fmt, path in files.items() for a in (f"--{fmt}", str(path))))
    assert rc == 1, out + err  # critical findings: the scan itself went through
    secrets = planted()
    assert len(secrets) >= 6, secrets  # the twins above planted their fakes in this process
    texts = {fmt: path.read_text() for fmt, path in files.items()}
    texts["html"] = html.unescape(texts["html"])
    for fmt, text in texts.items():
        assert "labfake" not in text, (fmt, text[max(0, text.find("labfake") - 200):text.find("labfake") + 80])
        for secret in secrets:
            assert secret not in text and secret.split("labfake")[1][:12] not in text, (fmt, secret)
        assert MARK.search(text), fmt  # the evidence still shows that a secret was there

    # ... and the findings those answers prove are all there, with their evidence
    doc = validate_report(json.loads(texts["json"]))
    found = {(by_host[f["host"]], f["check"]) for f in doc["findings"]}
    assert {("mcp-inspector-vulnerable", "auth.missing"), ("mcp-inspector-vulnerable", "http.cors.permissive"),
            ("mcp-inspector-vulnerable", "http.host.unchecked"), ("jupyter-vulnerable", "auth.missing"),
            ("openclaw-browser-control-open", "auth.missing")} <= found, sorted(found)
    assert not {key for key, _ in found} & {"jupyter-hardened"}
    inspector = next(f for f in doc["findings"]
                     if by_host[f["host"]] == "mcp-inspector-vulnerable" and f["check"] == "auth.missing")
    (exchange,) = inspector["evidence"]["exchanges"]
    assert exchange["request"]["url"].endswith("/config") and exchange["response"]["status"] == 200
    body = exchange["response"]["body"]
    assert '"defaultEnvironment":{"HOME":"/home/dev"' in body
    assert re.search(r'"OPENAI_API_KEY":"<redacted, \d+ chars>"', body)
    assert re.search(r'"GITHUB_PERSONAL_ACCESS_TOKEN":"<redacted, \d+ chars>', body)  # cut by the excerpt
    browser = next(f for f in doc["findings"]
                   if by_host[f["host"]] == "openclaw-browser-control-open" and f["check"] == "auth.missing")
    assert re.search(r"browserless\.io\?token=<redacted, \d+ chars>", browser["evidence"]["exchanges"][0]["response"]["body"])
    # whatever response headers are kept, a cookie keeps its name and loses its value
    for f in doc["findings"]:
        for ex in f["evidence"]["exchanges"]:
            for name, value in ((ex.get("response") or {}).get("headers") or {}).items():
                if name.lower() == "set-cookie":
                    assert MARK.search(value), value
    jsonl = [json.loads(line) for line in texts["jsonl"].splitlines()]
    assert {e["check"] for e in jsonl if e["type"] == "finding"} >= {"auth.missing", "http.cors.permissive"}
    sarif = json.loads(texts["sarif"])
    assert {r["ruleId"] for r in sarif["runs"][0]["results"]} >= {"auth.missing"}
