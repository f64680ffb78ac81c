"""Jupyter Server: both lab twins are named with their version; the real server too."""

from __future__ import annotations

import pytest

from gatescan.identify.engine import identify
from gatescan.model import Endpoint
from gatescan.net.client import Client
from tests.identify._twins import identify_twin, lab_twins, started
from tests.netns import requires_netns

TWINS = lab_twins("jupyter")


@pytest.mark.parametrize("svc", TWINS, ids=lambda s: s.key)
async def test_twin_is_named_with_its_version(svc):
    service = await identify_twin(svc)
    assert (service.product, service.version) == ("jupyter-server", svc.identified_version)


@requires_netns
@pytest.mark.parametrize("svc", TWINS, ids=lambda s: s.key)
async def test_twin_on_its_default_port(svc):
    service = await identify_twin(svc, "127.0.10.12", svc.port)
    assert (service.product, service.version) == ("jupyter-server", svc.identified_version)


# ---------------------------------------------------------------- the real jupyter_server

import importlib.metadata  # noqa: E402
import importlib.util  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402

from tests.identify._real import UPGRADE, exchange, free_port, running  # noqa: E402

HAVE_JUPYTER = importlib.util.find_spec("jupyter_server") is not None
needs_jupyter = pytest.mark.skipif(not HAVE_JUPYTER, reason="jupyter_server is not installed (the test extra installs it)")

# The settings each twin stands for: the default (token on), and the token-less server with
# allow_origin='*' and allow_remote_access (products.md §1.8).
REAL_ARGS = {
    "jupyter-hardened": [],
    "jupyter-vulnerable": ["--IdentityProvider.token=", "--ServerApp.allow_origin=*",
                           "--ServerApp.allow_remote_access=True"],
}


def _jupyter(tmp_path, host: str, port: int, extra: list[str]):
    env = dict(os.environ, HOME=str(tmp_path), JUPYTER_CONFIG_DIR=str(tmp_path / "config"),
               JUPYTER_DATA_DIR=str(tmp_path / "data"), JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"),
               JUPYTER_PLATFORM_DIRS="1")
    argv = [sys.executable, "-m", "jupyter_server", "--no-browser", f"--ip={host}", f"--port={port}",
            "--port-retries=0", f"--ServerApp.root_dir={tmp_path}", "--allow-root", *extra]
    return running(argv, host, port, env=env, cwd=tmp_path)


@requires_netns  # a real server may phone home (extension and version checks)
@needs_jupyter
@pytest.mark.parametrize("twin", sorted(REAL_ARGS))
async def test_real_jupyter_server_is_named_with_its_version(tmp_path, twin):
    host, port = "127.0.0.1", free_port()
    async with _jupyter(tmp_path, host, port, REAL_ARGS[twin]):
        async with Client() as client:
            service = await identify(Endpoint(host, port), client)
    assert service.product == "jupyter-server"
    assert service.version == importlib.metadata.version("jupyter_server")
    assert service.extra["attributes"]["tornado"] == importlib.metadata.version("tornado")


def _requests(host: str, port: int) -> list[tuple[str, str, dict[str, str]]]:
    rebind = f"rebind.test:{port}"
    return [
        ("GET", "/api", {}),
        ("GET", "/api/kernels", {}),
        ("GET", "/api/kernels", {"Origin": "http://scanner.invalid"}),
        ("GET", "/api/kernels", {"Host": f"scanner.invalid:{port}"}),
        ("GET", "/api/kernels", {"Host": rebind, "Origin": f"http://{rebind}"}),
        ("GET", "/api/events/subscribe", {**UPGRADE, "Origin": "http://scanner.invalid"}),
        ("GET", "/api/events/subscribe", dict(UPGRADE)),
    ]


async def _answers(host: str, port: int) -> list[tuple]:
    out = []
    for method, path, headers in _requests(host, port):
        status, got = await exchange(host, port, method, path, headers)
        out.append((method, path, tuple(sorted(headers.items())), status,
                    got.get("server", "").split("/")[0], got.get("access-control-allow-origin")))
    return out


@requires_netns
@needs_jupyter
@pytest.mark.parametrize("twin", sorted(REAL_ARGS))
async def test_twin_answers_like_the_real_server(tmp_path, twin):
    """Status, Server and CORS header of every request the checks send: twin == real."""
    svc = next(s for s in TWINS if s.key == twin)
    host, port = "127.0.0.1", free_port()
    async with _jupyter(tmp_path, host, port, REAL_ARGS[twin]):
        real = await _answers(host, port)
    async with started(svc, host) as handle:
        lab = await _answers(host, handle.port)
    strip = lambda rows: [(m, p, s, srv, acao) for m, p, _, s, srv, acao in rows]  # noqa: E731
    assert strip(lab) == strip(real)
