"""Wires identification and checks into the pipeline for one scan.

Both stages share one probe context (one aiohttp session, one set of limits) that lives
exactly as long as the scan, so it is built here, inside the running event loop.
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import AsyncIterator, Callable

from .model import ErrorRecord, Finding, Service
from .pipeline import ScanStages


@asynccontextmanager
async def network_stages(*, identify: bool, checks: bool,
                         on_error: Callable[[ErrorRecord], None]) -> AsyncIterator[ScanStages]:
    """The identify and check stages asked for (none with --no-identify)."""
    if not identify:
        yield ScanStages()
        return
    from .identify import engine as identify_mod
    from .identify.fingerprints import load_fingerprints
    from .checks.runner import run_checks
    from .net.client import Client

    async with Client() as client:
        fingerprints = load_fingerprints()
        by_product = {fp.id: fp for fp in fingerprints}

        async def check(service: Service) -> list[Finding]:
            fingerprint = by_product.get(service.product)
            return await run_checks(service, fingerprint, client) if fingerprint else []

        yield ScanStages(
            identify=identify_mod.stage(client, on_error=on_error, fingerprints=fingerprints),
            checks=check if checks else None,
        )
