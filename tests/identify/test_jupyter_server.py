"""Jupyter Server: both lab twins are named with their version; the real server too."""

from __future__ import annotations

import importlib

import pytest

from gatescan._paths import import_lab
from gatescan.identify import identify
from gatescan.model import Endpoint
from gatescan.probes.http import ProbeContext
from tests.netns import requires_netns

import_lab()
TWINS = importlib.import_module("gatescan.lab.jupyter").SERVICES


async def _identify(svc, host: str = "127.0.0.1", port: int = 0):
    handle = await svc.start(host, port)
    try:
        async with ProbeContext() as ctx:
            return await identify(Endpoint(host, handle.port if port == 0 else port), ctx)
    finally:
        await handle.close()


@pytest.mark.parametrize("svc", TWINS, ids=lambda s: s.key)
async def test_twin_is_named_with_its_version(svc):
    service = await _identify(svc)
    assert (service.product, service.version) == ("jupyter-server", svc.identified_version)


@requires_netns
@pytest.mark.parametrize("svc", TWINS, ids=lambda s: s.key)
async def test_twin_on_its_default_port(svc):
    service = await _identify(svc, "127.0.10.12", svc.port)
    assert (service.product, service.version) == ("jupyter-server", svc.identified_version)


# ---------------------------------------------------------------- the real jupyter_server

import asyncio  # noqa: E402
import importlib.metadata  # noqa: E402
import importlib.util  # noqa: E402
import os  # noqa: E402
import socket  # noqa: E402
import sys  # noqa: E402

HAVE_JUPYTER = importlib.util.find_spec("jupyter_server") is not None


def _free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


async def _wait_listening(host: str, port: int, proc, deadline: float = 60.0) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + deadline
    while loop.time() < end:
        if proc.returncode is not None:
            raise AssertionError(f"jupyter server exited with {proc.returncode}")
        try:
            _, writer = await asyncio.open_connection(host, port)
            writer.close()
            return
        except OSError:
            await asyncio.sleep(0.2)
    raise AssertionError(f"jupyter server did not listen on {host}:{port} within {deadline:g} s")


@requires_netns  # a real server may phone home (extension and version checks)
@pytest.mark.skipif(not HAVE_JUPYTER, reason="jupyter_server is not installed (the test extra installs it)")
@pytest.mark.parametrize("token", [True, False], ids=["token", "no-token"])
async def test_real_jupyter_server_is_named_with_its_version(tmp_path, token):
    host, port = "127.0.0.1", _free_port("127.0.0.1")
    env = dict(os.environ, HOME=str(tmp_path), JUPYTER_CONFIG_DIR=str(tmp_path / "config"),
               JUPYTER_DATA_DIR=str(tmp_path / "data"), JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"),
               JUPYTER_PLATFORM_DIRS="1")
    args = [sys.executable, "-m", "jupyter_server", "--no-browser", f"--ip={host}", f"--port={port}",
            "--port-retries=0", f"--ServerApp.root_dir={tmp_path}", "--allow-root"]
    if not token:
        args.append("--IdentityProvider.token=")
    proc = await asyncio.create_subprocess_exec(*args, env=env, cwd=tmp_path, stdin=asyncio.subprocess.DEVNULL,
                                                stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
    try:
        await _wait_listening(host, port, proc)
        async with ProbeContext() as ctx:
            service = await identify(Endpoint(host, port), ctx)
        assert service.product == "jupyter-server"
        assert service.version == importlib.metadata.version("jupyter_server")
        assert service.extra["attributes"]["tornado"] == importlib.metadata.version("tornado")
    finally:
        if proc.returncode is None:
            proc.terminate()
            try:
                await asyncio.wait_for(proc.wait(), 10)
            except asyncio.TimeoutError:
                proc.kill()
                await proc.wait()
