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
    from .checks.context import CheckContext
    from .checks.runner import run_checks
    from .net.http import ProbeContext

    async with ProbeContext() as probe_ctx:
        check_ctx = CheckContext(session=probe_ctx.session)
        by_product = {fp.id: fp for fp in probe_ctx.fingerprints}

        async def check(service: Service) -> list[Finding]:
            fingerprint = by_product.get(service.product)
            return await run_checks(service, fingerprint, check_ctx) if fingerprint else []

        yield ScanStages(
            identify=identify_mod.stage(probe_ctx, on_error=on_error),
            checks=check if checks else None,
        )
