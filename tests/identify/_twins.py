"""Lab twins for the identify tests: one product's twins, one twin served for a block, one
twin started and identified (the per-product test files, test_ollama.py and the like, share these).
"""

from __future__ import annotations

import contextlib
import importlib
from typing import AsyncIterator

from gatescan._paths import import_lab
from gatescan.identify.engine import identify
from gatescan.model import Endpoint, Service
from gatescan.net.client import Client


def lab_twins(module: str) -> list:
    """The `SERVICES` of lab/<module>.py (the lab is imported as `gatescan.lab`)."""
    import_lab()
    return importlib.import_module(f"gatescan.lab.{module}").SERVICES


@contextlib.asynccontextmanager
async def started(svc, host: str = "127.0.0.1", port: int = 0) -> AsyncIterator:
    """Serve `svc` on (host, port) for the block (port 0: a free one); yields its handle."""
    handle = await svc.start(host, port)
    try:
        yield handle
    finally:
        await handle.close()


async def identify_twin(svc, host: str = "127.0.0.1", port: int = 0) -> Service:
    """Start `svc` on (host, port), identify it with default limits, stop it."""
    async with started(svc, host, port) as handle, Client() as client:
        return await identify(Endpoint(host, handle.port if port == 0 else port), client)
