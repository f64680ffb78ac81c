"""No fingerprint turns another product's twin, a decoy or a hostile server into a match: every
shipped fingerprint, alone, is fed every lab service that is not its own product (the lab as it
is, so a new product's twins and fingerprint are covered the day they land).

Each service sits on its own product's default port (decoys on agent ports on purpose), as in
`gatescan lab up`; each fingerprint is run by itself there, so no other product's stronger match
can hide a false one.
"""

from __future__ import annotations

import asyncio

from gatescan._paths import import_lab
from gatescan.identify.engine import identify
from gatescan.identify.fingerprints import load_fingerprints
from gatescan.labrun import running_lab
from gatescan.model import Endpoint
from gatescan.net.client import Client
from gatescan.net.limits import Limits
from tests.netns import requires_netns

DEADLINE = 3.0  # tarpits and drips cost this per fingerprint; the twins answer at once
HANG = 600  # not a timing claim: a hang guard far past any deadline


@requires_netns
async def test_no_fingerprint_names_another_products_twin_or_any_decoy():
    every = [s.key for s in import_lab().services(include_hostile=True)]
    fingerprints = load_fingerprints()
    assert len(every) > len(fingerprints)  # the lab, not a sample of it
    crossed, checked = [], 0
    async with running_lab(every, base="127.0.72.1") as lab, Client(Limits(endpoint_deadline=DEADLINE)) as client:
        gate = asyncio.Semaphore(64)

        async def one(entry, fp):
            async with gate:
                service = await identify(Endpoint(entry["host"], entry["port"]), client, fingerprints=[fp])
            if service.product != "unknown":
                crossed.append(f"{fp.id} named lab service {entry['key']} ({entry['twin']})"
                               f" on port {entry['port']}: {[e.observed for e in service.evidence][:3]}")

        jobs = [(entry, fp) for entry in lab.entries for fp in fingerprints if fp.id != entry["product"]]
        checked = len(jobs)
        async with asyncio.timeout(HANG), asyncio.TaskGroup() as group:
            for entry, fp in jobs:
                group.create_task(one(entry, fp))
    assert checked >= len(every) * (len(fingerprints) - 1)
    assert crossed == [], "\n".join(crossed)
