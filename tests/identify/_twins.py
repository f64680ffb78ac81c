"""Lab twins for the identify tests: one product's twins, and one twin started and identified.

The per-product test files (test_ollama.py, test_mcp_server.py, ...) share these two steps.
"""

from __future__ import annotations

import importlib

from gatescan._paths import import_lab
from gatescan.identify import identify
from gatescan.model import Endpoint, Service
from gatescan.probes.http import ProbeContext


def lab_twins(module: str) -> list:
    """The `SERVICES` of lab/<module>.py (the lab is imported as `gatescan.lab`)."""
    import_lab()
    return importlib.import_module(f"gatescan.lab.{module}").SERVICES


async def identify_twin(svc, host: str = "127.0.0.1", port: int = 0) -> Service:
    """Start `svc` on (host, port), identify it with default limits, stop it."""
    handle = await svc.start(host, port)
    try:
        async with ProbeContext() as ctx:
            return await identify(Endpoint(host, handle.port if port == 0 else port), ctx)
    finally:
        await handle.close()
